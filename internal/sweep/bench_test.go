package sweep_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// calm is a repository with nothing due: reviewed recently, no runbooks
// required.
func calm() map[string]string {
	return map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"main.go":            "package main\n",
	}
}

// BenchmarkSweep1000Repos sweeps an organization of 1,000 repositories, one
// in ten with ownership work due whose issue an earlier process opened.
// The process measured has swept once already (its first sweep reads
// everything and clones nothing new: the clones are on its disk); each
// iteration is a further sweep with nothing changed.
//
// Reported: the share of GitHub reads answered 304, and the calls GitHub
// counts against the rate limit (everything but a 304) per repository.
// After the timed sweeps, 20 more run on consecutive days (reminders and
// escalations fall due and are written) and the live heap after the first
// and the last of them is reported.
func BenchmarkSweep1000Repos(b *testing.B) {
	const repos = 1000
	f := newOrg(b, day)
	f.gh.AddTeam("acme", "payments", []string{"alice", "paul"}, nil)
	for i := range repos {
		files := calm()
		if i%10 == 0 {
			files = shop()
		}
		f.addRepo(fmt.Sprintf("r%04d", i), files, "init", day.AddDate(0, 0, -30))
	}
	clones := b.TempDir()
	f.run(b, f.process(b, f.newApp(b), clones, nil)) // an earlier process opens the issues
	s := f.process(b, f.newApp(b), clones, nil)
	if sum := f.run(b, s); len(sum.Writes) != 0 {
		b.Fatalf("the issues were current, yet the first sweep wrote %v", sum.Writes)
	}

	var reads, notModified, billable int
	for b.Loop() {
		f.gh.ResetRecording()
		f.run(b, s)
		for _, r := range f.gh.Requests() {
			if strings.Contains(r.Path, "/access_tokens") {
				continue // tokens are minted hourly, not per sweep
			}
			if r.Status != http.StatusNotModified {
				billable++
			}
			if r.Method == http.MethodGet {
				reads++
				if r.Status == http.StatusNotModified {
					notModified++
				}
			}
		}
	}
	b.ReportMetric(100*float64(notModified)/float64(reads), "%304")
	b.ReportMetric(float64(billable)/float64(b.N*repos), "billable/repo")
	b.ReportMetric(float64(reads)/float64(b.N*repos), "reads/repo")

	b.StopTimer()
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	var first float64
	for i := range 20 {
		f.setNow(day.AddDate(0, 0, i+1))
		f.gh.ResetRecording()
		f.run(b, s)
		if i == 0 {
			first = heap()
		}
	}
	last := heap()
	b.ReportMetric(first, "heapMB-sweep1")
	b.ReportMetric(last, "heapMB-sweep20")
}

// The benchmark's calm repositories have nothing due.
func TestCalmHasNothingDue(t *testing.T) {
	f := newOrg(t, day)
	f.addRepo("quiet", calm(), "init", day.AddDate(0, 0, -30))
	sum := f.run(t, f.sweeper(t, nil))
	if len(sum.Writes) != 0 || len(f.gh.Issues("acme", "quiet")) != 0 {
		t.Errorf("a calm repository got issues: %v", sum.Writes)
	}
}
