package ghtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is one call the fake received, as tests assert on it.
type Request struct {
	Method string
	// Path is the API path without the /api/v3 prefix of Enterprise URLs.
	Path       string
	Query      url.Values
	Enterprise bool
	// Operation is the operationId from GitHub's description ("" if the
	// request matched none).
	Operation    string
	Installation int64 // 0 for App (JWT) or unauthenticated calls
	// Status is the status written, or -1 when a LostResponse fault
	// dropped the response.
	Status int
	Time   time.Time
}

// Counts summarises the recording; 304s are what conditional requests save.
type Counts struct {
	Total       int
	NotModified int
}

// Requests returns the recorded requests in arrival order.
func (gh *GitHub) Requests() []Request {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	return slices.Clone(gh.requests)
}

// CountCalls counts recorded requests for which filter is true (all when
// filter is nil).
func (gh *GitHub) CountCalls(filter func(Request) bool) int {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	n := 0
	for _, r := range gh.requests {
		if filter == nil || filter(r) {
			n++
		}
	}
	return n
}

// Counts returns the total number of calls and how many were answered 304.
func (gh *GitHub) Counts() Counts {
	return Counts{
		Total:       gh.CountCalls(nil),
		NotModified: gh.CountCalls(func(r Request) bool { return r.Status == http.StatusNotModified }),
	}
}

// ResetRecording forgets recorded requests, e.g. after a warm-up phase.
func (gh *GitHub) ResetRecording() {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.requests = nil
}

func (gh *GitHub) record(r Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.requests = append(gh.requests, r)
}

func (gh *GitHub) requestNumber() int64 {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	return gh.id()
}

type rateKey struct {
	installation int64
	resource     string
}

type rate struct {
	limit, used int
	reset       time.Time
}

// rateFor returns the window of one installation and resource, opening a
// fresh hour when the previous one has passed. Callers hold gh.mu.
func (gh *GitHub) rateFor(inst int64, resource string) *rate {
	k := rateKey{inst, resource}
	rt := gh.rates[k]
	now := gh.now()
	if rt == nil || !now.Before(rt.reset) {
		limit, window := gh.coreLimit(inst), time.Hour
		if resource == "search" {
			limit, window = 30, time.Minute
		}
		rt = &rate{limit: limit, reset: now.Add(window).Truncate(time.Second)}
		gh.rates[k] = rt
	}
	return rt
}

// coreLimit is an installation's hourly limit as GitHub documents it for
// Apps: 5,000, and 50 more for each repository above 20 when it has more
// than 20, at most 12,500. Callers hold gh.mu.
func (gh *GitHub) coreLimit(inst int64) int {
	repos := 0
	for _, st := range gh.repos {
		if inst != 0 && st.installation == inst {
			repos++
		}
	}
	if repos <= 20 {
		return 5000
	}
	return min(5000+50*(repos-20), 12500)
}

func resourceOf(path string) string {
	if strings.HasPrefix(path, "/search/") {
		return "search"
	}
	return "core"
}

// writeRateHeaders sets GitHub's rate-limit headers; count is false for
// 304s, which GitHub does not charge.
func (gh *GitHub) writeRateHeaders(h http.Header, inst int64, path string, count bool) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	res := resourceOf(path)
	rt := gh.rateFor(inst, res)
	if count && path != "/rate_limit" {
		rt.used = min(rt.used+1, rt.limit)
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(rt.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rt.limit-rt.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rt.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(rt.used))
	h.Set("X-RateLimit-Resource", res)
}
