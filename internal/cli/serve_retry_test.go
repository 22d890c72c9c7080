package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/prcheck"
)

// Which failed jobs serve retries, and how long it waits at least.
func TestRetryableJobError(t *testing.T) {
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	status := func(code int, msg string) error {
		return fmt.Errorf("read pull request o/r#1: %w", &github.ErrorResponse{Response: &http.Response{StatusCode: code}, Message: msg})
	}
	ninety := 90 * time.Second
	tests := []struct {
		name    string
		err     error
		retry   bool
		atLeast time.Duration
	}{
		{"502 after the client's retries", status(http.StatusBadGateway, "Bad Gateway"), true, 0},
		{"network error", fmt.Errorf("read pull request o/r#1: %w", errors.New("dial tcp: connection refused")), true, 0},
		{"job timeout", fmt.Errorf("lease on o/r#1: %w", context.DeadlineExceeded), true, 0},
		{"409 conflict", status(http.StatusConflict, "conflict"), true, 0},
		{"rate limit longer than MaxWait", fmt.Errorf("list files: %w", &ghapp.RateLimitError{InstallationID: 7, Resource: "core", Wait: 20 * time.Minute, MaxWait: time.Minute}), true, 20 * time.Minute},
		{"primary rate limit", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(10 * time.Minute)}}}, true, 10 * time.Minute},
		{"primary rate limit already reset", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(-time.Minute)}}}, true, 0},
		{"secondary rate limit", &github.AbuseRateLimitError{RetryAfter: &ninety}, true, 90 * time.Second},
		{"secondary rate limit without Retry-After", &github.AbuseRateLimitError{}, true, 0},
		{"403 naming a secondary rate limit", status(http.StatusForbidden, "You have exceeded a secondary rate limit"), true, 0},
		{"403 missing permission", status(http.StatusForbidden, "Resource not accessible by integration"), false, 0},
		{"401", status(http.StatusUnauthorized, "Bad credentials"), false, 0},
		{"404", status(http.StatusNotFound, "Not Found"), false, 0},
		{"410", status(http.StatusGone, "Gone"), false, 0},
		{"422 validation", status(http.StatusUnprocessableEntity, "Validation Failed"), false, 0},
		{"git refused the token", fmt.Errorf("fetch o/r: %w", ghapp.ErrGitAuth), false, 0},
		{"the commits do not evaluate", fmt.Errorf("check o/r#1: %w", fmt.Errorf("%w: evaluate head abc: read x: boom", prcheck.ErrEvaluation)), false, 0},
		{"several pull requests, one transient", errors.Join(status(http.StatusNotFound, ""), status(http.StatusBadGateway, "")), true, 0},
		{"several pull requests, longest wait", errors.Join(&github.AbuseRateLimitError{RetryAfter: &ninety}, &ghapp.RateLimitError{Wait: time.Minute}), true, 90 * time.Second},
		{"several pull requests, none transient", errors.Join(status(http.StatusNotFound, ""), status(http.StatusUnprocessableEntity, "")), false, 0},
	}
	for _, tc := range tests {
		retry, atLeast := retryableJobError(tc.err, now)
		if diff := cmp.Diff([]any{tc.retry, tc.atLeast}, []any{retry, atLeast}); diff != "" {
			t.Errorf("%s: retry, at least (-want +got):\n%s", tc.name, diff)
		}
	}
}

// OWNERBOT_JOB_RETRIES=0 turns retries off, where webhook's 0 would mean
// its default.
func TestJobRetries(t *testing.T) {
	got := []int{jobRetries(0), jobRetries(1), jobRetries(3)}
	if diff := cmp.Diff([]int{-1, 1, 3}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
