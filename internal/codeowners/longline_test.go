package codeowners

import (
	"strings"
	"testing"
)

// A line of many owners costs time in proportion to its length: each
// owner's column is counted on from the one before, not from the start of
// the line (which made a 1 MB line of owners take a minute and a half).
func BenchmarkParseLongOwnerList(b *testing.B) {
	line := "* " + strings.Repeat("@acme/team-with-a-long-name ", 30_000) + "\n"
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if rs := Parse([]byte(line)); len(rs.Rules) != 1 {
			b.Fatal("the line did not parse")
		}
	}
}
