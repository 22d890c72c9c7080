package exception

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A Set is the exceptions of one repository, ready to say which entries
// waive a finding.
//
// Scope: an entry in the exceptions file of unit U covers only paths that
// belong to U, the nearest unit at or above them (DESIGN §2.4: a file "can
// only waive findings inside that unit"). A unit nested below U is its own:
// its owners, and with `inherit: false` its own approvers, decide its
// exceptions, so U's entries never reach into it, nor beside or above U.
// Where several entries waive the same finding, they come in file order.
//
// Patterns are matched against the path relative to U's directory, with
// CODEOWNERS semantics (see pattern). A finding about U itself is reported
// on U's OWNERS.yaml (runbook.missing, owners.review_overdue), which
// "OWNERS.yaml" or "/OWNERS.yaml" waives; "**" waives everything in U, U's
// own directory ("u/") included.
type Set struct {
	byDir map[string][]*Entry // entries that may waive, by unit directory
	units map[string]bool     // directories that have an OWNERS.yaml
}

// NewSet gathers the exceptions files of a repository; units are the
// directories that have an OWNERS.yaml ("" for the root). An entry waives
// nothing when it is not Valid, when its file has no OWNERS.yaml beside it,
// or when an earlier entry has its id; the problems say why, and include
// those of CheckIDs.
func NewSet(files []*File, units []string) (*Set, []Problem) {
	isUnit := make(map[string]bool, len(units))
	for _, u := range units {
		isUnit[u] = true
	}
	dups, problems := duplicates(files)
	s := &Set{byDir: map[string][]*Entry{}, units: isUnit}
	for _, f := range sortedFiles(files) {
		if !isUnit[f.Dir] {
			where := f.Dir + "/"
			if f.Dir == "" {
				where = "the repository root"
			}
			problems = append(problems, Problem{Path: f.Path, Message: fmt.Sprintf(
				"there is no OWNERS.yaml in %s: exceptions apply only inside a unit, so none of these apply; move the file next to the unit's OWNERS.yaml", where)})
			continue
		}
		for _, e := range f.Entries {
			if e.Valid && !dups[e] {
				s.byDir[f.Dir] = append(s.byDir[f.Dir], e)
			}
		}
	}
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return s, problems
}

// Entries are the entries that may waive findings, by unit directory and
// then in file order.
func (s *Set) Entries() []*Entry {
	var all []*Entry
	for _, dir := range slices.Sorted(maps.Keys(s.byDir)) {
		all = append(all, s.byDir[dir]...)
	}
	return all
}

// CheckIDs reports ids used by more than one entry across all the
// exceptions files of a repository. Files are taken in path order and
// entries in file order; every use after the first is a problem naming the
// first. (Ids are also never to be reused after an entry is removed; only
// the history can tell that.)
func CheckIDs(files []*File) []Problem {
	_, problems := duplicates(files)
	return problems
}

func duplicates(files []*File) (map[*Entry]bool, []Problem) {
	first := map[string]*Entry{}
	dups := map[*Entry]bool{}
	var problems []Problem
	for _, f := range sortedFiles(files) {
		for _, e := range f.Entries {
			if e.ID == "" {
				continue
			}
			prev, seen := first[e.ID]
			if !seen {
				first[e.ID] = e
				continue
			}
			dups[e] = true
			problems = append(problems, Problem{Path: f.Path, Line: e.Line, Column: e.Column, Message: fmt.Sprintf(
				"id %q is already used by %s:%d; ids are unique in the repository and never reused, so give this exception a new one",
				e.ID, prev.File, prev.Line)})
		}
	}
	return dups, problems
}

func sortedFiles(files []*File) []*File {
	sorted := slices.DeleteFunc(slices.Clone(files), func(f *File) bool { return f == nil })
	slices.SortStableFunc(sorted, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	return sorted
}

// Waiver returns the entry that waives a finding of rule at path on now's
// date, if any: the first of Waivers.
func (s *Set) Waiver(rule, p string, now time.Time) (*Entry, bool) {
	if w := s.Waivers(rule, p, now); len(w) > 0 {
		return w[0], true
	}
	return nil, false
}

// Waivers returns every entry that waives a finding of rule at path on
// now's date: valid, not expired, for that rule, in a unit that holds the
// path, with a pattern that covers it. The caller may still set some aside
// (unapproved, too long) and take the next.
//
// path is repository-relative and clean, as findings carry it: a file
// ("a/b.go"), a directory ending in "/" ("a/b/"), or "." for the whole
// tree. A directory is waived only by a pattern that covers everything
// inside it. A path that is not clean ("a/../b", "/a", "./a") is never
// waived: it cannot be placed in a unit with certainty.
func (s *Set) Waivers(rule, p string, now time.Time) []*Entry {
	var out []*Entry
	s.each(p, func(e *Entry) {
		if e.Rule == rule && e.Status(now) != Expired {
			out = append(out, e)
		}
	})
	return out
}

// Expired returns the entries that would waive a finding of rule at path
// but have expired by now's date: the finding is back, and the report can
// say which exception ended.
func (s *Set) Expired(rule, p string, now time.Time) []*Entry {
	var out []*Entry
	s.each(p, func(e *Entry) {
		if e.Rule == rule && e.Status(now) == Expired {
			out = append(out, e)
		}
	})
	return out
}

// Applying returns every entry, for any rule, that covers path and has not
// expired on now's date, in the order of Waivers: what `explain` lists.
func (s *Set) Applying(p string, now time.Time) []*Entry {
	var out []*Entry
	s.each(p, func(e *Entry) {
		if e.Status(now) != Expired {
			out = append(out, e)
		}
	})
	return out
}

// each visits the entries of the path's unit that cover it.
func (s *Set) each(p string, visit func(*Entry)) {
	clean, isDir, ok := locate(p)
	if s == nil || !ok {
		return
	}
	// The path itself may be a unit's directory ("a/" when a/ is a unit);
	// otherwise it belongs to the nearest unit above it.
	dir := clean
	for dir != "" && !s.units[dir] {
		dir = strictyaml.Dir(dir)
	}
	for _, e := range s.byDir[dir] {
		if _, ok := e.covers(clean, isDir); ok {
			visit(e)
		}
	}
}

// Covers reports whether the entry, if valid, covers a repository-relative
// path (see Waivers for how paths are written), and with which pattern. It
// ignores the rule and the date.
func (e *Entry) Covers(p string) (pattern string, ok bool) {
	clean, isDir, ok := locate(p)
	if !ok {
		return "", false
	}
	return e.covers(clean, isDir)
}

func (e *Entry) covers(clean string, isDir bool) (string, bool) {
	var rel string
	switch {
	case e.Dir == "":
		rel = clean
	case clean == e.Dir:
		rel = ""
	case strings.HasPrefix(clean, e.Dir+"/"):
		rel = clean[len(e.Dir)+1:]
	default:
		return "", false
	}
	for i := range e.patterns {
		if e.patterns[i].matches(rel, isDir || rel == "") {
			return e.patterns[i].raw, true
		}
	}
	return "", false
}

// locate reads a finding's path: the clean path without a trailing "/" (""
// for the whole tree), and whether it names a directory. ok is false when
// the path is not clean and relative.
func locate(p string) (clean string, isDir, ok bool) {
	if p == "" || p == "." {
		return "", true, true
	}
	isDir = strings.HasSuffix(p, "/")
	clean = strings.TrimSuffix(p, "/")
	switch {
	case clean == "", clean == ".", strings.HasPrefix(clean, "/"), path.Clean(clean) != clean,
		clean == "..", strings.HasPrefix(clean, "../"):
		return "", false, false
	}
	return clean, isDir, true
}
