package ghapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestConditionalRequests(t *testing.T) {
	f := newFakeGitHub(t, "")
	version := 1
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		f.mu.Lock()
		v := version
		f.mu.Unlock()
		if r.Method == http.MethodPatch {
			writeJSON(w, map[string]any{"number": 5})
			return
		}
		etag := fmt.Sprintf(`"v%d"`, v)
		w.Header().Set("X-RateLimit-Remaining", "4000")
		if r.Header.Get("If-None-Match") == etag {
			w.Header().Set("X-RateLimit-Remaining", "3999")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		writeJSON(w, map[string]any{"number": 5, "title": fmt.Sprintf("title %d", v)})
	})
	reg := prometheus.NewRegistry()
	a := newTestApp(t, f, newFakeTime(), nil, func(c *Config) { c.Registerer = reg })
	c, _ := a.Client(1)
	ctx := context.Background()

	first, _, err := c.Issues.Get(ctx, "o", "r", 5)
	if err != nil {
		t.Fatal(err)
	}
	second, resp, err := c.Issues.Get(ctx, "o", "r", 5)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, second); d != "" {
		t.Fatalf("cached answer differs (-first +second)\n%s", d)
	}
	if resp.StatusCode != http.StatusOK || resp.Rate.Remaining != 3999 || resp.Header.Get(cachedHeader) == "" {
		t.Fatalf("cached response: status %d, remaining %d, header %q", resp.StatusCode, resp.Rate.Remaining, resp.Header.Get(cachedHeader))
	}
	if got := testutil.ToFloat64(a.metrics.notModified.WithLabelValues("GET /repos/{owner}/{repo}/issues/{issue_number}")); got != 1 {
		t.Fatalf("304s counted: %v, want 1", got)
	}

	// The resource changes: the server answers 200 and the cache follows.
	f.mu.Lock()
	version = 2
	f.mu.Unlock()
	third, _, err := c.Issues.Get(ctx, "o", "r", 5)
	if err != nil || third.GetTitle() != "title 2" {
		t.Fatalf("after a change got %q, %v", third.GetTitle(), err)
	}

	// A write to the issue drops its entry: the next read is unconditional.
	if _, _, err := c.Issues.Edit(ctx, "o", "r", 5, &github.IssueRequest{Title: github.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.Get(ctx, "o", "r", 5); err != nil {
		t.Fatal(err)
	}
	var inm []string
	for _, s := range f.seen() {
		inm = append(inm, s.Method+" "+s.IfNoneMatch)
	}
	want := []string{"GET ", `GET "v1"`, `GET "v1"`, "PATCH ", "GET "}
	if d := cmp.Diff(want, inm); d != "" {
		t.Fatalf("If-None-Match sent (-want +got)\n%s", d)
	}
}

func TestETagCacheIsBounded(t *testing.T) {
	c := newETagCache(2, 1<<20)
	for i := range 3 {
		c.put(fmt.Sprint(i), &etagEntry{path: fmt.Sprintf("/repos/o/r/issues/%d", i)})
	}
	if _, ok := c.get("0"); ok || c.len() != 2 {
		t.Fatalf("oldest entry kept or size %d", c.len())
	}
	c.get("1") // 1 is now the most recent; adding 3 evicts 2
	c.put("3", &etagEntry{path: "/x"})
	if _, ok := c.get("2"); ok {
		t.Fatal("least recently used entry kept")
	}
	c.invalidate("", "/repos/o/r/issues/1")
	if _, ok := c.get("1"); ok {
		t.Fatal("invalidated entry kept")
	}
	if c.len() != 1 || c.bytes != (&etagEntry{key: "3", path: "/x"}).size() {
		t.Errorf("after evictions: %d entries holding %d bytes", c.len(), c.bytes)
	}
}

// Bytes bound the cache too: large bodies push out the oldest entries,
// and replacing an entry accounts for its old size.
func TestETagCacheBoundedByBytes(t *testing.T) {
	body := make([]byte, 1000)
	c := newETagCache(100, 3500)
	for i := range 5 {
		c.put(fmt.Sprint(i), &etagEntry{body: body})
	}
	if c.len() != 3 || c.bytes > 3500 {
		t.Fatalf("%d entries holding %d bytes, want 3 within 3500", c.len(), c.bytes)
	}
	for _, k := range []string{"0", "1"} {
		if _, ok := c.get(k); ok {
			t.Errorf("entry %s kept past the byte bound", k)
		}
	}
	c.put("4", &etagEntry{body: body[:10]})
	if c.len() != 3 || c.bytes >= 3000 {
		t.Errorf("a smaller replacement: %d entries, %d bytes", c.len(), c.bytes)
	}
	c.put("huge", &etagEntry{body: make([]byte, 10000)})
	if c.len() != 1 {
		t.Errorf("an entry above the bound keeps %d others", c.len()-1)
	}
}

// A run that saves its caches lets the next process ask conditionally
// from its first request: the same answer, and a 304 GitHub does not
// charge. A file for another GitHub, or not a cache file at all, loads
// nothing.
func TestETagCachesSurviveTheProcess(t *testing.T) {
	f := newFakeGitHub(t, "")
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		etag := fmt.Sprintf(`"i%d"`, inst)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		writeJSON(w, map[string]any{"number": 5, "title": fmt.Sprintf("installation %d", inst)})
	})
	ctx := context.Background()
	get := func(a *App, inst int64) string {
		t.Helper()
		c, _ := a.Client(inst)
		iss, resp, err := c.Issues.Get(ctx, "o", "r", 5)
		if err != nil {
			t.Fatal(err)
		}
		return iss.GetTitle() + " " + resp.Header.Get(cachedHeader)
	}
	first := newTestApp(t, f, newFakeTime(), nil, nil)
	get(first, 1)
	get(first, 2)
	var saved bytes.Buffer
	if err := first.SaveETags(&saved); err != nil {
		t.Fatal(err)
	}

	next := newTestApp(t, f, newFakeTime(), nil, nil)
	if err := next.LoadETags(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got := get(next, 2); got != "installation 2 revalidated" {
		t.Errorf("the next process's first read: %q, want a revalidated copy", got)
	}
	if got := get(next, 3); got != "installation 3 " {
		t.Errorf("an installation with nothing saved: %q", got)
	}
	// What was loaded and never used is saved again.
	var again bytes.Buffer
	if err := next.SaveETags(&again); err != nil {
		t.Fatal(err)
	}
	third := newTestApp(t, f, newFakeTime(), nil, nil)
	if err := third.LoadETags(&again); err != nil {
		t.Fatal(err)
	}
	if got := get(third, 1); got != "installation 1 revalidated" {
		t.Errorf("an installation the second process did not use: %q", got)
	}

	other := newTestApp(t, f, newFakeTime(), nil, func(c *Config) { c.APIURL = "https://ghe.example.com/api/v3/" })
	if err := other.LoadETags(bytes.NewReader(saved.Bytes())); !errors.Is(err, ErrETagFile) {
		t.Errorf("a file for another GitHub: %v", err)
	}
	if err := next.LoadETags(strings.NewReader("not a cache")); !errors.Is(err, ErrETagFile) {
		t.Errorf("garbage: %v", err)
	}
}
