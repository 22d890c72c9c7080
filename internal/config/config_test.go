package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

func known(id string) bool { return strings.Contains(id, ".") && !strings.HasPrefix(id, "nope.") }

// messages returns the problems as "line:column: message".
func messages(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.String())
	}
	return out
}

func TestParse(t *testing.T) {
	c, problems := Parse([]byte(`version: 1
mode: enforce
enforce_from: "2027-01-01"
rules:
  runbook.overdue: error
  codeowners.unowned: off
runbooks: {required_tiers: [1]}
exceptions:
  max_duration: 60d
  rules:
    runbook.missing: {approvers: ["@acme/sre"], max_duration: 180d}
codeowners: {mode: generated}
ignore: ["/examples/", "vendor/**"]
`), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := Config{
		Mode: Enforce, EnforceFrom: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Severities: map[string]string{"runbook.overdue": "error", "codeowners.unowned": Off},
		Runbooks:   Runbooks{RequiredTiers: []int{1}},
		Exceptions: Exceptions{MaxDuration: strictyaml.Duration{Days: 60}, Rules: map[string]ExceptionRule{
			"runbook.missing": {Approvers: []string{"@acme/sre"}, MaxDuration: strictyaml.Duration{Days: 180}},
		}},
		CODEOWNERS: Generated,
		Ignore:     []string{"/examples/", "vendor/**"},
		Issues:     Default().Issues,
		Reviews:    Default().Reviews,
		Units:      Default().Units,
		Configured: true,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.MaxDuration("runbook.missing").Days != 180 || c.MaxDuration("runbook.overdue").Days != 60 {
		t.Error("MaxDuration ignores the per-rule override or the default")
	}
	if c.Enforcing(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) || !c.Enforcing(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("enforce_from is not honoured to the day")
	}
}

func TestDefaultsOnlyWarn(t *testing.T) {
	c, problems := Parse(nil, known)
	if len(problems) > 0 || c.Mode != Warn || c.Enforcing(time.Now()) || c.CODEOWNERS != Manual ||
		!cmp.Equal(c.Runbooks.RequiredTiers, []int{1, 2}) || c.Exceptions.MaxDuration.Days != 90 {
		t.Errorf("defaults = %+v, %v", c, problems)
	}
}

func TestParseProblems(t *testing.T) {
	c, problems := Parse([]byte("mode: strict\nrules:\n  nope.rule: error\n  runbook.overdue: fatal\nrunbooks: {required_tiers: [4]}\ncolour: red\nignore: [\"!x\", \"ok/\"]\n"), known)
	want := []string{
		`1:7: mode must be one of observe, warn, enforce, not "strict"`,
		`3:3: unknown rule "nope.rule"`,
		`4:20: the severity of runbook.overdue must be one of error, warning, info, off, not "fatal"`,
		`5:29: tiers are 1, 2 or 3, not 4`,
		`6:1: unknown key "colour" in .github/ownerbot.yaml (known keys: codeowners, enforce_from, exceptions, ignore, issues, mode, reviews, rules, runbooks, units, version)`,
		"7:10: ignore pattern \"!x\": negation with `!` is not supported in CODEOWNERS",
	}
	if diff := cmp.Diff(want, messages(problems)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.Mode != Warn {
		t.Errorf("a bad mode keeps the safe default, got %q", c.Mode)
	}
	if !cmp.Equal(c.Ignore, []string{"ok/"}) {
		t.Errorf("the valid ignore pattern survives: %v", c.Ignore)
	}
}

func TestParseIssues(t *testing.T) {
	c, problems := Parse([]byte(`issues:
  labels: [governance, ownership]
  reminders: [3d, 1w]
  quiet_days: [Friday, saturday]
  group_by: team
  min_severity: error
reviews: {sla: 5d}
`), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := Issues{
		Enabled: true, Labels: []string{"governance", "ownership"},
		Reminders: []strictyaml.Duration{{Days: 3}, {Days: 7}},
		QuietDays: []time.Weekday{time.Friday, time.Saturday}, GroupBy: Team, MinSeverity: "error",
	}
	if diff := cmp.Diff(want, c.Issues); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.Reviews.SLA.Days != 5 {
		t.Errorf("reviews.sla = %v", c.Reviews.SLA)
	}
	friday := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if !c.Issues.Quiet(friday) || c.Issues.Quiet(friday.AddDate(0, 0, 2)) {
		t.Error("Quiet does not follow quiet_days")
	}
}

func TestIssueDefaults(t *testing.T) {
	c, _ := Parse(nil, known)
	is := c.Issues
	if !is.Enabled || !cmp.Equal(is.Labels, []string{"ownerbot"}) || len(is.Reminders) != 3 || is.Reminders[2].Days != 28 ||
		is.GroupBy != Unit || is.MinSeverity != "warning" || c.Reviews.SLA.Days != 3 {
		t.Errorf("defaults = %+v, %+v", is, c.Reviews)
	}
	sunday := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	if !is.Quiet(sunday) || is.Quiet(sunday.AddDate(0, 0, 1)) {
		t.Error("weekends are not quiet by default")
	}
}

func TestParseIssueProblems(t *testing.T) {
	_, problems := Parse([]byte(`issues:
  labels: ["a,b"]
  reminders: [0d]
  quiet_days: [someday]
  group_by: person
reviews: {sla: 0d}
`), known)
	want := []string{
		`2:12: label "a,b" has a comma, which GitHub's label filter cannot search for`,
		`3:15: a reminder wait: duration "0d" must be between 1 day and 10 years`,
		`4:16: "someday" is not a weekday (monday … sunday)`,
		`5:13: issues.group_by must be one of unit, team, not "person"`,
		`6:16: reviews.sla: duration "0d" must be between 1 day and 10 years`,
	}
	if diff := cmp.Diff(want, messages(problems)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
