package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// bareFixture commits a small repository and clones it bare. The checkout
// is the expectation: the bare clone must read as its HEAD does.
func bareFixture(t *testing.T) (checkout, bare string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("these tests need git: %v", err)
	}
	checkout = repo(t, map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/tools/ @acme/tools\n",
		"OWNERS.yaml":        rootOwners,
		"tools/lint.sh":      "#!/bin/sh\n",
		"src/main.go":        "package main\n",
	})
	git(t, checkout, "init", "--quiet", "--initial-branch=main")
	git(t, checkout, "add", "-A")
	git(t, checkout, "commit", "--quiet", "-m", "first")
	bare = filepath.Join(t.TempDir(), "bare.git")
	git(t, checkout, "clone", "--quiet", "--bare", checkout, bare)
	return checkout, bare
}

// A bare repository is read at HEAD by every command that opens a
// checkout, as --ref HEAD reads it: never git's own files.
func TestBareRepositoryIsReadAtHEAD(t *testing.T) {
	checkout, bare := bareFixture(t)

	summary := func(args ...string) map[string]any {
		t.Helper()
		got := run(t, "", append([]string{"check", "--format", "json", "--fail-on", "never", "--now", today}, args...)...)
		if got.code != ExitOK {
			t.Fatalf("check %v: exit %d: %s", args, got.code, got.stderr)
		}
		var doc struct {
			Summary map[string]any `json:"summary"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Summary
	}
	want := summary("--repo", checkout, "--ref", "HEAD")
	if want["files"] != float64(4) {
		t.Fatalf("fixture: the checkout at HEAD has %v files, want 4", want["files"])
	}
	if diff := cmp.Diff(want, summary("--repo", bare)); diff != "" {
		t.Errorf("check --repo bare.git differs from check --ref HEAD (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, summary("--repo", bare, "--ref", "HEAD")); diff != "" {
		t.Errorf("check --repo bare.git --ref HEAD (-want +got):\n%s", diff)
	}

	owners := run(t, "", "owners", "--repo", bare, "tools/lint.sh", "src/main.go")
	if wantOut := "tools/lint.sh\t@acme/tools\nsrc/main.go\t@acme/all\n"; owners.code != ExitOK || owners.stdout != wantOut || owners.stderr != "" {
		t.Errorf("owners --repo bare.git: exit %d, stdout %q, stderr %q; want %q", owners.code, owners.stdout, owners.stderr, wantOut)
	}

	explain := run(t, "", "explain", "--repo", bare, "--now", today, "--format", "json", "tools/lint.sh")
	if explain.code != ExitOK || !strings.Contains(explain.stdout, "@acme/tools") {
		t.Errorf("explain --repo bare.git: exit %d, stdout %s, stderr %q", explain.code, explain.stdout, explain.stderr)
	}
}

func TestEmptyBareRepositoryIsAClearError(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test needs git: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.git")
	git(t, filepath.Dir(empty), "init", "--quiet", "--bare", empty)
	want := "bare repository " + empty + ": repository has no commits yet, so it has no files to read\n"
	for _, args := range [][]string{
		{"check", "--repo", empty},
		{"owners", "--repo", empty, "a.go"},
		{"explain", "--repo", empty, "a.go"},
	} {
		got := run(t, "", args...)
		if wantErr := "ownerbot " + args[0] + ": " + want; got.code != ExitUsage || got.stderr != wantErr || got.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", args, got.code, got.stderr, got.stdout, ExitUsage, wantErr)
		}
	}
}

// A --repo that is missing or not a directory is named as such, by every
// command that takes one.
func TestRepoThatIsNotADirectory(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, repo := range []struct{ path, problem string }{{missing, "no such directory"}, {file, "not a directory"}} {
		for _, args := range [][]string{
			{"check", "--repo", repo.path},
			{"check", "--repo", repo.path, "--ref", "HEAD"},
			{"owners", "--repo", repo.path, "a.go"},
			{"explain", "--repo", repo.path, "a.go"},
			{"codeowners", "generate", "--repo", repo.path},
			{"coverage", "--repo", repo.path},
			{"init", "--repo", repo.path},
		} {
			got := run(t, "", args...)
			want := "ownerbot " + args[0] + ": --repo " + repo.path + ": " + repo.problem + "\n"
			if got.code != ExitUsage || got.stderr != want {
				t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", args, got.code, got.stderr, ExitUsage, want)
			}
		}
	}
}

// gitListed runs git ls-files in dir, with or without -z.
func gitListed(t *testing.T, dir string, z bool) string {
	t.Helper()
	args := []string{"-c", "core.quotePath=true", "ls-files"}
	if z {
		args = append(args, "-z")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	return string(out)
}

// The README's pipeline: git quotes unusual names, and owners reads them
// as the names they are; with -z nothing is quoted either way.
func TestOwnersReadsGitLsFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test needs git: %v", err)
	}
	dir := repo(t, map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/ünï/ @acme/umlaut\n/back\\\\slash/ @acme/slash\n",
		"ünï/a.go":           "",
		"tab\there.go":       "",
		"line\nbreak.go":     "",
		`quote"d.go`:         "",
		`"leading.go`:        "",
		"back\\slash/x.go":   "",
		"plain.go":           "",
	})
	git(t, dir, "init", "--quiet")
	git(t, dir, "add", "-A")
	listed := gitListed(t, dir, false)
	if !strings.Contains(listed, `"\303\274n\303\257/a.go"`) {
		t.Fatalf("fixture: git did not quote the name:\n%s", listed)
	}

	got := run(t, listed, "owners", "--repo", dir)
	// git lists in byte order; a name that needs it is quoted as git does.
	want := strings.Join([]string{
		"\"\\\"leading.go\"\t@acme/all",
		".github/CODEOWNERS\t@acme/all",
		"back\\slash/x.go\t@acme/slash",
		"\"line\\nbreak.go\"\t@acme/all",
		"plain.go\t@acme/all",
		"quote\"d.go\t@acme/all",
		"\"tab\\there.go\"\t@acme/all",
		"ünï/a.go\t@acme/umlaut",
	}, "\n") + "\n"
	if got.code != ExitOK || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	if diff := cmp.Diff(want, got.stdout); diff != "" {
		t.Errorf("git ls-files | ownerbot owners (-want +got):\n%s", diff)
	}

	// Every TSV field reads back as the name it is.
	names := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n") {
		field, _, _ := strings.Cut(line, "\t")
		if unquoted, ok := unquoteGitPath(field); ok {
			field = unquoted
		}
		names[field] = true
	}
	for _, name := range []string{"tab\there.go", "line\nbreak.go", `"leading.go`, "ünï/a.go"} {
		if !names[name] {
			t.Errorf("%q does not read back from the TSV", name)
		}
	}

	z := run(t, gitListed(t, dir, true), "owners", "-z", "--repo", dir)
	wantZ := strings.Join([]string{
		"\"leading.go\t@acme/all",
		".github/CODEOWNERS\t@acme/all",
		"back\\slash/x.go\t@acme/slash",
		"line\nbreak.go\t@acme/all",
		"plain.go\t@acme/all",
		"quote\"d.go\t@acme/all",
		"tab\there.go\t@acme/all",
		"ünï/a.go\t@acme/umlaut",
	}, "\x00") + "\x00"
	if z.code != ExitOK || z.stderr != "" {
		t.Fatalf("-z: exit %d, stderr %q", z.code, z.stderr)
	}
	if diff := cmp.Diff(wantZ, z.stdout); diff != "" {
		t.Errorf("git ls-files -z | ownerbot owners -z (-want +got):\n%s", diff)
	}

	js := run(t, gitListed(t, dir, true), "owners", "-z", "--format", "json", "--repo", dir)
	var entries []ownersEntry
	if err := json.Unmarshal([]byte(js.stdout), &entries); err != nil || len(entries) != 8 || entries[7].Path != "ünï/a.go" || entries[7].Owners[0] != "@acme/umlaut" {
		t.Errorf("-z --format json: %v, %+v", err, entries)
	}
}

// Only a whole line in git's quoting is unquoted: a name that merely holds
// quotes or backslashes is the name.
func TestOwnersLeavesUnquotedNamesAlone(t *testing.T) {
	co := filepath.Join(t.TempDir(), "CODEOWNERS")
	if err := os.WriteFile(co, []byte("* @acme/all\n/ünï/ @acme/umlaut\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin := strings.Join([]string{
		`"\303\274n\303\257/a.go"`, // git's quoting: unquoted
		`say "hi".txt`,             // quotes inside
		`"unterminated.txt`,        // no closing quote
		`"bad\q.txt"`,              // not an escape git writes
		`"a"b".txt"`,               // a bare quote inside
		`"\400.txt"`,               // not a byte
		`"\30.txt"`,                // two octal digits
		`back\slash.txt`,           // a backslash outside quotes
		`""`,                       // empty once unquoted: skipped
		"\"crlf\\tname.go\"\r",     // a Windows line end
	}, "\n") + "\n"
	got := run(t, stdin, "owners", "--codeowners", co)
	want := strings.Join([]string{
		"ünï/a.go\t@acme/umlaut",
		"say \"hi\".txt\t@acme/all",
		`"\"unterminated.txt"` + "\t@acme/all",
		`"\"bad\\q.txt\""` + "\t@acme/all",
		`"\"a\"b\".txt\""` + "\t@acme/all",
		`"\"\\400.txt\""` + "\t@acme/all",
		`"\"\\30.txt\""` + "\t@acme/all",
		"back\\slash.txt\t@acme/all",
		`"crlf\tname.go"` + "\t@acme/all",
	}, "\n") + "\n"
	if got.code != ExitOK || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	if diff := cmp.Diff(want, got.stdout); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Arguments are names as typed: never unquoted.
	args := run(t, "", "owners", "--codeowners", co, `"\303\274n\303\257/a.go"`)
	if wantArg := `"\"\\303\\274n\\303\\257/a.go\""` + "\t@acme/all\n"; args.stdout != wantArg {
		t.Errorf("argument: %q, want %q", args.stdout, wantArg)
	}
}

func TestUnquoteGitPath(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{`"\303\274n\303\257/x"`, "ünï/x", true},
		{`"a\tb\nc\\d\"e"`, "a\tb\nc\\d\"e", true},
		{`"\a\b\f\r\v"`, "\a\b\f\r\v", true},
		{`"\001\177"`, "\x01\x7f", true},
		{`"plain"`, "plain", true},
		{`""`, "", true},
		{`"`, "", false},
		{`plain`, "", false},
		{`"a"b"`, "", false},
		{`"a\"`, "", false},
		{`"\x41"`, "", false},
		{`"\4000"`, "", false},
		{`"\12"`, "", false},
		{`"\18a"`, "", false},
		{`x"a"`, "", false},
	} {
		got, ok := unquoteGitPath(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("unquoteGitPath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzGitPathQuoting: a TSV field is one line with no tab, in UTF-8, and
// reads back as the name it was made from.
func FuzzGitPathQuoting(f *testing.F) {
	for _, seed := range []string{"a.go", "ünï/a.go", "tab\there", "line\nbreak", `"quoted"`, `back\slash`, "\xff\xfe", "\x00\x7f", `"\303\274"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		field := quoteTSVPath(name)
		if strings.ContainsAny(field, "\t\n\r") || !utf8.ValidString(field) {
			t.Fatalf("quoteTSVPath(%q) = %q: not one UTF-8 TSV field", name, field)
		}
		back := field
		if unquoted, ok := unquoteGitPath(field); ok {
			back = unquoted
		}
		if back != name {
			t.Fatalf("quoteTSVPath(%q) = %q reads back as %q", name, field, back)
		}
		if quoted := strings.HasPrefix(field, `"`); quoted != (field != name) {
			t.Fatalf("quoteTSVPath(%q) = %q: a field is quoted exactly when it starts with a quote", name, field)
		}
	})
}

// placeholderWord is what may stand for a flag's value in the help: a word
// in capitals, or a few joined by = or / (FORMAT=FILE, OWNER/NAME).
var placeholderWord = regexp.MustCompile(`^[A-Z][A-Z0-9_-]*([=/][A-Z][A-Z0-9_-]*)*$`)

// synopsisFlag finds the flags a synopsis names.
var synopsisFlag = regexp.MustCompile(`(?:^|[\s\[|])--?([a-z][a-z0-9-]*)`)

// Every command's help: no empty Flags heading, every flag listed once
// with a placeholder that is a word in capitals, never a type name or
// stray words taken from backquotes.
func TestHelpOfEveryCommand(t *testing.T) {
	helps := map[string][]string{}
	for _, c := range commands() {
		args := []string{c.name, "-h"}
		if c.name == "codeowners" {
			args = []string{"codeowners", "generate", "-h"}
		}
		helps[c.name] = args
	}
	flagLine := regexp.MustCompile(`^  (--?)([a-z][a-z0-9-]*)( (.*))?$`)
	for name, args := range helps {
		t.Run(name, func(t *testing.T) {
			got := run(t, "", args...)
			if got.code != ExitOK || got.stderr != "" || !strings.HasPrefix(got.stdout, "Usage: ownerbot "+strings.Join(args[:len(args)-1], " ")) {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s", got.code, got.stderr, got.stdout)
			}
			_, flags, hasFlags := strings.Cut(got.stdout, "\nFlags:\n")
			if strings.Contains(got.stdout, "Flags:") != hasFlags {
				t.Fatalf("a Flags heading not on a line of its own:\n%s", got.stdout)
			}
			var listed []string
			for _, line := range strings.Split(strings.TrimSuffix(flags, "\n"), "\n") {
				if line == "" || strings.HasPrefix(line, "        ") {
					continue
				}
				m := flagLine.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("not a flag line: %q", line)
					continue
				}
				listed = append(listed, m[2])
				if (m[1] == "-") != (len(m[2]) == 1) {
					t.Errorf("%q: one dash for one-letter flags, two for the others", line)
				}
				if m[3] != "" && !placeholderWord.MatchString(m[4]) {
					t.Errorf("flag --%s has the placeholder %q, not a word in capitals", m[2], m[4])
				}
			}
			if hasFlags && len(listed) == 0 {
				t.Errorf("an empty Flags section:\n%s", got.stdout)
			}
			if !slices.IsSorted(listed) || len(slices.Compact(slices.Clone(listed))) != len(listed) {
				t.Errorf("flags listed %v, want each once, sorted", listed)
			}
			usage, _, _ := strings.Cut(got.stdout, "\n")
			for _, m := range synopsisFlag.FindAllStringSubmatch(usage, -1) {
				if !slices.Contains(listed, m[1]) {
					t.Errorf("the synopsis names --%s, the Flags section does not:\n%s", m[1], got.stdout)
				}
			}
		})
	}
	// The ones the issue reported.
	if got := run(t, "", "manifest", "-h"); !strings.Contains(got.stdout, "\n  --webhook-url URL\n") {
		t.Errorf("manifest -h:\n%s", got.stdout)
	}
	for _, name := range []string{"serve", "version"} {
		if got := run(t, "", name, "-h"); strings.Contains(got.stdout, "Flags") {
			t.Errorf("%s -h has a Flags section but no flags:\n%s", name, got.stdout)
		}
	}
}

func TestResolveBuild(t *testing.T) {
	vcs := func(revision, modified, when string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: revision}, {Key: "vcs.time", Value: when}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "c6abde580cff7af7220d21a3ccfd907ff4cc42ec"
	const when = "2026-12-08T00:28:34Z"
	for _, tt := range []struct {
		name    string
		stamped Build
		info    *debug.BuildInfo
		want    Build
	}{
		{"no build info", Build{}, nil, Build{Version: "dev"}},
		{"go build without VCS data", Build{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Build{Version: "dev"}},
		{"go build in a clean checkout", Build{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false", when)},
			Build{Version: "dev", Commit: "c6abde580cff", Time: when}},
		{"go build with local changes (Go 1.24+)", Build{},
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261208002834-c6abde580cff+dirty"}, Settings: vcs(rev, "true", when)},
			Build{Version: "v0.0.0-20261208002834-c6abde580cff+dirty", Commit: "c6abde580cff-dirty", Time: when}},
		{"go install module@version", Build{}, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, Build{Version: "v1.4.0"}},
		{"stamped by make", Build{Version: "v1.4.0-3-gc6abde5-dirty", Commit: "c6abde5"},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true", when)},
			Build{Version: "v1.4.0-3-gc6abde5-dirty", Commit: "c6abde5", Time: when}},
		{"stamped with another commit: no time", Build{Version: "v1", Commit: "e2e"},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false", when)},
			Build{Version: "v1", Commit: "e2e"}},
		{"stamped version only", Build{Version: "v2.0.0"}, &debug.BuildInfo{Settings: vcs(rev, "false", when)},
			Build{Version: "v2.0.0", Commit: "c6abde580cff", Time: when}},
		{"a short revision", Build{}, &debug.BuildInfo{Settings: vcs("a1b2", "false", "")}, Build{Version: "dev", Commit: "a1b2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ResolveBuild(tt.stamped, tt.info)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// version, check's SARIF driver and (in cmd/bot) serve's log say the one
// version Main is given, "dev" when it is given none.
func TestVersionIsTheSameEverywhere(t *testing.T) {
	for _, tt := range []struct {
		build             Build
		version, semantic string
		line              string
	}{
		{Build{}, "dev", "", "ownerbot dev (commit unknown, go"},
		{Build{Version: "v1.4.0", Commit: "c6abde580cff-dirty", Time: "2026-12-08T00:28:34Z"}, "v1.4.0", "1.4.0",
			"ownerbot v1.4.0 (commit c6abde580cff-dirty of 2026-12-08T00:28:34Z, go"},
	} {
		runWith := func(args ...string) result {
			var stdout, stderr strings.Builder
			code := Main(context.Background(), IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, tt.build, args)
			return result{code, stdout.String(), stderr.String()}
		}
		if got := runWith("version"); !strings.HasPrefix(got.stdout, tt.line) {
			t.Errorf("version: %q, want it to start %q", got.stdout, tt.line)
		}
		got := runWith("check", "--repo", example, "--now", today, "--format", "sarif", "--fail-on", "never")
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Version         string `json:"version"`
						SemanticVersion string `json:"semanticVersion"`
					} `json:"driver"`
				} `json:"tool"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &log); err != nil || len(log.Runs) != 1 {
			t.Fatalf("check: %v, exit %d, %s", err, got.code, got.stderr)
		}
		if d := log.Runs[0].Tool.Driver; d.Version != tt.version || d.SemanticVersion != tt.semantic {
			t.Errorf("SARIF driver version %q, semanticVersion %q; want %q, %q", d.Version, d.SemanticVersion, tt.version, tt.semantic)
		}
	}
}
