package sweep

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/review"
)

// Run results, the values of the runs counter's result label.
const (
	runSuccess = "success"
	runFailure = "failure"
)

// Metrics are what sweeps report: their runs, the writes they make, and
// the state of the default branches they evaluate. A nil *Metrics records
// nothing.
type Metrics struct {
	evaluations *prcheck.Metrics
	actions     *prometheus.CounterVec
	runs        *prometheus.CounterVec
	duration    prometheus.Histogram
	// lastSuccess has no labels; it is a vector so that it is absent until
	// the first success, rather than a zero that reads as 1970.
	lastSuccess *prometheus.GaugeVec
	repos       *prometheus.GaugeVec
	fleet       *fleet
}

// NewMetrics creates the sweep's collectors and registers them with reg
// when it is not nil. Evaluations are recorded in evaluations (flow
// "sweep"), the histogram the pull-request flow shares.
func NewMetrics(reg prometheus.Registerer, evaluations *prcheck.Metrics) (*Metrics, error) {
	m := &Metrics{
		evaluations: evaluations,
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ownerbot_sweep_issue_actions_total",
			Help: "Changes sweeps made on GitHub, by action: open, update, remind, escalate, close, reopen and duplicate (living issues), stale-review (a reminder on a pull request). Dry runs are not counted.",
		}, []string{"action"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ownerbot_sweep_runs_total",
			Help: "Sweeps of the whole fleet (or shard) finished, by result: success, or failure when any repository or installation failed.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ownerbot_sweep_duration_seconds",
			Help:    "Time a sweep of the whole fleet (or shard) took.",
			Buckets: prometheus.ExponentialBuckets(1, 3, 10), // 1 s .. ~5.5 h
		}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ownerbot_sweep_last_success_timestamp_seconds",
			Help: "Unix time the last successful sweep of the whole fleet (or shard) finished; absent until one has.",
		}, nil),
		repos: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ownerbot_sweep_repositories",
			Help: "Repositories of the last sweep of the whole fleet (or shard), by outcome: swept, skipped (archived, forks, other shards, left for lack of rate limit) or failed.",
		}, []string{"outcome"}),
		fleet: newFleet(),
	}
	for _, kind := range []string{"open", "update", review.Remind, review.Escalate, review.Closed, review.Reopened, "duplicate", "stale-review"} {
		m.actions.WithLabelValues(kind)
	}
	for _, result := range []string{runSuccess, runFailure} {
		m.runs.WithLabelValues(result)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.actions, m.runs, m.duration, m.lastSuccess, m.repos, m.fleet} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("sweep: register metrics: %w", err)
		}
	}
	return m, nil
}

// acted counts one action carried out.
func (m *Metrics) acted(kind string) {
	if m != nil {
		m.actions.WithLabelValues(kind).Inc()
	}
}

// evaluated records a default branch's evaluation: how long it took, and
// what it found, replacing what the repository reported before.
func (m *Metrics) evaluated(fullName string, res *policy.Result, took time.Duration) {
	if m == nil {
		return
	}
	m.evaluations.Evaluated(prcheck.FlowSweep, took)
	m.fleet.observe(fullName, res)
}

// started marks the start of a run; the returned func records its end.
// Only runs over the whole fleet count as runs: a sweep of one repository
// (`sweep --repo`) says nothing about the fleet.
func (m *Metrics) started(full bool) func(Summary, error) {
	if m == nil || !full {
		return func(Summary, error) {}
	}
	begun := time.Now()
	return func(sum Summary, err error) {
		end := time.Now()
		m.duration.Observe(end.Sub(begun).Seconds())
		m.repos.WithLabelValues("swept").Set(float64(sum.Repos))
		m.repos.WithLabelValues("skipped").Set(float64(sum.Skipped))
		m.repos.WithLabelValues("failed").Set(float64(sum.Failed))
		if err != nil {
			m.runs.WithLabelValues(runFailure).Inc()
		} else {
			m.runs.WithLabelValues(runSuccess).Inc()
			m.lastSuccess.WithLabelValues().Set(float64(end.UnixNano()) / 1e9)
		}
		// A run that could not list the installations saw nothing of
		// the fleet, so it forgets nothing.
		if err == nil || sum.Installations > 0 {
			m.fleet.endRun()
		}
	}
}

// fleet is the last evaluation of each default branch, summed into gauges
// when Prometheus collects. It holds one entry per repository swept, and
// forgets a repository that two full runs in a row did not evaluate
// (uninstalled, archived, moved to another shard), so it is bounded by the
// installed fleet.
type fleet struct {
	findingsDesc *prometheus.Desc
	coverageDesc *prometheus.Desc

	mu    sync.Mutex
	run   int                    // full runs that saw the fleet
	repos map[string]*repoHealth // by lower-case full name
	// reported are the rule and severity pairs to report, at zero when no
	// repository has them: every rule at its default severity, and any
	// other pair once seen. At most every rule at every severity.
	reported map[ruleSeverity]bool
}

type ruleSeverity struct{ rule, severity string }

type repoHealth struct {
	name     string
	run      int // the run that evaluated it: f.run at the time
	findings map[ruleSeverity]int
	coverage float64
}

func newFleet() *fleet {
	f := &fleet{
		findingsDesc: prometheus.NewDesc("ownerbot_default_branch_findings",
			"Findings open on the default branches of the repositories swept, from the last evaluation of each, summed across repositories, by rule and severity. Findings waived by an exception are not counted.",
			[]string{"rule", "severity"}, nil),
		coverageDesc: prometheus.NewDesc("ownerbot_ownership_coverage_ratio",
			"Share of a repository's files (less those its configuration ignores) that CODEOWNERS gives an owner, from 0 to 1, at its last sweep.",
			[]string{"repository"}, nil),
		repos:    map[string]*repoHealth{},
		reported: map[ruleSeverity]bool{},
	}
	for _, r := range policy.Rules() {
		f.reported[ruleSeverity{r.ID, r.Severity.String()}] = true
	}
	return f
}

func (f *fleet) observe(fullName string, res *policy.Result) {
	h := &repoHealth{name: fullName, findings: map[ruleSeverity]int{}, coverage: res.Coverage.Percent() / 100}
	for _, fd := range res.Findings {
		if fd.ExceptedBy == "" {
			h.findings[ruleSeverity{fd.Rule, fd.Severity.String()}]++
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h.run = f.run
	f.repos[strings.ToLower(fullName)] = h
	for k := range h.findings {
		f.reported[k] = true
	}
}

// endRun ends a run that saw the fleet, and forgets the repositories
// neither it nor the one before evaluated: one run may leave some for lack
// of rate limit.
func (f *fleet) endRun() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.run++
	for k, h := range f.repos {
		if h.run < f.run-2 {
			delete(f.repos, k)
		}
	}
}

func (f *fleet) Describe(ch chan<- *prometheus.Desc) {
	ch <- f.findingsDesc
	ch <- f.coverageDesc
}

func (f *fleet) Collect(ch chan<- prometheus.Metric) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sums := make(map[ruleSeverity]int, len(f.reported))
	for _, h := range f.repos {
		for k, n := range h.findings {
			sums[k] += n
		}
		ch <- prometheus.MustNewConstMetric(f.coverageDesc, prometheus.GaugeValue, h.coverage, h.name)
	}
	for k := range f.reported {
		ch <- prometheus.MustNewConstMetric(f.findingsDesc, prometheus.GaugeValue, float64(sums[k]), k.rule, k.severity)
	}
}
