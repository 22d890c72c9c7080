package prcheck

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Flows, the values of the evaluation histogram's flow label.
const (
	FlowPullRequest = "pull_request"
	FlowSweep       = "sweep"
)

// Metrics holds the evaluation latency of both flows: a pull request's
// check records here through Config.Metrics, the sweep through its own
// metrics, so that one histogram compares them. A nil *Metrics records
// nothing.
type Metrics struct {
	evaluation *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them with reg when it is
// not nil.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		evaluation: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ownerbot_evaluation_duration_seconds",
			Help: "Time to evaluate ownership on a local checkout, by flow: pull_request (the merge base and the head, compared) or sweep (a default branch). " +
				"Fetching and every call to GitHub are left out; ownerbot_webhook_job_duration_seconds holds a whole pull-request job.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10), // 5 ms .. ~19 s
		}, []string{"flow"}),
	}
	for _, flow := range []string{FlowPullRequest, FlowSweep} {
		m.evaluation.WithLabelValues(flow)
	}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.evaluation); err != nil {
		return nil, fmt.Errorf("prcheck: register metrics: %w", err)
	}
	return m, nil
}

// Evaluated records that an evaluation in flow took d.
func (m *Metrics) Evaluated(flow string, d time.Duration) {
	if m == nil {
		return
	}
	m.evaluation.WithLabelValues(flow).Observe(d.Seconds())
}
