package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

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

// Title is the check run's one-line title.
func (pr *PullRequest) Title() string {
	if pr.Incomplete != "" {
		return "Incomplete: " + pr.Incomplete
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

// PullRequestSummary writes the check run's summary.
func PullRequestSummary(w io.Writer, pr *PullRequest) error {
	tw := &textWriter{w: w}
	writePullRequest(tw, pr)
	return tw.err
}

// PullRequestComment writes the sticky comment: the summary under a hidden
// marker that finds it again. After a merge it is the record of approvals.
func PullRequestComment(w io.Writer, pr *PullRequest) error {
	tw := &textWriter{w: w}
	if pr.Merged != nil {
		writeMergeRecord(tw, pr)
		return tw.err
	}
	tw.printf("%s\n### ownerbot: %s\n\n", CommentMarker, mdText(pr.Title()))
	writePullRequest(tw, pr)
	return tw.err
}

// writeMergeRecord writes the comment of a merged pull request: the
// approvals each ownership move and exception change had on the merged
// commit. With the git history, it is the audit trail of the decision.
func writeMergeRecord(tw *textWriter, pr *PullRequest) {
	m := pr.Merged
	missing := pr.PendingApprovals()
	title := "merged with every approval it needed"
	switch {
	case missing == 1:
		title = "merged with 1 change that lacks the approval it needed"
	case missing > 1:
		title = fmt.Sprintf("merged with %d changes that lack the approval they needed", missing)
	}
	tw.printf("%s\n%s\n### ownerbot: %s\n\n", CommentMarker, MergeMarker, title)
	by := "GitHub"
	if m.By != "" {
		by = "@" + m.By
	}
	commit := ""
	if m.Commit != "" {
		commit = " as " + m.Commit[:min(len(m.Commit), 12)]
	}
	tw.printf("Merged by %s on %s%s. The approvals below are recorded as they stood on the merged head commit.\n\n",
		by, m.At.UTC().Format("2006-01-02 15:04 MST"), commit)
	if missing > 0 {
		tw.printf("> [!CAUTION]\n> Changes marked ⏳ merged without the approval they needed. Have whoever is missing approve a follow-up pull request that ratifies them, or revert them.\n\n")
	}
	writeTransfers(tw, pr.Transfers)
	writeExceptions(tw, pr.Exceptions)
}

func writePullRequest(tw *textWriter, pr *PullRequest) {
	if pr.Incomplete != "" {
		tw.printf("> [!WARNING]\n> ownerbot could not check this pull request completely: %s. Nothing here is a pass.\n\n", mdText(pr.Incomplete))
	}
	switch c := pr.Conclusion(); {
	case c == Failure:
		tw.printf("This pull request is blocked until what is listed below is fixed or approved.\n\n")
	case pr.Blocking() > 0 && pr.Mode == "observe":
		tw.printf("Mode `observe`: what is listed below would block this pull request once the repository enforces ownership.\n\n")
	case pr.Blocking() > 0:
		tw.printf("Mode `%s`: what is listed below does not block this pull request yet.\n\n", pr.Mode)
	}
	writeTransfers(tw, pr.Transfers)
	writeExceptions(tw, pr.Exceptions)
	writeFindings(tw, "New problems", pr.Comparison.New, true)
	writeFindings(tw, "Fixed", pr.Comparison.Fixed, false)
	writeChangedOwners(tw, pr)
	writeTouchedRunbooks(tw, pr)
}

func writeTransfers(tw *textWriter, ts []TransferApproval) {
	if len(ts) == 0 {
		return
	}
	tw.printf("#### Ownership moves\n\nEveryone who gains or loses ownership approves the move, on the latest commit.\n\n")
	tw.printf("| paths | from | to | via | approvals |\n|---|---|---|---|---|\n")
	for _, t := range ts {
		var approvals []string
		for _, p := range t.Parties {
			if who, ok := t.ApprovedBy[p]; ok {
				approvals = append(approvals, fmt.Sprintf("✅ %s (@%s)", p, who))
			} else {
				approvals = append(approvals, "⏳ "+p)
			}
		}
		tw.printf("| %s | %s | %s | `%s` | %s |\n", codeList(t.Paths, 5, t.Files), ownerList(t.From), ownerList(t.To), t.Via, strings.Join(approvals, "<br>"))
	}
	tw.printf("\n")
}

func writeExceptions(tw *textWriter, xs []ExceptionApproval) {
	if len(xs) == 0 {
		return
	}
	tw.printf("#### Exceptions\n\nAn exception takes effect once someone who may approve it, other than the author, approves the latest commit.\n\n")
	tw.printf("| id | rule | paths | expires | may approve | approval |\n|---|---|---|---|---|---|\n")
	for _, x := range xs {
		e := x.Entry
		state := "⏳ missing"
		if x.ApprovedBy != "" {
			state = "✅ @" + x.ApprovedBy
		}
		verb := "changed"
		if x.Added {
			verb = "new"
		}
		tw.printf("| `%s` (%s) | `%s` | %s | %s | %s | %s |\n", e.ID, verb, e.Rule, codeList(e.Paths, 5, len(e.Paths)),
			e.Expires.Format("2006-01-02"), ownerList(x.Approvers), state)
	}
	tw.printf("\n")
}

func writeFindings(tw *textWriter, title string, fs []policy.Finding, remedies bool) {
	if len(fs) == 0 {
		return
	}
	tw.printf("#### %s (%d)\n\n", title, len(fs))
	const limit = 50
	for i, f := range fs {
		if i == limit {
			tw.printf("- … and %d more; run `ownerbot check` for all of them.\n", len(fs)-limit)
			break
		}
		where := "`" + f.Path + "`"
		if f.Line > 0 {
			where = fmt.Sprintf("`%s:%d`", f.Path, f.Line)
		}
		icon := mdIcon(f)
		if !remedies {
			icon = "✅"
		}
		tw.printf("- %s **%s** %s: %s", icon, f.Severity, where, mdText(f.Message))
		if f.Remedy != "" && remedies {
			tw.printf("  \n  Fix: %s", mdText(f.Remedy))
		}
		if len(f.Owners) > 0 {
			tw.printf("  \n  Owners: %s", ownerList(f.Owners))
		}
		tw.printf(" <sub>`%s`</sub>\n", f.Rule)
	}
	tw.printf("\n")
}

// writeChangedOwners lists the changed files by who owns them.
func writeChangedOwners(tw *textWriter, pr *PullRequest) {
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
	tw.printf("#### Who owns what changed (%s)\n\n", plural(len(pr.Changed), "file", "files"))
	for _, g := range list {
		who := ownerList(g.owners)
		if len(g.owners) == 0 {
			who = "**nobody** (no CODEOWNERS rule)"
		}
		tw.printf("- %s: %s\n", who, codeList(g.files, 5, len(g.files)))
	}
	tw.printf("\n")
}

// writeTouchedRunbooks lists the runbooks of the units the change touches,
// so reviewers see the procedures that may need to change with the code.
func writeTouchedRunbooks(tw *textWriter, pr *PullRequest) {
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
	tw.printf("#### Runbooks of the units this touches\n\n")
	for _, u := range units {
		for _, rb := range pr.Head.Runbooks[u] {
			tw.printf("- `%s` (unit `%s`, %s): %s\n", rb.Path, u.Name(), ownerText(rb.Owner), runbookState(rb))
		}
	}
	tw.printf("\n")
}

func runbookState(rb *policy.UnitRunbook) string {
	st := rb.Status
	switch st.State {
	case "current":
		return "current, review due " + st.Due.Format("2006-01-02")
	case "due_soon":
		return fmt.Sprintf("⏰ review due in %s (%s)", plural(st.DaysLeft, "day", "days"), st.Due.Format("2006-01-02"))
	case "overdue":
		return fmt.Sprintf("⚠️ review overdue by %s", plural(-st.DaysLeft, "day", "days"))
	}
	return "❌ invalid: " + mdText(st.Reason)
}

func ownerText(owner string) string {
	if owner == "" {
		return "no owner"
	}
	return owner
}

func ownerList(names []string) string {
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, " ")
}

// codeList shows up to limit items as code, then how many more of total.
func codeList(items []string, limit, total int) string {
	var b strings.Builder
	for i, it := range items {
		if i == limit {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + strings.ReplaceAll(it, "`", "'") + "`")
	}
	if shown := min(len(items), limit); total > shown {
		fmt.Fprintf(&b, " and %d more", total-shown)
	}
	return b.String()
}

// An Annotation is a line of a file that a check run marks.
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
// the repository are left to the summary.
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
		msg := f.Message
		if f.Remedy != "" {
			msg += "\nFix: " + f.Remedy
		}
		out = append(out, Annotation{Path: f.Path, Line: max(f.Line, 1), Level: level,
			Title: f.Rule, Message: msg, RawDetail: ownerList(f.Owners)})
	}
	return out
}
