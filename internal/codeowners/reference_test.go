package codeowners

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// This file holds the two references every matching test compares the index
// against:
//
//   - reverseScan: the naive scan GitHub-like tools do, every rule from the
//     last line up with Rule.Matches. It shares the pattern automaton with the
//     index, so it catches index bugs only.
//   - oracle: each pattern translated to a Go regular expression, written
//     from the documented semantics and not from pattern.go, so it also
//     catches bugs in the automaton and the globs.

// reverseScan returns the line of the last rule that matches path, or 0.
func reverseScan(rs *Ruleset, path string) int {
	for i := len(rs.Rules) - 1; i >= 0; i-- {
		if rs.Rules[i].Matches(path) {
			return rs.Rules[i].Line
		}
	}
	return 0
}

// indexLine returns the line of the rule the index picks for path, or 0.
func indexLine(rs *Ruleset, path string) int {
	if r := rs.Match(path); r != nil {
		return r.Line
	}
	return 0
}

// oracleRule is one rule translated to a regular expression over a clean
// path (no empty segments, no leading or trailing slash).
type oracleRule struct {
	line   int
	re     *regexp.Regexp
	prefix string // literal text every matching path starts with
}

// An oracle decides paths with regular expressions only.
type oracle struct {
	rules []oracleRule
	// byPrefix files rules under their literal prefix so that a dataset of
	// tens of thousands of rules and files stays cheap to check; it relies
	// on nothing but "a match starts with its literal prefix".
	byPrefix map[string][]int
	lengths  []int
}

func newOracle(tb testing.TB, rs *Ruleset) *oracle {
	tb.Helper()
	o := &oracle{byPrefix: map[string][]int{}}
	for _, r := range rs.Rules {
		expr, prefix := translatePattern(r.Pattern)
		re, err := regexp.Compile(expr)
		if err != nil {
			tb.Fatalf("line %d: pattern %q: translation %q does not compile: %v", r.Line, r.Pattern, expr, err)
		}
		o.byPrefix[prefix] = append(o.byPrefix[prefix], len(o.rules))
		o.rules = append(o.rules, oracleRule{line: r.Line, re: re, prefix: prefix})
	}
	for p := range o.byPrefix {
		o.lengths = append(o.lengths, len(p))
	}
	slices.Sort(o.lengths)
	o.lengths = slices.Compact(o.lengths)
	return o
}

// decide returns the line of the last rule whose expression matches path.
func (o *oracle) decide(path string) int {
	path = cleanPath(path)
	if path == "" {
		return 0 // not a file
	}
	best := -1
	for _, n := range o.lengths {
		if n > len(path) {
			break
		}
		for _, i := range o.byPrefix[path[:n]] {
			if i > best && o.rules[i].re.MatchString(path) {
				best = i
			}
		}
	}
	if best < 0 {
		return 0
	}
	return o.rules[best].line
}

// cleanPath drops empty segments, as a path given with "//" or a leading
// slash still names the same file.
func cleanPath(p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return strings.Join(segs, "/")
}

// An oracle token is one element of a pattern: a separator, a wildcard or
// a literal character.
type oracleToken struct {
	sep, star, any bool
	lit            rune
}

// translatePattern turns a pattern that Parse accepted into a regular
// expression, following the rules in the package documentation:
// anchored when a slash starts it or sits in its middle; a trailing slash or
// "/**" matches strictly inside; a lone "*" as the last segment matches
// direct children only; anything else also matches everything below what it
// names; "*" and "?" stay within a segment; a whole-segment "**" spans zero or
// more segments; "**" inside a segment is "*". It also returns the literal
// text every matching path begins with.
func translatePattern(pat string) (expr, prefix string) {
	var toks []oracleToken
	for i := 0; i < len(pat); {
		r, size := utf8.DecodeRuneInString(pat[i:])
		i += size
		switch r {
		case '\\':
			r, size = utf8.DecodeRuneInString(pat[i:])
			i += size
			toks = append(toks, oracleToken{lit: r})
		case '/':
			toks = append(toks, oracleToken{sep: true})
		case '*':
			toks = append(toks, oracleToken{star: true})
		case '?':
			toks = append(toks, oracleToken{any: true})
		default:
			toks = append(toks, oracleToken{lit: r})
		}
	}
	anchored, inside := false, false
	if len(toks) > 0 && toks[0].sep {
		anchored, toks = true, toks[1:]
	}
	if len(toks) > 0 && toks[len(toks)-1].sep {
		inside, toks = true, toks[:len(toks)-1]
	}
	var segs [][]oracleToken
	start := 0
	for i, t := range toks {
		if t.sep {
			anchored = true
			segs = append(segs, toks[start:i])
			start = i + 1
		}
	}
	segs = append(segs, toks[start:])
	isDeep := func(seg []oracleToken) bool { return len(seg) == 2 && seg[0].star && seg[1].star }
	for len(segs) > 1 && isDeep(segs[len(segs)-1]) {
		inside, segs = true, segs[:len(segs)-1]
	}
	everything := true
	for _, s := range segs {
		everything = everything && isDeep(s)
	}
	if everything {
		return `(?s)^.+$`, ""
	}

	var b strings.Builder
	b.WriteString(`(?s)^`)
	if !anchored {
		b.WriteString(`(?:[^/]+/)*`)
	}
	literal := anchored // still collecting the literal prefix
	var pre strings.Builder
	for i, seg := range segs {
		if isDeep(seg) {
			b.WriteString(`(?:[^/]+/)*`)
			literal = false
			continue
		}
		for _, t := range seg {
			switch {
			case t.star:
				b.WriteString(`[^/]*`)
				literal = false
			case t.any:
				b.WriteString(`[^/]`)
				literal = false
			default:
				b.WriteString(regexp.QuoteMeta(string(t.lit)))
				if literal {
					pre.WriteRune(t.lit)
				}
			}
		}
		if i < len(segs)-1 {
			b.WriteString(`/`)
			if literal {
				pre.WriteByte('/')
			}
		}
	}
	last := segs[len(segs)-1]
	switch {
	case inside:
		b.WriteString(`/.+$`)
	case len(last) == 1 && last[0].star:
		b.WriteString(`$`)
	default:
		b.WriteString(`(?:/.+)?$`)
	}
	return b.String(), pre.String()
}

// compareAll checks index, reverse scan and oracle on every path and reports
// at most a few disagreements, with the rules involved.
func compareAll(t *testing.T, name string, rs *Ruleset, o *oracle, paths []string) {
	t.Helper()
	bad := 0
	for _, p := range paths {
		ix, rev, orc := indexLine(rs, p), reverseScan(rs, p), o.decide(p)
		if ix == rev && rev == orc {
			continue
		}
		bad++
		if bad <= 5 {
			t.Errorf("%s: path %q: index decides line %d, reverse scan %d, oracle %d\n%s",
				name, p, ix, rev, orc, describeLines(rs, ix, rev, orc))
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d paths disagree in all", name, bad)
	}
}

func describeLines(rs *Ruleset, lines ...int) string {
	var b strings.Builder
	for _, l := range lines {
		for i := range rs.Rules {
			if r := &rs.Rules[i]; r.Line == l {
				expr, _ := translatePattern(r.Pattern)
				fmt.Fprintf(&b, "  line %d: %s   (oracle: %s)\n", l, r.Source, expr)
			}
		}
	}
	return b.String()
}
