package codeowners

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestShadowedCountsEveryOverrider: a rule that decides nothing lists its
// first overriders and counts the rest, so that a report can say how many it
// leaves out.
func TestShadowedCountsEveryOverrider(t *testing.T) {
	tests := []struct {
		name       string
		codeowners string
		files      []string
		want       RuleCoverage // of the first rule
	}{
		{
			name:       "one overrider",
			codeowners: "*.go @a\n/x/ @x\n",
			files:      []string{"x/a.go"},
			want:       RuleCoverage{Matched: 1, Overriders: []int{1}},
		},
		{
			name:       "three: all listed, none more",
			codeowners: "*.go @a\n/x/ @x\n/y/ @y\n/z/ @z\n",
			files:      []string{"x/a.go", "y/a.go", "z/a.go"},
			want:       RuleCoverage{Matched: 3, Overriders: []int{1, 2, 3}},
		},
		{
			name:       "five: three listed, two more",
			codeowners: "*.go @a\n/v/ @v\n/w/ @w\n/x/ @x\n/y/ @y\n/z/ @z\n",
			files:      []string{"v/a.go", "w/a.go", "x/a.go", "x/b.go", "y/a.go", "z/a.go", "z/b.go"},
			want:       RuleCoverage{Matched: 7, Overriders: []int{1, 2, 3}, MoreOverriders: 2},
		},
		{
			name:       "a rule that decides a file counts no more",
			codeowners: "*.go @a\n/v/ @v\n/w/ @w\n/x/ @x\n/y/ @y\n",
			files:      []string{"a.go", "v/a.go", "w/a.go", "x/a.go", "y/a.go"},
			want:       RuleCoverage{Matched: 5, Decided: 1, Overriders: []int{1, 2, 3}},
		},
		{
			name:       "a rule that decides its last file counts no more",
			codeowners: "*.go @a\n/v/ @v\n/w/ @w\n/x/ @x\n/y/ @y\n",
			files:      []string{"v/a.go", "w/a.go", "x/a.go", "y/a.go", "z.go"},
			want:       RuleCoverage{Matched: 5, Decided: 1, Overriders: []int{1, 2, 3}},
		},
		{
			name:       "earlier lines with the same pattern count too",
			codeowners: "*.go @a\n*.go @b\n/v/ @v\n/w/ @w\n/x/ @x\n/y/ @y\n",
			files:      []string{"a.go", "v/a.go", "w/a.go", "x/a.go", "y/a.go"},
			want:       RuleCoverage{Matched: 5, Overriders: []int{1, 2, 3}, MoreOverriders: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := Parse([]byte(tt.codeowners))
			got := rs.Cover(tt.files)
			if diff := cmp.Diff(tt.want, got.Rules[0]); diff != "" {
				t.Errorf("first rule (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(naiveCover(rs, tt.files), got); diff != "" {
				t.Errorf("Cover differs from its definition (-naive +Cover):\n%s", diff)
			}
		})
	}
}

// TestShadowedCountIsBounded: past maxOverriderPairs, counting stops and
// says so, so that a crafted file cannot make Cover's memory grow with the
// square of its rules.
func TestShadowedCountIsBounded(t *testing.T) {
	const broad = 3 // rules that every file matches and none decides
	deciders := maxOverriderPairs/broad + 10
	var b strings.Builder
	for range broad {
		b.WriteString("*.go @a\n")
	}
	files := make([]string, deciders)
	for i := range deciders {
		fmt.Fprintf(&b, "/d%d/ @x\n", i)
		files[i] = fmt.Sprintf("d%d/a.go", i)
	}
	rs := Parse([]byte(b.String()))
	cov := rs.Cover(files)
	total := 0
	uncounted := false
	for _, rc := range cov.Rules[:broad] {
		if rc.Decided != 0 || len(rc.Overriders) != maxOverriders {
			t.Fatalf("a broad rule decides %d files with %d overriders", rc.Decided, len(rc.Overriders))
		}
		total += rc.MoreOverriders
		uncounted = uncounted || rc.MoreUncounted
	}
	if total != maxOverriderPairs || !uncounted {
		t.Errorf("counted %d pairs (uncounted: %v), want %d and a flag", total, uncounted, maxOverriderPairs)
	}
}
