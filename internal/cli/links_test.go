package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// linkCanary is in the environment of every ownerbot run below, as the
// token is in an Action's: /proc/self/environ holds it.
const linkCanary = "ghs_CANARY5d1e0fLinkTargetMustNeverBeQuoted"

// linkedCheckout is a git checkout whose CODEOWNERS is a link to the
// process's environment, with a unit whose OWNERS.yaml is a link to
// /etc/passwd and a runbook-like file linked to a secret next to the
// checkout: the repository of issue 14, rows 2 and 3.
func linkedCheckout(t *testing.T) (dir, secretFile string) {
	t.Helper()
	base := t.TempDir()
	secretFile = filepath.Join(base, "secret.txt")
	if err := os.WriteFile(secretFile, []byte("* @"+linkCanary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir = gitRepo(t, filepath.Join(base, "repo"), map[string]string{
		"OWNERS.yaml":           rootOwners,
		"CODEOWNERS":            "* @acme/all\n", // GitHub's second location: used once the first is refused
		".github/ownerbot.yaml": configured,
		"pay/OWNERS.yaml":       "version: 1\nowner: \"@acme/pay\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/main.go":           "package main\n",
	})
	for name, target := range map[string]string{
		".github/CODEOWNERS": "/proc/self/environ",
		"evil/OWNERS.yaml":   "/etc/passwd",
		"notes.md":           "../secret.txt",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "--quiet", "-m", "Add links")
	return dir, secretFile
}

// forbiddenBytes are what must never appear in ownerbot's output: the
// canary of the environment and the secret file, and the first line of
// /etc/passwd.
func forbiddenBytes(t *testing.T) []string {
	t.Helper()
	out := []string{linkCanary}
	if data, err := os.ReadFile("/etc/passwd"); err == nil {
		if first, _, _ := strings.Cut(string(data), "\n"); first != "" {
			out = append(out, first)
		}
	}
	return out
}

// TestCheckNeverReadsThroughLinks runs the real binary on the checkout with
// the token in its environment, as the Action does, in every format: the
// links are findings naming them, nothing they point at is quoted, and the
// exit code follows --fail-on.
func TestCheckNeverReadsThroughLinks(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc/self/environ on this system: the link's target does not exist")
	}
	bin := buildOwnerbot(t)
	dir, _ := linkedCheckout(t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GITHUB_TOKEN=" + linkCanary,
		"OWNERBOT_CANARY=" + linkCanary, "OWNERBOT_OFFLINE=1"}
	forbidden := forbiddenBytes(t)
	for _, tt := range []struct {
		format, failOn string
		want           int
	}{
		{"sarif", "", ExitFindings},
		{"text", "", ExitFindings},
		{"json", "error", ExitFindings},
		{"markdown", "warning", ExitFindings},
		{"sarif", "never", ExitOK},
		{"text", "never", ExitOK},
	} {
		t.Run(tt.format+"/"+tt.failOn, func(t *testing.T) {
			args := []string{"check", "--repo", dir, "--format", tt.format, "--now", today}
			if tt.failOn != "" {
				args = append(args, "--fail-on", tt.failOn)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			switch {
			case errors.As(err, &exit):
				code = exit.ExitCode()
			case err != nil:
				t.Fatal(err)
			}
			out := stdout.String() + stderr.String()
			if code != tt.want {
				t.Errorf("exit %d, want %d:\n%s", code, tt.want, out)
			}
			for _, b := range forbidden {
				if strings.Contains(out, b) {
					t.Errorf("the output quotes what a link points at (%q):\n%s", b, out)
				}
			}
			for _, want := range []string{"link.outside_repository", ".github/CODEOWNERS", "evil/OWNERS.yaml", "notes.md"} {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
			// The rest was evaluated: the pay unit is there, owned by the root
			// CODEOWNERS.
			if tt.format == "json" && !strings.Contains(out, `"pay/"`) {
				t.Errorf("the pay unit is missing from the report:\n%s", out)
			}
		})
	}

	// As the Action runs it: the SARIF it uploads, the log and the job
	// summary.
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run the action's script")
	}
	r := runActionScript(t, bin, dir, map[string]string{"INPUT_PATH": ".", "GITHUB_TOKEN": linkCanary, "OWNERBOT_OFFLINE": "1"})
	if r.code != 1 {
		t.Errorf("the action exits %d, want 1", r.code)
	}
	for _, b := range forbidden {
		for what, text := range map[string]string{"log": r.stdout, "summary": r.summary, "SARIF": string(r.sarif)} {
			if strings.Contains(text, b) {
				t.Errorf("the %s quotes what a link points at (%q):\n%s", what, b, text)
			}
		}
	}
	if !strings.Contains(string(r.sarif), "link.outside_repository") {
		t.Errorf("the SARIF has no link finding:\n%s", r.sarif)
	}
}

// TestCheckLinksInProcess: the same checkout and a plain directory, through
// Main, for the formats people read; and owners and explain.
func TestCheckLinksInProcess(t *testing.T) {
	dir, secretFile := linkedCheckout(t)
	plain := repo(t, map[string]string{"OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured})
	if err := os.MkdirAll(filepath.Join(plain, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secretFile, filepath.Join(plain, ".github", "CODEOWNERS")); err != nil {
		t.Fatal(err)
	}
	forbidden := forbiddenBytes(t)
	check := func(t *testing.T, got result) {
		t.Helper()
		for _, b := range forbidden {
			if strings.Contains(got.stdout+got.stderr, b) {
				t.Errorf("the output quotes what a link points at (%q):\n%s%s", b, got.stdout, got.stderr)
			}
		}
	}
	for _, repoDir := range []string{dir, plain} {
		for _, format := range []string{"text", "json", "sarif", "markdown"} {
			got := run(t, "", "check", "--repo", repoDir, "--format", format, "--now", today)
			check(t, got)
			if got.code != ExitFindings || !strings.Contains(got.stdout, "link.outside_repository") {
				t.Errorf("%s %s: exit %d, want %d with a link finding:\n%s%s", repoDir, format, got.code, ExitFindings, got.stdout, got.stderr)
			}
		}
	}

	// owners reads the root CODEOWNERS, GitHub's next location, in the
	// checkout; in the plain directory there is none it may read, and it
	// says why.
	got := run(t, "", "owners", "--repo", dir, "pay/main.go")
	check(t, got)
	if got.code != ExitOK || got.stdout != "pay/main.go\t@acme/all\n" {
		t.Errorf("owners in the checkout: exit %d, %q, %q", got.code, got.stdout, got.stderr)
	}
	got = run(t, "", "owners", "--repo", plain, "a.go")
	check(t, got)
	if got.code == ExitOK || !strings.Contains(got.stderr, "symbolic link .github/CODEOWNERS leads outside the repository") {
		t.Errorf("owners in the plain directory: exit %d, %q, %q", got.code, got.stdout, got.stderr)
	}

	got = run(t, "", "explain", "--repo", dir, "--now", today, "evil/OWNERS.yaml")
	check(t, got)
	if got.code != ExitOK || !strings.Contains(got.stdout, "link.outside_repository") {
		t.Errorf("explain: exit %d:\n%s%s", got.code, got.stdout, got.stderr)
	}
}
