package ghtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// GitHub is a stateful fake of GitHub's REST API. All methods are safe for
// concurrent use, because the bot under test runs workers in parallel.
type GitHub struct {
	// App is the GitHub App whose installations the fake knows.
	App App
	// Git serves the fixture repositories that clone_url points at.
	Git *GitServer

	t      testing.TB
	report func(string)
	srv    *httptest.Server
	api    *http.ServeMux
	valid  *validator
	// done releases requests held by a timeout fault when the test ends,
	// so closing the server does not wait for them.
	done chan struct{}

	mu            sync.Mutex
	now           func() time.Time
	authClock     func() time.Time // nil: now
	nextID        int64
	installations map[int64]*installation
	tokens        map[string]*token
	repos         map[string]*repoState // by lower-case "owner/name"
	users         map[string]*userState // by lower-case login
	orgMembers    map[string]map[string]bool
	teams         map[string]*team // by lower-case "org/slug"
	requests      []Request
	faults        []*faultRule
	searchLag     time.Duration
	rates         map[rateKey]*rate
}

// Option configures NewGitHub.
type Option func(*GitHub)

// WithReporter replaces t.Errorf as the sink for requests GitHub would
// reject, so a test can assert that the fake catches a malformed request
// without failing itself.
func WithReporter(report func(msg string)) Option {
	return func(gh *GitHub) { gh.report = report }
}

// NewGitHub starts a fake GitHub for the duration of the test. It skips the
// test when the shared REST description is absent.
func NewGitHub(t testing.TB, opts ...Option) *GitHub {
	t.Helper()
	doc, err := loadSpec()
	if errors.Is(err, errSpecMissing) {
		t.Skip(errSpecMissing.Error())
	}
	if err != nil {
		t.Fatalf("ghtest: %v", err)
	}
	key, err := appKey()
	if err != nil {
		t.Fatalf("ghtest: %v", err)
	}
	gh := &GitHub{
		App:           App{ID: 4242, Slug: "ownerbot-test", key: key},
		t:             t,
		report:        func(msg string) { t.Errorf("%s", msg) },
		done:          make(chan struct{}),
		now:           time.Now,
		nextID:        1000,
		installations: map[int64]*installation{},
		tokens:        map[string]*token{},
		repos:         map[string]*repoState{},
		users:         map[string]*userState{},
		orgMembers:    map[string]map[string]bool{},
		teams:         map[string]*team{},
		rates:         map[rateKey]*rate{},
	}
	for _, o := range opts {
		o(gh)
	}
	gh.api = http.NewServeMux()
	gh.routes()
	gh.srv = httptest.NewServer(http.HandlerFunc(gh.serve))
	gh.valid, err = newValidator(doc, gh.srv.URL)
	if err != nil {
		gh.srv.Close()
		t.Fatalf("ghtest: %v", err)
	}
	gh.Git = newGitServer(t, gh.authorizeGit)
	t.Cleanup(func() {
		close(gh.done)
		gh.srv.Close()
	})
	return gh
}

// URL is the API base URL in github.com style, with a trailing slash.
func (gh *GitHub) URL() string { return gh.srv.URL + "/" }

// EnterpriseURL is the API base URL in GitHub Enterprise Server style.
func (gh *GitHub) EnterpriseURL() string { return gh.srv.URL + "/api/v3/" }

// Client is an HTTP client for the fake's server.
func (gh *GitHub) Client() *http.Client { return gh.srv.Client() }

// SetNow fixes the fake's clock (token expiry, JWT checks, timestamps).
func (gh *GitHub) SetNow(now time.Time) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.now = func() time.Time { return now }
}

// SetAuthClock keeps token expiry and JWT checks on their own clock, so a
// test can move the fake's days (SetNow) while the real client libraries
// sign and refresh credentials in real time.
func (gh *GitHub) SetAuthClock(now func() time.Time) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.authClock = now
}

// authNow is the time of credentials. Callers hold gh.mu.
func (gh *GitHub) authNow() time.Time {
	if gh.authClock != nil {
		return gh.authClock()
	}
	return gh.now()
}

func (gh *GitHub) clock() time.Time {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	return gh.now()
}

// id hands out increasing ids for comments, check runs and the like.
// Callers hold gh.mu.
func (gh *GitHub) id() int64 {
	gh.nextID++
	return gh.nextID
}

// apiError is GitHub's error body.
type apiError struct {
	Message          string       `json:"message"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Errors           []fieldError `json:"errors,omitempty"`
	Status           string       `json:"status,omitempty"`
}

type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"ghtest: encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{
		Message:          msg,
		DocumentationURL: "https://docs.github.com/rest",
		Status:           strconv.Itoa(status),
	})
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not Found") }

func unprocessable(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusUnprocessableEntity, msg)
}

// decode reads a JSON request body into v; it reports 400 like GitHub on
// malformed JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// buffered captures a handler's response so the server can add ETags and
// rate-limit headers, answer 304, or drop the response on the floor.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBuffered() *buffered { return &buffered{header: http.Header{}} }

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *buffered) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

type ctxKey int

const installationKey ctxKey = iota

// installationOf is the installation whose token authenticated r (0 for
// the App's JWT).
func installationOf(r *http.Request) int64 {
	id, _ := r.Context().Value(installationKey).(int64)
	return id
}

// serve is the single entry point: it records, validates, injects faults,
// authenticates, runs the endpoint and decorates its response.
func (gh *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	start := gh.clock()
	enterprise := strings.HasPrefix(r.URL.Path, "/api/v3/")
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	rec := Request{Method: r.Method, Path: path, Query: r.URL.Query(), Enterprise: enterprise, Time: start}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "read body")
		return
	}
	rewind := func() { r.Body = io.NopCloser(bytes.NewReader(body)) }
	rewind()

	// Route on the fake's own mux first: its pattern names the operation
	// for allow-listed endpoints that the description lacks.
	inner := r.Clone(r.Context())
	inner.URL.Path = path
	inner.URL.RawPath = ""
	_, pattern := gh.api.Handler(inner)
	op, verr := gh.valid.check(r, pattern)
	rec.Operation = op
	rewind()
	if verr != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(verr, errNotInSpec) {
			status = http.StatusNotFound
		}
		gh.report(fmt.Sprintf("ghtest: GitHub would reject %s %s: %v", r.Method, r.URL.RequestURI(), verr))
		rec.Status = status
		gh.record(rec)
		writeError(w, status, "Validation Failed: "+verr.Error())
		return
	}

	inst, status, msg := gh.authenticate(r, path)
	rec.Installation = inst
	if status != 0 {
		rec.Status = status
		gh.record(rec)
		gh.writeRateHeaders(w.Header(), inst, path, true)
		writeError(w, status, msg)
		return
	}

	fault := gh.matchFault(rec)
	if fault != nil && fault.Kind != FaultLostResponse {
		rec.Status = gh.applyFault(w, r, *fault, inst, path)
		if rec.Status != 0 {
			gh.record(rec)
			return
		}
	}

	out := newBuffered()
	inner = inner.WithContext(context.WithValue(r.Context(), installationKey, inst))
	inner.Body = io.NopCloser(bytes.NewReader(body))
	gh.api.ServeHTTP(out, inner)
	if out.status == 0 {
		out.status = http.StatusOK
	}

	if fault != nil && fault.Kind == FaultLostResponse {
		rec.Status = -1
		gh.record(rec)
		loseResponse(w)
		return
	}

	notModified := false
	if r.Method == http.MethodGet && out.status == http.StatusOK {
		sum := sha256.Sum256(out.body.Bytes())
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		out.header.Set("ETag", etag)
		notModified = etagMatches(r.Header.Get("If-None-Match"), etag)
	}
	for k, v := range out.header {
		w.Header()[k] = v
	}
	gh.writeRateHeaders(w.Header(), inst, path, !notModified)
	w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("GHTEST:%X", gh.requestNumber()))
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if notModified {
		rec.Status = http.StatusNotModified
		gh.record(rec)
		w.Header().Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rec.Status = out.status
	gh.record(rec)
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body.Bytes())
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	strong := strings.TrimPrefix(etag, "W/")
	for _, candidate := range strings.Split(header, ",") {
		c := strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if c == strong || c == "*" {
			return true
		}
	}
	return false
}

// loseResponse closes the connection without a response: the write has
// been applied, but the client sees a transport error.
func loseResponse(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// page parses GitHub's page/per_page parameters.
func page(r *http.Request, defaultPer, maxPer int) (pageNum, perPage int) {
	pageNum, perPage = 1, defaultPer
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		pageNum = n
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, maxPer)
	}
	return pageNum, perPage
}

// paginate returns one page of items and sets GitHub's Link header, which
// go-github reads for NextPage and LastPage.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	pageNum, perPage := page(r, 30, 100)
	last := max(1, (len(items)+perPage-1)/perPage)
	var links []string
	link := func(p int, rel string) {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		if strings.HasPrefix(r.RequestURI, "/api/v3/") && !strings.HasPrefix(u.Path, "/api/v3/") {
			u.Path = "/api/v3" + u.Path
		}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		if q.Has("per_page") {
			q.Set("per_page", strconv.Itoa(perPage))
		}
		u.RawQuery = q.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u.String(), rel))
	}
	if pageNum > 1 {
		link(pageNum-1, "prev")
	}
	if pageNum < last {
		link(pageNum+1, "next")
		link(last, "last")
	}
	if pageNum > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	from := (pageNum - 1) * perPage
	if from >= len(items) {
		return []T{}
	}
	return items[from:min(len(items), from+perPage)]
}

func pathInt(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		notFound(w)
		return 0, false
	}
	return n, true
}
