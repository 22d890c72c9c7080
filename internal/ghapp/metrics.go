package ghapp

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are labelled by method, status and operation but never by
// installation: the number of installations is unbounded.
type metrics struct {
	requests             *prometheus.CounterVec
	duration             *prometheus.HistogramVec
	notModified          *prometheus.CounterVec
	retries              *prometheus.CounterVec
	rateLimitWaits       *prometheus.CounterVec
	rateLimitWaitSeconds *prometheus.CounterVec
	pacingWaits          *prometheus.CounterVec
	pacingSeconds        *prometheus.CounterVec
}

// newMetrics creates the collectors and registers them with reg when it is
// not nil. Collectors already registered (a second App on one registry) are
// reused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "ownerbot", "github_api"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "GitHub API calls as the client saw them (after retries), by method, status and operation.",
		}, []string{"method", "status", "op"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Duration of GitHub API calls including retries and rate-limit waits.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"method", "op"}),
		notModified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "not_modified_total",
			Help: "GET calls answered 304 and served from the per-installation ETag cache.",
		}, []string{"op"}),
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
	return m, nil
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
