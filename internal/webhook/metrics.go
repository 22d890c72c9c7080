package webhook

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Delivery outcomes, the values of the deliveries counter's outcome label.
const (
	outcomeAccepted          = "accepted"
	outcomeIgnored           = "ignored"
	outcomeDuplicate         = "duplicate"
	outcomeCoalesced         = "coalesced"
	outcomeRejectedSignature = "rejected_signature"
	outcomeTooLarge          = "too_large"
	outcomeBadRequest        = "bad_request"
	outcomeQueueFull         = "queue_full"
	outcomeBusy              = "busy" // every read slot taken by another large body
	outcomeShuttingDown      = "shutting_down"
)

// Job outcomes, the values of the jobs counter's outcome label.
const (
	jobOK       = "ok"
	jobError    = "error"
	jobPanic    = "panic"
	jobCanceled = "canceled"
	jobRetry    = "retry"   // failed; it, or a newer event for its pull request, runs again
	jobGaveUp   = "gave_up" // failed on its last allowed attempt; left to the sweep
)

// metrics are the server's Prometheus collectors. They always exist, so the
// code never checks for nil; they are registered only when a Registerer is
// configured.
type metrics struct {
	deliveries  *prometheus.CounterVec
	queue       queueMetrics
	inFlight    prometheus.Gauge
	jobDuration *prometheus.HistogramVec
	jobs        *prometheus.CounterVec
	ack         prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ownerbot_webhook_deliveries_total",
			Help: "Webhook deliveries received, by event, action and outcome. Event and action are empty for deliveries refused before authentication.",
		}, []string{"event", "action", "outcome"}),
		queue: queueMetrics{
			Gauge: prometheus.NewGauge(prometheus.GaugeOpts{
				Name: "ownerbot_webhook_queue_depth",
				Help: "Jobs waiting for a worker, including follow-ups held behind a running job for the same pull request and failed jobs waiting to be retried.",
			}),
			bytes: prometheus.NewGauge(prometheus.GaugeOpts{
				Name: "ownerbot_webhook_queue_bytes",
				Help: "Payload bytes of the jobs waiting for a worker or a retry, bounded by OWNERBOT_QUEUE_MAX_MB.",
			}),
			wait: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "ownerbot_webhook_queue_wait_seconds",
				Help:    "Time a job waited from entering the queue to a worker starting it. A follow-up held behind a running job for the same pull request waits from when it was queued behind it.",
				Buckets: prometheus.ExponentialBuckets(0.001, 3, 12), // 1 ms .. ~3 min
			}),
		},
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ownerbot_webhook_jobs_in_flight",
			Help: "Jobs being handled now.",
		}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ownerbot_webhook_job_duration_seconds",
			Help:    "Time a handler took per job, by event.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10), // 10 ms .. ~38 s
		}, []string{"event"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ownerbot_webhook_jobs_total",
			Help: "Job attempts finished, by outcome: ok; retry (failed, to be tried again); gave_up (failed on the last retry, or no room left to retry; the sweep picks it up); error (failed for a reason a retry cannot fix); panic; canceled (at shutdown, or dropped by it).",
		}, []string{"outcome"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ownerbot_webhook_ack_duration_seconds",
			Help:    "Time from receiving a delivery's headers to answering it.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12), // 0.5 ms .. ~1 s
		}),
	}
	// Job outcomes are known in advance: they start at zero, so a rate of
	// errors reads 0 rather than no data.
	for _, o := range []string{jobOK, jobRetry, jobGaveUp, jobError, jobPanic, jobCanceled} {
		m.jobs.WithLabelValues(o)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.queue.Gauge, m.queue.bytes, m.queue.wait, m.inFlight, m.jobDuration, m.jobs, m.ack} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("webhook: register metrics: %w", err)
		}
	}
	return m, nil
}

// queueMetrics is what the queue reports: its depth (the embedded gauge),
// the payload bytes it holds, and how long each job waited for a worker.
type queueMetrics struct {
	prometheus.Gauge
	bytes prometheus.Gauge
	wait  prometheus.Histogram
}
