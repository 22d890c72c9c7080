package ghapp

import (
	"context"
	"fmt"
	"net/http"
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
	if got := testutil.ToFloat64(a.metrics.notModified.WithLabelValues("repos/issues")); got != 1 {
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
	c := newETagCache(2)
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
}
