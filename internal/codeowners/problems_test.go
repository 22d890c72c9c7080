package codeowners

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemAt is what a person needs from a problem: where, what kind, and
// whether we tell them how to fix it.
type problemAt struct {
	Line, Column  int
	Kind          string
	HasSuggestion bool
}

func summarize(ps []Problem) []problemAt {
	var out []problemAt
	for _, p := range ps {
		out = append(out, problemAt{p.Line, p.Column, p.Kind, p.Suggestion != ""})
	}
	return out
}

func TestProblems(t *testing.T) {
	long := "/" + strings.Repeat("a", MaxPatternLen)
	tests := []struct {
		name string
		line string // the bad line; the test surrounds it with good ones
		want problemAt
	}{
		{"negation", "!keep.log @a", problemAt{0, 1, KindInvalidPattern, true}},
		{"range open", "/file[0-9].txt @a", problemAt{0, 6, KindInvalidPattern, true}},
		{"range close", "/x]y @a", problemAt{0, 3, KindInvalidPattern, true}},
		{"escaped leading hash", "\\#notes @a", problemAt{0, 1, KindInvalidPattern, true}},
		{"slash alone", "/ @a", problemAt{0, 1, KindInvalidPattern, true}},
		{"empty segment", "a//b @a", problemAt{0, 3, KindInvalidPattern, true}},
		{"dot segment", "./a @a", problemAt{0, 1, KindInvalidPattern, true}},
		{"dot-dot segment", "a/../b @a", problemAt{0, 3, KindInvalidPattern, true}},
		{"trailing backslash", "/a\\", problemAt{0, 3, KindInvalidPattern, true}},
		{"escaped slash", "/a\\/b @a", problemAt{0, 3, KindInvalidPattern, true}},
		{"triple star", "src/***.go @a", problemAt{0, 5, KindInvalidPattern, true}},
		{"too long", long + " @a", problemAt{0, MaxPatternLen + 1, KindInvalidPattern, true}},
		{"owner first", "@org/team @a", problemAt{0, 1, KindInvalidPattern, true}},
		{"indented pattern problem", "  \t!x @a", problemAt{0, 4, KindInvalidPattern, true}},
		{"bare name", "*.go owner", problemAt{0, 6, KindInvalidOwner, true}},
		{"two bare words", "x.c Lok Tep a@b.example", problemAt{0, 5, KindInvalidOwner, true}},
		{"diff stat pasted", "x.S a@b.example  1 file changed, 1 insertion(+)", problemAt{0, 18, KindInvalidOwner, true}},
		{"at alone", "*.go @", problemAt{0, 7, KindInvalidOwner, true}},
		{"login starts with hyphen", "*.go @-x", problemAt{0, 7, KindInvalidOwner, true}},
		{"login with dot", "*.go @a.b", problemAt{0, 8, KindInvalidOwner, true}},
		{"team without slug", "*.go @org/", problemAt{0, 11, KindInvalidOwner, true}},
		{"nested team", "*.go @org/team/sub", problemAt{0, 15, KindInvalidOwner, true}},
		{"e-mail without domain", "*.go a@", problemAt{0, 8, KindInvalidOwner, true}},
		{"e-mail single-label domain", "*.go a@localhost", problemAt{0, 17, KindInvalidOwner, true}},
		{"e-mail with brackets", "*.go 1+dependabot[bot]@users.noreply.github.com", problemAt{0, 18, KindInvalidOwner, true}},
		{"e-mail double dot", "*.go a..b@x.example", problemAt{0, 8, KindInvalidOwner, true}},
		{"bad owner after good ones", "*.go @a @b c", problemAt{0, 12, KindInvalidOwner, true}},
		{"non-ASCII before the problem", "/é/[x] @a", problemAt{0, 4, KindInvalidPattern, true}},
		{"invalid UTF-8 in pattern", "/a\xffb @a", problemAt{0, 3, KindInvalidPattern, true}},
		{"invalid UTF-8 in owner", "/a @b\xff", problemAt{0, 6, KindInvalidOwner, true}},
		// The whole line must be UTF-8, its comment included.
		{"invalid UTF-8 in a comment", "/a @b # \xff", problemAt{0, 9, KindInvalidOwner, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Line 1 and 4 are good; line 2 is a comment; the bad line is 3.
			file := "* @default\n# comment\n" + tt.line + "\n/ok @ok\n"
			rs := Parse([]byte(file))
			want := tt.want
			want.Line = 3
			if diff := cmp.Diff([]problemAt{want}, summarize(rs.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(rs.Problems) == 1 {
				p := rs.Problems[0]
				if p.Source != tt.line || p.Message == "" {
					t.Errorf("problem source %q message %q, want the line and a message", p.Source, p.Message)
				}
			}
			// The bad line is skipped; the good ones around it still count.
			var lines []int
			for _, r := range rs.Rules {
				lines = append(lines, r.Line)
			}
			if diff := cmp.Diff([]int{1, 4}, lines); diff != "" {
				t.Errorf("rule lines (-want +got):\n%s", diff)
			}
			if got := rs.Owners("ok"); len(got) != 1 || got[0].Name != "@ok" {
				t.Errorf("owners of ok = %v, want [@ok]", got)
			}
		})
	}
}

// TestProblemsEveryLine checks that every bad line of a file is reported,
// not just the first, in line order.
func TestProblemsEveryLine(t *testing.T) {
	file := strings.Join([]string{
		"!a @x",       // 1
		"* @ok",       // 2
		"[b] @x",      // 3
		"",            // 4
		"c nobody",    // 5
		"\\#d @x",     // 6
		"/e @x # f g", // 7: good
		"@team @x",    // 8
	}, "\r\n")
	rs := Parse([]byte(file))
	want := []problemAt{
		{1, 1, KindInvalidPattern, true},
		{3, 1, KindInvalidPattern, true},
		{5, 3, KindInvalidOwner, true},
		{6, 1, KindInvalidPattern, true},
		{8, 1, KindInvalidPattern, true},
	}
	if diff := cmp.Diff(want, summarize(rs.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(rs.Rules) != 2 || rs.Rules[0].Line != 2 || rs.Rules[1].Line != 7 {
		t.Errorf("rules %+v, want lines 2 and 7", rs.Rules)
	}
}

func TestProblemString(t *testing.T) {
	rs := Parse([]byte("*.go owner\n"))
	got := rs.Problems[0].String()
	want := `line 1, column 6: Invalid owner: "owner" is not a valid owner; GitHub skips the whole line (write @owner for a GitHub user, or @org/owner for a team)`
	if got != want {
		t.Errorf("String() = %q\nwant        %q", got, want)
	}
}

// TestRuleFields pins what a rule records about its line.
func TestRuleFields(t *testing.T) {
	rs := Parse([]byte("\n  /docs/\\ x/  @a  b@c.example\t@org/t # note\n"))
	want := []Rule{{
		Line: 2, Column: 3, Pattern: `/docs/\ x/`,
		Owners: []Owner{{"@a", User, 15}, {"b@c.example", Email, 19}, {"@org/t", Team, 31}},
		Source: "  /docs/\\ x/  @a  b@c.example\t@org/t # note",
	}}
	if diff := cmp.Diff(want, rs.Rules, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".pat"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"@a", "b@c.example", "@org/t"}, rs.Rules[0].OwnerNames()); diff != "" {
		t.Errorf("OwnerNames (-want +got):\n%s", diff)
	}
	for kind, want := range map[OwnerKind]string{User: "user", Team: "team", Email: "email", 0: "unknown"} {
		if got := kind.String(); got != want {
			t.Errorf("OwnerKind(%d).String() = %q, want %q", kind, got, want)
		}
	}
	if got := rs.Rules[0].Owners[0].String(); got != "@a" {
		t.Errorf("Owner.String() = %q", got)
	}
}
