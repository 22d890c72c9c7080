package runbook

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

func date(s string) time.Time {
	t, err := time.Parse(strictyaml.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		data string
		want *Runbook
	}{
		{
			name: "all keys",
			data: "---\nowner: \"@acme/payments\"\nlast_reviewed: \"2026-10-01\"\nreview_interval: 90d\n---\n# Payments\n",
			want: &Runbook{Owner: "@acme/payments", LastReviewed: date("2026-10-01"), Interval: strictyaml.Duration{Days: 90},
				Lines: map[string]int{"owner": 2, "last_reviewed": 3, "review_interval": 4}, Anchors: []string{"payments"}},
		},
		{
			name: "only last_reviewed; a user as owner is fine elsewhere",
			data: "---\nlast_reviewed: \"2026-01-31\"\n---\n",
			want: &Runbook{LastReviewed: date("2026-01-31"), Lines: map[string]int{"last_reviewed": 2}},
		},
		{
			name: "weeks, a user owner, and the keys of a docs generator are ignored",
			data: "---\ntitle: Failover\ntags: [db, \"2026-01-01\", {deep: [1, 2]}]\nOwner_Name: someone\nowner: \"@alice\"\nlast_reviewed: \"2026-02-28\"\nreview_interval: 2w\nsidebar: {position: 3}\n---\n",
			want: &Runbook{Owner: "@alice", LastReviewed: date("2026-02-28"), Interval: strictyaml.Duration{Days: 14},
				Lines: map[string]int{"owner": 5, "last_reviewed": 6, "review_interval": 7}},
		},
		{
			name: "CRLF, a BOM, `...` closes, trailing blanks on the delimiters",
			data: "\uFEFF--- \r\nowner: \"@acme/db\"\r\nlast_reviewed: \"2026-03-01\"\r\n...\t\r\n# Title\r\n[x](y.md)\r\n",
			want: &Runbook{Owner: "@acme/db", LastReviewed: date("2026-03-01"),
				Lines: map[string]int{"owner": 2, "last_reviewed": 3}, Anchors: []string{"title"},
				Links: []Link{{Line: 6, Column: 5, Target: "y.md"}}},
		},
		{
			name: "a lone CR ends lines too",
			data: "---\rlast_reviewed: \"2026-03-01\"\r---\r[x](y.md)",
			want: &Runbook{LastReviewed: date("2026-03-01"), Lines: map[string]int{"last_reviewed": 2},
				Links: []Link{{Line: 4, Column: 5, Target: "y.md"}}},
		},
		{
			name: "a `---` line in the body is a thematic break, not more front matter",
			data: "---\nlast_reviewed: \"2026-03-01\"\n---\nintro\n\n---\n\n[x](y.md)\n",
			want: &Runbook{LastReviewed: date("2026-03-01"), Lines: map[string]int{"last_reviewed": 2},
				Links: []Link{{Line: 8, Column: 5, Target: "y.md"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := Parse("ops/runbooks/x.md", []byte(tt.data))
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			tt.want.Path = "ops/runbooks/x.md"
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Runbook{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// problem is the part of a Problem the tables compare; Path is always the
// one given to Parse.
type problem struct {
	Line, Column int
	Message      string
}

func problemsOf(ps []Problem) []problem {
	var out []problem
	for _, p := range ps {
		out = append(out, problem{p.Line, p.Column, p.Message})
	}
	return out
}

const help = "start the file with a line `---`, then `last_reviewed: \"YYYY-MM-DD\"` (and optionally owner and review_interval), then a line `---`"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []problem
	}{
		{"empty file", "", []problem{{1, 1, "the runbook has no front matter: " + help}}},
		{"no front matter", "# Failover\n\nSteps.\n", []problem{{1, 1, "the runbook has no front matter: " + help}}},
		{"front matter not on the first line", "\n\n---\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{
			{3, 1, "the front matter must start on the first line of the file, not on line 3"}}},
		{"front matter never closes", "---\nlast_reviewed: \"2026-01-01\"\n# Title\n", []problem{
			{1, 1, "the front matter that starts here never ends: add a line `---` after its last key"}}},
		{"empty front matter", "---\n---\n", []problem{
			{1, 1, "the front matter is empty: it needs at least `last_reviewed: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook"}}},
		{"missing last_reviewed", "---\ntitle: x\nowner: \"@acme/a\"\n---\n", []problem{
			{2, 1, "last_reviewed is required: add `last_reviewed: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook"}}},
		{"unquoted date", "---\nlast_reviewed: 2026-10-01\n---\n", []problem{
			{2, 16, "last_reviewed must be quoted (\"2026-10-01\"): unquoted, YAML reads a date as a timestamp"}}},
		{"not a date", "---\nlast_reviewed: \"last week\"\n---\n", []problem{
			{2, 16, "last_reviewed must be a date written YYYY-MM-DD, not \"last week\""}}},
		{"impossible date", "---\nlast_reviewed: \"2026-02-30\"\n---\n", []problem{
			{2, 16, "last_reviewed must be a date written YYYY-MM-DD, not \"2026-02-30\""}}},
		{"bad interval", "---\nlast_reviewed: \"2026-01-01\"\nreview_interval: 3 months\n---\n", []problem{
			{3, 18, "review_interval: durations are written <n>d or <n>w (such as 90d or 2w), not \"3 months\""}}},
		{"interval as a number", "---\nlast_reviewed: \"2026-01-01\"\nreview_interval: 90\n---\n", []problem{
			{3, 18, "review_interval must be text, not a number"}}},
		{"owner without @", "---\nowner: payments\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{
			{2, 8, "owner \"payments\" is not a GitHub @user or @org/team"}}},
		{"owner as e-mail", "---\nowner: pay@acme.example\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{
			{2, 8, "owner \"pay@acme.example\" is an e-mail address; name a GitHub @user or @org/team"}}},
		{"owner empty", "---\nowner: \"\"\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{{2, 8, "owner must not be empty"}}},
		{"owner as a list", "---\nowner: [\"@a\"]\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{{2, 8, "owner must be text, not a list"}}},
		{"key twice", "---\nlast_reviewed: \"2026-01-01\"\nlast_reviewed: \"2026-02-01\"\n---\n", []problem{
			{3, 1, "key \"last_reviewed\" appears twice in the front matter"}}},
		{"typo of an absent key", "---\nlast_reviewd: \"2026-01-01\"\n---\n", []problem{
			{2, 1, "unknown key \"last_reviewd\" in the front matter (did you mean \"last_reviewed\"?)"},
			{2, 1, "last_reviewed is required: add `last_reviewed: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook"}}},
		{"not a mapping", "---\n- last_reviewed\n---\n", []problem{{2, 1, "the front matter must be a mapping of keys to values, not a list"}}},
		{"YAML syntax", "---\nlast_reviewed: \"2026-01-01\nowner: [\n---\n", []problem{{4, 1, "YAML syntax: found unexpected end of stream"}}},
		{"anchors refused", "---\nlast_reviewed: &d \"2026-01-01\"\n---\n", []problem{{2, 16, "anchors (&d) are not allowed; write the value out"}}},
		{"a second document", "---\nlast_reviewed: \"2026-01-01\"\n--- x\n---\n", []problem{{3, 1, "only one YAML document is allowed; remove the `---` that starts a second one"}}},
		{"invalid UTF-8 in the body", "---\nlast_reviewed: \"2026-01-01\"\n---\ncafé \xe9t\xe9\n", []problem{
			{4, 6, "the file is not valid UTF-8 (the first bad byte is here); save it as UTF-8"}}},
		{"invalid UTF-8 in the front matter: reported once, the rest read", "---\ntitle: \"\xff\"\nowner: x\nlast_reviewed: \"2026-01-01\"\n---\n", []problem{
			{2, 9, "the file is not valid UTF-8 (the first bad byte is here); save it as UTF-8"},
			{3, 8, "owner \"x\" is not a GitHub @user or @org/team"}}},
		{"NUL byte", "---\nlast_reviewed: \"2026-01-01\"\n---\nab\x00c\n", []problem{
			{4, 3, "the file holds a NUL byte, so GitHub shows it as binary, not as a page"}}},
		{"several problems, all reported", "---\nowner: x\nlast_reviewed: 2026-01-01\nreview_interval: 0d\n---\n", []problem{
			{2, 8, "owner \"x\" is not a GitHub @user or @org/team"},
			{3, 16, "last_reviewed must be quoted (\"2026-01-01\"): unquoted, YAML reads a date as a timestamp"},
			{4, 18, "review_interval: duration \"0d\" must be between 1 day and 10 years"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("x.md", []byte(tt.data))
			if diff := cmp.Diff(tt.want, problemsOf(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range problems {
				if p.Path != "x.md" {
					t.Errorf("problem path = %q", p.Path)
				}
			}
			if got := r.Status(date("2026-01-02"), strictyaml.Duration{Days: 90}).State; got != Invalid {
				t.Errorf("state = %s, want invalid", got)
			}
		})
	}
}

func TestParseKeepsWhatIsRight(t *testing.T) {
	r, problems := Parse("a/b.md", []byte("---\nowner: \"@acme/a\"\nlast_reviewed: 2026-01-01\nreview_interval: 4w\n---\nSee [x](c.md).\n"))
	if len(problems) != 1 {
		t.Fatalf("want one problem, got %v", problems)
	}
	want := &Runbook{Path: "a/b.md", Owner: "@acme/a", Interval: strictyaml.Duration{Days: 28},
		Lines: map[string]int{"owner": 2, "last_reviewed": 3, "review_interval": 4},
		Links: []Link{{Line: 6, Column: 9, Target: "c.md"}}}
	if diff := cmp.Diff(want, r, cmpopts.IgnoreUnexported(Runbook{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got, want := problems[0].Error(), "a/b.md:3:16: last_reviewed must be quoted (\"2026-01-01\"): unquoted, YAML reads a date as a timestamp"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLastCommitContext(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		missing     bool
		wantMessage string
	}{
		{"no front matter", "# Steps\n", true,
			"the runbook has no front matter: " + help + " (the last commit to touch the file is from 2026-08-01, but an edit is not a review)"},
		{"no last_reviewed", "---\nowner: \"@a\"\n---\n", true,
			"last_reviewed is required: add `last_reviewed: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook (the last commit to touch the file is from 2026-08-01, but an edit is not a review)"},
		{"a bad last_reviewed is not a missing one", "---\nlast_reviewed: \"soon\"\n---\n", false,
			"last_reviewed must be a date written YYYY-MM-DD, not \"soon\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("x.md", []byte(tt.data))
			if r.MissingLastReviewed() != tt.missing {
				t.Errorf("MissingLastReviewed() = %v", !tt.missing)
			}
			// The caller looks the commit up only now; Parse's answer stays as it was.
			r.LastCommit = time.Date(2026, 8, 1, 23, 30, 0, 0, time.UTC)
			if diff := cmp.Diff(tt.wantMessage, r.Problems()[0].Message); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if problems[0].Message == r.Problems()[0].Message && tt.missing {
				t.Error("Parse's problems changed after the fact")
			}
			st := r.Status(date("2026-08-02"), strictyaml.Duration{Days: 90})
			if diff := cmp.Diff(Status{State: Invalid, Reason: tt.wantMessage}, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}
