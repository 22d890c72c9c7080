package review

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/config"
)

// An Existing issue is one the bot's label found on GitHub, open or closed.
type Existing struct {
	Number    int
	State     string // "open" or "closed"
	Title     string
	Body      string
	Labels    []string
	Assignees []string
	// Notes are the markers of the bot's comments. They are read for open
	// issues only; NotesRead says they were, and without them no reminder
	// or escalation is sent (never remind blind).
	Notes     []Note
	NotesRead bool
}

// Op is the kind of write an Action asks for.
type Op string

// Ops.
const (
	Create    Op = "create"     // open a new issue
	Edit      Op = "edit"       // change an issue and/or comment on it
	CommentPR Op = "comment-pr" // the one stale-review reminder on a pull request
)

// An Action is the writes that bring one issue to its plan. The sweep
// carries them out in this order: the comment first when CommentFirst,
// else the issue's change, then the comment.
type Action struct {
	Op Op
	// Kind names the change for people and counters: open, update, remind,
	// escalate, close, reopen, duplicate, stale-review.
	Kind   string
	ID     Identity
	Number int // the issue or pull request; 0 to create

	Title string // set to create, or to change the title
	Body  string // set to create, or to change the body
	// Labels and Assignees are added, never removed: people may add their
	// own.
	Labels    []string
	Assignees []string
	State     string // "open" or "closed" to change the state
	Reason    string // the state_reason of a close: completed or not_planned

	// Comment is a comment to write; Marker is the unique marker in it by
	// which a write whose answer was lost is found again.
	Comment      string
	Marker       string
	CommentFirst bool

	// Summary says in one line what the action does and why.
	Summary string
}

// Writes counts the requests an action takes.
func (a Action) Writes() int {
	n := 0
	if a.Op == Create || a.Title != "" || a.Body != "" || a.State != "" {
		n++
	}
	if a.Op != Create && len(a.Labels) > 0 {
		n++
	}
	if a.Op != Create && len(a.Assignees) > 0 {
		n++
	}
	if a.Comment != "" {
		n++
	}
	return n
}

// Evidence tells how a finished item was done, e.g. "fixed in abc1234
// (#12)"; "" when nothing names it.
type Evidence func(item Ref, since time.Time) string

// Reconcile decides the writes that bring a repository's living issues to
// the plan. It is deterministic, so two sweeps that see the same GitHub
// agree; it writes nothing that is already there, so a second run right
// after the first does nothing.
func Reconcile(repo string, now time.Time, cfg config.Issues, desired []Desired, existing []Existing, evidence Evidence) []Action {
	if evidence == nil {
		evidence = func(Ref, time.Time) string { return "" }
	}
	r := reconciler{repo: repo, now: now.UTC().Truncate(time.Second), cfg: cfg, evidence: evidence}
	groups := map[Identity][]*Existing{}
	states := map[*Existing]State{}
	for i := range existing {
		e := &existing[i]
		st, ok := ParseState(e.Body)
		if !ok {
			continue
		}
		states[e] = st
		groups[st.Identity] = append(groups[st.Identity], e)
	}
	want := map[Identity]*Desired{}
	ids := make([]Identity, 0, len(desired)+len(groups))
	for i := range desired {
		want[desired[i].ID] = &desired[i]
		ids = append(ids, desired[i].ID)
	}
	for id := range groups {
		if want[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b Identity) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})

	var out []Action
	for _, id := range ids {
		group := groups[id]
		slices.SortFunc(group, func(a, b *Existing) int { return cmp.Compare(a.Number, b.Number) })
		// The living issue is the oldest one not marked a duplicate: every
		// sweep picks the same one, so racing sweeps converge on it.
		var living *Existing
		for _, e := range group {
			if states[e].Dup != 0 {
				continue
			}
			if living == nil {
				living = e
				continue
			}
			out = append(out, r.duplicate(e, states[e], living.Number))
		}
		d := want[id]
		switch {
		case living == nil && d != nil:
			out = append(out, r.create(d))
		case living == nil:
		case d == nil && living.State == "open":
			out = append(out, r.close(living, states[living]))
		case d == nil:
		case living.State != "open":
			out = append(out, r.reopen(living, states[living], d))
		default:
			if a, ok := r.update(living, states[living], d); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

type reconciler struct {
	repo     string
	now      time.Time
	cfg      config.Issues
	evidence Evidence
}

func (r reconciler) today() string { return r.now.Format(time.DateOnly) }

func (r reconciler) create(d *Desired) Action {
	st := State{V: 1, Identity: d.ID, Since: r.now.Format(sinceLayout), Items: r.refs(d.Items, nil)}
	return Action{
		Op: Create, Kind: "open", ID: d.ID, Title: d.Title, Body: Body(r.repo, d, st),
		Labels: d.Labels, Assignees: d.Assignees,
		Summary: "open: " + count(len(d.Items), "item") + " due",
	}
}

// refs remembers the items, keeping the day each was first listed. Like
// the body, it keeps the first maxListed.
func (r reconciler) refs(items []Item, old []Ref) []Ref {
	first := map[string]string{}
	for _, o := range old {
		first[o.Key] = o.First
	}
	out := make([]Ref, 0, min(len(items), maxListed))
	for _, it := range items[:min(len(items), maxListed)] {
		ref := Ref{Key: it.Key, Text: oneLine(it.Text, 120), Path: it.Path, PR: it.PR, First: first[it.Key]}
		if ref.First == "" {
			ref.First = r.today()
		}
		out = append(out, ref)
	}
	return out
}

// finished moves the items no longer due to the done list, with the
// evidence of how each was done.
func (r reconciler) finished(old State, now []Item) []Ref {
	still := map[string]bool{}
	for _, it := range now {
		still[it.Key] = true
	}
	var done []Ref
	for _, d := range old.Done {
		if !still[d.Key] {
			done = append(done, d)
		}
	}
	for _, ref := range old.Items {
		if still[ref.Key] {
			continue
		}
		since, err := time.Parse(time.DateOnly, ref.First)
		if err != nil {
			since = time.Time{}
		}
		ref.Evidence = r.evidence(ref, since)
		if ref.Evidence == "" {
			ref.Evidence = "no longer found on " + r.today()
		}
		done = append(done, ref)
	}
	// The newest done items are the ones people look for.
	if len(done) > maxDone {
		done = done[len(done)-maxDone:]
	}
	return done
}

// maxDone bounds the done list an issue keeps.
const maxDone = 50

func (r reconciler) update(e *Existing, old State, d *Desired) (Action, bool) {
	st := State{V: 1, Identity: d.ID, Since: old.Since, Items: r.refs(d.Items, old.Items), Done: r.finished(old, d.Items)}
	a := Action{Op: Edit, Kind: "update", ID: d.ID, Number: e.Number}
	var why []string
	if body := Body(r.repo, d, st); body != e.Body {
		a.Body = body
		why = append(why, "update the list ("+count(len(d.Items), "item")+" due"+doneSince(old, st)+")")
	}
	if e.Title != d.Title {
		a.Title = d.Title
		why = append(why, "restore the title")
	}
	a.Labels = missing(d.Labels, e.Labels)
	a.Assignees = missing(d.Assignees, e.Assignees)
	if len(a.Labels) > 0 || len(a.Assignees) > 0 {
		why = append(why, "add "+strings.Join(append(prefixed("label ", a.Labels), prefixed("assignee ", a.Assignees)...), ", "))
	}
	if comment, marker, what := r.notify(e, st, d); comment != "" {
		a.Comment, a.Marker = comment, marker
		why = append(why, what)
		a.Kind = Remind
		if strings.HasPrefix(what, "escalate") {
			a.Kind = Escalate
		}
	}
	a.Summary = strings.Join(why, "; ")
	return a, len(why) > 0
}

func doneSince(old, now State) string {
	if n := len(now.Done) - len(old.Done); n > 0 {
		return ", " + count(n, "item") + " done"
	}
	return ""
}

// notify decides the reminder or escalation an open issue is due, if any:
// one comment at most, never on a quiet day.
func (r reconciler) notify(e *Existing, st State, d *Desired) (comment, marker, what string) {
	if !e.NotesRead || r.cfg.Quiet(r.now) {
		return "", "", ""
	}
	since, err := time.Parse(sinceLayout, st.Since)
	if err != nil {
		return "", "", ""
	}
	elapsed := int(day(r.now).Sub(day(since)).Hours() / 24)
	sentRemind, sentStep := 0, map[int]bool{}
	for _, n := range e.Notes {
		if n.Episode != st.Since || n.Identity != d.ID {
			continue
		}
		switch n.What {
		case Remind:
			sentRemind = max(sentRemind, n.N)
		case Escalate:
			sentStep[n.N] = true
		}
	}
	var notes []Note
	var steps []Step
	if overdue(d.Items, r.now) {
		for i, s := range d.Escalation {
			if elapsed >= s.After && !sentStep[i+1] {
				steps = append(steps, s)
				notes = append(notes, Note{d.ID, st.Since, Escalate, i + 1})
			}
		}
	}
	remind := remindersDue(days(r.cfg.Reminders), elapsed)
	if remind > sentRemind {
		notes = append(notes, Note{d.ID, st.Since, Remind, remind})
	}
	if len(notes) == 0 {
		return "", "", ""
	}
	comment = notifyComment(d, since, steps, remind > sentRemind, r.now)
	for _, n := range notes {
		comment += "\n" + n.Marker()
	}
	what = "remind"
	if len(steps) > 0 {
		what = "escalate to " + strings.Join(stepTargets(steps), ", ")
	}
	// The first note is unique to this comment: the marker to find it by.
	return comment, notes[0].Marker(), what
}

// remindersDue counts the reminders due after elapsed days: the first after
// waits[0], each next one the following wait later, the last wait repeating.
func remindersDue(waits []int, elapsed int) int {
	if len(waits) == 0 {
		return 0
	}
	n, at := 0, 0
	for i := 0; ; i++ {
		at += waits[min(i, len(waits)-1)]
		if at > elapsed {
			return n
		}
		n++
	}
}

func overdue(items []Item, now time.Time) bool {
	return slices.ContainsFunc(items, func(it Item) bool { return it.Overdue(now) })
}

func (r reconciler) close(e *Existing, old State) Action {
	st := State{V: 1, Identity: old.Identity, Since: old.Since, Done: r.finished(old, nil)}
	note := Note{old.Identity, old.Since, Closed, 0}
	a := Action{
		Op: Edit, Kind: Closed, ID: old.Identity, Number: e.Number, State: "closed", Reason: "completed",
		Comment: closeComment(st, old) + "\n" + note.Marker(), Marker: note.Marker(), CommentFirst: true,
		Summary: "close: every item is done",
	}
	if body := doneBody(r.repo, st); body != e.Body {
		a.Body = body
	}
	return a
}

func (r reconciler) reopen(e *Existing, old State, d *Desired) Action {
	st := State{V: 1, Identity: d.ID, Since: r.now.Format(sinceLayout), Items: r.refs(d.Items, nil)}
	// A person closed it while items were listed: the work was not done,
	// and the episode goes on, so closing does not hold off reminders or
	// escalation.
	byPerson := len(old.Items) > 0
	if byPerson {
		st.Since, st.Items, st.Done = old.Since, r.refs(d.Items, old.Items), r.finished(old, d.Items)
	}
	note := Note{d.ID, st.Since, Reopened, 0}
	if byPerson {
		// One reopen note per closing: a person may close it more than
		// once in an episode, and each reopening must be told apart.
		note.N = 1
		for _, n := range e.Notes {
			if n.What == Reopened && n.Episode == st.Since && n.Identity == d.ID {
				note.N = max(note.N, n.N+1)
			}
		}
	}
	a := Action{
		Op: Edit, Kind: Reopened, ID: d.ID, Number: e.Number, State: "open", Body: Body(r.repo, d, st),
		Labels: missing(d.Labels, e.Labels), Assignees: missing(d.Assignees, e.Assignees),
		Comment: reopenComment(d, byPerson) + "\n" + note.Marker(), Marker: note.Marker(),
	}
	if e.Title != d.Title {
		a.Title = d.Title
	}
	if byPerson {
		a.Summary = "reopen: closed by hand while " + count(len(d.Items), "item is", "items are") + " still due"
	} else {
		a.Summary = "reopen: " + count(len(d.Items), "item") + " due again"
	}
	return a
}

func (r reconciler) duplicate(e *Existing, old State, living int) Action {
	st := State{V: 1, Identity: old.Identity, Since: old.Since, Dup: living}
	a := Action{Op: Edit, Kind: "duplicate", ID: old.Identity, Number: e.Number, Body: duplicateBody(old.Identity, living, st),
		Summary: "close as a duplicate of #" + itoa(living)}
	if e.State == "open" {
		a.State, a.Reason = "closed", "not_planned"
	}
	return a
}

// StaleReminders are the comments owed to stale pull requests: one each,
// ever, naming the owners who were asked. reminded says whether a pull
// request already has it.
func StaleReminders(stale []StalePR, reminded func(number int) bool) []Action {
	var out []Action
	for _, s := range stale {
		if reminded(s.Number) {
			continue
		}
		out = append(out, Action{
			Op: CommentPR, Kind: "stale-review", Number: s.Number, Comment: staleComment(s), Marker: StaleReviewMarker,
			Summary: "remind " + strings.Join(s.Asked, ", ") + " of a review waiting since " + s.Since.Format(time.DateOnly),
		})
	}
	return out
}

func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			out = append(out, w)
		}
	}
	return out
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func stepTargets(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.To
	}
	return out
}
