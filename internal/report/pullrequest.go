package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// Check run conclusions, as GitHub names them.
const (
	Success = "success"
	Failure = "failure"
	Neutral = "neutral"
)

// CommentMarker is the hidden line that finds the sticky comment again.
const CommentMarker = "<!-- ownerbot:pull-request -->"

// MergeMarker is the hidden line of a sticky comment that has become the
// record of the merge, which is never rewritten.
const MergeMarker = "<!-- ownerbot:merged -->"

// A PullRequest is everything the App says about one pull request: what the
// change does to ownership and whose approvals it still needs.
type PullRequest struct {
	Head       *policy.Result
	Comparison policy.Comparison
	// Changed are the files the pull request changes, as GitHub lists them.
	Changed    []string
	Transfers  []TransferApproval
	Exceptions []ExceptionApproval
	// Mode is the configured mode; Enforcing whether it is in force today.
	Mode      string
	Enforcing bool
	// Incomplete says why the check could not see the whole change, "" when
	// it could.
	Incomplete string
	// Merged, when set, makes the comment the record of a merge: who
	// approved each ownership move and exception change when it merged.
	Merged *Merge
	// Mentionable are the owners the comment and check run may notify: the
	// users and teams the base branch already names, lower case with their
	// "@" ("@acme/payments", "@alice"); MentionableOwners computes it. The
	// head's own owners are not in it, so a pull request cannot make the
	// App ping anyone new: owners outside it are written as code, and the
	// comment says they were not notified. Empty, nobody is mentioned.
	Mentionable map[string]bool
}

// MentionableOwners is the set of owners a result names, for
// PullRequest.Mentionable: every user and team in CODEOWNERS, in the
// ownership files (owner, approvers, escalation) and in runbook front
// matter, lower case. Pass it the base branch's result.
func MentionableOwners(res *policy.Result) map[string]bool {
	set := map[string]bool{}
	if res == nil {
		return set
	}
	for _, name := range policy.OwnerNames(res.OwnerRefs()) {
		if strings.HasPrefix(name, "@") {
			set[name] = true
		}
	}
	for _, rbs := range res.Runbooks {
		for _, rb := range rbs {
			if strings.HasPrefix(rb.Owner, "@") {
				set[strings.ToLower(rb.Owner)] = true
			}
		}
	}
	return set
}

func (pr *PullRequest) quoter() gfm.Quoter {
	names := make([]string, 0, len(pr.Mentionable))
	for n, ok := range pr.Mentionable {
		if ok {
			names = append(names, n)
		}
	}
	return gfm.NewQuoter(names...)
}

// A Merge is who merged a pull request, when, and as which commit.
type Merge struct {
	By     string // login; "" when GitHub does not say
	At     time.Time
	Commit string
}

// A TransferApproval is a transfer with the approvals it has.
type TransferApproval struct {
	policy.Transfer
	// ApprovedBy maps each party that approved to the login that approved
	// for it.
	ApprovedBy map[string]string
	// Missing are the parties still to approve, in Parties order.
	Missing []string
}

// An ExceptionApproval is an exception change with its approval, if any.
type ExceptionApproval struct {
	policy.ExceptionChange
	ApprovedBy string // the login of an eligible approver; "" when none yet
}

// Blocking counts what fails the pull request when enforcing: new errors,
// then transfers and exceptions that still need approval.
func (pr *PullRequest) Blocking() int {
	return pr.Comparison.Introduced(policy.Error) + pr.PendingApprovals()
}

// PendingApprovals counts the transfers and exception changes that still
// need an approval.
func (pr *PullRequest) PendingApprovals() int {
	n := 0
	for _, t := range pr.Transfers {
		if len(t.Missing) > 0 {
			n++
		}
	}
	for _, x := range pr.Exceptions {
		if x.ApprovedBy == "" {
			n++
		}
	}
	return n
}

// Conclusion is the check run's conclusion: neutral when incomplete or
// observing, failure for blocking problems when enforcing, else success.
func (pr *PullRequest) Conclusion() string {
	switch {
	case pr.Incomplete != "", pr.Mode == "observe":
		return Neutral
	case pr.Enforcing && pr.Blocking() > 0:
		return Failure
	}
	return Success
}

// MaxTitle bounds the check run's title. GitHub documents no limit for it;
// this is the one it documents for an annotation's title.
const MaxTitle = 255

// Title is the check run's one-line title, plain text of at most MaxTitle
// bytes.
func (pr *PullRequest) Title() string {
	if pr.Incomplete != "" {
		return clip(gfm.Printable("Incomplete: "+pr.Incomplete), MaxTitle)
	}
	var parts []string
	if n := len(pr.Comparison.New); n > 0 {
		parts = append(parts, plural(n, "new ownership problem", "new ownership problems"))
	}
	if n := pr.PendingApprovals(); n > 0 {
		parts = append(parts, plural(n, "approval missing", "approvals missing"))
	}
	if len(parts) == 0 {
		parts = append(parts, "No new ownership problems")
	}
	if n := len(pr.Comparison.Fixed); n > 0 {
		parts = append(parts, plural(n, "fixed", "fixed"))
	}
	return strings.Join(parts, ", ")
}

// PullRequestSummary writes the check run's summary, within GitHub's limit
// for it (gfm.MaxCheckRunText).
func PullRequestSummary(w io.Writer, pr *PullRequest) error {
	q := pr.quoter()
	var d gfm.Doc
	writePullRequest(&d, q, pr)
	writeWithheld(&d, q)
	out, _ := d.Render(gfm.MaxCheckRunText)
	_, err := io.WriteString(w, out)
	return err
}

// PullRequestComment writes the sticky comment: the summary under a hidden
// marker that finds it again, within GitHub's limit for a comment
// (gfm.MaxBody); the marker survives any cut. After a merge it is the
// record of approvals.
func PullRequestComment(w io.Writer, pr *PullRequest) error {
	q := pr.quoter()
	var d gfm.Doc
	if pr.Merged != nil {
		writeMergeRecord(&d, q, pr)
	} else {
		d.Keep(CommentMarker + "\n")
		d.Write("### ownerbot: " + q.Text(pr.Title()) + "\n\n")
		writePullRequest(&d, q, pr)
	}
	writeWithheld(&d, q)
	out, _ := d.Render(gfm.MaxBody)
	_, err := io.WriteString(w, out)
	return err
}

// maxWithheldListed bounds the owners the note on unnotified owners names.
const maxWithheldListed = 10

// writeWithheld says once which owners were written without a mention:
// the pull request names them, the base branch does not.
func writeWithheld(d *gfm.Doc, q gfm.Quoter) {
	names := q.Withheld()
	if len(names) == 0 {
		return
	}
	quoted := make([]string, 0, min(len(names), maxWithheldListed))
	for _, n := range names[:min(len(names), maxWithheldListed)] {
		quoted = append(quoted, q.Code(n))
	}
	list := strings.Join(quoted, ", ")
	if len(names) > maxWithheldListed {
		list += fmt.Sprintf(" and %d more", len(names)-maxWithheldListed)
	}
	d.Write("<sub>Not notified: " + list + ", named only by this pull request. ownerbot mentions only owners the base branch already names.</sub>\n")
}

// writeMergeRecord writes the comment of a merged pull request: the
// approvals each ownership move and exception change had on the merged
// commit. With the git history, it is the audit trail of the decision.
func writeMergeRecord(d *gfm.Doc, q gfm.Quoter, pr *PullRequest) {
	m := pr.Merged
	missing := pr.PendingApprovals()
	title := "merged with every approval it needed"
	switch {
	case missing == 1:
		title = "merged with 1 change that lacks the approval it needed"
	case missing > 1:
		title = fmt.Sprintf("merged with %d changes that lack the approval they needed", missing)
	}
	d.Keep(CommentMarker + "\n" + MergeMarker + "\n")
	d.Write("### ownerbot: " + title + "\n\n")
	by := "GitHub"
	if m.By != "" {
		by = q.Login(m.By)
	}
	commit := ""
	if m.Commit != "" {
		commit = " as " + q.Text(m.Commit[:min(len(m.Commit), 12)])
	}
	d.Write(fmt.Sprintf("Merged by %s on %s%s. The approvals below are recorded as they stood on the merged head commit.\n\n",
		by, m.At.UTC().Format("2006-01-02 15:04 MST"), commit))
	if missing > 0 {
		d.Write("> [!CAUTION]\n> Changes marked ⏳ merged without the approval they needed. Have whoever is missing approve a follow-up pull request that ratifies them, or revert them.\n\n")
	}
	writeTransfers(d, q, pr.Transfers)
	writeExceptions(d, q, pr.Exceptions)
}

func writePullRequest(d *gfm.Doc, q gfm.Quoter, pr *PullRequest) {
	if pr.Incomplete != "" {
		d.Write("> [!WARNING]\n> ownerbot could not check this pull request completely: " + q.Text(pr.Incomplete) + ". Nothing here is a pass.\n\n")
	}
	switch c := pr.Conclusion(); {
	case c == Failure:
		d.Write("This pull request is blocked until what is listed below is fixed or approved.\n\n")
	case pr.Blocking() > 0 && pr.Mode == "observe":
		d.Write("Mode `observe`: what is listed below would block this pull request once the repository enforces ownership.\n\n")
	case pr.Blocking() > 0:
		d.Write("Mode " + q.Code(pr.Mode) + ": what is listed below does not block this pull request yet.\n\n")
	}
	writeTransfers(d, q, pr.Transfers)
	writeExceptions(d, q, pr.Exceptions)
	writeFindings(d, q, "New problems", pr.Comparison.New, true)
	writeFindings(d, q, "Fixed", pr.Comparison.Fixed, false)
	writeChangedOwners(d, q, pr)
	writeTouchedRunbooks(d, q, pr)
}

// moreRows is the last row of a table that leaves rows out.
func moreRows(what string, cells int) func(int) string {
	return func(left int) string {
		return fmt.Sprintf("| … and %d more %s; run `ownerbot check` for all of them |%s\n", left, what, strings.Repeat(" |", cells-1))
	}
}

func writeTransfers(d *gfm.Doc, q gfm.Quoter, ts []TransferApproval) {
	if len(ts) == 0 {
		return
	}
	c := q.InCell()
	d.Write("#### Ownership moves\n\nEveryone who gains or loses ownership approves the move, on the latest commit.\n\n")
	d.Write("| paths | from | to | via | approvals |\n|---|---|---|---|---|\n")
	rows := make([]string, len(ts))
	for i, t := range ts {
		var approvals []string
		for _, p := range t.Parties {
			if who, ok := t.ApprovedBy[p]; ok {
				approvals = append(approvals, "✅ "+c.Owner(p)+" ("+c.Login(who)+")")
			} else {
				approvals = append(approvals, "⏳ "+c.Owner(p))
			}
		}
		rows[i] = fmt.Sprintf("| %s | %s | %s | %s | %s |\n", codeList(c, t.Paths, 5, t.Files), mdOwners(c, t.From), mdOwners(c, t.To), c.Code(t.Via), strings.Join(approvals, "<br>"))
	}
	d.List(rows, len(rows), moreRows("ownership moves", 5))
	d.Write("\n")
}

func writeExceptions(d *gfm.Doc, q gfm.Quoter, xs []ExceptionApproval) {
	if len(xs) == 0 {
		return
	}
	c := q.InCell()
	d.Write("#### Exceptions\n\nAn exception takes effect once someone who may approve it, other than the author, approves the latest commit.\n\n")
	d.Write("| id | rule | paths | expires | may approve | approval |\n|---|---|---|---|---|---|\n")
	rows := make([]string, len(xs))
	for i, x := range xs {
		e := x.Entry
		state := "⏳ missing"
		if x.ApprovedBy != "" {
			state = "✅ " + c.Login(x.ApprovedBy)
		}
		verb := "changed"
		if x.Added {
			verb = "new"
		}
		rows[i] = fmt.Sprintf("| %s (%s) | %s | %s | %s | %s | %s |\n", c.Code(e.ID), verb, c.Code(e.Rule), codeList(c, e.Paths, 5, len(e.Paths)),
			e.Expires.Format("2006-01-02"), mdOwners(c, x.Approvers), state)
	}
	d.List(rows, len(rows), moreRows("exception changes", 6))
	d.Write("\n")
}

// maxFindingsListed bounds a list of findings in a comment or summary.
const maxFindingsListed = 50

func writeFindings(d *gfm.Doc, q gfm.Quoter, title string, fs []policy.Finding, remedies bool) {
	if len(fs) == 0 {
		return
	}
	d.Write(fmt.Sprintf("#### %s (%d)\n\n", title, len(fs)))
	items := make([]string, 0, min(len(fs), maxFindingsListed))
	for _, f := range fs[:min(len(fs), maxFindingsListed)] {
		icon := mdIcon(f)
		if !remedies {
			icon = "✅"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "- %s **%s** %s: %s", icon, f.Severity, where(q, f), q.Text(f.Message))
		if f.Remedy != "" && remedies {
			b.WriteString("  \n  Fix: " + q.Text(f.Remedy))
		}
		if len(f.Owners) > 0 {
			b.WriteString("  \n  Owners: " + mdOwners(q, f.Owners))
		}
		b.WriteString(" <sub>" + q.Code(f.Rule) + "</sub>\n")
		items = append(items, b.String())
	}
	d.List(items, len(fs), moreFindings)
	d.Write("\n")
}

// writeChangedOwners lists the changed files by who owns them.
func writeChangedOwners(d *gfm.Doc, q gfm.Quoter, pr *PullRequest) {
	if len(pr.Changed) == 0 {
		return
	}
	type group struct {
		owners []string
		files  []string
	}
	groups := map[string]*group{}
	for _, p := range pr.Changed {
		var names []string
		if pr.Head != nil && pr.Head.Ruleset != nil {
			if r := pr.Head.Ruleset.Match(p); r != nil {
				names = r.OwnerNames()
			}
		}
		k := strings.Join(names, " ")
		g := groups[k]
		if g == nil {
			g = &group{owners: names}
			groups[k] = g
		}
		g.files = append(g.files, p)
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int {
		// The unowned last, the rest by how much they own of the change.
		if (len(a.owners) == 0) != (len(b.owners) == 0) {
			if len(a.owners) == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(len(b.files), len(a.files)), strings.Compare(strings.Join(a.owners, " "), strings.Join(b.owners, " ")))
	})
	d.Write(fmt.Sprintf("#### Who owns what changed (%s)\n\n", plural(len(pr.Changed), "file", "files")))
	items := make([]string, len(list))
	for i, g := range list {
		who := mdOwners(q, g.owners)
		if len(g.owners) == 0 {
			who = "**nobody** (no CODEOWNERS rule)"
		}
		items[i] = fmt.Sprintf("- %s: %s\n", who, codeList(q, g.files, 5, len(g.files)))
	}
	d.List(items, len(items), func(left int) string {
		return fmt.Sprintf("- … and %d more owners; run `ownerbot owners` on the changed files for all of them.\n", left)
	})
	d.Write("\n")
}

// writeTouchedRunbooks lists the runbooks of the units the change touches,
// so reviewers see the procedures that may need to change with the code.
func writeTouchedRunbooks(d *gfm.Doc, q gfm.Quoter, pr *PullRequest) {
	if pr.Head == nil || pr.Head.Units == nil {
		return
	}
	seen := map[*owners.Unit]bool{}
	var units []*owners.Unit
	for _, p := range pr.Changed {
		if u := pr.Head.Units.UnitOf(p); u != nil && !seen[u] && len(pr.Head.Runbooks[u]) > 0 {
			seen[u] = true
			units = append(units, u)
		}
	}
	if len(units) == 0 {
		return
	}
	slices.SortFunc(units, func(a, b *owners.Unit) int { return strings.Compare(a.Name(), b.Name()) })
	d.Write("#### Runbooks of the units this touches\n\n")
	var items []string
	for _, u := range units {
		for _, rb := range pr.Head.Runbooks[u] {
			owner := "no owner"
			if rb.Owner != "" {
				owner = q.Owner(rb.Owner)
			}
			items = append(items, fmt.Sprintf("- %s (unit %s, %s): %s\n", q.Code(rb.Path), q.Code(u.Name()), owner, runbookState(q, rb)))
		}
	}
	d.List(items, len(items), func(left int) string {
		return fmt.Sprintf("- … and %d more runbooks; run `ownerbot explain` on a changed file for its unit's runbooks.\n", left)
	})
	d.Write("\n")
}

func runbookState(q gfm.Quoter, rb *policy.UnitRunbook) string {
	st := rb.Status
	switch st.State {
	case "current":
		return "current, review due " + st.Due.Format("2006-01-02")
	case "due_soon":
		return fmt.Sprintf("⏰ review due in %s (%s)", plural(st.DaysLeft, "day", "days"), st.Due.Format("2006-01-02"))
	case "overdue":
		return fmt.Sprintf("⚠️ review overdue by %s", plural(-st.DaysLeft, "day", "days"))
	}
	return "❌ invalid: " + q.Text(st.Reason)
}

func ownerList(names []string) string {
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, " ")
}

// codeList shows up to limit items as code, then how many more of total.
func codeList(q gfm.Quoter, items []string, limit, total int) string {
	var b strings.Builder
	for i, it := range items {
		if i == limit {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.Code(it))
	}
	if shown := min(len(items), limit); total > shown {
		fmt.Fprintf(&b, " and %d more", total-shown)
	}
	return b.String()
}

// GitHub's limits on annotations (the REST description of a check run's
// output): 50 in one request, and a title of 255 characters and a message
// and raw details of 64 KB each.
const (
	MaxAnnotationsPerRequest = 50
	MaxAnnotationTitle       = 255
	MaxAnnotationText        = 64 << 10
)

// An Annotation is a line of a file that a check run marks. GitHub shows
// its text as plain text, never as Markdown.
type Annotation struct {
	Path      string
	Line      int
	Level     string // "failure", "warning" or "notice", as GitHub names them
	Title     string
	Message   string
	RawDetail string
}

// Annotations marks the lines of findings that have one; findings about a
// whole file are marked on its first line, and those about a directory or
// the repository are left to the summary. Titles, messages and details are
// within GitHub's limits, with control characters written as escapes; the
// path is the file's own, as GitHub needs it to place the mark.
func Annotations(fs []policy.Finding) []Annotation {
	var out []Annotation
	for _, f := range fs {
		if f.Path == "." || f.Path == "" || strings.HasSuffix(f.Path, "/") {
			continue
		}
		level := "notice"
		switch f.Severity {
		case policy.Error:
			level = "failure"
		case policy.Warning:
			level = "warning"
		}
		msg := gfm.Printable(f.Message)
		if f.Remedy != "" {
			msg += "\nFix: " + gfm.Printable(f.Remedy)
		}
		out = append(out, Annotation{Path: f.Path, Line: max(f.Line, 1), Level: level,
			Title:     clip(gfm.Printable(f.Rule), MaxAnnotationTitle),
			Message:   clip(msg, MaxAnnotationText),
			RawDetail: clip(gfm.Printable(ownerList(f.Owners)), MaxAnnotationText)})
	}
	return out
}

// AnnotationBatches splits annotations into the requests GitHub accepts:
// at most MaxAnnotationsPerRequest each, in order.
func AnnotationBatches(as []Annotation) [][]Annotation {
	var out [][]Annotation
	for len(as) > 0 {
		n := min(len(as), MaxAnnotationsPerRequest)
		out = append(out, as[:n:n])
		as = as[n:]
	}
	return out
}

// clip cuts s to at most n bytes, at a rune's start, ending in "…" when
// cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
