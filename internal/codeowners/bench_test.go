package codeowners

import (
	"fmt"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// Benchmarks, run with:
//
//	go test -run '^$' -bench . -benchmem ./internal/codeowners/
//
// One op of the dataset, synthetic and scaling benchmarks is one full pass
// over every file of a tree; ns/path is that divided by the number of files.

var sinkRule *Rule

// indexPass decides every file with the index.
func indexPass(rs *Ruleset, files []string) {
	for _, f := range files {
		sinkRule = rs.Match(f)
	}
}

// reversePass decides every file the naive way: every rule from the last
// line up with Rule.Matches, as tools without an index do.
func reversePass(rs *Ruleset, files []string) {
	for _, f := range files {
		sinkRule = nil
		for i := len(rs.Rules) - 1; i >= 0; i-- {
			if rs.Rules[i].Matches(f) {
				sinkRule = &rs.Rules[i]
				break
			}
		}
	}
}

func reportPerPath(b *testing.B, files int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(files), "ns/path")
}

func BenchmarkDatasets(b *testing.B) {
	for _, name := range datasettest.Names(b) {
		ds := datasettest.Load(b, name)
		rs := Parse(ds.CODEOWNERS)
		b.Run(name, func(b *testing.B) {
			b.Run("index", func(b *testing.B) {
				for b.Loop() {
					indexPass(rs, ds.Files)
				}
				reportPerPath(b, len(ds.Files))
			})
			b.Run("reverse", func(b *testing.B) {
				for b.Loop() {
					reversePass(rs, ds.Files)
				}
				reportPerPath(b, len(ds.Files))
			})
		})
	}
}

// timePasses runs pass at least min times and for at least d, and returns
// the time of one pass.
func timePasses(pass func(), min int, d time.Duration) time.Duration {
	start := time.Now()
	n := 0
	for n < min || time.Since(start) < d {
		pass()
		n++
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkSpeedup times full passes with the index and with the reverse
// scan in the same run and reports how many times faster the index is. It
// spends over a second per dataset, so the framework calls it once.
func BenchmarkSpeedup(b *testing.B) {
	for _, name := range datasettest.Names(b) {
		ds := datasettest.Load(b, name)
		rs := Parse(ds.CODEOWNERS)
		b.Run(name, func(b *testing.B) {
			index := timePasses(func() { indexPass(rs, ds.Files) }, 5, 500*time.Millisecond)
			reverse := timePasses(func() { reversePass(rs, ds.Files) }, 1, 500*time.Millisecond)
			b.ReportMetric(float64(reverse)/float64(index), "x-faster")
			b.ReportMetric(float64(index.Nanoseconds())/float64(len(ds.Files)), "index-ns/path")
			b.ReportMetric(float64(reverse.Nanoseconds())/float64(len(ds.Files)), "reverse-ns/path")
		})
	}
}

// BenchmarkSynthetic decides 100,000 files against 50,000 rules of mixed
// shapes per op. Target: under a second per op on one core.
func BenchmarkSynthetic(b *testing.B) {
	s := newSynthetic(100_000, 50_000, 1)
	rs := Parse(s.codeowners)
	b.ResetTimer()
	for b.Loop() {
		indexPass(rs, s.files)
	}
	reportPerPath(b, len(s.files))
}

// BenchmarkScaling shows how a full pass grows with files and rules: ns/path
// should stay flat as files double, and grow little as rules double.
func BenchmarkScaling(b *testing.B) {
	for _, nfiles := range []int{50_000, 100_000} {
		for _, nrules := range []int{25_000, 50_000} {
			s := newSynthetic(nfiles, nrules, 1)
			rs := Parse(s.codeowners)
			b.Run(fmt.Sprintf("paths=%dk,rules=%dk", nfiles/1000, nrules/1000), func(b *testing.B) {
				for b.Loop() {
					indexPass(rs, s.files)
				}
				reportPerPath(b, len(s.files))
			})
		}
	}
}

// BenchmarkParseHostile parses a file just under 3 MB of 50,000 star-heavy
// rules (target: under a second), and matches 4 KiB paths against it.
func BenchmarkParseHostile(b *testing.B) {
	data, _ := hostileFile(50_000)
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			Parse(data)
		}
	})
	rs := Parse(data)
	paths := hostilePaths()
	b.Run("match-4KiB", func(b *testing.B) {
		for b.Loop() {
			indexPass(rs, paths)
		}
		reportPerPath(b, len(paths))
	})
	b.Run("parse-synthetic-50k", func(b *testing.B) {
		// A realistic file of the same number of rules, for comparison.
		s := newSynthetic(10_000, 50_000, 1)
		b.SetBytes(int64(len(s.codeowners)))
		for b.Loop() {
			Parse(s.codeowners)
		}
	})
}
