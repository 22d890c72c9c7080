package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/exception"
)

// checkExceptions reads every OWNERS_EXCEPTIONS.yaml, reports entries that
// are invalid, too long or about to expire, and marks the findings that an
// active entry waives. It runs after every other check, on their findings.
//
// Approval cannot be checked without GitHub: locally an entry applies, and
// reports say its approval is verified by the App (exception.unapproved).
func checkExceptions(tree Tree, now time.Time, since map[string]time.Time, res *Result) error {
	var files []*exception.File
	known := func(id string) bool { _, ok := Lookup(id); return ok }
	for _, p := range tree.Paths() {
		if path.Base(p) != exception.FileName {
			continue
		}
		data, err := readBounded(tree, p, exception.MaxSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a link that leads nowhere ownerbot follows: absent
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		f, problems := exception.Parse(p, data, known)
		for _, pr := range problems {
			res.Findings = append(res.Findings, finding(ExceptionInvalid, p, pr.Line, pr.Column, pr.Message, ""))
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	var unitDirs []string
	for _, u := range res.Units.Units() {
		unitDirs = append(unitDirs, u.Dir())
	}
	set, problems := exception.NewSet(files, unitDirs)
	res.Exceptions = set
	for _, pr := range problems {
		res.Findings = append(res.Findings, finding(ExceptionInvalid, pr.Path, pr.Line, pr.Column, pr.Message, ""))
	}

	// An entry that lasts longer than allowed waives nothing (fail closed).
	res.voided = map[*exception.Entry]bool{}
	for _, f := range files {
		start, ok := since[f.Path]
		if !ok {
			start = now // no history: judge the expiry from today
		}
		for _, e := range f.Entries {
			if !e.Valid {
				continue
			}
			max := res.Config.MaxDuration(e.Rule)
			if e.TooLong(start, max) {
				res.voided[e] = true
				res.Findings = append(res.Findings, finding(ExceptionTooLong, f.Path, e.Line, e.Column,
					fmt.Sprintf("%s expires on %s, more than %d days after %s (the most allowed for %s), so it waives nothing",
						e.ID, e.Expires.Format("2006-01-02"), max.Days, start.Format("2006-01-02"), e.Rule),
					fmt.Sprintf("set expires to %s or earlier, or raise exceptions.max_duration for %s in .github/ownerbot.yaml", start.AddDate(0, 0, max.Days).Format("2006-01-02"), e.Rule)))
				continue
			}
			if e.Status(now) == exception.Expiring {
				fd := finding(ExceptionExpiring, f.Path, e.Line, e.Column,
					fmt.Sprintf("%s (%s) expires on %s, in %s; then the findings it waives count again",
						e.ID, e.Rule, e.Expires.Format("2006-01-02"), plural(e.DaysLeft(now), "day")), "")
				fd.Due, fd.Subject = e.Expires, fmt.Sprintf("%s (%s)", e.ID, e.Rule)
				res.Findings = append(res.Findings, fd)
			}
		}
	}
	for i := range res.Findings {
		res.waive(&res.Findings[i], now)
	}
	return nil
}

// waive marks a finding that an active exception waives, or says in its
// message which exception expired. Entries that last too long waive nothing.
func (res *Result) waive(f *Finding, now time.Time) {
	if res.Exceptions == nil || strings.HasPrefix(f.Rule, "exception.") {
		return // an exception cannot waive what is wrong with exceptions
	}
	for _, e := range res.Exceptions.Waivers(f.Rule, f.Path, now) {
		if !res.voided[e] {
			f.ExceptedBy = e.ID
			return
		}
	}
	if ended := res.Exceptions.Expired(f.Rule, f.Path, now); len(ended) > 0 {
		f.Message += fmt.Sprintf(" (exception %s expired on %s)", ended[0].ID, ended[0].Expires.Format("2006-01-02"))
		f.Lapsed = ended[0].ID
	}
}

// Revoke voids an exception entry found merged without an eligible approval
// (which only the App can tell): from now on it waives nothing, the findings
// it waived count again, and an exception.unapproved finding on the entry
// says why and who may ratify it. Revoking an entry twice changes nothing.
func (res *Result) Revoke(e *exception.Entry, message, remedy string, now time.Time) {
	if res.voided == nil {
		res.voided = map[*exception.Entry]bool{}
	}
	if res.voided[e] {
		return
	}
	res.voided[e] = true
	for i := range res.Findings {
		if f := &res.Findings[i]; f.ExceptedBy == e.ID {
			f.ExceptedBy = ""
			res.waive(f, now) // another entry may still cover it
		}
	}
	// It no longer waives anything, so its expiry is news to nobody.
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if !(f.Rule == ExceptionExpiring && f.Path == e.File && f.Line == e.Line) {
			kept = append(kept, f)
		}
	}
	res.Findings = kept
	f := finding(ExceptionUnapproved, e.File, e.Line, e.Column, message, remedy)
	f.Subject = fmt.Sprintf("%s (%s)", e.ID, e.Rule)
	if res.complete(&f) {
		res.Findings = append(res.Findings, f)
	}
	res.sort()
}
