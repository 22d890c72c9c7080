package codeowners

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, must locate
// every problem inside the file, and must keep rules in file order.
func FuzzParse(f *testing.F) {
	for _, seed := range [][]byte{
		[]byte("* @a\n"),
		[]byte("\xef\xbb\xbf/docs/ @org/team # comment\r\n*.go a@b.example\n"),
		[]byte("!x @a\n[ab] @a\n\\#x @a\n/ @a\na//b @a\n./a @a\na\\ @a\n*** @a\n"),
		[]byte("\xff\xfe @a\nx @\xff\n"),
		[]byte("x Lok Tep\nx 1 file changed\n@user @user\n"),
		[]byte("/tools/ @acme/platform dev-tools\n  /é\\ x/ @a b # c\n/docs/\t@a \xff\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := Parse(data)
		lines := countLines(data)
		prev := 0
		for _, r := range rs.Rules {
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("rule line %d after line %d, file has %d lines", r.Line, prev, lines)
			}
			prev = r.Line
			if r.Column < 1 || r.Column > utf8.RuneCountInString(r.Source) {
				t.Fatalf("rule on line %d has column %d in %q", r.Line, r.Column, r.Source)
			}
			if !strings.Contains(r.Source, r.Pattern) {
				t.Fatalf("rule on line %d: pattern %q not in its source %q", r.Line, r.Pattern, r.Source)
			}
		}
		ruleLines := map[int]bool{}
		for _, r := range rs.Rules {
			ruleLines[r.Line] = true
		}
		for _, p := range rs.Problems {
			if ruleLines[p.Line] {
				t.Fatalf("line %d is both a rule and a problem: %v", p.Line, p)
			}
			if p.Line < 1 || p.Line > lines || p.Column < 1 || p.Column > utf8.RuneCountInString(p.Source)+1 {
				t.Fatalf("problem %v outside the file (%d lines) or its line %q", p, lines, p.Source)
			}
			if p.Kind != KindInvalidPattern && p.Kind != KindInvalidOwner {
				t.Fatalf("problem of unknown kind %q", p.Kind)
			}
			if p.Message == "" {
				t.Fatalf("problem without a message: %v", p)
			}
		}
		// A line skipped for its owners matches what its pattern would match
		// on a line of valid owners, and carries its own problem.
		for _, sk := range rs.skipped {
			r := &sk.rule
			if p := rs.Problems[sk.problem]; p.Line != r.Line || p.Kind != KindInvalidOwner || ruleLines[r.Line] {
				t.Fatalf("skipped line %d carries problem %v", r.Line, p)
			}
			fixed := Parse([]byte(r.Pattern + " @a"))
			if len(fixed.Rules) != 1 {
				t.Fatalf("the pattern %q of skipped line %d does not parse on its own: %v", r.Pattern, r.Line, fixed.Problems)
			}
			path := spellPath(r.Pattern, "ab")
			found := false
			for _, m := range rs.SkippedMatches(path) {
				found = found || m.Line == r.Line
			}
			if want := fixed.Rules[0].Matches(path); found != want {
				t.Fatalf("SkippedMatches(%q) has line %d: %v, its pattern %q matches: %v", path, r.Line, found, r.Pattern, want)
			}
		}
		// Reading the same bytes through ReadRuleset gives the same answer.
		rr, err := ReadRuleset(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.Rules) != len(rs.Rules) || len(rr.Problems) != len(rs.Problems) || rr.TooLarge != rs.TooLarge {
			t.Fatalf("ReadRuleset and Parse disagree: %d/%d rules, %d/%d problems",
				len(rr.Rules), len(rs.Rules), len(rr.Problems), len(rs.Problems))
		}
	})
}

// countLines counts lines as an editor shows them: a final line without a
// newline still counts.
func countLines(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// FuzzMatch checks that the index, the reverse scan and the regular
// expression oracle decide a path the same way.
func FuzzMatch(f *testing.F) {
	for _, seed := range []struct{ codeowners, path string }{
		{"* @a\n", "x"},
		{"docs/* @a\n", "docs/sub/x"},
		{"/a/**/b/ @a\n", "a/b/c"},
		{"**/x @a\nx/ @b\n", "y/x/z"},
		{"a*b*c @a\n", "aXbXbXc"},
		{"?\\ ? @a\n", "é \u00e9"},
	} {
		f.Add(seed.codeowners, seed.path)
	}
	f.Fuzz(func(t *testing.T, codeowners, path string) {
		if len(codeowners) > 4096 || len(path) > 1024 {
			return // keep each input cheap; size is FuzzParse's business
		}
		rs := Parse([]byte(codeowners))
		o := newOracle(t, rs)
		// The same rules found through the needle set wherever they can be.
		needled := withLongList(rs, 0)
		// Random bytes rarely spell a path a pattern matches, so also try
		// paths spelled from the patterns themselves.
		paths := []string{path}
		for i := range min(len(rs.Rules), 8) {
			paths = append(paths, spellPath(rs.Rules[i].Pattern, path))
		}
		for _, p := range paths {
			ix, rev := indexLine(rs, p), reverseScan(rs, p)
			orc := ix
			// Go's regexp reads an invalid byte as U+FFFD, so a path that is
			// not UTF-8 can only be judged by the oracle when no pattern
			// spells U+FFFD.
			if utf8.ValidString(p) || !strings.ContainsRune(codeowners, utf8.RuneError) {
				orc = o.decide(p)
			}
			if ix != rev || rev != orc {
				t.Fatalf("path %q: index line %d, reverse scan %d, oracle %d\n%s",
					p, ix, rev, orc, describeLines(rs, ix, rev, orc))
			}
			all := rs.MatchAll(p)
			if (ix == 0) != (len(all) == 0) || ix != 0 && all[len(all)-1].Line != ix {
				t.Fatalf("path %q: MatchAll %v does not end with the deciding line %d", p, all, ix)
			}
			if got := indexLine(needled, p); got != ix {
				t.Fatalf("path %q: the index decides line %d, with the needle set line %d", p, ix, got)
			}
			if got := needled.MatchAll(p); len(got) != len(all) {
				t.Fatalf("path %q: MatchAll gives %d rules, with the needle set %d", p, len(all), len(got))
			}
			// Matching is polynomial: no pattern and path cost more steps
			// than a few per pair of their bytes.
			var buf [32]string
			for i := range rs.Rules {
				var m meter
				rs.Rules[i].pat.match(splitPath(p, buf[:0]), 0, &m)
				if bound := matchBound(rs.Rules[i].Pattern, p); m.steps > bound {
					t.Fatalf("pattern %q on path %q: %d steps, more than %d", rs.Rules[i].Pattern, p, m.steps, bound)
				}
			}
		}
	})
}

// spellPath turns a pattern into a path it probably matches: wildcards
// become pieces of fill, escapes their character.
func spellPath(pattern, fill string) string {
	fill = strings.ReplaceAll(fill, "/", "")
	if len(fill) > 8 {
		fill = fill[:8]
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 < len(pattern) {
				i++
				b.WriteByte(pattern[i])
			}
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				i++
				b.WriteString(fill + "/" + fill)
			} else {
				b.WriteString(fill)
			}
		case '?':
			b.WriteString("q")
		default:
			b.WriteByte(c)
		}
	}
	if strings.HasSuffix(pattern, "/") {
		b.WriteString("f")
	}
	return b.String()
}
