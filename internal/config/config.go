// Package config reads the bot configuration file, .github/ownerbot.yaml:
// how strict ownerbot is, which rules matter how much, and what runbooks and
// exceptions must satisfy.
package config

import (
	"fmt"
	"time"

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
	c := Default()
	var d strictyaml.Decoder
	if root := d.Parse(data, MaxSize); root != nil {
		c.decode(&d, root, knownRule)
	}
	problems := make([]Problem, len(d.Problems))
	for i, p := range d.Problems {
		problems[i] = Problem{p.Line, p.Column, p.Message}
	}
	return c, problems
}

func (c *Config) decode(d *strictyaml.Decoder, root *yaml.Node, knownRule func(string) bool) {
	d.Fields(root, Path, map[string]func(*yaml.Node){
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
							"approvers":    func(v *yaml.Node) { r.Approvers, _ = d.Strings(v, "approvers") },
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
		"codeowners": func(v *yaml.Node) {
			d.Fields(v, "codeowners", map[string]func(*yaml.Node){
				"mode": func(v *yaml.Node) {
					if m, ok := d.OneOf(v, "codeowners.mode", Manual, Generated); ok {
						c.CODEOWNERS = m
					}
				},
			})
		},
	})
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
