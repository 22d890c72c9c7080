package owners

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ownerbot/ownerbot/internal/codeowners"
)

// A Proposal is an OWNERS.yaml that adopting ownerbot would add: where, what
// it says, and why the directory needs one.
type Proposal struct {
	Path    string // repository-relative, ending in OWNERS.yaml
	Content []byte
	Why     string
}

// ProposeInput is what Propose reads of a repository.
type ProposeInput struct {
	Paths []string // every file, sorted
	// CODEOWNERS is the file GitHub uses (nil when there is none) and Name
	// its path, for the comments that say where an owner came from.
	CODEOWNERS *codeowners.Ruleset
	Name       string
	// Units are the units the repository's ownership files already make
	// (OWNERS.yaml, Backstage descriptors, prow OWNERS); nil for none.
	Units *Tree
	Today time.Time
}

// Propose plans the OWNERS.yaml files that make a repository's ownership
// explicit, from what it already has:
//   - a unit read from another source (a Backstage descriptor, a prow
//     OWNERS file) gets an OWNERS.yaml beside it holding only what that
//     source cannot say — the review date and tier — so the owner keeps one
//     home;
//   - the root gets one naming the owner CODEOWNERS gives most of the files
//     no deeper unit holds;
//   - each directory a CODEOWNERS line gives to another owner than the unit
//     above it gets one naming that owner.
//
// A directory that has an OWNERS.yaml is never touched, so proposing again
// after the files are written proposes nothing. Review dates are Today:
// merging the proposal is the first review. What cannot be decided is left
// as a TODO comment, never guessed.
func Propose(in ProposeInput) []Proposal {
	p := proposer{in: in, owner: map[string]string{}}
	if in.Units != nil {
		for _, u := range in.Units.Units() {
			p.owner[u.Dir()] = u.Owner
		}
	}
	var out []Proposal
	// Units from other sources first: their directories are settled.
	if in.Units != nil {
		for _, u := range in.Units.Units() {
			if !u.Governed() {
				out = append(out, p.besideSource(u))
			}
		}
	}
	candidates := p.codeownersDirs()
	if _, ok := p.owner[""]; !ok {
		out = append(out, p.root(candidates))
	}
	for _, dir := range candidates {
		decided, line := p.decidingOwner(p.pathsUnder(dir), nil)
		if len(decided) == 0 {
			continue
		}
		if enclosing := p.enclosingOwner(dir); enclosing == accountable(decided) {
			continue // the unit above already says so
		}
		p.owner[dir] = accountable(decided)
		out = append(out, p.fromCODEOWNERS(dir, decided, line))
	}
	slices.SortFunc(out, func(a, b Proposal) int { return strings.Compare(a.Path, b.Path) })
	return out
}

type proposer struct {
	in ProposeInput
	// owner is the accountable owner of each directory that is or will be
	// a unit ("" when it is a unit without one).
	owner map[string]string
}

// codeownersDirs lists the directories CODEOWNERS lines name literally
// ("/services/payments/", "docs/**"), that hold files, and that are not
// units yet; parents first.
func (p *proposer) codeownersDirs() []string {
	if p.in.CODEOWNERS == nil {
		return nil
	}
	seen := map[string]bool{}
	var dirs []string
	for _, r := range p.in.CODEOWNERS.Rules {
		dir, ok := literalDir(r.Pattern)
		if !ok || seen[dir] {
			continue
		}
		seen[dir] = true
		if _, unit := p.owner[dir]; unit || len(p.pathsUnder(dir)) == 0 {
			continue
		}
		dirs = append(dirs, dir)
	}
	slices.SortFunc(dirs, func(a, b string) int {
		return cmpDepth(a, b)
	})
	return dirs
}

func cmpDepth(a, b string) int {
	if da, db := strings.Count(a, "/"), strings.Count(b, "/"); da != db {
		return da - db
	}
	return strings.Compare(a, b)
}

// literalDir returns the directory an anchored directory pattern names:
// "/a/b/", "/a/b/**", "a/b/" (a slash in the middle anchors it too).
func literalDir(pattern string) (string, bool) {
	p := strings.TrimSuffix(pattern, "**")
	if !strings.HasSuffix(p, "/") {
		return "", false
	}
	p = strings.Trim(p, "/")
	if p == "" || strings.ContainsAny(p, `*?\[`) {
		return "", false
	}
	// "docs/" alone matches every docs directory at any depth: not one
	// directory to make a unit of.
	if !strings.HasPrefix(pattern, "/") && !strings.Contains(p, "/") {
		return "", false
	}
	return p, true
}

// pathsUnder returns the files below dir.
func (p *proposer) pathsUnder(dir string) []string {
	prefix := dir + "/"
	lo, _ := slices.BinarySearch(p.in.Paths, prefix)
	hi := lo
	for hi < len(p.in.Paths) && strings.HasPrefix(p.in.Paths[hi], prefix) {
		hi++
	}
	return p.in.Paths[lo:hi]
}

// decidingOwner returns the owners CODEOWNERS gives most of paths (ties go
// to the earlier line) and that line, skipping paths for which skip says
// so. Files no line owns do not vote.
func (p *proposer) decidingOwner(paths []string, skip func(string) bool) ([]codeowners.Owner, *codeowners.Rule) {
	if p.in.CODEOWNERS == nil {
		return nil, nil
	}
	byOwners := map[string]int{}
	var best *codeowners.Rule
	for _, f := range paths {
		if skip != nil && skip(f) {
			continue
		}
		r := p.in.CODEOWNERS.Match(f)
		if r == nil || accountable(r.Owners) == "" {
			continue
		}
		key := strings.Join(r.OwnerNames(), " ")
		byOwners[key]++
		if best == nil {
			best = r
			continue
		}
		bk := strings.Join(best.OwnerNames(), " ")
		if byOwners[key] > byOwners[bk] || (byOwners[key] == byOwners[bk] && r.Line < best.Line && key != bk) {
			best = r
		}
	}
	if best == nil {
		return nil, nil
	}
	return best.Owners, best
}

// accountable picks the owner a unit is accountable to from a CODEOWNERS
// line's owners: its first team, else its first user. E-mail owners cannot
// approve on GitHub, so they are never chosen.
func accountable(os []codeowners.Owner) string {
	for _, o := range os {
		if o.Kind == codeowners.Team {
			return o.Name
		}
	}
	for _, o := range os {
		if o.Kind == codeowners.User {
			return o.Name
		}
	}
	return ""
}

// enclosingOwner is the owner the nearest unit above dir names, planned or
// present.
func (p *proposer) enclosingOwner(dir string) string {
	for dir != "" {
		dir = parentDir(dir)
		if o, ok := p.owner[dir]; ok {
			return o
		}
	}
	return ""
}

func parentDir(dir string) string {
	d := path.Dir(dir)
	if d == "." {
		return ""
	}
	return d
}

func (p *proposer) root(candidates []string) Proposal {
	inCandidate := func(f string) bool {
		for _, d := range candidates {
			if strings.HasPrefix(f, d+"/") {
				return true
			}
		}
		return false
	}
	decided, line := p.decidingOwner(p.in.Paths, inCandidate)
	if len(decided) == 0 {
		p.owner[""] = ""
		var b bytes.Buffer
		p.header(&b, "the repository root")
		b.WriteString("version: 1\n")
		b.WriteString("# TODO: name the accountable team, such as owner: \"@org/team\". No CODEOWNERS\n")
		b.WriteString("# line owns the files at the root, so ownerbot cannot tell who it is.\n")
		p.common(&b)
		return Proposal{Path: FileName, Content: b.Bytes(), Why: "the root has no unit and CODEOWNERS names no owner for it: the owner is left TODO"}
	}
	p.owner[""] = accountable(decided)
	prop := p.fromCODEOWNERS("", decided, line)
	prop.Why = fmt.Sprintf("the root has no unit; %s:%d owns most of its files", p.in.Name, line.Line)
	return prop
}

func (p *proposer) fromCODEOWNERS(dir string, decided []codeowners.Owner, line *codeowners.Rule) Proposal {
	var b bytes.Buffer
	name := dir + "/"
	if dir == "" {
		name = "the repository root"
	}
	p.header(&b, name)
	fmt.Fprintf(&b, "# The owner comes from %s line %d: %s\n", oneLine(p.in.Name), line.Line, oneLine(line.Source))
	b.WriteString("version: 1\n")
	owner := accountable(decided)
	fmt.Fprintf(&b, "owner: %q\n", owner)
	var approvers []string
	for _, o := range decided {
		if o.Kind != codeowners.Email {
			approvers = append(approvers, fmt.Sprintf("%q", o.Name))
		}
	}
	if len(approvers) > 1 {
		fmt.Fprintf(&b, "approvers: [%s]\n", strings.Join(approvers, ", "))
	}
	p.common(&b)
	path := FileName
	if dir != "" {
		path = dir + "/" + FileName
	}
	return Proposal{Path: path, Content: b.Bytes(),
		Why: fmt.Sprintf("%s:%d gives %s/ to %s, not to the unit above", p.in.Name, line.Line, dir, owner)}
}

func (p *proposer) besideSource(u *Unit) Proposal {
	var b bytes.Buffer
	p.header(&b, u.Name())
	src, line := u.File.Where("owner")
	why := fmt.Sprintf("%s makes %s a unit; its review date and tier need a home", u.File.Path, u.Name())
	var owner string
	switch {
	case u.File.Owner != "":
		fmt.Fprintf(&b, "# The owner stays in %s (line %d: %s); this file adds what it cannot say.\n", oneLine(src), line, oneLine(u.File.Owner))
	case u.File.Lines["owner"] > 0:
		// The source names an owner that is no GitHub owner (its finding
		// says why): CODEOWNERS may know who it is.
		paths := p.in.Paths
		if u.Dir() != "" {
			paths = p.pathsUnder(u.Dir())
		}
		if decided, rule := p.decidingOwner(paths, nil); len(decided) > 0 {
			owner = accountable(decided)
			fmt.Fprintf(&b, "# %s line %d names an owner that is no GitHub owner, so this file names\n", oneLine(src), line)
			fmt.Fprintf(&b, "# the one %s gives its files (line %d: %s).\n", oneLine(p.in.Name), rule.Line, oneLine(rule.Source))
			why = fmt.Sprintf("%s names no GitHub owner for %s; %s:%d does", src, u.Name(), p.in.Name, rule.Line)
		} else {
			fmt.Fprintf(&b, "# TODO: %s line %d names an owner that is no GitHub owner: name it here,\n# such as owner: \"@org/team\", or fix it there.\n", oneLine(src), line)
		}
	default:
		fmt.Fprintf(&b, "# The owner is inherited from the unit above (%s names none).\n", oneLine(u.File.Path))
	}
	b.WriteString("version: 1\n")
	if owner != "" {
		fmt.Fprintf(&b, "owner: %q\n", owner)
		p.owner[u.Dir()] = owner
	}
	p.common(&b)
	path := FileName
	if u.Dir() != "" {
		path = u.Dir() + "/" + FileName
	}
	return Proposal{Path: path, Content: b.Bytes(), Why: why}
}

func (p *proposer) header(b *bytes.Buffer, what string) {
	fmt.Fprintf(b, "# Ownership of %s, written by `ownerbot init` on %s.\n", oneLine(what), p.in.Today.Format(time.DateOnly))
	b.WriteString("# Check each value with the team before merging: merging is its first review.\n")
}

// common writes what every proposal says: the review, done today by
// merging, and the settings only the team can decide.
func (p *proposer) common(b *bytes.Buffer) {
	b.WriteString("# TODO: tier: 1 | 2 | 3 (default 2) sets how often reviews fall due and\n")
	b.WriteString("# whether production units need a runbook (runbooks: [\"runbooks/*.md\"]).\n")
	fmt.Fprintf(b, "review: {last_reviewed: %q}\n", p.in.Today.Format(time.DateOnly))
}

// oneLine makes text from the repository — a CODEOWNERS line, a path, an
// owner — safe to write in a YAML comment: a line break in a hostile
// directory name must not start a line of YAML of its own.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		// Control characters, and the breaks YAML also ends a line at:
		// next line, line separator, paragraph separator.
		if unicode.IsControl(r) || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
}
