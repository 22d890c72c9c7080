package prcheck_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// The benchmark's own clock and installation, so that it does not lean on
// the tests' fixture.
var benchDay = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	benchInstallation = 1
	benchPR           = 42
	benchChanged      = 20 // files the pull request edits
)

// benchRootOwners is the repository's one ownership unit.
const benchRootOwners = "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n"

// BenchmarkCheckPullRequestLargeRepo times a full Checker.Check of a pull
// request on a warm clone of a dataset-sized repository (README: p95 under
// 300 ms): reading the pull request and its files from the fake GitHub, the
// fetch that finds both commits already there, evaluating base and head,
// comparing and publishing only what changed. tldr has the most files,
// nuttx the largest CODEOWNERS. "evaluate" times the local part alone
// (merge base, both evaluations, compare) on the same clone.
//
// Each iteration's duration is kept: p50-ms and p95-ms are over them,
// calls/op counts the fake's API requests per check, api-ms/op the time a
// check spends waiting for the fake (which validates every request against
// GitHub's OpenAPI description, a cost GitHub's own latency replaces in
// production), and local-p95-ms is the p95 of each check minus that wait.
func BenchmarkCheckPullRequestLargeRepo(b *testing.B) {
	for _, name := range []string{"tldr-pages__tldr", "apache__nuttx"} {
		b.Run(name, func(b *testing.B) {
			// This level has sub-benchmarks, so it runs once: one fixture
			// per dataset and benchmark run.
			f := newLargeFixture(b, datasettest.Load(b, name))
			b.Run("check", f.benchCheck)
			b.Run("evaluate", f.benchEvaluate)
		})
	}
}

// largeFixture is a fake GitHub holding one dataset-sized repository with
// an open pull request, and a Checker whose clone of it is warm.
type largeFixture struct {
	gh      *ghtest.GitHub
	owner   string
	repo    string
	pr      ghtest.Pull
	api     *timedTransport
	checker *prcheck.Checker
	clones  *ghapp.CloneCache
	app     *ghapp.App
	files   int
	rules   int
}

func newLargeFixture(b *testing.B, ds *datasettest.Dataset) *largeFixture {
	b.Helper()
	start := time.Now()
	const owner, repo = "acme", "large"
	gh := ghtest.NewGitHub(b)
	gh.AddInstallation(benchInstallation, owner)
	fix := gh.Git.CreateRepo(owner, repo)

	files := make(map[string]string, len(ds.Files)+2)
	for _, p := range ds.Files {
		files[p] = "x\n"
	}
	files[".github/CODEOWNERS"] = string(ds.CODEOWNERS)
	files["OWNERS.yaml"] = benchRootOwners
	fix.CommitBulk("main", files, "the "+ds.Name+" tree", benchDay.Add(-48*time.Hour))
	gh.AddRepo(benchInstallation, owner, repo, ghtest.RepoOptions{})
	gh.AddTeam(owner, "platform", []string{"pat"}, map[string]string{owner + "/" + repo: "admin"})

	// About twenty existing files spread over the tree; CODEOWNERS and
	// OWNERS.yaml stay as they are.
	head := map[string]string{}
	for i := 0; len(head) < benchChanged && i < len(ds.Files); i++ {
		p := ds.Files[(i*len(ds.Files))/benchChanged%len(ds.Files)]
		if p != ".github/CODEOWNERS" && p != "OWNERS.yaml" {
			head[p] = "x\ny\n"
		}
	}
	pr := gh.OpenPull(owner, repo, ghtest.PullSpec{Number: benchPR, Author: "bob", HeadFiles: head, When: benchDay})
	if len(pr.Files) != len(head) {
		b.Fatalf("the pull request changes %d files, want %d", len(pr.Files), len(head))
	}

	api := &timedTransport{next: gh.Client().Transport}
	app, err := ghapp.New(ghapp.Config{AppID: gh.App.ID, PrivateKey: gh.App.PrivateKeyPEM(), APIURL: gh.URL(),
		Transport: api, Logger: zerolog.Nop(), Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	clones, err := ghapp.NewCloneCache(b.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	f := &largeFixture{
		gh: gh, owner: owner, repo: repo, pr: pr, api: api, app: app, clones: clones, files: len(files),
		checker: prcheck.New(prcheck.Config{Client: app.Client, Token: app.Token, Clones: clones,
			Now: func() time.Time { return benchDay }, AppID: gh.App.ID, Identity: app.Identity}),
	}
	// The first check clones the repository, publishes, and fills every
	// cache; a second makes sure the answers are steady.
	for range 2 {
		out := f.check(b)
		if rs := out.Report.Head.Ruleset; rs != nil {
			f.rules = len(rs.Rules)
		}
	}
	b.Logf("%s: %d files, %d CODEOWNERS rules, pull request of %d files; fixture and cold check in %v",
		ds.Name, f.files, f.rules, len(pr.Files), time.Since(start).Round(time.Millisecond))
	return f
}

// check runs one full check and fails unless it published a verdict.
func (f *largeFixture) check(b *testing.B) prcheck.Outcome {
	out, err := f.checker.Check(context.Background(), prcheck.Target{InstallationID: benchInstallation, Owner: f.owner, Repo: f.repo, Number: benchPR})
	if err != nil {
		b.Fatalf("check: %v", err)
	}
	if out.Skipped != "" || out.Report == nil || out.HeadSHA != f.pr.HeadSHA {
		b.Fatalf("check skipped (%q) or checked %s, want %s", out.Skipped, out.HeadSHA, f.pr.HeadSHA)
	}
	return out
}

func (f *largeFixture) benchCheck(b *testing.B) {
	f.check(b) // warm again after whatever ran before
	f.gh.ResetRecording()
	f.api.reset()
	var total, local []time.Duration
	for b.Loop() {
		waited := f.api.elapsed()
		start := time.Now()
		f.check(b)
		d := time.Since(start)
		total = append(total, d)
		local = append(local, d-(f.api.elapsed()-waited))
	}
	n := float64(len(total))
	calls := f.gh.CountCalls(nil)
	writes := f.gh.CountCalls(func(r ghtest.Request) bool { return r.Method != http.MethodGet })
	if writes != 0 {
		b.Errorf("repeated checks of an unchanged pull request wrote %d times", writes)
	}
	b.ReportMetric(percentileMS(total, 0.50), "p50-ms")
	b.ReportMetric(percentileMS(total, 0.95), "p95-ms")
	b.ReportMetric(percentileMS(local, 0.95), "local-p95-ms")
	b.ReportMetric(float64(calls)/n, "calls/op")
	b.ReportMetric(float64(f.api.elapsed())/float64(time.Millisecond)/n, "api-ms/op")
}

// benchEvaluate times what Checker.evaluate and policy.Compare do, on the
// checker's warm clone: the merge base, the base evaluated with its own
// configuration, the head with the base's, and their comparison.
func (f *largeFixture) benchEvaluate(b *testing.B) {
	ctx := context.Background()
	token, err := f.app.Token(ctx, benchInstallation)
	if err != nil {
		b.Fatal(err)
	}
	co, err := f.clones.Fetch(ctx, ghapp.FetchRequest{
		InstallationID: benchInstallation, Owner: f.owner, Repo: f.repo,
		CloneURL: f.gh.Git.CloneURL(f.owner, f.repo), Token: token,
		Refs: []string{"refs/heads/main", fmt.Sprintf("refs/pull/%d/head", benchPR)},
		Want: []string{f.pr.BaseSHA, f.pr.HeadSHA},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer co.Close()
	// As in a Checker, parsed CODEOWNERS files are kept between checks.
	parsed := policy.NewParseCache(8)
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		mergeBase, err := snapshot.MergeBase(co.Dir, f.pr.BaseSHA, f.pr.HeadSHA)
		if err != nil {
			b.Fatal(err)
		}
		base := evaluateAt(b, co.Dir, mergeBase, nil, parsed)
		head := evaluateAt(b, co.Dir, f.pr.HeadSHA, &base.Config, parsed)
		cmp := policy.Compare(base, head)
		times = append(times, time.Since(start))
		if len(cmp.New) != 0 {
			b.Fatalf("the pull request brings %d new problems, want none", len(cmp.New))
		}
	}
	b.ReportMetric(percentileMS(times, 0.50), "p50-ms")
	b.ReportMetric(percentileMS(times, 0.95), "p95-ms")
}

func evaluateAt(b *testing.B, dir, rev string, cfg *config.Config, parsed *policy.ParseCache) *policy.Result {
	tree, err := snapshot.OpenRef(dir, rev)
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	res, err := policy.Evaluate(tree, policy.Options{Now: benchDay, Config: cfg, History: tree.ChangeTimes, Parsed: parsed})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// percentileMS is the nearest-rank p-th percentile of ds, in milliseconds.
func percentileMS(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s)) + 0.5)
	i = min(max(i-1, 0), len(s)-1)
	return float64(s[i]) / float64(time.Millisecond)
}

// timedTransport adds up the time spent in round trips to the fake GitHub.
type timedTransport struct {
	next  http.RoundTripper
	total atomic.Int64 // nanoseconds
}

// RoundTrip counts from the request until the body is closed, so reading
// the answer counts too.
func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.total.Add(int64(time.Since(start)))
		return resp, err
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, done: func() { t.total.Add(int64(time.Since(start))) }}
	return resp, nil
}

func (t *timedTransport) elapsed() time.Duration { return time.Duration(t.total.Load()) }
func (t *timedTransport) reset()                 { t.total.Store(0) }

type timedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}
