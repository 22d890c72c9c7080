package ghapp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

// scripted answers the n-th API request with script[n] (the last one
// repeats) and counts requests.
func scripted(f *fakeGitHub, script ...func(w http.ResponseWriter)) *atomic.Int32 {
	var n atomic.Int32
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		i := int(n.Add(1)) - 1
		script[min(i, len(script)-1)](w)
	})
	return &n
}

func status(code int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

func ok(w http.ResponseWriter) {
	w.Header().Set("X-RateLimit-Remaining", "4999")
	writeJSON(w, map[string]any{"id": 1, "number": 1, "title": "t"})
}

func TestRetryGETOn5xx(t *testing.T) {
	f := newFakeGitHub(t, "")
	calls := scripted(f, status(502), status(503), ok)
	clock := newFakeTime()
	c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
	// Full jitter with the test's jitter returning the ceiling: 1s, 2s.
	if d := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, clock.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}
}

func TestRetryGivesUpAfterMaxRetries(t *testing.T) {
	f := newFakeGitHub(t, "")
	calls := scripted(f, status(500))
	c, _ := newTestApp(t, f, newFakeTime(), nil, func(c *Config) { c.MaxRetries = 2 }).Client(1)
	_, resp, err := c.Repositories.Get(context.Background(), "o", "r")
	if err == nil || resp.StatusCode != 500 || calls.Load() != 3 {
		t.Fatalf("err %v, %d calls; want a 500 after 3 calls", err, calls.Load())
	}
}

func TestWritesAreNotRetried(t *testing.T) {
	for _, code := range []int{502, 503} {
		f := newFakeGitHub(t, "")
		calls := scripted(f, status(code), ok)
		clock := newFakeTime()
		c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
		_, _, err := c.Issues.Create(context.Background(), "o", "r", &github.IssueRequest{Title: github.String("x")})
		if err == nil {
			t.Fatalf("POST answered %d: want an error", code)
		}
		if calls.Load() != 1 || len(clock.Sleeps()) != 0 {
			t.Fatalf("POST answered %d: %d calls, sleeps %v; want 1 call, no sleep", code, calls.Load(), clock.Sleeps())
		}
	}
}

func TestSecondaryRateLimitRetryAfter(t *testing.T) {
	f := newFakeGitHub(t, "")
	calls := scripted(f, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusForbidden)
		writeJSON(w, map[string]any{"message": "You have exceeded a secondary rate limit."})
	}, ok)
	clock := newFakeTime()
	c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]time.Duration{7 * time.Second}, clock.Sleeps()); d != "" || calls.Load() != 2 {
		t.Fatalf("calls %d, sleeps (-want +got)\n%s", calls.Load(), d)
	}
}

func TestSecondaryRateLimitWithoutRetryAfterBacksOff(t *testing.T) {
	for _, first := range []func(w http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusForbidden)
			writeJSON(w, map[string]any{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
		},
		status(http.StatusTooManyRequests),
	} {
		f := newFakeGitHub(t, "")
		calls := scripted(f, first, ok)
		clock := newFakeTime()
		c, _ := newTestApp(t, f, clock, nil, func(c *Config) {
			c.Jitter = func(d time.Duration) time.Duration { return d / 2 }
		}).Client(1)
		if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
			t.Fatal(err)
		}
		// Half the one-minute ceiling plus jitter over the other half.
		if d := cmp.Diff([]time.Duration{45 * time.Second}, clock.Sleeps()); d != "" || calls.Load() != 2 {
			t.Fatalf("calls %d, sleeps (-want +got)\n%s", calls.Load(), d)
		}
	}
}

func TestPermissionDeniedIsNotRetried(t *testing.T) {
	f := newFakeGitHub(t, "")
	calls := scripted(f, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusForbidden)
		writeJSON(w, map[string]any{"message": "Resource not accessible by integration"})
	})
	c, _ := newTestApp(t, f, newFakeTime(), nil, nil).Client(1)
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; want an error after 1", err, calls.Load())
	}
}

func exhausted(code int, reset time.Time) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		w.Header().Set("X-RateLimit-Resource", "core")
		if code != http.StatusOK {
			w.WriteHeader(code)
			writeJSON(w, map[string]any{"message": "API rate limit exceeded for installation ID 1."})
			return
		}
		writeJSON(w, map[string]any{"id": 1})
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	ctx := context.Background()
	clock := newFakeTime()
	t0 := clock.Now()
	f := newFakeGitHub(t, "")
	a := newTestApp(t, f, clock, nil, nil)
	c1, _ := a.Client(1)
	c2, _ := a.Client(2)

	t.Run("waits for a reset within MaxWait", func(t *testing.T) {
		calls := scripted(f, exhausted(http.StatusForbidden, t0.Add(30*time.Second)), ok)
		if _, _, err := c1.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]time.Duration{30 * time.Second}, clock.Sleeps()); d != "" || calls.Load() != 2 {
			t.Fatalf("calls %d, sleeps (-want +got)\n%s", calls.Load(), d)
		}
	})

	t.Run("later requests of the installation wait, others do not", func(t *testing.T) {
		now := clock.Now()
		calls := scripted(f, exhausted(http.StatusOK, now.Add(20*time.Second)), ok)
		if _, _, err := c1.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err) // the last call of the budget succeeds
		}
		if _, _, err := c2.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err)
		}
		if got := clock.Sleeps(); len(got) != 1 {
			t.Fatalf("installation 2 waited: sleeps %v", got)
		}
		// A write of installation 1 waits too (go-github, which keeps its
		// own real-clock rate state, must not refuse it first).
		if _, _, err := c1.Issues.Create(ctx, "o", "r", &github.IssueRequest{Title: github.String("x")}); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]time.Duration{30 * time.Second, 20 * time.Second}, clock.Sleeps()); d != "" || calls.Load() != 3 {
			t.Fatalf("calls %d, sleeps (-want +got)\n%s", calls.Load(), d)
		}
	})

	t.Run("a reset beyond MaxWait fails at once", func(t *testing.T) {
		sleeps := len(clock.Sleeps())
		calls := scripted(f, exhausted(http.StatusForbidden, clock.Now().Add(10*time.Minute)), ok)
		_, _, err := c1.Repositories.Get(ctx, "o", "r")
		var ghErr *github.RateLimitError
		if !errors.As(err, &ghErr) || calls.Load() != 1 {
			t.Fatalf("err = %v after %d calls; want *github.RateLimitError after 1", err, calls.Load())
		}
		// The next request of installation 1 is not even sent.
		_, _, err = c1.Repositories.Get(ctx, "o", "r")
		var rlErr *RateLimitError
		if !errors.As(err, &rlErr) || rlErr.InstallationID != 1 || calls.Load() != 1 {
			t.Fatalf("err = %v after %d calls; want *ghapp.RateLimitError and no request", err, calls.Load())
		}
		if _, _, err := c2.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatalf("installation 2: %v", err)
		}
		if got := len(clock.Sleeps()); got != sleeps {
			t.Fatalf("slept %d more times, want none", got-sleeps)
		}
	})
}

func TestRetryHonoursContext(t *testing.T) {
	f := newFakeGitHub(t, "")
	scripted(f, status(502))
	ctx, cancel := context.WithCancel(context.Background())
	a := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
		c.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	})
	c, _ := a.Client(1)
	if _, _, err := c.Repositories.Get(ctx, "o", "r"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRetryGETOnBrokenConnection(t *testing.T) {
	f := newFakeGitHub(t, "")
	var n atomic.Int32
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		if n.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
			return
		}
		ok(w)
	})
	c, _ := newTestApp(t, f, newFakeTime(), nil, nil).Client(1)
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil || n.Load() != 2 {
		t.Fatalf("err %v after %d calls; want success after 2", err, n.Load())
	}
}

// A write whose installation token could not be fetched never left, so it
// is safe to try again.
func TestWriteRetriedWhenTokenRefreshFailed(t *testing.T) {
	f := newFakeGitHub(t, "")
	f.tokenFailures = 1
	var bodies []string
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, strings.TrimSpace(string(b))) // one request: no race
		ok(w)
	})
	c, _ := newTestApp(t, f, newFakeTime(), nil, nil).Client(1)
	_, _, err := c.Issues.Create(context.Background(), "o", "r", &github.IssueRequest{Title: github.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{`{"title":"x"}`}, bodies); d != "" {
		t.Fatalf("POSTs received (-want +got)\n%s", d)
	}
}

// A write GitHub refused for a rate limit never took effect: it is sent
// again once the limit allows, with the same body, instead of failing the
// job that wrote it.
func TestWriteRefusedForARateLimitIsSentAgain(t *testing.T) {
	for name, first := range map[string]func(w http.ResponseWriter){
		"secondary, Retry-After": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusForbidden)
			writeJSON(w, map[string]any{"message": "You have exceeded a secondary rate limit."})
		},
		"429, Retry-After": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusTooManyRequests)
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeGitHub(t, "")
			var bodies []string
			var n atomic.Int32
			f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
				b, _ := io.ReadAll(r.Body)
				bodies = append(bodies, string(b))
				if n.Add(1) == 1 {
					first(w)
					return
				}
				ok(w)
			})
			clock := newFakeTime()
			c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
			_, _, err := c.Issues.CreateComment(context.Background(), "o", "r", 1, &github.IssueComment{Body: github.String("the report")})
			if err != nil {
				t.Fatalf("a throttled comment failed: %v", err)
			}
			if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], "the report") {
				t.Fatalf("bodies sent %q, want the same one twice", bodies)
			}
			if d := cmp.Diff([]time.Duration{5 * time.Second}, clock.Sleeps()); d != "" {
				t.Fatalf("sleeps (-want +got)\n%s", d)
			}
		})
	}
}
