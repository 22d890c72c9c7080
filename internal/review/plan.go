// Package review plans the living issues through which the sweep tells
// owners what governance work they owe, and decides how to bring GitHub's
// issues to that plan.
//
// It is pure: findings, pull requests, the issues as GitHub has them and
// `now` go in; desired issues and the writes that reach them come out. The
// sweep reads GitHub and git, and carries the writes out.
//
// One living issue per unit (or, with issues.group_by: team, one per owning
// team) lists every item due, with its file, due date, owner and remedy. Its
// hidden marker says which unit it is for and what it listed, so the next
// sweep finds it again, closed or open, and knows which items were done.
package review

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// Issue groupings: the Kind of an issue's identity.
const (
	KindUnit = config.Unit // one issue per unit; Name is the unit ("/", "payments/")
	KindTeam = config.Team // one digest per owning team; Name is the owner
)

// An Identity is what makes an issue the one living issue for something.
type Identity struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (id Identity) String() string { return id.Kind + " " + id.Name }

// An Item is one piece of work due.
type Item struct {
	// Key tells the item apart from one sweep to the next: a short hash of
	// the finding's identity (rule, path, message without numbers).
	Key  string
	Rule string
	Path string // the file the work is in; "" for a pull request
	Line int
	// Text says what is due, in words that do not change from day to day.
	Text   string
	Remedy string
	Due    time.Time // zero: undated (never reviewed, or not about a date)
	Owners []string  // who acts on it
	PR     int       // the pull request of a stale review
	Unit   string    // the unit's name
	Lapsed string    // an exception that waived it until it expired
}

// Overdue reports whether the item's date has passed (undated work is
// overdue: it has no date to wait for).
func (it Item) Overdue(now time.Time) bool { return it.Due.IsZero() || !day(now).Before(day(it.Due)) }

// A Unit is what planning needs of an ownership unit.
type Unit struct {
	Name  string // "/" for the root, else the directory with a slash
	Owner string // effective owner, "" when nobody is named
	// Escalation is the unit's chain with "parent" resolved to the owner
	// of the enclosing unit; steps without anyone to tell are left out.
	Escalation []Step
}

// A Step of an escalation chain: After days past the issue's opening, To
// hears about the work still due.
type Step struct {
	After int    `json:"after"`
	To    string `json:"to"`
}

// A StalePR is an open pull request that has waited on its owners' review
// longer than the service level.
type StalePR struct {
	Number int
	Title  string
	Author string
	Asked  []string  // the owners whose review was requested and is still missing
	Since  time.Time // when it started waiting
	Due    time.Time // when the wait passed the service level
	Unit   string    // the unit whose issue lists it
	SLA    int       // working days
}

// Input is everything planning needs for one repository.
type Input struct {
	Repo     string // owner/name
	Now      time.Time
	Config   config.Issues
	Units    []Unit
	Findings []policy.Finding
	Stale    []StalePR
}

// Desired is an issue as it should be.
type Desired struct {
	ID     Identity
	Title  string
	Owner  string   // who is accountable: the unit's owner, or the team
	Labels []string // from configuration
	// Assignees are the users among the owners (GitHub assigns users only,
	// ten at most); teams are mentioned instead.
	Assignees  []string
	Mentions   []string
	Items      []Item // by due date, then path
	Escalation []Step
}

// Plan turns a repository's findings and stale pull requests into the
// issues that should exist. A unit with nothing due has no desired issue.
func Plan(in Input) []Desired {
	if !in.Config.Enabled {
		return nil
	}
	units := map[string]Unit{}
	for _, u := range in.Units {
		units[u.Name] = u
	}
	min, err := policy.ParseSeverity(in.Config.MinSeverity)
	if err != nil {
		min = policy.Warning
	}
	byID := map[Identity]*Desired{}
	var order []Identity
	add := func(it Item) {
		u, ok := units[it.Unit]
		if !ok {
			u = Unit{Name: it.Unit}
		}
		owner := u.Owner
		if owner == "" && len(it.Owners) > 0 {
			owner = it.Owners[0]
		}
		id := Identity{KindUnit, u.Name}
		if in.Config.GroupBy == config.Team && owner != "" {
			id = Identity{KindTeam, strings.ToLower(owner)}
		}
		d := byID[id]
		if d == nil {
			d = &Desired{ID: id, Owner: owner, Labels: slices.Clone(in.Config.Labels)}
			byID[id] = d
			order = append(order, id)
		}
		d.Items = append(d.Items, it)
		d.Escalation = mergeSteps(d.Escalation, u.Escalation, owner)
	}
	for _, f := range in.Findings {
		if f.ExceptedBy != "" || !inIssues(f, min) {
			continue
		}
		unit := f.Unit
		if unit == "" {
			unit = "/"
		}
		add(Item{
			Key: KeyOf(f), Rule: f.Rule, Path: f.Path, Line: f.Line, Text: itemText(f),
			Remedy: f.Remedy, Due: f.Due, Owners: f.Owners, Unit: unit, Lapsed: f.Lapsed,
		})
	}
	for _, s := range in.Stale {
		add(Item{
			Key: key(policy.ReviewStalePR + "\x00#" + itoa(s.Number)), Rule: policy.ReviewStalePR, PR: s.Number,
			Text: staleText(s), Remedy: "review the pull request, or ask someone else on the team to",
			Due: s.Due, Owners: s.Asked, Unit: s.Unit,
		})
	}
	out := make([]Desired, 0, len(order))
	for _, id := range order {
		d := byID[id]
		slices.SortStableFunc(d.Items, func(a, b Item) int {
			return cmp.Or(compareDue(a.Due, b.Due), strings.Compare(a.Path, b.Path), cmp.Compare(a.PR, b.PR),
				cmp.Compare(a.Line, b.Line), strings.Compare(a.Key, b.Key))
		})
		d.Items = dedupeItems(d.Items)
		d.Title = title(d.ID)
		d.Assignees, d.Mentions = audience(d.Owner, d.Items)
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b Desired) int {
		return cmp.Or(strings.Compare(a.ID.Kind, b.ID.Kind), strings.Compare(a.ID.Name, b.ID.Name))
	})
	return out
}

// notInIssues are rules whose findings are about a pull request, not about
// the state of the default branch.
var notInIssues = map[string]bool{policy.TransferUnapproved: true}

func inIssues(f policy.Finding, min policy.Severity) bool {
	if notInIssues[f.Rule] {
		return false
	}
	return f.Severity >= min || f.Rule == policy.ExceptionExpiring
}

// itemText is what an issue says of a finding. Dated findings are written
// from their subject and date, because their messages count days.
func itemText(f policy.Finding) string {
	switch {
	case f.Rule == policy.OwnersReviewOverdue && f.Due.IsZero():
		return capitalize(f.Subject) + " has never been done"
	case f.Rule == policy.OwnersReviewOverdue, f.Rule == policy.RunbookOverdue:
		return capitalize(f.Subject) + " was due on " + f.Due.Format(time.DateOnly)
	case f.Rule == policy.ExceptionExpiring:
		return "Exception " + f.Subject + " expires on " + f.Due.Format(time.DateOnly) + "; then the findings it waives count again"
	}
	return f.Message
}

func staleText(s StalePR) string {
	var b strings.Builder
	b.WriteString("Pull request #" + itoa(s.Number))
	if s.Title != "" {
		b.WriteString(" (" + oneLine(s.Title, 80) + ")")
	}
	b.WriteString(" has waited on the review of " + strings.Join(s.Asked, ", ") +
		" since " + s.Since.Format(time.DateOnly) + ", longer than " + itoa(s.SLA) + " working days")
	return b.String()
}

// maxTitle bounds an issue's title: GitHub takes 256 characters at most.
const maxTitle = 256

// title is an issue's title: plain text, control characters written as
// escapes, a long unit name shortened to fit.
func title(id Identity) string {
	if id.Name == "/" && id.Kind != KindTeam {
		return "Ownership work due at the repository root"
	}
	prefix := "Ownership work due in "
	if id.Kind == KindTeam {
		prefix = "Ownership work due for "
	}
	name := gfm.Printable(id.Name)
	if len(prefix)+len(name) > maxTitle {
		cut := maxTitle - len(prefix) - len("…")
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return prefix + name
}

// audience splits owners into users to assign and teams (and e-mail
// owners, who cannot be assigned) to mention.
func audience(owner string, items []Item) (assignees, mentions []string) {
	seen := map[string]bool{}
	consider := func(o string) {
		lo := strings.ToLower(o)
		if o == "" || seen[lo] {
			return
		}
		seen[lo] = true
		switch {
		case strings.HasPrefix(o, "@") && !strings.Contains(o, "/"):
			if len(assignees) < 10 {
				assignees = append(assignees, o[1:])
			}
		case strings.HasPrefix(o, "@"):
			mentions = append(mentions, o)
		}
	}
	consider(owner)
	for _, it := range items {
		for _, o := range it.Owners {
			consider(o)
		}
	}
	slices.Sort(assignees)
	slices.Sort(mentions)
	return assignees, mentions
}

// mergeSteps adds a unit's escalation steps to a digest's, keeping the
// earliest step for each person told, and never telling the owner about
// their own work.
func mergeSteps(have, add []Step, owner string) []Step {
	for _, s := range add {
		if strings.EqualFold(s.To, owner) {
			continue
		}
		i := slices.IndexFunc(have, func(h Step) bool { return strings.EqualFold(h.To, s.To) })
		switch {
		case i < 0:
			have = append(have, s)
		case s.After < have[i].After:
			have[i].After = s.After
		}
	}
	slices.SortStableFunc(have, func(a, b Step) int { return cmp.Compare(a.After, b.After) })
	return have
}

func dedupeItems(items []Item) []Item {
	seen := map[string]bool{}
	out := items[:0]
	for _, it := range items {
		if !seen[it.Key] {
			seen[it.Key] = true
			out = append(out, it)
		}
	}
	return out
}

// compareDue orders dated items first, earliest first.
func compareDue(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// KeyOf is the key of the item a finding becomes.
func KeyOf(f policy.Finding) string { return key(f.Identity()) }

// WorkingDaysAfter is the moment n working days (Monday to Friday) after t.
func WorkingDaysAfter(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

func key(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return hex.EncodeToString(sum[:6])
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
