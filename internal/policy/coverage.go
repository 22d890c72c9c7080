package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/ownerbot/ownerbot/internal/owners"
)

// OwnerShare is what one owner holds of a repository.
type OwnerShare struct {
	Owner string // as first written in CODEOWNERS or the unit's file
	// Files are the files whose deciding CODEOWNERS line lists the owner;
	// Sole those of them it owns alone. A file with two owners counts for
	// both in Files, for neither in Sole.
	Files, Sole int
	Units       int // units the owner is accountable for
	Runbooks    int // runbooks it owns
}

// OwnerCoverage is a repository's files, units and runbooks per owner, and
// what nobody owns. Every file is in exactly one of three places: owned by
// one owner alone (the sum of Sole), Shared, or Unowned, so
// sum(Sole) + Shared + Unowned = Files.
type OwnerCoverage struct {
	Files   int // files judged
	Shared  int // files whose deciding line lists two owners or more
	Unowned int // files no line owns
	Owners  []OwnerShare
	// Units and Runbooks are the repository's; UnitsWithoutOwner are units
	// whose files and sources name nobody.
	Units, UnitsWithoutOwner, Runbooks int
	// TooExpensive: CODEOWNERS was too costly to match (its finding says
	// so), so the file figures are unknown and zero.
	TooExpensive bool
}

// ByOwner sums what each owner holds. It reads what evaluation already
// counted — how many files each CODEOWNERS line decides — so it costs one
// pass over the lines and units, not over the files. Owners are compared
// without regard to case, as GitHub compares them; the list is sorted by
// files, most first, then by name.
func (res *Result) ByOwner() OwnerCoverage {
	c := OwnerCoverage{Files: res.Coverage.Files, TooExpensive: res.Coverage.TooExpensive}
	index := map[string]int{}
	share := func(name string) *OwnerShare {
		key := strings.ToLower(name)
		i, ok := index[key]
		if !ok {
			i = len(c.Owners)
			index[key] = i
			c.Owners = append(c.Owners, OwnerShare{Owner: name})
		}
		return &c.Owners[i]
	}
	owned := 0
	// (A result put together by hand may hold a ruleset it never covered.)
	if res.Ruleset != nil && !c.TooExpensive && len(res.Coverage.Rules) == len(res.Ruleset.Rules) {
		for i, r := range res.Ruleset.Rules {
			decided := res.Coverage.Rules[i].Decided
			if decided == 0 || len(r.Owners) == 0 {
				continue
			}
			owned += decided
			// One line may name an owner twice; it still owns each file once.
			seen := map[string]bool{}
			for _, o := range r.Owners {
				if key := strings.ToLower(o.Name); !seen[key] {
					seen[key] = true
					share(o.Name).Files += decided
				}
			}
			if len(seen) == 1 {
				share(r.Owners[0].Name).Sole += decided
			} else {
				c.Shared += decided
			}
		}
	}
	if !c.TooExpensive {
		c.Unowned = c.Files - owned
	}
	if res.Units != nil {
		for _, u := range res.Units.Units() {
			c.Units++
			if u.Owner == "" {
				c.UnitsWithoutOwner++
				continue
			}
			share(u.Owner).Units++
		}
	}
	var units []*owners.Unit
	if res.Units != nil {
		units = res.Units.Units() // in order: the first spelling of an owner is stable
	}
	for _, u := range units {
		for _, r := range res.Runbooks[u] {
			c.Runbooks++
			if r.Owner != "" {
				share(r.Owner).Runbooks++
			}
		}
	}
	slices.SortStableFunc(c.Owners, func(a, b OwnerShare) int {
		return cmp.Or(cmp.Compare(b.Files, a.Files), cmp.Compare(b.Units, a.Units),
			strings.Compare(strings.ToLower(a.Owner), strings.ToLower(b.Owner)))
	})
	return c
}

// Percent is part of Files, from 0 to 100 (0 for an empty tree).
func (c OwnerCoverage) Percent(part int) float64 {
	if c.Files == 0 {
		return 0
	}
	return 100 * float64(part) / float64(c.Files)
}
