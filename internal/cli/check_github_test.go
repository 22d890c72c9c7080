package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/golden"
	"github.com/ownerbot/ownerbot/internal/schematest"
)

// TestMain keeps this package's tests off the network whatever the
// machine's environment: check asks GitHub when it finds a token there.
func TestMain(m *testing.M) {
	for _, v := range []string{"GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "OWNERBOT_OFFLINE"} {
		os.Unsetenv(v)
	}
	os.Exit(m.Run())
}

// widgetFiles is the repository acme/widgets: CODEOWNERS names a team with
// write access, a team with read access only, a user who does not exist
// and a member with write access; OWNERS.yaml adds an outside collaborator
// and a team that does not exist.
var widgetFiles = map[string]string{
	".github/CODEOWNERS":    "*        @acme/pay\n/docs/   @acme/readers\n/tools/  @ghost @bob\n",
	".github/ownerbot.yaml": configured,
	"OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\napprovers: [\"@acme/pay\", \"@bob\", \"@olga\"]\ntier: 3\n" +
		"review: {last_reviewed: \"2026-11-01\"}\nescalation:\n  - {after: 14d, to: \"@acme/gone\"}\n",
	"docs/guide.md": "# Guide\n",
	"tools/run.sh":  "#!/bin/sh\n",
	"main.go":       "package main\n",
}

// widgets puts the organization acme and its repository acme/widgets on a
// fake GitHub, pushes files as the one commit of main, and clones it into
// a directory whose origin remote is the fake's. It returns the fake, the
// clone and the environment check sees in a GitHub Actions job.
func widgets(t *testing.T, files map[string]string) (*ghtest.GitHub, string, map[string]string) {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(1, "acme")
	gh.AddRepo(1, "acme", "widgets", ghtest.RepoOptions{})
	gh.AddTeam("acme", "pay", []string{"alice"}, map[string]string{"widgets": "push"})
	gh.AddTeam("acme", "readers", []string{"rita"}, map[string]string{"widgets": "pull"})
	gh.AddOrgMember("acme", "bob")
	gh.AddCollaborator("acme", "widgets", "bob", "write")
	gh.AddCollaborator("acme", "widgets", "olga", "write") // an outside collaborator
	fixture := gh.Git.CreateRepo("acme", "widgets")
	fixture.Commit("main", files, "Add ownership", time.Time{})

	dir := filepath.Join(t.TempDir(), "widgets")
	git(t, "", "clone", "--quiet", fixture.Dir(), dir)
	git(t, dir, "remote", "set-url", "origin", gh.Git.CloneURL("acme", "widgets"))
	env := map[string]string{"GITHUB_TOKEN": gh.InstallationToken(1), "GITHUB_API_URL": gh.URL()}
	return gh, dir, env
}

// git runs git in dir, isolated from the machine's configuration, with
// fixed names and dates so commits hash the same everywhere.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent", "LC_ALL=C",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE=1767225600 +0000",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_COMMITTER_DATE=1767225600 +0000",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// runEnv runs the command line with env as its whole environment.
func runEnv(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env[k] }}, Build{Version: "1.2.3", Commit: "abc123"}, args)
	got := result{code, stdout.String(), stderr.String()}
	if tok := env["GITHUB_TOKEN"]; tok != "" && strings.Contains(got.stdout+got.stderr, tok) {
		t.Errorf("the token appears in the output:\n%s%s", got.stderr, got.stdout)
	}
	return got
}

// transcript is what a person sees: standard error, then standard output.
func transcript(r result) []byte {
	return []byte("--- stderr\n" + r.stderr + "--- stdout\n" + r.stdout)
}

type jsonReport struct {
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Path     string `json:"path"`
		Line     int    `json:"line"`
		Message  string `json:"message"`
	} `json:"findings"`
	Summary struct {
		Skipped []struct{ Rule, Reason string } `json:"skipped"`
	} `json:"summary"`
}

func decodeReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var doc jsonReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc
}

// ownerFindings lists the findings of the two rules that need GitHub, as
// "rule path:line owner-fragment".
func ownerFindings(doc jsonReport) []string {
	var got []string
	for _, f := range doc.Findings {
		if f.Rule == "codeowners.unknown_owner" || f.Rule == "owners.unresolvable" {
			owner := ""
			for _, w := range strings.Fields(f.Message) {
				if strings.HasPrefix(w, "@") {
					owner = strings.TrimSuffix(w, ",")
					break
				}
			}
			got = append(got, f.Rule+" "+f.Path+":"+strconv.Itoa(f.Line)+" "+owner)
		}
	}
	return got
}

// wantOwnerFindings compares the findings of the two rules that need
// GitHub with want, each "rule path:line owner-fragment".
func wantOwnerFindings(t *testing.T, doc jsonReport, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, ownerFindings(doc)); diff != "" {
		t.Errorf("owner findings (-want +got):\n%s", diff)
	}
}

func skipped(doc jsonReport) map[string]string {
	m := map[string]string{}
	for _, s := range doc.Summary.Skipped {
		m[s.Rule] = s.Reason
	}
	return m
}

// An App installation token sees everything: GitHub's verdict finds the
// user who does not exist and the team without write access, the lookups
// find the outside collaborator and the team that does not exist.
func TestCheckWithGitHub(t *testing.T) {
	gh, dir, env := widgets(t, widgetFiles)
	for _, tt := range []struct{ format, golden string }{
		{"text", "check-github.txt"},
		{"json", "check-github.json"},
		{"sarif", "check-github.sarif"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", tt.format)
			if got.code != ExitFindings {
				t.Errorf("exit %d, want %d (the unknown owners are errors)", got.code, ExitFindings)
			}
			if tt.format == "text" {
				golden.Assert(t, tt.golden, transcript(got))
				return
			}
			golden.Assert(t, tt.golden, []byte(got.stdout))
			if tt.format == "sarif" {
				if err := schematest.ValidateSARIF(t, []byte(got.stdout)); err != nil {
					t.Errorf("SARIF does not validate: %v", err)
				}
			}
		})
	}

	got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
	doc := decodeReport(t, got.stdout)
	wantOwnerFindings(t, doc,
		"codeowners.unknown_owner .github/CODEOWNERS:2 @acme/readers",
		"codeowners.unknown_owner .github/CODEOWNERS:3 @ghost",
		"owners.unresolvable OWNERS.yaml:3 @olga",
		"owners.unresolvable OWNERS.yaml:7 @acme/gone",
	)
	for rule, why := range skipped(doc) {
		if rule == "codeowners.unknown_owner" || rule == "owners.unresolvable" {
			t.Errorf("%s skipped (%q), want it checked", rule, why)
		}
	}

	// The verdict settles every CODEOWNERS owner and the team it accepted;
	// only the other OWNERS.yaml owners are looked up.
	gh.ResetRecording()
	runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
	var ops []string
	for _, r := range gh.Requests() {
		ops = append(ops, r.Method+" "+r.Path)
	}
	// Three for the repository, the commit and the verdict; the rest for
	// @bob, @olga and @acme/gone.
	if n := len(ops); n > 9 {
		t.Errorf("%d API calls, want at most 9:\n%s", n, strings.Join(ops, "\n"))
	}
	for _, op := range ops {
		if strings.Contains(op, "/teams/pay") || strings.Contains(op, "/users/ghost") || strings.Contains(op, "/teams/readers") {
			t.Errorf("%s: an owner GitHub's verdict settled was looked up again", op)
		}
	}
}

// The default GITHUB_TOKEN of GitHub Actions reads the repository but not
// the organization: GitHub answers 404 for its teams and members. GitHub's
// verdict still finds the unknown user and the team without write access;
// what rests on the organization is reported as not checked, with the
// permission that would check it, never as a problem.
func TestCheckWithATokenThatCannotReadTheOrganization(t *testing.T) {
	gh, dir, env := widgets(t, widgetFiles)
	gh.Fail(ghtest.FaultMatch{PathPrefix: "/orgs/", Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusNotFound})

	got := runEnv(t, env, "check", "--repo", dir, "--now", today)
	if got.code != ExitFindings {
		t.Errorf("exit %d, want %d", got.code, ExitFindings)
	}
	golden.Assert(t, "check-github-no-org.txt", transcript(got))

	doc := decodeReport(t, runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json").stdout)
	wantOwnerFindings(t, doc,
		"codeowners.unknown_owner .github/CODEOWNERS:2 @acme/readers",
		"codeowners.unknown_owner .github/CODEOWNERS:3 @ghost",
	)
	s := skipped(doc)
	if _, ok := s["codeowners.unknown_owner"]; ok {
		t.Errorf("codeowners.unknown_owner skipped (%q), but GitHub's verdict checked it", s["codeowners.unknown_owner"])
	}
	if why := s["owners.unresolvable"]; !strings.Contains(why, "@acme/gone, @bob, @olga") || !strings.Contains(why, "may not read the teams and members of acme") {
		t.Errorf("owners.unresolvable skipped for %q, want the owners not checked and why", why)
	}
}

// A commit that is not pushed has no verdict from GitHub: its owners are
// looked up one by one, and a team's write access goes unchecked, which
// the report says.
func TestCheckWithGitHubUnpushedCommit(t *testing.T) {
	_, dir, env := widgets(t, widgetFiles)
	if err := os.WriteFile(filepath.Join(dir, ".github", "CODEOWNERS"), []byte(widgetFiles[".github/CODEOWNERS"]+"/main.go @carol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "--quiet", "-am", "Give main.go to carol")

	got := runEnv(t, env, "check", "--repo", dir, "--now", today)
	golden.Assert(t, "check-github-unpushed.txt", transcript(got))

	doc := decodeReport(t, runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json").stdout)
	wantOwnerFindings(t, doc,
		"codeowners.unknown_owner .github/CODEOWNERS:3 @ghost",
		"codeowners.unknown_owner .github/CODEOWNERS:4 @carol",
		"owners.unresolvable OWNERS.yaml:3 @olga",
		"owners.unresolvable OWNERS.yaml:7 @acme/gone",
	)
	if why := skipped(doc)["codeowners.unknown_owner"]; !strings.Contains(why, "the write access of @acme/pay, @acme/readers not checked") {
		t.Errorf("codeowners.unknown_owner skipped for %q, want it said that team write access is not checked", why)
	}
}

// A working tree whose CODEOWNERS differs from the commit: GitHub's verdict
// is on the commit, the owners only the working tree names are looked up.
func TestCheckWithGitHubUncommittedCodeowners(t *testing.T) {
	_, dir, env := widgets(t, widgetFiles)
	if err := os.WriteFile(filepath.Join(dir, ".github", "CODEOWNERS"), []byte(widgetFiles[".github/CODEOWNERS"]+"/main.go @nobody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
	if !strings.Contains(got.stderr, ".github/CODEOWNERS differs from commit") {
		t.Errorf("stderr does not say the file differs from the commit:\n%s", got.stderr)
	}
	wantOwnerFindings(t, decodeReport(t, got.stdout),
		"codeowners.unknown_owner .github/CODEOWNERS:2 @acme/readers",
		"codeowners.unknown_owner .github/CODEOWNERS:3 @ghost",
		"codeowners.unknown_owner .github/CODEOWNERS:4 @nobody",
		"owners.unresolvable OWNERS.yaml:3 @olga",
		"owners.unresolvable OWNERS.yaml:7 @acme/gone",
	)
}

// When GitHub cannot be asked, check says so, keeps every local finding
// and exits as they dictate.
func TestCheckWhenGitHubCannotBeAsked(t *testing.T) {
	closed := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/"
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, gh *ghtest.GitHub, env map[string]string)
		want  string // the line on standard error
	}{
		{"down", func(t *testing.T, gh *ghtest.GitHub, env map[string]string) {
			gh.Fail(ghtest.FaultMatch{Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusServiceUnavailable})
		}, "ownerbot check: GitHub could not be asked: it answered 503 Service Unavailable; owners were not checked against GitHub\n"},
		{"unreachable", func(t *testing.T, gh *ghtest.GitHub, env map[string]string) {
			env["GITHUB_API_URL"] = closed(t)
			env["GITHUB_REPOSITORY"] = "acme/widgets"
		}, "connect: connection refused; owners were not checked against GitHub\n"},
		{"bad token", func(t *testing.T, gh *ghtest.GitHub, env map[string]string) {
			env["GITHUB_TOKEN"] = "ghs_notavalidtoken000000000000000000000"
		}, "ownerbot check: GitHub refused the token (401 Bad credentials); owners were not checked against GitHub\n"},
		{"rate limited", func(t *testing.T, gh *ghtest.GitHub, env map[string]string) {
			gh.Fail(ghtest.FaultMatch{Count: -1}, ghtest.Fault{Kind: ghtest.FaultPrimaryRateLimit})
		}, "ownerbot check: GitHub could not be asked: this token's API rate limit is used up until "},
		{"unknown repository", func(t *testing.T, gh *ghtest.GitHub, env map[string]string) {
			env["GITHUB_REPOSITORY"] = "acme/nothere"
		}, ""}, // the origin remote wins over GITHUB_REPOSITORY: still asked
	} {
		t.Run(tt.name, func(t *testing.T) {
			gh, dir, env := widgets(t, widgetFiles)
			tt.setup(t, gh, env)
			offline := run(t, "", "check", "--repo", dir, "--now", today, "--format", "json")
			got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
			if tt.want == "" {
				if strings.Contains(got.stderr, "not checked against GitHub") {
					t.Errorf("stderr = %q", got.stderr)
				}
				return
			}
			if got.code != offline.code || got.code == ExitUsage {
				t.Errorf("exit %d, want %d as without GitHub", got.code, offline.code)
			}
			if !strings.Contains(got.stderr, tt.want) || strings.Count(got.stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line containing %q", got.stderr, tt.want)
			}
			// Every local finding stands; the two rules are skipped, saying why.
			doc, local := decodeReport(t, got.stdout), decodeReport(t, offline.stdout)
			if diff := cmp.Diff(local.Findings, doc.Findings); diff != "" {
				t.Errorf("findings differ from the local run (-local +got):\n%s", diff)
			}
			s := skipped(doc)
			for _, rule := range []string{"codeowners.unknown_owner", "owners.unresolvable"} {
				if !strings.HasPrefix(s[rule], "needs GitHub: ") || len(s[rule]) < len("needs GitHub: x") {
					t.Errorf("%s skipped for %q, want the reason", rule, s[rule])
				}
			}
		})
	}
}

// A repository GitHub does not show the token: named by --github-repo.
func TestCheckWithGitHubUnknownRepository(t *testing.T) {
	_, dir, env := widgets(t, widgetFiles)
	got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--github-repo", "acme/nothere")
	want := "ownerbot check: GitHub shows this token no repository acme/nothere (a wrong --github-repo, or a token without access to it); owners were not checked against GitHub\n"
	if got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
}

// Without a token, or offline, check never asks and says nothing more.
func TestCheckOffline(t *testing.T) {
	gh, dir, env := widgets(t, widgetFiles)
	local := run(t, "", "check", "--repo", dir, "--now", today)
	for name, env := range map[string]map[string]string{
		"no token":         {"GITHUB_API_URL": env["GITHUB_API_URL"], "GITHUB_REPOSITORY": "acme/widgets"},
		"OWNERBOT_OFFLINE": {"GITHUB_TOKEN": env["GITHUB_TOKEN"], "GITHUB_API_URL": env["GITHUB_API_URL"], "OWNERBOT_OFFLINE": "1"},
	} {
		gh.ResetRecording()
		if got := runEnv(t, env, "check", "--repo", dir, "--now", today); got != local {
			t.Errorf("%s: got %+v, want the local run %+v", name, got, local)
		}
		if n := len(gh.Requests()); n != 0 {
			t.Errorf("%s: %d requests to GitHub, want none", name, n)
		}
	}
	gh.ResetRecording()
	if got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--offline"); got != local {
		t.Errorf("--offline: got %+v, want the local run", got)
	}
	if n := len(gh.Requests()); n != 0 {
		t.Errorf("--offline: %d requests to GitHub, want none", n)
	}
}

// A plain directory with a token but no way to tell its repository.
func TestCheckWithATokenButNoRepository(t *testing.T) {
	dir := repo(t, map[string]string{".github/CODEOWNERS": "* @acme/all\n", "OWNERS.yaml": rootOwners, "a.go": ""})
	got := runEnv(t, map[string]string{"GITHUB_TOKEN": "ghs_x"}, "check", "--repo", dir, "--now", today, "--format", "json")
	if got.code != ExitOK {
		t.Errorf("exit %d, want 0", got.code)
	}
	want := "ownerbot check: cannot tell which GitHub repository this is (no origin remote on GitHub, no GITHUB_REPOSITORY): pass --github-repo OWNER/NAME; owners were not checked against GitHub\n"
	if got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
	if s := skipped(decodeReport(t, got.stdout)); !strings.Contains(s["owners.unresolvable"], "--github-repo") {
		t.Errorf("skipped = %v", s)
	}
}

// GitHub Enterprise Server serves the API under /api/v3/.
func TestCheckWithGitHubEnterpriseServer(t *testing.T) {
	gh, dir, env := widgets(t, widgetFiles)
	env["GITHUB_API_URL"] = strings.TrimSuffix(gh.EnterpriseURL(), "/")
	got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
	if n := len(ownerFindings(decodeReport(t, got.stdout))); n != 4 {
		t.Errorf("%d owner findings, want 4\n%s", n, got.stderr)
	}
	for _, r := range gh.Requests() {
		if !r.Enterprise {
			t.Errorf("%s %s: not under /api/v3/", r.Method, r.Path)
		}
	}
}

func TestCheckGitHubUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad --github-repo", nil, []string{"--github-repo", "acme"}, `--github-repo must be OWNER/NAME, not "acme"`},
		{"bad --github-api-url", nil, []string{"--github-api-url", "ftp://x"}, `--github-api-url: want an https:// URL, not "ftp://x"`},
		{"credentials in the URL", nil, []string{"--github-api-url", "https://me:secret@ghe.example/api/v3"}, "credentials in the URL are not allowed"},
		{"bad GITHUB_API_URL", map[string]string{"GITHUB_TOKEN": "ghs_token", "GITHUB_API_URL": "api.github.com"}, nil, `GITHUB_API_URL: want an https:// URL, not "api.github.com"`},
		{"bad GITHUB_REPOSITORY", map[string]string{"GITHUB_TOKEN": "ghs_token", "GITHUB_REPOSITORY": "a/b/c"}, nil, `GITHUB_REPOSITORY must be OWNER/NAME, not "a/b/c"`},
		{"bad OWNERBOT_OFFLINE", map[string]string{"OWNERBOT_OFFLINE": "maybe"}, nil, `OWNERBOT_OFFLINE must be 1 or 0 (true or false), not "maybe"`},
		{"bad --write", nil, []string{"--write", "xml=out.xml"}, `the format must be one of text, json, sarif, markdown, not "xml"`},
		{"--write without a file", nil, []string{"--write", "sarif"}, "want FORMAT=FILE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := runEnv(t, tt.env, append([]string{"check", "--repo", example}, tt.args...)...)
			if got.code != ExitUsage || !strings.Contains(got.stderr, tt.want) || strings.Count(got.stderr, "\n") != 1 || got.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", got.code, got.stdout, got.stderr, tt.want)
			}
			if strings.Contains(got.stderr, "secret") {
				t.Errorf("stderr shows the credentials: %q", got.stderr)
			}
		})
	}
}

// The help shows no default taken from the environment: no token.
func TestCheckHelpShowsNoToken(t *testing.T) {
	got := runEnv(t, map[string]string{"GITHUB_TOKEN": "ghs_secret"}, "check", "-h")
	if got.code != ExitOK || !strings.Contains(got.stdout, "-github-token") {
		t.Errorf("exit %d, stdout %q", got.code, got.stdout)
	}
}

// --write writes other formats of the same evaluation; the SARIF file is
// the one --format sarif prints.
func TestCheckWrite(t *testing.T) {
	out := t.TempDir()
	sarif, md := filepath.Join(out, "ownerbot.sarif"), filepath.Join(out, "summary.md")
	got := run(t, "", "check", "--repo", example, "--now", today, "--write", "sarif="+sarif, "--write", "markdown="+md)
	want := run(t, "", "check", "--repo", example, "--now", today)
	if got != want {
		t.Errorf("with --write: %+v, want what it prints without", got)
	}
	for file, format := range map[string]string{sarif: "sarif", md: "markdown"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if printed := run(t, "", "check", "--repo", example, "--now", today, "--format", format).stdout; string(data) != printed {
			t.Errorf("%s differs from --format %s", filepath.Base(file), format)
		}
	}
	bad := run(t, "", "check", "--repo", example, "--now", today, "--write", "sarif="+filepath.Join(out, "no", "such", "dir.sarif"))
	if bad.code != ExitUsage || !strings.Contains(bad.stderr, "write the sarif report: open ") {
		t.Errorf("unwritable file: exit %d, stderr %q", bad.code, bad.stderr)
	}
}

func TestParseRemoteURL(t *testing.T) {
	for _, tt := range []struct{ url, host, repo string }{
		{"https://github.com/acme/widgets.git", "github.com", "acme/widgets"},
		{"https://github.com/acme/widgets", "github.com", "acme/widgets"},
		{"https://x-access-token:ghs_secret@github.com/acme/widgets.git", "github.com", "acme/widgets"},
		{"git@github.com:acme/widgets.git", "github.com", "acme/widgets"},
		{"ssh://git@ssh.github.com:443/acme/widgets.git", "ssh.github.com", "acme/widgets"},
		{"ssh://git@ghe.example.com/acme/widgets", "ghe.example.com", "acme/widgets"},
		{"https://ghe.example.com/acme/widgets.git/", "ghe.example.com", "acme/widgets"},
		{"/srv/git/widgets.git", "", ""},
		{"file:///srv/acme/widgets.git", "", ""},
		{"https://gitlab.example.com/group/sub/widgets.git", "", ""},
		{"../widgets", "", ""},
	} {
		host, repo, ok := parseRemoteURL(tt.url)
		if host != tt.host || repo != tt.repo || ok != (tt.repo != "") {
			t.Errorf("parseRemoteURL(%q) = %q, %q, %v; want %q, %q", tt.url, host, repo, ok, tt.host, tt.repo)
		}
	}
}

func TestSameGitHub(t *testing.T) {
	for _, tt := range []struct {
		git, api string
		want     bool
	}{
		{"github.com", "api.github.com", true},
		{"ssh.github.com", "api.github.com", true},
		{"GitHub.com", "api.github.com", true},
		{"ghe.example.com", "ghe.example.com", true},
		{"octo.ghe.com", "api.octo.ghe.com", true},
		{"github.com", "ghe.example.com", false},
		{"ghe.example.com", "api.github.com", false},
	} {
		if got := sameGitHub(tt.git, tt.api); got != tt.want {
			t.Errorf("sameGitHub(%q, %q) = %v", tt.git, tt.api, got)
		}
	}
}

// Which repository check asks about: --github-repo, else the origin remote
// on the API's host, else GITHUB_REPOSITORY.
func TestGitHubTarget(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "--quiet")
	git(t, dir, "remote", "add", "origin", "git@github.com:acme/widgets.git")
	gitCheckout := checkout{dir: dir, source: "git index"}
	cfg := func(env map[string]string, flags githubFlags) *githubConfig {
		env["GITHUB_TOKEN"] = "t"
		c, err := flags.config(func(k string) string { return env[k] })
		if err != nil || c == nil {
			t.Fatalf("config: %v, %v", c, err)
		}
		return c
	}
	for _, tt := range []struct {
		name  string
		env   map[string]string
		flags githubFlags
		co    checkout
		want  string
	}{
		{"origin", map[string]string{}, githubFlags{}, gitCheckout, "acme/widgets"},
		{"origin over GITHUB_REPOSITORY", map[string]string{"GITHUB_REPOSITORY": "acme/workflows"}, githubFlags{}, gitCheckout, "acme/widgets"},
		{"flag over origin", map[string]string{}, githubFlags{repo: "acme/other"}, gitCheckout, "acme/other"},
		{"GITHUB_REPOSITORY for a plain directory", map[string]string{"GITHUB_REPOSITORY": "acme/workflows"}, githubFlags{}, checkout{dir: dir, source: "directory"}, "acme/workflows"},
		{"origin on another host", map[string]string{"GITHUB_API_URL": "https://ghe.example.com/api/v3"}, githubFlags{}, gitCheckout,
			"the origin remote is on github.com, but the API is https://ghe.example.com/api/v3/: pass --github-api-url https://api.github.com/, or name the repository with --github-repo OWNER/NAME"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, why := cfg(tt.env, tt.flags).target(tt.co)
			if got == "" {
				got = why
			}
			if got != tt.want {
				t.Errorf("target = %q, want %q", got, tt.want)
			}
		})
	}
}

// GitHub failing after its verdict: the verdict's findings stand, the
// owners not looked up are listed as not checked, and why.
func TestCheckWhenGitHubFailsHalfway(t *testing.T) {
	gh, dir, env := widgets(t, widgetFiles)
	for _, prefix := range []string{"/users/", "/orgs/"} {
		gh.Fail(ghtest.FaultMatch{PathPrefix: prefix, Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
	}
	got := runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
	if got.code != ExitFindings {
		t.Errorf("exit %d, want %d for the verdict's findings", got.code, ExitFindings)
	}
	want := "ownerbot check: owners checked against GitHub (acme/widgets at 84650c4): GitHub's verdict on CODEOWNERS\n" +
		"ownerbot check: GitHub could not be asked: it answered 502 Bad Gateway; @acme/gone, @bob, @olga not looked up\n"
	if got.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got.stderr, want)
	}
	doc := decodeReport(t, got.stdout)
	if n := len(ownerFindings(doc)); n != 2 {
		t.Errorf("%d owner findings, want the verdict's 2", n)
	}
	if why := skipped(doc)["owners.unresolvable"]; why != "checked in part: @acme/gone, @bob, @olga not checked: GitHub could not be asked: it answered 502 Bad Gateway" {
		t.Errorf("owners.unresolvable skipped for %q", why)
	}
}
