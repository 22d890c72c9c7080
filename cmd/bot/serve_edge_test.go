package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// post delivers a signed delivery and returns the status and the text of
// the answer ("accepted", "ignored", ...).
func (s *server) post(t *testing.T, event, id string, body []byte) (int, string) {
	t.Helper()
	req := ghtest.NewRequest("http://"+s.addr+"/webhook", event, id, body, []byte(e2eSecret))
	resp, err := http.DefaultClient.Do(req)
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

// entries decodes serve's log, one JSON object per line.
func (s *server) entries(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.log(), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("serve logged a line that is not JSON: %q", line)
		}
		out = append(out, e)
	}
	return out
}

// count counts the log lines with message msg whose fields include want.
// Numbers in want are float64, as JSON decodes them.
func (s *server) count(t *testing.T, msg string, want map[string]any) int {
	t.Helper()
	n := 0
	for _, e := range s.entries(t) {
		if e["message"] != msg {
			continue
		}
		match := true
		for k, v := range want {
			if e[k] != v {
				match = false
			}
		}
		if match {
			n++
		}
	}
	return n
}

// waitJob waits until the job of delivery id has finished, whatever its
// outcome. Only a delivery answered "accepted" has a job of its own.
func (s *server) waitJob(t *testing.T, id string) {
	t.Helper()
	eventually(t, s, "the job of delivery "+id, func() bool {
		return s.count(t, "webhook job finished", map[string]any{"delivery": id}) > 0
	})
}

// checkHealthy asserts that serve still runs, answers /healthz, and has
// logged neither a panic nor an error.
func checkHealthy(t *testing.T, s *server) {
	t.Helper()
	select {
	case err := <-s.done:
		t.Fatalf("serve exited: %v\n%s", err, s.log())
	default:
	}
	resp, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d", resp.StatusCode)
	}
	for _, e := range s.entries(t) {
		if e["level"] == "error" || e["level"] == "fatal" || e["level"] == "panic" || e["panic"] != nil {
			t.Errorf("serve logged %v: %v", e["level"], e["message"])
		}
	}
}

// target points recorded deliveries at pull request pr of acme/<repo>.
func target(gh *ghtest.GitHub, repo string, pr ghtest.Pull) ghtest.Target {
	return ghtest.Target{Installation: e2eInstallation, Owner: "acme", Repo: repo,
		CloneURL: gh.Git.CloneURL("acme", repo), Number: pr.Number, HeadSHA: pr.HeadSHA, BaseSHA: pr.BaseSHA}
}

// isWrite reports a request that changes something on GitHub. Creating an
// installation token is how the App authenticates, not a change.
func isWrite(r ghtest.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead &&
		r.Operation != "apps/create-installation-access-token"
}

func writes(gh *ghtest.GitHub) []ghtest.Request {
	var out []ghtest.Request
	for _, r := range gh.Requests() {
		if isWrite(r) {
			out = append(out, r)
		}
	}
	return out
}

func TestServeEnterpriseServerURL(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh, "OWNERBOT_GITHUB_API_URL="+gh.EnterpriseURL())
	if n := s.count(t, "listening", map[string]any{"api": gh.EnterpriseURL()}); n != 1 {
		t.Errorf("serve does not say it talks to %s:\n%s", gh.EnterpriseURL(), s.log())
	}

	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 5, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(gh, "mono", pr))
	if code, answer := s.post(t, "pull_request", "ghes-opened", opened); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("opened: %d %q", code, answer)
	}
	eventually(t, s, "the check run and the comment", func() bool {
		return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 5)) == 1
	})
	s.waitJob(t, "ghes-opened")

	if runs := runsOn(gh, pr.HeadSHA); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Errorf("check runs on the head: %+v", runs)
	}
	if n := len(gh.Comments("acme", "mono", 5)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	reqs := gh.Requests()
	ops := map[string]bool{}
	for _, r := range reqs {
		ops[r.Operation] = true
		if !r.Enterprise {
			t.Errorf("%s %s did not go through /api/v3", r.Method, r.Path)
		}
	}
	for _, op := range []string{"apps/create-installation-access-token", "pulls/get", "checks/create", "issues/create-comment"} {
		if !ops[op] {
			t.Errorf("no %s call recorded; calls: %v", op, slices.Sorted(maps.Keys(ops)))
		}
	}
	checkHealthy(t, s)
}

// replayAnswer is what serve answers a recorded delivery, and whether it
// means work on the pull request it names.
type replayAnswer struct {
	status  int
	answers []string // any of these
	prWork  bool
}

// expectedAnswer is webhook.DefaultAccept and the ingress's answers, spelt
// out per event: ping gets 200 "pong"; an event worth a job 202 "accepted"
// (never "coalesced" here: the test waits for each job before the next
// delivery); any other 202 "ignored". ok is false for an event this table
// does not know, so that new shared material makes someone decide.
func expectedAnswer(event, action string, body []byte) (a replayAnswer, ok bool) {
	ignored := replayAnswer{status: http.StatusAccepted, answers: []string{"ignored"}}
	job := replayAnswer{status: http.StatusAccepted, answers: []string{"accepted"}}
	prJob := replayAnswer{status: http.StatusAccepted, answers: []string{"accepted"}, prWork: true}
	switch event + "/" + action {
	case "ping/":
		return replayAnswer{status: http.StatusOK, answers: []string{"pong"}}, true
	case "pull_request/opened", "pull_request/synchronize", "pull_request/reopened",
		"pull_request/ready_for_review", "pull_request/closed",
		"pull_request_review/submitted", "pull_request_review/dismissed", "pull_request_review/edited",
		"check_run/rerequested", "check_suite/requested", "check_suite/rerequested":
		return prJob, true
	case "pull_request/edited":
		var p struct {
			Changes struct {
				Base json.RawMessage `json:"base"`
			} `json:"changes"`
		}
		if json.Unmarshal(body, &p) == nil && len(p.Changes.Base) > 0 && string(p.Changes.Base) != "null" {
			return prJob, true
		}
		return ignored, true
	case "pull_request/review_requested", "pull_request/labeled", "pull_request/assigned",
		"issues/opened", "issues/closed", "issue_comment/created":
		return ignored, true
	case "installation/created", "installation/deleted", "installation_repositories/added",
		"installation_repositories/removed", "push/":
		return job, true
	}
	return replayAnswer{}, false
}

// pointAt rewrites a recorded delivery of any event so that whatever it
// names (installation, repository, pull request, check run or suite,
// comment on a pull request) is the fixture's.
func pointAt(t *testing.T, event string, body []byte, to ghtest.Target) []byte {
	t.Helper()
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		t.Fatalf("%s delivery: %v", event, err)
	}
	if _, ok := probe["repository"]; ok {
		body = ghtest.Retarget(t, body, to)
	}
	return ghtest.Rewrite(t, body, func(m map[string]any) {
		if inst, ok := m["installation"].(map[string]any); ok {
			inst["id"] = to.Installation
			if acct, ok := inst["account"].(map[string]any); ok {
				acct["login"] = to.Owner
			}
		}
		for _, key := range []string{"check_run", "check_suite"} {
			c, ok := m[key].(map[string]any)
			if !ok {
				continue
			}
			c["head_sha"] = to.HeadSHA
			c["pull_requests"] = []any{map[string]any{
				"number": to.Number,
				"head":   map[string]any{"ref": fmt.Sprintf("pr-%d", to.Number), "sha": to.HeadSHA},
				"base":   map[string]any{"ref": "main", "sha": to.BaseSHA},
			}}
		}
		if event == "issue_comment" {
			if iss, ok := m["issue"].(map[string]any); ok {
				iss["number"] = to.Number
				iss["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", to.Owner, to.Repo, to.Number)}
			}
		}
	})
}

type recorded struct {
	event, file, action string
	body                []byte
	want                replayAnswer
}

func TestServeReplaysEveryDelivery(t *testing.T) {
	root := filepath.Join(datasettest.Shared(t, "github"), "webhooks")
	gh, _ := newMonorepo(t)
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 5, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
	to := target(gh, "mono", pr)

	var quiet, work []recorded
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var head struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		event := filepath.Base(filepath.Dir(path))
		rel, _ := filepath.Rel(root, path)
		want, ok := expectedAnswer(event, head.Action, raw)
		if !ok {
			t.Errorf("%s: no expected answer for %s/%s: decide what serve should do and add it to expectedAnswer", rel, event, head.Action)
			return nil
		}
		rec := recorded{event: event, file: rel, action: head.Action, body: pointAt(t, event, raw, to), want: want}
		if want.prWork {
			work = append(work, rec)
		} else {
			quiet = append(quiet, rec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(quiet) == 0 || len(work) == 0 {
		t.Fatalf("found %d deliveries that need no pull request work and %d that do under %s", len(quiet), len(work), root)
	}

	s := startServe(t, gh)
	// deliver posts rec and, when it became a job, waits for the job.
	deliver := func(rec recorded) (job bool) {
		t.Helper()
		id := "replay-" + strings.TrimSuffix(filepath.ToSlash(rec.file), ".json")
		code, answer := s.post(t, rec.event, id, rec.body)
		if code != rec.want.status || !slices.Contains(rec.want.answers, answer) {
			t.Errorf("%s (%s/%s): %d %q, want %d and one of %q", rec.file, rec.event, rec.action, code, answer, rec.want.status, rec.want.answers)
		}
		if answer != "accepted" {
			return false
		}
		s.waitJob(t, id)
		return true
	}

	// First the deliveries that concern no pull request, or that do but
	// are not worth a check: once their jobs are done, GitHub has seen no
	// write.
	for _, rec := range quiet {
		deliver(rec)
	}
	if w := writes(gh); len(w) > 0 {
		t.Errorf("deliveries that need no pull request work wrote to GitHub: %+v", w)
	}
	checkHealthy(t, s)

	// Then every delivery about the pull request, one at a time so that
	// each reaches the handler rather than coalescing into the next:
	// whatever the action, the result is one check run and one comment.
	jobs := 0
	for _, rec := range work {
		if deliver(rec) {
			jobs++
		}
	}
	if n := s.count(t, "webhook job finished", map[string]any{"pr": float64(5), "outcome": "ok"}); n != jobs || jobs != len(work) {
		t.Errorf("%d of %d deliveries about the pull request became jobs, %d of them ended ok", jobs, len(work), n)
	}
	runs := runsOn(gh, pr.HeadSHA)
	if len(runs) != 1 || runs[0].Name != "ownerbot" || runs[0].Conclusion != "success" {
		t.Errorf("check runs on the head: %+v", runs)
	}
	if n := len(gh.CheckRuns("acme", "mono")); n != len(runs) {
		t.Errorf("%d check runs in the repository, %d on the head", n, len(runs))
	}
	if c := gh.Comments("acme", "mono", 5); len(c) != 1 {
		t.Errorf("%d comments, want 1", len(c))
	}
	created := func(op string) int {
		return gh.CountCalls(func(r ghtest.Request) bool { return r.Operation == op })
	}
	if n := created("checks/create"); n != 1 {
		t.Errorf("%d check runs created, want 1", n)
	}
	if n := created("issues/create-comment"); n != 1 {
		t.Errorf("%d comments created, want 1", n)
	}
	checkHealthy(t, s)
	t.Logf("%d deliveries without pull request work, %d with (%d jobs); %d API calls",
		len(quiet), len(work), jobs, gh.CountCalls(nil))
}

func TestServeForcePushedHeadAndDeletedRepository(t *testing.T) {
	gh, repo := newMonorepo(t)
	s := startServe(t, gh)
	opened := ghtest.Delivery(t, "pull_request", "opened")
	skipped := func(repo string, pr int) []string {
		var reasons []string
		for _, e := range s.entries(t) {
			if e["message"] == "pull request skipped" && e["repo"] == "acme/"+repo && e["pr"] == float64(pr) {
				reasons = append(reasons, fmt.Sprint(e["reason"]))
			}
		}
		return reasons
	}

	t.Run("the API has the new head", func(t *testing.T) {
		pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 7, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
		old := pr.HeadSHA
		// A force-push rewrites the branch from the base: the old head is
		// in no ref any more, so no fetch can bring it.
		repo.SetRef("refs/heads/pr-7", pr.BaseSHA)
		head := gh.PushPull("acme", "mono", 7, map[string]string{"pay/api/main.go": "package main // rewritten\n"}, "rewritten", e2eDay.Add(2*time.Hour))
		if repo.Rev(head+"~1") != pr.BaseSHA || repo.Rev("refs/pull/7/head") != head {
			t.Fatal("the fixture's force-push did not replace the head")
		}
		// The delivery GitHub sent for the old head arrives now.
		if code, answer := s.post(t, "pull_request", "force-7", ghtest.Retarget(t, opened, target(gh, "mono", pr))); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("opened: %d %q", code, answer)
		}
		eventually(t, s, "a check run on the new head", func() bool {
			return len(runsOn(gh, head)) == 1 && len(gh.Comments("acme", "mono", 7)) == 1
		})
		s.waitJob(t, "force-7")
		if runs := runsOn(gh, head); len(runs) != 1 || runs[0].Conclusion != "success" {
			t.Errorf("check runs on the new head: %+v", runs)
		}
		if runs := runsOn(gh, old); len(runs) != 0 {
			t.Errorf("check runs on the force-pushed head: %+v", runs)
		}
		for _, r := range gh.Requests() {
			if strings.Contains(r.Path, old) {
				t.Errorf("asked GitHub about the force-pushed head: %s %s", r.Method, r.Path)
			}
		}
		if got := skipped("mono", 7); len(got) != 0 {
			t.Errorf("skipped: %q", got)
		}
	})

	t.Run("the API still has the old head", func(t *testing.T) {
		pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 8, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": "package main // v4\n"}, When: e2eDay.Add(3 * time.Hour)})
		// git has the force-push, the API does not yet: it names a head
		// that no ref reaches.
		repo.SetRef("refs/heads/pr-8", pr.BaseSHA)
		repo.SetRef("refs/pull/8/head", repo.Commit("pr-8", map[string]string{"pay/api/main.go": "package main // v5\n"}, "rewritten", e2eDay.Add(4*time.Hour)))
		before := len(writes(gh))
		if code, answer := s.post(t, "pull_request", "force-8", ghtest.Retarget(t, opened, target(gh, "mono", pr))); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("opened: %d %q", code, answer)
		}
		s.waitJob(t, "force-8")
		if got := skipped("mono", 8); len(got) != 1 || got[0] != "the head commit is gone (force-pushed?)" {
			t.Errorf("skipped: %q, want once, because the head commit is gone", got)
		}
		if w := writes(gh)[before:]; len(w) != 0 {
			t.Errorf("wrote to GitHub: %+v", w)
		}
		if n := len(gh.Comments("acme", "mono", 8)); n != 0 {
			t.Errorf("%d comments", n)
		}
	})

	t.Run("the repository is deleted", func(t *testing.T) {
		seedRepo(gh, "gone")
		gone := gh.OpenPull("acme", "gone", ghtest.PullSpec{Number: 3, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
		gh.DeleteRepo("acme", "gone")
		// Only git has seen the deletion yet: the API still answers for
		// the pull request, the fetch that follows gets 404.
		seedRepo(gh, "vanishing")
		vanishing := gh.OpenPull("acme", "vanishing", ghtest.PullSpec{Number: 4, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
		gh.Git.DeleteRepo("acme", "vanishing")

		for _, d := range []struct {
			repo   string
			pr     ghtest.Pull
			reason string
		}{
			{"gone", gone, "the pull request or its repository is gone"},
			{"vanishing", vanishing, "the repository is gone"},
		} {
			id := "deleted-" + d.repo
			if code, answer := s.post(t, "pull_request", id, ghtest.Retarget(t, opened, target(gh, d.repo, d.pr))); code != http.StatusAccepted || answer != "accepted" {
				t.Fatalf("%s: %d %q", d.repo, code, answer)
			}
			s.waitJob(t, id)
			if got := skipped(d.repo, d.pr.Number); len(got) != 1 || got[0] != d.reason {
				t.Errorf("acme/%s: skipped %q, want once with %q", d.repo, got, d.reason)
			}
		}
		notFound := gh.CountCalls(func(r ghtest.Request) bool {
			return r.Operation == "pulls/get" && r.Path == "/repos/acme/gone/pulls/3" && r.Status == http.StatusNotFound
		})
		if notFound == 0 {
			t.Error("the deleted repository's pull request was not answered 404")
		}
		for _, r := range writes(gh) {
			if strings.HasPrefix(r.Path, "/repos/acme/gone/") || strings.HasPrefix(r.Path, "/repos/acme/vanishing/") {
				t.Errorf("wrote to a deleted repository: %s %s", r.Method, r.Path)
			}
		}
		checkHealthy(t, s)

		// Another pull request is checked as usual afterwards.
		pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 9, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": "package main // v9\n"}, When: e2eDay.Add(5 * time.Hour)})
		if code, answer := s.post(t, "pull_request", "after-deletion", ghtest.Retarget(t, opened, target(gh, "mono", pr))); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("opened: %d %q", code, answer)
		}
		eventually(t, s, "the check run and the comment after the deletions", func() bool {
			return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 9)) == 1
		})
	})
	checkHealthy(t, s)
}

func TestServeEditedBaseChange(t *testing.T) {
	gh, repo := newMonorepo(t)
	// release stays where main was; main moves on with a CODEOWNERS line
	// that GitHub skips. A pull request from main carries that line: it is
	// not the pull request's doing against main, but it is against release.
	repo.SetRef("refs/heads/release", repo.Rev("main"))
	repo.Commit("main", map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/[ab]*.go @acme/pay\n"},
		"route two files", e2eDay.Add(30*time.Minute))
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 8, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
	s := startServe(t, gh)
	to := target(gh, "mono", pr)

	if code, answer := s.post(t, "pull_request", "base-opened", ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), to)); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("opened: %d %q", code, answer)
	}
	eventually(t, s, "the check run and the comment", func() bool {
		return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 8)) == 1
	})
	s.waitJob(t, "base-opened")
	if run := runsOn(gh, pr.HeadSHA)[0]; run.Conclusion != "success" {
		t.Fatalf("against main: conclusion %q (%s)", run.Conclusion, run.Title)
	}

	// A title edit changes nothing the bot looks at: no job, no call.
	edited := ghtest.Delivery(t, "pull_request", "edited")
	calls := gh.CountCalls(nil)
	title := ghtest.Rewrite(t, ghtest.Retarget(t, edited, to), func(m map[string]any) {
		m["changes"] = map[string]any{"title": map[string]any{"from": "Change for #8, first draft"}}
	})
	if code, answer := s.post(t, "pull_request", "base-title", title); code != http.StatusAccepted || answer != "ignored" {
		t.Errorf("title edit: %d %q, want 202 \"ignored\"", code, answer)
	}
	if n := gh.CountCalls(nil); n != calls {
		t.Errorf("a title edit made %d API calls", n-calls)
	}

	// The base moves to release: the check is made again, against it.
	newBase := gh.SetPullBase("acme", "mono", 8, "release")
	retargeted := to
	retargeted.BaseSHA = newBase
	base := ghtest.Rewrite(t, ghtest.Retarget(t, edited, retargeted), func(m map[string]any) {
		m["changes"] = map[string]any{"base": map[string]any{
			"ref": map[string]any{"from": "main"},
			"sha": map[string]any{"from": pr.BaseSHA},
		}}
		m["pull_request"].(map[string]any)["base"].(map[string]any)["ref"] = "release"
	})
	if code, answer := s.post(t, "pull_request", "base-changed", base); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("base change: %d %q", code, answer)
	}
	s.waitJob(t, "base-changed")
	runs := runsOn(gh, pr.HeadSHA)
	latest := runs[len(runs)-1]
	if latest.Conclusion != "failure" {
		t.Fatalf("against release: conclusion %q (%s)\n%s", latest.Conclusion, latest.Title, s.log())
	}
	if !hasAnnotation(latest, ".github/CODEOWNERS", 3, "codeowners.syntax") {
		t.Errorf("no annotation at .github/CODEOWNERS:3: %+v", latest.Annotations)
	}
	if c := gh.Comments("acme", "mono", 8); len(c) != 1 || !strings.Contains(c[0].Body, "character ranges") {
		t.Errorf("comments after the base change: %+v", c)
	}
	if n := s.count(t, "webhook job finished", nil); n != 2 {
		t.Errorf("%d jobs ran, want 2 (opened, base change)", n)
	}
	checkHealthy(t, s)
}

func hasAnnotation(run ghtest.CheckRun, path string, line int, rule string) bool {
	for _, a := range run.Annotations {
		if a.Path == path && a.StartLine == line && a.Title == rule && a.Level == "failure" {
			return true
		}
	}
	return false
}

func TestServeCodeownersThatDoesNotParseAtHead(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh)
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 11, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/[ab]*.go @acme/pay\n"}})
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(gh, "mono", pr))
	if code, answer := s.post(t, "pull_request", "broken-opened", opened); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("opened: %d %q", code, answer)
	}
	eventually(t, s, "the check run and the comment", func() bool {
		return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 11)) == 1
	})
	s.waitJob(t, "broken-opened")

	run := runsOn(gh, pr.HeadSHA)[0]
	if run.Conclusion != "failure" {
		t.Errorf("conclusion %q (%s), want failure", run.Conclusion, run.Title)
	}
	if !hasAnnotation(run, ".github/CODEOWNERS", 3, "codeowners.syntax") {
		t.Errorf("no failure annotation at .github/CODEOWNERS:3: %+v", run.Annotations)
	}
	for _, a := range run.Annotations {
		if a.Path == ".github/CODEOWNERS" && a.StartLine == 3 && !strings.Contains(a.Message, "character ranges") {
			t.Errorf("the annotation does not say what is wrong: %q", a.Message)
		}
	}
	body := gh.Comments("acme", "mono", 11)[0].Body
	for _, want := range []string{"`.github/CODEOWNERS:3`", "character ranges", "codeowners.syntax"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment does not mention %q:\n%s", want, body)
		}
	}
	checkHealthy(t, s)
}

// GitHub leaves pull_requests empty in check events of a fork's pull
// request: "Re-run" then names only the head commit, and the bot finds the
// pull request by it.
func TestServeRerunNamesOnlyTheCommit(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh)
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 12, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // from a fork\n"}})
	rerun := ghtest.Rewrite(t, pointAt(t, "check_run", ghtest.Delivery(t, "check_run", "rerequested"), target(gh, "mono", pr)), func(m map[string]any) {
		m["check_run"].(map[string]any)["pull_requests"] = []any{}
	})
	if code, answer := s.post(t, "check_run", "fork-rerun", rerun); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("rerequested: %d %q", code, answer)
	}
	s.waitJob(t, "fork-rerun")
	if runs := runsOn(gh, pr.HeadSHA); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Fatalf("check runs on the fork's head: %+v", runs)
	}
	if n := len(gh.Comments("acme", "mono", 12)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}

	// A push's check suite ("requested") names a commit too, but asks for
	// no re-run: it costs no API call.
	suite := ghtest.Rewrite(t, pointAt(t, "check_suite", ghtest.Delivery(t, "check_suite", "requested"), target(gh, "mono", pr)), func(m map[string]any) {
		m["check_suite"].(map[string]any)["pull_requests"] = []any{}
	})
	calls := gh.CountCalls(nil)
	s.post(t, "check_suite", "push-suite", suite)
	s.waitJob(t, "push-suite")
	if n := gh.CountCalls(nil) - calls; n != 0 {
		t.Errorf("a push's check suite made %d API calls", n)
	}

	// A commit that heads no open pull request is answered and left alone.
	stray := ghtest.Rewrite(t, rerun, func(m map[string]any) {
		m["check_run"].(map[string]any)["head_sha"] = strings.Repeat("c", 40)
	})
	before := len(writes(gh))
	s.post(t, "check_run", "stray-rerun", stray)
	s.waitJob(t, "stray-rerun")
	if after := len(writes(gh)); after != before {
		t.Errorf("a re-run of a commit without a pull request wrote %d times", after-before)
	}
	checkHealthy(t, s)
}
