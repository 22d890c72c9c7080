package ghapp

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are labelled by endpoint (a route template, never a URL) and
// status. Only the rate-limit gauges carry the installation: GitHub counts
// limits per installation, and there is one series per installation and
// limit resource, as many as the App has installations.
type metrics struct {
	requests             *prometheus.CounterVec
	duration             *prometheus.HistogramVec
	notModified          *prometheus.CounterVec
	retries              *prometheus.CounterVec
	rateLimitWaits       *prometheus.CounterVec
	rateLimitWaitSeconds *prometheus.CounterVec
	pacingWaits          *prometheus.CounterVec
	pacingSeconds        *prometheus.CounterVec
	rateLimitRemaining   *prometheus.GaugeVec
	rateLimitLimit       *prometheus.GaugeVec
}

// newMetrics creates the collectors and registers them with reg when it is
// not nil. Collectors already registered (a second App on one registry) are
// reused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "ownerbot", "github_api"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "GitHub API calls as the client saw them (once per call, after retries), by endpoint (the route, such as \"GET /repos/{owner}/{repo}/pulls/{pull_number}\", or \"other\") and status (the HTTP status, or \"error\" when no answer came). A 304 answered from the ETag cache counts as the 200 it becomes.",
		}, []string{"endpoint", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Duration of GitHub API calls by endpoint, including retries, rate-limit waits and write pacing.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"endpoint"}),
		notModified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "not_modified_total",
			Help: "GET calls GitHub answered 304 (not counted against the rate limit), served from the per-installation ETag cache, by endpoint.",
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "retries_total",
			Help: "Retried GitHub reads by reason.",
		}, []string{"reason"}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rate_limit_waits_total",
			Help: "Requests held back until a rate limit reset, by limit kind.",
		}, []string{"limit"}),
		rateLimitWaitSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rate_limit_wait_seconds_total",
			Help: "Time spent waiting for rate limit resets, by limit kind.",
		}, []string{"limit"}),
		pacingWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "github", Name: "write_pacing_waits_total",
			Help: "Writes held back to space an installation's writes, by the constraint that held them: the gap between writes (write) or the content-creation bucket (content).",
		}, []string{"kind"}),
		pacingSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "github", Name: "write_pacing_seconds_total",
			Help: "Time writes spent held back by write pacing, split by constraint: the gap between writes (write) or the content-creation bucket (content).",
		}, []string{"kind"}),
		rateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "rate_limit_remaining",
			Help: "Requests left in the current rate-limit window, from the X-RateLimit-Remaining header of GitHub's latest answer, by installation and limit resource (core, search, graphql…).",
		}, []string{"installation", "resource"}),
		rateLimitLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "rate_limit_limit",
			Help: "Requests allowed per rate-limit window, from the X-RateLimit-Limit header of GitHub's latest answer, by installation and limit resource.",
		}, []string{"installation", "resource"}),
	}
	// Series whose label values are known start at zero, so that a rate
	// over them reads 0 rather than no data.
	for _, reason := range []string{reasonNetwork, reasonServer, reasonSecondary, reasonPrimary} {
		m.retries.WithLabelValues(reason)
	}
	for _, limit := range []string{"primary", "secondary"} {
		m.rateLimitWaits.WithLabelValues(limit)
		m.rateLimitWaitSeconds.WithLabelValues(limit)
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.notModified, err = register(reg, m.notModified); err != nil {
		return nil, err
	}
	if m.retries, err = register(reg, m.retries); err != nil {
		return nil, err
	}
	if m.rateLimitWaits, err = register(reg, m.rateLimitWaits); err != nil {
		return nil, err
	}
	if m.rateLimitWaitSeconds, err = register(reg, m.rateLimitWaitSeconds); err != nil {
		return nil, err
	}
	if m.pacingWaits, err = register(reg, m.pacingWaits); err != nil {
		return nil, err
	}
	if m.pacingSeconds, err = register(reg, m.pacingSeconds); err != nil {
		return nil, err
	}
	if m.rateLimitRemaining, err = register(reg, m.rateLimitRemaining); err != nil {
		return nil, err
	}
	if m.rateLimitLimit, err = register(reg, m.rateLimitLimit); err != nil {
		return nil, err
	}
	return m, nil
}

// observeRateLimit records an installation's rate-limit headers. GitHub
// names the resource in X-RateLimit-Resource; guessed is used when it does
// not. Answers without the headers change nothing.
func (m *metrics) observeRateLimit(installationID int64, guessed string, h http.Header) {
	remaining, err := strconv.ParseFloat(h.Get("X-RateLimit-Remaining"), 64)
	if err != nil {
		return
	}
	resource := guessed
	if r := h.Get("X-RateLimit-Resource"); r != "" {
		resource = r
	}
	inst := strconv.FormatInt(installationID, 10)
	m.rateLimitRemaining.WithLabelValues(inst, resource).Set(remaining)
	if limit, err := strconv.ParseFloat(h.Get("X-RateLimit-Limit"), 64); err == nil {
		m.rateLimitLimit.WithLabelValues(inst, resource).Set(limit)
	}
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
