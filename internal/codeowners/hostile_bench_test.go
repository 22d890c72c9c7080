package codeowners

import (
	"fmt"
	"strings"
	"testing"
)

// The hostile CODEOWNERS files of issue 14 (row 9), built here rather than
// committed: rules whose globs the index cannot file under a literal, each
// evaluated against every path of a 100,000-file tree.

// starRules returns n rules like "**/a*a*…*a<i>": many stars between single
// letters, so that no literal segment or extension files them, and each
// ends in its own number.
func starRules(n, stars int) []byte {
	var b strings.Builder
	body := strings.Repeat("a*", stars)
	for i := range n {
		fmt.Fprintf(&b, "**/%sa%d @o%d\n", body, i, i%100)
	}
	return []byte(b.String())
}

// subsequenceRules returns up to n rules like "**/*a*e*i*o*": every
// combination of four letters that the generated trees' names use, so that
// each rule's text is in nearly every path and many rules match nearly every
// file. Nothing can prefilter them: a full Cover is rules × paths matches,
// which MaxCoverWork stops.
func subsequenceRules(n int) []byte {
	const letters = "aeiourlnst"
	var b strings.Builder
	count := 0
	for _, w := range letters {
		for _, x := range letters {
			for _, y := range letters {
				for _, z := range letters {
					if count == n {
						return []byte(b.String())
					}
					fmt.Fprintf(&b, "**/*%c*%c*%c*%c* @o%d\n", w, x, y, z, count%100)
					count++
				}
			}
		}
	}
	return []byte(b.String())
}

// hostileCases are the files of the issue, with the paths to evaluate them
// against.
func hostileCases(paths int) []struct {
	name  string
	data  []byte
	files []string
} {
	tree := newSynthetic(paths, 0, 1).files
	star, _ := hostileFile(50_000)
	return []struct {
		name  string
		data  []byte
		files []string
	}{
		{"stars-20k", starRules(20_000, 30), tree},
		{"star-heavy-2.9MB", star, tree},
		// The same tree with numbered names, so that the rules' own
		// numbers appear in the paths and literal prefilters let some
		// through.
		{"star-heavy-2.9MB-numbered", star, numbered(tree)},
		// Past what any index can avoid: the budget stops it.
		{"subsequences-10k", subsequenceRules(10_000), tree},
	}
}

// numbered gives every file a five-digit number, as generated trees have.
func numbered(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = fmt.Sprintf("%s%05d", f, i%50_000)
	}
	return out
}

// BenchmarkHostileEvaluation evaluates the hostile files against 100,000
// paths as an evaluation does: parse, cover every path (owners, no_match,
// shadowed), then decide every path once more (the units' owner check),
// unless Cover stopped at MaxCoverWork: then the evaluation reports the file
// as too expensive and matches no path again. too-expensive is 1 when it
// stopped. Target: under 5 s per op on 2 cores.
//
//	go test -run '^$' -bench HostileEvaluation -benchtime 1x -benchmem ./internal/codeowners/
func BenchmarkHostileEvaluation(b *testing.B) {
	for _, c := range hostileCases(100_000) {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rs := Parse(c.data)
				sinkCoverage = rs.Cover(c.files)
				if !sinkCoverage.TooExpensive {
					indexPass(rs, c.files)
				}
			}
			stopped := 0.0
			if sinkCoverage.TooExpensive {
				stopped = 1
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/eval")
			b.ReportMetric(stopped, "too-expensive")
		})
	}
}

var sinkCoverage Coverage
