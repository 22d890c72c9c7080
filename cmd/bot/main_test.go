package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// binary is the ownerbot binary built once for these end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	// The binary runs with this process's environment: a developer's or a
	// CI runner's GitHub token must not make `check` ask GitHub.
	for _, v := range []string{"GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY"} {
		os.Unsetenv(v)
	}
	dir, err := os.MkdirTemp("", "ownerbot-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ownerbot")
	build := exec.Command("go", "build", "-o", binary,
		"-ldflags", "-X main.version=v0.0.0-e2e -X main.commit=e2e", ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ownerbot: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	code           int
	stdout, stderr string
}

func ownerbot(t *testing.T, dir, stdin string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	return runCmd(t, cmd)
}

// runCmd runs the binary as cmd says and returns its exit code and output.
func runCmd(t *testing.T, cmd *exec.Cmd) run {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return run{code, stdout.String(), stderr.String()}
}

func TestVersionIsStamped(t *testing.T) {
	got := ownerbot(t, ".", "", "version")
	if got.code != 0 || !strings.HasPrefix(got.stdout, "ownerbot v0.0.0-e2e (commit e2e, go") {
		t.Errorf("exit %d, stdout %q", got.code, got.stdout)
	}
}

// TestQuickStart runs the README's first command as a user would, from the
// repository root.
func TestQuickStart(t *testing.T) {
	got := ownerbot(t, "../..", "", "check", "--repo", "examples/acme", "--fail-on", "never")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	for _, want := range []string{
		"character ranges with `[ ]` are not supported in CODEOWNERS [codeowners.syntax]",
		`"dev-tools" is not a valid owner`,
		"pattern `*.tf` matches 2 files, but later lines decide all of them (line 16) [codeowners.shadowed]",
		"unit platform/  (owner @acme/platform-infra)",
		"the unit's owner @acme/platform-infra is not a CODEOWNERS owner of 5 of its 5 files",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
	// Reviews fall due as days pass; pinned to a day, the counts are exact.
	got = ownerbot(t, "../..", "", "check", "--repo", "examples/acme", "--now", "2026-11-26")
	if got.code != 1 || !strings.Contains(got.stdout, "2 errors, 13 warnings, 0 notes (1 more waived by exceptions)") {
		t.Errorf("check on the example exits %d, want 1 (it has errors), with 2 errors and 13 warnings:\n%s", got.code, got.stdout)
	}
}

// TestOwnProject keeps the project's own CODEOWNERS clean.
func TestOwnProject(t *testing.T) {
	// Errors fail; warnings (a review falling due) are shown in CI's log
	// without blocking a change that did not cause them.
	got := ownerbot(t, "../..", "", "check", "--repo", ".")
	if got.code != 0 {
		t.Errorf("ownerbot check --repo . exits %d:\n%s%s", got.code, got.stdout, got.stderr)
	}
}

func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestGitCheckout checks a real git repository: only tracked files count, so
// build output does not show up as unowned.
func TestGitCheckout(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/src/ @acme/src @acme/all\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"src/main.go":        "package main\n",
		"README.md":          "# r\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	gitCmd(t, dir, "init", "-q")
	gitCmd(t, dir, "add", ".")
	gitCmd(t, dir, "commit", "-q", "-m", "init")
	// Untracked files the CODEOWNERS would not own.
	os.WriteFile(filepath.Join(dir, "build.log"), nil, 0o644)

	got := ownerbot(t, dir, "", "check", "--format", "json", "--fail-on", "warning", "--now", "2026-11-26")
	if got.code != 0 || !strings.Contains(got.stdout, `"findings": []`) || !strings.Contains(got.stdout, `"files": 4`) {
		t.Errorf("exit %d:\n%s%s", got.code, got.stdout, got.stderr)
	}
	got = ownerbot(t, dir, "src/main.go\nREADME.md\n", "owners")
	if want := "src/main.go\t@acme/src @acme/all\nREADME.md\t@acme/all\n"; got.code != 0 || got.stdout != want {
		t.Errorf("owners: exit %d, stdout %q, want %q", got.code, got.stdout, want)
	}
}

// TestOwnersOverDataset pipes a real repository's file list through the
// binary, as a user would, and checks one answer per input line.
func TestOwnersOverDataset(t *testing.T) {
	ds := datasettest.Load(t, "DataDog__dd-trace-java")
	input := strings.Join(ds.Files, "\n") + "\n"
	got := ownerbot(t, ".", input, "owners", "--codeowners", filepath.Join(ds.Dir, "CODEOWNERS"))
	if got.code != 0 {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if len(lines) != len(ds.Files) {
		t.Fatalf("%d lines out for %d paths in", len(lines), len(ds.Files))
	}
	for i, line := range lines {
		path, owners, _ := strings.Cut(line, "\t")
		if path != ds.Files[i] || owners != ds.Expected[path] {
			t.Fatalf("line %d: %q, want %q\t%q", i+1, line, ds.Files[i], ds.Expected[ds.Files[i]])
		}
	}
}

// TestGitHistoryAndRef evaluates a real repository's history: dates come from
// commits, and --ref reads what was committed, not the working tree.
func TestGitHistoryAndRef(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	write := func(files map[string]string) {
		for name, body := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	commit := func(date string) {
		t.Helper()
		gitCmd(t, dir, "add", "-A")
		cmd := exec.Command("git", "commit", "-q", "-m", "change on "+date)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_AUTHOR_DATE="+date+"T12:00:00Z", "GIT_COMMITTER_DATE="+date+"T12:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git commit: %v\n%s", err, out)
		}
	}
	gitCmd(t, dir, "init", "-q")
	write(map[string]string{
		".github/CODEOWNERS": "* @acme/all\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/all\"\ntier: 2\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-09-01\"}\n",
		"runbooks/deploy.md": "# Deploy\n\nNo front matter yet.\n",
	})
	commit("2026-09-02")
	// Merged on 2026-09-10, expiring 100 days later: longer than the
	// default 90, wherever the check runs from.
	write(map[string]string{"OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
		"  - {id: EXC-1, rule: runbook.invalid, paths: [\"runbooks/*.md\"], reason: \"front matter lands with the docs move\", expires: \"2026-12-19\"}\n"})
	commit("2026-09-10")
	// Uncommitted: the working tree fixes the runbook, the commit does not.
	write(map[string]string{"runbooks/deploy.md": "---\nlast_reviewed: \"2026-11-20\"\n---\n# Deploy\n"})

	committed := ownerbot(t, dir, "", "check", "--ref", "HEAD", "--now", "2026-11-26", "--format", "json", "--fail-on", "never")
	for _, want := range []string{
		"the last commit to touch the file is from 2026-09-02",
		"EXC-1 expires on 2026-12-19, more than 90 days after 2026-09-10",
	} {
		if !strings.Contains(committed.stdout, want) {
			t.Errorf("check --ref HEAD lacks %q:\n%s%s", want, committed.stdout, committed.stderr)
		}
	}
	worktree := ownerbot(t, dir, "", "check", "--now", "2026-11-26", "--format", "json", "--fail-on", "never")
	if strings.Contains(worktree.stdout, `"rule": "runbook.invalid"`) || !strings.Contains(committed.stdout, `"rule": "runbook.invalid"`) {
		t.Errorf("the working tree fixed the runbook, the commit did not:\n%s", worktree.stdout)
	}
	if got := ownerbot(t, dir, "", "check", "--ref", "no-such-branch"); got.code != 2 || got.stderr == "" {
		t.Errorf("an unknown ref: exit %d, stderr %q", got.code, got.stderr)
	}
}
