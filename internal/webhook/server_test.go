package webhook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

func TestNewRefusesBadConfig(t *testing.T) {
	h := HandlerFunc(func(context.Context, Event) error { return nil })
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Secrets: [][]byte{[]byte("s")}, Registerer: reg}, h); err != nil {
		t.Fatalf("first New: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		h    Handler
	}{
		{"no secret", Config{}, h},
		{"empty secret", Config{Secrets: [][]byte{[]byte("s"), {}}}, h},
		{"nil handler", Config{Secrets: [][]byte{[]byte("s")}}, nil},
		{"negative queue", Config{Secrets: [][]byte{[]byte("s")}, QueueSize: -1}, h},
		{"metrics registered twice", Config{Secrets: [][]byte{[]byte("s")}, Registerer: reg}, h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, tt.h); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

// TestStatuses covers every way a single delivery is answered. None of the
// requests below may reach the parser unless wantParsed says so: Accept is
// the first thing called after parsing, so it stands in for the parser.
func TestStatuses(t *testing.T) {
	const maxBody = 64
	exact := append([]byte(`{"ref":"refs/heads/main"}`), bytes.Repeat([]byte(" "), maxBody-25)...)
	over := append(bytes.Clone(exact), ' ')
	valid := []byte(`{"ref":"refs/heads/main"}`)
	tests := []struct {
		name        string
		method      string
		event       string
		signature   string // "" = none; "sign" = valid
		body        []byte
		wantStatus  int
		wantBody    string
		wantParsed  bool
		wantOutcome string
	}{
		{"GET", http.MethodGet, "push", "sign", valid, http.StatusMethodNotAllowed, "method not allowed\n", false, outcomeBadRequest},
		{"no signature", http.MethodPost, "push", "", valid, http.StatusUnauthorized, "invalid signature\n", false, outcomeRejectedSignature},
		{"wrong secret", http.MethodPost, "push", sign("wrong", valid), valid, http.StatusUnauthorized, "invalid signature\n", false, outcomeRejectedSignature},
		{"malformed signature", http.MethodPost, "push", "sha256=xyz", valid, http.StatusUnauthorized, "invalid signature\n", false, outcomeRejectedSignature},
		{"sha1 signature", http.MethodPost, "push", "sha1=" + strings.Repeat("0", 40), valid, http.StatusUnauthorized, "invalid signature\n", false, outcomeRejectedSignature},
		{"invalid JSON but unsigned", http.MethodPost, "push", "", []byte("{"), http.StatusUnauthorized, "invalid signature\n", false, outcomeRejectedSignature},
		{"missing event header", http.MethodPost, "", "sign", valid, http.StatusBadRequest, "missing X-GitHub-Event or X-GitHub-Delivery\n", false, outcomeBadRequest},
		{"ping", http.MethodPost, "ping", "sign", []byte(`{"zen":"Keep it logically awesome."}`), http.StatusOK, "pong\n", false, ""},
		{"unknown event", http.MethodPost, "not_an_event", "sign", valid, http.StatusAccepted, "ignored\n", false, ""},
		{"invalid JSON", http.MethodPost, "push", "sign", []byte("{"), http.StatusBadRequest, "invalid JSON payload\n", false, outcomeBadRequest},
		{"empty body", http.MethodPost, "push", "sign", nil, http.StatusBadRequest, "invalid JSON payload\n", false, outcomeBadRequest},
		{"exactly the cap", http.MethodPost, "push", "sign", exact, http.StatusAccepted, "accepted\n", true, ""},
		{"one byte over the cap", http.MethodPost, "push", "sign", over, http.StatusRequestEntityTooLarge, "body too large\n", false, outcomeTooLarge},
		{"ignored action", http.MethodPost, "pull_request", "sign", []byte(`{"action":"labeled"}`), http.StatusAccepted, "ignored\n", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var parsed atomic.Bool
			h := newHarness(t, HandlerFunc(func(context.Context, Event) error { return nil }), func(c *Config) {
				c.MaxBody = maxBody
				c.Accept = func(ev Event) bool { parsed.Store(true); return DefaultAccept(ev) }
			})
			r := httptest.NewRequest(tt.method, "/webhook", bytes.NewReader(tt.body))
			if tt.event != "" {
				r.Header.Set("X-GitHub-Event", tt.event)
			}
			r.Header.Set("X-GitHub-Delivery", "d-1")
			switch tt.signature {
			case "":
			case "sign":
				r.Header.Set("X-Hub-Signature-256", sign(testSecret, tt.body))
			default:
				r.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if diff := cmp.Diff(tt.wantStatus, w.Code); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBody, w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if got := parsed.Load(); got != tt.wantParsed {
				t.Errorf("payload parsed = %v, want %v", got, tt.wantParsed)
			}
			if tt.wantOutcome != "" {
				if got := h.deliveries("", "", tt.wantOutcome); got != 1 {
					t.Errorf("deliveries{outcome=%q} = %d, want 1", tt.wantOutcome, got)
				}
			}
			if tt.wantStatus == http.StatusMethodNotAllowed {
				if got := w.Header().Get("Allow"); got != http.MethodPost {
					t.Errorf("Allow = %q, want POST", got)
				}
			}
		})
	}
}

func TestMissingDeliveryHeader(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), nil)
	body := []byte(`{}`)
	if w := h.post("push", "", body); w.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", w.Code)
	}
}

func TestDeclaredLengthOverCapRefusedUnread(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), func(c *Config) { c.MaxBody = 10 })
	var read atomic.Int64
	r := httptest.NewRequest(http.MethodPost, "/webhook", countingReader{strings.NewReader(strings.Repeat("x", 1000)), &read})
	r.ContentLength = 1000
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
	if n := read.Load(); n != 0 {
		t.Errorf("read %d bytes of a body declared over the cap, want 0", n)
	}
}

func TestUndeclaredLengthReadsAtMostCapPlusOne(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), func(c *Config) { c.MaxBody = 10 })
	var read atomic.Int64
	r := httptest.NewRequest(http.MethodPost, "/webhook", countingReader{strings.NewReader(strings.Repeat("x", 1000)), &read})
	r.ContentLength = -1 // chunked
	// Well formed, so the body is read.
	r.Header.Set("X-Hub-Signature-256", sign(testSecret, nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", w.Code)
	}
	if n := read.Load(); n > 11 {
		t.Errorf("read %d bytes with a cap of 10, want at most 11", n)
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestTruncatedBody(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), nil)
	body := []byte(`{"ref":"x"}`)

	t.Run("shorter than Content-Length", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.ContentLength = int64(len(body)) + 10
		r.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", w.Code)
		}
	})
	t.Run("read error", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhook", io.MultiReader(bytes.NewReader(body), errReader{}))
		r.ContentLength = -1
		r.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", w.Code)
		}
	})
	t.Run("connection closed early, over the wire", func(t *testing.T) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: d\r\nX-Hub-Signature-256: %s\r\n\r\n%s", sign(testSecret, body), body)
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestRealDeliveries sends every delivery in ../shared/github/webhooks,
// signed, and checks how it was translated and whether it became a job.
func TestRealDeliveries(t *testing.T) {
	type want struct {
		Status         int
		Accepted       bool
		Action         string
		InstallationID int64
		Owner, Repo    string
		PR             int
		HeadSHA        string
	}
	const codertocatSHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	wants := map[string]want{
		"check_run/rerequested.json":                           {202, true, "rerequested", 1, "github", "hello-world", 0, "d6fde92930d4715a2b49857d24b940956b26d2d3"},
		"check_suite/requested.json":                           {202, true, "requested", 957387, "Codertocat", "Hello-World", 0, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"},
		"check_suite/rerequested.json":                         {202, true, "rerequested", 957387, "Codertocat", "Hello-World", 2, codertocatSHA},
		"installation/created.json":                            {202, true, "created", 957387, "", "", 0, ""},
		"installation/deleted.json":                            {202, true, "deleted", 2, "", "", 0, ""},
		"installation_repositories/added.json":                 {202, true, "added", 957387, "", "", 0, ""},
		"issue_comment/created.json":                           {202, false, "created", 1, "Codertocat", "Hello-World", 0, ""},
		"issues/closed.json":                                   {202, false, "closed", 27216354, "codinasion", "codinasion-bot", 0, ""},
		"issues/opened.json":                                   {202, false, "opened", 0, "Codertocat", "Hello-World", 0, ""},
		"issues/opened.with-installation.json":                 {202, false, "opened", 27216354, "codinasion", "codinasion-bot-try", 0, ""},
		"ping/event.json":                                      {Status: 200},
		"pull_request/closed-merged.json":                      {202, true, "closed", 27216354, "codinasion", "codinasion-bot-try", 14, "f55e873b7e0df1619103e13211a99496e2175fb3"},
		"pull_request/closed.json":                             {202, true, "closed", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request/edited.json":                             {202, false, "edited", 63922, "ocombe", "test", 10, "ada5e37921fea45fa766fb8f06f99ed359bd9bf0"},
		"pull_request/opened.json":                             {202, true, "opened", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request/ready_for_review.json":                   {202, true, "ready_for_review", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request/reopened.json":                           {202, true, "reopened", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request/review_requested.json":                   {202, false, "review_requested", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request/synchronize.json":                        {202, true, "synchronize", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request_review/dismissed.json":                   {202, true, "dismissed", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"pull_request_review/submitted-approved.json":          {202, true, "submitted", 588033, "erwinmombay", "github-owners-bot-test-repo", 35, "9272f18514cbd3fa935b3ced62ae1c2bf6efa76d"},
		"pull_request_review/submitted-changes_requested.json": {202, true, "submitted", 78813, "ocombe", "test", 35, "812f646c59f9fa550a4eb271373776f33111cf63"},
		"pull_request_review/submitted-commented.json":         {202, true, "submitted", 1, "Codertocat", "Hello-World", 2, codertocatSHA},
		"push/event.json":                                      {202, true, "", 1, "Codertocat", "Hello-World", 0, ""},
		"push/event.new-branch.json":                           {202, true, "", 1, "Codertocat", "Hello-World", 0, ""},
	}
	unparsable := map[string]bool{"check_run/rerequested.json": true}
	root := webhooksDir(t)
	files, err := fs.Glob(os.DirFS(root), "*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no deliveries under %s", root)
	}
	seen := map[string]bool{}
	for i, file := range files {
		seen[file] = true
		t.Run(file, func(t *testing.T) {
			w, ok := wants[file]
			if !ok {
				t.Fatalf("no expectation for %s: add one", file)
			}
			body, err := os.ReadFile(filepath.Join(root, file))
			if err != nil {
				t.Fatal(err)
			}
			var got *Event
			h := newHarness(t, recorder(make(chan Event, 1)), func(c *Config) {
				c.Clock = func() time.Time { return t0 }
				c.Accept = func(ev Event) bool { got = &ev; return DefaultAccept(ev) }
			})
			event := path.Dir(file)
			delivery := fmt.Sprintf("delivery-%d", i)
			resp := h.post(event, delivery, body)
			if resp.Code != w.Status {
				t.Fatalf("status = %d, want %d (%s)", resp.Code, w.Status, resp.Body)
			}
			if w.Status != http.StatusAccepted {
				return
			}
			if got == nil {
				t.Fatal("delivery was not translated")
			}
			wantBody := "ignored\n"
			if w.Accepted {
				wantBody = "accepted\n"
			}
			if diff := cmp.Diff(wantBody, resp.Body.String()); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			gotWant := want{
				Status: resp.Code, Accepted: w.Accepted, Action: got.Action, InstallationID: got.InstallationID,
				Owner: got.Owner, Repo: got.Repo, PR: got.PR, HeadSHA: got.HeadSHA,
			}
			if diff := cmp.Diff(w, gotWant); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if got.Name != event || got.DeliveryID != delivery || !got.Received.Equal(t0) || !bytes.Equal(got.Payload, body) {
				t.Errorf("envelope = {%q %q %v %d bytes}, want {%q %q %v %d bytes}",
					got.Name, got.DeliveryID, got.Received, len(got.Payload), event, delivery, t0, len(body))
			}
			// go-github v60 cannot decode octokit's check_run example (its
			// timestamps are not RFC 3339); the event still goes through.
			wantType := fmt.Sprintf("%T", github.EventForType(event))
			if unparsable[file] {
				wantType = "<nil>"
				if !strings.Contains(h.logs.String(), "does not decode into go-github's type") {
					t.Error("no warning logged for a payload go-github cannot decode")
				}
			}
			if gotType := fmt.Sprintf("%T", got.Parsed); gotType != wantType {
				t.Errorf("Parsed is %s, want %s", gotType, wantType)
			}
		})
	}
	for file := range wants {
		if !seen[file] {
			t.Errorf("expected delivery %s is missing from %s", file, root)
		}
	}
}

// webhooksDir finds ../shared/github/webhooks beside the module root, or
// skips: it is third-party data that lives outside the repository.
func webhooksDir(t testing.TB) string {
	t.Helper()
	return datasettest.Shared(t, filepath.Join("github", "webhooks"))
}

func TestDefaultAccept(t *testing.T) {
	parse := func(name, body string) any {
		p, err := github.ParseWebHook(name, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		ev     Event
		accept bool
	}{
		{"edited base", Event{Name: "pull_request", Action: "edited", Parsed: parse("pull_request", `{"action":"edited","changes":{"base":{"ref":{"from":"dev"}}}}`)}, true},
		{"edited title", Event{Name: "pull_request", Action: "edited", Parsed: parse("pull_request", `{"action":"edited","changes":{"title":{"from":"x"}}}`)}, false},
		{"edited without parsed payload", Event{Name: "pull_request", Action: "edited"}, false},
		{"labeled", Event{Name: "pull_request", Action: "labeled"}, false},
		{"review edited", Event{Name: "pull_request_review", Action: "edited"}, true},
		{"check_run created", Event{Name: "check_run", Action: "created"}, false},
		{"check_suite completed", Event{Name: "check_suite", Action: "completed"}, false},
		{"installation suspend", Event{Name: "installation", Action: "suspend"}, true},
		{"installation_repositories removed", Event{Name: "installation_repositories", Action: "removed"}, true},
		{"issues", Event{Name: "issues", Action: "opened"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultAccept(tt.ev); got != tt.accept {
				t.Errorf("DefaultAccept = %v, want %v", got, tt.accept)
			}
		})
	}
}

func TestTranslateNeverPanicsOnSparsePayloads(t *testing.T) {
	for _, name := range []string{"pull_request", "pull_request_review", "check_run", "check_suite", "issue_comment", "push", "installation", "installation_repositories"} {
		for _, body := range []string{`{}`, `null`, `{"pull_request":null,"repository":{"owner":null}}`, `{"check_run":{"pull_requests":[null]}}`, `{"check_suite":{"pull_requests":[]}}`, `{"issue":{"pull_request":{}}}`} {
			p, err := github.ParseWebHook(name, []byte(body))
			if err != nil {
				continue
			}
			ev, _, _, err := decodeEvent(name, "d", []byte(body), t0)
			if err == nil {
				ev.Parsed = p
				_ = DefaultAccept(ev)
			}
		}
	}
}
