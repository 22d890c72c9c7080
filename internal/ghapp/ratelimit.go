package ghapp

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fromCacheHeader is the header go-github reads to skip recording a response's
// rate limit (it was meant for httpcache). The transport sets it on answers
// from the ETag cache and on responses that exhaust a rate limit: the
// transport owns the wait for that reset, per installation and with the
// injected clock, so go-github must not also refuse later calls by itself.
const fromCacheHeader = "X-From-Cache"

// RateLimitError is returned, without any request being sent, when an
// installation's remembered rate-limit reset (or secondary-limit pause) is
// further away than Config.MaxWait.
type RateLimitError struct {
	InstallationID int64  // 0 for the App's own JWT client
	Resource       string // GitHub's rate-limit resource: core, search, graphql…
	Until          time.Time
	Wait           time.Duration
	MaxWait        time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("ghapp: installation %d: GitHub %s rate limit exhausted until %s (%s away, longer than the %s it may wait); request not sent",
		e.InstallationID, e.Resource, e.Until.UTC().Format(time.RFC3339), e.Wait.Round(time.Second), e.MaxWait)
}

// rateLimits is one installation's remembered rate-limit state. GitHub counts
// limits per installation, so the state is never shared between them.
type rateLimits struct {
	mu        sync.Mutex
	resets    map[string]time.Time // resource → primary reset, set when remaining hit 0
	pauseTill time.Time            // secondary limit: no request before this
}

func newRateLimits() *rateLimits {
	return &rateLimits{resets: make(map[string]time.Time)}
}

// until reports when the next request for resource may be sent (a time in
// the past means now) and which kind of limit decides it.
func (r *rateLimits) until(resource string) (time.Time, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, kind := r.resets[resource], "primary"
	if r.pauseTill.After(t) {
		t, kind = r.pauseTill, "secondary"
	}
	return t, kind
}

// observe remembers a primary reset when a response says none are left.
// Past resets are harmless (they mean "now"), so nothing is ever cleared.
func (r *rateLimits) observe(resource string, resp *http.Response) {
	reset, ok := exhaustedUntil(resp)
	if !ok {
		return
	}
	if res := resp.Header.Get("X-RateLimit-Resource"); res != "" {
		resource = res
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if reset.After(r.resets[resource]) {
		r.resets[resource] = reset
	}
}

// pause holds every request of the installation until t (secondary limits
// apply to the installation as a whole).
func (r *rateLimits) pause(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.After(r.pauseTill) {
		r.pauseTill = t
	}
}

// exhaustedUntil returns X-RateLimit-Reset when X-RateLimit-Remaining is 0.
func exhaustedUntil(resp *http.Response) (time.Time, bool) {
	if resp.Header.Get("X-RateLimit-Remaining") != "0" {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

// retryAfter parses Retry-After in seconds (the only form GitHub sends).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

// resourceFor guesses which rate-limit bucket a request draws from, so a
// search limit does not hold back ordinary calls. path is relative to the
// API root.
func resourceFor(rel string) string {
	switch {
	case strings.HasPrefix(rel, "search/code"):
		return "code_search"
	case strings.HasPrefix(rel, "search/"):
		return "search"
	case rel == "graphql":
		return "graphql"
	default:
		return "core"
	}
}

// relPath returns the request path relative to the API root path.
func relPath(apiPath, p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, strings.TrimSuffix(apiPath, "/")), "/")
}
