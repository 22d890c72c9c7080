package review

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/gfm"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// maxListed bounds the items an issue body shows and its marker keeps.
const maxListed = 50

// maxComment bounds a comment's text, leaving room within GitHub's limit
// for the note markers the reconciler appends.
const maxComment = gfm.MaxBody - 4096

// quoter is the Quoter of an issue's texts: it may mention the owners the
// plan names. The plan comes from the default branch, which is merged, so
// these are owners the repository already names; anyone else quoted in a
// message or a title is written without a mention.
func (d *Desired) quoter() gfm.Quoter {
	var names []string
	add := func(n string) {
		if strings.HasPrefix(n, "@") {
			names = append(names, n)
		}
	}
	add(d.Owner)
	for _, a := range d.Assignees {
		add("@" + a)
	}
	for _, m := range d.Mentions {
		add(m)
	}
	for _, s := range d.Escalation {
		add(s.To)
	}
	for _, it := range d.Items {
		for _, o := range it.Owners {
			add(o)
		}
	}
	return gfm.NewQuoter(names...)
}

// Body is the body of a living issue: whom it is for, each item due with
// its file, date, owner and remedy as a checklist, the escalation ahead,
// what was done, and the marker. It depends only on its arguments, so an
// unchanged plan renders the same body and the issue is left alone.
//
// It fits GitHub's limit on a body (gfm.MaxBody): when the whole does not,
// the done list loses its oldest entries first, then the list of items its
// last ones, and each says how many it leaves out and where they all are.
// The marker keeps what the body lists, so it always survives whole.
func Body(repo string, d *Desired, st State) string {
	q := d.quoter()
	shown := min(len(d.Items), maxListed)
	items := make([]string, shown)
	for i, it := range d.Items[:shown] {
		items[i] = itemBlock(q, it)
	}
	var head strings.Builder
	where := q.Code(d.ID.Name)
	if d.ID.Kind == KindTeam {
		where = "the units " + q.Owner(d.ID.Name) + " owns"
	}
	fmt.Fprintf(&head, "%s, ownership work is due in %s of %s:\n\n", addressee(q, d), where, q.Text(repo))
	var escalation string
	if len(d.Escalation) > 0 {
		if since, err := time.Parse(sinceLayout, st.Since); err == nil {
			var steps []string
			for _, s := range d.Escalation {
				steps = append(steps, q.Owner(s.To)+" on "+since.AddDate(0, 0, s.After).Format(time.DateOnly))
			}
			escalation = fmt.Sprintf("\nIf work is still overdue, the escalation chain in OWNERS.yaml tells %s.\n", strings.Join(steps, ", then "))
		}
	}
	const footer = "\n<sub>ownerbot keeps this issue current from the default branch: it ticks an item off when a commit shows it done, " +
		"and closes the issue when every item is. Ticking a box by hand changes nothing. To set an item aside, " +
		"add an exception to OWNERS_EXCEPTIONS.yaml through a pull request.</sub>\n"
	listed := map[string]bool{}
	build := func(n, k int) string {
		var b strings.Builder
		b.WriteString(head.String())
		for _, it := range items[:n] {
			b.WriteString(it)
		}
		if left := len(d.Items) - n; left > 0 {
			fmt.Fprintf(&b, "- … and %s, listed as the ones above are done; `ownerbot check` on the default branch lists them all.\n", count(left, "more item"))
		}
		b.WriteString(escalation)
		done := st.Done[len(st.Done)-k:]
		writeDone(&b, q, repo, done, len(st.Done)-k)
		b.WriteString(footer)
		clear(listed)
		for _, it := range d.Items[:n] {
			listed[it.Key] = true
		}
		kept := st
		kept.Items = slices.DeleteFunc(slices.Clone(st.Items), func(r Ref) bool { return !listed[r.Key] })
		kept.Done = done
		b.WriteString(kept.Marker())
		return b.String()
	}
	fits := func(n, k int) bool { return len(build(n, k)) <= gfm.MaxBody }
	n, k := shown, len(st.Done)
	if fits(n, k) {
		return build(n, k)
	}
	// The largest k, then n, that fit: sizes grow with each.
	k = largest(k, func(k int) bool { return fits(n, k) })
	if k == 0 && !fits(n, 0) {
		n = largest(n, func(n int) bool { return fits(n, 0) })
	}
	body := build(n, k)
	if len(body) <= gfm.MaxBody {
		return body
	}
	// Even with nothing listed it is too long (a huge unit name or
	// escalation chain): cut the text at a line's end, keep the marker.
	cut := st
	cut.Items, cut.Done = nil, nil
	marker := cut.Marker()
	var doc gfm.Doc
	doc.Write(strings.TrimSuffix(build(0, 0), marker))
	doc.Keep(marker)
	body, _ = doc.Render(gfm.MaxBody)
	return body
}

// largest is the largest n in [0, max] for which ok holds, given that ok
// holds for every n below one for which it holds; 0 when none does.
func largest(max int, ok func(int) bool) int {
	lo, hi := 0, max // ok(lo) is assumed; the answer is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// itemBlock is one item of a body's checklist, its facts on a second line.
func itemBlock(q gfm.Quoter, it Item) string {
	var b strings.Builder
	b.WriteString("- [ ] " + q.Text(oneLine(it.Text, 300)))
	if it.Path != "" {
		loc := it.Path
		if it.Line > 0 {
			loc += ":" + itoa(it.Line)
		}
		b.WriteString(" (" + q.Code(loc) + ")")
	}
	b.WriteString("\n  ")
	var facts []string
	switch {
	case it.Rule == "exception.expiring":
		facts = append(facts, "expires "+it.Due.Format(time.DateOnly))
	case !it.Due.IsZero():
		facts = append(facts, "due "+it.Due.Format(time.DateOnly))
	}
	if it.Lapsed != "" {
		facts = append(facts, "exception "+q.Text(it.Lapsed)+" expired, so this counts again")
	}
	if len(it.Owners) > 0 {
		facts = append(facts, "owner "+owners(q, it.Owners))
	}
	facts = append(facts, "rule "+q.Code(it.Rule))
	b.WriteString(strings.Join(facts, " · "))
	if it.Remedy != "" {
		b.WriteString(". To do: " + q.Text(oneLine(it.Remedy, 200)))
	}
	b.WriteString(".\n")
	return b.String()
}

func owners(q gfm.Quoter, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = q.Owner(n)
	}
	return strings.Join(out, " ")
}

func addressee(q gfm.Quoter, d *Desired) string {
	var who []string
	for _, a := range d.Assignees {
		who = append(who, q.Owner("@"+a))
	}
	for _, m := range d.Mentions {
		who = append(who, q.Owner(m))
	}
	if len(who) == 0 {
		return "Owners"
	}
	return strings.Join(who, ", ")
}

// writeDone lists the items done; earlier says how many older ones the
// list leaves out.
func writeDone(b *strings.Builder, q gfm.Quoter, repo string, done []Ref, earlier int) {
	if len(done) == 0 && earlier == 0 {
		return
	}
	b.WriteString("\nDone:\n\n")
	if earlier > 0 {
		fmt.Fprintf(b, "- … and %s done earlier.\n", count(earlier, "item"))
	}
	for _, d := range done {
		fmt.Fprintf(b, "- [x] ~~%s~~ %s.\n", q.Text(d.Text), evidence(q, d.Evidence, repo))
	}
}

// commitEvidence is the one piece of Markdown the sweep writes as
// evidence: a few words ("done in"), a link to the commit that did the
// work, and its pull request.
var commitEvidence = regexp.MustCompile(`^[a-z][a-z ]* \[` + "`[0-9a-f]{7,40}`" +
	`\]\(https://[A-Za-z0-9.-]+((?:/[A-Za-z0-9._-]+)*)/commit/[0-9a-f]{7,64}\)( \(#[0-9]+\))?$`)

// evidence writes how an item was done: the sweep's link to a commit of
// repo as the link it is, anything else as text. With repo "", a commit
// of any repository is linked.
func evidence(q gfm.Quoter, s, repo string) string {
	if m := commitEvidence.FindStringSubmatch(s); m != nil && (repo == "" || strings.EqualFold(m[1], "/"+repo)) {
		return s
	}
	return q.Text(s)
}

// doneBody is the body of an issue closed because every item is done.
func doneBody(repo string, st State) string {
	q := gfm.NewQuoter()
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing is due in %s of %s any more.\n", q.Code(st.Name), q.Text(repo))
	writeDone(&b, q, repo, st.Done, 0)
	b.WriteString("\n<sub>ownerbot reopens this issue when ownership work falls due here again.</sub>\n")
	var doc gfm.Doc
	doc.Write(b.String())
	doc.Keep(st.Marker())
	body, _ := doc.Render(gfm.MaxBody)
	return body
}

func duplicateBody(id Identity, living int, st State) string {
	return fmt.Sprintf("This issue duplicates #%d, the living issue for %s: two sweeps opened one at the same time. "+
		"ownerbot closed this one and keeps #%d.\n%s", living, clipCode(id.Name), living, st.Marker())
}

// clipCode quotes a name as code, shortened to a few hundred bytes where
// a comment or a fixed line cannot list it whole.
func clipCode(name string) string {
	const most = 512
	if len(name) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return gfm.Code(name)
}

// fitComment keeps a comment within maxComment, cut at a line's end.
func fitComment(s string) string {
	var doc gfm.Doc
	doc.Write(s)
	out, _ := doc.Render(maxComment)
	return out
}

// notifyComment is a reminder, an escalation, or both.
func notifyComment(d *Desired, since time.Time, steps []Step, remind bool, now time.Time) string {
	q := d.quoter()
	var b strings.Builder
	over := 0
	oldest := time.Time{}
	for _, it := range d.Items {
		if it.Overdue(now) {
			over++
			if !it.Due.IsZero() && (oldest.IsZero() || it.Due.Before(oldest)) {
				oldest = it.Due
			}
		}
	}
	if len(steps) > 0 {
		targets := make([]string, len(steps))
		for i, s := range steps {
			targets[i] = q.Owner(s.To)
		}
		owner := "nobody named in OWNERS.yaml"
		if d.Owner != "" {
			owner = q.Owner(d.Owner)
		}
		elapsed := int(day(now).Sub(day(since)).Hours() / 24)
		fmt.Fprintf(&b, "%s: %s of ownership work in %s, owned by %s, %s still overdue %s after this issue opened on %s. "+
			"You are next in the escalation chain of the unit's OWNERS.yaml; please help the owners get it done.\n",
			strings.Join(targets, ", "), count(over, "item"), clipCode(d.ID.Name), owner,
			map[bool]string{true: "is", false: "are"}[over == 1], count(elapsed, "day"), since.Format(time.DateOnly))
	}
	if remind {
		if len(steps) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Reminder: %s, %s still due here", addressee(q, d), count(len(d.Items), "item is", "items are"))
		if !oldest.IsZero() {
			fmt.Fprintf(&b, "; the oldest was due on %s", oldest.Format(time.DateOnly))
		}
		b.WriteString(". The list above is current.\n")
	}
	return fitComment(b.String())
}

func closeComment(st, old State) string {
	q := gfm.NewQuoter()
	var b strings.Builder
	b.WriteString("Every item is done, so ownerbot closes this issue:\n\n")
	listed := map[string]bool{}
	for _, ref := range old.Items {
		listed[ref.Key] = true
	}
	for _, d := range st.Done {
		if listed[d.Key] {
			fmt.Fprintf(&b, "- %s: %s.\n", q.Text(d.Text), evidence(q, d.Evidence, ""))
		}
	}
	return fitComment(b.String())
}

func reopenComment(d *Desired, byPerson bool) string {
	if byPerson {
		return fmt.Sprintf("Reopened: this issue was closed, but the default branch still shows %s. "+
			"It closes itself once a commit shows the work done; to set an item aside, add an exception through a pull request.\n",
			count(len(d.Items), "item due", "items due"))
	}
	return fmt.Sprintf("Reopened: ownership work is due here again (%s). The list above is current.\n", count(len(d.Items), "item"))
}

// staleComment asks the owners who were asked for a review; they are the
// only ones it may mention.
func staleComment(s StalePR) string {
	q := gfm.NewQuoter(s.Asked...)
	return fitComment(fmt.Sprintf("%s: this pull request has waited on your review since %s, longer than the %d working days agreed for owners' reviews. "+
		"Please review it, or ask someone else on the team to. ownerbot will not remind you here again; "+
		"the wait is listed in the unit's ownership issue until the review is in.\n",
		strings.Join(strings.Fields(owners(q, s.Asked)), ", "), s.Since.Format(time.DateOnly), s.SLA)) + StaleReviewMarker
}

// count writes "1 item" or "3 items"; with two forms, "1 item is" or
// "3 items are".
func count(n int, forms ...string) string {
	one, many := forms[0], forms[0]+"s"
	if len(forms) > 1 {
		many = forms[1]
	}
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}

func itoa(n int) string { return strconv.Itoa(n) }

func days(ds []strictyaml.Duration) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = d.Days
	}
	return out
}
