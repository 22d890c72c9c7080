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

// Parse reads a configuration file. knownRule tells rule ids apart from
// typos. What is wrong is reported and the rest of the file still applies,
// on top of the defaults.
func Parse(data []byte, knownRule func(string) bool) (Config, []Problem) {
	return parseOver(Default(), nil, Path, data, knownRule, nil)
}

// parseOver reads a file whose settings apply over base, one setting at a
// time: a setting the file leaves out keeps base's value. Keys in locked may
// not be set: each is reported and ignored. extra decodes keys only this
// kind of file has.
func parseOver(base Config, locked map[string]bool, what string, data []byte, knownRule func(string) bool, extra map[string]func(*strictyaml.Decoder, *yaml.Node)) (Config, []Problem) {
	c := base.clone()
	var d strictyaml.Decoder
	if root := d.Parse(data, MaxSize); root != nil {
		fields := c.fields(&d, knownRule)
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
	return c
}

// fields are the decoders of the top-level keys of a configuration file.
func (c *Config) fields(d *strictyaml.Decoder, knownRule func(string) bool) map[string]func(*yaml.Node) {
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
			eachRule(d, v, "rules", "a severity (error, warning, info or off)", knownRule, func(id string, val *yaml.Node) {
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
					eachRule(d, v, "exceptions.rules", "{approvers, max_duration}", knownRule, func(id string, val *yaml.Node) {
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
func eachRule(d *strictyaml.Decoder, v *yaml.Node, what, values string, knownRule func(string) bool, fn func(id string, val *yaml.Node)) {
	if v.Kind != yaml.MappingNode {
		d.Errorf(v, "%s must map rule ids to %s", what, values)
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if !knownRule(k.Value) {
			d.Errorf(k, "unknown rule %q", k.Value)
			continue
		}
		fn(k.Value, val)
	}
}

func (p Problem) String() string { return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message) }
