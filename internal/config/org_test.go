package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// OrgExample is an organization's file that makes most settings and locks
// two; the schema tests (package config_test) try it too.
const OrgExample = `version: 1
mode: enforce
rules:
  runbook.overdue: error
  codeowners.unowned: off
exceptions:
  max_duration: 60d
  rules:
    runbook.missing: {approvers: ["@acme/sre"]}
ignore: ["/vendor/"]
issues: {labels: [governance], reminders: [5d]}
locked: [mode, exceptions]
`

func TestOrgDefaultsApplyWithoutARepositoryFile(t *testing.T) {
	org, problems := ParseOrg([]byte(OrgExample), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if diff := cmp.Diff([]string{"exceptions", "mode"}, org.Locked); diff != "" {
		t.Errorf("locked (-want +got):\n%s", diff)
	}
	want := Default()
	want.Mode = Enforce
	want.Severities = map[string]string{"runbook.overdue": "error", "codeowners.unowned": Off}
	want.Exceptions.MaxDuration = strictyaml.Duration{Days: 60}
	want.Exceptions.Rules = map[string]ExceptionRule{"runbook.missing": {Approvers: []string{"@acme/sre"}}}
	want.Ignore = []string{"/vendor/"}
	want.Issues.Labels = []string{"governance"}
	want.Issues.Reminders = []strictyaml.Duration{{Days: 5}}
	want.Configured = true // the organization's file configures its repositories
	if diff := cmp.Diff(want, org.Defaults()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// A repository's file changes the settings it makes, one at a time: the
// organization's others stand, rules merge by id, ignore patterns add up.
func TestRepositoryFileAppliesOverTheOrganization(t *testing.T) {
	org, problems := ParseOrg([]byte(OrgExample), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got, problems := org.Parse([]byte(`version: 1
rules:
  codeowners.unowned: warning
  runbook.invalid: error
ignore: ["/test/fixtures/"]
issues: {quiet_days: [sunday]}
reviews: {sla: 5d}
`), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := org.Defaults()
	want.Severities = map[string]string{"runbook.overdue": "error", "codeowners.unowned": "warning", "runbook.invalid": "error"}
	want.Ignore = []string{"/vendor/", "/test/fixtures/"}
	want.Issues.QuietDays = []time.Weekday{time.Sunday}
	want.Reviews.SLA = strictyaml.Duration{Days: 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The organization's configuration is not changed by a repository's.
	if again := org.Defaults(); again.Severities["codeowners.unowned"] != Off || len(again.Ignore) != 1 || len(again.Issues.QuietDays) != 2 {
		t.Errorf("parsing a repository file changed the organization's: %+v", again)
	}
}

func TestLockedSettingsAreReportedAndIgnored(t *testing.T) {
	org, _ := ParseOrg([]byte(OrgExample), known)
	got, problems := org.Parse([]byte("version: 1\nmode: observe\nexceptions: {max_duration: 365d}\nreviews: {sla: 1d}\n"), known)
	if got.Mode != Enforce || got.Exceptions.MaxDuration.Days != 60 {
		t.Errorf("a locked setting was applied: mode %s, max_duration %v", got.Mode, got.Exceptions.MaxDuration)
	}
	if got.Reviews.SLA.Days != 1 {
		t.Errorf("an unlocked setting was not applied: sla %v", got.Reviews.SLA)
	}
	if len(problems) != 2 {
		t.Fatalf("problems = %v, want one per locked setting", problems)
	}
	for i, want := range []struct{ line, col int }{{2, 7}, {3, 13}} {
		p := problems[i]
		if p.Line != want.line || p.Column != want.col || !strings.Contains(p.Message, "locked by the organization's .github/ownerbot.yaml") {
			t.Errorf("problem %d = %v, want at %d:%d saying the setting is locked", i, p, want.line, want.col)
		}
	}
}

func TestLockAll(t *testing.T) {
	org, problems := ParseOrg([]byte("version: 1\nmode: enforce\nlocked: [all]\n"), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if !cmp.Equal(org.Locked, []string{"codeowners", "enforce_from", "exceptions", "ignore", "issues", "mode", "reviews", "rules", "runbooks", "units"}) {
		t.Errorf("locked = %v", org.Locked)
	}
	got, problems := org.Parse([]byte("version: 1\nrules: {runbook.overdue: off}\n"), known)
	if len(problems) != 1 || len(got.Severities) != 0 {
		t.Errorf("with everything locked, a repository changed a rule: %v, %v", got.Severities, problems)
	}
}

func TestParseOrgProblems(t *testing.T) {
	org, problems := ParseOrg([]byte("version: 1\nmode: strict\nlocked: [mode, colour, version]\nreviews: {sla: 2d}\n"), known)
	want := []string{
		`2:7: mode must be one of observe, warn, enforce, not "strict"`,
		`3:16: "colour" is not a setting a repository can set: lock one of codeowners, enforce_from, exceptions, ignore, issues, mode, reviews, rules, runbooks, units, or all`,
		`3:24: "version" is not a setting a repository can set: lock one of codeowners, enforce_from, exceptions, ignore, issues, mode, reviews, rules, runbooks, units, or all`,
	}
	if diff := cmp.Diff(want, messages(problems)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The rest of the file still applies.
	if org.Config.Reviews.SLA.Days != 2 || !cmp.Equal(org.Locked, []string{"mode"}) {
		t.Errorf("org = %+v", org)
	}
	// `locked` belongs to the organization's file only.
	if _, problems := Parse([]byte("version: 1\nlocked: [mode]\n"), known); len(problems) != 1 || !strings.Contains(problems[0].Message, `unknown key "locked"`) {
		t.Errorf("a repository file with locked: %v", problems)
	}
}

func TestNilOrgIsTheDefaults(t *testing.T) {
	var org *Org
	if diff := cmp.Diff(Default(), org.Defaults()); diff != "" {
		t.Error(diff)
	}
	got, _ := org.Parse([]byte("version: 1\nmode: enforce\n"), known)
	if got.Mode != Enforce {
		t.Errorf("mode = %s", got.Mode)
	}
}
