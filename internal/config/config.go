// Package config reads the bot configuration file, .github/ownerbot.yaml:
// how strict ownerbot is, which rules matter how much, and what runbooks and
// exceptions must satisfy.
package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// Path is where a repository keeps its configuration.
const Path = ".github/ownerbot.yaml"

// MaxSize bounds the file.
const MaxSize = 256 << 10

// Modes say what a failing check does on a pull request.
const (
	Observe = "observe" // report only; the check run is neutral
	Warn    = "warn"    // the check run passes with warnings (the default)
	Enforce = "enforce" // problems the pull request introduces fail the check run
)

// Off is the severity that turns a rule off.
const Off = "off"

// CODEOWNERS modes.
const (
	Manual    = "manual"    // people edit CODEOWNERS
	Generated = "generated" // `ownerbot codeowners generate` writes it from OWNERS.yaml
)

// Config is the configuration of one repository, defaults filled in.
type Config struct {
	Mode        string
	EnforceFrom time.Time // zero: enforce from the start when Mode is Enforce
	// Severities overrides the catalogue's default severity by rule id;
	// "off" turns a rule off.
	Severities map[string]string
	Runbooks   Runbooks
	Exceptions Exceptions
	CODEOWNERS string // Manual or Generated
	// Ignore are CODEOWNERS-syntax patterns of paths ownerbot does not judge
	// at all: test fixtures, vendored code, generated trees.
	Ignore []string
	Issues Issues
	// Reviews sets when a pull request has waited too long on its owners.
	Reviews Reviews
	// Units says where units come from and whether the repository must have
	// them.
	Units Units
	// Configured: a file set this configuration — the repository's or its
	// organization's. Without one ownerbot only warns: no finding is more
	// than a warning, so adopting it never turns a build red on day one.
	Configured bool
}

// Units says which ownership files make units, and how their owners become
// GitHub owners.
type Units struct {
	// Sources are the kinds of ownership file read, in precedence order:
	// where one directory has several, the first that sets a field wins.
	// Default: all of them, OWNERS.yaml first.
	Sources []string
	// Required: the repository must have units (owners.missing_root)
	// even when it has no ownership file yet. Default false: the unit
	// rules apply once an ownership file exists.
	Required  bool
	Backstage BackstageUnits
	Prow      ProwUnits
}

// Unit sources.
const (
	SourceOwnersYAML = "owners.yaml"
	SourceBackstage  = "backstage"
	SourceProw       = "prow"
)

// BackstageUnits maps Backstage descriptors to units.
type BackstageUnits struct {
	// Files are CODEOWNERS-syntax patterns of further descriptor files, on
	// top of catalog-info.yaml, catalog-info.yml and catalog-info-*.yaml.
	Files []string
	// GroupOwner and UserOwner turn a spec.owner that the repository's
	// catalog does not annotate into a GitHub owner: templates with {org},
	// {namespace} and {name}, such as "@{org}/{name}".
	GroupOwner, UserOwner string
	// Lifecycles maps lifecycle values other than experimental, production
	// and deprecated to one of them, such as {active: production}.
	Lifecycles map[string]string
}

// ProwUnits maps prow OWNERS files to units.
type ProwUnits struct {
	// AliasOwner makes the team a template names, such as
	// "@kubernetes/{alias}", the accountable owner of a unit whose first
	// approver is an OWNERS_ALIASES alias; empty: the alias's first member.
	AliasOwner string
}

// Issues says how the sweep keeps its living issues.
type Issues struct {
	// Enabled turns the living issues on; default true.
	Enabled bool
	// Labels go on every issue the bot opens; the first one is how the bot
	// finds its issues again. Default ["ownerbot"].
	Labels []string
	// Reminders are the waits between an issue's reminders: the first
	// after Reminders[0], the next Reminders[1] later, and the last wait
	// repeats. Default 7d, 14d, 28d.
	Reminders []strictyaml.Duration
	// QuietDays are weekdays on which no reminder or escalation is sent;
	// default Saturday and Sunday.
	QuietDays []time.Weekday
	// GroupBy is Unit (one issue per unit, the default) or Team (one digest
	// per owning team).
	GroupBy string
	// MinSeverity is the least severe finding that goes in an issue; default
	// "warning". Expiring exceptions are always listed.
	MinSeverity string
}

// Issue grouping.
const (
	Unit = "unit"
	Team = "team"
)

// Reviews is the service level of owners' reviews on pull requests.
type Reviews struct {
	// SLA is how many working days (Monday to Friday) a pull request may
	// wait on a review its owners were asked for; default 3.
	SLA strictyaml.Duration
}

// Runbooks says which units must have a runbook.
type Runbooks struct {
	// RequiredTiers are the tiers whose production units need at least one
	// runbook; default 1 and 2.
	RequiredTiers []int
}

// Exceptions limits what an exception may waive.
type Exceptions struct {
	MaxDuration strictyaml.Duration // default 90 days
	// Rules overrides approvers and maximum duration per rule id.
	Rules map[string]ExceptionRule
}

// ExceptionRule is the policy for exceptions to one rule.
type ExceptionRule struct {
	Approvers   []string // empty: the unit's effective approvers
	MaxDuration strictyaml.Duration
}

// Default is the configuration of a repository that has none: it only warns.
func Default() Config {
	return Config{
		Mode:       Warn,
		Severities: map[string]string{},
		Runbooks:   Runbooks{RequiredTiers: []int{1, 2}},
		Exceptions: Exceptions{MaxDuration: strictyaml.Duration{Days: 90}, Rules: map[string]ExceptionRule{}},
		CODEOWNERS: Manual,
		Issues: Issues{
			Enabled:     true,
			Labels:      []string{"ownerbot"},
			Reminders:   []strictyaml.Duration{{Days: 7}, {Days: 14}, {Days: 28}},
			QuietDays:   []time.Weekday{time.Saturday, time.Sunday},
			GroupBy:     Unit,
			MinSeverity: "warning",
		},
		Reviews: Reviews{SLA: strictyaml.Duration{Days: 3}},
		Units:   Units{Sources: []string{SourceOwnersYAML, SourceBackstage, SourceProw}},
	}
}

// MaxDuration is the longest an exception to rule may last.
func (c Config) MaxDuration(rule string) strictyaml.Duration {
	if r, ok := c.Exceptions.Rules[rule]; ok && r.MaxDuration.Days > 0 {
		return r.MaxDuration
	}
	return c.Exceptions.MaxDuration
}

// Enforcing reports whether problems fail the check at a given day.
func (c Config) Enforcing(now time.Time) bool {
	return c.Mode == Enforce && (c.EnforceFrom.IsZero() || !now.Before(c.EnforceFrom))
}

// A Problem is something wrong with the configuration file.
type Problem struct {
	Line, Column int
	Message      string
}

// An Option changes how Parse, ParseOrg and Org.Parse read a file.
type Option func(*ruleCheck)

// SuggestRules gives the ids of the rule catalogue, which lives above this
// package, so that an unknown rule id is answered with the known one it was
// most likely meant as ("did you mean"). An id in ids is known even when
// knownRule is nil.
func SuggestRules(ids []string) Option {
	return func(r *ruleCheck) { r.ids = ids }
}

// ruleCheck tells rule ids apart from typos, and names the id a typo was
// meant as.
type ruleCheck struct {
	known func(string) bool
	ids   []string
	// suggested counts the suggestions looked for, up to maxSuggestions.
	suggested int
}

func newRuleCheck(knownRule func(string) bool, opts []Option) *ruleCheck {
	r := &ruleCheck{known: knownRule}
	for _, o := range opts {
		o(r)
	}
	return r
}

func (r *ruleCheck) isKnown(id string) bool {
	if r.known != nil {
		return r.known(id)
	}
	return slices.Contains(r.ids, id) // no catalogue at all: fail closed
}

// maxSuggestLen bounds the ids suggestions are looked for: no rule id is
// this long, and the edit distance costs the product of the lengths.
const maxSuggestLen = 64

// maxSuggestions bounds the suggestions looked for in one file: nobody reads
// more, and a crafted file of thousands of unknown ids would otherwise cost
// a second of edit distances.
const maxSuggestions = 50

// suggest returns the known id that id was most likely meant as, or "": one
// written in another case or with "-" for "_"; else the nearest within two
// edits (the first in the catalogue's order on a tie); else the only one
// with the same name after its family ("unowned" or "owners.unowned" for
// "codeowners.unowned").
func (r *ruleCheck) suggest(id string) string {
	if len(id) > maxSuggestLen || r.suggested >= maxSuggestions {
		return ""
	}
	r.suggested++
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	for _, k := range r.ids {
		if norm(k) == norm(id) && r.isKnown(k) {
			return k
		}
	}
	best, bestDist := "", 3 // further than two edits is not a typo
	for _, k := range r.ids {
		if abs(len(k)-len(id)) >= bestDist {
			continue // the distance is at least the difference in length
		}
		if d := strictyaml.EditDistance(norm(id), k); d < bestDist && r.isKnown(k) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	name := norm(id)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	var same []string
	for _, k := range r.ids {
		if _, kname, _ := strings.Cut(k, "."); kname == name && r.isKnown(k) {
			same = append(same, k)
		}
	}
	if len(same) == 1 {
		return same[0]
	}
	return ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Parse reads a configuration file. knownRule tells rule ids apart from
// typos; with SuggestRules, a typo is answered with the id it was meant as.
// What is wrong is reported and the rest of the file still applies, on top
// of the defaults.
func Parse(data []byte, knownRule func(string) bool, opts ...Option) (Config, []Problem) {
	return parseOver(Default(), nil, Path, data, newRuleCheck(knownRule, opts), nil)
}

// parseOver reads a file whose settings apply over base, one setting at a
// time: a setting the file leaves out keeps base's value. Keys in locked may
// not be set: each is reported and ignored. extra decodes keys only this
// kind of file has.
func parseOver(base Config, locked map[string]bool, what string, data []byte, rules *ruleCheck, extra map[string]func(*strictyaml.Decoder, *yaml.Node)) (Config, []Problem) {
	c := base.clone()
	c.Configured = true
	var d strictyaml.Decoder
	if root := d.Parse(data, MaxSize); root != nil {
		fields := c.fields(&d, rules)
		for key, fn := range extra {
			fields[key] = func(v *yaml.Node) { fn(&d, v) }
		}
		for key := range locked {
			if _, ok := fields[key]; ok && key != "version" {
				fields[key] = func(v *yaml.Node) {
					d.Errorf(v, "%s is locked by the organization's %s/%s: this repository cannot change it, so its value here is ignored", key, OrgRepo, OrgPath)
				}
			}
		}
		d.Fields(root, what, fields)
	}
	problems := make([]Problem, len(d.Problems))
	for i, p := range d.Problems {
		problems[i] = Problem{p.Line, p.Column, p.Message}
	}
	return c, problems
}

// clone copies c so that changing the copy's maps and slices leaves c alone.
func (c Config) clone() Config {
	c.Severities = maps.Clone(c.Severities)
	if c.Severities == nil {
		c.Severities = map[string]string{}
	}
	c.Exceptions.Rules = maps.Clone(c.Exceptions.Rules)
	if c.Exceptions.Rules == nil {
		c.Exceptions.Rules = map[string]ExceptionRule{}
	}
	c.Runbooks.RequiredTiers = slices.Clone(c.Runbooks.RequiredTiers)
	c.Ignore = slices.Clone(c.Ignore)
	c.Issues.Labels = slices.Clone(c.Issues.Labels)
	c.Issues.Reminders = slices.Clone(c.Issues.Reminders)
	c.Issues.QuietDays = slices.Clone(c.Issues.QuietDays)
	c.Units.Sources = slices.Clone(c.Units.Sources)
	c.Units.Backstage.Files = slices.Clone(c.Units.Backstage.Files)
	c.Units.Backstage.Lifecycles = maps.Clone(c.Units.Backstage.Lifecycles)
	return c
}

// fields are the decoders of the top-level keys of a configuration file.
func (c *Config) fields(d *strictyaml.Decoder, rules *ruleCheck) map[string]func(*yaml.Node) {
	return map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) {
			if n, ok := d.Int(v, "version"); ok && n != 1 {
				d.Errorf(v, "version %d is not supported; this ownerbot reads version 1", n)
			}
		},
		"mode": func(v *yaml.Node) {
			if m, ok := d.OneOf(v, "mode", Observe, Warn, Enforce); ok {
				c.Mode = m
			}
		},
		"enforce_from": func(v *yaml.Node) { c.EnforceFrom, _ = d.Date(v, "enforce_from") },
		"rules": func(v *yaml.Node) {
			eachRule(d, v, "rules", "a severity (error, warning, info or off)", rules, func(id string, val *yaml.Node) {
				if sev, ok := d.OneOf(val, "the severity of "+id, "error", "warning", "info", Off); ok {
					c.Severities[id] = sev
				}
			})
		},
		"runbooks": func(v *yaml.Node) {
			d.Fields(v, "runbooks", map[string]func(*yaml.Node){
				"required_tiers": func(v *yaml.Node) {
					var tiers []int
					d.Each(v, "runbooks.required_tiers", func(item *yaml.Node) {
						if n, ok := d.Int(item, "a tier"); ok {
							if n < 1 || n > 3 {
								d.Errorf(item, "tiers are 1, 2 or 3, not %d", n)
								return
							}
							tiers = append(tiers, n)
						}
					})
					c.Runbooks.RequiredTiers = tiers
				},
			})
		},
		"exceptions": func(v *yaml.Node) {
			d.Fields(v, "exceptions", map[string]func(*yaml.Node){
				"max_duration": func(v *yaml.Node) {
					if dur, ok := d.Duration(v, "exceptions.max_duration"); ok {
						c.Exceptions.MaxDuration = dur
					}
				},
				"rules": func(v *yaml.Node) {
					eachRule(d, v, "exceptions.rules", "{approvers, max_duration}", rules, func(id string, val *yaml.Node) {
						var r ExceptionRule
						d.Fields(val, "exceptions.rules."+id, map[string]func(*yaml.Node){
							"approvers": func(v *yaml.Node) {
								d.Each(v, "approvers", func(item *yaml.Node) {
									name, ok := d.NonEmpty(item, "an approver")
									if !ok {
										return
									}
									switch o, err := codeowners.ParseOwner(name); {
									case err != nil:
										d.Errorf(item, "approver %q is not a GitHub @user or @org/team", name)
									case o.Kind == codeowners.Email:
										d.Errorf(item, "approver %q is an e-mail address; name a GitHub @user or @org/team", name)
									default:
										r.Approvers = append(r.Approvers, name)
									}
								})
							},
							"max_duration": func(v *yaml.Node) { r.MaxDuration, _ = d.Duration(v, "max_duration") },
						})
						c.Exceptions.Rules[id] = r
					})
				},
			})
		},
		"ignore": func(v *yaml.Node) {
			d.Each(v, "ignore", func(item *yaml.Node) {
				p, ok := d.NonEmpty(item, "an ignore pattern")
				if !ok {
					return
				}
				if rs := codeowners.Parse([]byte(p + " @x")); len(rs.Problems) > 0 || len(rs.Rules) != 1 {
					msg := "not a CODEOWNERS pattern"
					if len(rs.Problems) > 0 {
						msg = rs.Problems[0].Message
					}
					d.Errorf(item, "ignore pattern %q: %s", p, msg)
					return
				}
				c.Ignore = append(c.Ignore, p)
			})
		},
		"issues": func(v *yaml.Node) { c.Issues.decode(d, v) },
		"reviews": func(v *yaml.Node) {
			d.Fields(v, "reviews", map[string]func(*yaml.Node){
				"sla": func(v *yaml.Node) {
					if dur, ok := d.Duration(v, "reviews.sla"); ok {
						c.Reviews.SLA = dur
					}
				},
			})
		},
		"units": func(v *yaml.Node) { c.Units.decode(d, v) },
		"codeowners": func(v *yaml.Node) {
			d.Fields(v, "codeowners", map[string]func(*yaml.Node){
				"mode": func(v *yaml.Node) {
					if m, ok := d.OneOf(v, "codeowners.mode", Manual, Generated); ok {
						c.CODEOWNERS = m
					}
				},
			})
		},
	}
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (is *Issues) decode(d *strictyaml.Decoder, v *yaml.Node) {
	d.Fields(v, "issues", map[string]func(*yaml.Node){
		"enabled": func(v *yaml.Node) {
			if b, ok := d.Bool(v, "issues.enabled"); ok {
				is.Enabled = b
			}
		},
		"labels": func(v *yaml.Node) {
			var labels []string
			d.Each(v, "issues.labels", func(item *yaml.Node) {
				l, ok := d.NonEmpty(item, "a label")
				switch {
				case !ok:
				case utf8.RuneCountInString(l) > 50:
					d.Errorf(item, "label %q is longer than GitHub's 50 characters", l)
				case strings.Contains(l, ","):
					d.Errorf(item, "label %q has a comma, which GitHub's label filter cannot search for", l)
				default:
					labels = append(labels, l)
				}
			})
			if len(labels) > 0 {
				is.Labels = labels
			}
		},
		"reminders": func(v *yaml.Node) {
			var waits []strictyaml.Duration
			d.Each(v, "issues.reminders", func(item *yaml.Node) {
				if dur, ok := d.Duration(item, "a reminder wait"); ok {
					waits = append(waits, dur)
				}
			})
			if len(waits) > 0 {
				is.Reminders = waits
			}
		},
		"quiet_days": func(v *yaml.Node) {
			var days []time.Weekday
			d.Each(v, "issues.quiet_days", func(item *yaml.Node) {
				name, ok := d.NonEmpty(item, "a weekday")
				if !ok {
					return
				}
				wd, ok := weekdays[strings.ToLower(name)]
				if !ok {
					d.Errorf(item, "%q is not a weekday (monday … sunday)", name)
					return
				}
				days = append(days, wd)
			})
			distinct := map[time.Weekday]bool{}
			for _, wd := range days {
				distinct[wd] = true
			}
			if len(distinct) == 7 {
				d.Errorf(v, "issues.quiet_days names every day of the week: no reminder would ever be sent")
				return
			}
			is.QuietDays = days
		},
		"group_by": func(v *yaml.Node) {
			if g, ok := d.OneOf(v, "issues.group_by", Unit, Team); ok {
				is.GroupBy = g
			}
		},
		"min_severity": func(v *yaml.Node) {
			if sev, ok := d.OneOf(v, "issues.min_severity", "error", "warning", "info"); ok {
				is.MinSeverity = sev
			}
		},
	})
}

// Quiet reports whether no reminder is sent on the day of t.
func (is Issues) Quiet(t time.Time) bool {
	for _, wd := range is.QuietDays {
		if t.Weekday() == wd {
			return true
		}
	}
	return false
}

// eachRule calls fn for each entry of a mapping keyed by rule id, and
// reports keys that are not rule ids.
func eachRule(d *strictyaml.Decoder, v *yaml.Node, what, values string, rules *ruleCheck, fn func(id string, val *yaml.Node)) {
	if v.Kind != yaml.MappingNode {
		d.Errorf(v, "%s must map rule ids to %s", what, values)
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if !rules.isKnown(k.Value) {
			if near := rules.suggest(k.Value); near != "" {
				d.Errorf(k, "unknown rule %q (did you mean %q?)", k.Value, near)
			} else {
				d.Errorf(k, "unknown rule %q", k.Value)
			}
			continue
		}
		fn(k.Value, val)
	}
}

func (p Problem) String() string { return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message) }

func (u *Units) decode(d *strictyaml.Decoder, v *yaml.Node) {
	d.Fields(v, "units", map[string]func(*yaml.Node){
		"sources": func(v *yaml.Node) {
			var sources []string
			d.Each(v, "units.sources", func(item *yaml.Node) {
				s, ok := d.OneOf(item, "a unit source", SourceOwnersYAML, SourceBackstage, SourceProw)
				switch {
				case !ok:
				case slices.Contains(sources, s):
					d.Errorf(item, "%s is listed twice in units.sources", s)
				default:
					sources = append(sources, s)
				}
			})
			u.Sources = sources
		},
		"required": func(v *yaml.Node) { u.Required, _ = d.Bool(v, "units.required") },
		"backstage": func(v *yaml.Node) {
			b := &u.Backstage
			d.Fields(v, "units.backstage", map[string]func(*yaml.Node){
				"files": func(v *yaml.Node) {
					b.Files = nil
					d.Each(v, "units.backstage.files", func(item *yaml.Node) {
						if p, ok := d.NonEmpty(item, "a descriptor pattern"); ok && checkPattern(d, item, "descriptor pattern", p) {
							b.Files = append(b.Files, p)
						}
					})
				},
				"group_owner": func(v *yaml.Node) {
					b.GroupOwner, _ = ownerTemplate(d, v, "units.backstage.group_owner", "{org}", "{namespace}", "{name}")
				},
				"user_owner": func(v *yaml.Node) {
					b.UserOwner, _ = ownerTemplate(d, v, "units.backstage.user_owner", "{org}", "{namespace}", "{name}")
				},
				"lifecycles": func(v *yaml.Node) {
					b.Lifecycles = map[string]string{}
					if v.Kind != yaml.MappingNode {
						d.Errorf(v, "units.backstage.lifecycles must be a mapping of Backstage lifecycles to experimental, production or deprecated")
						return
					}
					for i := 0; i+1 < len(v.Content); i += 2 {
						k, val := v.Content[i], v.Content[i+1]
						from, ok := d.NonEmpty(k, "a Backstage lifecycle")
						to, ok2 := d.OneOf(val, "units.backstage.lifecycles."+from, "experimental", "production", "deprecated")
						if ok && ok2 {
							b.Lifecycles[from] = to
						}
					}
				},
			})
		},
		"prow": func(v *yaml.Node) {
			d.Fields(v, "units.prow", map[string]func(*yaml.Node){
				"alias_owner": func(v *yaml.Node) { u.Prow.AliasOwner, _ = ownerTemplate(d, v, "units.prow.alias_owner", "{alias}") },
			})
		},
	})
}

// ownerTemplate reads a template that becomes a GitHub owner once its
// placeholders are filled: it starts with @ and uses only the placeholders
// allowed.
func ownerTemplate(d *strictyaml.Decoder, v *yaml.Node, what string, placeholders ...string) (string, bool) {
	s, ok := d.NonEmpty(v, what)
	if !ok {
		return "", false
	}
	rest := s
	for _, p := range placeholders {
		rest = strings.ReplaceAll(rest, p, "x")
	}
	if !strings.HasPrefix(s, "@") || strings.ContainsAny(rest, "{} \t") {
		d.Errorf(v, "%s %q must be a GitHub owner such as \"@org/team\", with no placeholder but %s", what, s, strings.Join(placeholders, ", "))
		return "", false
	}
	return s, true
}

// checkPattern accepts a CODEOWNERS-syntax pattern, the syntax of every
// path pattern in ownerbot's files.
func checkPattern(d *strictyaml.Decoder, n *yaml.Node, what, p string) bool {
	if rs := codeowners.Parse([]byte(p + " @x")); len(rs.Problems) > 0 || len(rs.Rules) != 1 {
		msg := "not a CODEOWNERS pattern"
		if len(rs.Problems) > 0 {
			msg = rs.Problems[0].Message
		}
		d.Errorf(n, "%s %q: %s", what, p, msg)
		return false
	}
	return true
}
