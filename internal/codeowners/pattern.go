package codeowners

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled CODEOWNERS pattern.
//
// Semantics (gitignore with GitHub's documented differences):
//   - a pattern with a slash at its start or in its middle is anchored to the
//     root; any other pattern matches at any depth (a leading "**" is implied);
//   - "*" and "?" never cross "/"; a whole segment "**" matches zero or more
//     segments; "**" inside a segment is a plain "*";
//   - a pattern matches a path when it matches the path itself or one of the
//     directories above it, with two restrictions: a trailing "/" or "/**"
//     matches only what is inside a directory (never a file of that name), and
//     a last segment that is a lone "*" matches direct children only
//     ("docs/*" owns docs/a.md but not docs/sub/b.md), as GitHub documents;
//   - matching is case-sensitive and works on whole characters.
type pattern struct {
	segs []segment
	// inside: the pattern ended in "/" or "/**", so it matches only paths
	// strictly below a matched directory.
	inside bool
	// childrenOnly: the last segment is a lone "*", so it matches only the
	// path itself, never what is below a matched directory.
	childrenOnly bool
	// rootMatch: the pattern matches every path: every segment is "**" (the
	// root directory itself matches), or the pattern is "*".
	rootMatch bool
	// floating: the pattern is "**" and one more segment (an unanchored
	// name or glob), so it matches where that segment matches a path
	// segment, which needs no automaton.
	floating bool
	// deep has bit i set when segs[i] is "**", for patterns of at most 64
	// segments, so the automaton need not compute it on every match.
	deep uint64
}

type segKind uint8

const (
	segLiteral segKind = iota
	segGlob
	segDeep // "**": zero or more whole segments
)

type segment struct {
	kind segKind
	lit  string // segLiteral: the unescaped text
	glob *glob  // segGlob; a pointer keeps literal segments small
}

// literalPrefix is the number of leading literal segments.
func (p *pattern) literalPrefix() int {
	n := 0
	for n < len(p.segs) && p.segs[n].kind == segLiteral {
		n++
	}
	return n
}

// compilePattern validates and compiles one pattern as written.
func compilePattern(raw string) (pattern, *syntaxError) {
	if err := checkPattern(raw); err != nil {
		return pattern{}, err
	}
	body := raw
	anchored := strings.HasPrefix(body, "/")
	body = strings.TrimPrefix(body, "/")
	inside := false
	// checkPattern rejects an escaped slash, so a final "/" is a separator
	// even after an escaped backslash ("dir\\/").
	if strings.HasSuffix(body, "/") {
		inside = true
		body = body[:len(body)-1]
	}
	if strings.Contains(body, "/") {
		anchored = true
	}

	var p pattern
	p.segs = make([]segment, 0, strings.Count(body, "/")+2)
	if !anchored {
		p.segs = append(p.segs, segment{kind: segDeep})
	}
	if body != "" {
		for rawSeg := range strings.SplitSeq(body, "/") {
			p.segs = append(p.segs, compileSegment(rawSeg))
		}
	}
	// A trailing "**" means "everything inside"; drop it so that the
	// remaining segments name the directory.
	for len(p.segs) > 0 && p.segs[len(p.segs)-1].kind == segDeep && len(p.segs) > 1 {
		p.segs = p.segs[:len(p.segs)-1]
		inside = true
	}
	if len(p.segs) == 1 && p.segs[0].kind == segDeep && body == "**" {
		// "**" or "/**" on its own: everything.
		p.segs = nil
		inside = true
	}
	p.inside = inside
	p.rootMatch = true
	for _, s := range p.segs {
		if s.kind != segDeep {
			p.rootMatch = false
		}
	}
	if n := len(p.segs); n > 0 && !inside {
		last := p.segs[n-1]
		p.childrenOnly = last.kind == segGlob && last.glob.isStar()
	}
	p.floating = len(p.segs) == 2 && p.segs[0].kind == segDeep && p.segs[1].kind != segDeep
	if p.floating && p.childrenOnly {
		// "*" (or "**/*"): every path's last segment matches, so every path.
		p.rootMatch = true
	}
	for i, s := range p.segs {
		if s.kind == segDeep && i < 64 {
			p.deep |= 1 << i
		}
	}
	return p, nil
}

// checkPattern rejects what GitHub does not support or what can never match.
func checkPattern(raw string) *syntaxError {
	switch {
	case len(raw) > MaxPatternLen:
		return &syntaxError{offset: MaxPatternLen, msg: "the pattern is longer than any path can be",
			suggestion: "shorten it to a directory or a glob"}
	case raw == "/":
		return &syntaxError{msg: "the pattern `/` never matches anything",
			suggestion: "use `*` to match every file"}
	case strings.HasPrefix(raw, "!"):
		return &syntaxError{msg: "negation with `!` is not supported in CODEOWNERS",
			suggestion: "write a later line for the path with the owners it should have, or with none"}
	case strings.HasPrefix(raw, "\\#"):
		return &syntaxError{msg: "escaping a leading `#` with `\\` is not supported in CODEOWNERS",
			suggestion: "match the file with a glob such as `?name` instead"}
	}
	stars := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '*' {
			stars = 0
		}
		switch c {
		case '\\':
			if i == len(raw)-1 {
				return &syntaxError{offset: i, msg: "the pattern ends with a lone backslash",
					suggestion: "remove it, or escape it as `\\\\`"}
			}
			if raw[i+1] == '/' {
				// A path segment can never hold a "/", so an escaped one could
				// only ever match nothing; gitignore would read it as a plain
				// separator. Neither is worth guessing on GitHub's behalf.
				return &syntaxError{offset: i, msg: "a `/` cannot be escaped: it always separates directories",
					suggestion: "write `/` without the backslash"}
			}
			i++
		case '[', ']':
			return &syntaxError{offset: i, msg: "character ranges with `[ ]` are not supported in CODEOWNERS",
				suggestion: "write one line per name, or use `?` or `*`"}
		case '*':
			stars++
			if stars == 3 {
				return &syntaxError{offset: i - 2, msg: "three or more `*` in a row have no meaning",
					suggestion: "use `**` to match any number of directories"}
			}
		case '/':
			if i > 0 && raw[i-1] == '/' {
				return &syntaxError{offset: i, msg: "the pattern has an empty path segment (`//`)",
					suggestion: "use a single `/`"}
			}
		}
	}
	for off := 0; off <= len(raw); {
		end := off
		for end < len(raw) && raw[end] != '/' {
			end++
		}
		if seg := raw[off:end]; seg == "." || seg == ".." {
			return &syntaxError{offset: off, msg: "`" + seg + "` segments never match: paths are relative to the repository root",
				suggestion: "write the path from the root without `.` or `..`"}
		}
		off = end + 1
	}
	return nil
}

func compileSegment(raw string) segment {
	if raw == "**" {
		return segment{kind: segDeep}
	}
	if !strings.ContainsAny(raw, "*?\\") {
		return segment{kind: segLiteral, lit: raw} // most segments: no copy
	}
	g, wild := compileGlob(raw)
	if !wild {
		return segment{kind: segLiteral, lit: g.literal()}
	}
	return segment{kind: segGlob, glob: &g}
}

// A meter counts the steps of matching: one per state of the segment
// automaton per path segment, one per byte of a segment a glob reads, and
// one per character a "?" chunk compares. A match costs at most a few steps per pair of a pattern
// byte and a path byte; the meter lets Cover bound the sum over a tree. It
// counts in few places, to keep Match as fast as it was.
type meter struct{ steps int64 }

// activeSteps is what an active state of the segment automaton costs, in
// steps, over the bit test of every state.
const activeSteps = 4

// match reports whether the pattern matches the path whose segments are t,
// starting from pattern segment from (segments before it are known to match
// t[:from] literally).
func (p *pattern) match(t []string, from int, m *meter) bool {
	if p.rootMatch {
		// The root directory matches, and every path is inside it.
		return len(t) > 0
	}
	segs := p.segs[from:]
	n := len(segs)
	if n == 0 {
		// Everything was a literal prefix that matched t[:from].
		return p.accepts(from, len(t))
	}
	if p.floating && from == 0 {
		for k, seg := range t {
			if segs[1].matches(seg, m) && p.accepts(k+1, len(t)) {
				return true
			}
		}
		return false
	}
	// A first segment that is not "**" must match the next path segment:
	// checking it here rejects most candidates without the automaton.
	if segs[0].kind != segDeep && (from >= len(t) || !segs[0].matches(t[from], m)) {
		return false
	}
	if n <= 63 {
		return p.matchSmall(segs, t, from, m)
	}
	return p.matchLarge(segs, t, from, m)
}

// matches reports whether a literal or glob segment matches one path segment.
func (s *segment) matches(seg string, m *meter) bool {
	if s.kind == segLiteral {
		return s.lit == seg
	}
	return s.glob.match(seg, m)
}

// accepts applies the directory rules to a match of the pattern against the
// first k of n path segments.
func (p *pattern) accepts(k, n int) bool {
	if k == n {
		return !p.inside
	}
	return !p.childrenOnly
}

// matchSmall runs the segment automaton with a one-word state set: bit i means
// "segs[:i] matched the path segments read so far".
func (p *pattern) matchSmall(segs []segment, t []string, from int, m *meter) bool {
	n := len(segs)
	var deep uint64
	if len(p.segs) <= 64 {
		deep = p.deep >> from
	} else {
		for i, s := range segs {
			if s.kind == segDeep {
				deep |= 1 << i
			}
		}
	}
	closure := func(set uint64) uint64 {
		// A "**" at i may match nothing: i reaches i+1.
		for {
			next := set | (set&deep)<<1
			if next == set {
				return set
			}
			set = next
		}
	}
	accept := uint64(1) << n
	set := closure(1)
	for k := from; ; k++ {
		if set&accept != 0 && p.accepts(k, len(t)) {
			return true
		}
		if k == len(t) {
			return false
		}
		seg := t[k]
		// A state costs a bit test; an active one a comparison too.
		m.steps += int64(n) + activeSteps*int64(bits.OnesCount64(set))
		var next uint64
		for i := 0; i < n; i++ {
			if set&(1<<i) == 0 {
				continue
			}
			switch s := &segs[i]; s.kind {
			case segDeep:
				next |= 1 << i
			case segLiteral:
				if s.lit == seg {
					next |= 1 << (i + 1)
				}
			case segGlob:
				if s.glob.match(seg, m) {
					next |= 1 << (i + 1)
				}
			}
		}
		if next == 0 {
			return false
		}
		set = closure(next)
	}
}

// matchLarge is matchSmall for patterns of 63 segments or more.
func (p *pattern) matchLarge(segs []segment, t []string, from int, m *meter) bool {
	n := len(segs)
	set := make([]bool, n+1)
	next := make([]bool, n+1)
	closure := func(set []bool) {
		for i := 0; i < n; i++ {
			if set[i] && segs[i].kind == segDeep {
				set[i+1] = true
			}
		}
	}
	set[0] = true
	closure(set)
	for k := from; ; k++ {
		if set[n] && p.accepts(k, len(t)) {
			return true
		}
		if k == len(t) {
			return false
		}
		clear(next)
		m.steps += int64(n)
		any := false
		for i := 0; i < n; i++ {
			if !set[i] {
				continue
			}
			m.steps += activeSteps
			ok := false
			switch s := &segs[i]; s.kind {
			case segDeep:
				next[i] = true
				any = true
				continue
			case segLiteral:
				ok = s.lit == t[k]
			case segGlob:
				ok = s.glob.match(t[k], m)
			}
			if ok {
				next[i+1] = true
				any = true
			}
		}
		if !any {
			return false
		}
		set, next = next, set
		closure(set)
	}
}

// splitPath splits a clean repository-relative path into its segments,
// appending to buf so callers can keep the common case off the heap.
func splitPath(path string, buf []string) []string {
	for path != "" {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return append(buf, path)
		}
		if i > 0 {
			buf = append(buf, path[:i])
		}
		path = path[i+1:]
	}
	return buf
}

// A glob matches one path segment against "*" (any run of characters) and
// "?" (one character). It is split on "*" into chunks of fixed length, matched
// leftmost-first: linear in the segment for chunks without "?", and never
// backtracking.
type glob struct {
	chunks    []chunk
	leadStar  bool // starts with "*"
	trailStar bool // ends with "*"
}

// A chunk is a run of literal characters and "?" between stars.
type chunk struct {
	lit   string // the chunk when it has no "?"
	atoms []rune // otherwise: each character, with anyChar for "?"
}

const anyChar = -1

// compileGlob unescapes a raw segment into a glob; wild reports whether it
// has any unescaped "*" or "?".
func compileGlob(raw string) (g glob, wild bool) {
	g.chunks = make([]chunk, 0, strings.Count(raw, "*")+1)
	start := 0 // where the current chunk begins in raw
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '?':
			wild = true
		case '*':
			wild = true
			if i == 0 {
				g.leadStar = true
			}
			if i == len(raw)-1 {
				g.trailStar = true
			}
			if i > start {
				g.chunks = append(g.chunks, makeChunk(raw[start:i]))
			}
			start = i + 1
		}
	}
	if start < len(raw) || raw == "" {
		g.chunks = append(g.chunks, makeChunk(raw[start:]))
	}
	return g, wild
}

// makeChunk compiles the text between two stars. Text without escapes or
// "?" is kept as it is, without a copy.
func makeChunk(raw string) chunk {
	if !strings.ContainsAny(raw, "\\?") {
		return chunk{lit: raw}
	}
	var atoms []rune
	hasQ := false
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch {
		case r == '\\' && i+size < len(raw):
			i += size
			r, size = utf8.DecodeRuneInString(raw[i:])
		case r == '?':
			r, hasQ = anyChar, true
		}
		atoms = append(atoms, r)
		i += size
	}
	if hasQ {
		return chunk{atoms: atoms}
	}
	return chunk{lit: string(atoms)}
}

// literal returns the text of a glob that has no wildcards.
func (g *glob) literal() string {
	if len(g.chunks) == 0 {
		return ""
	}
	return g.chunks[0].lit
}

// isStar reports whether the glob is a lone "*" (or "**" inside a longer
// pattern's segment, which means the same).
func (g *glob) isStar() bool { return len(g.chunks) == 0 && g.leadStar }

// suffix returns the literal text the glob must end with, if any.
func (g *glob) suffix() string {
	if g.trailStar || len(g.chunks) == 0 {
		return ""
	}
	last := g.chunks[len(g.chunks)-1]
	if last.atoms != nil {
		return ""
	}
	return last.lit
}

func (g *glob) match(s string, m *meter) bool {
	// Literal chunks are matched left to right, each from where the last
	// ended, so they read each byte of s a bounded number of times; "?"
	// chunks count their own comparisons.
	m.steps += 1 + int64(len(s))
	if len(g.chunks) == 0 {
		return s != "" || !g.leadStar
	}
	pos := 0
	for idx := range g.chunks {
		c := &g.chunks[idx]
		first := idx == 0 && !g.leadStar
		last := idx == len(g.chunks)-1 && !g.trailStar
		switch {
		case first && last:
			end, ok := c.matchAt(s, 0, m)
			return ok && end == len(s)
		case first:
			end, ok := c.matchAt(s, 0, m)
			if !ok {
				return false
			}
			pos = end
		case last:
			return c.matchSuffix(s, pos, m)
		default:
			end, ok := c.find(s, pos, m)
			if !ok {
				return false
			}
			pos = end
		}
	}
	return true
}

// matchAt matches the chunk at byte offset i of s and returns where it ends.
func (c *chunk) matchAt(s string, i int, m *meter) (int, bool) {
	if c.atoms == nil {
		if strings.HasPrefix(s[i:], c.lit) {
			return i + len(c.lit), true
		}
		return 0, false
	}
	for _, a := range c.atoms {
		m.steps++
		if i >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		// Compare the size too: a byte that is not UTF-8 decodes as U+FFFD
		// but is not the character U+FFFD written in the pattern.
		if a != anyChar && (a != r || size != utf8.RuneLen(a)) {
			return 0, false
		}
		i += size
	}
	return i, true
}

// find returns the end of the leftmost match of the chunk at or after i.
func (c *chunk) find(s string, i int, m *meter) (int, bool) {
	if c.atoms == nil {
		j := strings.Index(s[i:], c.lit)
		if j < 0 {
			return 0, false
		}
		return i + j + len(c.lit), true
	}
	for ; i < len(s); i += runeLen(s[i:]) {
		if end, ok := c.matchAt(s, i, m); ok {
			return end, true
		}
	}
	return 0, false
}

// matchSuffix reports whether the chunk matches the end of s, starting at or
// after byte offset min.
func (c *chunk) matchSuffix(s string, min int, m *meter) bool {
	if c.atoms == nil {
		return len(s)-len(c.lit) >= min && strings.HasSuffix(s, c.lit)
	}
	// The chunk has a fixed number of characters: step back that many.
	start := len(s)
	for range c.atoms {
		if start <= min {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start < min {
		return false
	}
	end, ok := c.matchAt(s, start, m)
	return ok && end == len(s)
}

func runeLen(s string) int {
	_, size := utf8.DecodeRuneInString(s)
	return size
}
