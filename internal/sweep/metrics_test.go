package sweep_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/sweep"
)

// series gathers reg into "name{label=value,…}" → value for the families
// named, leaving out zero values: a histogram as its _count.
func series(t *testing.T, reg *prometheus.Registry, names ...string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if !slices.Contains(names, mf.GetName()) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			if v != 0 {
				out[fmt.Sprintf("%s{%s}", mf.GetName(), strings.Join(labels, ","))] = v
			}
		}
	}
	return out
}

func newMetrics(t *testing.T) (*prometheus.Registry, *sweep.Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	evaluations, err := prcheck.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sweep.NewMetrics(reg, evaluations)
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}

// A sweep reports what it did and what the default branches hold; a
// repository that leaves the fleet is forgotten after two full runs
// without it, so the state stays as large as the fleet.
func TestSweepMetrics(t *testing.T) {
	f := newFixture(t, "shop")
	f.addRepo("docs", map[string]string{".github/CODEOWNERS": "/guides/ @acme/platform\n", "OWNERS.yaml": "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"guides/a.md": "a\n", "guides/b.md": "b\n", "README.md": "docs\n"}, "the docs", day.AddDate(0, 0, -30))
	reg, m := newMetrics(t)
	s := f.sweeper(t, nil, func(c *sweep.Config) { c.Metrics = m })
	before := time.Now()
	f.run(t, s)

	got := series(t, reg, "ownerbot_sweep_issue_actions_total", "ownerbot_sweep_runs_total", "ownerbot_sweep_repositories",
		"ownerbot_evaluation_duration_seconds", "ownerbot_sweep_duration_seconds", "ownerbot_default_branch_findings", "ownerbot_ownership_coverage_ratio")
	want := map[string]float64{
		"ownerbot_sweep_issue_actions_total{action=open}":                                    2,
		"ownerbot_sweep_runs_total{result=success}":                                          1,
		"ownerbot_sweep_repositories{outcome=swept}":                                         2,
		"ownerbot_evaluation_duration_seconds{flow=sweep}":                                   2,
		"ownerbot_sweep_duration_seconds{}":                                                  1,
		"ownerbot_default_branch_findings{rule=codeowners.unowned,severity=warning}":         3,
		"ownerbot_default_branch_findings{rule=owners.review_overdue,severity=warning}":      1,
		"ownerbot_default_branch_findings{rule=owners.codeowners_mismatch,severity=warning}": 1,
		"ownerbot_default_branch_findings{rule=runbook.overdue,severity=warning}":            1,
		"ownerbot_ownership_coverage_ratio{repository=acme/docs}":                            0.4, // guides/a.md and b.md of 5 files
		"ownerbot_ownership_coverage_ratio{repository=acme/shop}":                            1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the first sweep (-want +got):\n%s", diff)
	}
	last := series(t, reg, "ownerbot_sweep_last_success_timestamp_seconds")["ownerbot_sweep_last_success_timestamp_seconds{}"]
	if when := time.Unix(0, int64(last*1e9)); when.Before(before.Add(-time.Second)) || when.After(time.Now().Add(time.Second)) {
		t.Errorf("last success at %s, want the time the sweep ended", when)
	}

	// docs leaves the fleet; a sweep that cannot list the installations
	// forgets nothing and is not a success.
	f.gh.DeleteRepo("acme", "docs")
	f.gh.Fail(ghtest.FaultMatch{Method: "GET", PathPrefix: "/app/installations", Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: 500})
	if _, err := s.Run(context.Background(), ""); err == nil {
		t.Fatal("a sweep that cannot list the installations succeeded")
	}
	f.gh.ClearFaults()
	coverage := func() []string {
		var repos []string
		for k := range series(t, reg, "ownerbot_ownership_coverage_ratio") {
			repos = append(repos, k)
		}
		slices.Sort(repos)
		return repos
	}
	both := []string{"ownerbot_ownership_coverage_ratio{repository=acme/docs}", "ownerbot_ownership_coverage_ratio{repository=acme/shop}"}
	if diff := cmp.Diff(both, coverage()); diff != "" {
		t.Errorf("after a failed sweep (-want +got):\n%s", diff)
	}
	f.run(t, s)
	if diff := cmp.Diff(both, coverage()); diff != "" {
		t.Errorf("one sweep without docs (-want +got):\n%s", diff)
	}
	f.run(t, s)
	if diff := cmp.Diff([]string{"ownerbot_ownership_coverage_ratio{repository=acme/shop}"}, coverage()); diff != "" {
		t.Errorf("two sweeps without docs (-want +got):\n%s", diff)
	}
	runs := series(t, reg, "ownerbot_sweep_runs_total", "ownerbot_default_branch_findings")
	if runs["ownerbot_sweep_runs_total{result=success}"] != 3 || runs["ownerbot_sweep_runs_total{result=failure}"] != 1 {
		t.Errorf("runs: %v, want 3 successes and 1 failure", runs)
	}
	if n := runs["ownerbot_default_branch_findings{rule=codeowners.unowned,severity=warning}"]; n != 0 {
		t.Errorf("docs' unowned files still counted (%v) after docs left", n)
	}
}

// A sweep of one repository (`sweep --repo`) and a dry run evaluate, but
// neither is a run of the fleet, and a dry run changes nothing to count.
func TestSweepMetricsOfOneRepositoryAndDryRun(t *testing.T) {
	f := newFixture(t, "shop")
	reg, m := newMetrics(t)
	dry := f.sweeper(t, nil, func(c *sweep.Config) { c.Metrics = m; c.DryRun = true })
	if _, err := dry.Run(context.Background(), "acme/shop"); err != nil {
		t.Fatal(err)
	}
	got := series(t, reg, "ownerbot_sweep_issue_actions_total", "ownerbot_sweep_runs_total", "ownerbot_evaluation_duration_seconds", "ownerbot_sweep_duration_seconds")
	if diff := cmp.Diff(map[string]float64{"ownerbot_evaluation_duration_seconds{flow=sweep}": 1}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := len(series(t, reg, "ownerbot_sweep_last_success_timestamp_seconds")); n != 0 {
		t.Errorf("a last success without a run of the fleet")
	}
}
