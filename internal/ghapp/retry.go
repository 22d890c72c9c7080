package ghapp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/rs/zerolog"
)

// Backoff bounds. GitHub asks clients that hit a secondary rate limit without
// a Retry-After to wait at least a minute, growing exponentially.
const (
	baseBackoff      = time.Second
	maxBackoff       = 30 * time.Second
	secondaryBackoff = time.Minute
	maxBodyPeek      = 64 << 10 // enough of a 403 body to see "secondary rate limit"
)

// Reasons, used in logs and as the retries metric label.
const (
	reasonNetwork   = "network"
	reasonServer    = "server_error"
	reasonSecondary = "secondary_rate_limit"
	reasonPrimary   = "primary_rate_limit"
)

// retryPolicy is shared by every installation of an App; it holds no
// per-installation state.
type retryPolicy struct {
	maxRetries int
	maxWait    time.Duration
	clock      func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	jitter     func(time.Duration) time.Duration
	metrics    *metrics
	apiPath    string
}

// backoff is exponential with full jitter, so replicas that failed together
// do not retry together.
func (p *retryPolicy) backoff(attempt int) time.Duration {
	return p.jitter(min(baseBackoff<<attempt, maxBackoff, p.maxWait))
}

// secondaryDelay waits at least half of a growing ceiling (a minute first),
// never more than MaxWait, so a secondary limit without Retry-After still
// backs off for real.
func (p *retryPolicy) secondaryDelay(attempt int) time.Duration {
	ceil := min(secondaryBackoff<<attempt, p.maxWait)
	return ceil/2 + p.jitter(ceil/2)
}

// retryTransport retries safe reads (GET, HEAD), applies one installation's
// rate limits to all of its requests and paces its writes.
//
// Writes are not retried after a lost or failed answer: a POST whose
// response was lost, or answered 5xx by a proxy, may still have landed, and
// repeating it would duplicate a comment or an issue. Callers re-read before
// writing again (see Upsert). Two kinds of write are sent again, because
// GitHub's answer says they never took effect: one whose installation token
// could not be obtained (it was never sent), and one GitHub refused for a
// rate limit (403 or 429 naming the limit), which is sent again once the
// limit allows, so a throttled comment is finished rather than dropped.
type retryTransport struct {
	next           http.RoundTripper
	policy         *retryPolicy
	limits         *rateLimits
	pacer          *pacer // nil: writes are not paced (the App's JWT client, or pacing off)
	installationID int64
	logger         zerolog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.policy
	ctx := req.Context()
	safe := req.Method == http.MethodGet || req.Method == http.MethodHead
	rel := relPath(p.apiPath, req.URL.Path)
	resource := resourceFor(rel)
	paced := t.pacer != nil && mutating(req.Method)
	content := paced && contentCreating(req.Method, rel)

	first, again, err := requestBodies(req, safe)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if paced {
			// A write retried because its token could not be fetched
			// was never sent; it takes a new slot all the same.
			err = t.waitWrite(ctx, req.Method, rel, resource, content)
		} else {
			err = t.waitTurn(ctx, req.Method, rel, resource)
		}
		if err != nil {
			if attempt == 0 && first != nil {
				_ = first.Close() // a RoundTripper closes the body, even on errors
			}
			return nil, err
		}
		areq := req.Clone(ctx)
		if attempt == 0 {
			areq.Body = first
		} else if again != nil {
			if areq.Body, err = again(); err != nil {
				return nil, err
			}
		}

		resp, err := t.next.RoundTrip(areq)
		if err != nil {
			closeHTTPErrorBody(err)
			retryable := (safe && transient(err)) || (tokenNotSent(err) && (req.Body == nil || again != nil))
			if ctx.Err() != nil || !retryable || attempt >= p.maxRetries {
				return nil, err
			}
			d := p.backoff(attempt)
			t.logRetry(req.Method, rel, reasonNetwork, 0, err, d, attempt)
			if err := p.sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}

		t.limits.observe(resource, resp)
		reason, wait := t.judge(resp, attempt)
		refused := reason == reasonSecondary || reason == reasonPrimary
		resend := safe || (refused && (req.Body == nil || req.Body == http.NoBody || again != nil))
		if reason == "" || !resend || attempt >= p.maxRetries || wait > p.maxWait {
			if _, ok := exhaustedUntil(resp); ok {
				resp.Header.Set(fromCacheHeader, "1")
			}
			return resp, nil
		}
		drain(resp)
		t.logRetry(req.Method, rel, reason, resp.StatusCode, nil, wait, attempt)
		if reason == reasonServer {
			if err := p.sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
		// Rate-limit waits were recorded in t.limits; waitTurn sleeps them.
	}
}

// judge says why a response deserves another attempt and how long to wait,
// in GitHub's documented order: Retry-After, then an exhausted primary limit,
// then a secondary limit without a hint.
func (t *retryTransport) judge(resp *http.Response, attempt int) (reason string, wait time.Duration) {
	p := t.policy
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
		now := p.clock()
		if d, ok := retryAfter(resp); ok {
			t.limits.pause(now.Add(d))
			return reasonSecondary, d
		}
		if reset, ok := exhaustedUntil(resp); ok {
			if wait := reset.Sub(now); wait >= time.Second {
				return reasonPrimary, wait
			}
			// GitHub's clock is ahead of ours or the reset is this very
			// second: pause briefly rather than spin.
			t.limits.pause(now.Add(time.Second))
			return reasonPrimary, time.Second
		}
		if resp.StatusCode == http.StatusTooManyRequests || mentionsSecondaryLimit(resp) {
			d := p.secondaryDelay(attempt)
			t.limits.pause(now.Add(d))
			return reasonSecondary, d
		}
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if d, ok := retryAfter(resp); ok {
			return reasonServer, d
		}
		return reasonServer, p.backoff(attempt)
	}
	return "", 0
}

// waitTurn sleeps until the installation may send a request for resource,
// or fails at once when that is further away than MaxWait.
func (t *retryTransport) waitTurn(ctx context.Context, method, rel, resource string) error {
	p := t.policy
	until, kind := t.limits.until(resource)
	wait := until.Sub(p.clock())
	if wait <= 0 {
		return nil
	}
	if wait > p.maxWait {
		return &RateLimitError{InstallationID: t.installationID, Resource: resource, Until: until, Wait: wait, MaxWait: p.maxWait}
	}
	p.metrics.rateLimitWaits.WithLabelValues(kind).Inc()
	p.metrics.rateLimitWaitSeconds.WithLabelValues(kind).Add(wait.Seconds())
	t.logger.Info().Str("method", method).Str("path", rel).Str("limit", kind).Dur("wait", wait).Msg("waiting for GitHub rate limit")
	return p.sleep(ctx, wait)
}

func (t *retryTransport) logRetry(method, rel, reason string, status int, err error, wait time.Duration, attempt int) {
	t.policy.metrics.retries.WithLabelValues(reason).Inc()
	ev := t.logger.Warn().Str("method", method).Str("path", rel).Str("reason", reason).Dur("wait", wait).Int("attempt", attempt+1)
	if status != 0 {
		ev = ev.Int("status", status)
	}
	if err != nil {
		ev = ev.Err(err)
	}
	if method == http.MethodGet || method == http.MethodHead {
		ev.Msg("retrying GitHub read")
	} else {
		ev.Msg("sending again a GitHub write refused for a rate limit")
	}
}

// requestBodies returns the body for the first attempt and, when the request
// may be retried, a way to get it again. Safe methods rarely carry a body;
// when one does and cannot be re-created, it is buffered.
func requestBodies(req *http.Request, safe bool) (io.ReadCloser, func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil, nil
	}
	if req.GetBody != nil {
		return req.Body, req.GetBody, nil
	}
	if !safe {
		return req.Body, nil, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	again := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	first, _ := again()
	return first, again, nil
}

// transient reports errors worth another attempt: the connection broke or
// timed out, or the token could not be fetched because of one.
func transient(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		tokenNotSent(err)
}

// tokenNotSent reports a failure to obtain the installation token for a
// transient reason (network or 5xx): the request itself never left.
func tokenNotSent(err error) bool {
	var herr *ghinstallation.HTTPError
	if !errors.As(err, &herr) {
		return false
	}
	return herr.Response == nil || herr.Response.StatusCode >= 500
}

// mentionsSecondaryLimit peeks at the start of the body and puts it back.
func mentionsSecondaryLimit(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyPeek))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return false
	}
	return bytes.Contains(bytes.ToLower(head), []byte("secondary rate limit"))
}

// drain lets the connection be reused before the response is discarded.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyPeek))
	_ = resp.Body.Close()
}
