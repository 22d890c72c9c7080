package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/runbook"
)

// A UnitRunbook is a runbook of a unit with its state on the evaluation day.
type UnitRunbook struct {
	*runbook.Runbook
	Status runbook.Status
	Owner  string // the runbook's owner, or its unit's
}

// findRunbooks parses the runbooks that each unit's globs select. A glob is
// relative to the unit's directory, with CODEOWNERS pattern syntax, anchored
// there ("runbooks/*.md", "*.md" for the directory itself).
func findRunbooks(tree Tree, res *Result) error {
	res.Runbooks = map[*owners.Unit][]*UnitRunbook{}
	paths := tree.Paths()
	for _, u := range res.Units.Units() {
		if len(u.File.Runbooks) == 0 {
			continue
		}
		globs := make([]string, 0, len(u.File.Runbooks))
		for _, g := range u.File.Runbooks {
			globs = append(globs, "/"+g+" @x") // owners validated each glob's shape
		}
		rs := codeowners.Parse([]byte(strings.Join(globs, "\n")))
		prefix := ""
		if u.Dir() != "" {
			prefix = u.Dir() + "/"
		}
		lo, _ := slices.BinarySearch(paths, prefix)
		for _, p := range paths[lo:] {
			if !strings.HasPrefix(p, prefix) {
				break
			}
			if rs.Match(p[len(prefix):]) == nil {
				continue
			}
			data, err := readBounded(tree, p, runbook.MaxSize)
			if errors.Is(err, fs.ErrNotExist) {
				continue // a link that leads nowhere ownerbot follows: absent
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			r, _ := runbook.Parse(p, data)
			owner := r.Owner
			if owner == "" {
				owner = u.Owner
			}
			res.Runbooks[u] = append(res.Runbooks[u], &UnitRunbook{Runbook: r, Owner: owner})
		}
	}
	return nil
}

// runbookHistoryWanted lists the runbooks whose history gives context: those
// with no declared review date.
func runbookHistoryWanted(res *Result) []string {
	var out []string
	for _, rbs := range res.Runbooks {
		for _, r := range rbs {
			if r.MissingLastReviewed() {
				out = append(out, r.Path)
			}
		}
	}
	return out
}

// checkRunbooks reports units that need a runbook and have none, and each
// runbook that is invalid, overdue or has a broken link.
func checkRunbooks(tree Tree, now time.Time, lastChanged map[string]time.Time, res *Result) error {
	links := runbook.NewLinkChecker(tree, tree.Paths())
	for _, u := range res.Units.Units() {
		rbs := res.Runbooks[u]
		// A unit read only from another source has no OWNERS.yaml to list
		// runbooks in: it is judged for ownership alone.
		if len(rbs) == 0 && u.Governed() && u.Lifecycle == owners.Production && slices.Contains(res.Config.Runbooks.RequiredTiers, u.Tier) {
			msg := fmt.Sprintf("%s is a production tier-%d unit with no runbook", u.Name(), u.Tier)
			if len(u.File.Runbooks) > 0 {
				msg += fmt.Sprintf(": its runbooks globs (%s) match no file", strings.Join(u.File.Runbooks, ", "))
			}
			res.Findings = append(res.Findings, findingAt(RunbookMissing, u.File, []string{"runbooks", "owner"}, msg,
				"write a runbook with front matter (owner, last_reviewed) and list it under runbooks in this OWNERS.yaml"))
		}
		for _, r := range rbs {
			if t, ok := lastChanged[r.Path]; ok {
				r.LastCommit = t
			}
			r.Status = r.Runbook.Status(now, owners.DefaultInterval(u.Tier))
			add := func(f Finding) {
				f.Owners = []string{r.Owner}
				res.Findings = append(res.Findings, f)
			}
			for _, p := range r.Problems() {
				add(finding(RunbookInvalid, r.Path, p.Line, p.Column, p.Message, ""))
			}
			if r.Status.State == runbook.Overdue {
				fd := finding(RunbookOverdue, r.Path, lineOf(r.Lines, runbook.KeyLastReviewed), 1,
					fmt.Sprintf("the review of this runbook was due on %s, %s ago (last reviewed %s, every %d days)",
						r.Status.Due.Format("2006-01-02"), plural(-r.Status.DaysLeft, "day"), r.LastReviewed.Format("2006-01-02"), r.Status.Interval.Days),
					"review the runbook with the on-call and set last_reviewed to today")
				fd.Due, fd.Subject = r.Status.Due, "the review of this runbook"
				add(fd)
			}
			broken, err := links.BrokenLinks(r.Runbook)
			if err != nil {
				return err
			}
			for _, l := range broken {
				add(finding(RunbookBrokenLink, r.Path, l.Line, l.Column,
					fmt.Sprintf("the link to `%s` does not resolve: %s", l.Target, l.Reason), ""))
			}
		}
	}
	return nil
}

func lineOf(lines map[string]int, key string) int {
	if l := lines[key]; l > 0 {
		return l
	}
	return 1
}

// historyWanted lists every path whose last change evaluation needs: the
// runbooks without a review date (shown as context) and the exceptions files
// (an exception's length runs from its merge).
func historyWanted(tree Tree, res *Result) []string {
	out := runbookHistoryWanted(res)
	for _, p := range tree.Paths() {
		if path.Base(p) == exception.FileName {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
