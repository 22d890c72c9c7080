// Package strictyaml decodes the YAML files people write for ownerbot
// (OWNERS.yaml, runbook front matter, exceptions, configuration) strictly:
// every problem has a line and column, unknown and duplicate keys are errors,
// dates must be quoted, and anchors and aliases are refused, so no document
// can expand into more than it says.
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
}

// Errorf records a problem at node n (at the document start when n is nil).
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) {
	p := Problem{Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.Problems = append(d.Problems, p)
}

// Parse parses a single YAML document of at most maxSize bytes and returns
// its top-level node, or nil with the problems when it cannot be read. Empty
// documents return nil without a problem.
func (d *Decoder) Parse(data []byte, maxSize int) *yaml.Node {
	if len(data) > maxSize {
		d.Errorf(nil, "the file is %d bytes, more than the %d this file may have", len(data), maxSize)
		return nil
	}
	if !utf8.Valid(data) {
		line := bytes.Count(data[:FirstInvalidUTF8(data)], []byte("\n")) + 1
		d.Problems = append(d.Problems, Problem{Line: line, Column: 1, Message: "the file is not valid UTF-8"})
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		d.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.Errorf(&extra, "only one YAML document is allowed; remove the `---` that starts a second one")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	if !d.plain(doc.Content[0], 0) {
		return nil
	}
	return doc.Content[0]
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

// yamlError turns a yaml.v3 error, which knows only lines, into problems.
func (d *Decoder) yamlError(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		msg = strings.TrimPrefix(msg, "yaml: ")
		if m := yamlLine.FindStringSubmatch("yaml: " + msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			d.Problems = append(d.Problems, Problem{Line: line, Column: 1, Message: "YAML syntax: " + m[2]})
			continue
		}
		d.Problems = append(d.Problems, Problem{Line: 1, Column: 1, Message: "YAML syntax: " + msg})
	}
}

// maxDepth bounds nesting; no ownerbot file needs more than a few levels.
const maxDepth = 20

// plain refuses anchors, aliases, explicit tags and deep nesting anywhere in
// the tree, so decoding can never expand or recurse beyond what is written.
func (d *Decoder) plain(n *yaml.Node, depth int) bool {
	switch {
	case depth > maxDepth:
		d.Errorf(n, "nested more than %d levels deep", maxDepth)
		return false
	case n.Kind == yaml.AliasNode:
		d.Errorf(n, "aliases (*%s) are not allowed; write the value out", n.Value)
		return false
	case n.Anchor != "":
		d.Errorf(n, "anchors (&%s) are not allowed; write the value out", n.Anchor)
		return false
	case n.Style&yaml.TaggedStyle != 0:
		d.Errorf(n, "explicit tags (%s) are not allowed", n.Tag)
		return false
	}
	for _, c := range n.Content {
		if !d.plain(c, depth+1) {
			return false
		}
	}
	return true
}

// Fields reads a mapping: for each key in order it calls the function
// registered for it, and reports keys that are unknown or repeated.
func (d *Decoder) Fields(n *yaml.Node, what string, fields map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping of keys to values, not %s", what, kind(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
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
func (d *Decoder) Strings(n *yaml.Node, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list, not %s", what, kind(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, item := range n.Content {
		s, good := d.NonEmpty(item, "each entry of "+what)
		if good {
			out = append(out, s)
		}
		ok = ok && good
	}
	return out, ok
}

// Each calls fn for each item of a list.
func (d *Decoder) Each(n *yaml.Node, what string, fn func(item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list, not %s", what, kind(n))
		return
	}
	for _, item := range n.Content {
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
		if k.Kind != yaml.ScalarNode {
			continue
		}
		fn, ok := fields[k.Value]
		if !ok {
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
