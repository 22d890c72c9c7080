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
	// TooExpensive: matching every file against the rules would cost more
	// than MaxCoverWork, so Cover stopped. Files and the length of Rules are
	// set; every count is zero, as nothing is known about any file.
	TooExpensive bool
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
	// MoreOverriders counts the other later rules that decide files this
	// rule matches, past Overriders, for a rule that decides no file: a
	// report that names some must say how many it leaves out. It is 0 for a
	// rule that decides a file.
	MoreOverriders int
	// MoreUncounted: Cover stopped counting overriders at maxOverriderPairs
	// across the ruleset, and there are more than MoreOverriders.
	MoreUncounted bool
}

const maxOverriders = 3

// maxOverriderPairs bounds the memory of counting overriders past the first
// maxOverriders: one entry per pair of a rule and a later rule that beats it.
// Real files have a few hundred; only a crafted file of many rules that each
// lose to many others gets near it.
const maxOverriderPairs = 1 << 16

// Percent is the share of files with an owner, from 0 to 100.
func (c Coverage) Percent() float64 {
	if c.Files == 0 {
		return 100
	}
	return 100 * float64(c.Owned) / float64(c.Files)
}

// MaxCoverWork bounds the work of one Cover, in matching steps (see meter):
// 0.6 to 1.3 s of one core on the costliest rules and paths measured (globs
// of long "?" runs, deep "**" chains, thousands of globs whose letters every
// path has). Real files cost about 1 % of it, and 50,000 synthetic rules on
// 100,000 paths 42 %. Without it such a file, which no index can make
// cheap, would cost rules × paths matches: minutes on a large tree.
const MaxCoverWork = 500_000_000

// candidateSteps is what a candidate costs before its match, in steps.
const candidateSteps = 16

// Cover matches every file of a tree against the ruleset. files are
// repository-relative paths of files (not directories), each once. Past
// MaxCoverWork it stops and reports TooExpensive.
func (rs *Ruleset) Cover(files []string) Coverage {
	return rs.CoverWithin(files, MaxCoverWork)
}

// CoverWithin is Cover with a budget of its own, in the same steps as
// MaxCoverWork.
func (rs *Ruleset) CoverWithin(files []string, budget int64) Coverage {
	cov, _ := rs.cover(files, budget)
	return cov
}

// cover is Cover within budget steps; it returns the steps spent.
func (rs *Ruleset) cover(files []string, budget int64) (Coverage, int64) {
	cov := Coverage{Files: len(files), Rules: make([]RuleCoverage, len(rs.Rules))}
	unowned := make([]bool, len(files))
	var segBuf [32]string
	var cands []candidate
	var m meter
	more := overriderCount{cov: &cov}
	for fi, file := range files {
		t := splitPath(file, segBuf[:0])
		cands = sortCandidates(rs.index.candidates(file, t, cands[:0], &m))
		// Finding the candidates reads the path; each costs its sorting and
		// dispatch, as much as a short match.
		m.steps += int64(len(file)) + candidateSteps*int64(1+len(cands))
		decider := -1
		for _, c := range cands {
			if m.steps > budget {
				return Coverage{Files: len(files), Rules: make([]RuleCoverage, len(rs.Rules)), TooExpensive: true}, m.steps
			}
			r := &rs.Rules[c.rule]
			if !r.pat.match(t, int(c.from), &m) {
				continue
			}
			if decider < 0 {
				decider = int(c.rule)
				cov.Rules[c.rule].Decided++
			}
			cov.Rules[c.rule].Matched++
			more.overridden(c.rule, decider)
			// The earlier lines with the same pattern match too, and lose.
			same := rs.index.earlier[c.rule]
			m.steps += int64(len(same))
			for _, e := range same {
				cov.Rules[e].Matched++
				more.overridden(e, decider)
			}
		}
		if decider >= 0 && len(rs.Rules[decider].Owners) > 0 {
			cov.Owned++
		} else {
			unowned[fi] = true
		}
	}
	more.finish()
	cov.Unowned = groupUnowned(files, unowned)
	return cov, m.steps
}

// overriderCount records which later rules beat each rule: the first
// maxOverriders in RuleCoverage.Overriders, the number of the others in
// MoreOverriders.
type overriderCount struct {
	cov  *Coverage
	seen map[uint64]struct{} // rule<<32 | decider, past the first maxOverriders
}

// overridden records that decider decides a file that rule matches, unless
// it is the rule itself.
func (o *overriderCount) overridden(rule int32, decider int) {
	rc := &o.cov.Rules[rule]
	switch {
	case int(rule) == decider, containsInt(rc.Overriders, decider):
		return
	case len(rc.Overriders) < maxOverriders:
		rc.Overriders = append(rc.Overriders, decider)
		return
	case rc.Decided > 0:
		return // finish forgets the count of a rule that decides a file
	}
	key := uint64(rule)<<32 | uint64(uint32(decider))
	if _, ok := o.seen[key]; ok {
		return
	}
	if len(o.seen) >= maxOverriderPairs {
		rc.MoreUncounted = true
		return
	}
	if o.seen == nil {
		o.seen = map[uint64]struct{}{}
	}
	o.seen[key] = struct{}{}
	rc.MoreOverriders++
}

// finish clears the counts of rules that decide a file: counting stopped
// when they first did, so what was counted is no total.
func (o *overriderCount) finish() {
	for i := range o.cov.Rules {
		if rc := &o.cov.Rules[i]; rc.Decided > 0 {
			rc.MoreOverriders, rc.MoreUncounted = 0, false
		}
	}
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
