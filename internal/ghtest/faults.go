package ghtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what goes wrong.
type FaultKind int

const (
	// FaultStatus answers Fault.Status (for example 500 or 502).
	FaultStatus FaultKind = iota + 1
	// FaultTimeout holds the request until the client gives up or
	// Fault.Duration passes; then the request is served normally, late.
	FaultTimeout
	// FaultSecondaryRateLimit answers 403 with GitHub's secondary rate
	// limit message, and Retry-After when Fault.RetryAfter is set.
	FaultSecondaryRateLimit
	// FaultPrimaryRateLimit answers Fault.Status (403 by default, or 429)
	// with X-RateLimit-Remaining: 0 and a reset Fault.RetryAfter ahead.
	FaultPrimaryRateLimit
	// FaultLostResponse applies the request to the state, then closes the
	// connection without answering: the client sees an error although the
	// comment or check run exists.
	FaultLostResponse
)

// FaultMatch selects the requests a fault hits.
type FaultMatch struct {
	Method string // any method when empty
	// Operation is an operationId such as "issues/create-comment".
	Operation string
	// PathPrefix matches the API path (without /api/v3).
	PathPrefix string
	// Count is how many matching requests fail; 1 when zero, and
	// negative for every one.
	Count int
}

// Fault describes the failure.
type Fault struct {
	Kind       FaultKind
	Status     int
	Duration   time.Duration
	RetryAfter time.Duration
}

type faultRule struct {
	match FaultMatch
	fault Fault
	left  int
}

// Fail makes the next matching requests fail with f.
func (gh *GitHub) Fail(match FaultMatch, f Fault) {
	left := match.Count
	if left == 0 {
		left = 1
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.faults = append(gh.faults, &faultRule{match: match, fault: f, left: left})
}

// matchFault consumes one use of the first rule that matches r.
func (gh *GitHub) matchFault(r Request) *Fault {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	for i, rule := range gh.faults {
		m := rule.match
		if m.Method != "" && !strings.EqualFold(m.Method, r.Method) ||
			m.Operation != "" && m.Operation != r.Operation ||
			m.PathPrefix != "" && !strings.HasPrefix(r.Path, m.PathPrefix) {
			continue
		}
		f := rule.fault
		if rule.left > 0 {
			rule.left--
			if rule.left == 0 {
				gh.faults = append(gh.faults[:i], gh.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

const secondaryDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

// applyFault answers r according to f and returns the status written, or
// 0 when the request should now be served normally (a timeout that ran
// out before the client gave up).
func (gh *GitHub) applyFault(w http.ResponseWriter, r *http.Request, f Fault, inst int64, path string) int {
	switch f.Kind {
	case FaultTimeout:
		wait := f.Duration
		if wait <= 0 {
			wait = time.Minute
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
			return 499 // client closed request, as nginx logs it
		case <-gh.done:
			return 499
		case <-timer.C:
			return 0
		}
	case FaultSecondaryRateLimit:
		gh.writeRateHeaders(w.Header(), inst, path, true)
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
		}
		writeJSON(w, http.StatusForbidden, apiError{
			Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
			DocumentationURL: secondaryDocs,
		})
		return http.StatusForbidden
	case FaultPrimaryRateLimit:
		status := f.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		reset := f.RetryAfter
		if reset <= 0 {
			reset = time.Minute
		}
		h := w.Header()
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", "5000")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(gh.clock().Add(reset).Unix(), 10))
		h.Set("X-RateLimit-Resource", resourceOf(path))
		writeJSON(w, status, apiError{
			Message:          "API rate limit exceeded for installation ID " + strconv.FormatInt(inst, 10) + ".",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits",
		})
		return status
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		gh.writeRateHeaders(w.Header(), inst, path, true)
		writeError(w, status, http.StatusText(status))
		return status
	}
}
