package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// GitHub answers 502 to the pull request read more times than the client
// retries it, so the job fails. serve retries the job a moment later (the
// delay is short here through OWNERBOT_JOB_RETRY_DELAY), and the check run
// and the comment appear from that delivery alone: no sweep runs.
func TestServeRetriesAFailedJob(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh, "OWNERBOT_JOB_RETRY_DELAY=200ms", "OWNERBOT_JOB_RETRIES=2")
	s.waitReady(t)

	// Every try the client makes of the read (the first and
	// ghapp.DefaultMaxRetries retries): the first job fails.
	const failures = 1 + 3
	gh.Fail(ghtest.FaultMatch{Method: http.MethodGet, Operation: "pulls/get", Count: failures},
		ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
	pr := s.openPull(t, gh, ghtest.PullSpec{Number: 43, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}}, "retried-opened")
	// The job logs that it finished after it published: wait for the line
	// too, so what is counted below is the job's whole story.
	eventually(t, s, "the comment and the check run after the job's retry", func() bool {
		return len(gh.Comments("acme", "mono", 43)) == 1 && len(runsOn(gh, pr.HeadSHA)) == 1 &&
			s.count(t, "webhook job finished", map[string]any{"delivery": "retried-opened", "outcome": "ok"}) == 1
	})

	reads := gh.CountCalls(func(r ghtest.Request) bool { return r.Operation == "pulls/get" })
	refused := gh.CountCalls(func(r ghtest.Request) bool {
		return r.Operation == "pulls/get" && r.Status == http.StatusBadGateway
	})
	if refused != failures || reads <= failures {
		t.Errorf("pull request reads: %d, %d of them refused; want every fault used (%d) and a read that succeeded", reads, refused, failures)
	}
	// The job failed, and its first retry succeeded.
	delivery := map[string]any{"delivery": "retried-opened"}
	if n := s.count(t, "webhook job failed: retrying later", delivery); n != 1 {
		t.Errorf("%d lines say the job is retried later, want 1\n%s", n, s.log())
	}
	if n := s.count(t, "webhook job finished", map[string]any{"delivery": "retried-opened", "outcome": "ok"}); n != 1 {
		t.Errorf("%d successful runs of the delivery, want 1", n)
	}
	if n := s.count(t, "webhook job failed and was retried as often as allowed: the next sweep will pick it up", delivery); n != 0 {
		t.Errorf("the job gave up (%d lines)", n)
	}
	if n := gh.CountCalls(func(r ghtest.Request) bool { return strings.HasPrefix(r.Path, "/installation/repositories") }); n != 0 {
		t.Errorf("%d calls listing the installation's repositories: a sweep ran", n)
	}
	metrics := s.metricsText(t)
	if !strings.Contains(metrics, `ownerbot_webhook_jobs_total{outcome="ok"} 1`) || !strings.Contains(metrics, `ownerbot_webhook_jobs_total{outcome="retry"} 1`) {
		t.Errorf("jobs metric does not show the retries and the success:\n%s", grepLines(metrics, "ownerbot_webhook_jobs_total"))
	}
}

// When every retry fails too, serve gives up after OWNERBOT_JOB_RETRIES,
// logs that the sweep will pick the pull request up, and counts it.
func TestServeGivesUpAfterTheRetries(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh, "OWNERBOT_JOB_RETRY_DELAY=100ms", "OWNERBOT_JOB_RETRIES=1")
	s.waitReady(t)

	gh.Fail(ghtest.FaultMatch{Method: http.MethodGet, Operation: "pulls/get", Count: -1},
		ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
	pr := s.openPull(t, gh, ghtest.PullSpec{Number: 44, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v3\n"}}, "doomed-opened")
	const gaveUp = "webhook job failed and was retried as often as allowed: the next sweep will pick it up"
	eventually(t, s, "serve giving up on the delivery", func() bool {
		return s.count(t, gaveUp, map[string]any{"delivery": "doomed-opened", "level": "error"}) == 1
	})
	if n := s.count(t, "webhook job failed: retrying later", map[string]any{"delivery": "doomed-opened"}); n != 1 {
		t.Errorf("%d retries scheduled, want 1 (OWNERBOT_JOB_RETRIES=1)", n)
	}
	eventually(t, s, "the metric to count the give-up", func() bool {
		return strings.Contains(s.metricsText(t), `ownerbot_webhook_jobs_total{outcome="gave_up"} 1`)
	})
	if !s.idle(t) {
		t.Errorf("serve still holds work after giving up:\n%s", grepLines(s.metricsText(t), "ownerbot_webhook_"))
	}
	if n := len(gh.Comments("acme", "mono", 44)) + len(runsOn(gh, pr.HeadSHA)); n != 0 {
		t.Errorf("%d comments and check runs, want none while GitHub fails every read", n)
	}
}
