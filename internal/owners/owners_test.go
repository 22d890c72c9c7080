package owners

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

const full = `version: 1
owner: "@acme/payments"
approvers: ["@acme/payments", "@alice"]
inherit: false
tier: 1
lifecycle: production
contact: {slack: "#payments", email: "payments@acme.example"}
oncall: {provider: pagerduty, url: "https://acme.pagerduty.example/services/P123"}
escalation:
  - {after: 14d, to: parent}
  - {after: 4w, to: "@acme/governance"}
runbooks: ["runbooks/*.md"]
review: {interval: 90d, last_reviewed: "2026-09-01"}
agreements:
  - {with: "@acme/platform-db", topic: "Postgres failover", doc: "docs/db-raci.md"}
`

func TestParseFull(t *testing.T) {
	f, problems := Parse("services/payments/OWNERS.yaml", []byte(full))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	no := false
	want := &File{
		Path: "services/payments/OWNERS.yaml", Dir: "services/payments", Source: SourceOwnersYAML,
		Version: 1, Owner: "@acme/payments", Approvers: []string{"@acme/payments", "@alice"}, Inherit: &no,
		Tier: 1, Lifecycle: Production,
		Contact:    Contact{Slack: "#payments", Email: "payments@acme.example"},
		Oncall:     Oncall{Provider: "pagerduty", URL: "https://acme.pagerduty.example/services/P123"},
		Escalation: []Escalation{{strictyaml.Duration{Days: 14}, Parent}, {strictyaml.Duration{Days: 28}, "@acme/governance"}},
		Runbooks:   []string{"runbooks/*.md"},
		Review:     Review{Interval: strictyaml.Duration{Days: 90}, LastReviewed: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		Agreements: []Agreement{{With: "@acme/platform-db", Topic: "Postgres failover", Doc: "docs/db-raci.md"}},
		Handles: []Handle{
			{"@acme/payments", "owner", "services/payments/OWNERS.yaml", 2, 8}, {"@acme/payments", "approvers", "services/payments/OWNERS.yaml", 3, 13},
			{"@alice", "approvers", "services/payments/OWNERS.yaml", 3, 31}, {"@acme/governance", "escalation.to", "services/payments/OWNERS.yaml", 11, 21},
		},
	}
	if diff := cmp.Diff(want, f, cmpopts.IgnoreFields(File{}, "Lines"), cmpopts.IgnoreUnexported(File{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if f.Lines["review.last_reviewed"] != 13 || f.Lines["owner"] != 2 {
		t.Errorf("lines = %v", f.Lines)
	}
}

// problem is the part of a Problem the table compares.
type problem struct {
	Line, Column int
	Contains     string
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []problem
	}{
		{"empty file", "", []problem{{0, 0, "the file is empty"}}},
		{"missing version", "owner: \"@a\"\n", []problem{{1, 1, "version is required"}}},
		{"unsupported version", "version: 2\n", []problem{{1, 10, "version 2 is not supported"}}},
		{"unknown key with suggestion", "version: 1\nownr: \"@a\"\n", []problem{{2, 1, `unknown key "ownr" in OWNERS.yaml (did you mean "owner"?)`}}},
		{"duplicate key", "version: 1\ntier: 1\ntier: 2\n", []problem{{3, 1, `key "tier" appears twice`}}},
		{"wrong type", "version: 1\ntier: high\n", []problem{{2, 7, `tier must be a whole number, not the text "high"`}}},
		{"tier out of range", "version: 1\ntier: 4\n", []problem{{2, 7, "tier must be 1, 2 or 3, not 4"}}},
		{"unknown lifecycle", "version: 1\nlifecycle: live\n", []problem{{2, 12, `lifecycle must be one of experimental, production, deprecated, not "live"`}}},
		{"owner without @", "version: 1\nowner: payments\n", []problem{{2, 8, `owner "payments" is not a GitHub @user or @org/team`}}},
		{"owner as e-mail", "version: 1\nowner: a@acme.example\n", []problem{{2, 8, "is an e-mail address"}}},
		{"unquoted date", "version: 1\nreview: {last_reviewed: 2026-09-01}\n", []problem{{2, 25, "review.last_reviewed must be quoted"}}},
		{"not a date", "version: 1\nreview: {last_reviewed: \"next week\"}\n", []problem{{2, 25, `must be a date written YYYY-MM-DD, not "next week"`}}},
		{"bad duration", "version: 1\nreview: {interval: 3 months}\n", []problem{{2, 20, "durations are written <n>d or <n>w"}}},
		{"zero duration", "version: 1\nreview: {interval: 0d}\n", []problem{{2, 20, "between 1 day and 10 years"}}},
		{"escalation out of order", "version: 1\nescalation:\n  - {after: 30d, to: parent}\n  - {after: 14d, to: \"@acme/gov\"}\n", []problem{{4, 13, "escalation steps must come later and later: 14d is not after"}}},
		{"escalation step incomplete", "version: 1\nescalation:\n  - {after: 30d}\n", []problem{{3, 5, "an escalation step needs `after`"}}},
		{"runbook glob leaves the unit", "version: 1\nrunbooks: [\"../other/*.md\"]\n", []problem{{2, 12, "leaves the unit"}}},
		{"absolute runbook glob", "version: 1\nrunbooks: [\"/docs/*.md\"]\n", []problem{{2, 12, "must be relative"}}},
		{"runbook glob GitHub would skip", "version: 1\nrunbooks: [\"[bad\", \"ok/*.md\"]\n", []problem{{2, 12, "not a CODEOWNERS-style pattern"}}},
		{"bad on-call URL", "version: 1\noncall: {url: \"pagerduty\"}\n", []problem{{2, 15, "must be an http or https address"}}},
		{"bad contact e-mail", "version: 1\ncontact: {email: \"nobody\"}\n", []problem{{2, 18, "is not an e-mail address"}}},
		{"agreement without topic", "version: 1\nagreements:\n  - {with: \"@acme/db\"}\n", []problem{{3, 5, "needs `with` (the other team) and `topic`"}}},
		{"anchors and aliases are refused, each at its position", "version: 1\nowner: &o \"@a\"\napprovers: [*o]\n", []problem{
			{2, 8, "anchors (&o) are not allowed"}, {3, 13, "aliases (*o) are not allowed"}}},
		{"not a mapping", "- version: 1\n", []problem{{1, 1, "OWNERS.yaml must be a mapping of keys to values, not a list"}, {1, 1, "version is required"}}},
		{"YAML syntax", "version: 1\nowner: [\n", []problem{{2, 1, "YAML syntax"}}},
		{"two documents", "version: 1\n---\nversion: 1\n", []problem{{2, 1, "only one YAML document"}}},
		{"several problems, all reported", "version: 1\ntier: 9\nlifecycle: live\nowner: x\n", []problem{
			{2, 7, "tier must be 1, 2 or 3"}, {3, 12, "lifecycle must be one of"}, {4, 8, `owner "x" is not`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Parse("OWNERS.yaml", []byte(tt.yaml))
			var got []problem
			for _, p := range problems {
				got = append(got, problem{p.Line, p.Column, p.Message})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d: %v", len(got), len(tt.want), problems)
			}
			for i := range got {
				if got[i].Line != tt.want[i].Line || got[i].Column != tt.want[i].Column || !strings.Contains(got[i].Contains, tt.want[i].Contains) {
					t.Errorf("problem %d = %d:%d %q, want %d:%d containing %q", i, got[i].Line, got[i].Column, got[i].Contains,
						tt.want[i].Line, tt.want[i].Column, tt.want[i].Contains)
				}
			}
		})
	}
}

func TestParseKeepsWhatIsRight(t *testing.T) {
	f, problems := Parse("a/OWNERS.yaml", []byte("version: 1\nowner: \"@acme/a\"\ntier: 7\nrunbooks: [\"ok.md\", \"../bad.md\"]\n"))
	if len(problems) != 2 {
		t.Fatalf("want 2 problems, got %v", problems)
	}
	if f.Owner != "@acme/a" || f.Tier != 0 || !cmp.Equal(f.Runbooks, []string{"ok.md"}) {
		t.Errorf("the valid fields should survive: %+v", f)
	}
	if got := problems[0].Error(); got != "a/OWNERS.yaml:3:7: tier must be 1, 2 or 3, not 7" {
		t.Errorf("Error() = %q", got)
	}
}

func TestUnits(t *testing.T) {
	parse := func(p, y string) *File {
		f, problems := Parse(p, []byte(y))
		if len(problems) > 0 {
			t.Fatalf("%s: %v", p, problems)
		}
		return f
	}
	files := []*File{
		parse("services/payments/api/OWNERS.yaml", "version: 1\napprovers: [\"@bob\"]\n"),
		parse("OWNERS.yaml", "version: 1\nowner: \"@acme/platform\"\ncontact: {slack: \"#platform\"}\nescalation: [{after: 30d, to: \"@acme/governance\"}]\n"),
		parse("services/payments/OWNERS.yaml", "version: 1\nowner: \"@acme/payments\"\ntier: 1\nreview: {interval: 30d}\n"),
		parse("services/legacy/OWNERS.yaml", "version: 1\nowner: \"@acme/legacy\"\ninherit: false\nlifecycle: deprecated\ntier: 3\n"),
	}
	tree := Build(files)
	var dirs []string
	for _, u := range tree.Units() {
		dirs = append(dirs, u.Name())
	}
	if diff := cmp.Diff([]string{"/", "services/legacy/", "services/payments/", "services/payments/api/"}, dirs); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	type eff struct {
		Owner, Lifecycle, Slack string
		Tier, Interval          int
		Approvers               []string
		Escalation              int
		Parent                  string
	}
	get := func(u *Unit) eff {
		parent := ""
		if u.Parent != nil {
			parent = u.Parent.Name()
		}
		return eff{u.Owner, u.Lifecycle, u.Contact.Slack, u.Tier, u.ReviewInterval.Days, u.Approvers, len(u.Escalation), parent}
	}
	tests := []struct {
		path string
		want eff
	}{
		{"README.md", eff{"@acme/platform", Production, "#platform", 2, 180, []string{"@acme/platform"}, 1, ""}},
		{"services/search/main.go", eff{"@acme/platform", Production, "#platform", 2, 180, []string{"@acme/platform"}, 1, ""}},
		{"services/payments/x.go", eff{"@acme/payments", Production, "#platform", 1, 30, []string{"@acme/payments", "@acme/platform"}, 1, "/"}},
		// Nearest unit wins; approvers add up the tree; the interval is inherited.
		{"services/payments/api/h.go", eff{"@acme/payments", Production, "#platform", 1, 30, []string{"@bob", "@acme/payments", "@acme/platform"}, 1, "services/payments/"}},
		// inherit: false cuts the approver chain; tier 3 sets its own default interval.
		{"services/legacy/job.sh", eff{"@acme/legacy", Deprecated, "#platform", 3, 365, []string{"@acme/legacy"}, 1, "/"}},
	}
	for _, tt := range tests {
		u := tree.UnitOf(tt.path)
		if u == nil {
			t.Fatalf("%s has no unit", tt.path)
		}
		if diff := cmp.Diff(tt.want, get(u)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.path, diff)
		}
	}
	if tree.Root() == nil || !tree.Root().Contains("anything/at/all") || tree.UnitOf("services/payments/api/x").Contains("services/search/y") {
		t.Error("Contains is wrong")
	}
}

func TestUnitsWithoutRoot(t *testing.T) {
	f, _ := Parse("a/OWNERS.yaml", []byte("version: 1\nowner: \"@x\"\n"))
	tree := Build([]*File{f})
	if tree.Root() != nil || tree.UnitOf("b/c.go") != nil || tree.UnitOf("a/b/c.go").Owner != "@x" {
		t.Error("a tree without a root OWNERS.yaml leaves other paths without a unit")
	}
}
