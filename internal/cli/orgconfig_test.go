package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --org-config judges a checkout as the App judges the organization's
// repositories: the organization's file under the repository's own.
func TestCheckUnderAnOrganizationConfig(t *testing.T) {
	dir := t.TempDir()
	org := filepath.Join(dir, "ownerbot.yaml")
	if err := os.WriteFile(org, []byte("version: 1\nrules: {codeowners.unowned: error, runbook.overdue: off}\nlocked: [rules]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	severities := func(args ...string) map[string]string {
		got := run(t, "", append([]string{"check", "--repo", example, "--format", "json", "--now", today, "--fail-on", "never"}, args...)...)
		if got.code != ExitOK {
			t.Fatalf("exit %d: %s", got.code, got.stderr)
		}
		var out struct {
			Findings []struct{ Rule, Severity string }
		}
		if err := json.Unmarshal([]byte(got.stdout), &out); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, f := range out.Findings {
			m[f.Rule] = f.Severity
		}
		return m
	}
	without, with := severities(), severities("--org-config", org)
	if without["codeowners.unowned"] != "warning" || with["codeowners.unowned"] != "error" {
		t.Errorf("codeowners.unowned: %q without the organization's file, %q with it; want warning, then error", without["codeowners.unowned"], with["codeowners.unowned"])
	}
	if without["runbook.overdue"] == "" || with["runbook.overdue"] != "" {
		t.Errorf("runbook.overdue: %q without, %q with; the organization turned it off", without["runbook.overdue"], with["runbook.overdue"])
	}

	explain := run(t, "", "explain", "--repo", example, "--now", today, "--org-config", org, "services/payments/")
	if explain.code != ExitOK {
		t.Errorf("explain with --org-config: exit %d: %s", explain.code, explain.stderr)
	}
}

func TestOrgConfigMistakesAreUsageErrors(t *testing.T) {
	org := filepath.Join(t.TempDir(), "ownerbot.yaml")
	if err := os.WriteFile(org, []byte("version: 1\nmode: strict\nlocked: [colour]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := run(t, "", "check", "--repo", example, "--org-config", org)
	if got.code != ExitUsage {
		t.Fatalf("exit %d, want %d", got.code, ExitUsage)
	}
	for _, want := range []string{org + ":2:7: mode must be one of", org + ":3:10: \"colour\" is not a setting"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
		}
	}
	if got := run(t, "", "check", "--repo", example, "--org-config", org+".missing"); got.code != ExitUsage || !strings.Contains(got.stderr, "no such file") {
		t.Errorf("a missing file: exit %d, %s", got.code, got.stderr)
	}
}
