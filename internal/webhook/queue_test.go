package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

func TestDeliveryCache(t *testing.T) {
	c := newDeliveryCache(2, time.Hour)
	c.remember("a", t0)
	c.remember("b", t0.Add(time.Minute))
	got := []bool{c.seen("a", t0.Add(59*time.Minute)), c.seen("a", t0.Add(time.Hour)), c.seen("b", t0.Add(time.Hour))}
	if diff := cmp.Diff([]bool{true, false, true}, got); diff != "" {
		t.Errorf("TTL (-want +got):\n%s", diff)
	}
	c.remember("c", t0.Add(2*time.Minute))
	c.remember("d", t0.Add(3*time.Minute)) // evicts b, the oldest
	got = []bool{c.seen("b", t0.Add(4*time.Minute)), c.seen("c", t0.Add(4*time.Minute)), c.seen("d", t0.Add(4*time.Minute))}
	if diff := cmp.Diff([]bool{false, true, true}, got); diff != "" {
		t.Errorf("size bound (-want +got):\n%s", diff)
	}
	if c.len() != 2 {
		t.Errorf("len = %d, want 2", c.len())
	}
}

// TestConcurrentDuplicates sends one delivery fifty times at once: exactly
// one job runs.
func TestConcurrentDuplicates(t *testing.T) {
	handled := make(chan Event, 100)
	h := newHarness(t, recorder(handled), nil)
	h.start(t)
	body := prPayload("synchronize", 1, "abc", t0)
	codes := make(chan int, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { codes <- h.post("pull_request", "same-delivery", body).Code })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("status %d, want 202", c)
		}
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(handled); n != 1 {
		t.Errorf("%d jobs ran, want 1", n)
	}
	got := []int{h.deliveries("pull_request", "synchronize", outcomeAccepted), h.deliveries("pull_request", "synchronize", outcomeDuplicate)}
	if diff := cmp.Diff([]int{1, 49}, got); diff != "" {
		t.Errorf("accepted, duplicate (-want +got):\n%s", diff)
	}
}

func TestDuplicateAfterTTLIsAccepted(t *testing.T) {
	now := t0
	h := newHarness(t, recorder(make(chan Event, 10)), func(c *Config) {
		c.Clock = func() time.Time { return now }
	})
	body := []byte(`{"ref":"refs/heads/main"}`)
	var got []string
	for _, at := range []time.Duration{0, 59 * time.Minute, 61 * time.Minute} {
		now = t0.Add(at)
		got = append(got, h.post("push", "d", body).Body.String())
	}
	if diff := cmp.Diff([]string{"accepted\n", "duplicate\n", "accepted\n"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCoalesceQueued: a newer event for a queued pull request replaces it in
// its slot, and a late copy of an older change does not.
func TestCoalesceQueued(t *testing.T) {
	handled := make(chan Event, 10)
	h := newHarness(t, recorder(handled), func(c *Config) { c.Workers = 1 })
	answers := []string{
		h.post("pull_request", "d1", prPayload("opened", 1, "sha1", t0)).Body.String(),
		h.post("push", "d2", []byte(`{"ref":"refs/heads/main"}`)).Body.String(),
		h.post("pull_request", "d3", prPayload("synchronize", 1, "sha3", t0.Add(2*time.Second))).Body.String(),
		// Delivered late: an earlier change than d3's.
		h.post("pull_request", "d4", prPayload("synchronize", 1, "sha2", t0.Add(time.Second))).Body.String(),
	}
	if diff := cmp.Diff([]string{"accepted\n", "accepted\n", "coalesced\n", "coalesced\n"}, answers); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if got := testutil.ToFloat64(h.m.queue); got != 2 {
		t.Errorf("queue depth = %v, want 2", got)
	}
	h.start(t)
	var got []string
	for range 2 {
		ev := receive(t, handled)
		got = append(got, ev.DeliveryID+" "+ev.HeadSHA)
	}
	// The pull request kept the first slot, ahead of the push.
	if diff := cmp.Diff([]string{"d3 sha3", "d2 "}, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if n := h.deliveries("pull_request", "synchronize", outcomeCoalesced); n != 2 {
		t.Errorf("coalesced = %d, want 2", n)
	}
}

// TestCoalesceRunning: events for a running pull request wait as one
// follow-up, the newest, which runs after the running job.
func TestCoalesceRunning(t *testing.T) {
	started := make(chan Event)
	release := make(chan struct{})
	var mu sync.Mutex
	running := map[int]int{}
	overlap := false
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		mu.Lock()
		running[ev.PR]++
		overlap = overlap || running[ev.PR] > 1
		mu.Unlock()
		started <- ev
		<-release
		mu.Lock()
		running[ev.PR]--
		mu.Unlock()
		return nil
	}), func(c *Config) { c.Workers = 4 })
	h.start(t)

	h.post("pull_request", "d1", prPayload("opened", 1, "sha1", t0))
	if ev := receive(t, started); ev.DeliveryID != "d1" {
		t.Fatalf("first job %s, want d1", ev.DeliveryID)
	}
	answers := []string{
		h.post("pull_request", "d2", prPayload("synchronize", 1, "sha2", t0.Add(time.Second))).Body.String(),
		h.post("pull_request", "d3", prPayload("synchronize", 1, "sha3", t0.Add(2*time.Second))).Body.String(),
	}
	if diff := cmp.Diff([]string{"accepted\n", "coalesced\n"}, answers); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	// Other workers are free, yet the follow-up waits for d1.
	select {
	case ev := <-started:
		t.Fatalf("%s started while d1 was running", ev.DeliveryID)
	default:
	}
	release <- struct{}{}
	if ev := receive(t, started); ev.DeliveryID != "d3" || ev.HeadSHA != "sha3" {
		t.Errorf("follow-up = %s %s, want d3 sha3", ev.DeliveryID, ev.HeadSHA)
	}
	release <- struct{}{}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if overlap {
		t.Error("two jobs for one pull request ran at once")
	}
	if n := h.jobs(jobOK); n != 2 {
		t.Errorf("jobs ok = %d, want 2", n)
	}
}

// TestQueueFull: a full queue answers 503 with Retry-After at once, and the
// refused delivery is accepted when it is redelivered later.
func TestQueueFull(t *testing.T) {
	handled := make(chan Event, 10)
	h := newHarness(t, recorder(handled), func(c *Config) {
		c.QueueSize = 1
		c.Workers = 1
		c.RetryAfter = 1500 * time.Millisecond
	})
	if w := h.post("pull_request", "d1", prPayload("opened", 1, "a", t0)); w.Code != http.StatusAccepted {
		t.Fatalf("d1: %d", w.Code)
	}
	w := h.post("pull_request", "d2", prPayload("opened", 2, "b", t0))
	if diff := cmp.Diff([]string{"503", "2"}, []string{fmt.Sprint(w.Code), w.Header().Get("Retry-After")}); diff != "" {
		t.Errorf("status, Retry-After (-want +got):\n%s", diff)
	}
	// Coalescing needs no room.
	if w := h.post("pull_request", "d3", prPayload("synchronize", 1, "c", t0)); w.Code != http.StatusAccepted {
		t.Errorf("d3 (same pull request as the queued job): %d, want 202", w.Code)
	}
	if n := h.deliveries("pull_request", "opened", outcomeQueueFull); n != 1 {
		t.Errorf("queue_full = %d, want 1", n)
	}
	h.start(t)
	receive(t, handled)
	if w := h.post("pull_request", "d2", prPayload("opened", 2, "b", t0)); w.Code != http.StatusAccepted || w.Body.String() != "accepted\n" {
		t.Errorf("redelivered d2: %d %q, want 202 accepted", w.Code, w.Body)
	}
	if ev := receive(t, handled); ev.DeliveryID != "d2" {
		t.Errorf("handled %s, want d2", ev.DeliveryID)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	handled := make(chan Event, 10)
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		if ev.DeliveryID == "boom" {
			panic("handler bug")
		}
		handled <- ev
		return nil
	}), func(c *Config) { c.Workers = 1 })
	h.start(t)
	h.post("push", "boom", []byte(`{"ref":"a"}`))
	h.post("push", "fine", []byte(`{"ref":"b"}`))
	if ev := receive(t, handled); ev.DeliveryID != "fine" {
		t.Errorf("handled %s, want fine", ev.DeliveryID)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 1}, []int{h.jobs(jobPanic), h.jobs(jobOK)}); diff != "" {
		t.Errorf("panic, ok (-want +got):\n%s", diff)
	}
	lines := logLines(t, h.logs.String(), "webhook handler panicked")
	if len(lines) != 1 {
		t.Fatalf("%d panic log lines, want 1", len(lines))
	}
	if st, _ := lines[0]["stack"].(string); !strings.Contains(st, "TestPanicIsRecovered") {
		t.Errorf("panic log has no stack: %v", lines[0])
	}
}

func TestShutdownDrains(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		started <- ev.DeliveryID
		<-release
		return nil
	}), func(c *Config) { c.Workers = 1 })
	h.Start(context.Background())
	h.post("push", "d1", []byte(`{"ref":"a"}`))
	h.post("push", "d2", []byte(`{"ref":"b"}`))
	<-started

	done := make(chan error)
	go func() { done <- h.Shutdown(context.Background()) }()
	waitFor(t, func() bool { return !h.Ready() })
	w := h.post("push", "d3", []byte(`{"ref":"c"}`))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("during shutdown: %d Retry-After=%q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	release <- struct{}{}
	if id := <-started; id != "d2" {
		t.Errorf("second job %s, want d2", id)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a job still running", err)
	default:
	}
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Errorf("Shutdown = %v, want nil", err)
	}
	if h.Ready() {
		t.Error("Ready after Shutdown")
	}
	if n := h.jobs(jobOK); n != 2 {
		t.Errorf("jobs ok = %d, want 2", n)
	}
}

func TestShutdownCancelsAtDeadline(t *testing.T) {
	started := make(chan struct{})
	finished := make(chan error, 1)
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		close(started)
		<-ctx.Done()
		err := fmt.Errorf("waiting for GitHub: %w", ctx.Err())
		finished <- err
		return err
	}), func(c *Config) { c.Workers = 1 })
	h.Start(context.Background())
	h.post("pull_request", "d1", prPayload("opened", 1, "a", t0))
	<-started
	h.post("pull_request", "d2", prPayload("opened", 2, "b", t0))      // queued
	h.post("pull_request", "d3", prPayload("synchronize", 1, "c", t0)) // pending behind d1

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.Shutdown(ctx) }()
	waitFor(t, func() bool { return !h.Ready() })
	cancel() // the deadline
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
	if err := <-finished; !errors.Is(err, context.Canceled) {
		t.Errorf("running job saw %v, want its context canceled", err)
	}
	waitFor(t, func() bool { return h.jobs(jobCanceled) == 3 }, func() string {
		return fmt.Sprint(h.jobs(jobCanceled), h.jobs(jobOK), h.jobs(jobError), h.deliveries("pull_request", "opened", outcomeAccepted), h.deliveries("pull_request", "synchronize", outcomeAccepted), h.deliveries("pull_request", "synchronize", outcomeCoalesced))
	})
	if got := testutil.ToFloat64(h.m.queue); got != 0 {
		t.Errorf("queue depth = %v, want 0", got)
	}
}

func TestJobTimeout(t *testing.T) {
	done := make(chan error, 1)
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		<-ctx.Done()
		done <- ctx.Err()
		return ctx.Err()
	}), func(c *Config) { c.JobTimeout = 10 * time.Millisecond })
	h.start(t)
	h.post("push", "d1", []byte(`{}`))
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("job context ended with %v, want DeadlineExceeded", err)
	}
}

// TestLogs: every line about a job carries the event's fields, the handler
// logs with them through zerolog.Ctx, an error is logged once, and nothing
// secret is ever written.
func TestLogs(t *testing.T) {
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		zerolog.Ctx(ctx).Info().Msg("from the handler")
		return errors.New("could not create check run")
	}), nil)
	h.start(t)
	body := prPayload("synchronize", 42, "deadbeef", t0)
	h.post("pull_request", "d-42", body)
	bad := sign("not-the-secret", body)
	h.send("pull_request", "d-43", bad, body)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := h.logs.String()
	want := map[string]any{
		"delivery": "d-42", "event": "pull_request", "action": "synchronize", "installation": 7.0,
		"repo": "o/r", "pr": 42.0, "head_sha": "deadbeef",
	}
	for _, msg := range []string{"from the handler", "webhook job failed"} {
		lines := logLines(t, out, msg)
		if len(lines) != 1 {
			t.Errorf("%d lines %q, want 1", len(lines), msg)
			continue
		}
		got := map[string]any{}
		for k := range want {
			got[k] = lines[0][k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("fields of %q (-want +got):\n%s", msg, diff)
		}
	}
	for _, secret := range []string{testSecret, strings.TrimPrefix(sign(testSecret, body), "sha256="), strings.TrimPrefix(bad, "sha256="), `"updated_at"`} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

func TestMetricsRegistered(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), nil)
	h.post("push", "d1", []byte(`{}`))
	h.send("push", "d2", "sha256=00", []byte(`{}`))
	for name, want := range map[string]int{
		"ownerbot_webhook_deliveries_total":     2,
		"ownerbot_webhook_queue_depth":          1,
		"ownerbot_webhook_jobs_in_flight":       1,
		"ownerbot_webhook_ack_duration_seconds": 1,
	} {
		n, err := testutil.GatherAndCount(h.reg, name)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d series, want %d", name, n, want)
		}
	}
	if n := h.deliveries("", "", outcomeRejectedSignature); n != 1 {
		t.Errorf("rejected_signature = %d, want 1", n)
	}
}

// logLines returns the JSON log lines whose message is msg.
func logLines(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["message"] == msg {
			lines = append(lines, m)
		}
	}
	return lines
}

// waitFor polls cond, for state that has no channel to wait on; it asserts
// nothing about timing.
func waitFor(t *testing.T, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, s := range state {
				t.Log(s())
			}
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
