package codeowners

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestGeneratedAgainstReferences builds many small CODEOWNERS files from a
// tiny alphabet, so that wildcards, separators and escapes collide far more
// often than in real files or in byte-level fuzzing, and checks that the
// index, the reverse scan and the oracle agree on paths from the same
// alphabet.
func TestGeneratedAgainstReferences(t *testing.T) {
	rounds := 4000
	if testing.Short() || raceEnabled {
		rounds = 400
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range rounds {
		var b strings.Builder
		nrules := 1 + rng.IntN(6)
		for i := range nrules {
			fmt.Fprintf(&b, "%s @o%d\n", randomPattern(rng), i)
		}
		rs := Parse([]byte(b.String()))
		o := newOracle(t, rs)
		var paths []string
		for range 12 {
			paths = append(paths, randomPath(rng))
		}
		// Paths spelled from the patterns match far more often than
		// random ones, which exercises the accepting side of the automaton.
		for _, r := range rs.Rules {
			paths = append(paths, spellPath(r.Pattern, "ab"), spellPath(r.Pattern, "x.go"))
		}
		before := t.Failed()
		compareAll(t, fmt.Sprintf("round %d", round), rs, o, paths)
		if !before && t.Failed() {
			t.Fatalf("CODEOWNERS of round %d:\n%s", round, b.String())
		}
	}
}

// Pattern pieces: literal names that also occur in paths, wildcards, escapes
// and non-ASCII characters.
var patternPieces = []string{"a", "b", "ab", "é", ".go", "*", "**", "?", "/", "/", "\\ ", "\\*", "\\\\"}

func randomPattern(rng *rand.Rand) string {
	for {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(patternPieces[rng.IntN(len(patternPieces))])
		}
		p := b.String()
		// Keep mostly patterns Parse accepts; rejected ones are the
		// problems tests' business.
		if _, err := compilePattern(p); err == nil || rng.IntN(10) == 0 {
			return p
		}
	}
}

var pathSegments = []string{"a", "b", "ab", "ba", "é", "x.go", "a b", "*", "\\", "aab", "bab"}

func randomPath(rng *rand.Rand) string {
	segs := make([]string, 1+rng.IntN(5))
	for i := range segs {
		segs[i] = pathSegments[rng.IntN(len(pathSegments))]
	}
	return strings.Join(segs, "/")
}
