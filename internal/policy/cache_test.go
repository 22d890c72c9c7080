package policy

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCacheSharesOneParse(t *testing.T) {
	cache := NewParseCache(2)
	eval := func(files map[string]string) *Result {
		t.Helper()
		res, err := Evaluate(tree(files), Options{Now: today, Org: adopted(), Parsed: cache})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	base := eval(baseRepo)
	head := eval(with(baseRepo, map[string]string{"pay/api/new.go": "package main"}))
	if base.Ruleset != head.Ruleset {
		t.Fatal("the same CODEOWNERS content was parsed twice")
	}
	// Sharing the parse changes no answer: the comparison is what it is
	// without the cache.
	plainBase, plainHead := evaluate(t, baseRepo), evaluate(t, with(baseRepo, map[string]string{"pay/api/new.go": "package main"}))
	if diff := cmp.Diff(Compare(plainBase, plainHead), Compare(base, head), cmp.Comparer(func(a, b *Result) bool { return true })); diff != "" {
		t.Errorf("comparison with the cache differs (-without +with):\n%s", diff)
	}

	// A moved owner is still a transfer: different content, different parse.
	moved := eval(with(baseRepo, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/web/ @acme/web\n"}))
	if moved.Ruleset == base.Ruleset || len(Compare(base, moved).Transfers) != 1 {
		t.Errorf("a changed CODEOWNERS: shared %v, transfers %+v", moved.Ruleset == base.Ruleset, Compare(base, moved).Transfers)
	}
	// The cache holds two files: a third pushes out the oldest.
	eval(with(baseRepo, map[string]string{".github/CODEOWNERS": "* @acme/all\n"}))
	if again := eval(baseRepo); again.Ruleset == base.Ruleset {
		t.Error("the oldest file was not evicted from a full cache")
	}
}

func TestParseCacheConcurrentUse(t *testing.T) {
	cache := NewParseCache(4)
	var wg sync.WaitGroup
	results := make([]*Result, 8)
	for i := range results {
		wg.Go(func() {
			res, err := Evaluate(tree(baseRepo), Options{Now: today, Org: adopted(), Parsed: cache})
			if err != nil {
				t.Error(err)
				return
			}
			res.Ruleset.Match("pay/api/main.go")
			results[i] = res
		})
	}
	wg.Wait()
	for _, r := range results[1:] {
		if r != nil && results[0] != nil && r.Ruleset != results[0].Ruleset {
			t.Error("concurrent evaluations of one file kept different parses")
		}
	}
}
