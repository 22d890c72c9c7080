package prcheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/prcheck"
)

// A check records one evaluation in the pull_request flow; a pull request
// skipped before evaluating records none.
func TestCheckRecordsEvaluationTime(t *testing.T) {
	f := newFixture(t)
	f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 7, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: day})
	f.newChecker(t) // sets f.app
	reg := prometheus.NewRegistry()
	m, err := prcheck.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	clones, err := ghapp.NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c := prcheck.New(prcheck.Config{Client: f.app.Client, Token: f.app.Token, Clones: clones,
		Now: func() time.Time { return day }, AppID: f.gh.App.ID, Identity: f.app.Identity, Metrics: m})
	f.check(t, c, 7)
	if out, err := c.Check(context.Background(), prcheck.Target{InstallationID: installation, Owner: "acme", Repo: "mono", Number: 404}); err != nil || out.Skipped == "" {
		t.Fatalf("a pull request that does not exist: %+v, %v", out, err)
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, mf := range families {
		for _, s := range mf.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetHistogram().GetSampleCount()
		}
	}
	if got[prcheck.FlowPullRequest] != 1 || got[prcheck.FlowSweep] != 0 {
		t.Errorf("evaluations by flow %v, want 1 pull_request and 0 sweep", got)
	}
}
