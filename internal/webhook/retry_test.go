package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeTimers stands in for time.AfterFunc: the test sees each timer the
// queue sets and fires it by hand, so no test waits for a retry's delay.
type fakeTimers struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	mu      sync.Mutex
	stopped bool
}

func (ft *fakeTimers) after(d time.Duration, f func()) func() bool {
	t := &fakeTimer{d: d, f: f}
	ft.mu.Lock()
	ft.timers = append(ft.timers, t)
	ft.mu.Unlock()
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (ft *fakeTimers) count() int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return len(ft.timers)
}

// nth waits for timer n (0 for the first) to be set, and returns it.
func (ft *fakeTimers) nth(t *testing.T, n int) *fakeTimer {
	t.Helper()
	waitFor(t, func() bool { return ft.count() > n }, func() string { return fmt.Sprintf("%d timers set, want %d", ft.count(), n+1) })
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.timers[n]
}

// fire runs the timer's function as the runtime would when it expires,
// even when it was stopped: a stopped timer can have fired already, and
// the queue must ignore it.
func (t *fakeTimer) fire() { t.f() }

func (t *fakeTimer) isStopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}

// withFakeTimers makes h's retries wait for ft and take no jitter.
func (h *harness) withFakeTimers(ft *fakeTimers) {
	h.q.after = ft.after
	h.jitter = func(d time.Duration) time.Duration { return d }
}

// flaky fails the first fails calls of each delivery with err, then
// succeeds; every call is reported on calls.
type flaky struct {
	fails int
	err   error
	calls chan string

	mu   sync.Mutex
	seen map[string]int
}

func newFlaky(fails int, err error) *flaky {
	return &flaky{fails: fails, err: err, calls: make(chan string, 100), seen: map[string]int{}}
}

func (f *flaky) Handle(_ context.Context, ev Event) error {
	f.mu.Lock()
	f.seen[ev.DeliveryID]++
	n := f.seen[ev.DeliveryID]
	f.mu.Unlock()
	f.calls <- ev.DeliveryID
	if n <= f.fails {
		return f.err
	}
	return nil
}

// call waits for the next call of the handler.
func call(t *testing.T, calls <-chan string) string {
	t.Helper()
	select {
	case id := <-calls:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not called within 5s")
		return ""
	}
}

// outcomes are the job counters of interest, for one cmp.Diff.
type outcomes struct{ OK, Retry, GaveUp, Error, Canceled int }

func (h *harness) outcomes() outcomes {
	return outcomes{h.jobs(jobOK), h.jobs(jobRetry), h.jobs(jobGaveUp), h.jobs(jobError), h.jobs(jobCanceled)}
}

// A job that fails for a reason that may pass is run again after 30 s,
// 2 min and 8 min (with the defaults), and left to the sweep after that.
func TestFailedJobIsRetriedWithBackoff(t *testing.T) {
	tests := []struct {
		name       string
		fails      int // calls that fail before one succeeds
		retries    int
		atLeast    time.Duration // what Retryable asks for
		wantDelays []time.Duration
		want       outcomes
		wantGaveUp bool
	}{
		{"succeeds at once", 0, 0, 0, nil, outcomes{OK: 1}, false},
		{"succeeds on the second retry", 2, 0, 0, []time.Duration{30 * time.Second, 2 * time.Minute}, outcomes{OK: 1, Retry: 2}, false},
		{"gives up after three retries", 99, 0, 0, []time.Duration{30 * time.Second, 2 * time.Minute, 8 * time.Minute}, outcomes{Retry: 3, GaveUp: 1}, true},
		{"a rate limit's reset lengthens the short delays", 99, 0, 5 * time.Minute, []time.Duration{5 * time.Minute, 5 * time.Minute, 8 * time.Minute}, outcomes{Retry: 3, GaveUp: 1}, true},
		{"a reset further away than the cap", 99, 1, 3 * time.Hour, []time.Duration{MaxRetryDelay}, outcomes{Retry: 1, GaveUp: 1}, true},
		{"retries off", 99, NoRetries, 0, nil, outcomes{GaveUp: 1}, true},
		{"one retry allowed", 99, 1, 0, []time.Duration{30 * time.Second}, outcomes{Retry: 1, GaveUp: 1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			handler := newFlaky(tc.fails, errors.New("GET /repos/o/r/pulls/1: 502 Bad Gateway"))
			h := newHarness(t, handler, func(c *Config) {
				c.Workers = 1
				c.Retries = tc.retries
				c.Retryable = func(error) (bool, time.Duration) { return true, tc.atLeast }
			})
			ft := &fakeTimers{}
			h.withFakeTimers(ft)
			h.start(t)
			h.post("pull_request", "d1", prPayload("opened", 1, "a", t0))
			call(t, handler.calls)
			var delays []time.Duration
			for i := range len(tc.wantDelays) {
				timer := ft.nth(t, i)
				delays = append(delays, timer.d)
				timer.fire()
				if id := call(t, handler.calls); id != "d1" {
					t.Fatalf("retry %d ran %s, want d1", i+1, id)
				}
			}
			if diff := cmp.Diff(tc.wantDelays, delays); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
			if err := h.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := ft.count(); n != len(tc.wantDelays) {
				t.Errorf("%d retries set, want %d", n, len(tc.wantDelays))
			}
			if diff := cmp.Diff(tc.want, h.outcomes()); diff != "" {
				t.Errorf("job outcomes (-want +got):\n%s", diff)
			}
			gaveUp := logLines(t, h.logs.String(), "webhook job failed and was retried as often as allowed: the next sweep will pick it up")
			if got := len(gaveUp) == 1 && gaveUp[0]["delivery"] == "d1" && gaveUp[0]["level"] == "error"; got != tc.wantGaveUp {
				t.Errorf("gave-up log line for d1: %v, want %v (lines: %v)", got, tc.wantGaveUp, gaveUp)
			}
			if got := testutil.ToFloat64(h.m.queue); got != 0 {
				t.Errorf("queue depth = %v, want 0", got)
			}
		})
	}
}

// Failures a retry cannot fix are not retried: what Retryable refuses, a
// panic, and a job canceled by the shutdown.
func TestNotRetried(t *testing.T) {
	permanent := errors.New("422 Validation Failed")
	tests := []struct {
		name    string
		handler func(ctx context.Context, started chan<- struct{}) error
		cancel  bool // shut down with an expired context while it runs
		want    outcomes
		panics  int
	}{
		{"refused by Retryable", func(context.Context, chan<- struct{}) error { return permanent }, false, outcomes{Error: 1}, 0},
		{"panic", func(context.Context, chan<- struct{}) error { panic("bug") }, false, outcomes{}, 1},
		{"canceled by the shutdown", func(ctx context.Context, started chan<- struct{}) error {
			close(started)
			<-ctx.Done()
			return fmt.Errorf("waiting for GitHub: %w", ctx.Err())
		}, true, outcomes{Canceled: 1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{})
			finished := make(chan struct{})
			h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
				defer close(finished)
				return tc.handler(ctx, started)
			}), func(c *Config) {
				c.Workers = 1
				c.Retryable = func(err error) (bool, time.Duration) { return !errors.Is(err, permanent), 0 }
			})
			ft := &fakeTimers{}
			h.withFakeTimers(ft)
			h.Start(context.Background())
			h.post("pull_request", "d1", prPayload("opened", 1, "a", t0))
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				<-started
				cancel() // Shutdown's deadline has passed: it cancels the job
			}
			err := h.Shutdown(ctx)
			cancel()
			<-finished
			if tc.cancel != (err != nil) {
				t.Errorf("Shutdown = %v", err)
			}
			waitFor(t, func() bool { return h.outcomes() == tc.want && h.jobs(jobPanic) == tc.panics }, func() string {
				return fmt.Sprintf("outcomes %+v, %d panics; want %+v, %d", h.outcomes(), h.jobs(jobPanic), tc.want, tc.panics)
			})
			if n := ft.count(); n != 0 {
				t.Errorf("%d retries set, want none", n)
			}
		})
	}
}

// A newer event for a pull request whose failed job waits for its retry
// runs at once in its place, and the retry is gone; a late copy of an
// older change leaves the retry waiting.
func TestNewerEventSupersedesRetry(t *testing.T) {
	handler := newFlaky(1, errors.New("502"))
	h := newHarness(t, handler, func(c *Config) { c.Workers = 1 })
	ft := &fakeTimers{}
	h.withFakeTimers(ft)
	h.start(t)

	h.post("pull_request", "d1", prPayload("opened", 1, "sha1", t0.Add(time.Second)))
	call(t, handler.calls)
	first := ft.nth(t, 0)
	waitFor(t, func() bool { return testutil.ToFloat64(h.m.queue) == 1 })

	// Older than d1's state: d1's retry still describes the newest.
	if w := h.post("pull_request", "d0", prPayload("synchronize", 1, "sha0", t0)); w.Body.String() != "coalesced\n" {
		t.Errorf("late older delivery: %q, want coalesced", w.Body)
	}
	if first.isStopped() {
		t.Error("a late older delivery stopped the retry")
	}
	// Newer: it runs now, and it fails (its first call), so it gets a
	// retry of its own, starting again at the first delay.
	if w := h.post("pull_request", "d2", prPayload("synchronize", 1, "sha2", t0.Add(2*time.Second))); w.Body.String() != "coalesced\n" {
		t.Errorf("newer delivery: %q, want coalesced", w.Body)
	}
	if id := call(t, handler.calls); id != "d2" {
		t.Fatalf("ran %s, want d2", id)
	}
	if !first.isStopped() {
		t.Error("d1's retry timer was not stopped")
	}
	second := ft.nth(t, 1)
	if second.d != DefaultRetryDelay {
		t.Errorf("d2's retry in %v, want %v", second.d, DefaultRetryDelay)
	}
	first.fire() // a stopped timer that fired anyway does nothing
	second.fire()
	if id := call(t, handler.calls); id != "d2" {
		t.Fatalf("retry ran %s, want d2", id)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-handler.calls:
		t.Errorf("%s ran again after the newer event superseded its retry", id)
	default:
	}
	if diff := cmp.Diff(outcomes{OK: 1, Retry: 2}, h.outcomes()); diff != "" {
		t.Errorf("job outcomes (-want +got):\n%s", diff)
	}
}

// A job that fails while a newer event for its pull request waits behind
// it sets no retry: the newer event runs next and looks again.
func TestFollowUpSupersedesRetry(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		started <- ev.DeliveryID
		if ev.DeliveryID == "d1" {
			<-release
			return errors.New("502")
		}
		return nil
	}), func(c *Config) { c.Workers = 1 })
	ft := &fakeTimers{}
	h.withFakeTimers(ft)
	h.start(t)
	h.post("pull_request", "d1", prPayload("opened", 1, "sha1", t0))
	<-started
	h.post("pull_request", "d2", prPayload("synchronize", 1, "sha2", t0.Add(time.Second)))
	close(release)
	if id := <-started; id != "d2" {
		t.Fatalf("ran %s, want d2", id)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := ft.count(); n != 0 {
		t.Errorf("%d retries set, want none", n)
	}
	if diff := cmp.Diff(outcomes{OK: 1, Retry: 1}, h.outcomes()); diff != "" {
		t.Errorf("job outcomes (-want +got):\n%s", diff)
	}
}

// A retry waiting for its timer holds a place in the queue's bounds, in
// count and in bytes, and no worker; with no place left, a failed job is
// left to the sweep at once.
func TestRetriesCountInQueueBounds(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		started <- ev.DeliveryID
		if ev.DeliveryID == "d-blocked" {
			<-release
		}
		return errors.New("502")
	}), func(c *Config) {
		c.Workers = 1
		c.QueueSize = 1
	})
	ft := &fakeTimers{}
	h.withFakeTimers(ft)
	h.start(t)

	body := prPayload("opened", 1, "a", t0)
	h.post("pull_request", "d1", body)
	<-started
	ft.nth(t, 0)
	gauges := func() []float64 { return []float64{testutil.ToFloat64(h.m.queue), testutil.ToFloat64(h.m.queue.bytes)} }
	if diff := cmp.Diff([]float64{1, float64(len(body))}, gauges()); diff != "" {
		t.Errorf("queue depth and bytes with one retry waiting (-want +got):\n%s", diff)
	}
	if w := h.post("pull_request", "d2", prPayload("opened", 2, "b", t0)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("another pull request while the retry fills the queue: %d, want 503", w.Code)
	}
	// The waiting retry holds no worker: a newer event for its pull
	// request takes its place and runs now, here blocking the worker.
	h.post("pull_request", "d-blocked", prPayload("synchronize", 1, "c", t0.Add(time.Second)))
	if id := <-started; id != "d-blocked" {
		t.Fatalf("ran %s, want d-blocked", id)
	}
	// Its place in the queue is taken by another pull request now…
	if w := h.post("push", "d3", []byte(`{"ref":"refs/heads/main"}`)); w.Code != http.StatusAccepted {
		t.Fatalf("d3: %d", w.Code)
	}
	// …so when d-blocked fails, there is no room for its retry.
	close(release)
	if id := <-started; id != "d3" {
		t.Fatalf("ran %s, want d3", id)
	}
	waitFor(t, func() bool { return h.jobs(jobGaveUp) == 1 })
	lines := logLines(t, h.logs.String(), "webhook job failed and the queue has no room to retry it: the next sweep will pick it up")
	if len(lines) != 1 || lines[0]["delivery"] != "d-blocked" {
		t.Errorf("no-room log lines: %v, want one for d-blocked", lines)
	}
	// d3 failed with room to spare: its retry waits.
	ft.nth(t, 1)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// At shutdown, retries waiting for their timers are dropped at once (the
// drain does not wait minutes for them), their timers stopped, and each is
// logged with its delivery id; a job that fails during the drain is not
// retried but dropped and logged the same way.
func TestShutdownDropsRetries(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		started <- ev.DeliveryID
		if ev.DeliveryID == "d-draining" {
			<-release
		}
		return errors.New("502")
	}), func(c *Config) { c.Workers = 1 })
	ft := &fakeTimers{}
	h.withFakeTimers(ft)
	h.Start(context.Background())
	now := t0
	h.cfg.Clock = func() time.Time { now = now.Add(time.Second); return now }

	h.post("pull_request", "d-pr", prPayload("opened", 1, "a", t0))
	<-started
	ft.nth(t, 0)
	h.post("push", "d-push", []byte(`{"ref":"refs/heads/main"}`))
	<-started
	ft.nth(t, 1)
	h.post("pull_request", "d-draining", prPayload("opened", 2, "b", t0))
	<-started

	done := make(chan error)
	go func() { done <- h.Shutdown(context.Background()) }()
	waitFor(t, func() bool { return len(logLines(t, h.logs.String(), dropMsg)) == 2 })
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	type line struct{ Level, Delivery, Event string }
	var got []line
	for _, l := range logLines(t, h.logs.String(), dropMsg) {
		got = append(got, line{l["level"].(string), l["delivery"].(string), l["event"].(string)})
	}
	want := []line{{"warn", "d-pr", "pull_request"}, {"warn", "d-push", "push"}, {"warn", "d-draining", "pull_request"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dropped deliveries logged (-want +got):\n%s", diff)
	}
	for i := range 2 {
		if !ft.nth(t, i).isStopped() {
			t.Errorf("timer %d not stopped", i)
		}
	}
	if n := ft.count(); n != 2 {
		t.Errorf("%d retries set, want 2 (none during the drain)", n)
	}
	if diff := cmp.Diff(outcomes{Retry: 3, Canceled: 3}, h.outcomes()); diff != "" {
		t.Errorf("job outcomes (-want +got):\n%s", diff)
	}
	if got := []float64{testutil.ToFloat64(h.m.queue), testutil.ToFloat64(h.m.queue.bytes)}; got[0] != 0 || got[1] != 0 {
		t.Errorf("queue depth and bytes after shutdown = %v, want 0 0", got)
	}
	for _, timer := range ft.timers {
		timer.fire() // too late: nothing runs
	}
	select {
	case id := <-started:
		t.Errorf("%s ran after shutdown", id)
	default:
	}
}

const dropMsg = "webhook delivery dropped at shutdown: redeliver it from the App's Advanced tab"

// The delay grows 4× per retry from RetryDelay, respects what Retryable
// asks for, is capped, and the jitter only lengthens it, by under a
// quarter.
func TestRetryDelay(t *testing.T) {
	s := &Server{cfg: Config{RetryDelay: 30 * time.Second}, jitter: func(d time.Duration) time.Duration { return d }}
	tests := []struct {
		n       int
		atLeast time.Duration
		want    time.Duration
	}{
		{1, 0, 30 * time.Second},
		{2, 0, 2 * time.Minute},
		{3, 0, 8 * time.Minute},
		{4, 0, 32 * time.Minute},
		{5, 0, time.Hour},
		{60, 0, time.Hour},
		{1, 90 * time.Second, 90 * time.Second},
		{3, 90 * time.Second, 8 * time.Minute},
		{1, 48 * time.Hour, time.Hour},
	}
	for _, tc := range tests {
		if got := s.retryDelay(tc.n, tc.atLeast); got != tc.want {
			t.Errorf("retryDelay(%d, %v) = %v, want %v", tc.n, tc.atLeast, got, tc.want)
		}
	}
	for _, d := range []time.Duration{0, 1, 3, 30 * time.Second, time.Hour} {
		for range 100 {
			if got := quarterJitter(d); got < d || (d >= 4 && got >= d+d/4) {
				t.Fatalf("quarterJitter(%v) = %v, want in [d, 1.25d)", d, got)
			}
		}
	}
}

// A job that ran out of time is retried: what takes that long is mostly a
// wait for GitHub (a rate limit, another replica's lease), not the server
// shutting down.
func TestTimedOutJobIsRetried(t *testing.T) {
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		<-ctx.Done()
		return fmt.Errorf("wait for the lease: %w", ctx.Err())
	}), func(c *Config) { c.JobTimeout = 10 * time.Millisecond })
	ft := &fakeTimers{}
	h.withFakeTimers(ft)
	h.start(t)
	h.post("pull_request", "d1", prPayload("opened", 1, "a", t0))
	if d := ft.nth(t, 0).d; d != DefaultRetryDelay {
		t.Errorf("retry in %v, want %v", d, DefaultRetryDelay)
	}
	waitFor(t, func() bool { return h.jobs(jobRetry) == 1 })
	if n := h.jobs(jobCanceled); n != 0 {
		t.Errorf("canceled = %d, want 0: the server was not shutting down", n)
	}
}
