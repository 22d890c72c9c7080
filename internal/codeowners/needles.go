package codeowners

import (
	"slices"
	"strings"
)

// A needleSet finds, in one pass over a path, every needle (literal text a
// rule's globs require) that the path contains: an Aho-Corasick automaton
// over all the needles. It replaces one substring search per rule and path,
// which made a file of thousands of star-heavy rules cost rules × paths
// searches, with a pass that costs the length of the path plus what it finds.
type needleSet struct {
	nodes []needleNode
	// The children of node i are edgeTo[edges[i].first:][:edges[i].n],
	// sorted by byte in edgeByte; the root's are also in rootNext.
	edgeByte []byte
	edgeTo   []int32
	rootNext [256]int32 // child of the root by byte, or 0 (the root)
	// The rules filed under needle id, in file order, are
	// ruleList[ruleStart[id]:ruleStart[id+1]].
	ruleList  []int32
	ruleStart []int32
}

// rules returns the rules filed under needle id, in file order.
func (s *needleSet) rules(id int32) []int32 {
	return s.ruleList[s.ruleStart[id]:s.ruleStart[id+1]]
}

type needleNode struct {
	first, n int32 // children, in edgeByte and edgeTo
	fail     int32 // the longest proper suffix of this node's text that is a node
	// out is the nearest node on the fail chain, this one included, that
	// ends a needle, or -1.
	out    int32
	needle int32 // the needle that ends here, or -1
}

// maxNeedle bounds a needle: any part of a required text is required too,
// and a short one keeps the automaton no larger than a few times the file.
const maxNeedle = 32

// needleBuilder collects needles and the rules filed under them, in one
// flat list: a file may have tens of thousands of them.
type needleBuilder struct {
	filed []filedRule
}

type filedRule struct {
	needle string
	rule   int32
}

// add files rule under needle, which must not be empty.
func (b *needleBuilder) add(needle string, rule int32) {
	if len(needle) > maxNeedle {
		needle = needle[:maxNeedle]
	}
	b.filed = append(b.filed, filedRule{needle, rule})
}

// build returns the automaton, or nil when no needle was added.
func (b *needleBuilder) build() *needleSet {
	if len(b.filed) == 0 {
		return nil
	}
	// Sorted by needle, the rules of a needle are together (and in file
	// order), and the needles come in the order the trie wants.
	slices.SortFunc(b.filed, func(x, y filedRule) int {
		if c := strings.Compare(x.needle, y.needle); c != 0 {
			return c
		}
		return int(x.rule - y.rule)
	})
	// Count first, so that every array is allocated once at its size.
	distinct, nodes := 0, 1
	for i, f := range b.filed {
		if i == 0 {
			distinct, nodes = 1, 1+len(f.needle)
		} else if prev := b.filed[i-1].needle; f.needle != prev {
			distinct++
			nodes += len(f.needle) - commonPrefix(prev, f.needle)
		}
	}
	s := &needleSet{ruleList: make([]int32, len(b.filed)), ruleStart: make([]int32, 0, distinct+1)}
	needles := make([]string, 0, distinct)
	for i, f := range b.filed {
		if i == 0 || f.needle != b.filed[i-1].needle {
			needles = append(needles, f.needle)
			s.ruleStart = append(s.ruleStart, int32(i))
		}
		s.ruleList[i] = f.rule
	}
	s.ruleStart = append(s.ruleStart, int32(len(b.filed)))
	// The trie of the needles, inserted in sorted order so that every
	// node's children arrive in byte order: a sibling list per node, then
	// laid out flat. No map per node: the needles may be a few megabytes.
	type rawNode struct {
		firstChild, lastChild, nextSibling int32 // 0: none (the root is no child)
		c                                  byte
		children                           int32
	}
	raw := make([]rawNode, 1, nodes)
	needleAt := make([]int32, 1, nodes)
	needleAt[0] = -1
	path := []int32{0} // the nodes along the previous needle, the root first
	prev := ""
	for id, needle := range needles {
		common := commonPrefix(prev, needle)
		path = path[:common+1]
		for i := common; i < len(needle); i++ {
			parent := path[i]
			child := int32(len(raw))
			raw = append(raw, rawNode{c: needle[i]})
			needleAt = append(needleAt, -1)
			if raw[parent].lastChild == 0 {
				raw[parent].firstChild = child
			} else {
				raw[raw[parent].lastChild].nextSibling = child
			}
			raw[parent].lastChild = child
			raw[parent].children++
			path = append(path, child)
		}
		needleAt[path[len(needle)]] = int32(id)
		prev = needle
	}
	s.nodes = make([]needleNode, len(raw))
	s.edgeByte = make([]byte, 0, len(raw)-1)
	s.edgeTo = make([]int32, 0, len(raw)-1)
	for n := range raw {
		node := &s.nodes[n]
		node.needle = needleAt[n]
		node.first, node.n = int32(len(s.edgeByte)), raw[n].children
		for c := raw[n].firstChild; c != 0; c = raw[c].nextSibling {
			s.edgeByte = append(s.edgeByte, raw[c].c)
			s.edgeTo = append(s.edgeTo, c)
		}
	}
	for i := range s.nodes[0].n {
		s.rootNext[s.edgeByte[i]] = s.edgeTo[i]
	}
	// Failure and output links, breadth first: a node's failure is
	// shallower than the node, so it is done before.
	s.nodes[0].out = -1
	queue := make([]int32, 1, len(raw))
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		node := s.nodes[n]
		for e := node.first; e < node.first+node.n; e++ {
			c, child := s.edgeByte[e], s.edgeTo[e]
			fail := int32(0)
			if n != 0 {
				fail = s.step(node.fail, c)
			}
			s.nodes[child].fail = fail
			if s.nodes[child].needle >= 0 {
				s.nodes[child].out = child
			} else {
				s.nodes[child].out = s.nodes[fail].out
			}
			queue = append(queue, child)
		}
	}
	return s
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// child returns the child of node n by byte c, or -1.
func (s *needleSet) child(n int32, c byte) int32 {
	if n == 0 {
		if next := s.rootNext[c]; next != 0 {
			return next
		}
		return -1
	}
	node := &s.nodes[n]
	bs := s.edgeByte[node.first : node.first+node.n]
	if len(bs) <= 8 {
		for i, b := range bs {
			if b == c {
				return s.edgeTo[int(node.first)+i]
			}
		}
		return -1
	}
	if i, ok := slices.BinarySearch(bs, c); ok {
		return s.edgeTo[int(node.first)+i]
	}
	return -1
}

// step follows byte c from node n, through failure links when n has no such
// child.
func (s *needleSet) step(n int32, c byte) int32 {
	for {
		if next := s.child(n, c); next >= 0 {
			return next
		}
		if n == 0 {
			return 0
		}
		n = s.nodes[n].fail
	}
}

// find calls visit once for each needle that path contains.
func (s *needleSet) find(path string, visit func(id int32)) {
	var seen idSet
	n := int32(0)
	for i := 0; i < len(path); i++ {
		n = s.step(n, path[i])
		// Every needle on the output chain ends here. A needle seen before
		// had its whole chain visited then (its suffixes end where it
		// ended), so the walk stops there: the chains cost no more, over
		// the whole path, than the needles found.
		for o := s.nodes[n].out; o >= 0; {
			id := s.nodes[o].needle
			if !seen.add(id) {
				break
			}
			visit(id)
			o = s.nodes[s.nodes[o].fail].out
		}
	}
}

// An idSet remembers the needles found in one path: a few inline, and a map
// once there are more, so that the usual path allocates nothing.
type idSet struct {
	n   int
	ids [8]int32
	m   map[int32]bool
}

// add reports whether id is new.
func (s *idSet) add(id int32) bool {
	if s.m != nil {
		if s.m[id] {
			return false
		}
		s.m[id] = true
		return true
	}
	if slices.Contains(s.ids[:s.n], id) {
		return false
	}
	if s.n < len(s.ids) {
		s.ids[s.n] = id
		s.n++
		return true
	}
	s.m = make(map[int32]bool, 2*len(s.ids))
	for _, k := range s.ids {
		s.m[k] = true
	}
	s.m[id] = true
	return true
}
