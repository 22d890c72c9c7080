package policy

import (
	"cmp"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/owners"
)

// A Comparison is what a change does to ownership, read off the evaluations
// of its base and its head: the problems it introduces and fixes, the
// ownership it moves between owners, and the exceptions it adds or changes.
// A pull request is judged on it (DESIGN §1.6: ratchet, don't nag).
type Comparison struct {
	// New are head findings that the base does not have, waived ones left
	// out: a finding an exception stops waiving is new.
	New []Finding
	// Fixed are base findings that the head no longer has.
	Fixed []Finding
	// Transfers are paths that both trees have whose owners differ.
	Transfers []Transfer
	// Exceptions are the entries the head adds or changes; each needs an
	// approval before it takes effect.
	Exceptions []ExceptionChange
}

// Introduced counts the new findings at or above a severity.
func (c *Comparison) Introduced(atLeast Severity) int {
	n := 0
	for _, f := range c.New {
		if f.Severity >= atLeast {
			n++
		}
	}
	return n
}

// Transfer sources: which file moved the ownership.
const (
	ViaCODEOWNERS = "CODEOWNERS"
	ViaOWNERS     = "OWNERS.yaml"
)

// A Transfer is ownership of some paths moving from one set of owners to
// another. Everyone who gains or loses the paths must agree (DESIGN §4.1.5):
// the parties.
type Transfer struct {
	Via string // ViaCODEOWNERS or ViaOWNERS
	// Paths are the moved paths, folded: a directory (ending in "/") stands
	// for every file below it when all of them moved the same way. For
	// ViaOWNERS they are the units whose effective owner changed.
	Paths []string
	Files int // how many files moved (units for ViaOWNERS)
	From  []string
	To    []string
	// Parties are the owners in From or To but not both, as written in the
	// head where they appear there.
	Parties []string
}

// An ExceptionChange is an exception entry the head adds or changes.
type ExceptionChange struct {
	Entry *exception.Entry
	Added bool // false: the base has an entry with this id that differs
	// Approvers are who may approve it: the configured approvers for its
	// rule, else the effective approvers of its unit.
	Approvers []string
}

// Compare judges a change from the evaluations of its base and head,
// evaluated for the same day. Findings are told apart by rule, path and
// message with the numbers left out, so an edit that moves lines around,
// or a date that moves a count, does not make an old problem look new; the
// same finding twice in the head and once in the base is one new finding.
func Compare(base, head *Result) Comparison {
	var c Comparison
	c.New = subtract(head.Findings, base.Findings)
	c.Fixed = subtract(base.Findings, head.Findings)
	c.Transfers = append(codeownersTransfers(base, head), unitTransfers(base, head)...)
	c.Exceptions = exceptionChanges(base, head)
	return c
}

// subtract returns the unwaived findings of a that b does not match.
func subtract(a, b []Finding) []Finding {
	have := map[string]int{}
	for _, f := range b {
		if f.ExceptedBy == "" {
			have[identity(f)]++
		}
	}
	var out []Finding
	for _, f := range a {
		if f.ExceptedBy != "" {
			continue
		}
		k := identity(f)
		if have[k] > 0 {
			have[k]--
			continue
		}
		out = append(out, f)
	}
	return out
}

// identity is what stays the same about a finding when the lines around it
// move: its rule, path and message with every run of digits replaced.
// Identity tells findings apart across evaluations: the rule, the path and
// the message with its numbers left out, so a date that moves a count or an
// edit that moves lines keeps a finding the same.
func (f Finding) Identity() string { return identity(f) }

func identity(f Finding) string {
	var b strings.Builder
	b.Grow(len(f.Rule) + len(f.Path) + len(f.Message) + 2)
	b.WriteString(f.Rule)
	b.WriteByte(0)
	b.WriteString(f.Path)
	b.WriteByte(0)
	digits := false
	for i := 0; i < len(f.Message); i++ {
		ch := f.Message[i]
		if ch >= '0' && ch <= '9' {
			if !digits {
				b.WriteByte('#')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteByte(ch)
	}
	return b.String()
}

// codeownersTransfers compares who CODEOWNERS makes owner of every file
// that both trees have.
func codeownersTransfers(base, head *Result) []Transfer {
	if base.Ruleset == nil || head.Ruleset == nil {
		// Adding the first CODEOWNERS, or removing the last, changes
		// everything at once; the findings about it say more than a transfer.
		return nil
	}
	if base.Ruleset == head.Ruleset {
		return nil // the same parsed file (see ParseCache): nobody's files moved
	}
	if base.Coverage.TooExpensive || head.Coverage.TooExpensive {
		// Matching every path would cost what Cover refused to spend; the
		// head's codeowners.too_expensive is an error the change
		// introduces, so the pull request fails without a transfer.
		return nil
	}
	type move struct {
		from, to []string
		files    []string
	}
	inHead := make(map[string]bool, len(head.Paths))
	for _, p := range head.Paths {
		inHead[p] = true
	}
	moves := map[string]*move{}
	var order []string
	var common []string
	for _, p := range base.Paths {
		if !inHead[p] {
			continue
		}
		common = append(common, p)
		from, to := ownerNames(base, p), ownerNames(head, p)
		if sameOwners(from, to) {
			continue
		}
		k := strings.Join(from, " ") + "\x00" + strings.Join(to, " ")
		m := moves[k]
		if m == nil {
			m = &move{from: from, to: to}
			moves[k] = m
			order = append(order, k)
		}
		m.files = append(m.files, p)
	}
	if len(moves) == 0 {
		return nil
	}
	perDir := filesPerDir(common)
	var out []Transfer
	for _, k := range order {
		m := moves[k]
		out = append(out, Transfer{
			Via: ViaCODEOWNERS, Paths: fold(m.files, perDir), Files: len(m.files),
			From: m.from, To: m.to, Parties: parties(m.from, m.to),
		})
	}
	slices.SortStableFunc(out, func(a, b Transfer) int { return strings.Compare(a.Paths[0], b.Paths[0]) })
	return out
}

func ownerNames(res *Result, p string) []string {
	if r := res.Ruleset.Match(p); r != nil {
		return r.OwnerNames()
	}
	return nil
}

// sameOwners compares two owner lists as sets, ignoring case as GitHub does
// for user and team names.
func sameOwners(a, b []string) bool {
	return slices.Equal(ownerSet(a), ownerSet(b))
}

func ownerSet(names []string) []string {
	set := make([]string, len(names))
	for i, n := range names {
		set[i] = strings.ToLower(n)
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// parties are the owners in exactly one of from and to: those who gain or
// lose the paths. Those in to come as written there.
func parties(from, to []string) []string {
	inFrom := map[string]bool{}
	for _, n := range from {
		inFrom[strings.ToLower(n)] = true
	}
	inTo := map[string]bool{}
	for _, n := range to {
		inTo[strings.ToLower(n)] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{from, to} {
		for _, n := range list {
			k := strings.ToLower(n)
			if inFrom[k] != inTo[k] && !seen[k] {
				seen[k] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// filesPerDir counts the files below every directory ("" is the root).
func filesPerDir(paths []string) map[string]int {
	n := map[string]int{}
	for _, p := range paths {
		for d := path.Dir(p); ; d = path.Dir(d) {
			if d == "." {
				n[""]++
				break
			}
			n[d]++
		}
	}
	return n
}

// fold replaces the files of a directory by the directory when all of its
// files are among them, keeping the highest such directory. files is
// sorted, so the files below a directory are adjacent and each directory
// comes out once.
func fold(files []string, perDir map[string]int) []string {
	moved := filesPerDir(files)
	var out []string
	for _, p := range files {
		top := p
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if moved[d] == perDir[d] {
				top = d + "/"
			}
		}
		if moved[""] == perDir[""] {
			top = "/"
		}
		if len(out) == 0 || out[len(out)-1] != top {
			out = append(out, top)
		}
	}
	return out
}

// unitTransfers compares the effective owner of every unit both trees have.
func unitTransfers(base, head *Result) []Transfer {
	if base.Units == nil || head.Units == nil {
		return nil
	}
	type move struct {
		from, to string
		units    []string
	}
	var moves []*move
	for _, hu := range head.Units.Units() {
		bu := base.Units.UnitOf(path.Join(hu.Dir(), "OWNERS.yaml"))
		if bu == nil || bu.Dir() != hu.Dir() || bu.Owner == "" || hu.Owner == "" ||
			strings.EqualFold(bu.Owner, hu.Owner) {
			continue
		}
		i := slices.IndexFunc(moves, func(m *move) bool {
			return strings.EqualFold(m.from, bu.Owner) && strings.EqualFold(m.to, hu.Owner)
		})
		if i < 0 {
			moves = append(moves, &move{from: bu.Owner, to: hu.Owner})
			i = len(moves) - 1
		}
		moves[i].units = append(moves[i].units, hu.Name())
	}
	out := make([]Transfer, 0, len(moves))
	for _, m := range moves {
		from, to := []string{m.from}, []string{m.to}
		out = append(out, Transfer{Via: ViaOWNERS, Paths: m.units, Files: len(m.units),
			From: from, To: to, Parties: parties(from, to)})
	}
	return out
}

// exceptionChanges lists the head's entries that the base lacks or has
// differently, with who may approve each.
func exceptionChanges(base, head *Result) []ExceptionChange {
	if head.Exceptions == nil {
		return nil
	}
	before := map[string]*exception.Entry{}
	if base.Exceptions != nil {
		for _, e := range base.Exceptions.Entries() {
			before[e.ID] = e
		}
	}
	var out []ExceptionChange
	for _, e := range head.Exceptions.Entries() {
		old, had := before[e.ID]
		if had && sameEntry(old, e) {
			continue
		}
		out = append(out, ExceptionChange{Entry: e, Added: !had, Approvers: head.ExceptionApprovers(e)})
	}
	slices.SortStableFunc(out, func(a, b ExceptionChange) int {
		return cmp.Or(strings.Compare(a.Entry.File, b.Entry.File), cmp.Compare(a.Entry.Line, b.Entry.Line))
	})
	return out
}

// sameEntry compares what an entry says, not where it is written.
func sameEntry(a, b *exception.Entry) bool {
	return a.Rule == b.Rule && slices.Equal(a.Paths, b.Paths) && a.Reason == b.Reason &&
		a.Expires.Equal(b.Expires) && a.Ticket == b.Ticket && a.Dir == b.Dir
}

// ExceptionApprovers are who may approve an entry: the configuration's
// approvers for its rule, else its unit's effective approvers, else its
// unit's owner.
func (head *Result) ExceptionApprovers(e *exception.Entry) []string {
	if r, ok := head.Config.Exceptions.Rules[e.Rule]; ok && len(r.Approvers) > 0 {
		return r.Approvers
	}
	var u *owners.Unit
	if head.Units != nil {
		u = head.Units.UnitOf(path.Join(e.Dir, "OWNERS.yaml"))
	}
	switch {
	case u == nil:
		return nil
	case len(u.Approvers) > 0:
		return u.Approvers
	case u.Owner != "":
		return []string{u.Owner}
	}
	return nil
}

// Active reports whether an exception change would waive anything at now:
// an entry already expired needs no approval to be useless.
func (x ExceptionChange) Active(now time.Time) bool {
	return x.Entry.Status(now) != exception.Expired
}
