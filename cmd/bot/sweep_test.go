package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// sweepCmd runs `ownerbot sweep` with env: appEnv, as a CronJob would,
// with no webhook secret.
func sweepCmd(t *testing.T, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sweep"}, args...)...)
	cmd.Env = env
	return runCmd(t, cmd)
}

// The sweep as a CronJob runs it: a dry run prints the plan and writes
// nothing; the real run opens the living issue; the next run has nothing
// to do.
func TestSweepCommand(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	repo := seedRepo(gh, "shop")
	repo.Commit("main", map[string]string{
		"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\ntier: 2\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2025-01-01\"}\n",
	}, "Let the review lapse (#1)", e2eDay)
	seedRepo(gh, "archive")
	gh.AddTeam("acme", "pay", []string{"paul"}, nil)
	env := appEnv(t, gh)

	dry := sweepCmd(t, env, "--dry-run")
	if dry.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", dry.code, dry.stderr)
	}
	for _, want := range []string{
		"acme/shop\topen\t\"Ownership work due in pay/\": open: 1 item due",
		"swept 2 repositories of 1 installations (0 skipped, 0 failed): open 1; 0 pull requests checked",
	} {
		if !strings.Contains(dry.stdout, want) {
			t.Errorf("the plan lacks %q:\n%s", want, dry.stdout)
		}
	}
	for _, r := range gh.Requests() {
		if r.Method != http.MethodGet && !strings.HasSuffix(r.Path, "/access_tokens") {
			t.Errorf("a dry run wrote: %s %s", r.Method, r.Path)
		}
	}

	if res := sweepCmd(t, env, "--shard", "0/1"); res.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", res.code, res.stderr)
	}
	issues := gh.Issues("acme", "shop")
	if len(issues) != 1 || !strings.Contains(issues[0].Body, "The ownership review of pay/ was due on 2025-06-30") {
		t.Fatalf("want the pay/ issue, got %+v", issues)
	}
	again := sweepCmd(t, env, "--repo", "acme/shop")
	if again.code != 0 || !strings.Contains(again.stdout, "nothing to change") {
		t.Errorf("a second sweep: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}

	// Every run is a new process, yet one that finds nothing changed costs
	// GitHub nothing: the last run's caches, saved beside the clones, make
	// its reads conditional.
	gh.ResetRecording()
	if res := sweepCmd(t, env); res.code != 0 {
		t.Fatalf("a third sweep: exit %d\n%s", res.code, res.stderr)
	}
	reads, notModified := 0, 0
	for _, r := range gh.Requests() {
		if r.Method == http.MethodGet {
			reads++
			if r.Status == http.StatusNotModified {
				notModified++
			}
		}
	}
	if reads == 0 || notModified*10 < reads*9 {
		t.Errorf("a sweep of unchanged repositories: %d of %d reads were 304s", notModified, reads)
		for _, r := range gh.Requests() {
			t.Logf("%s %s %d", r.Method, r.Path, r.Status)
		}
	}

	bad := sweepCmd(t, env, "--shard", "3/3")
	if bad.code != 2 || !strings.Contains(bad.stderr, "--shard wants I/N") {
		t.Errorf("a bad shard: exit %d, %q", bad.code, bad.stderr)
	}
}

// A push to the default branch that does the work closes the issue at once.
func TestServeSweepsOnPush(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	repo := seedRepo(gh, "shop")
	lapsed := "version: 1\nowner: \"@acme/pay\"\ntier: 2\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2025-01-01\"}\n"
	repo.Commit("main", map[string]string{"pay/OWNERS.yaml": lapsed}, "Let the review lapse", e2eDay)
	if res := sweepCmd(t, appEnv(t, gh)); res.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", res.code, res.stderr)
	}
	s := startServe(t, gh)
	fixed := repo.Commit("main", map[string]string{"pay/OWNERS.yaml": strings.Replace(lapsed, "2025-01-01", "2026-11-20", 1)}, "Review pay (#9)", time.Now())
	body := fmt.Sprintf(`{"ref":"refs/heads/main","after":%q,"deleted":false,"repository":{"name":"shop","full_name":"acme/shop","default_branch":"main","owner":{"login":"acme","name":"acme"}},"installation":{"id":%d}}`, fixed, e2eInstallation)
	if code := s.deliver(t, "push", "push-1", []byte(body)); code != http.StatusAccepted && code != http.StatusOK {
		t.Fatalf("push delivery: %d", code)
	}
	eventually(t, s, "the issue closes", func() bool {
		issues := gh.Issues("acme", "shop")
		return len(issues) == 1 && issues[0].State == "closed"
	})
	comments := gh.Comments("acme", "shop", gh.Issues("acme", "shop")[0].Number)
	if last := comments[len(comments)-1].Body; !strings.Contains(last, fixed[:7]) || !strings.Contains(last, "(#9)") {
		t.Errorf("the closing comment does not name the commit:\n%s", last)
	}
}
