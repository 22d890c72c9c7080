package codeowners

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// skippedAt is what explain needs from a skipped line that matches.
type skippedAt struct {
	Line    int
	Pattern string
	Owners  []string
	Kind    string
}

func summarizeSkipped(ss []SkippedLine) []skippedAt {
	var out []skippedAt
	for _, s := range ss {
		out = append(out, skippedAt{s.Line, s.Pattern, s.Owners, s.Problem.Kind})
	}
	return out
}

// TestSkippedMatches: a line GitHub skips for its owners still has a pattern,
// and explaining a path needs to know that the line would match it.
func TestSkippedMatches(t *testing.T) {
	rs := Parse([]byte("* @all\n" +
		"/tools/   @acme/platform dev-tools  # a bare word is no owner\n" + // 2: skipped for an owner
		"/tools/*.sh @acme/sh\n" + // 3: applies
		"*.sh owner\n" + // 4: skipped for an owner, after the deciding line
		"!*.sh @x\n" + // 5: skipped for its pattern: matches nothing
		"@acme/x @y\n" + // 6: an owner where the pattern goes: matches nothing
		"/docs/\t@a \xff\n" + // 7: invalid UTF-8 among the owners
		"/src/\xff @a\n" + // 8: invalid UTF-8 in the pattern
		"/lib/ @-bad @also\n", // 9: the first owner is invalid
	))
	tests := []struct {
		path string
		want []skippedAt
	}{
		{"tools/lint.sh", []skippedAt{
			{2, "/tools/", []string{"@acme/platform", "dev-tools"}, KindInvalidOwner},
			{4, "*.sh", []string{"owner"}, KindInvalidOwner},
		}},
		{"tools/sub/x.go", []skippedAt{{2, "/tools/", []string{"@acme/platform", "dev-tools"}, KindInvalidOwner}}},
		{"tools", nil}, // "/tools/" matches only inside the directory
		{"docs/a.md", []skippedAt{{7, "/docs/", []string{"@a", "\xff"}, KindInvalidOwner}}},
		{"src/\xff/a", nil},
		{"lib/a", []skippedAt{{9, "/lib/", []string{"@-bad", "@also"}, KindInvalidOwner}}},
		{"@acme/x/a", nil},
		{"README.md", nil},
	}
	for _, tt := range tests {
		got := summarizeSkipped(rs.SkippedMatches(tt.path))
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("SkippedMatches(%q) (-want +got):\n%s", tt.path, diff)
		}
	}
	// A skipped line is still not a rule: GitHub's decision is unchanged.
	if r := rs.Match("tools/sub/x.go"); r == nil || r.Line != 1 {
		t.Errorf("Match(tools/sub/x.go) = %v, want line 1", r)
	}
	// The problem is the one reported for the line.
	for _, s := range rs.SkippedMatches("tools/lint.sh") {
		if s.Problem.Line != s.Line {
			t.Errorf("line %d carries the problem of line %d", s.Line, s.Problem.Line)
		}
	}
	if got := rs.SkippedMatches("tools/lint.sh")[0].Problem.Message; got != `"dev-tools" is not a valid owner; GitHub skips the whole line` {
		t.Errorf("problem of line 2 = %q", got)
	}
}

// TestSkippedMatchesColumns: the owners of a skipped line are found after an
// indented pattern with non-ASCII characters and escaped blanks.
func TestSkippedMatchesColumns(t *testing.T) {
	rs := Parse([]byte("  /é\\ x/ @a b\n"))
	got := summarizeSkipped(rs.SkippedMatches("é x/f"))
	want := []skippedAt{{1, "/é\\ x/", []string{"@a", "b"}, KindInvalidOwner}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SkippedMatches (-want +got):\n%s", diff)
	}
}
