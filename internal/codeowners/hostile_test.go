package codeowners

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNeedleSetFinds checks the needle automaton against a substring search
// for each needle: every needle the path contains is found, once, and no
// other. Needles from a tiny alphabet nest and overlap in every way (one a
// suffix, prefix or middle of another), and some are longer than maxNeedle.
func TestNeedleSetFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte("ab/\xc3"[rng.IntN(4)])
		}
		return b.String()
	}
	for round := range 2000 {
		var nb needleBuilder
		var needles []string
		for i := range 1 + rng.IntN(12) {
			n := word(1 + rng.IntN(5))
			if rng.IntN(10) == 0 {
				n = word(maxNeedle + 1 + rng.IntN(8))
			}
			needles = append(needles, n)
			nb.add(n, int32(i))
		}
		set := nb.build()
		for range 10 {
			path := word(rng.IntN(60))
			if rng.IntN(3) == 0 {
				path += needles[rng.IntN(len(needles))] + word(3)
			}
			var got []int32
			set.find(path, func(id int32) { got = append(got, set.rules(id)...) })
			slices.Sort(got)
			var want []int32
			for i, n := range needles {
				if strings.Contains(path, n[:min(len(n), maxNeedle)]) {
					want = append(want, int32(i))
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round %d: needles %q in %q (-want +got):\n%s", round, needles, path, diff)
			}
		}
	}
	var empty needleBuilder
	if empty.build() != nil {
		t.Error("a needle set without needles is not nil")
	}
}

// withLongList rebuilds the index of rs with lists longer than long moved to
// the needle set; long 0 puts there every rule that has a needle.
func withLongList(rs *Ruleset, long int) *Ruleset {
	c := *rs
	c.index = buildIndex(c.Rules, long)
	return &c
}

// naiveCover is Cover by definition: every rule against every file.
func naiveCover(rs *Ruleset, files []string) Coverage {
	cov := Coverage{Files: len(files), Rules: make([]RuleCoverage, len(rs.Rules))}
	unowned := make([]bool, len(files))
	beaten := make([]map[int]bool, len(rs.Rules)) // every rule that beats each
	for fi, f := range files {
		decider := -1
		for i := len(rs.Rules) - 1; i >= 0; i-- {
			if !rs.Rules[i].Matches(f) {
				continue
			}
			rc := &cov.Rules[i]
			rc.Matched++
			if decider < 0 {
				decider = i
				rc.Decided++
			} else {
				if len(rc.Overriders) < maxOverriders && !slices.Contains(rc.Overriders, decider) {
					rc.Overriders = append(rc.Overriders, decider)
				}
				if beaten[i] == nil {
					beaten[i] = map[int]bool{}
				}
				beaten[i][decider] = true
			}
		}
		if decider >= 0 && len(rs.Rules[decider].Owners) > 0 {
			cov.Owned++
		} else {
			unowned[fi] = true
		}
	}
	for i := range cov.Rules {
		if rc := &cov.Rules[i]; rc.Decided == 0 {
			rc.MoreOverriders = len(beaten[i]) - len(rc.Overriders)
		}
	}
	cov.Unowned = groupUnowned(files, unowned)
	return cov
}

// TestNeedleSetAgainstReferences is TestGeneratedAgainstReferences with
// every rule that has a needle found through the needle set, and with
// files long enough, and repetitive enough, that the default index moves
// lists there and files patterns more than once: Match, MatchAll and Cover
// must still agree with the reverse scan, the oracle and Cover's definition.
func TestNeedleSetAgainstReferences(t *testing.T) {
	rounds := 600
	if testing.Short() || raceEnabled {
		rounds = 60
	}
	rng := rand.New(rand.NewPCG(5, 6))
	defaultSets := 0 // rounds where the default index made a needle set
	for round := range rounds {
		var b strings.Builder
		nrules := 1 + rng.IntN(8)
		long := round%4 == 0
		if long {
			nrules = 2*longList + rng.IntN(4*longList) // lists past longList
		}
		var patterns []string
		for i := range nrules {
			p := randomPattern(rng)
			if long && rng.IntN(2) == 0 {
				// Globs with literal text, most of them in one list.
				p = "*" + strings.TrimPrefix(p, "/") + "*"
			}
			if len(patterns) > 0 && rng.IntN(5) == 0 {
				p = patterns[rng.IntN(len(patterns))] // the same pattern again
			}
			patterns = append(patterns, p)
			if rng.IntN(8) == 0 {
				fmt.Fprintf(&b, "%s\n", p) // no owners: un-owns
			} else {
				fmt.Fprintf(&b, "%s @o%d\n", p, i)
			}
		}
		parsed := Parse([]byte(b.String()))
		var paths []string
		for range 20 {
			paths = append(paths, randomPath(rng))
		}
		for _, r := range parsed.Rules {
			paths = append(paths, spellPath(r.Pattern, "ab"), spellPath(r.Pattern, "x.go"))
		}
		paths = uniqueFiles(paths)
		o := newOracle(t, parsed)
		for _, long := range []int{0, longList} {
			rs := withLongList(parsed, long)
			if long == longList && rs.index.byNeedle != nil {
				defaultSets++
			}
			name := fmt.Sprintf("round %d, lists over %d", round, long)
			before := t.Failed()
			compareAll(t, name, rs, o, paths)
			for _, p := range paths {
				var want []int
				for i := range rs.Rules {
					if rs.Rules[i].Matches(p) {
						want = append(want, rs.Rules[i].Line)
					}
				}
				var got []int
				for _, r := range rs.MatchAll(p) {
					got = append(got, r.Line)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: MatchAll(%q) lines (-want +got):\n%s", name, p, diff)
				}
			}
			if diff := cmp.Diff(naiveCover(rs, paths), rs.Cover(paths)); diff != "" {
				t.Errorf("%s: Cover (-want +got):\n%s", name, diff)
			}
			if !before && t.Failed() {
				t.Fatalf("CODEOWNERS of %s:\n%s", name, b.String())
			}
		}
	}
	if defaultSets == 0 {
		t.Error("no round had a list long enough for the default needle set")
	}
	t.Logf("%d of %d rounds had a needle set with the default threshold", defaultSets, rounds)
}

// uniqueFiles drops repeated paths and paths that are a directory of
// another (Cover's files are files, each once).
func uniqueFiles(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		p = cleanPath(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	var files []string
	for _, p := range out {
		dir := false
		for _, q := range out {
			if strings.HasPrefix(q, p+"/") {
				dir = true
				break
			}
		}
		if !dir {
			files = append(files, p)
		}
	}
	slices.Sort(files)
	return files
}

// TestHostileCoverWork is the regression test for the hostile files of issue
// 14: the work of covering a tree with them grows with the tree's bytes, not
// with rules × paths. Before the needle set, the 20,000 rules of stars-20k
// all sat in one list that every path looked at; the check below shows that
// such a list would cost more than the bound.
func TestHostileCoverWork(t *testing.T) {
	npaths := 20_000
	if raceEnabled || testing.Short() {
		npaths = 2_000
	}
	for _, c := range hostileCases(npaths) {
		if c.name == "subsequences-10k" {
			continue // TestCoverBudget's
		}
		t.Run(c.name, func(t *testing.T) {
			rs := Parse(c.data)
			bytes := 0
			for _, f := range c.files {
				bytes += len(f) + 1
			}
			// A few steps per byte, and a few candidates per path: linear
			// in the tree whatever the number of rules.
			bound := int64(8*bytes + 4*candidateSteps*len(c.files))
			cov, steps := rs.cover(c.files, math.MaxInt64)
			if steps > bound || cov.TooExpensive {
				t.Errorf("covering %d paths (%d bytes) with %d rules took %d steps, more than %d",
					len(c.files), bytes, len(rs.Rules), steps, bound)
			}
			// The same rules in plain lists, as before the needle set: the
			// bound must catch that, or it proves nothing. A prefix of the
			// tree suffices, and keeps the test quick.
			few := c.files[:npaths/20]
			fewBytes := 0
			for _, f := range few {
				fewBytes += len(f) + 1
			}
			plain := withLongList(rs, math.MaxInt)
			if _, steps := plain.cover(few, math.MaxInt64); steps <= int64(8*fewBytes+4*candidateSteps*len(few)) {
				t.Errorf("without the needle set, %d paths cost only %d steps: the bound is too loose", len(few), steps)
			}
			// And the answers are those of the reverse scan.
			for _, f := range c.files[:200] {
				if ix, rev := indexLine(rs, f), reverseScan(rs, f); ix != rev {
					t.Errorf("%q: index line %d, reverse scan %d", f, ix, rev)
				}
			}
		})
	}
}

// TestMatchStepsPolynomial bounds what a single match costs: at most a few
// steps per pair of a pattern byte and a path byte, for patterns and paths
// built to make a naive glob matcher backtrack or an automaton blow up.
func TestMatchStepsPolynomial(t *testing.T) {
	tests := []struct{ pattern, path string }{
		{"**/" + strings.Repeat("a*", 1000) + "b", strings.Repeat("a", 2000) + "/" + strings.Repeat("a", 2000)},
		{"*" + strings.Repeat("?", 1000) + "b*", strings.Repeat("a", 4000)},
		{strings.Repeat("*a", 500) + "*b", strings.Repeat("a", 4000)},
		{strings.Repeat("**/a/", 200) + "x", strings.Repeat("a/", 2040) + "y"},
		{strings.Repeat("**/*/", 30) + "x", strings.Repeat("a/", 2040) + "y"},
		{"/" + strings.Repeat("*/", 60) + "**/x", strings.Repeat("a/", 2040) + "x/y"},
		{strings.Repeat("?*", 300) + "/**/" + strings.Repeat("*?", 300), strings.Repeat("ab/", 1300)},
	}
	for _, tt := range tests {
		rs := Parse([]byte(tt.pattern + " @o\n"))
		if len(rs.Rules) != 1 {
			t.Fatalf("pattern %.40q…: %v", tt.pattern, rs.Problems)
		}
		var buf [32]string
		var m meter
		rs.Rules[0].pat.match(splitPath(tt.path, buf[:0]), 0, &m)
		if bound := matchBound(tt.pattern, tt.path); m.steps > bound {
			t.Errorf("pattern %.40q… on a %d-byte path: %d steps, more than %d", tt.pattern, len(tt.path), m.steps, bound)
		}
	}
}

// matchBound is the most steps one match may take.
func matchBound(pattern, path string) int64 {
	return 4 * int64(len(pattern)+1) * int64(len(path)+1)
}

// TestCoverBudget checks the backstop: a file that no index can make cheap
// (thousands of globs whose letters every path has) stops at MaxCoverWork
// with TooExpensive, and the ruleset still decides paths correctly after.
func TestCoverBudget(t *testing.T) {
	rs := Parse(subsequenceRules(10_000))
	files := newSynthetic(2_000, 0, 1).files
	cov, steps := rs.cover(files, 1_000_000)
	if !cov.TooExpensive || steps <= 1_000_000 {
		t.Fatalf("a cover past its budget: TooExpensive %v after %d steps", cov.TooExpensive, steps)
	}
	want := Coverage{Files: len(files), Rules: make([]RuleCoverage, len(rs.Rules)), TooExpensive: true}
	if diff := cmp.Diff(want, cov); diff != "" {
		t.Errorf("a stopped cover (-want +got):\n%s", diff)
	}
	// The real budget stops it too, on a tree of 20,000 files (about 10^9
	// steps in full).
	if testing.Short() || raceEnabled {
		t.Log("the full budget is not spent in -short or -race runs")
	} else if cov := rs.Cover(newSynthetic(20_000, 0, 1).files); !cov.TooExpensive {
		t.Errorf("MaxCoverWork does not stop the subsequence rules on 20,000 files")
	}
	for _, f := range files[:50] {
		if ix, rev := indexLine(rs, f), reverseScan(rs, f); ix != rev {
			t.Errorf("%q: index line %d, reverse scan %d", f, ix, rev)
		}
	}
	// Within budget, the same cover is the full one.
	if cov, _ := rs.cover(files[:20], math.MaxInt64); cov.TooExpensive {
		t.Error("an unlimited cover stopped")
	} else if diff := cmp.Diff(naiveCover(rs, files[:20]), cov); diff != "" {
		t.Errorf("Cover (-want +got):\n%s", diff)
	}
}
