package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/golden"
)

const example = "../../examples/acme"

// today pins the day evaluations are for, so reviews do not fall due under
// the tests.
const today = "2026-11-26"

// rootOwners is a root OWNERS.yaml reviewed recently enough for today.
// Tier 3, so it needs no runbook.
const rootOwners = "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n"

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), IO{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr},
		Build{Version: "1.2.3", Commit: "abc123"}, args)
	return result{code, stdout.String(), stderr.String()}
}

// repo writes a repository into a temporary directory.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCheckExample(t *testing.T) {
	for _, tt := range []struct {
		golden string
		args   []string
		code   int
	}{
		{"check-example.txt", []string{"check", "--repo", example, "--now", today}, ExitFindings},
		{"check-example.json", []string{"check", "--repo", example, "--format", "json", "--now", today}, ExitFindings},
		{"check-example.sarif", []string{"check", "--repo", example, "--format", "sarif", "--now", today}, ExitFindings},
		{"check-example.md", []string{"check", "--repo", example, "--format", "markdown", "--now", today}, ExitFindings},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			got := run(t, "", tt.args...)
			if got.code != tt.code || got.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want exit %d and no stderr", got.code, got.stderr, tt.code)
			}
			golden.Assert(t, tt.golden, []byte(got.stdout))
		})
	}
}

func TestCheckJSONShape(t *testing.T) {
	got := run(t, "", "check", "--repo", example, "--format", "json", "--fail-on", "never", "--now", today)
	if got.code != ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]any   `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(got.stdout))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) == 0 {
		t.Fatal("the example has findings")
	}
	// DESIGN §5 names these keys; scripts depend on them.
	for _, key := range []string{"rule", "severity", "path", "line", "column", "message", "unit", "owners", "excepted_by"} {
		for _, f := range doc.Findings {
			if _, ok := f[key]; !ok {
				t.Errorf("finding %v lacks %q", f, key)
			}
		}
	}
	for _, key := range []string{"errors", "warnings", "files", "coverage", "codeowners"} {
		if _, ok := doc.Summary[key]; !ok {
			t.Errorf("summary lacks %q", key)
		}
	}
}

func TestCheckFailOn(t *testing.T) {
	warningsOnly := repo(t, map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/gone/ @acme/x\n", "OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured,
	})
	clean := repo(t, map[string]string{".github/CODEOWNERS": "* @acme/all\n", "OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured})
	errors := repo(t, map[string]string{"OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured})
	tests := []struct {
		repo, failOn string
		want         int
	}{
		{clean, "error", ExitOK},
		{clean, "warning", ExitOK},
		{warningsOnly, "error", ExitOK},
		{warningsOnly, "warning", ExitFindings},
		{warningsOnly, "never", ExitOK},
		{errors, "error", ExitFindings},
		{errors, "never", ExitOK},
	}
	for _, tt := range tests {
		got := run(t, "", "check", "--repo", tt.repo, "--fail-on", tt.failOn, "--now", today)
		if got.code != tt.want {
			t.Errorf("check %s --fail-on %s: exit %d, want %d\n%s%s", filepath.Base(tt.repo), tt.failOn, got.code, tt.want, got.stdout, got.stderr)
		}
	}
	if got := run(t, "", "check", "--repo", clean, "--now", today); !strings.Contains(got.stdout, "No problems found.") {
		t.Errorf("a clean repository says so:\n%s", got.stdout)
	}
}

func TestOwners(t *testing.T) {
	codeowners := filepath.Join(example, ".github", "CODEOWNERS")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{
			name: "paths as arguments, TSV",
			args: []string{"owners", "--repo", example, "services/payments/api/handler.go", "tools/lint.sh", "services/search/runbooks/reindex.md"},
			want: "services/payments/api/handler.go\t@acme/payments\ntools/lint.sh\t\nservices/search/runbooks/reindex.md\t@acme/search @search-lead\n",
		},
		{
			name:  "paths from standard input, blank lines and CRLF tolerated",
			stdin: "docs/architecture.md\r\n\nplatform/k8s/deployment.yaml\n",
			args:  []string{"owners", "--codeowners", codeowners},
			want:  "docs/architecture.md\t@acme/docs @acme/tech-writers\nplatform/k8s/deployment.yaml\t@acme/platform @acme/sre\n",
		},
		{
			name: "paths are printed as given and matched from the root",
			args: []string{"owners", "--repo", example, "./platform/terraform/main.tf", "/README.md"},
			want: "./platform/terraform/main.tf\t@acme/platform\n/README.md\t@acme/platform\n",
		},
		{
			name: "flags after paths",
			args: []string{"owners", "README.md", "--repo", example},
			want: "README.md\t@acme/platform\n",
		},
		{
			name: "everything after -- is a path",
			args: []string{"owners", "--repo", example, "--", "--format"},
			want: "--format\t\n",
		},
		{
			name: "JSON adds the deciding line and pattern",
			args: []string{"owners", "--repo", example, "--format", "json", "docs/onboarding.md", "nowhere/x"},
			want: `[
  {"path":"docs/onboarding.md","owners":["@acme/docs","@acme/tech-writers"],"line":22,"pattern":"/docs/"},
  {"path":"nowhere/x","owners":[],"line":0,"pattern":""}
]
`,
		},
		{
			name: "JSON with no paths is an empty array",
			args: []string{"owners", "--repo", example, "--format", "json"},
			want: "[]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, tt.stdin, tt.args...)
			if got.code != ExitOK {
				t.Fatalf("exit %d: %s", got.code, got.stderr)
			}
			if diff := cmp.Diff(tt.want, got.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnersWarnsAboutSkippedLines(t *testing.T) {
	got := run(t, "", "owners", "--repo", example, "tools/lint.sh")
	if got.code != ExitOK || got.stdout != "tools/lint.sh\t\n" {
		t.Fatalf("exit %d, stdout %q", got.code, got.stdout)
	}
	want := "warning: GitHub skips 2 lines of .github/CODEOWNERS; run 'ownerbot check' for details\n"
	if got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
}

func TestExplain(t *testing.T) {
	got := run(t, "", "explain", "--repo", example, "--now", today,
		"docs/onboarding.md", "platform/terraform/main.tf", "legacy/runbooks/nightly-batch.md", "services/payments/runbooks/payment-failures.md")
	if got.code != ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	golden.Assert(t, "explain-example.txt", []byte(got.stdout))

	got = run(t, "", "explain", "docs/onboarding.md", "--repo", example, "--format", "json", "--now", today)
	if got.code != ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	golden.Assert(t, "explain-example.json", []byte(got.stdout))
}

func TestUsageErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // a fragment of the one line on stderr
	}{
		{"no command", nil, "Usage: ownerbot"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"check", "--colour"}, "flag provided but not defined: -colour"},
		{"bad format", []string{"check", "--format", "xml"}, `--format must be one of text, json, sarif, markdown, not "xml"`},
		{"bad fail-on", []string{"check", "--fail-on", "info"}, "--fail-on must be one of error, warning, never"},
		{"extra argument", []string{"check", "src"}, `unexpected argument "src"`},
		{"bad --now", []string{"check", "--now", "tomorrow"}, `--now must be a date written YYYY-MM-DD, not "tomorrow"`},
		{"missing repository", []string{"check", "--repo", filepath.Join(empty, "nope")}, "no such directory"},
		{"repo and codeowners", []string{"owners", "--repo", ".", "--codeowners", "x"}, "cannot be used together"},
		{"no CODEOWNERS", []string{"owners", "--repo", empty, "a"}, "no CODEOWNERS file in"},
		{"unreadable CODEOWNERS", []string{"owners", "--codeowners", filepath.Join(empty, "nope"), "a"}, "no such file or directory"},
		{"explain without a path", []string{"explain", "--repo", example}, "name a path to explain"},
		{"owners bad format", []string{"owners", "--format", "csv"}, "--format must be one of tsv, json"},
		{"version takes no argument", []string{"version", "x"}, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, "", tt.args...)
			if got.code != ExitUsage {
				t.Errorf("exit %d, want %d", got.code, ExitUsage)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.want)
			}
			if tt.args != nil && strings.Count(got.stderr, "\n") != 1 {
				t.Errorf("stderr has %d lines, want one clear line: %q", strings.Count(got.stderr, "\n"), got.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"check", "-h"}, {"owners", "--help"}, {"explain", "-h"}} {
		got := run(t, "", args...)
		if got.code != ExitOK || !strings.Contains(got.stdout, "Usage: ownerbot") || got.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, got.code, got.stdout, got.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		got := run(t, "", args...)
		if got.code != ExitOK || !strings.HasPrefix(got.stdout, "ownerbot 1.2.3 (commit abc123, go") {
			t.Errorf("%v: exit %d, stdout %q", args, got.code, got.stdout)
		}
	}
}

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteErrorsAreReported(t *testing.T) {
	var stderr bytes.Buffer
	code := Main(context.Background(), IO{Stdin: strings.NewReader(""), Stdout: failingWriter{}, Stderr: &stderr},
		Build{}, []string{"check", "--repo", example, "--fail-on", "never"})
	if code != ExitUsage || !strings.Contains(stderr.String(), "closed pipe") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// configured is a .github/ownerbot.yaml that changes nothing but makes the
// repository configured: each rule has its catalogue severity (without any
// configuration, ownerbot only warns).
const configured = "# configured: each rule has its catalogue severity\nmode: warn\n"
