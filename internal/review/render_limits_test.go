package review

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/gfm/gfmtest"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// issueHTML is the HTML an issue body may hold: its marker and the App's
// own tags.
func issueHTML(body string) []string {
	html := []string{"<sub>", "</sub>"}
	if i := strings.Index(body, statePrefix); i >= 0 {
		html = append(html, body[i:])
	}
	return html
}

func longPath(i, n int) string {
	p := fmt.Sprintf("payments/runbooks/%03d-", i)
	return p + strings.Repeat("x", n-len(p)-3) + ".md"
}

// Row 6 of issue 14: a living issue with 60 items on ~750-character paths
// rendered a 121,598-character body, which GitHub refuses with 422, so the
// issue was never opened. Now the body fits, lists what fits, says how
// many it left out and where the full list is, and its marker is whole and
// remembers exactly what the body lists.
func TestBodyOfLongPathsFits(t *testing.T) {
	var findings []policy.Finding
	for i := range 60 {
		findings = append(findings, runbookDue("payments/", longPath(i, 750), "2026-10-20", "@acme/payments"))
	}
	desired := Plan(Input{Repo: "acme/shop", Now: monday, Config: settings(), Units: units(), Findings: findings})
	acts := Reconcile("acme/shop", monday, settings(), desired, nil, nil)
	body := acts[0].Body
	if n := utf8.RuneCountInString(body); len(body) > gfm.MaxBody || n > gfm.MaxBody {
		t.Fatalf("body of %d bytes, %d characters: more than GitHub takes", len(body), n)
	}
	listed := strings.Count(body, "\n- [ ] ")
	if listed < 20 || listed >= 50 {
		t.Errorf("%d items listed, want as many as fit, below the 50 a body lists at most", listed)
	}
	want := fmt.Sprintf("- … and %d more items, listed as the ones above are done; `ownerbot check` on the default branch lists them all.\n", 60-listed)
	if !strings.Contains(body, want) {
		t.Errorf("the body does not say what it left out (want %q):\n%s", want, body[len(body)-3000:])
	}
	st, ok := ParseState(body)
	if !ok {
		t.Fatalf("the marker does not parse:\n%s", body[len(body)-500:])
	}
	if len(st.Items) != listed {
		t.Errorf("the marker remembers %d items, the body lists %d", len(st.Items), listed)
	}
	for _, ref := range st.Items {
		if !strings.Contains(body, "("+gfm.Code(ref.Path+":2")+")") {
			t.Errorf("the marker remembers %s, which the body does not list", ref.Path)
		}
	}
	for _, p := range gfmtest.Problems(body, []string{"@acme/payments", "@acme/platform", "@acme/governance"}, issueHTML(body)...) {
		t.Error(p)
	}
	t.Logf("60 items on 750-character paths: a body of %d bytes listing %d", len(body), listed)
}

// A body exactly at GitHub's limit comes out whole; one byte more and the
// last item gives way to the line that counts it.
func TestBodyAtTheLimit(t *testing.T) {
	d := &Desired{ID: Identity{KindUnit, "payments/"}, Owner: "@acme/payments", Mentions: []string{"@acme/payments"}}
	for i := range 40 {
		d.Items = append(d.Items, Item{Key: key(fmt.Sprint(i)), Rule: policy.RunbookOverdue, Path: longPath(i, 600), Line: 2,
			Text: "The review of this runbook was due on 2026-10-20", Remedy: "review it", Due: date("2026-10-20"),
			Owners: []string{"@acme/payments"}, Unit: "payments/"})
	}
	r := reconciler{now: monday}
	st := State{V: 1, Identity: d.ID, Since: monday.Format(sinceLayout), Items: r.refs(d.Items, nil)}
	repo := func(pad int) string { return "acme/shop" + strings.Repeat("x", pad) }
	whole := len(Body(repo(0), d, st))
	if whole >= gfm.MaxBody {
		t.Fatalf("40 items already take %d bytes", whole)
	}
	pad := gfm.MaxBody - whole
	at := Body(repo(pad), d, st)
	if len(at) != gfm.MaxBody || strings.Count(at, "\n- [ ] ") != 40 {
		t.Errorf("at the limit: %d bytes, %d items listed; want %d and 40", len(at), strings.Count(at, "\n- [ ] "), gfm.MaxBody)
	}
	past := Body(repo(pad+1), d, st)
	if len(past) > gfm.MaxBody {
		t.Errorf("one past the limit: %d bytes", len(past))
	}
	if !strings.Contains(past, "- … and 1 more item, listed as the ones above are done") {
		t.Errorf("one past the limit, it does not say what it left out:\n%s", past[len(past)-2000:])
	}
	if s, ok := ParseState(past); !ok || len(s.Items) != 39 {
		t.Errorf("one past the limit: marker parses %v, remembers %d items, want 39", ok, len(s.Items))
	}
}

// The done list gives way before the items due, oldest first.
func TestBodyDropsOldestDoneFirst(t *testing.T) {
	d := &Desired{ID: Identity{KindUnit, "payments/"}, Owner: "@acme/payments"}
	for i := range 10 {
		d.Items = append(d.Items, Item{Key: key(fmt.Sprint(i)), Rule: policy.RunbookOverdue, Path: longPath(i, 100),
			Text: "due", Owners: []string{"@acme/payments"}, Unit: "payments/"})
	}
	st := State{V: 1, Identity: d.ID, Since: monday.Format(sinceLayout), Items: reconciler{now: monday}.refs(d.Items, nil)}
	for i := range maxDone {
		st.Done = append(st.Done, Ref{Key: key(fmt.Sprint("done", i)), Text: fmt.Sprintf("done %02d ", i) + strings.Repeat("y", 100),
			Path: longPath(i, 1000), First: "2026-10-01", Evidence: "no longer found on 2026-11-02"})
	}
	body := Body("acme/shop", d, st)
	if len(body) > gfm.MaxBody {
		t.Fatalf("%d bytes", len(body))
	}
	s, ok := ParseState(body)
	if !ok || len(s.Items) != 10 || len(s.Done) == 0 || len(s.Done) == maxDone {
		t.Fatalf("marker parses %v: %d items, %d done; want all 10 items and some, not all, done", ok, len(s.Items), len(s.Done))
	}
	if s.Done[len(s.Done)-1].Key != st.Done[maxDone-1].Key {
		t.Error("the newest done item was left out")
	}
	if want := fmt.Sprintf("- … and %d items done earlier.\n", maxDone-len(s.Done)); !strings.Contains(body, want) {
		t.Errorf("does not count the done items left out (%q)", want)
	}
}

// A unit whose very name is too long (its marker holds it, and so does
// the first line) still gets a body, cut, with its marker whole.
func TestBodyOfAHugeName(t *testing.T) {
	name := strings.Repeat("n", 40_000) + "/"
	d := &Desired{ID: Identity{KindUnit, name}, Owner: "@a", Items: []Item{{Key: "k", Rule: policy.RunbookMissing, Text: "x", Unit: name}}}
	st := State{V: 1, Identity: d.ID, Since: monday.Format(sinceLayout)}
	body := Body("acme/shop", d, st)
	if _, ok := ParseState(body); len(body) > gfm.MaxBody || !ok || !strings.Contains(body, "cut here") {
		t.Errorf("%d bytes, marker parses %v:\n%.300s", len(body), ok, body)
	}
	if got := title(d.ID); len(got) > maxTitle || !strings.HasSuffix(got, "…") {
		t.Errorf("title of %d bytes", len(got))
	}
}

// Comments stay within GitHub's limit whatever they quote.
func TestCommentsFit(t *testing.T) {
	name := strings.Repeat("n", 100_000) + "/"
	var asked []string
	for i := range 5000 {
		asked = append(asked, fmt.Sprintf("@acme/team-%04d-%s", i, strings.Repeat("t", 20)))
	}
	d := &Desired{ID: Identity{KindUnit, name}, Owner: "@a", Assignees: []string{"a"}, Mentions: asked,
		Items: []Item{{Key: "k", Rule: policy.RunbookMissing, Text: "x", Unit: name}}}
	var steps []Step
	for _, a := range asked {
		steps = append(steps, Step{1, a})
	}
	for name, c := range map[string]string{
		"notify": notifyComment(d, monday, steps, true, monday.Add(48*time.Hour)),
		"stale":  staleComment(StalePR{Number: 1, Asked: asked, Since: monday, SLA: 3}),
	} {
		if len(c) > maxComment+len(StaleReviewMarker) {
			t.Errorf("%s comment of %d bytes", name, len(c))
		}
	}
}

// FuzzIssueBody renders a living issue with a hostile path, owner and
// text (a pull request title, a message that quotes a file) and checks it
// as GitHub reads it: it mentions only the plan's owners, holds no HTML
// but its marker and the App's tags, and keeps its shape.
func FuzzIssueBody(f *testing.F) {
	f.Add("payments/runbooks/a.md", "@acme/payments", "The review of this runbook was due on 2026-10-20")
	f.Add("a`b\n# pwned <!-- x -->", "@victim-user", "Pull request #7 (@org/everyone <!-- ownerbot:living {} -->) has waited")
	f.Add("x|y", "me@example.com", "1. list\n- item\n> quote [x](y) http://evil.example")
	body := func(path, owner, text string) string {
		d := &Desired{ID: Identity{KindUnit, "payments/"}, Owner: "@acme/payments", Mentions: []string{"@acme/payments"},
			Escalation: []Step{{14, "@acme/platform"}},
			Items: []Item{{Key: "k1", Rule: policy.RunbookOverdue, Path: path, Line: 2, Text: text, Remedy: text, Due: date("2026-10-20"),
				Owners: []string{owner}, Unit: "payments/", Lapsed: text}}}
		st := State{V: 1, Identity: d.ID, Since: monday.Format(sinceLayout), Items: []Ref{{Key: "k1", Text: text, Path: path, First: "2026-11-02"}},
			Done: []Ref{{Key: "k0", Text: text, Path: path, First: "2026-10-01", Evidence: text}}}
		return Body("acme/shop", d, st)
	}
	shape := func(md string) string {
		doc, err := gfmtest.Parse(md)
		if err != nil {
			f.Fatal(err)
		}
		return doc.Shape()
	}
	benign := map[bool]string{false: shape(body("p", "@o", "m")), true: shape(body("p", "@o", ""))}
	f.Fuzz(func(t *testing.T, path, owner, text string) {
		md := body(path, owner, text)
		allowed := []string{"@acme/payments", "@acme/platform"}
		if gfm.NewQuoter(owner).Owner(owner) == owner {
			allowed = append(allowed, strings.ToLower(owner)) // the plan's own owner
		}
		for _, p := range gfmtest.Problems(md, allowed, issueHTML(md)...) {
			t.Errorf("%s in:\n%s", p, md)
		}
		// A body too long for GitHub drops its done items first, which
		// changes its shape by design (TestBodyDropsOldestDoneFirst).
		fits := !strings.Contains(md, "… and ") && !strings.Contains(md, gfm.CutNote)
		if got, want := shape(md), benign[gfm.NewQuoter().Text(text) == ""]; fits && got != want {
			t.Errorf("the quoted text changes the body's shape:\n%s\nwant:\n%s\nin:\n%s", got, want, md)
		}
		if _, ok := ParseState(md); !ok {
			t.Errorf("the marker does not parse:\n%s", md)
		}
	})
}
