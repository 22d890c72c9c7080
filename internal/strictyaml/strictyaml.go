// Package strictyaml decodes the YAML files people write for ownerbot
// (OWNERS.yaml, runbook front matter, exceptions, configuration, Backstage
// descriptors) strictly: every problem has a line and column, unknown and
// duplicate keys are errors, dates must be quoted, and anchors, aliases and
// explicit tags are refused, so no document can expand into more than it says.
//
// A refused node is a problem at its own position and is read as having no
// value; the rest of the document is still decoded, so a file with an anchor
// reports its other mistakes too and keeps its correct fields. The problem
// is recorded when the node is read (so a caller that counts problems while
// reading one entry sees it), or at the latest when the Fields, SharedFields,
// Pick or Each call over the mapping or list that holds it returns.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// A Problem is something wrong at a position of a document.
type Problem struct {
	Line, Column int // 1-based; 0 when the document as a whole is wrong
	Message      string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.Message
	}
	return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message)
}

// A FileProblem is something wrong at a position of a named file: what
// OWNERS.yaml, runbook and exception parsing report.
type FileProblem struct {
	Path         string
	Line, Column int // 1-based; 0 when the file as a whole is wrong
	Message      string
}

func (p FileProblem) Error() string {
	if p.Line == 0 {
		return p.Path + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.Path, p.Line, p.Column, p.Message)
}

// Dir returns the directory of a repository-relative file path, "" for the
// root: how the files people write here name the unit that holds them.
func Dir(file string) string {
	d := path.Dir(file)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

// In returns the decoder's problems as problems of the file at path.
func (d *Decoder) In(path string) []FileProblem {
	out := make([]FileProblem, len(d.Problems))
	for i, p := range d.Problems {
		out[i] = FileProblem{Path: path, Line: p.Line, Column: p.Column, Message: p.Message}
	}
	return out
}

// A Decoder reads values out of YAML nodes and collects what is wrong, so a
// file with several mistakes reports all of them.
type Decoder struct {
	Problems []Problem

	// MaxDepth bounds nesting; 0 means DefaultMaxDepth. Files that belong
	// to other tools (Backstage entities carrying JSON schemas) may need more.
	MaxDepth int

	// refused maps each refused node to the problem it has, nil once that
	// problem is recorded; unclaimed counts the ones not yet recorded.
	refused   map[*yaml.Node]*Problem
	unclaimed int
}

// Errorf records a problem at node n (at the document start when n is nil).
// A refused node (see Refused) has one problem only, why it was refused:
// what a caller says about its missing value would be a knock-on.
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) {
	if n != nil && d.Refused(n) {
		d.claim(n)
		return
	}
	p := Problem{Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.Problems = append(d.Problems, p)
}

// Refused reports whether n was an anchor, alias, tagged or too deeply
// nested node, now read as an empty value.
func (d *Decoder) Refused(n *yaml.Node) bool {
	_, ok := d.refused[n]
	return ok
}

// claim records why n was refused, once.
func (d *Decoder) claim(n *yaml.Node) {
	p := d.refused[n]
	if p == nil {
		return
	}
	d.refused[n] = nil
	d.unclaimed--
	d.Problems = append(d.Problems, *p)
}

// flush records the refusals under n that nobody read (values of unknown
// keys, say), so none is lost and each lands while its enclosing mapping or
// list is being read.
func (d *Decoder) flush(n *yaml.Node) {
	if d.unclaimed == 0 || n == nil {
		return
	}
	if d.Refused(n) {
		d.claim(n)
		return
	}
	for _, c := range n.Content {
		d.flush(c)
	}
}

// Parse parses a single YAML document of at most maxSize bytes and returns
// its top-level node, or nil with the problems when it cannot be read. Empty
// documents return nil without a problem. Anchors, aliases and explicit tags
// are problems at their position and read as empty values (see the package
// comment); a refused top-level node makes the document unreadable.
func (d *Decoder) Parse(data []byte, maxSize int) *yaml.Node {
	if !d.readable(data, maxSize) {
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		d.yamlError(err, 0)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.Errorf(&extra, "only one YAML document is allowed; remove the `---` that starts a second one")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return d.top(doc.Content[0], 0)
}

// readable checks what every file must be before YAML reads it: within its
// size bound and UTF-8.
func (d *Decoder) readable(data []byte, maxSize int) bool {
	if len(data) > maxSize {
		d.Errorf(nil, "the file is %d bytes, more than the %d this file may have", len(data), maxSize)
		return false
	}
	if !utf8.Valid(data) {
		line := bytes.Count(data[:FirstInvalidUTF8(data)], []byte("\n")) + 1
		d.Problems = append(d.Problems, Problem{Line: line, Column: 1, Message: "the file is not valid UTF-8"})
		return false
	}
	return true
}

// top checks a document's top-level node, moved down by shift lines, and
// returns it, or nil when it is refused itself.
func (d *Decoder) top(root *yaml.Node, shift int) *yaml.Node {
	d.plain(root, 0, shift)
	if d.Refused(root) {
		d.claim(root)
		return nil
	}
	return root
}

// MaxDocuments bounds how many documents ParseAll reads from one file.
const MaxDocuments = 1000

// ParseAll parses a stream of YAML documents separated by `---` lines, of
// at most maxSize bytes in all, and returns the top-level node of each
// document that has one, in order. It makes the same checks as Parse, with
// every position in the whole file.
//
// yaml.v3 cannot resume after a syntax error, so each document is parsed on
// its own: the file is cut at its `---` lines, which YAML forbids inside
// any value. A syntax error loses only the document that holds it (or, where
// yaml.v3 reads past the next `---`, such as an unclosed quote, the rest of
// its part); the documents before and after still count. Past MaxDocuments
// documents, the rest of the file is a problem and is not read.
func (d *Decoder) ParseAll(data []byte, maxSize int) []*yaml.Node {
	if !d.readable(data, maxSize) {
		return nil
	}
	var roots []*yaml.Node
	count := 0
	for _, part := range documentParts(data) {
		dec := yaml.NewDecoder(bytes.NewReader(part.text))
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				d.yamlError(err, part.line-1)
				break
			}
			count++
			if count > MaxDocuments {
				d.Problems = append(d.Problems, Problem{Line: doc.Line + part.line - 1, Column: 1,
					Message: fmt.Sprintf("the file has more than %d YAML documents; the rest are not read", MaxDocuments)})
				return roots
			}
			if len(doc.Content) == 0 || isEmpty(doc.Content[0]) {
				continue
			}
			if root := d.top(doc.Content[0], part.line-1); root != nil {
				roots = append(roots, root)
			}
		}
	}
	return roots
}

// isEmpty reports whether a document's node is nothing at all, as between
// two `---` lines with nothing in between (not an explicit null such as ~).
func isEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" && n.Style == 0 && n.Anchor == ""
}

// A documentPart is a piece of a stream holding one document (or, before
// the first `---`, the stream's first), starting at a line of the file.
type documentPart struct {
	text []byte
	line int // 1-based line of the file where text starts
}

// documentParts cuts data before each line that starts a document: `---`
// followed by a blank or the end of the line. Directive lines (%YAML) right
// before a `---` belong to the document it starts.
func documentParts(data []byte) []documentPart {
	var parts []documentPart
	start, startLine := 0, 1
	directive := -1 // offset of the first directive line since the last content line
	directiveLine := 0
	line := 1
	for off := 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		text := data[off:next]
		switch {
		case isDocumentStart(text) && off > start:
			cut, cutLine := off, line
			if directive >= 0 {
				cut, cutLine = directive, directiveLine
			}
			if cut > start {
				parts = append(parts, documentPart{text: data[start:cut], line: startLine})
				start, startLine = cut, cutLine
			}
			directive = -1
		case len(text) > 0 && text[0] == '%':
			if directive < 0 {
				directive, directiveLine = off, line
			}
		case isBlankOrComment(text):
		default:
			directive = -1
		}
		off = next
	}
	if start < len(data) || len(parts) == 0 {
		parts = append(parts, documentPart{text: data[start:], line: startLine})
	}
	return parts
}

func isDocumentStart(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r'
}

func isBlankOrComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t\r\n")
	return len(t) == 0 || t[0] == '#'
}

// FirstInvalidUTF8 returns the offset of the first byte of data that is not
// valid UTF-8, or len(data) when there is none.
func FirstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 error, which knows only lines, into problems,
// moved down by shift lines.
func (d *Decoder) yamlError(err error, shift int) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		msg = strings.TrimPrefix(msg, "yaml: ")
		if m := yamlLine.FindStringSubmatch("yaml: " + msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			d.Problems = append(d.Problems, Problem{Line: line + shift, Column: 1, Message: "YAML syntax: " + m[2]})
			continue
		}
		d.Problems = append(d.Problems, Problem{Line: 1 + shift, Column: 1, Message: "YAML syntax: " + msg})
	}
}

// DefaultMaxDepth bounds nesting; no ownerbot file needs more than a few
// levels.
const DefaultMaxDepth = 20

// plain refuses anchors, aliases, merge keys, explicit tags and nesting
// deeper than the bound anywhere in the tree, so decoding can never expand
// or recurse beyond what is written; it moves every position it keeps down
// by shift lines. A refused node becomes an empty value that keeps its
// position (see Refused); its problem waits to be claimed.
func (d *Decoder) plain(n *yaml.Node, depth, shift int) {
	n.Line += shift
	maxDepth := d.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	switch {
	case n.Kind == yaml.AliasNode:
		d.refuse(n, n, fmt.Sprintf("aliases (*%s) are not allowed; write the value out", n.Value))
		return
	case n.Anchor != "":
		d.refuse(n, n, fmt.Sprintf("anchors (&%s) are not allowed; write the value out", n.Anchor))
		return
	case n.Style&yaml.TaggedStyle != 0:
		d.refuse(n, n, fmt.Sprintf("explicit tags (%s) are not allowed", n.Tag))
		return
	case depth >= maxDepth && len(n.Content) > 0:
		// The deepest mapping or list allowed reads as empty; the problem
		// points at the first thing nested too deep in it.
		first := n.Content[0]
		first.Line += shift
		d.refuse(n, first, fmt.Sprintf("nested more than %d levels deep", maxDepth))
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				// `<<: *base` is one mistake: report it once, at the key.
				k.Line += shift
				d.refuse(k, k, "merge keys (<<) are not allowed; write the keys out")
				v.Line += shift
				d.refuse(v, v, "")
			}
		}
	}
	for _, c := range n.Content {
		if !d.Refused(c) {
			d.plain(c, depth+1, shift)
		}
	}
}

// refuse empties n and records why, at the position of at; an empty reason
// is a refusal reported elsewhere.
func (d *Decoder) refuse(n, at *yaml.Node, reason string) {
	var p *Problem
	if reason != "" {
		p = &Problem{Line: at.Line, Column: at.Column, Message: reason}
		d.unclaimed++
	}
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	if d.refused == nil {
		d.refused = map[*yaml.Node]*Problem{}
	}
	d.refused[n] = p
}

// Fields reads a mapping: for each key in order it calls the function
// registered for it, and reports keys that are unknown or repeated.
func (d *Decoder) Fields(n *yaml.Node, what string, fields map[string]func(v *yaml.Node)) {
	defer d.flush(n)
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping of keys to values, not %s", what, kind(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d.Refused(k) {
			d.claim(k)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "keys of %s must be plain words", what)
			continue
		}
		if seen[k.Value] {
			d.Errorf(k, "key %q appears twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		fn, ok := fields[k.Value]
		if !ok {
			d.Errorf(k, "unknown key %q in %s%s", k.Value, what, suggest(k.Value, fields))
			continue
		}
		fn(v)
	}
}

// Has reports whether mapping n has key.
func Has(n *yaml.Node, key string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// suggest names the closest known key, or lists them all.
func suggest(key string, fields map[string]func(*yaml.Node)) string {
	keys := slices.Sorted(maps.Keys(fields))
	best, bestDist := "", 3 // further than two edits is not a typo
	for _, f := range keys {
		if dist := EditDistance(key, f); dist < bestDist {
			best, bestDist = f, dist
		}
	}
	if best == "" {
		return " (known keys: " + strings.Join(keys, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// EditDistance is the Levenshtein distance between a and b, in bytes: how
// "did you mean" suggestions find the closest known name.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "a number"
		case "!!timestamp":
			return "an unquoted date"
		}
		return fmt.Sprintf("the text %q", n.Value)
	}
	return "something else"
}

// String reads a text value. Numbers, booleans and dates written without
// quotes are refused: "yes", 1.10 and 2026-01-01 do not survive YAML as text.
func (d *Decoder) String(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.Errorf(n, "%s must be text, not %s", what, kind(n))
		return "", false
	}
	return n.Value, true
}

// NonEmpty reads a text value that must not be empty.
func (d *Decoder) NonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := d.String(n, what)
	if ok && strings.TrimSpace(s) == "" {
		d.Errorf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

// Strings reads a list of text values.
// A refused entry is left out, and makes the list not ok.
func (d *Decoder) Strings(n *yaml.Node, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list, not %s", what, kind(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, item := range n.Content {
		if d.Refused(item) {
			d.claim(item)
			ok = false
			continue
		}
		s, good := d.NonEmpty(item, "each entry of "+what)
		if good {
			out = append(out, s)
		}
		ok = ok && good
	}
	return out, ok
}

// Each calls fn for each item of a list; a refused item has no value, so
// fn is not called for it.
func (d *Decoder) Each(n *yaml.Node, what string, fn func(item *yaml.Node)) {
	defer d.flush(n)
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list, not %s", what, kind(n))
		return
	}
	for _, item := range n.Content {
		if d.Refused(item) {
			d.claim(item)
			continue
		}
		fn(item)
	}
}

// Int reads a whole number.
func (d *Decoder) Int(n *yaml.Node, what string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.Errorf(n, "%s must be a whole number, not %s", what, kind(n))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.Errorf(n, "%s must be a whole number: %v", what, err)
		return 0, false
	}
	return v, true
}

// Bool reads true or false.
func (d *Decoder) Bool(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.Errorf(n, "%s must be true or false, not %s", what, kind(n))
		return false, false
	}
	return n.Value == "true", true
}

// OneOf reads a text value that must be one of allowed.
func (d *Decoder) OneOf(n *yaml.Node, what string, allowed ...string) (string, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	d.Errorf(n, "%s must be one of %s, not %q", what, strings.Join(allowed, ", "), s)
	return "", false
}

// DateLayout is how dates are written: ISO 8601 calendar dates.
const DateLayout = "2006-01-02"

// Date reads a quoted ISO date ("2026-09-01") as midnight UTC.
func (d *Decoder) Date(n *yaml.Node, what string) (time.Time, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!timestamp" {
		d.Errorf(n, "%s must be quoted (\"%s\"): unquoted, YAML reads a date as a timestamp", what, n.Value)
		return time.Time{}, false
	}
	s, ok := d.String(n, what)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		d.Errorf(n, "%s must be a date written YYYY-MM-DD, not %q", what, s)
		return time.Time{}, false
	}
	return t, true
}

// A Duration is a number of days, written "<n>d" or "<n>w".
type Duration struct {
	Days int
}

func (d Duration) String() string { return fmt.Sprintf("%dd", d.Days) }

// Of returns the duration as a time.Duration.
func (d Duration) Of() time.Duration { return time.Duration(d.Days) * 24 * time.Hour }

// maxDays bounds durations at ten years: longer ones are mistakes.
const maxDays = 3660

var durationText = regexp.MustCompile(`^([0-9]{1,5})([dw])$`)

// ParseDuration reads "<n>d" or "<n>w".
func ParseDuration(s string) (Duration, error) {
	m := durationText.FindStringSubmatch(s)
	if m == nil {
		return Duration{}, fmt.Errorf("durations are written <n>d or <n>w (such as 90d or 2w), not %q", s)
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "w" {
		n *= 7
	}
	if n <= 0 || n > maxDays {
		return Duration{}, fmt.Errorf("duration %q must be between 1 day and 10 years", s)
	}
	return Duration{Days: n}, nil
}

// Duration reads "<n>d" or "<n>w".
func (d *Decoder) Duration(n *yaml.Node, what string) (Duration, bool) {
	s, ok := d.String(n, what)
	if !ok {
		return Duration{}, false
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.Errorf(n, "%s: %v", what, err)
		return Duration{}, false
	}
	return v, true
}

// SharedFields reads a mapping that other tools write to as well, such as the
// front matter of a Markdown file: it calls the function registered for each
// key it knows and leaves the other keys alone. Known keys that repeat are
// errors (which value would count?), and so is an unknown key a typo or two
// away from a known key that is absent: it was almost certainly meant as that
// key, and ignoring it would silently drop the value.
func (d *Decoder) SharedFields(n *yaml.Node, what string, fields map[string]func(v *yaml.Node)) {
	d.shared(n, what, fields, true)
}

// Pick reads a mapping that belongs to another tool, such as a Backstage
// descriptor, which may carry any number of keys ownerbot does not read: it
// calls the function registered for each key it knows and ignores every
// other key, without guessing at typos (another tool's key may well be one
// edit away from one of ours, as memberOf is from members). Known keys that
// repeat are errors.
func (d *Decoder) Pick(n *yaml.Node, what string, fields map[string]func(v *yaml.Node)) {
	d.shared(n, what, fields, false)
}

func (d *Decoder) shared(n *yaml.Node, what string, fields map[string]func(v *yaml.Node), typos bool) {
	defer d.flush(n)
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping of keys to values, not %s", what, kind(n))
		return
	}
	present := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode {
			present[k.Value] = true
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d.Refused(k) {
			d.claim(k)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			continue
		}
		fn, ok := fields[k.Value]
		if !ok {
			if !typos {
				continue
			}
			if near := nearMiss(k.Value, fields, present); near != "" {
				d.Errorf(k, "unknown key %q in %s (did you mean %q?)", k.Value, what, near)
			}
			continue
		}
		if seen[k.Value] {
			d.Errorf(k, "key %q appears twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		fn(v)
	}
}

// nearMiss returns the known key within two edits of key that the mapping
// does not have, or "" when there is none.
func nearMiss(key string, fields map[string]func(*yaml.Node), present map[string]bool) string {
	if len(key) > 64 { // no known key is this long; spare the edit distance
		return ""
	}
	best, bestDist := "", 3
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		if present[f] {
			continue
		}
		if dist := EditDistance(key, f); dist < bestDist {
			best, bestDist = f, dist
		}
	}
	return best
}
