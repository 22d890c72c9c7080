// Package gfm writes GitHub-flavoured Markdown that the text it quotes
// cannot steer.
//
// Everything the App posts to GitHub (pull request comments, check run
// output, issue bodies and comments) quotes text that people control: file
// paths, owners, messages that repeat them, pull request titles. Quoted
// there raw, a path with a newline starts a heading, a backtick ends its code
// span, `<!--` forges the App's hidden markers, and `@name` makes the App
// notify anyone. This package is the one place that turns such text into
// Markdown:
//
//   - Code quotes a value as an inline code span fenced by more backticks
//     than it holds, with control characters shown as Go escapes and the
//     sequences that open or close an HTML comment broken.
//   - Quoter.Text writes prose: Markdown and HTML that could start a link,
//     emphasis, a table cell, a heading or a tag are escaped, whitespace
//     becomes single spaces, and `@name` notifies only owners the Quoter
//     may mention; the rest are written as code, which GitHub never turns
//     into a mention.
//   - Quoter.Owner writes an owner the same way.
//   - Doc fits a document within GitHub's size limits by leaving whole list
//     items out and saying how many.
//
// Sizes are counted in bytes of UTF-8. GitHub counts characters; a string
// never has more characters (runes or UTF-16 units) than bytes, so a
// document that fits in bytes fits GitHub.
package gfm

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// GitHub's limits on what the App writes.
const (
	// MaxBody is the longest issue or comment body GitHub accepts
	// ("body is too long (maximum is 65536 characters)").
	MaxBody = 65536
	// MaxCheckRunText is the longest check run output summary or text
	// (the REST description's maxLength for output.summary and output.text).
	MaxCheckRunText = 65535
)

// Printable returns s with every rune that could act on a terminal, hide
// text or reorder it written as a Go escape: control characters (C0, DEL,
// C1), format characters (bidirectional overrides, zero-width joiners),
// line and paragraph separators, and bytes that are not UTF-8. Everything
// else, backslashes included, is left as it is, so a normal path reads the
// same.
func Printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case hidden(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			return true
		}
		i += n
	}
	return false
}

// hidden reports whether a rune does something other than show itself.
func hidden(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	switch {
	case r < utf8.RuneSelf:
		return fmt.Sprintf(`\x%02x`, r)
	case r <= 0xffff:
		return fmt.Sprintf(`\u%04x`, r)
	}
	return fmt.Sprintf(`\U%08x`, r)
}

// Code quotes s as an inline code span, outside a table.
func Code(s string) string { return code(s, false) }

// CellCode quotes s as an inline code span inside a table cell, where a
// pipe would otherwise end the cell.
func CellCode(s string) string { return code(s, true) }

// codeContent is what a code span of s shows: s made printable, with the
// sequences that open or close an HTML comment ("<!", "->", "!>") broken by
// writing one of their characters as an escape. Inside a code span they
// would be inert Markdown, but the App finds its own hidden markers by
// searching bodies for them.
func codeContent(s string) string {
	s = Printable(s)
	if !strings.Contains(s, "<!") && !strings.Contains(s, "->") && !strings.Contains(s, "!>") {
		return s
	}
	var b strings.Builder
	var prev byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '!' && prev == '<':
			b.WriteString(`\x21`)
		case c == '>' && (prev == '-' || prev == '!'):
			b.WriteString(`\x3e`)
		default:
			b.WriteByte(c)
		}
		prev = c
	}
	return b.String()
}

func code(s string, cell bool) string {
	content := codeContent(s)
	if cell && strings.ContainsRune(content, '|') {
		// GitHub splits table rows at pipes before it reads code spans; an
		// escaped pipe stays in the cell. A backslash right before a pipe
		// would pair with the escape, so it is written as an escape too.
		var b strings.Builder
		for i := 0; i < len(content); i++ {
			switch c := content[i]; {
			case c == '|':
				b.WriteString(`\|`)
			case c == '\\' && i+1 < len(content) && content[i+1] == '|':
				b.WriteString(`\x5c`)
			default:
				b.WriteByte(c)
			}
		}
		content = b.String()
	}
	if content == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(content, '`')+1)
	allSpace := strings.Trim(content, " ") == ""
	// CommonMark strips one space from each end of a padded code span, and
	// a backtick at either end would join the fence: pad so that neither
	// changes what is shown.
	if !allSpace && (content[0] == '`' || content[len(content)-1] == '`' || content[0] == ' ' && content[len(content)-1] == ' ') {
		content = " " + content + " "
	}
	return fence + content + fence
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// A Quoter writes the quoted text of one document and decides whom it may
// mention. Its zero value mentions nobody. Copies share what they have
// withheld, so a document can say once whom it did not notify.
type Quoter struct {
	st   *quoterState
	cell bool
}

type quoterState struct {
	mentionable map[string]bool
	withheld    []string
	seen        map[string]bool
}

// NewQuoter returns a Quoter that may mention the given owners ("@login"
// or "@org/team", in any case). Every other `@name` it writes, it writes
// without notifying.
func NewQuoter(mentionable ...string) Quoter {
	st := &quoterState{mentionable: map[string]bool{}, seen: map[string]bool{}}
	for _, m := range mentionable {
		st.mentionable[strings.ToLower(m)] = true
	}
	return Quoter{st: st}
}

// InCell returns the Quoter for text inside a table cell; it shares the
// record of whom it withheld.
func (q Quoter) InCell() Quoter {
	q.cell = true
	return q
}

// Code quotes s as a code span, in a table cell when the Quoter is.
func (q Quoter) Code(s string) string { return code(s, q.cell) }

// Withheld lists the owners that Owner wrote without notifying them,
// lower case, sorted.
func (q Quoter) Withheld() []string {
	if q.st == nil {
		return nil
	}
	out := slices.Clone(q.st.withheld)
	slices.Sort(out)
	return out
}

func (q Quoter) mayMention(name string) bool {
	return q.st != nil && q.st.mentionable[strings.ToLower(name)]
}

func (q Quoter) withhold(name string) {
	if q.st == nil {
		return
	}
	lo := strings.ToLower(name)
	if !q.st.seen[lo] {
		q.st.seen[lo] = true
		q.st.withheld = append(q.st.withheld, lo)
	}
}

// Owner writes an owner as CODEOWNERS or OWNERS.yaml names it: a mention
// when the Quoter may mention it, else as code (an e-mail address or a
// malformed name always as code). A user or team it may not mention is
// recorded in Withheld.
func (q Quoter) Owner(name string) string {
	if n := mentionLen(name, 0); n == len(name) && n > 0 {
		if q.mayMention(name) {
			return rawMention(name)
		}
		q.withhold(name)
	}
	return q.Code(name)
}

// Login writes a GitHub login (an approver, who merged) as code: the App
// names them without notifying them.
func (q Quoter) Login(login string) string { return q.Code("@" + login) }

// rawMention writes a mention GitHub will notify: underscores escaped so
// they cannot pair into emphasis; GitHub reads the mention from the text
// the Markdown becomes, where they are plain underscores again.
func rawMention(name string) string { return strings.ReplaceAll(name, "_", `\_`) }

// mentionLen is the length of the user or team name starting with the "@"
// at s[i], as GitHub reads one: @login (letters, digits, hyphens, from a
// letter or digit) or @org/team (a team may also hold underscores); 0 when
// no name starts there.
func mentionLen(s string, i int) int {
	if i >= len(s) || s[i] != '@' || i+1 >= len(s) || !alnum(s[i+1]) {
		return 0
	}
	j := i + 1
	for j < len(s) && (alnum(s[j]) || s[j] == '-') {
		j++
	}
	if j+1 < len(s) && s[j] == '/' && alnum(s[j+1]) {
		j++
		for j < len(s) && (alnum(s[j]) || s[j] == '-' || s[j] == '_') {
			j++
		}
	}
	return j - i
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// quietAfter reports whether a mention followed by s ends where GitHub
// ends it: at the end, a space or closing punctuation, or a full stop that
// ends a sentence. Anywhere else GitHub might read a shorter name, so the
// mention is written as code instead.
func quietAfter(s string) bool {
	if s == "" {
		return true
	}
	switch s[0] {
	case ' ', ',', ';', ':', '!', '?', ')', '\'', '"':
		return true
	case '.':
		return len(s) == 1 || s[1] == ' '
	}
	return false
}

// Text writes s as inline prose. Code spans in it (`pattern`) stay code
// spans, fenced anew; everything else is escaped so that it shows as
// written and starts nothing: no emphasis, link, autolink, table cell,
// HTML, heading or list, and no mention of anyone the Quoter may not
// mention. Whitespace, newlines included, becomes single spaces, and
// control characters show as escapes. Names in prose are not recorded in
// Withheld: they are quoted, not owners addressed.
func (q Quoter) Text(s string) string {
	s = strings.Join(strings.FieldsFunc(Printable(strings.Map(spaceOut, s)), unicode.IsSpace), " ")
	var b strings.Builder
	plainFrom := 0
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		run := runAt(s, i)
		end := closingRun(s, i+run, run)
		if end < 0 {
			i += run // unmatched: escaped with the plain text around it
			continue
		}
		q.plain(&b, s[plainFrom:i], plainFrom == 0)
		b.WriteString(q.Code(codeSpanContent(s[i+run : end])))
		i = end + run
		plainFrom = i
	}
	q.plain(&b, s[plainFrom:], plainFrom == 0)
	return b.String()
}

// spaceOut turns the characters that end lines into spaces before the rest
// is made printable: in prose they separate words.
func spaceOut(r rune) rune {
	switch r {
	case '\n', '\r', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
		return ' '
	}
	return r
}

func runAt(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

// closingRun finds the next backtick run of exactly n from i, or -1.
func closingRun(s string, i, n int) int {
	for i < len(s) {
		if s[i] != '`' {
			i++
			continue
		}
		m := runAt(s, i)
		if m == n {
			return i
		}
		i += m
	}
	return -1
}

// codeSpanContent is what CommonMark shows of a code span's inside: one
// space stripped from each end when both have one.
func codeSpanContent(s string) string {
	if len(s) >= 2 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "" {
		return s[1 : len(s)-1]
	}
	return s
}

// plain escapes text outside code spans; atStart says it begins the text,
// where a block could begin.
func (q Quoter) plain(b *strings.Builder, s string, atStart bool) {
	if atStart {
		s = strings.TrimLeft(s, " ")
		if k := orderedMarker(s); k > 0 {
			// "1. " or "1) " would start an ordered list.
			b.WriteString(s[:k])
			b.WriteByte('\\')
			s = s[k:]
		} else if s != "" && strings.IndexByte("#-+=", s[0]) >= 0 {
			b.WriteByte('\\')
		}
	}
	// afterWord says the text GitHub will see before s[i] ends in a letter
	// or digit, so "@" there starts no mention. A code span written in place
	// of a name ends GitHub's text, so after one it is false.
	afterWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		wasAfterWord := afterWord
		afterWord = alnum(c)
		switch c {
		case '\\', '`', '*', '_', '[', ']', '|', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '~':
			// Not "\~": a backslash-escaped tilde still counts toward the
			// tilde run after it, so quoted "~" at the end of struck-out
			// text ("~~…\~~~") would undo the strikethrough around it.
			b.WriteString("&#126;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case ':':
			// "http://": GitHub links a URL even without <>.
			if strings.HasPrefix(s[i+1:], "//") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '.':
			// "www.example.com" likewise.
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '@':
			n := 0
			if !wasAfterWord {
				n = mentionLen(s, i)
			}
			switch {
			case n > 0:
				name := s[i : i+n]
				if q.mayMention(name) && quietAfter(s[i+n:]) {
					b.WriteString(rawMention(name))
					afterWord = alnum(name[len(name)-1])
				} else {
					b.WriteString(q.Code(name))
					afterWord = false
				}
				i += n - 1
			case wasAfterWord:
				// user@example.com: no mention, but GitHub would link it.
				b.WriteString(`\@`)
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
}

// orderedMarker is the length of the digits of an ordered list marker at
// the start of s ("12." or "12)"), or 0.
func orderedMarker(s string) int {
	k := 0
	for k < len(s) && k < 9 && '0' <= s[k] && s[k] <= '9' {
		k++
	}
	if k > 0 && k < len(s) && (s[k] == '.' || s[k] == ')') {
		return k
	}
	return 0
}
