package webhook

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// stepClock is a clock the test moves by hand; workers read it.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A job's wait runs from when it entered the queue to when a worker takes
// it: a coalesced delivery keeps its slot's wait, and a follow-up held
// behind its pull request's running job waits from when it was held.
func TestQueueWait(t *testing.T) {
	started := make(chan Event)
	release := make(chan struct{})
	handler := HandlerFunc(func(_ context.Context, ev Event) error {
		started <- ev
		<-release
		return nil
	})
	h := newHarness(t, handler, func(c *Config) { c.Workers = 1 })
	clock := &stepClock{now: t0}
	h.q.clock = clock.Now
	h.start(t)
	post := func(delivery, action string, pr int, updated time.Time) {
		t.Helper()
		if code := h.post("pull_request", delivery, prPayload(action, pr, "abc", updated)).Code; code != http.StatusAccepted {
			t.Fatalf("%s: status %d", delivery, code)
		}
	}
	next := func(pr int) {
		t.Helper()
		select {
		case ev := <-started:
			if ev.PR != pr {
				t.Fatalf("worker took #%d, want #%d", ev.PR, pr)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no job for #%d started", pr)
		}
	}

	post("d1", "opened", 1, t0)
	next(1) // taken at once: waited 0s
	clock.advance(2 * time.Second)
	post("d2", "synchronize", 1, t0.Add(time.Minute)) // held behind #1's running job
	post("d3", "opened", 2, t0)
	clock.advance(3 * time.Second)
	post("d4", "synchronize", 2, t0.Add(time.Minute)) // coalesced into d3's slot
	clock.advance(5 * time.Second)
	release <- struct{}{}
	next(2) // d4, queued 8s ago as d3
	release <- struct{}{}
	next(1) // d2, held 8s ago
	release <- struct{}{}

	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "ownerbot_webhook_queue_wait_seconds" {
			continue
		}
		hist := mf.GetMetric()[0].GetHistogram()
		if hist.GetSampleCount() != 3 || hist.GetSampleSum() != 16 {
			t.Errorf("waits: %d jobs, %vs in all; want 3 jobs, 16s (0 + 8 + 8)", hist.GetSampleCount(), hist.GetSampleSum())
		}
		return
	}
	t.Error("ownerbot_webhook_queue_wait_seconds is not registered")
}
