package prow

import (
	"fmt"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// An Alias is a name OWNERS files can use for a list of GitHub logins.
type Alias struct {
	Name    Name
	Members []Name // logins, as written in OWNERS_ALIASES
}

// Aliases are the aliases of one repository's OWNERS_ALIASES. A nil *Aliases
// is a repository without the file: every name is a login.
type Aliases struct {
	Path  string
	List  []Alias        // in file order
	index map[string]int // Key of the name → position in List
}

// ParseAliases reads the OWNERS_ALIASES file at path. It returns what it
// could read and every problem found; an alias with a wrong member keeps the
// others.
func ParseAliases(path string, data []byte) (*Aliases, []strictyaml.FileProblem) {
	a := &Aliases{Path: path, index: map[string]int{}}
	var d strictyaml.Decoder
	if root := d.Parse(data, MaxSize); root != nil && !isNull(root) {
		d.SharedFields(root, "OWNERS_ALIASES", map[string]func(*yaml.Node){
			"aliases": func(v *yaml.Node) { a.decode(&d, v) },
		})
	}
	return a, d.In(path)
}

func (a *Aliases) decode(d *strictyaml.Decoder, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.Errorf(v, "aliases must map each alias name to a list of GitHub logins")
		return
	}
	// Names first, so a member naming another alias is caught wherever the
	// two are written.
	type pending struct {
		name  *yaml.Node
		value *yaml.Node
	}
	var defs []pending
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "each alias name must be a plain word")
			continue
		}
		if flaw := nameFlaw(k.Value); flaw != "" {
			d.Errorf(k, "alias name %q %s", k.Value, flaw)
			continue
		}
		if j, dup := a.index[Key(k.Value)]; dup {
			// prow keys aliases by lower case; which of the two it keeps
			// depends on the order it walks a map in.
			d.Errorf(k, "alias %q is defined twice (first on line %d); names compare without regard to case", k.Value, a.List[j].Name.Line)
			continue
		}
		a.index[Key(k.Value)] = len(a.List)
		a.List = append(a.List, Alias{Name: Name{Value: k.Value, Line: k.Line, Column: k.Column}})
		defs = append(defs, pending{k, val})
	}
	for i, def := range defs {
		a.List[i].Members = a.members(d, def.name.Value, def.value)
	}
}

// members reads an alias's logins: a list, or empty. prow also accepts the
// flow mapping {alice, bob}, whose keys are the members.
func (a *Aliases) members(d *strictyaml.Decoder, alias string, v *yaml.Node) []Name {
	var items []*yaml.Node
	switch {
	case isNull(v):
		return nil
	case v.Kind == yaml.SequenceNode:
		items = v.Content
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			items = append(items, v.Content[i])
			if !isNull(v.Content[i+1]) {
				d.Errorf(v.Content[i+1], "alias %q: prow reads only the keys of a mapping as members and ignores this value; write a list", alias)
			}
		}
	default:
		d.Errorf(v, "alias %q must be a list of GitHub logins", alias)
		return nil
	}
	what := fmt.Sprintf("alias %q", alias)
	var out []Name
	first := map[string]int{}
	for _, item := range items {
		s, ok := d.NonEmpty(item, "each member of "+what)
		if !ok {
			continue
		}
		if flaw := nameFlaw(s); flaw != "" {
			d.Errorf(item, "%q in %s %s", s, what, flaw)
			continue
		}
		// An alias listing its own name means that login: prow expands once.
		if j, isAlias := a.index[Key(s)]; isAlias && Key(s) != Key(alias) {
			d.Errorf(item, "%q in %s is an alias (line %d), but aliases do not nest: prow reads it as a login; list the members instead", s, what, a.List[j].Name.Line)
			continue
		}
		if !ValidLogin(s) {
			d.Errorf(item, "%q in %s is not a GitHub login (letters, digits and single hyphens, at most 39)", s, what)
			continue
		}
		if _, dup := first[Key(s)]; dup {
			continue // harmless: a member listed twice counts once
		}
		first[Key(s)] = item.Line
		out = append(out, Name{Value: s, Line: item.Line, Column: item.Column})
	}
	return out
}

// lookup returns the alias called name (compared the way prow compares).
func (a *Aliases) lookup(name string) (Alias, bool) {
	if a == nil {
		return Alias{}, false
	}
	i, ok := a.index[Key(name)]
	if !ok {
		return Alias{}, false
	}
	return a.List[i], true
}

// IsAlias reports whether name is an alias.
func (a *Aliases) IsAlias(name string) bool {
	_, ok := a.lookup(name)
	return ok
}

// Members returns the logins of the alias called name, and whether there is
// such an alias. An alias may have no members.
func (a *Aliases) Members(name string) ([]Name, bool) {
	al, ok := a.lookup(name)
	return al.Members, ok
}

// Expand replaces each alias among names by its members, as prow does (one
// level: aliases do not nest), and drops repeated logins, keeping the first.
// A name that is not an alias is a login. Members keep the position of the
// alias in the OWNERS file, so what is said about them points where they were
// named; their Value is spelled as in OWNERS_ALIASES.
func (a *Aliases) Expand(names []Name) []Name {
	var out []Name
	seen := map[string]bool{}
	add := func(n Name) {
		if k := Key(n.Value); !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		al, ok := a.lookup(n.Value)
		if !ok {
			add(n)
			continue
		}
		for _, m := range al.Members {
			add(Name{Value: m.Value, Line: n.Line, Column: n.Column})
		}
	}
	return out
}

// Check reports the approvers, reviewers and required reviewers of o, at the
// top level and in its filters, that are neither aliases of a nor GitHub
// logins. Emeritus lists are not checked: nobody reads them.
func (a *Aliases) Check(o *Owners) []strictyaml.FileProblem {
	var out []strictyaml.FileProblem
	check := func(list []Name, what string) {
		for _, n := range list {
			if a.IsAlias(n.Value) || ValidLogin(n.Value) {
				continue
			}
			msg := fmt.Sprintf("%q in %s is not a GitHub login (letters, digits and single hyphens, at most 39)", n.Value, what)
			if a == nil {
				msg += " and there is no " + AliasesFile + " to define it as an alias"
			} else {
				msg += " nor an alias in " + a.Path
			}
			out = append(out, strictyaml.FileProblem{Path: o.Path, Line: n.Line, Column: n.Column, Message: msg})
		}
	}
	roles := func(r Roles, where string) {
		check(r.Approvers, where+"approvers")
		check(r.Reviewers, where+"reviewers")
		check(r.RequiredReviewers, where+"required_reviewers")
	}
	roles(o.Roles, "")
	for _, f := range o.Filters {
		roles(f.Roles, fmt.Sprintf("filter %q ", truncate(f.Pattern)))
	}
	return out
}
