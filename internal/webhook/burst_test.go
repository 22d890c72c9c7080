package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

// TestBurstIsBoundedByQueueSize: with every worker busy, a burst of
// distinct deliveries leaves at most QueueSize jobs queued, however long the
// burst; the rest are refused with 503 and not remembered. Coalescing and
// duplicates take no room, and once the workers are free nothing of the
// burst stays in the queue. (Heap bytes are for BenchmarkBurstMemory; this
// asserts the structure that bounds them.)
func TestBurstIsBoundedByQueueSize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		queueSize int // 0: the default
		burst     int
	}{
		{"queue 100, burst 1000", 100, 1000},
		{"default queue, burst 2000", 0, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			started := make(chan int, tc.burst+10)
			h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
				started <- ev.PR
				select {
				case <-release:
				case <-ctx.Done():
				}
				return nil
			}), func(c *Config) {
				c.QueueSize = tc.queueSize
				c.Logger = zerolog.Nop()
			})
			queueSize, workers := h.cfg.QueueSize, h.cfg.Workers
			h.Start(context.Background())
			released := false
			t.Cleanup(func() {
				if !released {
					close(release)
				}
				h.Shutdown(context.Background())
			})

			codes := map[int]int{}
			send := func(pr int, delivery string, updated time.Time) int {
				code := h.post("pull_request", delivery, prPayload("synchronize", pr, fmt.Sprintf("sha-%s", delivery), updated)).Code
				codes[code]++
				return code
			}
			// Occupy every worker first, so the rest of the burst meets a
			// queue that nobody drains.
			for pr := 1; pr <= workers; pr++ {
				send(pr, fmt.Sprintf("d%d", pr), t0)
			}
			for range workers {
				select {
				case <-started:
				case <-time.After(5 * time.Second):
					t.Fatal("the workers did not start")
				}
			}
			for pr := workers + 1; pr <= tc.burst; pr++ {
				send(pr, fmt.Sprintf("d%d", pr), t0)
			}
			accepted := workers + queueSize
			want := map[int]int{http.StatusAccepted: accepted, http.StatusServiceUnavailable: tc.burst - accepted}
			if codes[http.StatusAccepted] != want[http.StatusAccepted] || codes[http.StatusServiceUnavailable] != want[http.StatusServiceUnavailable] || len(codes) != 2 {
				t.Fatalf("answers %v, want %v", codes, want)
			}
			h.checkHeld(t, queueSize, workers)

			// A newer event for a queued pull request replaces it in its
			// slot, a redelivery is dropped: neither needs room, and the
			// replaced payload is no longer held. A follow-up for a
			// running pull request needs room, and there is none.
			queued := workers + 1
			if code := send(queued, "newer", t0.Add(time.Second)); code != http.StatusAccepted {
				t.Errorf("newer event for queued #%d: %d, want 202", queued, code)
			}
			if code := send(queued+1, fmt.Sprintf("d%d", queued+1), t0); code != http.StatusAccepted {
				t.Errorf("redelivery: %d, want 202", code)
			}
			if code := send(1, "follow-up", t0.Add(time.Second)); code != http.StatusServiceUnavailable {
				t.Errorf("follow-up for running #1 with a full queue: %d, want 503", code)
			}
			h.checkHeld(t, queueSize, workers)
			if got := h.deliveries("pull_request", "synchronize", outcomeCoalesced); got != 1 {
				t.Errorf("coalesced = %d, want 1", got)
			}
			if got := h.deliveries("pull_request", "synchronize", outcomeDuplicate); got != 1 {
				t.Errorf("duplicate = %d, want 1", got)
			}
			h.q.mu.Lock()
			for _, j := range h.q.items {
				if j.ev.DeliveryID == fmt.Sprintf("d%d", queued) {
					t.Errorf("the queue still holds the superseded delivery d%d", queued)
				}
			}
			h.q.mu.Unlock()

			// Free the workers: every held job runs, and the queue lets go
			// of all of them.
			close(release)
			released = true
			if err := h.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := h.jobs(jobOK); got != accepted {
				t.Errorf("jobs ok = %d, want %d", got, accepted)
			}
			if got := []float64{testutil.ToFloat64(h.m.queue), testutil.ToFloat64(h.m.inFlight)}; got[0] != 0 || got[1] != 0 {
				t.Errorf("queue depth, in flight = %v after the drain, want 0, 0", got)
			}
			h.q.mu.Lock()
			defer h.q.mu.Unlock()
			for i, j := range h.q.items[:cap(h.q.items)] {
				if j != nil {
					t.Errorf("the queue's backing array still holds %s at %d", j.ev.DeliveryID, i)
				}
			}
			if len(h.q.items) != 0 || len(h.q.keys) != 0 || h.q.pending != 0 || h.q.running != 0 {
				t.Errorf("after the drain: %d queued, %d keys, %d pending, %d running", len(h.q.items), len(h.q.keys), h.q.pending, h.q.running)
			}
			if n := h.q.seen.len(); n > h.cfg.DedupSize {
				t.Errorf("%d delivery ids remembered, more than DedupSize %d", n, h.cfg.DedupSize)
			}
		})
	}
}

// checkHeld asserts that the queue holds exactly queueSize jobs, each with
// one payload, behind workers running ones, and that the gauges say so.
func (h *harness) checkHeld(t *testing.T, queueSize, workers int) {
	t.Helper()
	h.q.mu.Lock()
	held, payloads := len(h.q.items)+h.q.pending, 0
	for _, j := range h.q.items {
		if len(j.ev.Payload) > 0 {
			payloads++
		}
	}
	for _, st := range h.q.keys {
		if st.pending != nil && len(st.pending.ev.Payload) > 0 {
			payloads++
		}
	}
	running := h.q.running
	h.q.mu.Unlock()
	if held != queueSize || payloads != queueSize || running != workers {
		t.Errorf("queue holds %d jobs with %d payloads and runs %d, want %d, %d and %d", held, payloads, running, queueSize, queueSize, workers)
	}
	if got := testutil.ToFloat64(h.m.queue); got != float64(queueSize) {
		t.Errorf("queue depth gauge = %v, want %d", got, queueSize)
	}
	if got := testutil.ToFloat64(h.m.inFlight); got != float64(workers) {
		t.Errorf("in flight gauge = %v, want %d", got, workers)
	}
}

// burstPad is the bulk of every burst delivery, shared so that the sender's
// own allocations stay small next to what the server keeps.
var burstPad = bytes.Repeat([]byte("x"), 25<<10)

// burstDelivery is one delivery of a burst: a signed pull_request event of
// about 25 KB, streamed from a small prefix and suffix around burstPad.
type burstDelivery struct {
	id             string
	prefix, suffix []byte
	sig            string
}

func newBurstDelivery(id string, pr int, updated time.Time) burstDelivery {
	prefix := fmt.Appendf(nil, `{"action":"synchronize","number":%d,"pull_request":{"number":%d,"updated_at":%q,"head":{"sha":"sha-%s"},"body":"`,
		pr, pr, updated.UTC().Format(time.RFC3339), id)
	suffix := []byte(`"},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":7}}`)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(prefix)
	mac.Write(burstPad)
	mac.Write(suffix)
	return burstDelivery{id: id, prefix: prefix, suffix: suffix, sig: "sha256=" + hex.EncodeToString(mac.Sum(nil))}
}

func (d burstDelivery) send(client *http.Client, url string) (int, error) {
	body := io.MultiReader(bytes.NewReader(d.prefix), bytes.NewReader(burstPad), bytes.NewReader(d.suffix))
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return 0, err
	}
	req.ContentLength = int64(len(d.prefix) + len(burstPad) + len(d.suffix))
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", d.id)
	req.Header.Set("X-Hub-Signature-256", d.sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// burstPlan lays out n deliveries: seven in ten for a new pull request, two
// a newer event for one already sent (coalesced, or a follow-up behind a
// running job) and one a redelivery of an earlier delivery id (duplicate).
func burstPlan(n int) []burstDelivery {
	out := make([]burstDelivery, 0, n)
	prs := 0
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		switch {
		case i%10 == 9:
			out = append(out, out[i-5])
		case i%10 >= 7:
			out = append(out, newBurstDelivery(fmt.Sprintf("b%d", i), 1+(i*7919)%prs, at))
		default:
			prs++
			out = append(out, newBurstDelivery(fmt.Sprintf("b%d", i), prs, at))
		}
	}
	return out
}

// burstResult is what one burst cost, in bytes over the heap before it.
type burstResult struct {
	peak     float64 // most heap in use while deliveries arrived
	retained float64 // live heap after the burst, workers still blocked
	released float64 // live heap once every job ran and the server closed
	held     int     // jobs queued, pending or running after the burst
	answers  map[int]int
}

// runBurst sends plan to a server with the default queue and workers whose
// handler blocks until the burst is over, as fast as 32 connections allow.
func runBurst(b *testing.B, plan []burstDelivery) burstResult {
	release := make(chan struct{})
	h := newHarness(b, HandlerFunc(func(ctx context.Context, ev Event) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}), func(c *Config) { c.Logger = zerolog.Nop() })
	h.Start(context.Background())
	srv := httptest.NewServer(h)
	const conns = 32
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr}

	var base, ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	var peak uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	next := make(chan burstDelivery)
	var (
		mu      sync.Mutex
		answers = map[int]int{}
		wg      sync.WaitGroup
	)
	for range conns {
		wg.Go(func() {
			for d := range next {
				code, err := d.send(client, srv.URL)
				if err != nil {
					b.Error(err)
				}
				mu.Lock()
				answers[code]++
				mu.Unlock()
			}
		})
	}
	for _, d := range plan {
		next <- d
	}
	close(next)
	wg.Wait()
	close(stop)
	<-sampled

	res := burstResult{answers: answers}
	h.q.mu.Lock()
	res.held = len(h.q.items) + h.q.pending + h.q.running
	h.q.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.peak = float64(peak) - float64(base.HeapInuse)
	res.retained = float64(ms.HeapAlloc) - float64(base.HeapAlloc)

	close(release)
	if err := h.Shutdown(context.Background()); err != nil {
		b.Error(err)
	}
	srv.Close()
	tr.CloseIdleConnections()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.released = float64(ms.HeapAlloc) - float64(base.HeapAlloc)
	return res
}

// BenchmarkBurstMemory measures the heap a burst of signed 25 KB deliveries
// costs a server with the default configuration (queue of 1,000, four
// workers) whose handler is stuck, so nothing is drained while the burst
// lasts: peak-MB is the most heap in use during the burst of 1,000,
// retained-MB the live heap after it, released-MB once every job has run,
// and KB/job what each held job costs. The same run sends bursts of 100 and
// 3,000: the 1,000 burst retains about ten times the 100 burst (the queue
// is not full yet), while 3,000 retains what 1,000 does, because the queue
// refuses what does not fit: memory is bounded by the queue size, not by
// the burst. The worst of the iterations is reported.
func BenchmarkBurstMemory(b *testing.B) {
	sizes := []int{100, 1000, 3000}
	plans := map[int][]burstDelivery{}
	for _, n := range sizes {
		plans[n] = burstPlan(n)
	}
	worst := map[int]burstResult{}
	for b.Loop() {
		for _, n := range sizes {
			r := runBurst(b, plans[n])
			w := worst[n]
			w.peak, w.retained, w.released = max(w.peak, r.peak), max(w.retained, r.retained), max(w.released, r.released)
			w.held, w.answers = max(w.held, r.held), r.answers
			worst[n] = w
		}
	}
	const mb = 1 << 20
	for _, n := range sizes {
		b.Logf("burst of %d: answers %v, %d jobs held, peak %.1f MB, retained %.1f MB, after the drain %.1f MB",
			n, worst[n].answers, worst[n].held, worst[n].peak/mb, worst[n].retained/mb, worst[n].released/mb)
	}
	b.ReportMetric(worst[1000].peak/mb, "peak-MB")
	b.ReportMetric(worst[1000].retained/mb, "retained-MB")
	b.ReportMetric(max(worst[100].released, worst[1000].released, worst[3000].released)/mb, "released-MB")
	b.ReportMetric(worst[100].peak/mb, "peak-MB-100")
	b.ReportMetric(worst[100].retained/mb, "retained-MB-100")
	b.ReportMetric(worst[3000].peak/mb, "peak-MB-3000")
	b.ReportMetric(worst[3000].retained/mb, "retained-MB-3000")
	b.ReportMetric(worst[1000].retained/worst[100].retained, "retained-1000/100")
	b.ReportMetric(worst[3000].retained/worst[1000].retained, "retained-3000/1000")
	b.ReportMetric(worst[1000].retained/float64(worst[1000].held)/(1<<10), "KB/job")
	b.ReportMetric(float64(worst[1000].held), "jobs-held")
	b.ReportMetric(float64(worst[3000].held), "jobs-held-3000")
}
