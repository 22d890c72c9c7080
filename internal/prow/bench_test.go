package prow

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
)

// BenchmarkParseTestInfra parses kubernetes/test-infra's OWNERS_ALIASES and
// all 239 OWNERS files, checks their names and expands their approvers: what
// reading a large prow repository's ownership costs.
func BenchmarkParseTestInfra(b *testing.B) {
	r := loadReal(b, "kubernetes__test-infra")
	var paths []string
	bytes := 0
	for p, data := range r.data {
		if path.Base(p) == OwnersFile {
			paths = append(paths, p)
		}
		bytes += len(data)
	}
	slices.Sort(paths)
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		aliases, _ := ParseAliases(AliasesFile, r.data[AliasesFile])
		for _, p := range paths {
			o, _ := ParseOwners(p, r.data[p])
			aliases.Check(o)
			aliases.Expand(o.Dirwide().Approvers)
		}
	}
	b.ReportMetric(float64(len(paths)+1), "files/op")
}

// hostileOwners is an OWNERS file of nearly MaxSize repeating one filter
// pattern, with a new prefix each time so none repeats.
func hostileOwners(pattern string) []byte {
	var sb strings.Builder
	sb.WriteString("filters:\n")
	for i := 0; sb.Len() < MaxSize-2*MaxPatternSize; i++ {
		fmt.Fprintf(&sb, "  %q:\n    approvers: [alice]\n", fmt.Sprintf("%d", i)+pattern)
	}
	return []byte(sb.String())
}

// BenchmarkParseHostileOwners bounds what a hostile OWNERS file costs: the
// costliest patterns ownerbot refuses (each a thousand bytes of counted
// repetition), and the most small patterns it accepts, which fill the file's
// budget of steps.
func BenchmarkParseHostileOwners(b *testing.B) {
	unit := "[a-z]{1,999}"
	for name, data := range map[string][]byte{
		"large-patterns": hostileOwners(strings.Repeat(unit, (MaxPatternSize-10)/len(unit))),
		"budget":         hostileOwners("[a-z]{1,99}"),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var o *Owners
			for b.Loop() {
				o, _ = ParseOwners("OWNERS", data)
			}
			b.ReportMetric(float64(len(o.Filters)), "filters-kept")
		})
	}
}

// BenchmarkForHostileOwners is what answering one path costs with the most
// filters ownerbot keeps from one file.
func BenchmarkForHostileOwners(b *testing.B) {
	o, _ := ParseOwners("a/OWNERS", hostileOwners("[a-z]{1,99}"))
	file := "a/" + strings.Repeat("abcdefghij/", 20) + "x.go"
	b.ReportAllocs()
	for b.Loop() {
		o.For(file)
	}
	b.ReportMetric(float64(len(o.Filters)), "filters")
}
