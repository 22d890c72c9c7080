package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchBody is a signed pull_request delivery of about 25 KB.
func benchBody(pr int) []byte {
	pad := bytes.Repeat([]byte("x"), 25<<10)
	return fmt.Appendf(nil, `{"action":"synchronize","number":%d,"pull_request":{"number":%d,"updated_at":"2026-09-01T12:00:00Z","head":{"sha":"abc"},"body":%q},`+
		`"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":7}}`, pr, pr, pad)
}

func benchServer(b *testing.B) (*httptest.Server, *http.Client) {
	h := newHarness(b, HandlerFunc(func(context.Context, Event) error { return nil }), func(c *Config) {
		c.QueueSize = 10000
	})
	h.Start(context.Background())
	srv := httptest.NewServer(h)
	b.Cleanup(func() {
		srv.Close()
		if err := h.Shutdown(context.Background()); err != nil {
			b.Error(err)
		}
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	return srv, client
}

func deliver(client *http.Client, url, delivery string, body []byte, sig string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body) // keep the connection alive
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkIngress measures acknowledging signed 25 KB deliveries over a
// loopback HTTP server with a no-op handler: "ack" as fast as one client
// can, "rate-500" at a fixed 500 deliveries per second (DESIGN §8: p99
// under 20 ms on 2 cores, none dropped).
func BenchmarkIngress(b *testing.B) {
	bodies := make([][]byte, 64)
	sigs := make([]string, len(bodies))
	for i := range bodies {
		bodies[i] = benchBody(i + 1)
		sigs[i] = sign(testSecret, bodies[i])
	}

	b.Run("ack", func(b *testing.B) {
		srv, client := benchServer(b)
		b.SetBytes(int64(len(bodies[0])))
		b.ResetTimer()
		for i := range b.N {
			k := i % len(bodies)
			code, err := deliver(client, srv.URL, "ack-"+strconv.Itoa(i), bodies[k], sigs[k])
			if err != nil || code != http.StatusAccepted && code != http.StatusOK {
				b.Fatalf("delivery %d: %d %v", i, code, err)
			}
		}
	})

	b.Run("rate-500", func(b *testing.B) {
		const rate, duration, clients = 500, 3 * time.Second, 32
		srv, client := benchServer(b)
		for i := range b.N {
			type shot struct {
				at time.Time
				n  int
			}
			shots := make(chan shot, clients)
			var (
				mu        sync.Mutex
				latencies []time.Duration
				dropped   atomic.Int64
				wg        sync.WaitGroup
			)
			for range clients {
				wg.Go(func() {
					for s := range shots {
						k := s.n % len(bodies)
						code, err := deliver(client, srv.URL, fmt.Sprintf("rate-%d-%d", i, s.n), bodies[k], sigs[k])
						// Measured from the scheduled time, so a backlog in
						// the generator counts against the server too.
						lat := time.Since(s.at)
						if err != nil || code != http.StatusAccepted {
							dropped.Add(1)
							continue
						}
						mu.Lock()
						latencies = append(latencies, lat)
						mu.Unlock()
					}
				})
			}
			tick := time.NewTicker(time.Second / rate)
			deadline := time.Now().Add(duration)
			for n := 0; time.Now().Before(deadline); n++ {
				at := <-tick.C
				select {
				case shots <- shot{at: at, n: n}:
				default: // every client busy and the backlog full
					dropped.Add(1)
				}
			}
			tick.Stop()
			close(shots)
			wg.Wait()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				if len(latencies) == 0 {
					return 0
				}
				return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(dropped.Load()), "dropped")
			b.ReportMetric(float64(len(latencies)), "acked")
		}
	})
}
