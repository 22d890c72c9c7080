// Package exception reads OWNERS_EXCEPTIONS.yaml files and decides which
// findings their entries waive, where, and until when.
package exception

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// FileName is the name of an exceptions file; it sits next to a unit's
// OWNERS.yaml and waives findings only inside that unit.
const FileName = "OWNERS_EXCEPTIONS.yaml"

// MaxSize bounds an exceptions file. Even a hundred entries fit in a tenth
// of it; anything larger is a mistake or an attack.
const MaxSize = 256 << 10

// MinReason is the shortest reason accepted, in characters: enough to rule
// out "TODO", "n/a" and "temp", which explain nothing to the approver.
const MinReason = 10

// maxID bounds an id so that it stays readable in reports and issue titles.
const maxID = 64

// idFormat is the shape of an id: upper-case letters and digits in at least
// two dash-separated parts, the first starting with a letter, such as
// EXC-2026-014 or PAY-7. A fixed shape keeps ids greppable and unambiguous
// in reports, commit messages and URLs.
var idFormat = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

// A File is one OWNERS_EXCEPTIONS.yaml as written.
type File struct {
	Path    string // repository-relative path of the file
	Dir     string // its directory, the unit it belongs to: "" for the root
	Version int    // 0 when missing or unsupported
	// Entries are every exception written as a mapping, in file order,
	// including invalid ones so that their ids stay claimed; only entries
	// with Valid set ever waive anything.
	Entries []*Entry
}

// An Entry is one exception: a rule waived for some paths of a unit until a
// date, and why.
type Entry struct {
	ID     string
	Rule   string
	Paths  []string // CODEOWNERS patterns as written, relative to Dir
	Reason string
	// Expires is the last day the entry applies, as midnight UTC.
	Expires time.Time
	Ticket  string // an http(s) address; "" when not given

	File         string // repository-relative path of the file that holds it
	Dir          string // the unit's directory: "" for the root
	Line, Column int    // where the entry starts
	// Lines are the lines of each key's value ("id", "expires", ...), so a
	// finding about a field can point at it.
	Lines map[string]int

	// Valid is false when the entry, or the file's header, has a problem:
	// such an entry never waives anything (fail closed).
	Valid bool

	patterns []pattern // compiled Paths, set only on valid entries
}

// A Problem is something wrong with an exceptions file, at a position.
type Problem = strictyaml.FileProblem

// Parse reads the exceptions file at filePath (repository-relative).
// knownRule says whether a rule id is in the catalogue; the catalogue lives
// above this package, and a nil knownRule knows no rule (fail closed). Parse
// returns every entry it could read and every problem it found; an entry with
// a problem is kept but not Valid.
func Parse(filePath string, data []byte, knownRule func(id string) bool) (*File, []Problem) {
	f := &File{Path: filePath, Dir: strictyaml.Dir(filePath)}
	var d strictyaml.Decoder
	root := d.Parse(data, MaxSize)
	switch {
	case root == nil && len(d.Problems) == 0:
		d.Errorf(nil, "the file is empty; it needs `version: 1` and a list of `exceptions`, or should be deleted")
	case root != nil:
		f.decode(&d, root, knownRule)
	}
	if f.Version != 1 {
		// A file whose version is missing or unknown may mean something else
		// by every field: nothing in it applies.
		for _, e := range f.Entries {
			e.Valid = false
			e.patterns = nil
		}
	}
	problems := d.In(filePath)
	return f, problems
}

func (f *File) decode(d *strictyaml.Decoder, root *yaml.Node, knownRule func(string) bool) {
	d.Fields(root, FileName, map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) {
			if n, ok := d.Int(v, "version"); ok {
				if n != 1 {
					d.Errorf(v, "version %d is not supported; this ownerbot reads version 1", n)
				} else {
					f.Version = n
				}
			}
		},
		"exceptions": func(v *yaml.Node) {
			d.Each(v, "exceptions", func(item *yaml.Node) {
				if e := f.decodeEntry(d, item, knownRule); e != nil {
					f.Entries = append(f.Entries, e)
				}
			})
		},
	})
	if root.Kind != yaml.MappingNode {
		return
	}
	if !strictyaml.Has(root, "version") {
		d.Errorf(root, "version is required: add `version: 1`")
	}
	if !strictyaml.Has(root, "exceptions") {
		d.Errorf(root, "exceptions is required: list the exceptions, or delete the file")
	}
}

// entryKeys are the keys of an entry, required ones first, in the order
// the missing ones are named.
var entryKeys = []string{"id", "rule", "paths", "reason", "expires"}

func (f *File) decodeEntry(d *strictyaml.Decoder, item *yaml.Node, knownRule func(string) bool) *Entry {
	if item.Kind != yaml.MappingNode {
		d.Errorf(item, "each exception must be a mapping with %s and optionally ticket, not %s",
			strings.Join(entryKeys, ", "), describe(item))
		return nil
	}
	e := &Entry{File: f.Path, Dir: f.Dir, Line: item.Line, Column: item.Column, Lines: map[string]int{}}
	before := len(d.Problems)
	var patterns []pattern
	d.Fields(item, "an exception", map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) {
			e.Lines["id"] = v.Line
			if s, ok := d.NonEmpty(v, "id"); ok {
				e.ID = s
				if len(s) > maxID || !idFormat.MatchString(s) {
					d.Errorf(v, "id %q must be at most %d upper-case letters and digits in dash-separated parts, such as EXC-2026-014", s, maxID)
				}
			}
		},
		"rule": func(v *yaml.Node) {
			e.Lines["rule"] = v.Line
			s, ok := d.NonEmpty(v, "rule")
			switch {
			case !ok:
			case strings.HasPrefix(s, "exception."):
				// Waiving the checks on exceptions would let an exception
				// approve or extend itself.
				d.Errorf(v, "rule %q cannot be waived: findings about exceptions themselves always stand", s)
			case knownRule == nil || !knownRule(s):
				d.Errorf(v, "rule %q is not in the rule catalogue; name a rule id such as runbook.missing", s)
			default:
				e.Rule = s
			}
		},
		"paths": func(v *yaml.Node) {
			e.Lines["paths"] = v.Line
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				d.Errorf(v, "paths must list at least one pattern, such as \"legacy/**\" or \"OWNERS.yaml\"")
				return
			}
			d.Each(v, "paths", func(item *yaml.Node) {
				s, ok := d.NonEmpty(item, "each entry of paths")
				if !ok {
					return
				}
				e.Paths = append(e.Paths, s)
				p, msg := compile(s)
				if msg != "" {
					d.Errorf(item, "%s", msg)
					return
				}
				patterns = append(patterns, p)
			})
		},
		"reason": func(v *yaml.Node) {
			e.Lines["reason"] = v.Line
			if s, ok := d.NonEmpty(v, "reason"); ok {
				e.Reason = s
				if utf8.RuneCountInString(strings.TrimSpace(s)) < MinReason {
					d.Errorf(v, "reason %q is too short: say in at least %d characters why the finding may stand and what replaces it", s, MinReason)
				}
			}
		},
		"expires": func(v *yaml.Node) {
			e.Lines["expires"] = v.Line
			e.Expires, _ = d.Date(v, "expires")
		},
		"ticket": func(v *yaml.Node) {
			e.Lines["ticket"] = v.Line
			if s, ok := d.NonEmpty(v, "ticket"); ok {
				e.Ticket = s
				if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					d.Errorf(v, "ticket must be an http or https address, not %q", s)
				}
			}
		},
	})
	var missing []string
	for _, k := range entryKeys {
		if !strictyaml.Has(item, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		d.Errorf(item, "the exception lacks %s (each needs %s)", strings.Join(missing, ", "), strings.Join(entryKeys, ", "))
	}
	e.Valid = len(d.Problems) == before
	if e.Valid {
		e.patterns = patterns
	}
	return e
}

// describe names what a node is, for messages about the wrong kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}
