package review

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/golden"
	"github.com/ownerbot/ownerbot/internal/policy"
)

var monday = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC) // a Monday

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func settings() config.Issues { return config.Default().Issues }

func units() []Unit {
	return []Unit{
		{Name: "/", Owner: "@acme/platform", Escalation: []Step{{30, "@acme/governance"}}},
		{Name: "payments/", Owner: "@acme/payments", Escalation: []Step{{14, "@acme/platform"}, {30, "@acme/governance"}}},
		{Name: "tools/", Owner: "@alice"},
	}
}

func reviewDue(unit, path, due string) policy.Finding {
	return policy.Finding{
		Rule: policy.OwnersReviewOverdue, Severity: policy.Warning, Path: path, Line: 4, Unit: unit,
		Message: "the ownership review of " + unit + " was due on " + due + ", 9 days ago", Remedy: "review OWNERS.yaml and update review.last_reviewed",
		Due: date(due), Subject: "the ownership review of " + unit, Owners: []string{"@acme/payments"},
	}
}

func runbookDue(unit, path, due string, owner string) policy.Finding {
	return policy.Finding{
		Rule: policy.RunbookOverdue, Severity: policy.Warning, Path: path, Line: 2, Unit: unit,
		Message: "the review of this runbook was due on " + due + ", 3 days ago", Remedy: "review the runbook with the on-call and set last_reviewed to today",
		Due: date(due), Subject: "the review of this runbook", Owners: []string{owner},
	}
}

func expiring(unit, path, id, on string) policy.Finding {
	return policy.Finding{
		Rule: policy.ExceptionExpiring, Severity: policy.Info, Path: path, Line: 3, Unit: unit,
		Message: id + " (runbook.missing) expires on " + on + ", in 5 days", Remedy: "fix the finding it waives, or renew the exception through a pull request",
		Due: date(on), Subject: id + " (runbook.missing)", Owners: []string{"@acme/payments"},
	}
}

func TestPlan(t *testing.T) {
	findings := []policy.Finding{
		reviewDue("payments/", "payments/OWNERS.yaml", "2026-10-01"),
		runbookDue("payments/", "payments/runbooks/failover.md", "2026-09-15", "@bob"),
		expiring("payments/", "payments/OWNERS_EXCEPTIONS.yaml", "PAY-1", "2026-11-20"),
		{Rule: policy.CodeownersUnowned, Severity: policy.Warning, Path: "tools/", Unit: "tools/", Message: "3 files have no owner", Owners: []string{"@alice"}},
		{Rule: policy.CodeownersNoMatch, Severity: policy.Info, Path: ".github/CODEOWNERS", Unit: "/", Message: "below the threshold"},
		{Rule: policy.RunbookMissing, Severity: policy.Error, Path: "tools/OWNERS.yaml", Unit: "tools/", Message: "waived", ExceptedBy: "T-1"},
		{Rule: policy.TransferUnapproved, Severity: policy.Error, Path: "payments/", Unit: "payments/", Message: "about a pull request"},
	}
	stale := []StalePR{{Number: 7, Title: "Rotate keys", Asked: []string{"@acme/payments"}, Since: date("2026-10-26"), Due: date("2026-10-29"), Unit: "payments/", SLA: 3}}
	got := Plan(Input{Repo: "acme/shop", Now: monday, Config: settings(), Units: units(), Findings: findings, Stale: stale})

	type brief struct {
		ID        Identity
		Items     []string
		Assignees []string
		Mentions  []string
		Steps     []Step
	}
	var briefs []brief
	for _, d := range got {
		var items []string
		for _, it := range d.Items {
			items = append(items, it.Rule+" "+it.Path+fmt.Sprint(it.PR))
		}
		briefs = append(briefs, brief{d.ID, items, d.Assignees, d.Mentions, d.Escalation})
	}
	want := []brief{
		{
			ID: Identity{KindUnit, "payments/"},
			Items: []string{ // dated items by due date
				"runbook.overdue payments/runbooks/failover.md0",
				"owners.review_overdue payments/OWNERS.yaml0",
				"review.stale_pr 7",
				"exception.expiring payments/OWNERS_EXCEPTIONS.yaml0", // info, but always listed
			},
			Assignees: []string{"bob"}, Mentions: []string{"@acme/payments"},
			Steps: []Step{{14, "@acme/platform"}, {30, "@acme/governance"}},
		},
		{ID: Identity{KindUnit, "tools/"}, Items: []string{"codeowners.unowned tools/0"}, Assignees: []string{"alice"}},
	}
	if diff := cmp.Diff(want, briefs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	cfg := settings()
	cfg.GroupBy = config.Team
	digests := Plan(Input{Repo: "acme/shop", Now: monday, Config: cfg, Units: units(), Findings: findings, Stale: stale})
	var ids []Identity
	for _, d := range digests {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff([]Identity{{KindTeam, "@acme/payments"}, {KindTeam, "@alice"}}, ids); diff != "" {
		t.Errorf("digests by owning team (-want +got):\n%s", diff)
	}

	cfg = settings()
	cfg.Enabled = false
	if got := Plan(Input{Config: cfg, Findings: findings}); len(got) != 0 {
		t.Errorf("issues.enabled: false plans %d issues", len(got))
	}
}

// The item keys stay put while a date moves the numbers in a message.
func TestPlanKeysIgnoreNumbers(t *testing.T) {
	a := reviewDue("payments/", "payments/OWNERS.yaml", "2026-10-01")
	b := a
	b.Message = strings.Replace(b.Message, "9 days", "10 days", 1)
	pa := Plan(Input{Config: settings(), Units: units(), Findings: []policy.Finding{a}})
	pb := Plan(Input{Config: settings(), Units: units(), Findings: []policy.Finding{b}})
	if pa[0].Items[0].Key != pb[0].Items[0].Key || pa[0].Items[0].Text != pb[0].Items[0].Text {
		t.Errorf("the item changed with the day count: %+v vs %+v", pa[0].Items[0], pb[0].Items[0])
	}
}

func TestMarkers(t *testing.T) {
	st := State{V: 1, Identity: Identity{KindUnit, "a --> b/"}, Since: "2026-11-02T06:00:00Z",
		Items: []Ref{{Key: "k", Text: "text with --> and <b>", Path: "a/OWNERS.yaml", First: "2026-11-02"}}}
	body := "intro\n" + st.Marker() + "\ntrailer"
	if strings.Count(body, "-->") != 1 {
		t.Fatalf("the marker can be ended early: %s", body)
	}
	got, ok := ParseState(body)
	if !ok {
		t.Fatal("marker not found")
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	n1 := Note{st.Identity, st.Since, Remind, 2}
	n2 := Note{st.Identity, st.Since, Escalate, 1}
	notes := ParseNotes("hi\n" + n1.Marker() + "\n" + n2.Marker())
	if diff := cmp.Diff([]Note{n1, n2}, notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "<!-- ownerbot:living {", "<!-- ownerbot:living {\"v\":2,\"kind\":\"unit\",\"name\":\"/\"} -->", "<!-- ownerbot:living {\"v\":1} -->"} {
		if _, ok := ParseState(bad); ok {
			t.Errorf("ParseState(%q) accepted", bad)
		}
	}
}

func FuzzMarkers(f *testing.F) {
	st := State{V: 1, Identity: Identity{KindUnit, "/"}, Since: "2026-11-02T06:00:00Z", Items: []Ref{{Key: "k", Text: "t", First: "2026-11-02"}}}
	f.Add(st.Marker())
	f.Add(Note{st.Identity, st.Since, Remind, 1}.Marker() + "<!-- ownerbot:note {")
	f.Fuzz(func(t *testing.T, body string) {
		if s, ok := ParseState(body); ok {
			again, ok := ParseState(s.Marker())
			if !ok || again.Identity != s.Identity || again.Since != s.Since {
				t.Fatalf("a parsed state does not round-trip: %+v", s)
			}
		}
		for _, n := range ParseNotes(body) {
			if got := ParseNotes(n.Marker()); len(got) != 1 || got[0] != n {
				t.Fatalf("a parsed note does not round-trip: %+v", n)
			}
		}
	})
}

// store is an in-memory GitHub for the reconciler: it applies actions as
// the sweep would.
type store struct {
	issues   []*Existing
	comments map[int][]string
	log      []string
}

func newStore() *store { return &store{comments: map[int][]string{}} }

func (s *store) existing() []Existing {
	var out []Existing
	for _, e := range s.issues {
		c := *e
		c.NotesRead = true
		c.Notes = nil
		if c.NotesRead {
			for _, body := range s.comments[e.Number] {
				c.Notes = append(c.Notes, ParseNotes(body)...)
			}
		}
		out = append(out, c)
	}
	return out
}

func (s *store) apply(day time.Time, actions []Action) {
	for _, a := range actions {
		s.log = append(s.log, day.Format("2006-01-02 Mon")+" "+a.ID.String()+": "+a.Summary)
		var e *Existing
		if a.Op == Create {
			e = &Existing{Number: len(s.issues) + 1, State: "open", Title: a.Title, Body: a.Body, Labels: a.Labels, Assignees: a.Assignees}
			s.issues = append(s.issues, e)
			continue
		}
		e = s.issues[a.Number-1]
		if a.Comment != "" && a.CommentFirst {
			s.comments[a.Number] = append(s.comments[a.Number], a.Comment)
		}
		if a.Title != "" {
			e.Title = a.Title
		}
		if a.Body != "" {
			e.Body = a.Body
		}
		if a.State != "" {
			e.State = a.State
		}
		e.Labels = append(e.Labels, a.Labels...)
		e.Assignees = append(e.Assignees, a.Assignees...)
		if a.Comment != "" && !a.CommentFirst {
			s.comments[a.Number] = append(s.comments[a.Number], a.Comment)
		}
	}
}

// The life of one unit's issue over 120 days: opened when work falls due,
// reminded on the 7/14/28-day backoff but never at the weekend, escalated
// along the chain, closed when a commit shows the work done, reopened when
// a person closes it while work is still due. Each day runs twice: the
// second run must write nothing.
func TestLifecycle(t *testing.T) {
	s := newStore()
	cfg := settings()
	start := date("2026-11-02").Add(6 * time.Hour) // Monday
	runbookFixed := start.AddDate(0, 0, 40)        // the runbook is reviewed
	reviewFixed := start.AddDate(0, 0, 55)         // and the ownership review done
	humanClose := start.AddDate(0, 0, 70)          // someone closes it while work is due
	evidence := func(ref Ref, since time.Time) string {
		if since.IsZero() {
			t.Errorf("evidence for %s asked without the day it was listed", ref.Text)
		}
		return "fixed in abc1234 (#" + itoa(len(ref.Path)) + ")"
	}
	for d := 0; d <= 120; d++ {
		now := start.AddDate(0, 0, d)
		var findings []policy.Finding
		if now.Before(runbookFixed) {
			findings = append(findings, runbookDue("payments/", "payments/runbooks/failover.md", "2026-10-20", "@acme/payments"))
		}
		if now.Before(reviewFixed) || !now.Before(humanClose) && d < 100 {
			findings = append(findings, reviewDue("payments/", "payments/OWNERS.yaml", "2026-10-01"))
		}
		desired := Plan(Input{Repo: "acme/shop", Now: now, Config: cfg, Units: units(), Findings: findings})
		acts := Reconcile("acme/shop", now, cfg, desired, s.existing(), evidence)
		s.apply(now, acts)
		if again := Reconcile("acme/shop", now, cfg, desired, s.existing(), evidence); len(again) != 0 {
			t.Fatalf("day %d: a second run wants to write: %+v", d, again)
		}
		if now.Equal(humanClose) {
			s.issues[0].State = "closed" // by a person, with the review still due
		}
	}
	golden.Assert(t, "lifecycle.log", []byte(strings.Join(s.log, "\n")+"\n"))
	if len(s.issues) != 1 {
		t.Fatalf("%d issues for one unit", len(s.issues))
	}
	golden.Assert(t, "lifecycle-final.md", []byte(s.issues[0].Body))
	golden.Assert(t, "lifecycle-comments.md", []byte(strings.Join(s.comments[1], "\n---\n")))
	for _, line := range s.log {
		if strings.Contains(line, " Sat ") || strings.Contains(line, " Sun ") {
			if strings.Contains(line, "remind") || strings.Contains(line, "escalate") {
				t.Errorf("a reminder on a quiet day: %s", line)
			}
		}
	}
}

// Sweeps that raced to open the same issue converge on the oldest one.
func TestDuplicatesConverge(t *testing.T) {
	s := newStore()
	cfg := settings()
	findings := []policy.Finding{reviewDue("payments/", "payments/OWNERS.yaml", "2026-10-01")}
	desired := Plan(Input{Repo: "acme/shop", Now: monday, Config: cfg, Units: units(), Findings: findings})
	// Three sweeps saw no issue and each opened one.
	for range 3 {
		s.apply(monday, Reconcile("acme/shop", monday, cfg, desired, nil, nil))
	}
	acts := Reconcile("acme/shop", monday, cfg, desired, s.existing(), nil)
	s.apply(monday, acts)
	if len(acts) != 2 || acts[0].Number != 2 || acts[1].Number != 3 || acts[0].State != "closed" {
		t.Fatalf("want #2 and #3 closed as duplicates of #1, got %+v", acts)
	}
	if again := Reconcile("acme/shop", monday, cfg, desired, s.existing(), nil); len(again) != 0 {
		t.Errorf("converged state still has writes: %+v", again)
	}
	// Closed duplicates are never reopened, even when the work is done and
	// falls due again.
	later := monday.AddDate(0, 0, 1)
	s.apply(later, Reconcile("acme/shop", later, cfg, nil, s.existing(), nil))
	later = later.AddDate(0, 0, 1)
	acts = Reconcile("acme/shop", later, cfg, desired, s.existing(), nil)
	if len(acts) != 1 || acts[0].Number != 1 || acts[0].State != "open" {
		t.Errorf("only the living issue reopens: %+v", acts)
	}
}

func TestRemindersDue(t *testing.T) {
	waits := []int{7, 14, 28}
	for _, c := range []struct{ elapsed, want int }{{0, 0}, {6, 0}, {7, 1}, {20, 1}, {21, 2}, {48, 2}, {49, 3}, {77, 4}, {105, 5}} {
		if got := remindersDue(waits, c.elapsed); got != c.want {
			t.Errorf("after %d days: %d reminders, want %d", c.elapsed, got, c.want)
		}
	}
	if remindersDue(nil, 100) != 0 {
		t.Error("no waits, no reminders")
	}
}

// Every text the bot writes, as people read it.
func TestTexts(t *testing.T) {
	findings := []policy.Finding{
		reviewDue("payments/", "payments/OWNERS.yaml", "2026-10-01"),
		runbookDue("payments/", "payments/runbooks/failover.md", "2026-09-15", "@bob"),
		expiring("payments/", "payments/OWNERS_EXCEPTIONS.yaml", "PAY-1", "2026-11-20"),
		{Rule: policy.ExceptionUnapproved, Severity: policy.Error, Path: "payments/OWNERS_EXCEPTIONS.yaml", Line: 9, Unit: "payments/",
			Message: "PAY-2 (runbook.missing) was merged in #31 without an eligible approval, so it has no effect", Owners: []string{"@acme/payments"},
			Remedy: "an approving review from @acme/payments-leads on a pull request that changes the entry ratifies it"},
		{Rule: policy.RunbookMissing, Severity: policy.Error, Path: "payments/OWNERS.yaml", Line: 6, Unit: "payments/", Lapsed: "PAY-3",
			Message: "payments/ is a production tier-1 unit with no runbook (exception PAY-3 expired on 2026-10-31)", Owners: []string{"@acme/payments"}},
	}
	stale := []StalePR{{Number: 7, Title: "Rotate the signing keys", Author: "carol", Asked: []string{"@acme/payments", "@dave"}, Since: date("2026-10-26"), Due: date("2026-10-29"), Unit: "payments/", SLA: 3}}
	desired := Plan(Input{Repo: "acme/shop", Now: monday, Config: settings(), Units: units(), Findings: findings, Stale: stale})
	create := Reconcile("acme/shop", monday, settings(), desired, nil, nil)
	golden.Assert(t, "issue-body.md", []byte(create[0].Body))

	s := newStore()
	s.apply(monday, create)
	day15 := monday.AddDate(0, 0, 15)
	acts := Reconcile("acme/shop", day15, settings(), desired, s.existing(), nil)
	golden.Assert(t, "comment-escalation.md", []byte(acts[0].Comment))
	s.apply(day15, acts)
	day21 := monday.AddDate(0, 0, 21)
	acts = Reconcile("acme/shop", day21, settings(), desired, s.existing(), nil)
	golden.Assert(t, "comment-reminder.md", []byte(acts[0].Comment))

	done := Reconcile("acme/shop", day21, settings(), nil, s.existing(), func(ref Ref, _ time.Time) string {
		if ref.PR != 0 {
			return "#" + itoa(ref.PR) + " no longer waits on its owners"
		}
		return "fixed in [`0a1b2c3`](https://github.com/acme/shop/commit/0a1b2c3) (#40)"
	})
	golden.Assert(t, "comment-close.md", []byte(done[0].Comment))
	golden.Assert(t, "issue-body-closed.md", []byte(done[0].Body))
	s.apply(day21, done)
	s.issues[0].Body = strings.Replace(s.issues[0].Body, `"done"`, `"items":[{"k":"x","t":"x","s":"2026-11-02"}],"x"`, 1) // as if closed by hand
	reopen := Reconcile("acme/shop", day21, settings(), desired, s.existing(), nil)
	golden.Assert(t, "comment-reopen.md", []byte(reopen[0].Comment))
	golden.Assert(t, "comment-stale-review.md", []byte(StaleReminders(stale, func(int) bool { return false })[0].Comment))
	if got := StaleReminders(stale, func(int) bool { return true }); len(got) != 0 {
		t.Errorf("a pull request is reminded once: %+v", got)
	}
	dups := Reconcile("acme/shop", monday, settings(), desired, []Existing{
		{Number: 1, State: "open", Body: create[0].Body}, {Number: 2, State: "open", Body: create[0].Body}}, nil)
	golden.Assert(t, "issue-body-duplicate.md", []byte(dups[0].Body))
}

// Items beyond what a body may hold are counted, not listed.
func TestBodyBounded(t *testing.T) {
	var findings []policy.Finding
	for i := range 5000 {
		findings = append(findings, runbookDue("payments/", fmt.Sprintf("payments/runbooks/r%04d-%s.md", i, strings.Repeat("x", 40)), "2026-10-20", "@acme/payments"))
	}
	desired := Plan(Input{Repo: "acme/shop", Now: monday, Config: settings(), Units: units(), Findings: findings})
	acts := Reconcile("acme/shop", monday, settings(), desired, nil, nil)
	body := acts[0].Body
	if len(body) > 65536 {
		t.Errorf("body is %d characters, more than GitHub takes", len(body))
	}
	if !strings.Contains(body, "… and 4950 more items") {
		t.Errorf("the rest is not counted: %s", body[len(body)-2000:])
	}
	if _, ok := ParseState(body); !ok {
		t.Error("the marker of a long body does not parse")
	}
}

func BenchmarkPlan10000Units(b *testing.B) {
	var us []Unit
	var findings []policy.Finding
	for i := range 10000 {
		name := fmt.Sprintf("svc%05d/", i)
		us = append(us, Unit{Name: name, Owner: fmt.Sprintf("@acme/team%03d", i%300), Escalation: []Step{{14, "@acme/platform"}}})
		findings = append(findings, reviewDue(name, name+"OWNERS.yaml", "2026-10-01"))
		if i%3 == 0 {
			findings = append(findings, runbookDue(name, name+"runbooks/a.md", "2026-09-01", "@acme/sre"))
		}
	}
	in := Input{Repo: "acme/mono", Now: monday, Config: settings(), Units: us, Findings: findings}
	b.ReportAllocs()
	for b.Loop() {
		if got := Plan(in); len(got) != 10000 {
			b.Fatalf("%d issues", len(got))
		}
	}
}

func TestMissing(t *testing.T) {
	if got := missing([]string{"ownerbot", "Gov"}, []string{"gov", "other"}); !slices.Equal(got, []string{"ownerbot"}) {
		t.Errorf("missing = %v", got)
	}
}

func TestWorkingDaysAfter(t *testing.T) {
	fri := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		n    int
		want string
	}{{0, "2026-11-27"}, {1, "2026-11-30"}, {3, "2026-12-02"}, {5, "2026-12-04"}, {6, "2026-12-07"}} {
		if got := WorkingDaysAfter(fri, c.n).Format(time.DateOnly); got != c.want {
			t.Errorf("%d working days after Friday: %s, want %s", c.n, got, c.want)
		}
	}
	sat := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	if got := WorkingDaysAfter(sat, 1).Format(time.DateOnly); got != "2026-11-30" {
		t.Errorf("1 working day after Saturday: %s", got)
	}
}
