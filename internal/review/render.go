package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// maxListed bounds the items an issue body shows and its marker keeps, so
// the body stays within GitHub's 65,536 characters.
const maxListed = 50

// Body is the body of a living issue: whom it is for, each item due with
// its file, date, owner and remedy as a checklist, the escalation ahead,
// what was done, and the marker. It depends only on its arguments, so an
// unchanged plan renders the same body and the issue is left alone.
func Body(repo string, d *Desired, st State) string {
	var b strings.Builder
	where := "`" + d.ID.Name + "`"
	if d.ID.Kind == KindTeam {
		where = "the units " + d.ID.Name + " owns"
	}
	fmt.Fprintf(&b, "%s, ownership work is due in %s of %s:\n\n", addressee(d), where, repo)
	for i, it := range d.Items {
		if i == maxListed {
			fmt.Fprintf(&b, "- … and %s, listed as the ones above are done.\n", count(len(d.Items)-maxListed, "more item"))
			break
		}
		b.WriteString("- [ ] " + oneLine(it.Text, 300))
		if it.Path != "" {
			loc := it.Path
			if it.Line > 0 {
				loc += ":" + itoa(it.Line)
			}
			b.WriteString(" (`" + loc + "`)")
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
			facts = append(facts, "exception "+it.Lapsed+" expired, so this counts again")
		}
		if len(it.Owners) > 0 {
			facts = append(facts, "owner "+strings.Join(it.Owners, " "))
		}
		facts = append(facts, "rule `"+it.Rule+"`")
		b.WriteString(strings.Join(facts, " · "))
		if it.Remedy != "" {
			b.WriteString(". To do: " + oneLine(it.Remedy, 200))
		}
		b.WriteString(".\n")
	}
	if len(d.Escalation) > 0 {
		since, err := time.Parse(sinceLayout, st.Since)
		if err == nil {
			var steps []string
			for _, s := range d.Escalation {
				steps = append(steps, s.To+" on "+since.AddDate(0, 0, s.After).Format(time.DateOnly))
			}
			fmt.Fprintf(&b, "\nIf work is still overdue, the escalation chain in OWNERS.yaml tells %s.\n", strings.Join(steps, ", then "))
		}
	}
	writeDone(&b, st.Done)
	b.WriteString("\n<sub>ownerbot keeps this issue current from the default branch: it ticks an item off when a commit shows it done, " +
		"and closes the issue when every item is. Ticking a box by hand changes nothing. To set an item aside, " +
		"add an exception to OWNERS_EXCEPTIONS.yaml through a pull request.</sub>\n")
	b.WriteString(st.Marker())
	return b.String()
}

func addressee(d *Desired) string {
	var who []string
	for _, a := range d.Assignees {
		who = append(who, "@"+a)
	}
	who = append(who, d.Mentions...)
	if len(who) == 0 {
		return "Owners"
	}
	return strings.Join(who, ", ")
}

func writeDone(b *strings.Builder, done []Ref) {
	if len(done) == 0 {
		return
	}
	b.WriteString("\nDone:\n\n")
	for _, d := range done {
		fmt.Fprintf(b, "- [x] ~~%s~~ %s.\n", d.Text, d.Evidence)
	}
}

// doneBody is the body of an issue closed because every item is done.
func doneBody(repo string, st State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing is due in `%s` of %s any more.\n", st.Name, repo)
	writeDone(&b, st.Done)
	b.WriteString("\n<sub>ownerbot reopens this issue when ownership work falls due here again.</sub>\n")
	b.WriteString(st.Marker())
	return b.String()
}

func duplicateBody(id Identity, living int, st State) string {
	return fmt.Sprintf("This issue duplicates #%d, the living issue for `%s`: two sweeps opened one at the same time. "+
		"ownerbot closed this one and keeps #%d.\n%s", living, id.Name, living, st.Marker())
}

// notifyComment is a reminder, an escalation, or both.
func notifyComment(d *Desired, since time.Time, steps []Step, remind bool, now time.Time) string {
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
		elapsed := int(day(now).Sub(day(since)).Hours() / 24)
		fmt.Fprintf(&b, "%s: %s of ownership work in `%s`, owned by %s, %s still overdue %s after this issue opened on %s. "+
			"You are next in the escalation chain of the unit's OWNERS.yaml; please help the owners get it done.\n",
			strings.Join(stepTargets(steps), ", "), count(over, "item"), d.ID.Name, ownerOrNobody(d.Owner),
			map[bool]string{true: "is", false: "are"}[over == 1], count(elapsed, "day"), since.Format(time.DateOnly))
	}
	if remind {
		if len(steps) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Reminder: %s, %s still due here", addressee(d), count(len(d.Items), "item is", "items are"))
		if !oldest.IsZero() {
			fmt.Fprintf(&b, "; the oldest was due on %s", oldest.Format(time.DateOnly))
		}
		b.WriteString(". The list above is current.\n")
	}
	return b.String()
}

func ownerOrNobody(o string) string {
	if o == "" {
		return "nobody named in OWNERS.yaml"
	}
	return o
}

func closeComment(st, old State) string {
	var b strings.Builder
	b.WriteString("Every item is done, so ownerbot closes this issue:\n\n")
	listed := map[string]bool{}
	for _, ref := range old.Items {
		listed[ref.Key] = true
	}
	for _, d := range st.Done {
		if listed[d.Key] {
			fmt.Fprintf(&b, "- %s: %s.\n", d.Text, d.Evidence)
		}
	}
	return b.String()
}

func reopenComment(d *Desired, byPerson bool) string {
	if byPerson {
		return fmt.Sprintf("Reopened: this issue was closed, but the default branch still shows %s. "+
			"It closes itself once a commit shows the work done; to set an item aside, add an exception through a pull request.\n",
			count(len(d.Items), "item due", "items due"))
	}
	return fmt.Sprintf("Reopened: ownership work is due here again (%s). The list above is current.\n", count(len(d.Items), "item"))
}

func staleComment(s StalePR) string {
	return fmt.Sprintf("%s: this pull request has waited on your review since %s, longer than the %d working days agreed for owners' reviews. "+
		"Please review it, or ask someone else on the team to. ownerbot will not remind you here again; "+
		"the wait is listed in the unit's ownership issue until the review is in.\n%s",
		strings.Join(s.Asked, ", "), s.Since.Format(time.DateOnly), s.SLA, StaleReviewMarker)
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
