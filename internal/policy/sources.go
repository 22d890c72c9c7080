package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ownerbot/ownerbot/internal/backstage"
	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/prow"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// readUnitFiles reads every ownership file the configuration names
// (units.sources: OWNERS.yaml, Backstage descriptors, prow OWNERS) into the
// one unit model, files of one directory in the configuration's order of
// precedence so owners.Build merges them field by field. Every problem in
// any of them is an owners.schema finding at its file, line and column.
func readUnitFiles(tree Tree, org string, res *Result) ([]*owners.File, ownerProblems, error) {
	var files []*owners.File
	deferred := ownerProblems{}
	for _, source := range res.Config.Units.Sources {
		var got []*owners.File
		var err error
		switch source {
		case config.SourceOwnersYAML:
			got, err = readOwnersYAML(tree, res)
		case config.SourceBackstage:
			got, err = readBackstage(tree, org, res, deferred)
		case config.SourceProw:
			got, err = readProw(tree, res)
		}
		if err != nil {
			return nil, nil, err
		}
		files = append(files, got...)
	}
	return files, deferred, nil
}

// ownerProblems are problems with the owner a descriptor names, by the
// descriptor's path: they matter only where the unit takes its owner from
// that descriptor, not where an OWNERS.yaml beside it names the owner.
type ownerProblems map[string][]strictyaml.FileProblem

// report adds the problems of the owners the units use.
func (p ownerProblems) report(units *owners.Tree, res *Result) {
	for _, u := range units.Units() {
		sources := u.File.Sources
		if sources == nil {
			sources = []*owners.File{u.File}
		}
		from, _ := u.File.Where("owner")
		for _, f := range sources {
			if problems := p[f.Path]; len(problems) > 0 && (u.File.Owner == "" || from == f.Path) {
				res.schemaProblems(problems)
			}
		}
	}
}

func (res *Result) schemaProblems(problems []strictyaml.FileProblem) {
	for _, p := range problems {
		res.Findings = append(res.Findings, finding(OwnersSchema, p.Path, p.Line, p.Column, p.Message, ""))
	}
}

// readSource reads a file of an ownership source: nil without an error
// for one that turns out to be absent (a link ownerbot does not follow).
func readSource(tree Tree, p string, limit int) ([]byte, error) {
	data, err := readBounded(tree, p, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}

func readOwnersYAML(tree Tree, res *Result) ([]*owners.File, error) {
	var files []*owners.File
	for _, p := range tree.Paths() {
		if path.Base(p) != owners.FileName {
			continue
		}
		data, err := readSource(tree, p, owners.MaxSize)
		if data == nil || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		f, problems := owners.Parse(p, data)
		res.schemaProblems(problems)
		files = append(files, f)
	}
	return files, nil
}

// readBackstage reads the descriptors: each one with an owning entity (a
// Component, Resource, API, System or Domain with spec.owner) makes its
// directory a unit, owned by the GitHub owner its spec.owner maps to.
func readBackstage(tree Tree, org string, res *Result, deferred ownerProblems) ([]*owners.File, error) {
	cfg := res.Config.Units.Backstage
	var extra *codeowners.Ruleset
	if len(cfg.Files) > 0 {
		extra = patternSet(cfg.Files)
	}
	var parsed []*backstage.File
	for _, p := range tree.Paths() {
		if !backstage.IsDescriptor(p) && (extra == nil || extra.Match(p) == nil) {
			continue
		}
		data, err := readSource(tree, p, backstage.MaxSize)
		if data == nil || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		f, problems := backstage.Parse(p, data)
		// A problem with the owning entity's owner waits for the units:
		// an OWNERS.yaml beside the descriptor may name the owner instead.
		var ownerAt backstage.Pos
		if e := f.Owning(); e != nil {
			ownerAt = e.Where("spec.owner")
		}
		for _, pr := range problems {
			if pr.Line == ownerAt.Line && pr.Column == ownerAt.Column {
				deferred[p] = append(deferred[p], pr)
			} else {
				res.schemaProblems([]strictyaml.FileProblem{pr})
			}
		}
		parsed = append(parsed, f)
	}
	if len(parsed) == 0 {
		return nil, nil
	}
	catalog := backstage.NewCatalog(parsed...)
	mapping := backstage.Mapping{GroupTemplate: cfg.GroupOwner, UserTemplate: cfg.UserOwner, Org: org}
	var files []*owners.File
	for _, bf := range parsed {
		e := bf.Owning()
		if e == nil {
			continue
		}
		f := &owners.File{Path: bf.Path, Dir: bf.Dir, Source: owners.SourceBackstage, Version: 1, Lines: map[string]int{}}
		f.Lines["owner"] = e.Where("spec.owner").Line
		// (An owner that is no entity reference has its problem waiting
		// above already.)
		if e.OwnerRef != (backstage.Ref{}) {
			owner, err := catalog.GitHubOwner(e, mapping)
			var problem strictyaml.FileProblem
			switch {
			case errors.As(err, &problem):
				deferred[bf.Path] = append(deferred[bf.Path], problem)
			case err != nil:
				return nil, err
			default:
				at := e.Where("spec.owner")
				f.Owner = owner.Handle
				f.Handles = append(f.Handles, owners.Handle{Name: owner.Handle, Field: "owner", Path: bf.Path, Line: at.Line, Column: at.Column})
			}
		}
		if e.Lifecycle != "" {
			at := e.Where("spec.lifecycle")
			f.Lines["lifecycle"] = at.Line
			if lc, ok := lifecycle(e.Lifecycle, cfg.Lifecycles); ok {
				f.Lifecycle = lc
			} else {
				res.schemaProblems([]strictyaml.FileProblem{{Path: bf.Path, Line: at.Line, Column: at.Column,
					Message: fmt.Sprintf("spec.lifecycle %q is not one ownerbot knows (experimental, production, deprecated): map it under units.backstage.lifecycles in %s", e.Lifecycle, config.Path)}})
			}
		}
		files = append(files, f)
	}
	return files, nil
}

// lifecycle maps a Backstage lifecycle to ownerbot's: its own three names,
// the configured mapping, then nothing.
func lifecycle(s string, mapped map[string]string) (string, bool) {
	if lc, ok := mapped[s]; ok {
		return lc, true
	}
	switch l := strings.ToLower(s); l {
	case owners.Experimental, owners.Production, owners.Deprecated:
		return l, true
	}
	return "", false
}

// readProw reads OWNERS_ALIASES at the root and every OWNERS file. A file
// that names approvers makes its directory a unit: the approvers (aliases
// expanded) as @logins, the first as the accountable owner unless the
// configuration maps its alias to a team, and no_parent_owners as
// inherit: false. A file naming no approver defers to the directory above,
// as prow does, so it is no unit of its own.
func readProw(tree Tree, res *Result) ([]*owners.File, error) {
	var aliases *prow.Aliases
	data, err := readSource(tree, prow.AliasesFile, prow.MaxSize)
	if err != nil {
		return nil, err
	}
	if data != nil {
		var problems []strictyaml.FileProblem
		aliases, problems = prow.ParseAliases(prow.AliasesFile, data)
		res.schemaProblems(problems)
	}
	res.ProwAliases = aliases
	var files []*owners.File
	for _, p := range tree.Paths() {
		if path.Base(p) != prow.OwnersFile {
			continue
		}
		data, err := readSource(tree, p, prow.MaxSize)
		if data == nil || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		o, problems := prow.ParseOwners(p, data)
		res.schemaProblems(problems)
		if res.Prow == nil {
			res.Prow = map[string]*prow.Owners{}
		}
		res.Prow[p] = o
		res.schemaProblems(aliases.Check(o))
		if f := prowUnit(o, aliases, res.Config.Units.Prow.AliasOwner); f != nil {
			files = append(files, f)
		}
	}
	return files, nil
}

func prowUnit(o *prow.Owners, aliases *prow.Aliases, aliasOwner string) *owners.File {
	written := o.Dirwide().Approvers
	approvers := aliases.Expand(written)
	if len(approvers) == 0 && !o.NoParentOwners {
		return nil
	}
	f := &owners.File{Path: o.Path, Dir: o.Dir, Source: owners.SourceProw, Version: 1, Lines: map[string]int{}}
	if o.NoParentOwners {
		no := false
		f.Inherit = &no
		f.Lines["inherit"] = o.Lines["options"]
	}
	if len(approvers) == 0 {
		return f
	}
	f.Lines["approvers"] = approvers[0].Line
	f.Lines["owner"] = approvers[0].Line
	for _, a := range approvers {
		h := prow.GitHubHandle(a.Value)
		f.Approvers = append(f.Approvers, h)
		f.Handles = append(f.Handles, owners.Handle{Name: h, Field: "approvers", Path: o.Path, Line: a.Line, Column: a.Column})
	}
	// The accountable owner: the first approver as written; an alias is a
	// team when the configuration says which, else its first member.
	// (The first name that names anyone: an alias with no members does not.)
	first := written[0]
	for _, w := range written {
		if len(aliases.Expand([]prow.Name{w})) > 0 {
			first = w
			break
		}
	}
	f.Owner = f.Approvers[0]
	if aliasOwner != "" && aliases.IsAlias(first.Value) {
		if team := strings.ReplaceAll(aliasOwner, "{alias}", prow.Key(first.Value)); validOwner(team) {
			f.Owner = team
			f.Handles = append(f.Handles, owners.Handle{Name: team, Field: "owner", Path: o.Path, Line: first.Line, Column: first.Column})
		}
	}
	return f
}

// validOwner accepts a GitHub @login or @org/team.
func validOwner(s string) bool {
	o, err := codeowners.ParseOwner(s)
	return err == nil && o.Kind != codeowners.Email
}

// patternSet compiles CODEOWNERS-syntax patterns for matching paths.
func patternSet(patterns []string) *codeowners.Ruleset {
	var lines strings.Builder
	for _, p := range patterns {
		lines.WriteString(p + " @x\n")
	}
	return codeowners.Parse([]byte(lines.String()))
}
