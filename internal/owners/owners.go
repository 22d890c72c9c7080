// Package owners reads OWNERS.yaml files and resolves them into units: the
// directories that have an accountable owner, with what each inherits from
// the units above it.
package owners

import (
	"net/url"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// FileName is the name of the file that makes a directory a unit.
const FileName = "OWNERS.yaml"

// The kinds of file a unit can be read from.
const (
	SourceOwnersYAML = "OWNERS.yaml"
	SourceBackstage  = "backstage"
	SourceProw       = "prow"
)

// MaxSize bounds an OWNERS.yaml; real ones are a few hundred bytes.
const MaxSize = 256 << 10

// Lifecycles a unit can be in.
const (
	Experimental = "experimental"
	Production   = "production"
	Deprecated   = "deprecated"
)

// A File is one OWNERS.yaml as written. Fields left out are zero; Units
// resolves inheritance and defaults.
type File struct {
	Path string // repository-relative path of the file
	Dir  string // its directory: "" for the root, else "a/b"
	// Source is the kind of file the unit was read from: SourceOwnersYAML,
	// SourceBackstage or SourceProw.
	Source string
	// Sources are the files of one directory merged into this one, in
	// precedence order (see Merge); nil for a file read on its own.
	Sources []*File

	Version    int
	Owner      string
	Approvers  []string
	Inherit    *bool
	Tier       int // 0 when not set
	Lifecycle  string
	Contact    Contact
	Oncall     Oncall
	Escalation []Escalation
	Runbooks   []string // globs relative to Dir
	Review     Review
	Agreements []Agreement

	// Lines where fields are written, by key ("owner", "review.last_reviewed"),
	// so findings about a field can point at it.
	Lines map[string]int
	// origin is the path of the file that set each field, by key, for a
	// merged file; a key it does not hold was set in Path.
	origin map[string]string
	// Handles are the users and teams the file names as owner, approvers
	// and escalation targets, where it names them, in file order.
	Handles []Handle
}

// A Handle is a user or team named in an OWNERS.yaml, and where.
type Handle struct {
	Name         string // as written: @login or @org/team
	Field        string // "owner", "approvers" or "escalation.to"
	Path         string // the file that names it
	Line, Column int
}

// Contact says how to reach a unit's owners.
type Contact struct {
	Slack string
	Email string
}

// Oncall says who is on call for a unit.
type Oncall struct {
	Provider string
	URL      string
}

// An Escalation step: after a delay, overdue governance work is raised to.
type Escalation struct {
	After strictyaml.Duration
	To    string // "parent" or an owner
}

// Parent is the escalation target meaning the owner of the enclosing unit.
const Parent = "parent"

// Review is the periodic review of the unit's OWNERS.yaml.
type Review struct {
	Interval     strictyaml.Duration // zero when not set
	LastReviewed time.Time           // zero when not set
}

// An Agreement records responsibilities negotiated with another team.
type Agreement struct {
	With  string
	Topic string
	Doc   string // repository-relative or absolute URL; may be empty
}

// A Problem is something wrong with an OWNERS.yaml, at a position.
type Problem = strictyaml.FileProblem

// Parse reads the OWNERS.yaml at path (repository-relative). It returns what
// it could read and every problem found; a file with problems still yields
// the fields that were right.
func Parse(filePath string, data []byte) (*File, []Problem) {
	f := &File{Path: filePath, Dir: strictyaml.Dir(filePath), Source: SourceOwnersYAML, Lines: map[string]int{}}
	var d strictyaml.Decoder
	root := d.Parse(data, MaxSize)
	switch {
	case root == nil && len(d.Problems) == 0:
		d.Errorf(nil, "the file is empty; it needs at least `version: 1`")
	case root != nil:
		f.decode(&d, root)
	}
	problems := d.In(filePath)
	return f, problems
}

func (f *File) mark(key string, n *yaml.Node) { f.Lines[key] = n.Line }

func (f *File) handle(name, field string, n *yaml.Node) {
	f.Handles = append(f.Handles, Handle{Name: name, Field: field, Path: f.Path, Line: n.Line, Column: n.Column})
}

func (f *File) decode(d *strictyaml.Decoder, root *yaml.Node) {
	d.Fields(root, FileName, map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) {
			f.mark("version", v)
			if n, ok := d.Int(v, "version"); ok {
				if n != 1 {
					d.Errorf(v, "version %d is not supported; this ownerbot reads version 1", n)
				} else {
					f.Version = n
				}
			}
		},
		"owner": func(v *yaml.Node) {
			f.mark("owner", v)
			if s, ok := d.NonEmpty(v, "owner"); ok && checkHandle(d, v, "owner", s) {
				f.Owner = s
				f.handle(s, "owner", v)
			}
		},
		"approvers": func(v *yaml.Node) {
			f.mark("approvers", v)
			d.Each(v, "approvers", func(item *yaml.Node) {
				if s, ok := d.NonEmpty(item, "an approver"); ok && checkHandle(d, item, "an approver", s) {
					f.Approvers = append(f.Approvers, s)
					f.handle(s, "approvers", item)
				}
			})
		},
		"inherit": func(v *yaml.Node) {
			f.mark("inherit", v)
			if b, ok := d.Bool(v, "inherit"); ok {
				f.Inherit = &b
			}
		},
		"tier": func(v *yaml.Node) {
			f.mark("tier", v)
			if n, ok := d.Int(v, "tier"); ok {
				if n < 1 || n > 3 {
					d.Errorf(v, "tier must be 1, 2 or 3, not %d", n)
				} else {
					f.Tier = n
				}
			}
		},
		"lifecycle": func(v *yaml.Node) {
			f.mark("lifecycle", v)
			f.Lifecycle, _ = d.OneOf(v, "lifecycle", Experimental, Production, Deprecated)
		},
		"contact": func(v *yaml.Node) {
			f.mark("contact", v)
			d.Fields(v, "contact", map[string]func(*yaml.Node){
				"slack": func(v *yaml.Node) { f.Contact.Slack, _ = d.NonEmpty(v, "contact.slack") },
				"email": func(v *yaml.Node) {
					if s, ok := d.NonEmpty(v, "contact.email"); ok {
						if o, err := codeowners.ParseOwner(s); err != nil || o.Kind != codeowners.Email {
							d.Errorf(v, "contact.email %q is not an e-mail address", s)
						} else {
							f.Contact.Email = s
						}
					}
				},
			})
		},
		"oncall": func(v *yaml.Node) {
			f.mark("oncall", v)
			d.Fields(v, "oncall", map[string]func(*yaml.Node){
				"provider": func(v *yaml.Node) { f.Oncall.Provider, _ = d.NonEmpty(v, "oncall.provider") },
				"url": func(v *yaml.Node) {
					if s, ok := d.NonEmpty(v, "oncall.url"); ok && checkURL(d, v, "oncall.url", s) {
						f.Oncall.URL = s
					}
				},
			})
		},
		"escalation": func(v *yaml.Node) {
			f.mark("escalation", v)
			f.decodeEscalation(d, v)
		},
		"runbooks": func(v *yaml.Node) {
			f.mark("runbooks", v)
			d.Each(v, "runbooks", func(item *yaml.Node) {
				if s, ok := d.NonEmpty(item, "a runbook glob"); ok && checkRelative(d, item, "a runbook glob", s) && checkGlob(d, item, s) {
					f.Runbooks = append(f.Runbooks, s)
				}
			})
		},
		"review": func(v *yaml.Node) {
			f.mark("review", v)
			d.Fields(v, "review", map[string]func(*yaml.Node){
				"interval": func(v *yaml.Node) {
					f.mark("review.interval", v)
					f.Review.Interval, _ = d.Duration(v, "review.interval")
				},
				"last_reviewed": func(v *yaml.Node) {
					f.mark("review.last_reviewed", v)
					f.Review.LastReviewed, _ = d.Date(v, "review.last_reviewed")
				},
			})
		},
		"agreements": func(v *yaml.Node) {
			f.mark("agreements", v)
			d.Each(v, "agreements", func(item *yaml.Node) {
				var a Agreement
				d.Fields(item, "an agreement", map[string]func(*yaml.Node){
					"with": func(v *yaml.Node) {
						if s, ok := d.NonEmpty(v, "agreement.with"); ok && checkHandle(d, v, "agreement.with", s) {
							a.With = s
						}
					},
					"topic": func(v *yaml.Node) { a.Topic, _ = d.NonEmpty(v, "agreement.topic") },
					"doc":   func(v *yaml.Node) { a.Doc, _ = d.NonEmpty(v, "agreement.doc") },
				})
				if item.Kind == yaml.MappingNode && (!strictyaml.Has(item, "with") || !strictyaml.Has(item, "topic")) {
					d.Errorf(item, "an agreement needs `with` (the other team) and `topic`")
				}
				if a.With != "" && a.Topic != "" {
					f.Agreements = append(f.Agreements, a)
				}
			})
		},
	})
	if !strictyaml.Has(root, "version") {
		d.Errorf(root, "version is required: add `version: 1`")
	}
}

func (f *File) decodeEscalation(d *strictyaml.Decoder, v *yaml.Node) {
	last := 0
	d.Each(v, "escalation", func(item *yaml.Node) {
		var step Escalation
		var afterNode *yaml.Node
		d.Fields(item, "an escalation step", map[string]func(*yaml.Node){
			"after": func(v *yaml.Node) { afterNode = v; step.After, _ = d.Duration(v, "escalation.after") },
			"to": func(v *yaml.Node) {
				if s, ok := d.NonEmpty(v, "escalation.to"); ok && (s == Parent || checkHandle(d, v, "escalation.to", s)) {
					step.To = s
					if s != Parent {
						f.handle(s, "escalation.to", v)
					}
				}
			},
		})
		if item.Kind == yaml.MappingNode && (!strictyaml.Has(item, "after") || !strictyaml.Has(item, "to")) {
			d.Errorf(item, "an escalation step needs `after` (such as 14d) and `to` (parent or an owner)")
			return
		}
		if step.After.Days > 0 && step.After.Days <= last {
			d.Errorf(afterNode, "escalation steps must come later and later: %s is not after the previous step", step.After)
		}
		if step.After.Days > 0 && step.To != "" {
			last = step.After.Days
			f.Escalation = append(f.Escalation, step)
		}
	})
}

// checkHandle accepts a GitHub user or team, as owners and approvers must be.
func checkHandle(d *strictyaml.Decoder, n *yaml.Node, what, s string) bool {
	o, err := codeowners.ParseOwner(s)
	switch {
	case err != nil:
		d.Errorf(n, "%s %q is not a GitHub @user or @org/team", what, s)
		return false
	case o.Kind == codeowners.Email:
		d.Errorf(n, "%s %q is an e-mail address; name a GitHub @user or @org/team", what, s)
		return false
	}
	return true
}

func checkURL(d *strictyaml.Decoder, n *yaml.Node, what, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.Errorf(n, "%s must be an http or https address, not %q", what, s)
		return false
	}
	return true
}

// checkRelative accepts a path or glob that stays inside the unit.
func checkRelative(d *strictyaml.Decoder, n *yaml.Node, what, s string) bool {
	if strings.HasPrefix(s, "/") {
		d.Errorf(n, "%s %q must be relative to the directory of this OWNERS.yaml", what, s)
		return false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == ".." {
			d.Errorf(n, "%s %q leaves the unit: `..` is not allowed", what, s)
			return false
		}
	}
	return true
}

// checkGlob accepts a runbook glob that CODEOWNERS pattern syntax can read,
// the syntax every glob in ownerbot's files uses: one GitHub would skip
// (such as a character range) would silently select no runbook.
func checkGlob(d *strictyaml.Decoder, n *yaml.Node, s string) bool {
	rs := codeowners.Parse([]byte("/" + s + " @x"))
	if len(rs.Problems) > 0 || len(rs.Rules) != 1 {
		msg := "not a pattern"
		if len(rs.Problems) > 0 {
			msg = rs.Problems[0].Message
		}
		d.Errorf(n, "a runbook glob %q is not a CODEOWNERS-style pattern: %s", s, msg)
		return false
	}
	return true
}
