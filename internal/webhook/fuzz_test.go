package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzServeHTTP throws arbitrary bodies and header values at the endpoint,
// signed (to reach the decoder) or not, JSON or form-encoded, with a length
// or chunked. It must never panic and must answer one of the documented
// statuses.
func FuzzServeHTTP(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	f.Add([]byte(`{"action":"opened","pull_request":{"number":1,"head":{"sha":"a"}},"repository":{"name":"r","owner":{"login":"o"}}}`), "POST", "pull_request", "d1", "", true, "application/json", false)
	f.Add([]byte(`{"check_run":{"pull_requests":[null]}}`), "POST", "check_run", "d2", "", true, "", true)
	f.Add([]byte(`{"issue":{"pull_request":null}}`), "POST", "issue_comment", "d3", "", true, "", false)
	f.Add([]byte("{"), "POST", "push", "d4", "sha256=00", false, "", false)
	f.Add([]byte(`null`), "GET", "ping", "", "", true, "", false)
	f.Add([]byte(`payload=%7B%22action%22%3A%22opened%22%7D`), "POST", "pull_request", "d6", "", true, form, false)
	f.Add([]byte(`payload=%7B&payload=%7D`), "POST", "push", "d7", "", true, form+"; charset=utf-8", true)
	if root, err := filepath.Abs("../../../shared/github/webhooks/pull_request/edited.json"); err == nil {
		if b, err := os.ReadFile(root); err == nil {
			f.Add(b, "POST", "pull_request", "d5", "", true, "", false)
		}
	}
	allowed := map[int]bool{
		http.StatusOK: true, http.StatusAccepted: true, http.StatusBadRequest: true, http.StatusUnauthorized: true,
		http.StatusMethodNotAllowed: true, http.StatusRequestEntityTooLarge: true, http.StatusServiceUnavailable: true,
	}
	h := newHarness(f, HandlerFunc(func(context.Context, Event) error { return nil }), func(c *Config) {
		c.MaxBody = 4096
		c.QueueSize = 8 // never started: fills, then answers 503
		c.Accept = func(Event) bool { return true }
	})
	f.Fuzz(func(t *testing.T, body []byte, method, event, delivery, signature string, signIt bool, contentType string, chunked bool) {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Method = method
		r.Header["Content-Type"] = []string{contentType}
		if chunked {
			r.ContentLength = -1
		}
		r.Header["X-Github-Event"] = []string{event}
		r.Header["X-Github-Delivery"] = []string{delivery}
		if signIt {
			signature = sign(testSecret, body)
		}
		r.Header["X-Hub-Signature-256"] = []string{signature}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d is not one of the documented ones", w.Code)
		}
	})
}
