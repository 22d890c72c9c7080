package sweep_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/review"
	"github.com/ownerbot/ownerbot/internal/sweep"
)

// day is a Wednesday: no quiet day.
var day = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

const installation = 1

// shop has work due in payments/: its ownership review and a runbook.
func shop() map[string]string {
	return map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/payments/ @acme/payments\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"payments/OWNERS.yaml": "version: 1\nowner: \"@acme/payments\"\ntier: 1\nrunbooks: [\"runbooks/*.md\"]\n" +
			"escalation:\n  - {after: 14d, to: parent}\n  - {after: 30d, to: \"@acme/governance\"}\n" +
			"review: {interval: 90d, last_reviewed: \"2026-06-01\"}\n",
		"payments/runbooks/failover.md": "---\nlast_reviewed: \"2026-05-01\"\nreview_interval: 90d\n---\n# Failover\n",
		"payments/api/main.go":          "package main\n",
	}
}

type fixture struct {
	gh    *ghtest.GitHub
	repos map[string]*ghtest.FixtureRepo
	app   *ghapp.App
	now   time.Time
	mu    sync.Mutex
}

// newFixture is an organization whose repositories all hold shop().
func newFixture(t testing.TB, names ...string) *fixture {
	t.Helper()
	f := newOrg(t, day)
	f.gh.AddTeam("acme", "payments", []string{"alice", "paul"}, nil)
	for _, name := range names {
		f.addRepo(name, shop(), "the shop", day.AddDate(0, 0, -30))
	}
	return f
}

// newOrg is the fake GitHub with the App installed on acme, which has a
// platform and a governance team, at now.
func newOrg(t testing.TB, now time.Time) *fixture {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.SetNow(now)
	gh.SetAuthClock(time.Now) // credentials are signed in real time
	gh.AddInstallation(installation, "acme")
	gh.AddTeam("acme", "platform", []string{"pat"}, nil)
	gh.AddTeam("acme", "governance", []string{"gina"}, nil)
	f := &fixture{gh: gh, repos: map[string]*ghtest.FixtureRepo{}, now: now}
	f.app = f.newApp(t)
	return f
}

// newApp is the App as a new process has it: nothing cached.
func (f *fixture) newApp(t testing.TB) *ghapp.App {
	t.Helper()
	app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
		Transport: f.gh.Client().Transport, Logger: zerolog.Nop(), Clock: f.clock,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// addRepo creates acme/name with files committed on main at when.
func (f *fixture) addRepo(name string, files map[string]string, message string, when time.Time) *ghtest.FixtureRepo {
	repo := f.gh.Git.CreateRepo("acme", name)
	repo.Commit("main", files, message, when)
	f.gh.AddRepo(installation, "acme", name, ghtest.RepoOptions{})
	f.repos[name] = repo
	return repo
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) setNow(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
	f.gh.SetNow(t)
}

// sweeper is a Sweeper with its own clone cache and nothing remembered,
// as a new process would be.
func (f *fixture) sweeper(t testing.TB, out *bytes.Buffer, opts ...func(*sweep.Config)) *sweep.Sweeper {
	t.Helper()
	return f.process(t, f.app, t.TempDir(), out, opts...)
}

// process is a Sweeper on app with its clone cache in dir.
func (f *fixture) process(t testing.TB, app *ghapp.App, dir string, out *bytes.Buffer, opts ...func(*sweep.Config)) *sweep.Sweeper {
	t.Helper()
	clones, err := ghapp.NewCloneCache(dir, 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	checker := prcheck.New(prcheck.Config{Client: app.Client, Token: app.Token, Clones: clones, Now: f.clock, AppID: f.gh.App.ID, Identity: app.Identity})
	cfg := sweep.Config{App: app, Clones: clones, Checker: checker, Now: f.clock, Logger: zerolog.Nop(), AppID: f.gh.App.ID, Locks: sweep.NewLocks()}
	if out != nil {
		cfg.Out = out
	}
	for _, o := range opts {
		o(&cfg)
	}
	return sweep.New(cfg)
}

func (f *fixture) run(t testing.TB, s *sweep.Sweeper) sweep.Summary {
	t.Helper()
	sum, err := s.Run(context.Background(), "")
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return sum
}

// wantNoWrites runs s once more and fails the test, saying what, if it
// wrote anything.
func (f *fixture) wantNoWrites(t *testing.T, s *sweep.Sweeper, what string) {
	t.Helper()
	f.gh.ResetRecording()
	f.run(t, s)
	if w := writes(f.gh); len(w) != 0 {
		t.Errorf("%s: %v", what, w)
	}
}

func writes(gh *ghtest.GitHub) []string {
	var out []string
	for _, r := range gh.Requests() {
		if r.Method != http.MethodGet && !strings.Contains(r.Path, "access_tokens") {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func TestSweepLifecycle(t *testing.T) {
	f := newFixture(t, "shop")
	s := f.sweeper(t, nil)

	sum := f.run(t, s)
	issues := f.gh.Issues("acme", "shop")
	if len(issues) != 1 || sum.Writes["open"] != 1 {
		t.Fatalf("want one issue opened, got %d (%v)", len(issues), sum)
	}
	iss := issues[0]
	if iss.Title != "Ownership work due in payments/" || !strings.Contains(iss.Body, "payments/runbooks/failover.md") ||
		!strings.Contains(iss.Body, "The ownership review of payments/ was due on 2026-08-30") || iss.Labels[0] != "ownerbot" {
		t.Errorf("issue:\n%s\n%s\nlabels %v", iss.Title, iss.Body, iss.Labels)
	}
	if !strings.Contains(iss.Body, "@acme/platform on 2026-12-09") {
		t.Errorf("the escalation names the parent unit's owner: %s", iss.Body)
	}

	// The same day again: nothing to write; and once nothing was written,
	// every read of the next sweep is a 304.
	f.wantNoWrites(t, s, "a second sweep wrote")
	f.gh.ResetRecording()
	f.run(t, s)
	c := f.gh.Counts()
	if c.NotModified*10 < c.Total*9 {
		t.Errorf("second sweep: %d of %d reads were 304s", c.NotModified, c.Total)
		for _, r := range f.gh.Requests() {
			t.Logf("%s %s %d", r.Method, r.Path, r.Status)
		}
	}

	// The runbook is reviewed through a pull request.
	f.setNow(day.AddDate(0, 0, 1))
	rb := shop()["payments/runbooks/failover.md"]
	pr := f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 2, Author: "paul", When: f.clock(),
		HeadFiles: map[string]string{"payments/runbooks/failover.md": strings.Replace(rb, "2026-05-01", "2026-11-26", 1)}})
	f.gh.MergePull("acme", "shop", pr.Number, "alice")
	f.run(t, s)
	iss = f.gh.Issues("acme", "shop")[0]
	if iss.State != "open" || !strings.Contains(iss.Body, "Done:") || !strings.Contains(iss.Body, "(#2)") {
		t.Errorf("the runbook is ticked off with its pull request:\n%s", iss.Body)
	}

	// Seven days after opening: a reminder, once.
	f.setNow(day.AddDate(0, 0, 7))
	f.run(t, s)
	f.run(t, s)
	comments := f.gh.Comments("acme", "shop", iss.Number)
	if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, "Reminder: @acme/payments") {
		t.Fatalf("want one reminder, got %+v", comments)
	}

	// Fourteen days: the parent's owner hears of it.
	f.setNow(day.AddDate(0, 0, 14))
	f.run(t, s)
	comments = f.gh.Comments("acme", "shop", iss.Number)
	if len(comments) != 2 || !strings.HasPrefix(comments[1].Body, "@acme/platform:") {
		t.Fatalf("want an escalation to @acme/platform, got %+v", comments)
	}

	// The review is done by a direct commit: the issue closes, naming it.
	f.setNow(day.AddDate(0, 0, 15))
	owners := shop()["payments/OWNERS.yaml"]
	fix := f.repos["shop"].Commit("main", map[string]string{"payments/OWNERS.yaml": strings.Replace(owners, "2026-06-01", "2026-12-10", 1)},
		"Review payments ownership (#3)", f.clock())
	f.run(t, s)
	iss = f.gh.Issues("acme", "shop")[0]
	comments = f.gh.Comments("acme", "shop", iss.Number)
	last := comments[len(comments)-1].Body
	if iss.State != "closed" || !strings.Contains(last, fix[:7]) || !strings.Contains(last, "(#3)") {
		t.Errorf("closed with evidence? state %s, last comment:\n%s", iss.State, last)
	}

	// A person reopening does not make it stick: nothing is due.
	f.wantNoWrites(t, s, "a closed issue with nothing due was written to")
}

func TestSweepDryRunWritesNothing(t *testing.T) {
	f := newFixture(t, "shop")
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 1, HeadFiles: map[string]string{"README.md": "hi\n"}, When: day})
	var out bytes.Buffer
	s := f.sweeper(t, &out, func(c *sweep.Config) { c.DryRun = true })
	sum := f.run(t, s)
	if w := writes(f.gh); len(w) != 0 {
		t.Errorf("a dry run wrote: %v", w)
	}
	plan := out.String()
	for _, want := range []string{
		"acme/shop#1\tcheck\tno ownerbot check run on",
		"acme/shop\topen\t\"Ownership work due in payments/\": open: 2 items due",
		"swept 1 repositories of 1 installations (0 skipped, 0 failed): open 1; 1 pull requests checked",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan)
		}
	}
	if sum.Writes["open"] != 1 {
		t.Errorf("summary %v", sum)
	}
}

func TestSweepRecoversPullsWithoutCheckRun(t *testing.T) {
	f := newFixture(t, "shop")
	pr := f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 1, HeadFiles: map[string]string{"README.md": "hi\n"}, When: day})
	s := f.sweeper(t, nil)
	sum := f.run(t, s)
	runs := f.gh.CheckRuns("acme", "shop")
	if len(runs) != 1 || runs[0].HeadSHA != pr.HeadSHA || sum.Checked != 1 {
		t.Fatalf("want one check run on the head, got %+v (%v)", runs, sum)
	}
	sum = f.run(t, s)
	if sum.Checked != 0 || len(f.gh.CheckRuns("acme", "shop")) != 1 {
		t.Errorf("a pull request with a check run is checked again: %v", sum)
	}
}

func TestSweepStaleReview(t *testing.T) {
	f := newFixture(t, "shop")
	// Opened on a Thursday; three working days later is Tuesday.
	opened := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	f.gh.SetNow(opened)
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 4, Author: "carol", Title: "Retry the card network", When: opened,
		HeadFiles: map[string]string{"payments/api/main.go": "package main // retry\n"}, RequestedTeams: []string{"payments"}})
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 5, Author: "carol", Draft: true, When: opened,
		HeadFiles: map[string]string{"payments/api/x.go": "package main\n"}, RequestedTeams: []string{"payments"}})
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 6, Author: "carol", When: opened,
		HeadFiles: map[string]string{"payments/api/y.go": "package main\n"}, RequestedReviewers: []string{"randomuser"}})
	f.setNow(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)) // Tuesday 09:00: the SLA ran out at 10:00
	s := f.sweeper(t, nil)
	f.run(t, s)
	if c := f.gh.Comments("acme", "shop", 4); len(c) != 1 || !strings.Contains(c[0].Body, "ownerbot") {
		// only the check's sticky comment
		t.Fatalf("not stale yet, want only the check's comment: %+v", c)
	}
	f.setNow(time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC))
	f.run(t, s)
	f.run(t, s)
	var stale []ghtest.Comment
	for _, c := range f.gh.Comments("acme", "shop", 4) {
		if strings.Contains(c.Body, review.StaleReviewMarker) {
			stale = append(stale, c)
		}
	}
	if len(stale) != 1 || !strings.HasPrefix(stale[0].Body, "@acme/payments: this pull request has waited on your review since 2026-11-19") {
		t.Fatalf("want one stale-review reminder, got %+v", stale)
	}
	for _, n := range []int{5, 6} {
		for _, c := range f.gh.Comments("acme", "shop", n) {
			if strings.Contains(c.Body, review.StaleReviewMarker) {
				t.Errorf("#%d (a draft, or not waiting on an owner) was reminded", n)
			}
		}
	}
	iss := f.gh.Issues("acme", "shop")[0]
	if !strings.Contains(iss.Body, "Pull request #4 (Retry the card network) has waited on the review of @acme/payments since 2026-11-19") {
		t.Errorf("the unit's issue does not list the wait:\n%s", iss.Body)
	}
}

func TestSweepUnapprovedException(t *testing.T) {
	f := newFixture(t, "shop")
	exc := func(id, expires string) string {
		return fmt.Sprintf("  - {id: %s, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"the reorganisation moves this unit\", expires: \"%s\"}\n", id, expires)
	}
	// PAY-1 was approved by a payments member; PAY-2 by nobody.
	pr1 := f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 10, Author: "carol", When: day.AddDate(0, 0, -3),
		HeadFiles: map[string]string{"payments/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" + exc("PAY-1", "2027-01-31")}})
	f.gh.AddReview("acme", "shop", 10, ghtest.Review{User: "alice", State: "APPROVED", CommitID: pr1.HeadSHA})
	f.gh.MergePull("acme", "shop", 10, "alice")
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 11, Author: "carol", When: day.AddDate(0, 0, -2),
		HeadFiles: map[string]string{"payments/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" + exc("PAY-1", "2027-01-31") +
			"  - {id: PAY-2, rule: runbook.overdue, paths: [\"runbooks/**\"], reason: \"the runbook is being rewritten\", expires: \"2026-12-05\"}\n"}})
	f.gh.MergePull("acme", "shop", 11, "carol")

	s := f.sweeper(t, nil)
	f.run(t, s)
	body := f.gh.Issues("acme", "shop")[0].Body
	for _, want := range []string{
		"PAY-2 (runbook.overdue) was merged in #11 without an approval of its final commit by an eligible approver, so it has no effect",
		"The review of this runbook was due on", // PAY-2 waives nothing
		"have @acme/payments or @acme/platform approve it",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the issue lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "The ownership review of payments/") || strings.Contains(body, "PAY-1 (owners.review_overdue) was") {
		t.Errorf("PAY-1 was approved and waives the review:\n%s", body)
	}
	// The verdicts are remembered by the file's blob: a second sweep asks
	// GitHub nothing about the pull requests.
	f.gh.ResetRecording()
	f.run(t, s)
	for _, r := range f.gh.Requests() {
		if strings.Contains(r.Path, "/pulls/1") {
			t.Errorf("asked again: %s %s", r.Method, r.Path)
		}
	}
}

// Three sweeps at once, plus sweeps a webhook asks for, over the same
// repositories: one issue per unit, no duplicate comments. GitHub's search
// lags a minute behind, and nothing may depend on it.
func TestConcurrentSweeps(t *testing.T) {
	f := newFixture(t, "shop", "store", "mall")
	f.gh.SetSearchLag(time.Minute)
	locks := sweep.NewLocks() // one process
	var sweepers []*sweep.Sweeper
	for range 3 {
		sweepers = append(sweepers, f.sweeper(t, nil, func(c *sweep.Config) { c.Locks = locks }))
	}
	for _, when := range []time.Time{day, day.AddDate(0, 0, 7)} {
		f.setNow(when)
		var wg sync.WaitGroup
		for _, s := range sweepers {
			wg.Go(func() { f.run(t, s) })
			wg.Go(func() {
				if _, err := s.Repo(context.Background(), installation, "acme", "mall"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	for _, name := range []string{"shop", "store", "mall"} {
		issues := f.gh.Issues("acme", name)
		if len(issues) != 1 {
			t.Fatalf("%s: %d issues", name, len(issues))
		}
		if c := f.gh.Comments("acme", name, issues[0].Number); len(c) != 1 {
			t.Errorf("%s: want one reminder, got %d comments", name, len(c))
		}
	}
	if n := f.gh.CountCalls(func(r ghtest.Request) bool { return strings.HasPrefix(r.Path, "/search/") }); n != 0 {
		t.Errorf("%d searches: the bot finds its issues by listing them, never through search", n)
	}
}

// race runs one sweep in each of three processes at once, their requests
// that open an issue lined up to go out together unless something keeps
// them apart.
func (f *fixture) race(t *testing.T, opts ...func(*sweep.Config)) {
	t.Helper()
	lineUp := ghtest.NewLineUp(f.gh.Client().Transport, 3, func(r *http.Request) (string, bool) {
		return r.URL.Path, r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/issues")
	})
	var wg sync.WaitGroup
	for range 3 {
		app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
			Transport: lineUp, Logger: zerolog.Nop(), Clock: f.clock, WriteInterval: -1, ContentInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		s := f.process(t, app, t.TempDir(), nil, opts...) // its own locks and memory
		wg.Go(func() { f.run(t, s) })
	}
	wg.Wait()
}

// Sweeps in separate processes share no lock in memory, but take the
// repository's lease on GitHub before they write: racing to open the same
// issue, they open it once, and leave no lease behind.
func TestRacingProcessesWriteOnce(t *testing.T) {
	f := newFixture(t, "shop")
	f.race(t)
	if issues := f.gh.Issues("acme", "shop"); len(issues) != 1 {
		t.Errorf("%d issues after three processes raced, want 1", len(issues))
	}
	if l := f.gh.RepoLabels("acme", "shop"); len(l) != 0 {
		t.Errorf("a lease was left behind: %q", l)
	}
	f.wantNoWrites(t, f.sweeper(t, nil), "after the race, a sweep wrote")
}

// Processes that raced while each took the other's lease for dead (here:
// a stale limit of a nanosecond) open the same issue several times: the
// next sweep keeps the oldest and closes the others.
func TestDuplicatesConverge(t *testing.T) {
	f := newFixture(t, "shop")
	f.race(t, func(c *sweep.Config) { c.Lease.Stale = time.Nanosecond })
	if n := len(f.gh.Issues("acme", "shop")); n < 2 {
		t.Fatalf("%d issues: the race made no duplicate to converge", n)
	}
	f.run(t, f.sweeper(t, nil))
	open := 0
	for _, iss := range f.gh.Issues("acme", "shop") {
		if iss.State == "open" {
			open++
		} else if !strings.Contains(iss.Body, "duplicates #1") {
			t.Errorf("#%d is closed but not as a duplicate:\n%s", iss.Number, iss.Body)
		}
	}
	if open != 1 {
		t.Errorf("%d open issues, want 1", open)
	}
	f.wantNoWrites(t, f.sweeper(t, nil), "converged, yet a sweep wrote")
}

// Faults: a create whose answer is lost, 500s on listings, secondary
// limits with and without Retry-After. The sweep completes with no
// duplicates.
func TestSweepFaults(t *testing.T) {
	f := newFixture(t, "shop")
	f.gh.Fail(ghtest.FaultMatch{Method: "POST", Operation: "issues/create"}, ghtest.Fault{Kind: ghtest.FaultLostResponse})
	f.gh.Fail(ghtest.FaultMatch{Method: "GET", Operation: "issues/list-for-repo", Count: 2}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: 500})
	f.gh.Fail(ghtest.FaultMatch{Method: "GET", Operation: "pulls/list"}, ghtest.Fault{Kind: ghtest.FaultSecondaryRateLimit, RetryAfter: 2 * time.Second})
	f.gh.Fail(ghtest.FaultMatch{Method: "GET", Operation: "repos/get-commit"}, ghtest.Fault{Kind: ghtest.FaultSecondaryRateLimit})
	s := f.sweeper(t, nil)
	f.run(t, s)
	if issues := f.gh.Issues("acme", "shop"); len(issues) != 1 {
		t.Fatalf("%d issues after a lost response", len(issues))
	}
	f.setNow(day.AddDate(0, 0, 7))
	f.gh.Fail(ghtest.FaultMatch{Method: "POST", Operation: "issues/create-comment"}, ghtest.Fault{Kind: ghtest.FaultLostResponse})
	f.run(t, s) // the reminder whose answer was lost is found again, not written twice
	f.run(t, s)
	if c := f.gh.Comments("acme", "shop", 1); len(c) != 1 {
		t.Errorf("want one reminder after a lost response, got %d", len(c))
	}
}

func TestShards(t *testing.T) {
	names := []string{}
	for i := range 12 {
		names = append(names, fmt.Sprintf("r%02d", i))
	}
	f := newFixture(t, names...)
	seen := map[string]int{}
	for i := range 3 {
		shard := sweep.Shard{Index: i, Count: 3}
		var out bytes.Buffer
		s := f.sweeper(t, &out, func(c *sweep.Config) { c.Shard = shard; c.DryRun = true })
		f.run(t, s)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "\topen\t") {
				seen[strings.Split(line, "\t")[0]]++
			}
		}
	}
	if len(seen) != len(names) {
		t.Errorf("the shards swept %d of %d repositories: %v", len(seen), len(names), seen)
	}
	for repo, n := range seen {
		if n != 1 {
			t.Errorf("%s swept by %d shards", repo, n)
		}
	}
}

func TestParseShard(t *testing.T) {
	if s, err := sweep.ParseShard("2/5"); err != nil || s != (sweep.Shard{Index: 2, Count: 5}) {
		t.Errorf("2/5: %v %v", s, err)
	}
	for _, bad := range []string{"", "1", "5/5", "-1/3", "a/b", "0/0"} {
		if _, err := sweep.ParseShard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// cancelAfter cancels a context once n writes have been answered: a
// process that dies in the middle of a sweep.
type cancelAfter struct {
	next   http.RoundTripper
	n      int
	cancel context.CancelFunc
	mu     sync.Mutex
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if r.Method != http.MethodGet && !strings.Contains(r.URL.Path, "access_tokens") {
		c.mu.Lock()
		if c.n--; c.n == 0 {
			c.cancel()
		}
		c.mu.Unlock()
	}
	return resp, err
}

// state is what the bot wrote to GitHub in the named repositories, as
// people see it: issues, comments on issues and pull requests, check runs.
func state(f *fixture, names ...string) string {
	var b strings.Builder
	for _, name := range names {
		for _, iss := range f.gh.Issues("acme", name) {
			fmt.Fprintf(&b, "%s#%d %s %q %v %v\n%s\n", name, iss.Number, iss.State, iss.Title, iss.Labels, iss.Assignees, iss.Body)
		}
		for _, c := range f.gh.AllComments("acme", name) {
			fmt.Fprintf(&b, "  %s#%d %s: %s\n", name, c.Number, c.User, c.Body)
		}
		for _, run := range f.gh.CheckRuns("acme", name) {
			fmt.Fprintf(&b, "  check %s %s %s %s\n", run.HeadSHA, run.Status, run.Conclusion, run.Title)
		}
	}
	return b.String()
}

// A process that dies after any number of writes leaves GitHub where the
// next sweep picks it up: it ends as an uninterrupted sweep would have.
func TestCrashMidSweepConverges(t *testing.T) {
	names := []string{"mall", "shop", "store"}
	build := func() *fixture {
		f := newFixture(t, names...)
		for _, name := range names {
			f.gh.OpenPull("acme", name, ghtest.PullSpec{Number: 1, HeadFiles: map[string]string{"README.md": "hi\n"}, When: day})
		}
		return f
	}
	want := build()
	want.run(t, want.sweeper(t, nil))
	uninterrupted := state(want, names...)

	for _, crashAfter := range []int{1, 2, 4, 7} {
		f := build()
		ctx, cancel := context.WithCancel(context.Background())
		app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
			Transport: &cancelAfter{next: f.gh.Client().Transport, n: crashAfter, cancel: cancel}, Logger: zerolog.Nop(), Clock: f.clock,
			Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.process(t, app, t.TempDir(), nil).Run(ctx, ""); err == nil {
			t.Errorf("crash after %d writes: the sweep finished anyway", crashAfter)
		}
		cancel()
		f.run(t, f.sweeper(t, nil)) // the next process
		if got := state(f, names...); got != uninterrupted {
			t.Errorf("crash after %d writes, then a sweep: GitHub differs from an uninterrupted sweep\n%s", crashAfter, cmp.Diff(uninterrupted, got))
		}
	}
}

// The organization's ownerbot.yaml sets the defaults of its repositories'
// issues: here, the label the bot files and finds them by.
func TestSweepAppliesTheOrganizationConfig(t *testing.T) {
	f := newFixture(t, "shop")
	f.addRepo(".github", map[string]string{"ownerbot.yaml": "version: 1\nissues: {labels: [governance]}\n"}, "org defaults", day.AddDate(0, -1, 0))
	s := f.sweeper(t, nil, func(c *sweep.Config) { c.OrgConfig = orgconfig.New(0, f.clock) })
	f.run(t, s)
	issues := f.gh.Issues("acme", "shop")
	if len(issues) != 1 || !slices.Equal(issues[0].Labels, []string{"governance"}) {
		t.Fatalf("issues %+v, want one labelled governance", issues)
	}
	// The .github repository is swept like any other of the organization
	// (here it lacks CODEOWNERS and OWNERS.yaml).
	if issues := f.gh.Issues("acme", ".github"); len(issues) != 1 || !slices.Equal(issues[0].Labels, []string{"governance"}) {
		t.Errorf("the .github repository's issues: %+v", issues)
	}
}
