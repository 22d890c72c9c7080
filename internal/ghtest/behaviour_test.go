package ghtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

func TestValidationFailuresAreReported(t *testing.T) {
	ctx := context.Background()
	rep := &reports{}
	_, c := fixture(t, ghtest.WithReporter(rep.add))

	_, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{
		Name: "ownerbot", HeadSHA: strings.Repeat("a", 40), Status: github.String("bogus"),
	})
	if status(err) != http.StatusUnprocessableEntity {
		t.Errorf("invalid status: err = %v, want 422", err)
	}
	req, err := c.NewRequest("GET", "repos/acme/widgets/issues?per_page=lots", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, req, nil); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("per_page=lots: err = %v, want 422", err)
	}
	if _, _, err := c.Repositories.ListBranches(ctx, "acme", "widgets", nil); status(err) != http.StatusNotFound {
		t.Errorf("operation outside the subset: err = %v, want 404", err)
	}
	got := rep.all()
	wants := []string{"POST /repos/acme/widgets/check-runs", "GET /repos/acme/widgets/issues?per_page=lots", "GET /repos/acme/widgets/branches"}
	if len(got) != len(wants) {
		t.Fatalf("reports = %q, want %d", got, len(wants))
	}
	for i, w := range wants {
		if !strings.Contains(got[i], w) {
			t.Errorf("report %d = %q, want it to name %q", i, got[i], w)
		}
	}
}

func TestConditionalRequests(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	_, resp, err := c.Repositories.Get(ctx, "acme", "widgets")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	for _, h := range []string{"ETag", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource", "X-GitHub-Request-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	remaining := resp.Rate.Remaining

	req, err := c.NewRequest("GET", "repos/acme/widgets", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	resp, err = c.Do(ctx, req, nil)
	if resp == nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET: %v, %v; want 304", resp, err)
	}
	if resp.Rate.Remaining != remaining {
		t.Errorf("304 charged the rate limit: remaining %d, want %d", resp.Rate.Remaining, remaining)
	}

	// A change invalidates the ETag.
	gh.AddUser("someone")
	if _, _, err := c.Repositories.Edit(ctx, "acme", "widgets", &github.Repository{Archived: github.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	req, _ = c.NewRequest("GET", "repos/acme/widgets", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = c.Do(ctx, req, nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("after a change: %v, %v; want 200", resp, err)
	}
	if got := gh.Counts(); got != (ghtest.Counts{Total: 4, NotModified: 1}) {
		t.Errorf("Counts = %+v", got)
	}
	gh.ResetRecording()
	if len(gh.Requests()) != 0 {
		t.Error("ResetRecording kept requests")
	}
	rl, _, err := c.RateLimit.Get(ctx)
	if err != nil || rl.GetCore().Limit != 5000 {
		t.Errorf("rate_limit = %v, %v", rl, err)
	}
}

// An installation's hourly limit grows with its repositories, as GitHub
// documents for Apps.
func TestRateLimitGrowsWithRepositories(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ repos, limit int }{{20, 5000}, {120, 10000}, {400, 12500}} {
		gh := ghtest.NewGitHub(t)
		gh.AddInstallation(1, "acme")
		for i := range tc.repos {
			gh.AddRepo(1, "acme", fmt.Sprintf("r%d", i), ghtest.RepoOptions{})
		}
		rl, _, err := client(t, gh, gh.InstallationToken(1)).RateLimit.Get(ctx)
		if err != nil || rl.GetCore().Limit != tc.limit {
			t.Errorf("%d repositories: limit %d (%v), want %d", tc.repos, rl.GetCore().Limit, err, tc.limit)
		}
	}
}

func TestPaginationLinks(t *testing.T) {
	ctx := context.Background()
	_, c := fixture(t)
	for range 5 {
		if _, _, err := c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("x")}); err != nil {
			t.Fatal(err)
		}
	}
	var pages [][]int
	opts := &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 2}}
	for {
		is, resp, err := c.Issues.ListByRepo(ctx, "acme", "widgets", opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Page == 0 && resp.LastPage != 3 {
			t.Errorf("LastPage = %d, want 3", resp.LastPage)
		}
		var nums []int
		for _, i := range is {
			nums = append(nums, i.GetNumber())
		}
		pages = append(pages, nums)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(pages) != 3 || len(pages[2]) != 1 || pages[0][0] != 5 {
		t.Errorf("pages = %v, want [[5 4] [3 2] [1]]", pages)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	newIssue := &github.IssueRequest{Title: github.String("x")}

	t.Run("status", func(t *testing.T) {
		gh, c := fixture(t)
		gh.Fail(ghtest.FaultMatch{Operation: "repos/get", Count: 2}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
		for range 2 {
			if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); status(err) != http.StatusBadGateway {
				t.Errorf("err = %v, want 502", err)
			}
		}
		if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); err != nil {
			t.Errorf("third call: %v", err)
		}
	})
	t.Run("secondary rate limit", func(t *testing.T) {
		gh, c := fixture(t)
		gh.Fail(ghtest.FaultMatch{Method: "POST", PathPrefix: "/repos/acme/widgets/issues"}, ghtest.Fault{Kind: ghtest.FaultSecondaryRateLimit, RetryAfter: 30 * time.Second})
		_, _, err := c.Issues.Create(ctx, "acme", "widgets", newIssue)
		var abuse *github.AbuseRateLimitError
		if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 30*time.Second {
			t.Errorf("err = %v, want AbuseRateLimitError with Retry-After 30s", err)
		}
		if n := len(gh.Issues("acme", "widgets")); n != 0 {
			t.Errorf("rejected write created %d issues", n)
		}
		gh2, c2 := fixture(t)
		gh2.Fail(ghtest.FaultMatch{Operation: "issues/create"}, ghtest.Fault{Kind: ghtest.FaultSecondaryRateLimit})
		if _, _, err := c2.Issues.Create(ctx, "acme", "widgets", newIssue); !errors.As(err, &abuse) {
			t.Errorf("without Retry-After: err = %v, want AbuseRateLimitError", err)
		}
	})
	t.Run("primary rate limit", func(t *testing.T) {
		for _, code := range []int{http.StatusForbidden, http.StatusTooManyRequests} {
			gh, c := fixture(t)
			gh.Fail(ghtest.FaultMatch{Operation: "repos/get"}, ghtest.Fault{Kind: ghtest.FaultPrimaryRateLimit, Status: code, RetryAfter: time.Minute})
			_, resp, err := c.Repositories.Get(ctx, "acme", "widgets")
			if resp == nil || resp.StatusCode != code || resp.Rate.Remaining != 0 || resp.Rate.Reset.Before(time.Now()) {
				t.Errorf("%d: resp = %v, err = %v", code, resp, err)
			}
			var rl *github.RateLimitError
			if code == http.StatusForbidden && !errors.As(err, &rl) {
				t.Errorf("err = %v, want RateLimitError", err)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		gh, c := fixture(t)
		gh.Fail(ghtest.FaultMatch{Operation: "repos/get"}, ghtest.Fault{Kind: ghtest.FaultTimeout, Duration: time.Minute})
		tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, _, err := c.Repositories.Get(tctx, "acme", "widgets"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
		gh.Fail(ghtest.FaultMatch{Operation: "repos/get"}, ghtest.Fault{Kind: ghtest.FaultTimeout, Duration: 50 * time.Millisecond})
		if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); err != nil {
			t.Errorf("slow response: %v", err)
		}
	})
	t.Run("lost response", func(t *testing.T) {
		gh, c := fixture(t)
		gh.AddPull("acme", "widgets", ghtest.Pull{Number: 1})
		gh.Fail(ghtest.FaultMatch{Operation: "issues/create-comment"}, ghtest.Fault{Kind: ghtest.FaultLostResponse})
		if _, _, err := c.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: github.String("hi")}); err == nil {
			t.Error("lost response: no error")
		}
		if n := len(gh.Comments("acme", "widgets", 1)); n != 1 {
			t.Errorf("comments = %d, want the write applied", n)
		}
		if n := gh.CountCalls(func(r ghtest.Request) bool { return r.Status == -1 }); n != 1 {
			t.Errorf("lost responses recorded = %d, want 1", n)
		}
	})
}

func TestConcurrentWorkers(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 1})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, _, err := c.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: github.String("hi")})
			if err == nil {
				_, _, err = c.PullRequests.Get(ctx, "acme", "widgets", 1)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(gh.Comments("acme", "widgets", 1)); n != 8 {
		t.Errorf("comments = %d, want 8", n)
	}
}
