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
	// skipped are the lines GitHub skips for their owners alone: their
	// pattern is valid, so SkippedMatches can say which paths they would
	// have decided.
	skipped []skippedLine
}

// A skippedLine is a line GitHub skips although its pattern is valid.
type skippedLine struct {
	problem int // index in Problems
	rule    Rule
}

// A SkippedLine is a line GitHub skips whose pattern matches a path: were it
// not skipped, it would take part in deciding the path's owners.
type SkippedLine struct {
	Line    int
	Pattern string   // as written
	Owners  []string // every owner token as written, the invalid ones included
	Problem Problem  // why GitHub skips the line
}

// SkippedMatches returns, in file order, the lines GitHub skips whose
// pattern matches the repository-relative path. Only a line skipped for its
// owners can be among them: a line whose pattern GitHub rejects has no
// meaning to match with.
func (rs *Ruleset) SkippedMatches(path string) []SkippedLine {
	var out []SkippedLine
	for i := range rs.skipped {
		s := &rs.skipped[i]
		if !s.rule.Matches(path) {
			continue
		}
		out = append(out, SkippedLine{
			Line:    s.rule.Line,
			Pattern: s.rule.Pattern,
			Owners:  ownerTokens(s.rule.Source, s.rule.Column),
			Problem: rs.Problems[s.problem],
		})
	}
	return out
}

// ownerTokens returns the owner tokens of a line as written: the
// blank-separated words after the pattern, up to a comment.
func ownerTokens(line string, patternColumn int) []string {
	start := 0
	for c := 1; c < patternColumn && start < len(line); c++ {
		_, size := utf8.DecodeRuneInString(line[start:])
		start += size
	}
	var tokens []string
	for i := skipBlank(line, patternEnd(line, start)); i < len(line) && line[i] != '#'; i = skipBlank(line, i) {
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		tokens = append(tokens, line[i:j])
		i = j
	}
	return tokens
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
			if rule.Pattern != "" {
				rs.skipped = append(rs.skipped, skippedLine{problem: len(rs.Problems) - 1, rule: rule})
			}
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
// applies; a problem means GitHub reports the line and skips it. A line
// skipped for its owners alone still returns its rule, pattern compiled and
// owners left out, so that what it would have matched can be explained.
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
		problem := at(bad, KindInvalidPattern, "the line is not valid UTF-8", "save the file as UTF-8")
		end := patternEnd(line, i)
		if bad < end {
			return Rule{}, problem, false
		}
		problem.Kind = KindInvalidOwner
		raw := line[i:end]
		if pat, perr := compilePattern(raw); perr == nil && !(raw[0] == '@' && isOwner(raw)) {
			return Rule{Line: lineNo, Column: column(line, i), Pattern: raw, Source: line, pat: pat}, problem, false
		}
		return Rule{}, problem, false
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
	// Owner columns are counted on from the previous owner's, not from the
	// start of the line: a line of 200,000 owners must not cost 200,000
	// scans of the line.
	counted, col := start, rule.Column
	for i = skipBlank(line, end); i < len(line) && line[i] != '#'; i = skipBlank(line, i) {
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		owner, oerr := parseOwner(line[i:j])
		if oerr != nil {
			rule.Owners = nil
			return rule, at(i+oerr.offset, KindInvalidOwner, oerr.msg, oerr.suggestion), false
		}
		col += utf8.RuneCountInString(line[counted:i])
		counted = i
		owner.Column = col
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
