package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

const (
	e2eSecret       = "e2e-webhook-secret"
	e2eInstallation = 21
)

// server is a running `ownerbot serve` process.
type server struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

// startServe runs the real binary against the fake GitHub, as a platform
// team would run it, configured only through the environment. env entries
// ("KEY=value") are added last, so they override the defaults.
func startServe(t testing.TB, gh *ghtest.GitHub, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(appEnv(t, gh),
		"OWNERBOT_WEBHOOK_SECRET=old-secret,"+e2eSecret,
		"OWNERBOT_LISTEN_ADDR=127.0.0.1:0",
		"OWNERBOT_WORKERS=2",
		"OWNERBOT_LOG_LEVEL=debug",
	)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			var entry struct{ Message, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "listening" {
				listening <- entry.Addr
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case s.addr = <-listening:
	case err := <-s.done:
		t.Fatalf("serve exited before listening: %v\n%s", err, s.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start listening\n%s", s.log())
	}
	return s
}

// appEnv is the environment that points serve or sweep at the fake
// GitHub as its App: id, key, API address and a fresh clone cache.
func appEnv(t testing.TB, gh *ghtest.GitHub) []string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(key, gh.App.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(),
		fmt.Sprintf("OWNERBOT_APP_ID=%d", gh.App.ID),
		"OWNERBOT_PRIVATE_KEY_FILE="+key,
		"OWNERBOT_GITHUB_API_URL="+gh.URL(),
		"OWNERBOT_CACHE_DIR="+t.TempDir(),
		// Pacing writes a second apart is for GitHub; the fake needs none.
		"OWNERBOT_WRITE_INTERVAL=off",
		"OWNERBOT_CONTENT_INTERVAL=off",
	)
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// deliver posts a signed delivery and returns the status.
func (s *server) deliver(t *testing.T, event, id string, body []byte) int {
	t.Helper()
	req := ghtest.NewRequest("http://"+s.addr+"/webhook", event, id, body, []byte(e2eSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// get returns the status and the text, trimmed, of serve's page at path.
func (s *server) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(text))
}

// metricsText is serve's /metrics page.
func (s *server) metricsText(t testing.TB) string {
	t.Helper()
	_, text := s.get(t, "/metrics")
	return text
}

// grepLines returns the lines of text that start with prefix.
func grepLines(text, prefix string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}

// idle reports whether serve has no job waiting and none running.
func (s *server) idle(t testing.TB) bool {
	t.Helper()
	metrics := s.metricsText(t)
	for _, gauge := range []string{"ownerbot_webhook_queue_depth ", "ownerbot_webhook_jobs_in_flight "} {
		if line := grepLines(metrics, gauge); line != gauge+"0" {
			return false
		}
	}
	return true
}

// openPull opens a pull request in acme/mono as spec says and delivers
// its "opened" event with delivery id id, which serve must accept.
func (s *server) openPull(t *testing.T, gh *ghtest.GitHub, spec ghtest.PullSpec, id string) ghtest.Pull {
	t.Helper()
	pr := gh.OpenPull("acme", "mono", spec)
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(gh, "mono", pr))
	if code := s.deliver(t, "pull_request", id, opened); code != http.StatusAccepted {
		t.Fatalf("%s: status %d", id, code)
	}
	return pr
}

// eventually waits for cond, which reads the fake's state, to hold. It
// waits for asynchronous work, not to measure it: the deadline is generous.
func eventually(t *testing.T, s *server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nserve's log:\n%s", what, s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runsOn(gh *ghtest.GitHub, head string) []ghtest.CheckRun {
	var out []ghtest.CheckRun
	for _, r := range gh.CheckRuns("acme", "mono") {
		if r.HeadSHA == head {
			out = append(out, r)
		}
	}
	return out
}

// e2eDay is when the fixture's first commit is made.
var e2eDay = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// seedRepo creates acme/<name> in installation e2eInstallation with one
// commit on main: a CODEOWNERS, a root unit, and a tier-2 pay unit with a
// runbook.
func seedRepo(gh *ghtest.GitHub, name string) *ghtest.FixtureRepo {
	repo := gh.Git.CreateRepo("acme", name)
	repo.Commit("main", map[string]string{
		".github/ownerbot.yaml":  "version: 1\nmode: enforce\n",
		".github/CODEOWNERS":     "* @acme/platform\n/pay/ @acme/pay\n",
		"OWNERS.yaml":            "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/OWNERS.yaml":        "version: 1\nowner: \"@acme/pay\"\ntier: 2\napprovers: [\"@acme/pay\"]\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/runbooks/outage.md": "---\nlast_reviewed: \"2026-11-01\"\n---\n# Outage\n",
		"pay/api/main.go":        "package main\n",
	}, "the monorepo", e2eDay)
	gh.AddRepo(e2eInstallation, "acme", name, ghtest.RepoOptions{})
	return repo
}

// newMonorepo is the fake GitHub the serve tests start from: the App
// installed on acme, with acme/mono seeded and the two teams its
// CODEOWNERS names.
func newMonorepo(t testing.TB) (*ghtest.GitHub, *ghtest.FixtureRepo) {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	repo := seedRepo(gh, "mono")
	gh.AddTeam("acme", "pay", []string{"paul"}, map[string]string{"acme/mono": "push"})
	gh.AddTeam("acme", "platform", []string{"pat"}, map[string]string{"acme/mono": "admin"})
	return gh, repo
}

func TestServeEndToEnd(t *testing.T) {
	gh, _ := newMonorepo(t)
	day := e2eDay
	s := startServe(t, gh)
	s.waitReady(t) // once GitHub has accepted the App's credentials

	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}

	// A real "opened" delivery, pointed at the fixture: one check run and
	// one comment.
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 5, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: day.Add(time.Hour)})
	target := ghtest.Target{Installation: e2eInstallation, Owner: "acme", Repo: "mono",
		CloneURL: gh.Git.CloneURL("acme", "mono"), Number: 5, HeadSHA: pr.HeadSHA, BaseSHA: pr.BaseSHA}
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target)
	if code := s.deliver(t, "pull_request", "d-opened", opened); code != http.StatusAccepted {
		t.Fatalf("opened: status %d", code)
	}
	eventually(t, s, "the check run and the comment", func() bool {
		return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 5)) == 1
	})
	if run := runsOn(gh, pr.HeadSHA)[0]; run.Conclusion != "success" {
		t.Errorf("opened: conclusion %q (%s)", run.Conclusion, run.Title)
	}

	// A wrongly signed delivery is refused and changes nothing.
	bad := ghtest.NewRequest("http://"+s.addr+"/webhook", "pull_request", "d-bad", opened, []byte("wrong"))
	if resp, err := http.DefaultClient.Do(bad); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong signature: %v %v", resp.StatusCode, err)
	}

	// synchronize: the new head gets its own check run; the comment is
	// edited in place.
	head2 := gh.PushPull("acme", "mono", 5, map[string]string{"pay/api/main.go": "package main // v3\n"}, "v3", day.Add(2*time.Hour))
	target.HeadSHA = head2
	synchronize := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "synchronize"), target)
	s.deliver(t, "pull_request", "d-sync", synchronize)
	eventually(t, s, "a check run on the new head", func() bool { return len(runsOn(gh, head2)) == 1 })
	if n := len(gh.Comments("acme", "mono", 5)); n != 1 {
		t.Errorf("after synchronize: %d comments, want 1", n)
	}

	// The same delivery 50 times at once: nothing more happens. A sentinel
	// delivery for another pull request, sent after, tells when the queue
	// has moved past them.
	before := runsOn(gh, head2)[0].Writes
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliver(t, "pull_request", "d-sync", synchronize)
		}()
	}
	wg.Wait()
	exceptions := "version: 1\nexceptions:\n  - id: EXC-2026-009\n    rule: runbook.overdue\n    paths: [\"runbooks/**\"]\n    reason: \"The runbook moves to the new wiki this quarter.\"\n    expires: \"2027-01-31\"\n"
	pr6 := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 6, Author: "bob",
		HeadFiles: map[string]string{"pay/OWNERS_EXCEPTIONS.yaml": exceptions}, When: day.Add(3 * time.Hour)})
	t6 := ghtest.Target{Installation: e2eInstallation, Owner: "acme", Repo: "mono",
		CloneURL: gh.Git.CloneURL("acme", "mono"), Number: 6, HeadSHA: pr6.HeadSHA, BaseSHA: pr6.BaseSHA}
	s.deliver(t, "pull_request", "d-6-opened", ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), t6))
	eventually(t, s, "the exception pull request's check run", func() bool { return len(runsOn(gh, pr6.HeadSHA)) == 1 })
	if got := runsOn(gh, head2); len(got) != 1 || got[0].Writes != before || len(gh.Comments("acme", "mono", 5)) != 1 {
		t.Errorf("50 duplicate deliveries changed something: %d runs (writes %d → %d), %d comments",
			len(got), before, got[0].Writes, len(gh.Comments("acme", "mono", 5)))
	}

	// The exception needs an eligible approval on the head commit: it fails
	// until paul (@acme/pay) approves, and the review delivery re-checks.
	if run := runsOn(gh, pr6.HeadSHA)[0]; run.Conclusion != "failure" {
		t.Errorf("unapproved exception: conclusion %q (%s)", run.Conclusion, run.Title)
	}
	gh.AddReview("acme", "mono", 6, ghtest.Review{User: "paul", State: "APPROVED", CommitID: pr6.HeadSHA, SubmittedAt: day.Add(4 * time.Hour)})
	review := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request_review", "submitted-approved"), t6)
	s.deliver(t, "pull_request_review", "d-6-review", review)
	eventually(t, s, "the approved exception to pass", func() bool {
		runs := runsOn(gh, pr6.HeadSHA)
		return len(runs) == 1 && runs[0].Conclusion == "success"
	})

	// SIGTERM: the process drains and exits cleanly.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v\n%s", err, s.log())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	logs := s.log()
	for _, secret := range []string{e2eSecret, "old-secret", "ghs_", "BEGIN RSA"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret (%q)", secret)
		}
	}
	for _, want := range []string{`"delivery":"d-opened"`, `"message":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

func TestServeRefusesToStartWithoutSecrets(t *testing.T) {
	cmd := exec.Command(binary, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "OWNERBOT_APP_ID=1"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v, want 2\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "OWNERBOT_WEBHOOK_SECRET is not set") || !strings.Contains(lines[0], "no private key") {
		t.Errorf("want one line naming the missing key and secret, got:\n%s", out)
	}
}
