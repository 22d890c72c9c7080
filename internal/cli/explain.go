package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/runbook"
)

type explainOptions struct {
	repo   string
	ref    string
	format string
	now    string
	org    string
}

func runExplain(ctx context.Context, stdio IO, _ Build, args []string) error {
	var opts explainOptions
	fs := newFlags("explain", "explain [--repo DIR] [--ref REF] [--format text|json] [--now YYYY-MM-DD] [--org-config FILE] PATH...", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", ".", "the repository checkout")
	fs.StringVar(&opts.ref, "ref", "", "explain as of this commit, branch or tag, as committed")
	fs.StringVar(&opts.format, "format", "text", "output format: text or json")
	fs.StringVar(&opts.now, "now", "", "explain as of this day, YYYY-MM-DD (default today)")
	fs.StringVar(&opts.org, "org-config", "", "explain under this organization `FILE` (the ownerbot.yaml of the organization's .github repository)")
	paths, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("name a path to explain")
	}
	if err := oneOf("format", opts.format, "text", "json"); err != nil {
		return err
	}
	org, err := readOrgConfig(opts.org)
	if err != nil {
		return err
	}
	res, now, err := evaluate(opts.repo, opts.ref, opts.now, org, organizationOf(opts.repo, "", stdio.Getenv))
	if err != nil {
		return err
	}
	if res.Ruleset != nil {
		warnSkipped(stdio.Stderr, res.Ruleset, res.CODEOWNERS)
	}

	var explanations []explanation
	for _, p := range paths {
		explanations = append(explanations, explain(res, p, now))
	}
	out := bufio.NewWriter(stdio.Stdout)
	if opts.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(explanations); err != nil {
			return err
		}
		return out.Flush()
	}
	for i, e := range explanations {
		if i > 0 {
			fmt.Fprintln(out)
		}
		e.writeText(out)
	}
	return out.Flush()
}

// parseNow reads --now, defaulting to today in UTC.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		y, m, d := time.Now().UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, usagef("--now must be a date written YYYY-MM-DD, not %q", s)
	}
	return t, nil
}

// An explanation says who owns a path and why: which CODEOWNERS line decides
// it and which matched too but lost, which unit holds it and what that unit
// declares, and the problems found at the path.
type explanation struct {
	Path       string      `json:"path"`
	CODEOWNERS string      `json:"codeowners"` // the file GitHub uses, "" when none
	Owners     []string    `json:"owners"`
	DecidedBy  *lineMatch  `json:"decided_by"` // nil when no line matches
	Overridden []lineMatch `json:"overridden"` // earlier matching lines, last first
	// Skipped are the lines that match the path after the deciding one (or
	// at all, when none decides) but that GitHub skips: they would change
	// the owners if they were valid. Last first.
	Skipped    []skippedMatch `json:"skipped"`
	Unit       *unitSummary   `json:"unit"`       // nil when no OWNERS.yaml holds the path
	Exceptions []string       `json:"exceptions"` // active exceptions that cover the path
	Findings   []string       `json:"findings"`   // problems reported at this path
}

type lineMatch struct {
	Line    int      `json:"line"`
	Pattern string   `json:"pattern"`
	Owners  []string `json:"owners"`
}

// A skippedMatch is a line GitHub skips that would take part in deciding.
type skippedMatch struct {
	lineMatch
	Kind        string `json:"kind"`    // as GitHub's CODEOWNERS errors name it
	Problem     string `json:"problem"` // why GitHub skips the line
	Fix         string `json:"fix"`     // may be empty
	WouldDecide bool   `json:"would_decide"`
}

type unitSummary struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Files are every ownership file the unit is read from: an OWNERS.yaml,
	// a Backstage descriptor, a prow OWNERS file, or several of them.
	Files []string `json:"files"`
	Owner string   `json:"owner"`
	// OwnerFrom says where the owner is written ("svc/catalog-info.yaml:8")
	// or that it is inherited ("inherited from /").
	OwnerFrom string `json:"owner_from"`
	// FileApprovers are who prow lets approve this very path, when the
	// unit comes from a prow OWNERS file whose filters give the path
	// approvers of its own; empty otherwise.
	FileApprovers     []string `json:"file_approvers"`
	FileApproversFrom string   `json:"file_approvers_from"`
	Approvers         []string `json:"approvers"`
	Tier              int      `json:"tier"`
	Lifecycle         string   `json:"lifecycle"`
	Contact           []string `json:"contact"`
	Oncall            string   `json:"oncall"`
	Escalation        []string `json:"escalation"`
	Review            string   `json:"review"`
	Runbooks          []string `json:"runbooks"` // each with its owner and state
}

func explain(res *policy.Result, p string, now time.Time) explanation {
	clean := cleanPath(p)
	e := explanation{Path: p, CODEOWNERS: res.CODEOWNERS, Owners: []string{}, Overridden: []lineMatch{}, Skipped: []skippedMatch{}, Exceptions: []string{}, Findings: []string{}}
	if res.Ruleset != nil {
		matches := res.Ruleset.MatchAll(clean)
		for i := len(matches) - 1; i >= 0; i-- {
			m := match(matches[i])
			if e.DecidedBy == nil {
				e.DecidedBy = &m
				e.Owners = m.Owners
				continue
			}
			e.Overridden = append(e.Overridden, m)
		}
		e.Skipped = skippedAfter(res.Ruleset.SkippedMatches(clean), e.DecidedBy)
	}
	if u := res.Units.UnitOf(clean); u != nil {
		e.Unit = summarizeUnit(u, now)
		if own, from, ok := res.ProwApprovers(clean); ok && fromProw(u) && !slices.Equal(own, u.File.Approvers) {
			e.Unit.FileApprovers, e.Unit.FileApproversFrom = own, from
		}
		for _, r := range res.Runbooks[u] {
			e.Unit.Runbooks = append(e.Unit.Runbooks, runbookText(r))
		}
	}
	for _, x := range res.Exceptions.Applying(clean, now) {
		e.Exceptions = append(e.Exceptions, fmt.Sprintf("%s waives %s until %s: %s (%s:%d; its approval is verified by the ownerbot App)",
			x.ID, x.Rule, x.Expires.Format("2006-01-02"), x.Reason, x.File, x.Line))
	}
	for _, f := range res.Findings {
		if f.Path == clean {
			pos := ""
			if f.Line > 0 {
				pos = fmt.Sprintf("line %d: ", f.Line)
			}
			waived := ""
			if f.ExceptedBy != "" {
				waived = " (waived by " + f.ExceptedBy + ")"
			}
			e.Findings = append(e.Findings, fmt.Sprintf("%s %s%s [%s]%s", f.Severity, pos, f.Message, f.Rule, waived))
		}
	}
	return e
}

// skippedAfter keeps the skipped lines that come after the deciding line,
// last first: a skipped line before it would lose anyway.
func skippedAfter(lines []codeowners.SkippedLine, decidedBy *lineMatch) []skippedMatch {
	out := []skippedMatch{}
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if decidedBy != nil && l.Line < decidedBy.Line {
			break
		}
		out = append(out, skippedMatch{
			lineMatch: lineMatch{Line: l.Line, Pattern: l.Pattern, Owners: l.Owners},
			Kind:      l.Problem.Kind, Problem: l.Problem.Message, Fix: l.Problem.Suggestion,
			WouldDecide: len(out) == 0,
		})
	}
	return out
}

func runbookText(r *policy.UnitRunbook) string {
	st := r.Status
	switch st.State {
	case runbook.Invalid:
		return fmt.Sprintf("%s (%s): invalid, %s", r.Path, r.Owner, st.Reason)
	case runbook.Overdue:
		return fmt.Sprintf("%s (%s): overdue since %s", r.Path, r.Owner, st.Due.Format("2006-01-02"))
	case runbook.DueSoon:
		return fmt.Sprintf("%s (%s): due soon, on %s", r.Path, r.Owner, st.Due.Format("2006-01-02"))
	}
	return fmt.Sprintf("%s (%s): current, due %s", r.Path, r.Owner, st.Due.Format("2006-01-02"))
}

func match(r *codeowners.Rule) lineMatch {
	return lineMatch{Line: r.Line, Pattern: r.Pattern, Owners: r.OwnerNames()}
}

func summarizeUnit(u *owners.Unit, now time.Time) *unitSummary {
	s := &unitSummary{
		Name: u.Name(), File: u.File.Path, Owner: u.Owner, Approvers: u.Approvers,
		Tier: u.Tier, Lifecycle: u.Lifecycle, Contact: []string{}, Escalation: []string{}, Runbooks: []string{},
		Files: []string{u.File.Path}, FileApprovers: []string{},
	}
	if len(u.File.Sources) > 0 {
		s.Files = s.Files[:0]
		for _, f := range u.File.Sources {
			s.Files = append(s.Files, f.Path)
		}
	}
	switch {
	case u.File.Owner != "":
		path, line := u.File.Where("owner")
		s.OwnerFrom = fmt.Sprintf("%s:%d", path, line)
	case u.Parent != nil && u.Owner != "":
		s.OwnerFrom = "inherited from " + u.Parent.Name()
	}
	if u.Contact.Slack != "" {
		s.Contact = append(s.Contact, "slack "+u.Contact.Slack)
	}
	if u.Contact.Email != "" {
		s.Contact = append(s.Contact, "email "+u.Contact.Email)
	}
	if u.Oncall.URL != "" || u.Oncall.Provider != "" {
		s.Oncall = strings.TrimSpace(u.Oncall.Provider + " " + u.Oncall.URL)
	}
	for _, step := range u.Escalation {
		to := step.To
		if to == owners.Parent {
			to = "the parent unit's owner"
			if u.Parent != nil {
				to += " (" + u.Parent.Owner + ")"
			}
		}
		s.Escalation = append(s.Escalation, fmt.Sprintf("after %s: %s", step.After, to))
	}
	if last := u.File.Review.LastReviewed; !u.Governed() {
		s.Review = "not tracked: the unit has no OWNERS.yaml to record reviews in (`ownerbot init` writes one)"
	} else if last.IsZero() {
		s.Review = fmt.Sprintf("never reviewed (every %s)", u.ReviewInterval)
	} else {
		due := last.AddDate(0, 0, u.ReviewInterval.Days)
		state := "due"
		if due.Before(now) {
			state = "overdue since"
		}
		s.Review = fmt.Sprintf("last %s, every %s, %s %s", last.Format("2006-01-02"), u.ReviewInterval, state, due.Format("2006-01-02"))
	}
	return s
}

func (e explanation) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s\n", e.Path)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "  %-13s %s\n", label, fmt.Sprintf(format, args...))
	}
	// rows prints a list under one label, written on its first line only.
	rows := func(label string, items []string) {
		for i, item := range items {
			if i > 0 {
				label = ""
			}
			row(label, "%s", item)
		}
	}
	switch {
	case e.CODEOWNERS == "":
		row("owners", "none: the repository has no CODEOWNERS file")
	case e.DecidedBy == nil && len(e.Skipped) > 0:
		row("owners", "none: no line of %s that GitHub applies matches", e.CODEOWNERS)
	case e.DecidedBy == nil:
		row("owners", "none: no line of %s matches", e.CODEOWNERS)
	case len(e.Owners) == 0:
		row("owners", "none: line %d has no owners, which un-owns the path", e.DecidedBy.Line)
	default:
		row("owners", "%s", strings.Join(e.Owners, " "))
	}
	if e.DecidedBy != nil {
		row("decided by", "%s:%d  %s", e.CODEOWNERS, e.DecidedBy.Line, e.DecidedBy.text())
	}
	overridden := make([]string, len(e.Overridden))
	for i, m := range e.Overridden {
		overridden[i] = fmt.Sprintf("%s:%d  %s", e.CODEOWNERS, m.Line, m.text())
	}
	rows("overrides", overridden)
	var skipped []string
	for _, m := range e.Skipped {
		role := "would match the path too"
		if m.WouldDecide {
			role = "would decide the path"
		}
		skipped = append(skipped,
			fmt.Sprintf("%s:%d  %s", e.CODEOWNERS, m.Line, m.text()),
			fmt.Sprintf("  %s, but GitHub skips it: %s: %s", role, m.Kind, m.Problem))
		if m.Fix != "" {
			skipped = append(skipped, "  fix: "+m.Fix)
		}
	}
	rows("skipped", skipped)
	if u := e.Unit; u != nil {
		row("unit", "%s (%s)", u.Name, strings.Join(u.Files, " + "))
		if u.OwnerFrom != "" {
			row("  owner", "%s (%s)", u.Owner, u.OwnerFrom)
		} else {
			row("  owner", "%s", u.Owner)
		}
		row("  approvers", "%s", strings.Join(u.Approvers, " "))
		if len(u.FileApprovers) > 0 {
			row("  this file", "%s (prow approvers from %s)", strings.Join(u.FileApprovers, " "), u.FileApproversFrom)
		}
		row("  tier", "%d, %s", u.Tier, u.Lifecycle)
		if len(u.Contact) > 0 {
			row("  contact", "%s", strings.Join(u.Contact, ", "))
		}
		if u.Oncall != "" {
			row("  on-call", "%s", u.Oncall)
		}
		rows("  escalation", u.Escalation)
		row("  review", "%s", u.Review)
		rows("  runbooks", u.Runbooks)
	} else {
		row("unit", "none: no ownership file (OWNERS.yaml, catalog-info.yaml, prow OWNERS) at or above this path")
	}
	rows("exceptions", e.Exceptions)
	rows("problems", e.Findings)
}

func (m lineMatch) text() string {
	if len(m.Owners) == 0 {
		return m.Pattern + "  (no owners)"
	}
	return m.Pattern + "  " + strings.Join(m.Owners, " ")
}

// fromProw reports whether a unit is read from a prow OWNERS file, so who
// prow asks to approve one of its files is part of its answer.
func fromProw(u *owners.Unit) bool {
	if u.File.Source == owners.SourceProw {
		return true
	}
	for _, f := range u.File.Sources {
		if f.Source == owners.SourceProw {
			return true
		}
	}
	return false
}
