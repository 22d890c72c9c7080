package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCodeownersGenerate(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/ownerbot.yaml": "version: 1\ncodeowners: {mode: generated}\n",
		"OWNERS.yaml":           rootOwners,
		"svc/OWNERS.yaml":       "version: 1\nowner: \"@acme/svc\"\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"svc/main.go":           "",
		".github/CODEOWNERS":    "* @acme/hand-edited\n",
		"docs/readme.md":        "",
	})
	// Generated mode: a hand-edited CODEOWNERS is drift.
	got := run(t, "", "check", "--repo", dir, "--now", today)
	if got.code != ExitFindings || !strings.Contains(got.stdout, "CODEOWNERS differs from what the OWNERS.yaml files generate (first difference on line 1) [codeowners.drift]") {
		t.Fatalf("exit %d:\n%s", got.code, got.stdout)
	}
	if got := run(t, "", "codeowners", "generate", "--repo", dir, "--check"); got.code != ExitFindings || !strings.Contains(got.stdout, "is not what the OWNERS.yaml files generate") {
		t.Errorf("--check on a stale file: exit %d, %q", got.code, got.stdout)
	}
	if got := run(t, "", "codeowners", "generate", "--repo", dir); got.code != ExitOK || got.stdout != "wrote .github/CODEOWNERS (2 units)\n" {
		t.Fatalf("generate: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
	body, err := os.ReadFile(filepath.Join(dir, ".github", "CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(body), "\n*      @acme/all\n/svc/  @acme/svc\n") {
		t.Errorf("generated:\n%s", body)
	}
	if got := run(t, "", "codeowners", "generate", "--repo", dir, "--check"); got.code != ExitOK || got.stdout != ".github/CODEOWNERS is up to date (2 units)\n" {
		t.Errorf("--check after generating: exit %d, %q", got.code, got.stdout)
	}
	if got := run(t, "", "check", "--repo", dir, "--now", today, "--fail-on", "warning"); got.code != ExitOK {
		t.Errorf("check after generating: exit %d\n%s", got.code, got.stdout)
	}
}

func TestCodeownersGenerateErrors(t *testing.T) {
	empty := repo(t, map[string]string{"a.go": ""})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"codeowners"}, "the only subcommand is generate"},
		{[]string{"codeowners", "regenerate"}, "the only subcommand is generate"},
		{[]string{"codeowners", "generate", "--repo", empty}, "no OWNERS.yaml at the root"},
	} {
		got := run(t, "", tt.args...)
		if got.code != ExitUsage || !strings.Contains(got.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, got.code, got.stderr)
		}
	}
}
