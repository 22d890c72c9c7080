package prcheck_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/report"
)

var day = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const installation = 1

// monorepo is the base branch of the fixture: two teams, an enforcing
// configuration, and one stale CODEOWNERS line that is debt, not news.
var monorepo = map[string]string{
	".github/ownerbot.yaml":  "version: 1\nmode: enforce\n",
	".github/CODEOWNERS":     "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n",
	"OWNERS.yaml":            "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
	"pay/OWNERS.yaml":        "version: 1\nowner: \"@acme/pay\"\ntier: 2\napprovers: [\"@alice\", \"@acme/pay\"]\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
	"pay/runbooks/outage.md": "---\nlast_reviewed: \"2026-11-01\"\n---\n# Outage\n",
	"pay/api/main.go":        "package main\n",
	"pay/batch/job.go":       "package batch\n",
	"README.md":              "# acme\n",
}

// fixture is a fake GitHub with the monorepo, and a Checker wired to it
// through the real ghapp adapter and clone cache.
type fixture struct {
	gh   *ghtest.GitHub
	repo *ghtest.FixtureRepo
	app  *ghapp.App
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(installation, "acme")
	repo := gh.Git.CreateRepo("acme", "mono")
	repo.Commit("main", monorepo, "the monorepo", day.Add(-48*time.Hour))
	gh.AddRepo(installation, "acme", "mono", ghtest.RepoOptions{})
	gh.AddTeam("acme", "pay", []string{"alice", "paul"}, map[string]string{"acme/mono": "push"})
	gh.AddTeam("acme", "data", []string{"dana"}, map[string]string{"acme/mono": "push"})
	gh.AddTeam("acme", "platform", []string{"pat"}, map[string]string{"acme/mono": "admin"})
	return &fixture{gh: gh, repo: repo}
}

// newChecker returns a Checker with nothing remembered, as after a restart.
func (f *fixture) newChecker(t *testing.T, opts ...func(*prcheck.Config)) *prcheck.Checker {
	t.Helper()
	if f.app == nil {
		app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
			Transport: f.gh.Client().Transport, Logger: zerolog.Nop(), Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		f.app = app
	}
	clones, err := ghapp.NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	cfg := prcheck.Config{Client: f.app.Client, Token: f.app.Token, Clones: clones,
		Now: func() time.Time { return day }, AppID: f.gh.App.ID, Identity: f.app.Identity}
	for _, o := range opts {
		o(&cfg)
	}
	return prcheck.New(cfg)
}

func (f *fixture) check(t *testing.T, c *prcheck.Checker, number int) prcheck.Outcome {
	t.Helper()
	out, err := c.Check(context.Background(), prcheck.Target{InstallationID: installation, Owner: "acme", Repo: "mono", Number: number})
	if err != nil {
		t.Fatalf("check #%d: %v", number, err)
	}
	return out
}

// one returns the only check run on head and the only comment of the pull
// request, failing when there are more.
func (f *fixture) one(t *testing.T, number int, head string) (ghtest.CheckRun, ghtest.Comment) {
	t.Helper()
	var runs []ghtest.CheckRun
	for _, r := range f.gh.CheckRuns("acme", "mono") {
		if r.HeadSHA == head {
			runs = append(runs, r)
		}
	}
	comments := f.gh.Comments("acme", "mono", number)
	if len(runs) != 1 || len(comments) != 1 {
		t.Fatalf("%d check runs on %s and %d comments on #%d, want one of each", len(runs), head, len(comments), number)
	}
	return runs[0], comments[0]
}

func TestCheckPlainPullRequest(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 7, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n", "docs/new.md": "# new\n"}, When: day})
	c := f.newChecker(t)
	out := f.check(t, c, 7)
	if out.Conclusion != report.Success {
		t.Errorf("conclusion %q, want success: %s", out.Conclusion, out.Report.Title())
	}
	run, comment := f.one(t, 7, pr.HeadSHA)
	if run.Name != "ownerbot" || run.Status != "completed" || run.Conclusion != "success" || run.Title != "No new ownership problems" {
		t.Errorf("check run %+v", run)
	}
	for _, want := range []string{"@acme/pay: `pay/api/main.go`", "@acme/platform: `docs/new.md`", "pay/runbooks/outage.md"} {
		if !strings.Contains(comment.Body, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment.Body)
		}
	}
	if strings.Contains(comment.Body, "/old/") {
		t.Errorf("the comment nags about debt the pull request did not add:\n%s", comment.Body)
	}

	// Once caches are warm, looking again costs at most 5 calls and writes
	// nothing.
	f.gh.ResetRecording()
	f.check(t, c, 7)
	t.Logf("warm re-check: %+v", f.gh.Counts())
	if n := f.gh.Counts().Total; n > 5 {
		t.Errorf("a warm re-check made %d API calls, want at most 5: %v", n, f.gh.Requests())
	}
	if writes := f.gh.CountCalls(func(r ghtest.Request) bool { return r.Method != "GET" }); writes != 0 {
		t.Errorf("a re-check with nothing new wrote %d times", writes)
	}
	// A restarted bot finds its check run and comment again.
	f.check(t, f.newChecker(t), 7)
	f.one(t, 7, pr.HeadSHA)
}

func TestCheckRatchetFailsOnlyOnNewProblems(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 8, Author: "bob",
		HeadFiles: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n/web/[ @acme/web\n"}, When: day})
	c := f.newChecker(t)
	out := f.check(t, c, 8)
	if out.Conclusion != report.Failure {
		t.Fatalf("conclusion %q, want failure", out.Conclusion)
	}
	run, comment := f.one(t, 8, pr.HeadSHA)
	if len(run.Annotations) == 0 || run.Annotations[0].Path != ".github/CODEOWNERS" || run.Annotations[0].StartLine != 4 {
		t.Errorf("annotations %+v, want one on .github/CODEOWNERS:4", run.Annotations)
	}
	if !strings.Contains(comment.Body, "codeowners.syntax") || strings.Contains(comment.Body, "`/old/` matches no file") {
		t.Errorf("comment:\n%s", comment.Body)
	}

	// The author fixes it: the same check run is not reused (new head), the
	// comment is edited in place.
	fixed := f.gh.PushPull("acme", "mono", 8, map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n"}, "fix", day)
	out = f.check(t, c, 8)
	if out.Conclusion != report.Success || out.HeadSHA != fixed {
		t.Errorf("after the fix: conclusion %q on %s, want success on %s", out.Conclusion, out.HeadSHA, fixed)
	}
	f.one(t, 8, fixed)
}

func TestCheckTransferNeedsBothTeams(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 9, Author: "bob",
		HeadFiles: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/old/ @acme/pay\n"}, When: day})
	c := f.newChecker(t)
	if out := f.check(t, c, 9); out.Conclusion != report.Failure || len(out.Report.Transfers) != 1 {
		t.Fatalf("no approvals: conclusion %q, transfers %+v", out.Conclusion, out.Report.Transfers)
	}
	// One team approving is not enough, nor is an approval of an old commit.
	f.gh.AddReview("acme", "mono", 9, ghtest.Review{User: "paul", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	f.gh.AddReview("acme", "mono", 9, ghtest.Review{User: "dana", State: "APPROVED", CommitID: pr.BaseSHA, SubmittedAt: day})
	out := f.check(t, c, 9)
	if out.Conclusion != report.Failure {
		t.Fatalf("one team: conclusion %q, want failure", out.Conclusion)
	}
	if got := out.Report.Transfers[0].Missing; len(got) != 1 || got[0] != "@acme/data" {
		t.Errorf("missing %v, want [@acme/data]", got)
	}
	f.gh.AddReview("acme", "mono", 9, ghtest.Review{User: "dana", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	if out := f.check(t, c, 9); out.Conclusion != report.Success {
		t.Errorf("both teams: conclusion %q, want success (%s)", out.Conclusion, out.Report.Title())
	}
	run, comment := f.one(t, 9, pr.HeadSHA)
	if run.Conclusion != "success" || !strings.Contains(comment.Body, "✅ `@acme/data` (`@dana`)") {
		t.Errorf("check run %q; comment:\n%s", run.Conclusion, comment.Body)
	}
}

func TestCheckExceptionNeedsAnEligibleApproval(t *testing.T) {
	f := newFixture(t)
	exceptions := "version: 1\nexceptions:\n  - id: EXC-2026-001\n    rule: runbook.overdue\n    paths: [\"runbooks/**\"]\n    reason: \"The runbook is rewritten with the new queue in Q1.\"\n    expires: \"2027-01-31\"\n"
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 10, Author: "alice",
		HeadFiles: map[string]string{"pay/OWNERS_EXCEPTIONS.yaml": exceptions}, When: day})
	c := f.newChecker(t)
	if out := f.check(t, c, 10); out.Conclusion != report.Failure || len(out.Report.Exceptions) != 1 {
		t.Fatalf("unapproved: conclusion %q, exceptions %+v", out.Conclusion, out.Report.Exceptions)
	}
	// The author is an approver, but cannot approve their own exception;
	// someone outside the approvers counts for nothing either.
	f.gh.AddReview("acme", "mono", 10, ghtest.Review{User: "alice", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	f.gh.AddReview("acme", "mono", 10, ghtest.Review{User: "dana", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	if out := f.check(t, c, 10); out.Conclusion != report.Failure {
		t.Fatalf("author and outsider: conclusion %q, want failure", out.Conclusion)
	}
	// paul is in @acme/pay, one of the unit's approvers.
	f.gh.AddReview("acme", "mono", 10, ghtest.Review{User: "paul", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	out := f.check(t, c, 10)
	if out.Conclusion != report.Success || out.Report.Exceptions[0].ApprovedBy != "paul" {
		t.Errorf("eligible approval: conclusion %q, approved by %q", out.Conclusion, out.Report.Exceptions[0].ApprovedBy)
	}
	f.one(t, 10, pr.HeadSHA)
}

func TestCheckLostCommentResponseDoesNotDuplicate(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 11, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v3\n"}, When: day})
	f.gh.Fail(ghtest.FaultMatch{Method: "POST", Operation: "issues/create-comment"}, ghtest.Fault{Kind: ghtest.FaultLostResponse})
	f.gh.Fail(ghtest.FaultMatch{Method: "POST", Operation: "checks/create"}, ghtest.Fault{Kind: ghtest.FaultLostResponse})
	f.check(t, f.newChecker(t), 11)
	f.one(t, 11, pr.HeadSHA)
	// And a second bot, knowing nothing, converges on the same two.
	f.check(t, f.newChecker(t), 11)
	f.one(t, 11, pr.HeadSHA)
}

func TestCheckSkipsClosedAndIncomplete(t *testing.T) {
	f := newFixture(t)
	c := f.newChecker(t)
	// Over GitHub's listing cap: neutral, never a silent pass.
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 12, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // big\n"}, When: day})
	files := make([]ghtest.PullFile, 3100)
	for i := range files {
		files[i] = ghtest.PullFile{Filename: "gen/f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".go", Status: "added"}
	}
	pr.Number, pr.Files = 13, files
	f.gh.AddPull("acme", "mono", pr)
	f.repo.SetRef("refs/pull/13/head", pr.HeadSHA)
	out := f.check(t, c, 13)
	if out.Skipped != "" {
		t.Fatalf("3,100 files: skipped: %s", out.Skipped)
	}
	if out.Conclusion != report.Neutral || !strings.HasPrefix(out.Report.Title(), "Incomplete") {
		t.Errorf("3,100 files: conclusion %q, title %q; want neutral, incomplete", out.Conclusion, out.Report.Title())
	}
	// Warm, the 30 pages of files are most of the cost: at most 35 calls.
	f.gh.ResetRecording()
	f.check(t, c, 13)
	t.Logf("warm re-check of 3,100 files: %+v", f.gh.Counts())
	if n := f.gh.Counts().Total; n > 35 {
		t.Errorf("a warm re-check of 3,100 files made %d API calls, want at most 35", n)
	}
	closed := pr
	closed.Number, closed.State, closed.Files = 14, "closed", nil
	f.gh.AddPull("acme", "mono", closed)
	if out := f.check(t, c, 14); out.Skipped == "" {
		t.Error("a closed pull request was checked")
	}
	if out := f.check(t, c, 99); out.Skipped == "" {
		t.Error("a missing pull request was not skipped")
	}
}

func TestCheckUnknownOwnersIntroducedByTheChange(t *testing.T) {
	f := newFixture(t)
	f.gh.AddTeam("acme", "readers", []string{"rita"}, map[string]string{"acme/mono": "pull"})
	f.gh.AddUser("olga") // exists, but is neither a member nor a collaborator
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 13, Author: "bob", HeadFiles: map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n/docs/ @acme/platform @acme/readers @acme/ghost\n",
		"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\ntier: 2\napprovers: [\"@alice\", \"@acme/pay\", \"@olga\"]\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"docs/guide.md":      "# guide\n",
	}, When: day})
	c := f.newChecker(t)
	out := f.check(t, c, 13)
	if out.Conclusion != report.Failure {
		t.Fatalf("conclusion %q, want failure: %s", out.Conclusion, out.Report.Title())
	}
	type at struct {
		Rule string
		Path string
		Line int
	}
	var got []at
	for _, n := range out.Report.Comparison.New {
		got = append(got, at{n.Rule, n.Path, n.Line})
	}
	want := []at{
		{"codeowners.unknown_owner", ".github/CODEOWNERS", 4},
		{"codeowners.unknown_owner", ".github/CODEOWNERS", 4},
		{"owners.unresolvable", "pay/OWNERS.yaml", 4},
	}
	if len(got) != len(want) {
		t.Fatalf("new findings %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("new finding %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	run, comment := f.one(t, 13, pr.HeadSHA)
	for _, want := range []string{"@acme/readers", "@acme/ghost", "`@olga` is not a member of acme"} {
		if !strings.Contains(comment.Body, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment.Body)
		}
	}
	if len(run.Annotations) != 3 {
		t.Errorf("%d annotations, want 3: %+v", len(run.Annotations), run.Annotations)
	}
	// GitHub was asked once about CODEOWNERS and only about the new owner.
	asked := map[string]int{}
	for _, r := range f.gh.Requests() {
		asked[r.Operation]++
	}
	if asked["repos/codeowners-errors"] != 1 || asked["users/get-by-username"] != 1 || asked["teams/get-by-name"] != 0 {
		t.Errorf("lookups %v: want one CODEOWNERS verdict and one user lookup", asked)
	}

	// Fixing them passes; the answers are remembered, so a warm re-check of
	// the same head asks nothing again.
	f.gh.PushPull("acme", "mono", 13, map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n/docs/ @acme/platform\n",
		"pay/OWNERS.yaml":    monorepo["pay/OWNERS.yaml"],
	}, "fix owners", day)
	if out := f.check(t, c, 13); out.Conclusion != report.Success {
		t.Errorf("after the fix: conclusion %q (%s)", out.Conclusion, out.Report.Title())
	}
	f.gh.ResetRecording()
	f.check(t, c, 13)
	if n := f.gh.Counts().Total; n > 5 {
		t.Errorf("a warm re-check of a CODEOWNERS change made %d calls: %v", n, f.gh.Requests())
	}
}

// A pre-existing unknown owner is debt, not news: it does not fail a pull
// request that edits CODEOWNERS elsewhere.
func TestCheckUnknownOwnerAtTheBaseIsNotNew(t *testing.T) {
	f := newFixture(t)
	base := map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay @acme/ghost\n/old/ @acme/pay\n"}
	f.repo.Commit("main", base, "a ghost team", day.Add(-24*time.Hour))
	f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 14, Author: "bob", HeadFiles: map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay @acme/ghost\n/old/ @acme/pay\n/pay/batch/ @acme/pay @acme/ghost\n",
	}, When: day})
	out := f.check(t, f.newChecker(t), 14)
	var unknown int
	for _, n := range out.Report.Comparison.New {
		if n.Rule == "codeowners.unknown_owner" {
			unknown++
			if n.Line != 4 {
				t.Errorf("new unknown owner on line %d, want only line 4", n.Line)
			}
		}
	}
	if unknown != 1 {
		t.Errorf("%d new unknown owners, want 1 (the line the change adds)", unknown)
	}
}

// On merge, the sticky comment becomes the record of who approved what; the
// check run judged the head and is left alone.
func TestCheckRecordsApprovalsAtMerge(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 15, Author: "bob", HeadFiles: map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/old/ @acme/pay\n"}, When: day})
	c := f.newChecker(t)
	f.check(t, c, 15)
	f.gh.AddReview("acme", "mono", 15, ghtest.Review{User: "paul", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	f.check(t, c, 15)
	runBefore, _ := f.one(t, 15, pr.HeadSHA)

	// An admin merges with @acme/data's approval still missing.
	merge := f.gh.MergePull("acme", "mono", 15, "pat")
	out := f.check(t, c, 15)
	if out.Skipped != "" || out.Report == nil || out.Report.Merged == nil {
		t.Fatalf("merged pull request: %+v", out)
	}
	run, comment := f.one(t, 15, pr.HeadSHA)
	if run.ID != runBefore.ID || run.Conclusion != runBefore.Conclusion {
		t.Errorf("the merge changed the check run: %+v, was %+v", run, runBefore)
	}
	for _, want := range []string{"merged with 1 change that lacks the approval it needed", "Merged by `@pat`", merge[:12], "✅ @acme/pay (`@paul`)", "⏳ `@acme/data`"} {
		if !strings.Contains(comment.Body, want) {
			t.Errorf("the record lacks %q:\n%s", want, comment.Body)
		}
	}
	// The record stands as it was at the merge: a later approval, seen by
	// this bot or by a restarted one, rewrites nothing.
	f.gh.AddReview("acme", "mono", 15, ghtest.Review{User: "dana", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: day})
	f.gh.ResetRecording()
	f.check(t, c, 15)
	f.check(t, f.newChecker(t), 15)
	if writes := f.gh.CountCalls(func(r ghtest.Request) bool { return r.Method != "GET" }); writes != 0 {
		t.Errorf("recording again wrote %d times", writes)
	}
	if _, again := f.one(t, 15, pr.HeadSHA); again.Body != comment.Body {
		t.Errorf("the record changed after the merge:\n%s", again.Body)
	}

	// A merged pull request that moved nothing and waived nothing is left
	// as it was.
	plain := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 16, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v4\n"}, When: day})
	f.check(t, c, 16)
	_, before := f.one(t, 16, plain.HeadSHA)
	f.gh.MergePull("acme", "mono", 16, "pat")
	if out := f.check(t, c, 16); !strings.Contains(out.Skipped, "merged") {
		t.Errorf("plain merge: skipped %q", out.Skipped)
	}
	if _, after := f.one(t, 16, plain.HeadSHA); after.Body != before.Body {
		t.Error("a plain merge rewrote the comment")
	}
}

// Checks of one pull request never overlap, so a Checker that remembers
// nothing yet still creates one check run and one comment when a re-run
// found by its commit arrives beside the pull request's own event.
func TestCheckOfOnePullRequestAtATime(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 17, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v5\n"}, When: day})
	c := f.newChecker(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.Check(context.Background(), prcheck.Target{InstallationID: installation, Owner: "acme", Repo: "mono", Number: 17}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.one(t, 17, pr.HeadSHA)
}
