package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

const testSecret = "test-secret-do-not-log"

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// syncBuffer is a log sink that workers and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a Server with its logs and metrics in reach.
type harness struct {
	*Server
	logs *syncBuffer
	reg  *prometheus.Registry
}

// newHarness builds a server with test defaults; edit adjusts the config.
func newHarness(t testing.TB, h Handler, edit func(*Config)) *harness {
	t.Helper()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	cfg := Config{
		Secrets:    [][]byte{[]byte(testSecret)},
		Logger:     zerolog.New(logs).Level(zerolog.DebugLevel),
		Registerer: reg,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Server: s, logs: logs, reg: reg}
}

// start runs the workers and drains them when the test ends.
func (h *harness) start(t testing.TB) {
	t.Helper()
	h.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown at cleanup: %v", err)
		}
	})
}

// post sends a delivery signed with testSecret.
func (h *harness) post(event, delivery string, body []byte) *httptest.ResponseRecorder {
	return h.send(event, delivery, sign(testSecret, body), body)
}

func (h *harness) send(event, delivery, signature string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	if event != "" {
		r.Header.Set("X-GitHub-Event", event)
	}
	if delivery != "" {
		r.Header.Set("X-GitHub-Delivery", delivery)
	}
	if signature != "" {
		r.Header.Set("X-Hub-Signature-256", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func (h *harness) deliveries(event, action, outcome string) int {
	return int(testutil.ToFloat64(h.m.deliveries.WithLabelValues(event, action, outcome)))
}

func (h *harness) jobs(outcome string) int {
	return int(testutil.ToFloat64(h.m.jobs.WithLabelValues(outcome)))
}

// prPayload is a small pull_request delivery for installation 7, o/r#pr.
func prPayload(action string, pr int, sha string, updated time.Time) []byte {
	return fmt.Appendf(nil, `{"action":%q,"number":%d,"pull_request":{"number":%d,"updated_at":%q,"head":{"sha":%q}},`+
		`"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":7}}`,
		action, pr, pr, updated.UTC().Format(time.RFC3339), sha)
}

// recorder is a Handler that reports each event on a channel.
type recorder chan Event

func (r recorder) Handle(_ context.Context, ev Event) error {
	r <- ev
	return nil
}

// receive waits for the next handled event.
func receive(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event handled within 5s")
		return Event{}
	}
}

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
