// Package codeowners parses, validates, indexes and matches CODEOWNERS files
// with GitHub's semantics, and explains which line decides a path.
package codeowners

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxSize is the size at which GitHub stops reading a CODEOWNERS file: a file
// of MaxSize bytes or more is ignored as a whole.
const MaxSize = 3 << 20

// MaxPatternLen bounds a pattern. Git paths are at most a few kilobytes, so a
// longer pattern can never match; rejecting it keeps matching time bounded.
const MaxPatternLen = 4096

// Problem kinds, named as GitHub's CODEOWNERS errors API names them.
const (
	KindInvalidPattern = "Invalid pattern"
	KindInvalidOwner   = "Invalid owner"
)

// A Rule is one effective line of a CODEOWNERS file: a pattern and the owners
// it assigns. A rule with no owners un-owns the paths it decides.
type Rule struct {
	Line    int     // 1-based line number in the file
	Column  int     // 1-based column of the pattern
	Pattern string  // the pattern as written, escapes included
	Owners  []Owner // as written, in order; empty un-owns
	Source  string  // the whole line as written, without its line ending

	pat pattern
}

// OwnerNames returns the owners as written in the file.
func (r *Rule) OwnerNames() []string {
	names := make([]string, len(r.Owners))
	for i, o := range r.Owners {
		names[i] = o.Name
	}
	return names
}

// Matches reports whether the rule's pattern matches the repository-relative
// file path, on its own, ignoring every other rule.
func (r *Rule) Matches(path string) bool {
	var buf [32]string
	var m meter
	return r.pat.match(splitPath(path, buf[:0]), 0, &m)
}

// A Problem is a line, or part of one, that GitHub would report and skip.
type Problem struct {
	Line       int    // 1-based
	Column     int    // 1-based, counted in characters
	Kind       string // KindInvalidPattern or KindInvalidOwner
	Source     string // the whole line as written
	Message    string // what is wrong, one sentence, lower case
	Suggestion string // how to fix it; may be empty
}

func (p Problem) String() string {
	s := fmt.Sprintf("line %d, column %d: %s: %s", p.Line, p.Column, p.Kind, p.Message)
	if p.Suggestion != "" {
		s += " (" + p.Suggestion + ")"
	}
	return s
}

// A Ruleset is a parsed CODEOWNERS file: the rules GitHub would apply, in file
// order, the problems it would report, and an index for fast matching.
type Ruleset struct {
	Rules    []Rule
	Problems []Problem
	// Size is the file's size in bytes. When it is MaxSize or more, TooLarge
	// is set and Rules is empty: GitHub ignores such a file.
	Size     int
	TooLarge bool

	index index
}

// ReadRuleset reads and parses a CODEOWNERS file from r. It reads at most
// MaxSize bytes, so a hostile stream costs bounded memory; only I/O errors are
// returned, everything wrong with the content is in Problems.
func ReadRuleset(r io.Reader) (*Ruleset, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize))
	if err != nil {
		return nil, err
	}
	if len(data) == MaxSize {
		// One byte more than fits is enough to know the file is ignored.
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n == 1 {
			return &Ruleset{Size: MaxSize + 1, TooLarge: true}, nil
		}
		return &Ruleset{Size: MaxSize, TooLarge: true}, nil
	}
	return Parse(data), nil
}

// Parse parses a CODEOWNERS file. It never fails: every line that GitHub would
// skip is reported in Problems with its line and column, and the other lines
// still count, as they do on GitHub.
func Parse(data []byte) *Ruleset {
	rs := &Ruleset{Size: len(data)}
	if len(data) >= MaxSize {
		rs.TooLarge = true
		rs.index = buildIndex(nil, longList)
		return rs
	}
	// One copy of the whole file: rules and problems keep substrings of it
	// instead of a copy of each line.
	text := strings.TrimPrefix(string(data), "\ufeff")
	rs.Rules = make([]Rule, 0, countRuleLines(text))
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		line = strings.TrimSuffix(line, "\r")
		rule, problem, ok := parseLine(line, lineNo)
		if problem != nil {
			rs.Problems = append(rs.Problems, *problem)
		}
		if ok {
			rs.Rules = append(rs.Rules, rule)
		}
	}
	rs.index = buildIndex(rs.Rules, longList)
	return rs
}

// countRuleLines counts the lines that are neither blank nor comments: at
// most that many rules, so the slice of rules is allocated once, and a file
// of blank lines allocates nothing.
func countRuleLines(text string) int {
	n := 0
	for line := range strings.Lines(text) {
		if i := skipBlank(line, 0); i < len(line) && line[i] != '#' && line[i] != '\n' && line[i] != '\r' {
			n++
		}
	}
	return n
}

// parseLine parses one line. ok reports whether the line is a rule GitHub
// applies; a problem means GitHub reports the line and skips it.
func parseLine(line string, lineNo int) (rule Rule, problem *Problem, ok bool) {
	at := func(offset int, kind, msg, suggestion string) *Problem {
		return &Problem{
			Line: lineNo, Column: column(line, offset), Kind: kind,
			Source: line, Message: msg, Suggestion: suggestion,
		}
	}
	i := skipBlank(line, 0)
	if i == len(line) || line[i] == '#' {
		return Rule{}, nil, false
	}
	if !utf8.ValidString(line) {
		bad := i
		for bad < len(line) {
			r, size := utf8.DecodeRuneInString(line[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		kind := KindInvalidPattern
		if bad >= patternEnd(line, i) {
			kind = KindInvalidOwner
		}
		return Rule{}, at(bad, kind, "the line is not valid UTF-8",
			"save the file as UTF-8"), false
	}

	start := i
	end := patternEnd(line, start)
	raw := line[start:end]
	pat, perr := compilePattern(raw)
	if perr != nil {
		return Rule{}, at(start+perr.offset, KindInvalidPattern, perr.msg, perr.suggestion), false
	}
	// Test the "@" first: parseOwner formats an error for every non-owner.
	if raw[0] == '@' && isOwner(raw) {
		return Rule{}, at(start, KindInvalidPattern,
			fmt.Sprintf("the line starts with the owner %q instead of a pattern", raw),
			"put a pattern first, for example `* "+raw+"`"), false
	}

	rule = Rule{Line: lineNo, Column: column(line, start), Pattern: raw, Source: line, pat: pat}
	for i = skipBlank(line, end); i < len(line) && line[i] != '#'; i = skipBlank(line, i) {
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		owner, oerr := parseOwner(line[i:j])
		if oerr != nil {
			return Rule{}, at(i+oerr.offset, KindInvalidOwner, oerr.msg, oerr.suggestion), false
		}
		owner.Column = column(line, i)
		rule.Owners = append(rule.Owners, owner)
		i = j
	}
	return rule, nil, true
}

func isOwner(tok string) bool {
	_, err := parseOwner(tok)
	return err == nil
}

// patternEnd returns the end of the pattern that starts at i: the first
// whitespace that no backslash escapes.
func patternEnd(line string, i int) int {
	for i < len(line) {
		switch line[i] {
		case '\\':
			i += 2
			continue
		case ' ', '\t':
			return i
		}
		i++
	}
	return len(line)
}

func skipBlank(line string, i int) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

// column converts a byte offset in line to a 1-based character column.
func column(line string, offset int) int {
	if offset > len(line) {
		offset = len(line)
	}
	return utf8.RuneCountInString(line[:offset]) + 1
}

// A syntaxError locates a problem inside one token of a line.
type syntaxError struct {
	offset     int // byte offset inside the token
	msg        string
	suggestion string
}
