package codeowners

import (
	"slices"
	"strings"
)

// An index finds, for a path, the few rules that could match it, so that the
// cost of a lookup depends on those rules and not on the size of the file.
//
// Every rule is filed in exactly one place (a rule whose pattern a later line
// repeats is not filed: see earlier):
//   - anchored rules that start with literal segments go into a trie keyed by
//     those segments; walking the trie along the path visits only rules whose
//     literal prefix the path has; at a node, rules whose next segment is a
//     glob that starts with a literal character ("/boards/nrf*/") are filed
//     by that character;
//   - other rules that contain a literal segment are filed under it: a path
//     can only match if it has that segment somewhere;
//   - anchored rules whose first segment is a glob that ends in a literal
//     extension ("/*.md") are filed under that extension, which the path's
//     first segment must have;
//   - other rules with a glob that ends in a literal extension ("*.go",
//     "*_test.go") are filed under the extension, which some segment of the
//     path must have;
//   - the rest ("*", "*Waf*", "**") are checked for every path;
//   - but rules of a list longer than longList go to the needle set (below).
//
// Match walks each list a path selects from its last rule down, keeping the
// latest match so far, and stops a list at its first match or at a rule
// before that one: the answer is the reverse scan's over every rule. MatchAll
// and Cover, which need every match, collect the candidates and sort them.
//
// Rules outside the trie may also have a needle: literal text of one of their
// globs, which the path must contain. It is checked before the automaton
// runs, so that a rule costs a substring search instead of a walk over every
// segment of a long path.
//
// A list longer than longList would still cost a search per rule and path:
// its rules that have a needle leave it for the needle set, which finds the
// needles a path contains in one pass, so that a file of thousands of
// star-heavy rules costs each path only the rules whose text it has. Real
// files have no such list, and keep the plain lists.
type index struct {
	trie      trieNode
	bySegment map[string][]int32
	byExt     map[string][]int32
	byRootExt map[string][]int32
	general   []int32
	needles   []string   // by rule; "" when the rule has none or is in the trie
	byNeedle  *needleSet // rules of long lists, by needle; nil when none
	// earlier maps a rule to the earlier rules with the same pattern, in
	// file order. Only the last of them is filed: the others match exactly
	// where it does and always lose to it, so Match never needs them, and
	// Cover and MatchAll count them without matching again.
	earlier map[int32][]int32
	// Most path segments are no key at all: these filters say so for the
	// price of two bit tests instead of a map lookup.
	segFilter, extFilter, rootExtFilter keyFilter
}

// extOf returns what follows the last dot of a path segment.
func extOf(seg string) (string, bool) {
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 {
		return "", false
	}
	return seg[dot+1:], true
}

// A keyFilter is a tiny Bloom filter over the keys of a map: the lengths and
// the first bytes of the keys it holds.
type keyFilter struct {
	lens  uint64    // bit min(len, 63)
	first [4]uint64 // bit per first byte
}

func (f *keyFilter) add(key string) {
	f.lens |= 1 << min(len(key), 63)
	if key != "" {
		f.first[key[0]>>6] |= 1 << (key[0] & 63)
	}
}

// mayHave reports whether key may be in the map; false is certain.
func (f *keyFilter) mayHave(key string) bool {
	if f.lens&(1<<min(len(key), 63)) == 0 {
		return false
	}
	return key == "" || f.first[key[0]>>6]&(1<<(key[0]&63)) != 0
}

type trieNode struct {
	children map[string]*trieNode
	rules    []int32 // rules whose literal prefix ends at this node
	// byFirst holds, instead of rules, those whose next segment is a glob
	// that starts with a literal character ("esp*", "nucleo-*"), by that
	// character: the next path segment must start with it.
	byFirst map[byte][]int32
}

// file adds a rule whose literal prefix ends at this node; next is the
// pattern segment after that prefix, if any.
func (n *trieNode) file(id int32, next *segment) {
	if next != nil && next.kind == segGlob && !next.glob.leadStar &&
		next.glob.chunks[0].atoms == nil && next.glob.chunks[0].lit != "" {
		if n.byFirst == nil {
			n.byFirst = map[byte][]int32{}
		}
		c := next.glob.chunks[0].lit[0]
		n.byFirst[c] = append(n.byFirst[c], id)
		return
	}
	n.rules = append(n.rules, id)
}

// walk calls visit for each list of rules of the trie along t, with the
// number of segments their literal prefix matched.
func (n *trieNode) walk(t []string, visit func(list []int32, from int)) {
	for d := 0; ; d++ {
		if len(n.rules) > 0 {
			visit(n.rules, d)
		}
		if d == len(t) {
			return
		}
		if n.byFirst != nil && t[d] != "" {
			if list := n.byFirst[t[d][0]]; len(list) > 0 {
				visit(list, d)
			}
		}
		if n.children == nil {
			return
		}
		if n = n.children[t[d]]; n == nil {
			return
		}
	}
}

// candidate is a rule to try, and how many leading path segments its literal
// prefix is already known to match.
type candidate struct {
	rule int32
	from int32
}

// buildIndex files the rules; lists longer than long give their needled
// rules to the needle set (longList, except in tests that put every rule
// they can there).
func buildIndex(rules []Rule, long int) index {
	ix := index{
		bySegment: map[string][]int32{}, byExt: map[string][]int32{}, byRootExt: map[string][]int32{},
		needles: make([]string, len(rules)),
	}
	last := make(map[string]int32, len(rules))
	for i := range rules {
		last[rules[i].Pattern] = int32(i)
	}
	for i := range rules {
		p := &rules[i].pat
		id := int32(i)
		if l := last[rules[i].Pattern]; l != id {
			if ix.earlier == nil {
				ix.earlier = map[int32][]int32{}
			}
			ix.earlier[l] = append(ix.earlier[l], id)
			continue
		}
		if p.literalPrefix() == 0 {
			ix.needles[i] = p.needle()
			if ext, ok := p.requiredExt(); ok && ix.needles[i] == "."+ext {
				// Filed under its extension (below): the needle adds nothing.
				ix.needles[i] = ""
			}
		}
		if n := p.literalPrefix(); n > 0 {
			node := &ix.trie
			for _, s := range p.segs[:n] {
				child := node.children[s.lit]
				if child == nil {
					if node.children == nil {
						node.children = map[string]*trieNode{}
					}
					child = &trieNode{}
					node.children[s.lit] = child
				}
				node = child
			}
			var next *segment
			if n < len(p.segs) {
				next = &p.segs[n]
			}
			node.file(id, next)
			continue
		}
		if key, ok := p.requiredSegment(); ok {
			ix.bySegment[key] = append(ix.bySegment[key], id)
			ix.segFilter.add(key)
			continue
		}
		if ext, ok := p.rootExt(); ok {
			ix.byRootExt[ext] = append(ix.byRootExt[ext], id)
			ix.rootExtFilter.add(ext)
			continue
		}
		if ext, ok := p.requiredExt(); ok {
			ix.byExt[ext] = append(ix.byExt[ext], id)
			ix.extFilter.add(ext)
			continue
		}
		ix.general = append(ix.general, id)
	}
	ix.shortenLists(rules, long)
	return ix
}

// longList is the most rules with a needle that a list may hold: past it,
// they go to the needle set. With it, what those rules cost a path is
// bounded by its segments, whatever the size of the file: a few lists per
// segment, and no more than longList needled rules in each.
const longList = 32

// shortenLists moves the rules that have a needle out of every list that
// has more than long of them, into the needle set. A list with fewer keeps
// them: trying a few costs less than a pass of the needle set over the path.
func (ix *index) shortenLists(rules []Rule, long int) {
	var b needleBuilder
	shorten := func(list []int32) []int32 {
		if len(list) <= long {
			return list
		}
		needled := 0
		for _, r := range list {
			if rules[r].pat.needle() != "" {
				needled++
			}
		}
		if needled <= long {
			return list
		}
		kept := list[:0]
		for _, r := range list {
			if n := rules[r].pat.needle(); n != "" {
				b.add(n, r)
			} else {
				kept = append(kept, r)
			}
		}
		return slices.Clip(kept)
	}
	var walk func(n *trieNode)
	walk = func(n *trieNode) {
		n.rules = shorten(n.rules)
		for c, list := range n.byFirst {
			n.byFirst[c] = shorten(list)
		}
		for _, child := range n.children {
			walk(child)
		}
	}
	walk(&ix.trie)
	for _, m := range []map[string][]int32{ix.bySegment, ix.byExt, ix.byRootExt} {
		for k, list := range m {
			m[k] = shorten(list)
		}
	}
	ix.general = shorten(ix.general)
	ix.byNeedle = b.build()
}

// requiredSegment returns the longest literal segment of the pattern: any
// path the pattern matches has it as one of its segments.
func (p *pattern) requiredSegment() (string, bool) {
	best := ""
	for _, s := range p.segs {
		if s.kind == segLiteral && len(s.lit) > len(best) {
			best = s.lit
		}
	}
	return best, best != ""
}

// requiredExt returns the extension that some segment of any matching path
// must have, taken from a glob that ends in literal text with a dot.
func (p *pattern) requiredExt() (string, bool) {
	for _, s := range p.segs {
		if s.kind != segGlob {
			continue
		}
		if suffix := s.glob.suffix(); strings.Contains(suffix, ".") {
			return suffix[strings.LastIndexByte(suffix, '.')+1:], true
		}
	}
	return "", false
}

// rootExt returns the extension the first path segment must have, when the
// pattern is anchored and starts with a glob that ends in one.
func (p *pattern) rootExt() (string, bool) {
	if len(p.segs) == 0 || p.segs[0].kind != segGlob {
		return "", false
	}
	if suffix := p.segs[0].glob.suffix(); strings.Contains(suffix, ".") {
		return suffix[strings.LastIndexByte(suffix, '.')+1:], true
	}
	return "", false
}

// needle returns the longest literal text of the pattern's globs, or "".
func (p *pattern) needle() string {
	best := ""
	for _, s := range p.segs {
		if s.kind != segGlob {
			continue
		}
		for _, c := range s.glob.chunks {
			if c.atoms == nil && len(c.lit) > len(best) {
				best = c.lit
			}
		}
	}
	return best
}

// candidates appends the rules that could match path, whose segments are t,
// and counts the rules it looks at in m.
func (ix *index) candidates(path string, t []string, out []candidate, m *meter) []candidate {
	ix.trie.walk(t, func(list []int32, from int) {
		for _, r := range list {
			out = append(out, candidate{r, int32(from)})
		}
	})
	if len(t) > 0 && len(ix.byRootExt) > 0 {
		if e, ok := extOf(t[0]); ok {
			out = ix.appendNeedled(out, path, m, ix.byRootExt[e])
		}
	}
	// A path that repeats a segment or an extension (a/a/a/…, x.go/y.go)
	// must add each list of rules once, not once per repetition: a hostile
	// file and path would otherwise ask for rules × segments candidates.
	var segSeen, extSeen keySet
	for _, seg := range t {
		if rules := ix.bySegment[seg]; len(rules) > 0 && segSeen.add(seg) {
			out = ix.appendNeedled(out, path, m, rules)
		}
		if dot := strings.LastIndexByte(seg, '.'); dot >= 0 && len(ix.byExt) > 0 {
			ext := seg[dot+1:]
			if rules := ix.byExt[ext]; len(rules) > 0 && extSeen.add(ext) {
				out = ix.appendNeedled(out, path, m, rules)
			}
		}
	}
	out = ix.appendNeedled(out, path, m, ix.general)
	if ix.byNeedle != nil {
		ix.byNeedle.find(path, func(id int32) {
			for _, r := range ix.byNeedle.rules(id) {
				out = append(out, candidate{r, 0})
			}
		})
	}
	return out
}

// appendNeedled appends the rules whose needle, if any, the path contains.
// Each rule looked at is a step: a list holds at most longList of them.
func (ix *index) appendNeedled(out []candidate, path string, m *meter, rules []int32) []candidate {
	m.steps += int64(len(rules))
	for _, r := range rules {
		if n := ix.needles[r]; n == "" || strings.Contains(path, n) {
			out = append(out, candidate{r, 0})
		}
	}
	return out
}

// A keySet remembers the keys looked up for one path: a few inline, and a
// map once there are more, so that long paths stay linear and short ones
// allocate nothing.
type keySet struct {
	n    int
	keys [4]string
	m    map[string]bool
}

// add reports whether key is new.
func (s *keySet) add(key string) bool {
	if s.m != nil {
		if s.m[key] {
			return false
		}
		s.m[key] = true
		return true
	}
	if slices.Contains(s.keys[:s.n], key) {
		return false
	}
	if s.n < len(s.keys) {
		s.keys[s.n] = key
		s.n++
		return true
	}
	s.m = make(map[string]bool, 2*len(s.keys))
	for _, k := range s.keys {
		s.m[k] = true
	}
	s.m[key] = true
	return true
}

// sortCandidates orders candidates from the last line up and drops repeats
// (a rule filed under a segment the path has twice).
func sortCandidates(c []candidate) []candidate {
	slices.SortFunc(c, func(a, b candidate) int { return int(b.rule - a.rule) })
	return slices.CompactFunc(c, func(a, b candidate) bool { return a.rule == b.rule })
}

// Match returns the rule that decides the owners of a repository-relative
// file path: the last rule that matches it, or nil when none does. The rule's
// Owners may be empty: the path is then explicitly un-owned.
func (rs *Ruleset) Match(path string) *Rule {
	var segBuf [32]string
	t := splitPath(path, segBuf[:0])
	if i := rs.index.decide(rs.Rules, path, t); i >= 0 {
		return &rs.Rules[i]
	}
	return nil
}

// decide returns the index of the last rule that matches the path, or -1.
// It walks the same lists as candidates, but each from its last rule down,
// and stops a list at its first match or at a rule below the best match so
// far: no list of candidates, no sorting, and few automaton runs.
func (ix *index) decide(rules []Rule, path string, t []string) int {
	s := search{rules: rules, path: path, t: t, best: -1}
	// trieNode.walk, by hand: this is the hot path.
	for d, n := 0, &ix.trie; ; d++ {
		s.try(n.rules, d, nil)
		if d == len(t) {
			break
		}
		if n.byFirst != nil && t[d] != "" {
			s.try(n.byFirst[t[d][0]], d, nil)
		}
		if n.children == nil {
			break
		}
		if n = n.children[t[d]]; n == nil {
			break
		}
	}
	if len(t) > 0 && len(ix.byRootExt) > 0 {
		if e, ok := extOf(t[0]); ok && ix.rootExtFilter.mayHave(e) {
			s.try(ix.byRootExt[e], 0, ix.needles)
		}
	}
	if len(ix.bySegment) > 0 || len(ix.byExt) > 0 {
		// As in candidates, a repeated segment or extension is tried once.
		var segSeen, extSeen keySet
		for _, seg := range t {
			if ix.segFilter.mayHave(seg) {
				if list := ix.bySegment[seg]; s.worth(list) && segSeen.add(seg) {
					s.try(list, 0, ix.needles)
				}
			}
			if len(ix.byExt) > 0 {
				if dot := strings.LastIndexByte(seg, '.'); dot >= 0 && ix.extFilter.mayHave(seg[dot+1:]) {
					ext := seg[dot+1:]
					if list := ix.byExt[ext]; s.worth(list) && extSeen.add(ext) {
						s.try(list, 0, ix.needles)
					}
				}
			}
		}
	}
	s.try(ix.general, 0, ix.needles)
	if ix.byNeedle != nil {
		ix.byNeedle.find(path, func(id int32) { s.try(ix.byNeedle.rules(id), 0, nil) })
	}
	return s.best
}

// A search is one decision in progress.
type search struct {
	rules []Rule
	path  string
	t     []string
	best  int
	meter meter
}

// worth reports whether a list (in file order) holds a rule after the best
// match so far.
func (s *search) worth(list []int32) bool {
	return len(list) > 0 && int(list[len(list)-1]) > s.best
}

// try matches the rules of list after the best so far, last first. from is
// how many leading segments their literal prefix is known to match; needles,
// when given, filter rules before their automaton runs.
func (s *search) try(list []int32, from int, needles []string) {
	for i := len(list) - 1; i >= 0; i-- {
		r := int(list[i])
		if r <= s.best {
			return
		}
		if needles != nil {
			if n := needles[r]; n != "" && !strings.Contains(s.path, n) {
				continue
			}
		}
		if s.rules[r].pat.match(s.t, from, &s.meter) {
			s.best = r
			return
		}
	}
}

// Owners returns the owners of a path as written, or nil when it is unowned.
func (rs *Ruleset) Owners(path string) []Owner {
	if r := rs.Match(path); r != nil {
		return r.Owners
	}
	return nil
}

// MatchAll returns every rule that matches the path, in file order; the last
// one decides. It explains a decision: the others matched and lost.
func (rs *Ruleset) MatchAll(path string) []*Rule {
	var segBuf [32]string
	t := splitPath(path, segBuf[:0])
	var m meter
	cands := sortCandidates(rs.index.candidates(path, t, nil, &m))
	var matched []int32
	for _, c := range cands {
		if rs.Rules[c.rule].pat.match(t, int(c.from), &m) {
			matched = append(matched, c.rule)
			matched = append(matched, rs.index.earlier[c.rule]...)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	slices.Sort(matched)
	out := make([]*Rule, len(matched))
	for i, r := range matched {
		out[i] = &rs.Rules[r]
	}
	return out
}
