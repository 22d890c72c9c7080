package ghapp

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// cachedHeader marks a 200 that the ETag cache rebuilt from a 304, for
// callers (and logs) that want to know the body was not re-sent.
const cachedHeader = "X-Ownerbot-Cache"

// maxCachedBody keeps one huge listing from filling memory; larger bodies
// are passed through uncached.
const maxCachedBody = 1 << 20

// etagTransport turns repeated GETs into conditional requests. GitHub does
// not count a 304 against the rate limit, which is what lets a sweep over
// unchanged repositories cost almost nothing. The server always decides
// freshness (every GET is revalidated), so a stale answer is impossible; the
// cache only saves bytes and rate limit.
type etagTransport struct {
	next    http.RoundTripper
	cache   *etagCache
	metrics *metrics
	apiPath string
}

func (t *etagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		if req.Method != http.MethodHead {
			// Not needed for correctness (see above): it frees entries
			// that the write has just made useless.
			t.cache.invalidate(req.URL.Host, req.URL.Path)
		}
		return t.next.RoundTrip(req)
	}
	if req.Header.Get("If-None-Match") != "" || req.Header.Get("If-Modified-Since") != "" || req.Header.Get("Range") != "" {
		return t.next.RoundTrip(req) // the caller manages its own conditions
	}
	key := req.URL.String() + "\x00" + req.Header.Get("Accept")
	entry, ok := t.cache.get(key)
	if ok {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", entry.etag)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case ok && resp.StatusCode == http.StatusNotModified:
		drain(resp)
		t.metrics.notModified.WithLabelValues(endpointFor(http.MethodGet, relPath(t.apiPath, req.URL.Path))).Inc()
		return entry.response(req, resp.Header), nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		return t.store(key, req, resp)
	}
	return resp, nil
}

// store keeps a copy of a 200 with an ETag and hands back an equivalent
// response whose body reads from that copy.
func (t *etagTransport) store(key string, req *http.Request, resp *http.Response) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if len(body) > maxCachedBody {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	_ = resp.Body.Close()
	t.cache.put(key, &etagEntry{
		host:   req.URL.Host,
		path:   req.URL.Path,
		etag:   resp.Header.Get("ETag"),
		header: resp.Header.Clone(),
		body:   body,
	})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

type etagEntry struct {
	key        string
	host, path string
	etag       string
	header     http.Header
	body       []byte
}

// response rebuilds the cached 200 for req. The 304's rate-limit headers are
// the current ones, so they replace the cached ones.
func (e *etagEntry) response(req *http.Request, fresh http.Header) *http.Response {
	h := e.header.Clone()
	for k, v := range fresh {
		if strings.HasPrefix(k, "X-Ratelimit-") || k == "Date" {
			h[k] = append([]string(nil), v...)
		}
	}
	h.Set(cachedHeader, "revalidated")
	// go-github must not record rate limits from a cache answer; they are
	// already current, and GitHub did not count this call.
	h.Set(fromCacheHeader, "1")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
	}
}

// etagCache is a bounded LRU of one installation's GET responses, keyed by
// URL and Accept header (GitHub varies representations by Accept).
//
// It is bounded by entries and by bytes. A sweep keeps three to four
// entries per repository (its branch head, open pull requests, issues and
// their comments) from one sweep to the next, so the entry bound has to
// hold the whole installation or every sweep starts cold.
type etagCache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	order    *list.List // front = most recently used; values are *etagEntry
	byKey    map[string]*list.Element
}

func newETagCache(max, maxBytes int) *etagCache {
	return &etagCache{max: max, maxBytes: maxBytes, order: list.New(), byKey: make(map[string]*list.Element)}
}

// size approximates what an entry holds in memory.
func (e *etagEntry) size() int {
	n := len(e.key) + len(e.host) + len(e.path) + len(e.etag) + len(e.body) + 128
	for k, vs := range e.header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

func (c *etagCache) get(key string) (*etagEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*etagEntry), true
}

func (c *etagCache) put(key string, e *etagEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.key = key
	if el, ok := c.byKey[key]; ok {
		c.bytes -= el.Value.(*etagEntry).size()
		el.Value = e
		c.order.MoveToFront(el)
	} else {
		c.byKey[key] = c.order.PushFront(e)
	}
	c.bytes += e.size()
	for c.order.Len() > c.max || c.bytes > c.maxBytes && c.order.Len() > 1 {
		c.remove(c.order.Back())
	}
}

// invalidate drops entries for path and everything below it: a PATCH of
// …/issues/5 drops …/issues/5 and …/issues/5/comments.
func (c *etagCache) invalidate(host, path string) {
	prefix := strings.TrimSuffix(path, "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*etagEntry)
		if e.host == host && (e.path == prefix || strings.HasPrefix(e.path, prefix+"/")) {
			c.remove(el)
		}
		el = next
	}
}

func (c *etagCache) remove(el *list.Element) {
	c.order.Remove(el)
	e := el.Value.(*etagEntry)
	c.bytes -= e.size()
	delete(c.byKey, e.key)
}

func (c *etagCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
