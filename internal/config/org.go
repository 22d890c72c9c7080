package config

import (
	"slices"
	"sort"
	"strings"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// An organization keeps the defaults of all its repositories in OrgPath at
// the root of its OrgRepo repository, the one GitHub also reads community
// health files from.
const (
	OrgRepo = ".github"
	OrgPath = "ownerbot.yaml"
)

// LockAll in an organization file's locked list locks every setting.
const LockAll = "all"

// Org is an organization's configuration: the defaults of its repositories,
// and the settings their own files may not change.
type Org struct {
	// Config is what applies to a repository without a file of its own.
	Config Config
	// Locked are the top-level keys of .github/ownerbot.yaml that the
	// organization decides alone, sorted.
	Locked []string
}

// ParseOrg reads an organization's ownerbot.yaml: the keys of a repository's
// file, plus `locked`, the list of top-level keys repositories may not set
// (or `all`). What is wrong is reported, and the rest still applies.
func ParseOrg(data []byte, knownRule func(string) bool, opts ...Option) (Org, []Problem) {
	var o Org
	rules := newRuleCheck(knownRule, opts)
	keys := map[string]bool{}
	probe := Default()
	for k := range probe.fields(&strictyaml.Decoder{}, rules) {
		keys[k] = true
	}
	extra := map[string]func(*strictyaml.Decoder, *yaml.Node){
		"locked": func(d *strictyaml.Decoder, v *yaml.Node) {
			d.Each(v, "locked", func(item *yaml.Node) {
				k, ok := d.NonEmpty(item, "a setting")
				switch {
				case !ok:
				case k == LockAll:
					for k := range keys {
						if k != "version" {
							o.Locked = append(o.Locked, k)
						}
					}
				case k == "version" || k == "locked" || !keys[k]:
					d.Errorf(item, "%q is not a setting a repository can set: lock one of %s, or %s", k, settingNames(keys), LockAll)
				default:
					o.Locked = append(o.Locked, k)
				}
			})
		},
	}
	cfg, problems := parseOver(Default(), nil, OrgPath, data, rules, extra)
	o.Config = cfg
	sort.Strings(o.Locked)
	o.Locked = slices.Compact(o.Locked)
	return o, problems
}

// Parse reads a repository's .github/ownerbot.yaml over the organization's
// configuration: each setting the file makes replaces the organization's,
// except that `rules` and `exceptions.rules` change only the rules they
// name and `ignore` adds patterns. A locked setting is reported and
// ignored. A nil Org is no organization file: the defaults.
func (o *Org) Parse(data []byte, knownRule func(string) bool, opts ...Option) (Config, []Problem) {
	if o == nil {
		return Parse(data, knownRule, opts...)
	}
	locked := map[string]bool{}
	for _, k := range o.Locked {
		locked[k] = true
	}
	return parseOver(o.Config, locked, Path, data, newRuleCheck(knownRule, opts), nil)
}

// Defaults is the configuration of a repository without a file of its own:
// the organization's, or the built-in defaults for a nil Org.
func (o *Org) Defaults() Config {
	if o == nil {
		return Default()
	}
	return o.Config.clone()
}

func settingNames(keys map[string]bool) string {
	var names []string
	for k := range keys {
		if k != "version" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
