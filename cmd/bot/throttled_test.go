package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// GitHub refuses the sticky comment with its secondary rate limit and
// Retry-After: 2. The App waits, and the comment and the check run appear
// after the wait, from the same delivery: nothing is left for the sweep.
func TestServeFinishesAThrottledWrite(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh)
	s.waitReady(t)

	gh.Fail(ghtest.FaultMatch{Method: http.MethodPost, Operation: "issues/create-comment"},
		ghtest.Fault{Kind: ghtest.FaultSecondaryRateLimit, RetryAfter: 2 * time.Second})
	pr := s.openPull(t, gh, ghtest.PullSpec{Number: 41, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}}, "throttled-opened")
	eventually(t, s, "the comment and the check run after the wait", func() bool {
		return len(gh.Comments("acme", "mono", 41)) == 1 && len(runsOn(gh, pr.HeadSHA)) == 1
	})
	refused := gh.CountCalls(func(r ghtest.Request) bool {
		return r.Operation == "issues/create-comment" && r.Status == http.StatusForbidden
	})
	if refused != 1 {
		t.Errorf("%d comment writes were refused, want the one the fault refused", refused)
	}
}
