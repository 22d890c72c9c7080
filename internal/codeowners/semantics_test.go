package codeowners

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The semantics cases live in testdata/semantics/*.txt, one or more per file:
//
//	=== name of the case
//	<CODEOWNERS lines, verbatim>
//	---
//	path -> @owner other@example.com   the owners of the deciding rule
//	path -> (unowned)                  the deciding rule has no owners
//	path -> (no match)                 no rule matches
//	! 3:1 Invalid pattern              a problem at line:column (all listed)
//
// Text before the first "===" describes the file. In the expectations, blank
// lines and lines starting with "# " are comments. Bytes that editors mangle
// are written as <TAB>, <CR>, <BOM> or <xHH>, in the CODEOWNERS and in paths.

type semanticsCase struct {
	file       string
	line       int // of the "===" line
	name       string
	codeowners string
	paths      []pathExpectation
	problems   []string // "line:column kind"
}

type pathExpectation struct {
	line   int
	path   string
	owners string // space-separated, "(unowned)" or "(no match)"
}

var byteEscape = regexp.MustCompile(`<TAB>|<CR>|<BOM>|<x[0-9A-Fa-f]{2}>`)

func expandBytes(s string) string {
	return byteEscape.ReplaceAllStringFunc(s, func(m string) string {
		switch m {
		case "<TAB>":
			return "\t"
		case "<CR>":
			return "\r"
		case "<BOM>":
			return "\xef\xbb\xbf"
		}
		b, _ := strconv.ParseUint(m[2:4], 16, 8)
		return string([]byte{byte(b)})
	})
}

func loadSemantics(t *testing.T) []semanticsCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "semantics", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no semantics cases found: %v", err)
	}
	var cases []semanticsCase
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cur *semanticsCase
		inExpect := false
		var co []string
		flush := func() {
			if cur != nil {
				cur.codeowners = expandBytes(strings.Join(co, "\n") + "\n")
				cases = append(cases, *cur)
			}
		}
		for i, line := range strings.Split(string(data), "\n") {
			lineNo := i + 1
			switch {
			case strings.HasPrefix(line, "=== "):
				flush()
				cur = &semanticsCase{file: filepath.Base(file), line: lineNo, name: strings.TrimPrefix(line, "=== ")}
				co, inExpect = nil, false
			case cur == nil:
				// description
			case !inExpect && line == "---":
				inExpect = true
			case !inExpect:
				co = append(co, line)
			case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# "):
			case strings.HasPrefix(line, "! "):
				cur.problems = append(cur.problems, strings.TrimPrefix(line, "! "))
			default:
				path, owners, ok := strings.Cut(line, " -> ")
				if !ok {
					t.Fatalf("%s:%d: expected `path -> owners`, got %q", file, lineNo, line)
				}
				cur.paths = append(cur.paths, pathExpectation{lineNo, expandBytes(path), strings.TrimSpace(owners)})
			}
		}
		flush()
	}
	return cases
}

func TestSemantics(t *testing.T) {
	cases := loadSemantics(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Errorf("%s:%d: duplicate case name %q", c.file, c.line, c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			if len(c.paths) == 0 {
				t.Fatalf("%s:%d: case has no path expectations", c.file, c.line)
			}
			rs := Parse([]byte(c.codeowners))
			var gotProblems []string
			for _, p := range rs.Problems {
				gotProblems = append(gotProblems, fmt.Sprintf("%d:%d %s", p.Line, p.Column, p.Kind))
			}
			if diff := cmp.Diff(c.problems, gotProblems); diff != "" {
				t.Errorf("%s:%d: problems (-want +got):\n%s", c.file, c.line, diff)
			}
			o := newOracle(t, rs)
			for _, e := range c.paths {
				got := "(no match)"
				if r := rs.Match(e.path); r != nil {
					got = strings.Join(r.OwnerNames(), " ")
					if got == "" {
						got = "(unowned)"
					}
				}
				if got != e.owners {
					t.Errorf("%s:%d: %q -> %s, want %s", c.file, e.line, e.path, got, e.owners)
				}
				if ix, rev, orc := indexLine(rs, e.path), reverseScan(rs, e.path), o.decide(e.path); ix != rev || rev != orc {
					t.Errorf("%s:%d: %q: index line %d, reverse scan %d, oracle %d", c.file, e.line, e.path, ix, rev, orc)
				}
			}
		})
	}
}
