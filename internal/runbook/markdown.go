package runbook

import (
	"bytes"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads just enough Markdown (CommonMark with GitHub's additions)
// to find links and the anchors headings define. It is not a renderer: it
// knows the blocks that hide links (fenced and indented code, HTML comments),
// the inline forms that hide them (code spans, autolinks), and how GitHub
// turns a heading into an id. Every loop moves forward through the text, so
// hostile input costs time in proportion to its size.

// A Link is a Markdown link or image of a runbook, or a reference definition.
type Link struct {
	Line, Column int    // where the target starts, 1-based; columns count characters
	Target       string // as written, with backslash escapes removed
	Image        bool   // ![alt](target)
	Reason       string // why it does not resolve; set only by BrokenLinks
}

// A document is a file split into lines. Lines end at "\n", "\r\n" or a lone
// "\r", as in CommonMark and YAML.
type document struct {
	data   []byte
	starts []int // offset where each line starts

	// The last position computed, so positions further along the same line
	// cost only the characters in between, even on a line of a megabyte.
	cacheOff, cacheLine, cacheCol int
}

func newDocument(data []byte) *document {
	d := &document{data: data, cacheOff: -1}
	if len(data) == 0 {
		return d
	}
	d.starts = append(d.starts, 0)
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			fallthrough
		case '\n':
			if i+1 < len(data) {
				d.starts = append(d.starts, i+1)
			}
		}
	}
	return d
}

func (d *document) lineCount() int { return len(d.starts) }

// lineEnd is where line i's content ends, before its line ending.
func (d *document) lineEnd(i int) int {
	end := len(d.data)
	if i+1 < len(d.starts) {
		end = d.starts[i+1]
	}
	if end > d.starts[i] && d.data[end-1] == '\n' {
		end--
	}
	if end > d.starts[i] && d.data[end-1] == '\r' {
		end--
	}
	return end
}

func (d *document) line(i int) []byte { return d.data[d.starts[i]:d.lineEnd(i)] }

// position converts a byte offset to a 1-based line and character column.
func (d *document) position(off int) (line, col int) {
	i := sort.Search(len(d.starts), func(i int) bool { return d.starts[i] > off }) - 1
	if i < 0 {
		return 1, 1
	}
	if d.cacheOff >= 0 && d.cacheLine == i+1 && off >= d.cacheOff {
		col = d.cacheCol + utf8.RuneCount(d.data[d.cacheOff:off])
	} else {
		col = utf8.RuneCount(d.data[d.starts[i]:off]) + 1
	}
	d.cacheOff, d.cacheLine, d.cacheCol = off, i+1, col
	return i + 1, col
}

// maxOpeners bounds the brackets waiting for a close; deeper nesting is text.
const maxOpeners = 1000

// maxParens bounds parentheses nested in a link destination, as cmark does.
const maxParens = 32

// A scanner walks the blocks of a document from one line on.
type scanner struct {
	doc       *document
	wantLinks bool
	links     []Link
	anchors   []string
	slugs     map[string]int  // for each heading slug, the last "-n" suffix given
	seen      map[string]bool // heading ids given so far
}

// scan returns the links (when wantLinks) and anchors of the document from
// line `from` (0-based) on.
func (d *document) scan(from int, wantLinks bool) ([]Link, []string) {
	s := &scanner{doc: d, wantLinks: wantLinks, slugs: map[string]int{}, seen: map[string]bool{}}
	s.blocks(from)
	return s.links, s.anchors
}

func (s *scanner) blocks(from int) {
	var (
		fenceChar  byte
		fenceLen   int
		inHTML     bool   // in an HTML block, where Markdown is not read
		htmlEnd    []byte // what ends it; nil for a blank line
		paraStart  = -1   // offset where the open paragraph starts, -1 when none
		paraEnd    int
		paraIsList bool
		inList     bool
		afterBlank = true
		data       = s.doc.data
		flush      = func() {
			if paraStart >= 0 {
				s.inline(paraStart, paraEnd)
				paraStart = -1
			}
		}
	)
	for i := from; i < s.doc.lineCount(); i++ {
		start, end := s.doc.starts[i], s.doc.lineEnd(i)
		line := data[start:end]
		if fenceLen > 0 {
			if closesFence(line[quotePrefix(line):], fenceChar, fenceLen) {
				fenceLen = 0
			}
			continue
		}
		if inHTML {
			switch {
			case htmlEnd != nil:
				inHTML = !bytes.Contains(bytes.ToLower(line), htmlEnd)
			case len(bytes.TrimSpace(line)) == 0:
				inHTML, afterBlank = false, true
			default:
				s.htmlAnchors(line)
			}
			continue
		}
		off := start + quotePrefix(line)
		rest := data[off:end]
		indent, width := indentation(rest)
		rest = rest[width:]
		off += width
		if len(bytes.TrimSpace(rest)) == 0 {
			flush()
			afterBlank = true
			continue
		}
		if afterBlank && indent == 0 && !isListItem(rest) {
			inList = false // the list ended at the blank line
		}
		afterBlank = false
		if indent >= 4 && paraStart < 0 && !inList {
			continue // indented code
		}
		if indent < 4 || inList {
			if c, n := fenceOpener(rest); n > 0 {
				flush()
				fenceChar, fenceLen = c, n
				continue
			}
			if end, skip, ok := htmlBlock(rest); ok {
				flush()
				inHTML, htmlEnd = true, end
				if end == nil {
					s.htmlAnchors(line)
				} else {
					inHTML = !bytes.Contains(bytes.ToLower(rest[skip:]), end)
				}
				continue
			}
		}
		s.htmlAnchors(line)
		if indent < 4 {
			if level, textStart, textEnd := atxHeading(rest); level > 0 {
				flush()
				s.heading(off+textStart, off+textEnd)
				s.inline(off+textStart, off+textEnd)
				continue
			}
			if paraStart >= 0 && !paraIsList && isSetextUnderline(rest) {
				s.heading(paraStart, paraEnd)
				flush()
				continue
			}
			if isThematicBreak(rest) {
				flush()
				continue
			}
			if paraStart < 0 && s.definition(off, end) {
				continue
			}
			if isListItem(rest) {
				inList = true
				flush()
				paraStart, paraEnd, paraIsList = off, end, true
				continue
			}
		}
		if paraStart < 0 {
			paraStart, paraIsList = off, false
		}
		paraEnd = end
	}
	flush()
}

// rawTags start HTML blocks that end at their closing tag, blank lines and
// all (CommonMark's first kind).
var rawTags = []string{"pre", "script", "style", "textarea"}

// blockTags start HTML blocks that end at a blank line (CommonMark's sixth
// kind), such as <details> and <div>.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "base": true, "basefont": true, "blockquote": true,
	"body": true, "caption": true, "center": true, "col": true, "colgroup": true, "dd": true,
	"details": true, "dialog": true, "dir": true, "div": true, "dl": true, "dt": true,
	"fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true, "frame": true,
	"frameset": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"head": true, "header": true, "hr": true, "html": true, "iframe": true, "legend": true,
	"li": true, "link": true, "main": true, "menu": true, "menuitem": true, "nav": true,
	"noframes": true, "ol": true, "optgroup": true, "option": true, "p": true, "param": true,
	"search": true, "section": true, "summary": true, "table": true, "tbody": true, "td": true,
	"tfoot": true, "th": true, "thead": true, "title": true, "tr": true, "track": true, "ul": true,
}

// htmlBlock reports whether a line starts an HTML block, in which GitHub
// reads no Markdown: a comment, a raw tag such as <pre>, or a block tag such
// as <details>. It returns the lower-case text that ends the block (nil for
// a blank line) and how much of the line the opener takes.
func htmlBlock(b []byte) (end []byte, skip int, ok bool) {
	if bytes.HasPrefix(b, []byte("<!--")) {
		return []byte("-->"), 4, true
	}
	if len(b) < 2 || b[0] != '<' {
		return nil, 0, false
	}
	i := 1
	closing := b[1] == '/'
	if closing {
		i++
	}
	j := i
	for j < len(b) && (b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
		j++
	}
	name := strings.ToLower(string(b[i:j]))
	if j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '>' && !(b[j] == '/' && j+1 < len(b) && b[j+1] == '>') {
		return nil, 0, false
	}
	if !closing {
		for _, raw := range rawTags {
			if name == raw {
				return []byte("</" + raw + ">"), j, true
			}
		}
	}
	if blockTags[name] {
		return nil, j, true
	}
	return nil, 0, false
}

// quotePrefix is the length of the blockquote markers (">") a line starts with.
func quotePrefix(line []byte) int {
	i := 0
	for {
		j := i
		for j < len(line) && j-i < 3 && line[j] == ' ' {
			j++
		}
		if j >= len(line) || line[j] != '>' {
			return i
		}
		j++
		if j < len(line) && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		i = j
	}
}

// indentation returns the columns of leading blanks (tabs to the next stop
// of four) and their bytes.
func indentation(b []byte) (cols, bytesUsed int) {
	for bytesUsed < len(b) {
		switch b[bytesUsed] {
		case ' ':
			cols++
		case '\t':
			cols += 4 - cols%4
		default:
			return cols, bytesUsed
		}
		bytesUsed++
	}
	return cols, bytesUsed
}

// fenceOpener returns the fence character and length when b opens a fenced
// code block.
func fenceOpener(b []byte) (byte, int) {
	if len(b) < 3 || (b[0] != '`' && b[0] != '~') {
		return 0, 0
	}
	c, n := b[0], 0
	for n < len(b) && b[n] == c {
		n++
	}
	if n < 3 || c == '`' && bytes.IndexByte(b[n:], '`') >= 0 {
		return 0, 0
	}
	return c, n
}

func closesFence(line []byte, c byte, n int) bool {
	_, w := indentation(line)
	rest := bytes.TrimRight(line[w:], " \t")
	if len(rest) < n {
		return false
	}
	for _, b := range rest {
		if b != c {
			return false
		}
	}
	return true
}

// atxHeading returns the level of a "# heading" line and where its text is.
func atxHeading(b []byte) (level, start, end int) {
	for level < len(b) && b[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || level < len(b) && b[level] != ' ' && b[level] != '\t' {
		return 0, 0, 0
	}
	start, end = level, len(b)
	for start < end && (b[start] == ' ' || b[start] == '\t') {
		start++
	}
	for end > start && (b[end-1] == ' ' || b[end-1] == '\t') {
		end--
	}
	// A closing run of #s goes when a blank precedes it (or it is all there is).
	j := end
	for j > start && b[j-1] == '#' {
		j--
	}
	if j < end && (j == start || b[j-1] == ' ' || b[j-1] == '\t') {
		end = j
		for end > start && (b[end-1] == ' ' || b[end-1] == '\t') {
			end--
		}
	}
	return level, start, end
}

func isSetextUnderline(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	if len(b) == 0 || b[0] != '=' && b[0] != '-' {
		return false
	}
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}

// isThematicBreak reports a line of three or more -, * or _ (blanks allowed).
func isThematicBreak(b []byte) bool {
	var c byte
	n := 0
	for _, x := range b {
		switch {
		case x == ' ' || x == '\t':
		case (x == '-' || x == '*' || x == '_') && (c == 0 || c == x):
			c = x
			n++
		default:
			return false
		}
	}
	return n >= 3
}

func isListItem(b []byte) bool {
	n := 0
	if len(b) > 0 && (b[0] == '-' || b[0] == '*' || b[0] == '+') {
		n = 1
	} else {
		for n < len(b) && n < 9 && b[n] >= '0' && b[n] <= '9' {
			n++
		}
		if n == 0 || n >= len(b) || b[n] != '.' && b[n] != ')' {
			return false
		}
		n++
	}
	return n == len(b) || b[n] == ' ' || b[n] == '\t'
}

// definition records a reference definition ("[id]: target") on the line at
// data[off:end], and reports whether the line is one.
func (s *scanner) definition(off, end int) bool {
	data := s.doc.data
	if off >= end || data[off] != '[' || off+1 < end && data[off+1] == '^' { // "[^1]:" is a footnote
		return false
	}
	i := off + 1
	for ; i < end && data[i] != ']'; i++ {
		switch {
		case data[i] == '\\' && i+1 < end:
			i++
		case data[i] == '[', i-off > 1000:
			return false
		}
	}
	if i >= end || i == off+1 || i+1 >= end || data[i+1] != ':' || len(bytes.TrimSpace(data[off+1:i])) == 0 {
		return false
	}
	i = skipBlanks(data, i+2, end)
	if i >= end {
		return false // a target on the next line: rare enough to leave as text
	}
	target, tStart, next, ok := destination(data, i, end)
	if !ok || target == "" && data[i] != '<' {
		return false
	}
	if next < end && data[next] != ' ' && data[next] != '\t' {
		return false
	}
	if rest := bytes.TrimSpace(data[next:end]); len(rest) > 0 && rest[0] != '"' && rest[0] != '\'' && rest[0] != '(' {
		return false
	}
	s.emit(target, tStart, false)
	return true
}

func skipBlanks(data []byte, i, end int) int {
	for i < end && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i
}

func (s *scanner) emit(target string, off int, image bool) {
	if !s.wantLinks {
		return
	}
	line, col := s.doc.position(off)
	s.links = append(s.links, Link{Line: line, Column: col, Target: target, Image: image})
}

func isPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// destination reads a link destination at data[i:end]: <with spaces> or a
// run without blanks whose parentheses balance. It returns the target with
// escapes removed, where it starts and the offset after it.
func destination(data []byte, i, end int) (target string, start, next int, ok bool) {
	if i < end && data[i] == '<' {
		for j := i + 1; j < end; j++ {
			switch data[j] {
			case '\n', '\r', '<':
				return "", 0, 0, false
			case '\\':
				if j+1 < end && isPunct(data[j+1]) {
					j++
				}
			case '>':
				return unescape(data[i+1 : j]), i + 1, j + 1, true
			}
		}
		return "", 0, 0, false
	}
	depth, j := 0, i
loop:
	for ; j < end; j++ {
		switch c := data[j]; {
		case c <= ' ' || c == 0x7f:
			break loop
		case c == '\\' && j+1 < end && isPunct(data[j+1]):
			j++
		case c == '(':
			depth++
			if depth > maxParens {
				return "", 0, 0, false
			}
		case c == ')':
			if depth == 0 {
				break loop
			}
			depth--
		}
	}
	if depth != 0 {
		return "", 0, 0, false
	}
	return unescape(data[i:j]), i, j, true
}

func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) && isPunct(b[i+1]) {
			i++
		}
		out = append(out, b[i])
	}
	return string(out)
}

// inlineTail reads what follows "](" of an inline link: blanks, the
// destination, an optional title and ")". It returns the target, where it
// starts and the offset after ")".
func inlineTail(data []byte, i, end int) (target string, start, next int, ok bool) {
	i = skipSpace(data, i, end)
	if i < end && data[i] == ')' {
		return "", i, i + 1, true
	}
	target, start, i, ok = destination(data, i, end)
	if !ok {
		return "", 0, 0, false
	}
	j := skipSpace(data, i, end)
	if j < end && j > i && (data[j] == '"' || data[j] == '\'' || data[j] == '(') {
		closer := data[j]
		if closer == '(' {
			closer = ')'
		}
		k := j + 1
		for ; k < end && data[k] != closer; k++ {
			switch {
			case data[k] == '\\' && k+1 < end:
				k++
			case data[j] == '(' && data[k] == '(':
				return "", 0, 0, false
			}
		}
		if k >= end {
			return "", 0, 0, false
		}
		j = skipSpace(data, k+1, end)
	}
	if j >= end || data[j] != ')' {
		return "", 0, 0, false
	}
	return target, start, j + 1, true
}

// skipSpace skips blanks and at most one line ending.
func skipSpace(data []byte, i, end int) int {
	i = skipBlanks(data, i, end)
	if i < end && data[i] == '\r' {
		i++
	}
	if i < end && data[i] == '\n' {
		i++
	}
	return skipBlanks(data, i, end)
}

// backticks finds the code spans of a stretch of text in one pass: for each
// run length, the starts of the runs of exactly that length, and a cursor
// that only moves forward.
type backticks struct {
	starts map[int][]int
	cursor map[int]int
}

func newBackticks(data []byte, a, b int) *backticks {
	t := &backticks{starts: map[int][]int{}, cursor: map[int]int{}}
	for i := a; i < b; {
		if data[i] != '`' {
			i++
			continue
		}
		j := i
		for j < b && data[j] == '`' {
			j++
		}
		t.starts[j-i] = append(t.starts[j-i], i)
		i = j
	}
	return t
}

// closer returns the start of the first run of exactly n backticks at or
// after from, or -1.
func (t *backticks) closer(from, n int) int {
	starts, c := t.starts[n], t.cursor[n]
	for c < len(starts) && starts[c] < from {
		c++
	}
	t.cursor[n] = c
	if c == len(starts) {
		return -1
	}
	return starts[c]
}

var autolink = regexp.MustCompile(`^<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\x00-\x20]*|[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>`)

// maxAutolink bounds how far an autolink is looked for.
const maxAutolink = 4096

type opener struct {
	image bool
}

// inline finds the inline links and images in data[a:b], a paragraph or a
// heading's text.
func (s *scanner) inline(a, b int) {
	if !s.wantLinks {
		return
	}
	data := s.doc.data
	var (
		openers []opener
		floor   int // link openers below this index are inside a link: inactive
		ticks   *backticks
		// noCommentEnd is where a search for the end of a comment failed.
		noCommentEnd = b
	)
	for i := a; i < b; {
		switch data[i] {
		case '\\':
			if i+1 < b && isPunct(data[i+1]) {
				i += 2
				continue
			}
		case '`':
			n := 0
			for i+n < b && data[i+n] == '`' {
				n++
			}
			if ticks == nil {
				ticks = newBackticks(data, a, b)
			}
			if c := ticks.closer(i+n, n); c >= 0 {
				i = c + n
			} else {
				i += n
			}
			continue
		case '<':
			if i < noCommentEnd && bytes.HasPrefix(data[i:b], []byte("<!--")) {
				if k := bytes.Index(data[i+4:b], []byte("-->")); k >= 0 {
					i += 4 + k + 3
					continue
				}
				noCommentEnd = i // no "-->" follows: never search again
			}
			if m := autolink.FindIndex(data[i:min(b, i+maxAutolink)]); m != nil {
				i += m[1]
				continue
			}
		case '!':
			if i+1 < b && data[i+1] == '[' {
				if len(openers) < maxOpeners {
					openers = append(openers, opener{image: true})
				}
				i += 2
				continue
			}
		case '[':
			if len(openers) < maxOpeners {
				openers = append(openers, opener{})
			}
		case ']':
			if len(openers) == 0 {
				break
			}
			o, idx := openers[len(openers)-1], len(openers)-1
			openers = openers[:idx]
			inactive := !o.image && idx < floor
			floor = min(floor, idx)
			if inactive || i+1 >= b || data[i+1] != '(' {
				break
			}
			target, start, next, ok := inlineTail(data, i+2, b)
			if !ok {
				break
			}
			if target != "" {
				s.emit(target, start, o.image)
			}
			if !o.image {
				floor = len(openers) // no links inside links
			}
			i = next
			continue
		}
		i++
	}
}

// heading records the anchor GitHub gives the heading whose text is
// data[a:b]: the rendered text, lower-cased, with everything but letters,
// marks, numbers, connector punctuation, "-" and " " removed, and spaces
// turned into "-"; a slug seen before gets "-1", "-2", ….
func (s *scanner) heading(a, b int) {
	src := s.doc.data[a:b]
	if bytes.ContainsAny(src, "\r\n") {
		// A setext heading's lines are joined without their indentation.
		lines := bytes.FieldsFunc(src, func(r rune) bool { return r == '\r' || r == '\n' })
		for i := range lines {
			lines[i] = bytes.TrimSpace(lines[i])
		}
		src = bytes.Join(lines, []byte("\n"))
	}
	base := slug(headingText(src))
	id := base
	for s.seen[id] {
		s.slugs[base]++
		id = base + "-" + strconv.Itoa(s.slugs[base])
	}
	s.seen[id] = true
	if id != "" {
		s.anchors = append(s.anchors, normalizeAnchor(id))
	}
}

func slug(text string) string {
	var sb strings.Builder
	for _, c := range strings.ToLower(text) {
		switch {
		case c == ' ':
			sb.WriteByte('-')
		case c == '-' || unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsNumber(c) || unicode.Is(unicode.Pc, c):
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

// normalizeAnchor is how anchors compare: GitHub matches fragments without
// regard to case, and emoji variation selectors are invisible in a link.
func normalizeAnchor(s string) string {
	s = strings.ToLower(s)
	if strings.ContainsAny(s, "\uFE0E\uFE0F") {
		s = strings.NewReplacer("\uFE0E", "", "\uFE0F", "").Replace(s)
	}
	return s
}

var entity = regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// headingText approximates the text GitHub renders for a heading's source:
// code spans keep their content, links their text, images and HTML tags
// vanish, and underscores that pair up as emphasis go.
func headingText(src []byte) string {
	if !bytes.ContainsAny(src, "\\`[]!<&_") {
		return string(src) // plain text, as most headings are
	}
	type char struct {
		r        rune
		literal  bool // escaped or in code: never emphasis
		boundary bool // stands for removed markup, which separates words
	}
	var out []char
	var imageAt []int // output length at each open "![", to drop alt text
	var brackets []bool
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src) && isPunct(src[i+1]):
			out = append(out, char{r: rune(src[i+1]), literal: true})
			i += 2
			continue
		case c == '`':
			n := 0
			for i+n < len(src) && src[i+n] == '`' {
				n++
			}
			if k := findRun(src, i+n, n); k >= 0 {
				for _, r := range string(src[i+n : k]) {
					out = append(out, char{r: r, literal: true})
				}
				i = k + n
				continue
			}
			for range n {
				out = append(out, char{r: '`', literal: true})
			}
			i += n
			continue
		case c == '!' && i+1 < len(src) && src[i+1] == '[':
			if len(brackets) < maxOpeners {
				brackets = append(brackets, true)
				imageAt = append(imageAt, len(out))
			}
			i += 2
			continue
		case c == '[':
			if len(brackets) < maxOpeners {
				brackets = append(brackets, false)
			}
			i++
			continue
		case c == ']' && len(brackets) > 0:
			image := brackets[len(brackets)-1]
			brackets = brackets[:len(brackets)-1]
			if image {
				out = out[:imageAt[len(imageAt)-1]]
				imageAt = imageAt[:len(imageAt)-1]
			}
			i++
			if i < len(src) && src[i] == '(' {
				if _, _, next, ok := inlineTail(src, i+1, len(src)); ok {
					i = next
				}
			}
			continue
		case c == '<':
			if m := autolink.FindIndex(src[i:]); m != nil {
				for _, r := range string(src[i+1 : i+m[1]-1]) {
					out = append(out, char{r: r, literal: true})
				}
				i += m[1]
				continue
			}
			if m := htmlTag.FindIndex(src[i:]); m != nil {
				out = append(out, char{boundary: true})
				i += m[1]
				continue
			}
		case c == '&':
			if m := entity.FindIndex(src[i:]); m != nil {
				i += m[1] // what it stands for is punctuation or a space that slug drops
				continue
			}
		}
		r, size := utf8.DecodeRune(src[i:])
		out = append(out, char{r: r})
		i += size
	}
	// Underscore runs that can open or close emphasis, paired in order.
	isSpace := func(k int) bool { return k < 0 || k >= len(out) || out[k].boundary || unicode.IsSpace(out[k].r) }
	isPunctAt := func(k int) bool {
		return k >= 0 && k < len(out) && !out[k].boundary && (unicode.IsPunct(out[k].r) || unicode.IsSymbol(out[k].r))
	}
	drop := make([]bool, len(out))
	var open []int
	for k := 0; k < len(out); {
		if out[k].r != '_' || out[k].literal || out[k].boundary {
			k++
			continue
		}
		end := k
		for end < len(out) && out[end].r == '_' && !out[end].literal {
			end++
		}
		left := !isSpace(end) && (!isPunctAt(end) || isSpace(k-1) || isPunctAt(k-1))
		right := !isSpace(k-1) && (!isPunctAt(k-1) || isSpace(end) || isPunctAt(end))
		canOpen := left && (!right || isPunctAt(k-1))
		canClose := right && (!left || isPunctAt(end))
		switch {
		case canClose && len(open) > 0:
			o := open[len(open)-1]
			open = open[:len(open)-1]
			for j := o; j < len(out) && out[j].r == '_' && !out[j].literal; j++ {
				drop[j] = true
			}
			for j := k; j < end; j++ {
				drop[j] = true
			}
		case canOpen:
			open = append(open, k)
		}
		k = end
	}
	var sb strings.Builder
	for k, ch := range out {
		if !drop[k] && !ch.boundary {
			sb.WriteRune(ch.r)
		}
	}
	return sb.String()
}

var htmlTag = regexp.MustCompile(`^</?[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>` + "`" + `]+))?)*\s*/?>`)

// findRun returns the start of the first run of exactly n backticks in
// src[from:], or -1. Heading text is one line, so a scan is bounded by it.
func findRun(src []byte, from, n int) int {
	for i := from; i < len(src); {
		if src[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(src) && src[j] == '`' {
			j++
		}
		if j-i == n {
			return i
		}
		i = j
	}
	return -1
}

var htmlID = regexp.MustCompile(`(?i)<[a-z][a-z0-9-]*(?:\s[^<>]*?)?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))`)

// htmlAnchors records the ids and names of HTML elements on a line:
// <a name="x"> and id="x" are link targets on GitHub too.
func (s *scanner) htmlAnchors(line []byte) {
	if bytes.IndexByte(line, '<') < 0 || bytes.IndexByte(line, '=') < 0 {
		return
	}
	for _, m := range htmlID.FindAllSubmatch(line, -1) {
		for _, g := range m[1:] {
			if len(g) > 0 {
				s.anchors = append(s.anchors, normalizeAnchor(string(g)))
			}
		}
	}
}

// anchorSet returns the anchors of a Markdown file, for checking links
// into it: front matter, if any, is skipped.
func anchorSet(data []byte) map[string]bool {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	doc := newDocument(data)
	from := 0
	if doc.lineCount() > 0 && isDelimiter(doc.line(0), false) {
		for i := 1; i < doc.lineCount() && doc.starts[i] <= MaxFrontMatter; i++ {
			if isDelimiter(doc.line(i), true) {
				from = i + 1
				break
			}
		}
	}
	_, anchors := doc.scan(from, false)
	set := make(map[string]bool, len(anchors))
	for _, a := range anchors {
		set[a] = true
	}
	return set
}
