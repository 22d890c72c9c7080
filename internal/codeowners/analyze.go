package codeowners

import (
	"slices"
	"strings"
)

// Coverage is what a ruleset does to a tree of files.
type Coverage struct {
	Files int // files looked at
	Owned int // files decided by a rule with owners
	// Unowned groups the files that no rule owns (none matches, or the
	// deciding rule has no owners) into the largest directories that hold
	// only such files, in path order.
	Unowned []UnownedGroup
	// Rules has one entry per rule of the ruleset, in the same order.
	Rules []RuleCoverage
}

// An UnownedGroup is a directory (ending in "/", or "" for the whole tree)
// whose files are all unowned, or a single unowned file.
type UnownedGroup struct {
	Path  string
	Files int
}

// RuleCoverage is what one rule does across the tree.
type RuleCoverage struct {
	Matched int // files the rule's pattern matches
	Decided int // files for which it is the last match, so it decides
	// Overriders are the indexes of the later rules that decide the files
	// this rule matches but does not decide, first seen first, at most
	// maxOverriders of them.
	Overriders []int
}

const maxOverriders = 3

// Percent is the share of files with an owner, from 0 to 100.
func (c Coverage) Percent() float64 {
	if c.Files == 0 {
		return 100
	}
	return 100 * float64(c.Owned) / float64(c.Files)
}

// Cover matches every file of a tree against the ruleset. files are
// repository-relative paths of files (not directories), each once.
func (rs *Ruleset) Cover(files []string) Coverage {
	cov := Coverage{Files: len(files), Rules: make([]RuleCoverage, len(rs.Rules))}
	unowned := make([]bool, len(files))
	var segBuf [32]string
	var cands []candidate
	for fi, file := range files {
		t := splitPath(file, segBuf[:0])
		cands = sortCandidates(rs.index.candidates(file, t, cands[:0]))
		decider := -1
		for _, c := range cands {
			r := &rs.Rules[c.rule]
			if !r.pat.match(t, int(c.from)) {
				continue
			}
			rc := &cov.Rules[c.rule]
			rc.Matched++
			if decider < 0 {
				decider = int(c.rule)
				rc.Decided++
				continue
			}
			if len(rc.Overriders) < maxOverriders && !containsInt(rc.Overriders, decider) {
				rc.Overriders = append(rc.Overriders, decider)
			}
		}
		if decider >= 0 && len(rs.Rules[decider].Owners) > 0 {
			cov.Owned++
		} else {
			unowned[fi] = true
		}
	}
	cov.Unowned = groupUnowned(files, unowned)
	return cov
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// groupUnowned folds unowned files into the largest directories that hold
// nothing else.
func groupUnowned(files []string, unowned []bool) []UnownedGroup {
	if !slices.Contains(unowned, true) {
		return nil // the usual case, with a default owner: nothing to fold
	}
	type count struct{ total, unowned int }
	dirs := map[string]*count{}
	for i, f := range files {
		for d := parentDir(f); ; d = parentDir(d) {
			c := dirs[d]
			if c == nil {
				c = &count{}
				dirs[d] = c
			}
			c.total++
			if unowned[i] {
				c.unowned++
			}
			if d == "" {
				break
			}
		}
	}
	full := func(d string) bool { c := dirs[d]; return c.total == c.unowned }
	var groups []UnownedGroup
	seen := map[string]bool{}
	for i, f := range files {
		if !unowned[i] {
			continue
		}
		// Climb while the parent holds only unowned files.
		group, n := f, 1
		for d := parentDir(f); full(d); d = parentDir(d) {
			group, n = d, dirs[d].total
			if d == "" {
				break
			}
		}
		if !seen[group] {
			seen[group] = true
			groups = append(groups, UnownedGroup{Path: group, Files: n})
		}
	}
	return groups
}

// parentDir returns the directory holding p, with a trailing slash, or "" for
// the root. p may itself be a directory with a trailing slash. Paths are
// clean repository paths, so the parent is a prefix of p: no copy is made.
func parentDir(p string) string {
	p = strings.TrimSuffix(p, "/")
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return ""
	}
	return p[:i+1]
}

// Duplicates maps the index of each rule to the index of the next rule with
// exactly the same pattern: that later line wins wherever both match, so the
// earlier line decides nothing.
func (rs *Ruleset) Duplicates() map[int]int {
	last := map[string]int{}
	dups := map[int]int{}
	for i := len(rs.Rules) - 1; i >= 0; i-- {
		p := rs.Rules[i].Pattern
		if j, ok := last[p]; ok {
			dups[i] = j
		}
		last[p] = i
	}
	return dups
}
