package sweep_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/golden"
	"github.com/ownerbot/ownerbot/internal/review"
	"github.com/ownerbot/ownerbot/internal/sweep"
)

// The simulation: an organization of 50 repositories, each with one unit,
// svc/, whose team answers its living issue in its own way. Every morning
// the teams act, then ownerbot sweeps; then the same day is swept again,
// which must change nothing. What GitHub saw day by day is a golden file
// (testdata/simulation.log); the final state is checked against what a
// careful person would have left.

const (
	simRepos = 50
	simDays  = 120
)

// simStart is a Tuesday.
var simStart = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

var simTeams = []string{"payments", "search", "data", "identity", "billing"}

// A habit is how a unit's team answers its living issue.
type habit int

const (
	prompt   habit = iota // does what is listed two days later, through a reviewed pull request
	slow                  // does it 25 days later, committing straight to main
	absent                // never does: reminders and the escalation chain run their course
	closer                // closes the issue by hand the day after it opens, and does the work 10 days in
	excepter              // puts the ownership review off with a 30-day exception, and does it 2 days after that lapses
)

func (h habit) String() string {
	return [...]string{"prompt", "slow", "absent", "closer", "excepter"}[h]
}

// The kinds of item a unit's issue lists in the simulation.
const (
	itemReview   = "review"   // svc/OWNERS.yaml review.last_reviewed
	itemRunbook  = "runbook"  // svc/runbooks/ops.md last_reviewed
	itemExpiring = "expiring" // the exception on the review expires soon
	itemStale    = "stale"    // a pull request waits on the team's review
)

type simRepo struct {
	name  string
	team  string
	habit habit
	git   *ghtest.FixtureRepo

	reviewed, runbook time.Time // last_reviewed of svc/OWNERS.yaml and svc/runbooks/ops.md
	exception         time.Time // when the exception on the review expires; zero without one
	hasExceptions     bool      // svc/OWNERS_EXCEPTIONS.yaml is on main
	stalePR           ghtest.Pull
	staleUntil        time.Time // when the team finally reviews the pull request that waits on it

	pulls    []int                // every pull request opened
	seen     map[string]time.Time // the items the team has seen listed, since when
	closedIn string               // the episode in which the team last closed the issue by hand
	evidence []string             // what a closing comment may name: commits and "(#N)"
}

func (r *simRepo) member(n int) string { return fmt.Sprintf("%s-%d", r.team, n) }

func (r *simRepo) ownersFile() string {
	return "version: 1\nowner: \"@acme/" + r.team + "\"\ntier: 1\nrunbooks: [\"runbooks/*.md\"]\n" +
		"escalation:\n  - {after: 14d, to: parent}\n  - {after: 30d, to: \"@acme/governance\"}\n" +
		"review: {interval: 90d, last_reviewed: \"" + r.reviewed.Format(time.DateOnly) + "\"}\n"
}

func (r *simRepo) runbookFile() string {
	return "---\nlast_reviewed: \"" + r.runbook.Format(time.DateOnly) + "\"\nreview_interval: 90d\n---\n# Operating svc\n"
}

func (r *simRepo) exceptionsFile() string {
	if r.exception.IsZero() {
		return ghtest.Deleted
	}
	return "version: 1\nexceptions:\n  - {id: " + strings.ToUpper(r.name) + "-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], " +
		"reason: \"the team is being reorganised\", expires: \"" + r.exception.Format(time.DateOnly) + "\"}\n"
}

func (r *simRepo) files() map[string]string {
	return map[string]string{
		".github/CODEOWNERS":  "* @acme/platform\n/svc/ @acme/" + r.team + "\n",
		"OWNERS.yaml":         "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {interval: 365d, last_reviewed: \"2026-11-01\"}\n",
		"svc/OWNERS.yaml":     r.ownersFile(),
		"svc/runbooks/ops.md": r.runbookFile(),
		"svc/main.go":         "package main\n",
	}
}

// newSimRepo spreads the repositories' due dates over the simulation:
// some are overdue on the first morning, some fall due in it, some after.
func newSimRepo(i int) *simRepo {
	r := &simRepo{name: fmt.Sprintf("svc%02d", i), team: simTeams[i%len(simTeams)], habit: habit(i / 2 % 5)}
	r.reviewed = simStart.AddDate(0, 0, (i*7)%110-10-90)
	r.runbook = simStart.AddDate(0, 0, (i*13)%150-20-90)
	return r
}

type simulation struct {
	t     *testing.T
	f     *fixture
	repos []*simRepo
	s     *sweep.Sweeper
	log   strings.Builder
	now   time.Time
	// replays counts the repositories swept twice in a day.
	replays int
	// state is what GitHub showed after the last sweep, by repository and
	// issue number, to tell what each sweep changed.
	state map[string]map[int]simIssue
}

type simIssue struct {
	state    string
	items    []string
	comments int
}

// simSampled says which repositories the default run simulates: every
// fourth, which still has every habit at least twice, six with a pull
// request that waits on the team and seven without, and due dates spread
// over the whole period. The repositories do not act on one another, so
// the sample's log is exactly the full log's lines about them.
func simSampled(i int) bool { return i%4 == 1 }

// updatingGolden reports whether the test runs with -update, which must
// rewrite the whole log and so simulates the whole organization.
func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestSimulatedOrganization(t *testing.T) {
	simulate := func(int) bool { return true }
	if !updatingGolden() && !datasettest.Exhaustive(t, "13 of 50 repositories, checked against their lines of testdata/simulation.log") {
		simulate = simSampled
	}
	f := newOrg(t, simStart)
	f.gh.SetSearchLag(time.Minute) // nothing here may depend on search
	sim := &simulation{t: t, f: f, state: map[string]map[int]simIssue{}}
	for _, team := range simTeams {
		f.gh.AddTeam("acme", team, []string{team + "-1", team + "-2"}, nil)
	}
	for i := range simRepos {
		if !simulate(i) {
			continue
		}
		r := newSimRepo(i)
		r.git = f.addRepo(r.name, r.files(), "svc", simStart.AddDate(0, -6, 0))
		if i%8 == 5 {
			// A change that waits on the team for a while.
			r.staleUntil = simStart.AddDate(0, 0, 12+i/10)
		}
		sim.repos = append(sim.repos, r)
	}
	sim.s = f.sweeper(t, nil)

	for d := range simDays {
		sim.now = simStart.AddDate(0, 0, d)
		f.setNow(sim.now)
		f.gh.ResetRecording()
		for _, r := range sim.repos {
			sim.act(r, d)
		}
		sum := f.run(t, sim.s)
		if sum.Failed != 0 || sum.Repos != len(sim.repos) {
			t.Fatalf("day %d: %+v", d, sum)
		}
		sim.record()
		// Each repository written to today is swept again, as a second
		// sweep of the day would: it must find GitHub as it should be and
		// leave it so. (Sweeping again what was not written to would
		// only repeat the day's first sweep.)
		written := sim.written()
		if len(written) == 0 {
			continue
		}
		before := state(sim.f, written...)
		f.gh.ResetRecording()
		for _, name := range written {
			if _, err := sim.s.Repo(context.Background(), installation, "acme", name); err != nil {
				t.Fatalf("day %d: sweeping %s again: %v", d, name, err)
			}
		}
		if w := writes(f.gh); len(w) != 0 {
			t.Fatalf("day %d: sweeping again wrote %v", d, w)
		}
		if after := state(sim.f, written...); after != before {
			t.Fatalf("day %d: sweeping again changed GitHub", d)
		}
		sim.replays += len(written)
	}

	t.Logf("%d repositories over %d days; %d swept twice on a day they were written to", len(sim.repos), simDays, sim.replays)
	if len(sim.repos) == simRepos {
		golden.Assert(t, "simulation.log", []byte(sim.log.String()))
	} else {
		sim.assertSampleOfGolden()
	}
	sim.checkTimeline()
	sim.checkFinalState()
}

// assertSampleOfGolden compares the log of a sample of the organization
// with the lines of testdata/simulation.log about the same repositories.
func (sim *simulation) assertSampleOfGolden() {
	t := sim.t
	full, err := os.ReadFile(filepath.Join("testdata", "simulation.log"))
	if err != nil {
		t.Fatal(err)
	}
	simulated := map[string]bool{}
	for _, r := range sim.repos {
		simulated[r.name] = true
	}
	var want strings.Builder
	for _, line := range strings.SplitAfter(string(full), "\n") {
		// "2026-12-01 Tue  svc00#1   opens, …" or "… svc16: search-2 closes …"
		if fields := strings.Fields(line); len(fields) > 2 && simulated[strings.TrimRight(strings.SplitN(fields[2], "#", 2)[0], ":")] {
			want.WriteString(line)
		}
	}
	if want.Len() == 0 {
		t.Fatalf("testdata/simulation.log has no line about the %d simulated repositories", len(sim.repos))
	}
	if diff := cmp.Diff(want.String(), sim.log.String()); diff != "" {
		t.Errorf("the sample's log differs from its lines of testdata/simulation.log (-want +got); "+
			"if the change is intended, rewrite the file with -update:\n%s", diff)
	}
}

// written lists the repositories the sweep wrote to since the recording
// was last reset.
func (sim *simulation) written() []string {
	var out []string
	for _, w := range writes(sim.f.gh) {
		if rest, ok := strings.CutPrefix(strings.Fields(w)[1], "/repos/acme/"); ok {
			out = append(out, strings.Split(rest, "/")[0])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// act is what r's team does this morning, before the sweep.
func (sim *simulation) act(r *simRepo, d int) {
	f, now := sim.f, sim.now
	if d == 3 && !r.staleUntil.IsZero() {
		r.stalePR = f.gh.OpenPull("acme", r.name, ghtest.PullSpec{Author: "dev", Title: "Tune the svc timeouts", When: now,
			HeadFiles: map[string]string{"svc/main.go": "package main // timeouts\n"}, RequestedTeams: []string{r.team}})
		r.pulls = append(r.pulls, r.stalePR.Number)
		sim.logf("%s: dev opens #%d and asks @acme/%s to review it", r.name, r.stalePR.Number, r.team)
	}
	if r.stalePR.Number != 0 && !now.Before(r.staleUntil) {
		sim.approveAndMerge(r, r.stalePR, r.member(1))
		sim.logf("%s: %s approves #%d, which merges", r.name, r.member(1), r.stalePR.Number)
		r.stalePR = ghtest.Pull{}
	}

	iss, st := sim.living(r)
	if iss == nil || iss.State != "open" {
		clear(r.seen)
		return
	}
	listed := map[string]bool{}
	for _, ref := range st.Items {
		listed[itemKind(ref)] = true
	}
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for k := range r.seen {
		if !listed[k] {
			delete(r.seen, k)
		}
	}
	for k := range listed {
		if _, ok := r.seen[k]; !ok {
			r.seen[k] = now
		}
	}
	waited := func(kind string, days int) bool {
		since, ok := r.seen[kind]
		return ok && kind != itemStale && !now.Before(since.AddDate(0, 0, days))
	}
	switch r.habit {
	case prompt:
		sim.fixByPull(r, work(func(k string) bool { return waited(k, 2) }))
	case slow:
		sim.fixByCommit(r, work(func(k string) bool { return waited(k, 25) }))
	case absent:
	case closer:
		if r.closedIn != st.Since && !now.Before(episodeStart(st).AddDate(0, 0, 1)) {
			f.gh.CloseIssue("acme", r.name, iss.Number)
			r.closedIn = st.Since
			sim.logf("%s: %s closes #%d by hand", r.name, r.member(2), iss.Number)
		}
		sim.fixByCommit(r, work(func(k string) bool { return waited(k, 10) }))
	case excepter:
		if waited(itemReview, 1) && r.exception.IsZero() {
			r.exception = now.AddDate(0, 0, 30)
			r.hasExceptions = true
			n := sim.pull(r, "Put off the ownership review of svc/", map[string]string{"svc/OWNERS_EXCEPTIONS.yaml": r.exceptionsFile()},
				"takes exception "+strings.ToUpper(r.name)+"-1 on the review until "+r.exception.Format(time.DateOnly))
			r.evidence = append(r.evidence, fmt.Sprintf("exception %s-1 (#%d, approved by `@%s`)", strings.ToUpper(r.name), n, r.member(2)))
		}
		var redo []string
		if waited(itemReview, 2) && !r.exception.IsZero() && now.After(r.exception) {
			redo = append(redo, itemReview)
		}
		if waited(itemRunbook, 2) {
			redo = append(redo, itemRunbook)
		}
		sim.fixByPull(r, redo)
	}
}

// living is r's one issue for svc/ and its state marker; a second one is a
// duplicate and fails the test.
func (sim *simulation) living(r *simRepo) (*ghtest.Issue, review.State) {
	var found *ghtest.Issue
	var st review.State
	for _, iss := range sim.f.gh.Issues("acme", r.name) {
		if iss.IsPull {
			continue
		}
		s, ok := review.ParseState(iss.Body)
		if !ok {
			sim.t.Fatalf("%s#%d has no state marker:\n%s", r.name, iss.Number, iss.Body)
		}
		if found != nil {
			sim.t.Fatalf("%s: a second issue #%d besides #%d", r.name, iss.Number, found.Number)
		}
		found, st = &iss, s
	}
	return found, st
}

// episodeStart is when the issue's current episode began.
func episodeStart(st review.State) time.Time {
	t, err := time.Parse(time.RFC3339, st.Since)
	if err != nil {
		panic(err)
	}
	return t
}

func itemKind(ref review.Ref) string {
	switch {
	case ref.PR != 0:
		return itemStale
	case ref.Path == "svc/OWNERS_EXCEPTIONS.yaml":
		return itemExpiring
	case ref.Path == "svc/runbooks/ops.md":
		return itemRunbook
	case ref.Path == "svc/OWNERS.yaml":
		return itemReview
	}
	return "other: " + ref.Text
}

// work is the reviews among the items the team has seen that ok accepts.
func work(ok func(string) bool) []string {
	var out []string
	for _, k := range []string{itemReview, itemRunbook} {
		if ok(k) {
			out = append(out, k)
		}
	}
	return out
}

// apply does the work: the reviews are done today.
func (sim *simulation) apply(r *simRepo, work []string) (map[string]string, string) {
	files := map[string]string{}
	for _, k := range work {
		switch k {
		case itemReview:
			r.reviewed, r.exception = sim.now, time.Time{}
			files["svc/OWNERS.yaml"] = r.ownersFile()
			if r.hasExceptions {
				files["svc/OWNERS_EXCEPTIONS.yaml"] = ghtest.Deleted
				r.hasExceptions = false
			}
		case itemRunbook:
			r.runbook = sim.now
			files["svc/runbooks/ops.md"] = r.runbookFile()
		}
	}
	what := map[string]string{itemReview: "the ownership", itemRunbook: "the runbook"}
	var did []string
	for _, k := range work {
		did = append(did, what[k])
	}
	return files, "reviews " + strings.Join(did, " and ")
}

func (sim *simulation) fixByCommit(r *simRepo, work []string) {
	if len(work) == 0 {
		return
	}
	files, what := sim.apply(r, work)
	sha := r.git.Commit("main", files, "Review svc/", sim.now)
	r.evidence = append(r.evidence, sha[:7])
	sim.logf("%s: %s %s in %s, straight on main", r.name, r.member(1), what, sha[:7])
}

func (sim *simulation) fixByPull(r *simRepo, work []string) {
	if len(work) == 0 {
		return
	}
	files, what := sim.apply(r, work)
	sim.pull(r, "Review svc/", files, what)
}

// pull opens a pull request by the team's first member, which the second
// approves and merges, and returns its number.
func (sim *simulation) pull(r *simRepo, title string, files map[string]string, what string) int {
	pr := sim.f.gh.OpenPull("acme", r.name, ghtest.PullSpec{Author: r.member(1), Title: title, When: sim.now, HeadFiles: files})
	r.pulls = append(r.pulls, pr.Number)
	sim.approveAndMerge(r, pr, r.member(2))
	r.evidence = append(r.evidence, fmt.Sprintf("(#%d)", pr.Number))
	sim.logf("%s: %s %s in #%d, approved and merged by %s", r.name, r.member(1), what, pr.Number, r.member(2))
	return pr.Number
}

func (sim *simulation) approveAndMerge(r *simRepo, pr ghtest.Pull, by string) {
	sim.f.gh.AddReview("acme", r.name, pr.Number, ghtest.Review{User: by, State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: sim.now})
	sim.f.gh.MergePull("acme", r.name, pr.Number, by)
}

func (sim *simulation) logf(format string, args ...any) {
	fmt.Fprintf(&sim.log, "%s %s  ", sim.now.Format(time.DateOnly), sim.now.Format("Mon"))
	fmt.Fprintf(&sim.log, format+"\n", args...)
}

var escalatedTo = regexp.MustCompile(`^(@\S+):`)

// record logs what the sweep changed on GitHub.
func (sim *simulation) record() {
	for _, r := range sim.repos {
		seen := sim.state[r.name]
		if seen == nil {
			seen = map[int]simIssue{}
			sim.state[r.name] = seen
		}
		for _, n := range r.pulls {
			comments := sim.f.gh.Comments("acme", r.name, n)
			for _, c := range comments[min(seen[n].comments, len(comments)):] {
				if strings.Contains(c.Body, review.StaleReviewMarker) {
					sim.logf("%s#%d   reminds @acme/%s of the review it waits on", r.name, n, r.team)
				}
			}
			seen[n] = simIssue{comments: len(comments)}
		}
		for _, iss := range sim.f.gh.Issues("acme", r.name) {
			old, known := seen[iss.Number]
			comments := sim.f.gh.Comments("acme", r.name, iss.Number)
			now := simIssue{state: iss.State, comments: len(comments)}
			if st, ok := review.ParseState(iss.Body); ok {
				for _, ref := range st.Items {
					now.items = append(now.items, itemKind(ref))
				}
			}
			seen[iss.Number] = now
			if !known {
				sim.logf("%s#%d   opens, listing %s", r.name, iss.Number, strings.Join(now.items, ", "))
			}
			noted := false
			for _, c := range comments[min(old.comments, len(comments)):] {
				for _, n := range review.ParseNotes(c.Body) {
					noted = true
					switch n.What {
					case review.Remind:
						sim.logf("%s#%d   reminder %d", r.name, iss.Number, n.N)
					case review.Escalate:
						to := escalatedTo.FindStringSubmatch(c.Body)
						sim.logf("%s#%d   escalation %d to %s", r.name, iss.Number, n.N, to[1])
					case review.Closed:
						sim.logf("%s#%d   closes: %s", r.name, iss.Number, evidenceOf(c.Body))
					case review.Reopened:
						sim.logf("%s#%d   reopens, listing %s", r.name, iss.Number, strings.Join(now.items, ", "))
					}
				}
			}
			if known && !noted && now.state == "open" && !slices.Equal(old.items, now.items) {
				sim.logf("%s#%d   now lists %s", r.name, iss.Number, strings.Join(now.items, ", "))
			}
		}
	}
}

var (
	shortSHA   = regexp.MustCompile("`([0-9a-f]{7})`")
	pullNumber = regexp.MustCompile(`\(#\d+\)`)
	pullRef    = regexp.MustCompile(`#\d+`)
)

// evidenceOf names what a closing comment cites: pull requests, or commits
// made straight on main.
func evidenceOf(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "- ") {
			continue
		}
		switch {
		case strings.Contains(line, "set aside by exception"):
			out = append(out, "exception "+pullRef.FindString(line))
		case pullNumber.MatchString(line):
			out = append(out, pullNumber.FindString(line))
		case shortSHA.MatchString(line):
			out = append(out, "a commit")
		case strings.Contains(line, "no longer waits"):
			out = append(out, "review given")
		default:
			out = append(out, "?")
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ", ")
}

// checkTimeline holds the log to the rules owners rely on: nothing on
// quiet days, reminders numbered in order on the backoff, escalation along
// the chain, no reminder for a team that does its work in time, and no
// close without evidence.
func (sim *simulation) checkTimeline() {
	t := sim.t
	type history struct {
		reminders, escalations int // in all
		// The last episode: when it began, its reminders and escalations.
		opened time.Time
		remind int
		chain  []string
		last   int // the last reminder's number
	}
	repos := map[string]*history{}
	for _, line := range strings.Split(strings.TrimSpace(sim.log.String()), "\n") {
		fields := strings.Fields(line)
		when, err := time.Parse(time.DateOnly, fields[0])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		name, _, isBot := strings.Cut(fields[2], "#")
		what := strings.Join(fields[3:], " ")
		if !isBot {
			continue
		}
		h := repos[name]
		if h == nil {
			h = &history{}
			repos[name] = h
		}
		quiet := when.Weekday() == time.Saturday || when.Weekday() == time.Sunday
		switch {
		case strings.HasPrefix(what, "opens"), strings.HasPrefix(what, "reopens"):
			h.opened, h.remind, h.chain, h.last = when, 0, nil, 0
		case strings.HasPrefix(what, "reminder"):
			n, _ := strconv.Atoi(fields[4])
			if n != h.last+1 {
				t.Errorf("%s: reminder %d follows reminder %d", line, n, h.last)
			}
			h.last = n
			h.remind++
			h.reminders++
		case strings.HasPrefix(what, "escalation"):
			h.chain = append(h.chain, fields[len(fields)-1])
			h.escalations++
		case strings.HasPrefix(what, "closes") && strings.Contains(what, "?"):
			t.Errorf("%s: a close that names no evidence", line)
		}
		if quiet && (strings.HasPrefix(what, "reminder") || strings.HasPrefix(what, "escalation")) {
			t.Errorf("%s: sent on a quiet day", line)
		}
	}
	// between counts the waits after opened that have passed by the last
	// day: at least those that passed two days before it (a weekend
	// defers a reminder), at most those that passed at all.
	last := sim.now
	between := func(opened time.Time, waits ...int) (lo, hi int) {
		for _, w := range waits {
			due := opened.AddDate(0, 0, w)
			if !due.After(last.AddDate(0, 0, -2)) {
				lo++
			}
			if !due.After(last) {
				hi++
			}
		}
		return lo, hi
	}
	for _, r := range sim.repos {
		h := repos[r.name]
		switch {
		case h == nil:
			t.Errorf("%s never had an issue", r.name)
		case r.habit == prompt && (h.reminders != 0 || h.escalations != 0):
			t.Errorf("%s does its work in two days, yet was reminded %d times and escalated %d times", r.name, h.reminders, h.escalations)
		case r.habit == absent:
			// Its last episode never ends.
			if lo, hi := between(h.opened, 7, 21, 49, 77, 105, 133); h.remind < lo || h.remind > hi {
				t.Errorf("%s never does its work: %d reminders since %s, want %d to %d", r.name, h.remind, h.opened.Format(time.DateOnly), lo, hi)
			}
			chain := []string{"@acme/platform", "@acme/governance"}
			if lo, hi := between(h.opened, 14, 30); len(h.chain) < lo || len(h.chain) > hi || !slices.Equal(h.chain, chain[:len(h.chain)]) {
				t.Errorf("%s never does its work: escalated to %v since %s, want %d to %d steps of %v", r.name, h.chain, h.opened.Format(time.DateOnly), lo, hi, chain)
			}
		}
	}
}

// checkFinalState compares GitHub with what a careful person would have
// left: an open issue exactly where work is due, listing exactly that
// work; closed ones citing the commits and pull requests that did it.
func (sim *simulation) checkFinalState() {
	t := sim.t
	end := sim.now
	overdue := func(last time.Time) bool { return last.AddDate(0, 0, 90).Before(end.Truncate(24 * time.Hour)) }
	for _, r := range sim.repos {
		var want []string
		excepted := !r.exception.IsZero() && !r.exception.Before(end.Truncate(24*time.Hour))
		if overdue(r.reviewed) && !excepted {
			want = append(want, itemReview)
		}
		if overdue(r.runbook) {
			want = append(want, itemRunbook)
		}
		if excepted && r.exception.Before(end.AddDate(0, 0, 14)) {
			want = append(want, itemExpiring)
		}
		if r.stalePR.Number != 0 {
			want = append(want, itemStale)
		}
		iss, st := sim.living(r)
		var got []string
		if iss != nil && iss.State == "open" {
			for _, ref := range st.Items {
				got = append(got, itemKind(ref))
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s): the issue lists %v, but %v is due", r.name, r.habit, got, want)
		}
		if iss == nil {
			continue
		}
		for _, c := range sim.f.gh.Comments("acme", r.name, iss.Number) {
			for _, n := range review.ParseNotes(c.Body) {
				if n.What != review.Closed {
					continue
				}
				for _, line := range strings.Split(c.Body, "\n") {
					if strings.HasPrefix(line, "- ") && !strings.Contains(line, "no longer waits") &&
						!slices.ContainsFunc(r.evidence, func(e string) bool { return strings.Contains(line, e) }) {
						t.Errorf("%s#%d closed citing what the team did not do: %s", r.name, iss.Number, line)
					}
				}
			}
		}
	}
	if t.Failed() {
		return
	}
	// The organization ends as it began: replaying the last morning with a
	// fresh process changes nothing either.
	sim.f.gh.ResetRecording()
	if _, err := sim.f.sweeper(t, nil).Run(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if w := writes(sim.f.gh); len(w) != 0 {
		t.Errorf("a new process replaying the last day wrote %v", w)
	}
}
