package owners

import (
	"slices"
	"strings"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// DefaultTier is the tier of a unit that neither it nor a unit above sets.
const DefaultTier = 2

// DefaultInterval is how often a unit of each tier reviews its ownership and
// runbooks when no interval is set: 1 → 90 days, 2 → 180, 3 → 365.
func DefaultInterval(tier int) strictyaml.Duration {
	switch tier {
	case 1:
		return strictyaml.Duration{Days: 90}
	case 3:
		return strictyaml.Duration{Days: 365}
	}
	return strictyaml.Duration{Days: 180}
}

// A Unit is a directory with an OWNERS.yaml, with its effective settings:
// owner, tier, lifecycle, contact, on-call, escalation and review interval
// come from the nearest unit that sets them; approvers are the union up the
// tree until a unit with `inherit: false`; runbooks, agreements and the last
// review date belong to the unit that declares them.
type Unit struct {
	File   *File
	Parent *Unit // nil for the root unit

	Owner          string
	Approvers      []string
	Tier           int
	Lifecycle      string
	Contact        Contact
	Oncall         Oncall
	Escalation     []Escalation
	ReviewInterval strictyaml.Duration

	// declaredInterval is the interval set in this unit's file or above;
	// zero when every unit up the tree leaves it to the tier's default.
	declaredInterval strictyaml.Duration
}

// Dir is the unit's directory: "" for the root.
func (u *Unit) Dir() string { return u.File.Dir }

// Name is how people read the unit's directory: "/" for the root, else the
// directory with a trailing slash.
func (u *Unit) Name() string {
	if u.File.Dir == "" {
		return "/"
	}
	return u.File.Dir + "/"
}

// Contains reports whether a repository-relative path is inside the unit's
// directory (units nested below may still hold it).
func (u *Unit) Contains(p string) bool {
	return u.File.Dir == "" || p == u.File.Dir || strings.HasPrefix(p, u.File.Dir+"/")
}

// A Tree is the units of a repository.
type Tree struct {
	units []*Unit // sorted by directory, so parents come before children
	byDir map[string]*Unit
}

// Build resolves files into units. Files of the same directory are merged
// into one unit in the order given (see Merge), so the caller lists them in
// precedence order; the caller reports the root's absence
// (owners.missing_root).
func Build(files []*File) *Tree {
	sorted := slices.Clone(files)
	slices.SortStableFunc(sorted, func(a, b *File) int { return strings.Compare(a.Dir, b.Dir) })
	t := &Tree{byDir: map[string]*Unit{}}
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j].Dir == sorted[i].Dir {
			j++
		}
		f := Merge(sorted[i:j]...)
		i = j
		u := &Unit{File: f, Parent: t.enclosing(f.Dir)}
		u.resolve()
		t.units = append(t.units, u)
		t.byDir[f.Dir] = u
	}
	return t
}

// enclosing returns the nearest unit strictly above dir.
func (t *Tree) enclosing(dir string) *Unit {
	for dir != "" {
		dir = strictyaml.Dir(dir)
		if u := t.byDir[dir]; u != nil {
			return u
		}
	}
	return nil
}

func (u *Unit) resolve() {
	f, p := u.File, u.Parent
	inherit := func(own, parent string) string {
		if own != "" || p == nil {
			return own
		}
		return parent
	}
	var parent Unit
	if p != nil {
		parent = *p
	}
	u.Owner = inherit(f.Owner, parent.Owner)
	u.Lifecycle = inherit(f.Lifecycle, parent.Lifecycle)
	if u.Lifecycle == "" {
		u.Lifecycle = Production
	}
	u.Tier = f.Tier
	if u.Tier == 0 {
		u.Tier = parent.Tier
	}
	if u.Tier == 0 {
		u.Tier = DefaultTier
	}
	u.Contact = f.Contact
	if u.Contact == (Contact{}) {
		u.Contact = parent.Contact
	}
	u.Oncall = f.Oncall
	if u.Oncall == (Oncall{}) {
		u.Oncall = parent.Oncall
	}
	u.Escalation = f.Escalation
	if len(u.Escalation) == 0 {
		u.Escalation = parent.Escalation
	}
	// An interval someone wrote is inherited; a default is not, because a
	// tier-3 unit below a tier-2 one has its own, longer default.
	u.declaredInterval = f.Review.Interval
	if u.declaredInterval.Days == 0 {
		u.declaredInterval = parent.declaredInterval
	}
	u.ReviewInterval = u.declaredInterval
	if u.ReviewInterval.Days == 0 {
		u.ReviewInterval = DefaultInterval(u.Tier)
	}
	// Approvers: this unit's (its owner when it names none), plus the
	// parent's effective approvers unless the chain is cut here.
	own := f.Approvers
	if len(own) == 0 && u.Owner != "" {
		own = []string{u.Owner}
	}
	u.Approvers = slices.Clone(own)
	if p != nil && (f.Inherit == nil || *f.Inherit) {
		for _, a := range p.Approvers {
			if !slices.Contains(u.Approvers, a) {
				u.Approvers = append(u.Approvers, a)
			}
		}
	}
}

// Units returns the units sorted by directory; the root, if any, is first.
func (t *Tree) Units() []*Unit { return t.units }

// Root returns the root unit, or nil when the root has no OWNERS.yaml.
func (t *Tree) Root() *Unit { return t.byDir[""] }

// UnitOf returns the unit a repository-relative path belongs to: the nearest
// unit at or above the path's directory, or nil when there is none.
func (t *Tree) UnitOf(p string) *Unit {
	for dir := strictyaml.Dir(p); ; dir = strictyaml.Dir(dir) {
		if u := t.byDir[dir]; u != nil {
			return u
		}
		if dir == "" {
			return nil
		}
	}
}

// Governed reports whether the unit keeps governance records of its own:
// it has an OWNERS.yaml (alone or beside another source), the file that
// holds review dates, runbooks and escalation. A unit read only from a
// Backstage descriptor or a prow OWNERS file names owners and nothing more.
func (u *Unit) Governed() bool {
	if u.File.Source == SourceOwnersYAML {
		return true
	}
	for _, f := range u.File.Sources {
		if f.Source == SourceOwnersYAML {
			return true
		}
	}
	return false
}
