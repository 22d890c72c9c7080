package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
)

// An OwnerRef is one place where a tree names a GitHub user or team as an
// owner: a CODEOWNERS owner, or an OWNERS.yaml owner, approver or
// escalation target.
type OwnerRef struct {
	Owner        string // @login or @org/team, as written
	Path         string
	Line, Column int
	// Field is "CODEOWNERS" for a CODEOWNERS owner, else the OWNERS.yaml
	// key that names it: "owner", "approvers" or "escalation.to".
	Field string
}

// InCODEOWNERS reports whether the reference is a CODEOWNERS owner.
func (r OwnerRef) InCODEOWNERS() bool { return r.Field == codeownersField }

const codeownersField = "CODEOWNERS"

// OwnerRefs lists every user and team the tree names, CODEOWNERS first,
// each in file order. E-mail owners are left out: GitHub matches them to
// users by verified addresses, which its API does not reveal.
func (res *Result) OwnerRefs() []OwnerRef {
	var refs []OwnerRef
	if res.Ruleset != nil {
		for _, r := range res.Ruleset.Rules {
			for _, o := range r.Owners {
				if o.Kind == codeowners.Email {
					continue
				}
				refs = append(refs, OwnerRef{Owner: o.Name, Path: res.CODEOWNERS, Line: r.Line, Column: o.Column, Field: codeownersField})
			}
		}
	}
	if res.Units != nil {
		for _, u := range res.Units.Units() {
			for _, h := range u.File.Handles {
				path := h.Path // the file that names it: a unit may be read from several
				if path == "" {
					path = u.File.Path
				}
				refs = append(refs, OwnerRef{Owner: h.Name, Path: path, Line: h.Line, Column: h.Column, Field: h.Field})
			}
		}
	}
	return refs
}

// OwnerNames returns the distinct owners of refs, lower case (GitHub's
// names are case-insensitive), sorted.
func OwnerNames(refs []OwnerRef) []string {
	var names []string
	for _, r := range refs {
		names = append(names, strings.ToLower(r.Owner))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ResolveOwners turns what GitHub says of owners into findings:
// codeowners.unknown_owner for a CODEOWNERS owner and owners.unresolvable
// for an OWNERS.yaml one. problems maps a lower-case owner to why it cannot
// own this repository's files; owners it does not hold are taken as fine
// (or not looked up). The two rules stop being listed as skipped.
func (res *Result) ResolveOwners(problems map[string]string, now time.Time) {
	res.Skipped = slices.DeleteFunc(res.Skipped, func(s Skip) bool {
		return s.Rule == CodeownersUnknownOwner || s.Rule == OwnersUnresolvable
	})
	if len(problems) == 0 {
		return
	}
	added := false
	for _, ref := range res.OwnerRefs() {
		why, bad := problems[strings.ToLower(ref.Owner)]
		if !bad {
			continue
		}
		// The name in lower case, as GitHub compares it: changing only its
		// case is no new problem for the ratchet.
		name := strings.ToLower(ref.Owner)
		var f Finding
		if ref.InCODEOWNERS() {
			f = finding(CodeownersUnknownOwner, ref.Path, ref.Line, ref.Column,
				fmt.Sprintf("Unknown owner: %s %s, so GitHub does not ask it for reviews", name, why), "")
		} else {
			f = finding(OwnersUnresolvable, ref.Path, ref.Line, ref.Column,
				fmt.Sprintf("%s %s %s", fieldNoun(ref.Field), name, why), "")
		}
		res.waive(&f, now)
		if res.complete(&f) {
			res.Findings = append(res.Findings, f)
			added = true
		}
	}
	if added {
		res.sort()
	}
}

func fieldNoun(field string) string {
	switch field {
	case "approvers":
		return "approver"
	case "escalation.to":
		return "escalation target"
	}
	return field
}
