package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/owners"
)

// checkUnits reads every OWNERS.yaml, resolves the units and checks each:
// the root exists and names an owner, reviews are on time, tier-1 units can
// be approved by two people, and CODEOWNERS agrees with the unit's owner.
func checkUnits(tree Tree, opts Options, res *Result) error {
	files, deferred, err := readUnitFiles(tree, opts.Organization, res)
	if err != nil {
		return err
	}
	res.Units = owners.Build(files)
	deferred.report(res.Units, res)
	// A repository that keeps no ownership file has not taken up units:
	// CODEOWNERS alone is judged, until the configuration requires units.
	if len(files) == 0 && !res.Config.Units.Required {
		return nil
	}
	root := res.Units.Root()
	switch {
	case root == nil:
		res.Findings = append(res.Findings, finding(OwnersMissingRoot, ".", 0, 0,
			"no unit at the repository root (no OWNERS.yaml or other ownership file there), so the repository has no accountable owner", ""))
	case root.Owner == "" && root.File.Lines["owner"] == 0:
		// (An owner written but not valid, or not mappable to GitHub, has
		// a finding of its own where it is written.)
		path, line := root.File.Where("owner")
		res.Findings = append(res.Findings, finding(OwnersSchema, path, line, 1,
			"the root unit must name an owner: every unit below inherits it", "add `owner: \"@org/team\"`"))
	}
	now := opts.Now
	for _, u := range res.Units.Units() {
		checkReview(u, now, res)
		checkApprovers(u, res)
	}
	switch {
	case res.Config.CODEOWNERS == config.Generated:
		return checkDrift(tree, res)
	case res.Ruleset != nil && !res.Coverage.TooExpensive:
		// (A CODEOWNERS too expensive to cover is too expensive to match
		// path by path here too; its own finding says so.)
		checkMismatch(tree.Paths(), res)
	}
	return nil
}

// checkDrift compares CODEOWNERS with what the OWNERS.yaml files generate,
// for repositories that opted into generated CODEOWNERS: there, OWNERS.yaml
// is the source of truth and a hand edit is lost at the next generation.
func checkDrift(tree Tree, res *Result) error {
	want := res.Units.GenerateCODEOWNERS()
	path := res.CODEOWNERS
	if path == "" {
		path = codeowners.Locations[0]
	}
	got, err := fs.ReadFile(tree, path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if bytes.Equal(got, want) {
		return nil
	}
	line, msg := firstDifference(got, want), "CODEOWNERS differs from what the OWNERS.yaml files generate"
	if got == nil {
		msg = "the repository generates CODEOWNERS from OWNERS.yaml, but there is none"
	}
	res.Findings = append(res.Findings, finding(CodeownersDrift, path, line, 1,
		fmt.Sprintf("%s (first difference on line %d)", msg, line), ""))
	return nil
}

// firstDifference returns the 1-based number of the first line where a and b
// differ.
func firstDifference(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// readBounded reads at most limit+1 bytes of a file: enough for the parser
// to report a file that is too large, without holding a hostile one.
func readBounded(fsys fs.FS, name string, limit int) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)+1))
}

// findingAt is finding about a field of a unit's file: at the line of the
// first of keys that is written, in the file that wrote it (a unit may be
// read from an OWNERS.yaml and a descriptor beside it), else at its line 1.
func findingAt(rule string, f *owners.File, keys []string, msg, remedy string) Finding {
	path, line := f.Where(keys...)
	return finding(rule, path, line, 1, msg, remedy)
}

func checkReview(u *owners.Unit, now time.Time, res *Result) {
	if !u.Governed() {
		return // no OWNERS.yaml to record a review in: ownership only
	}
	f := u.File
	if f.Review.LastReviewed.IsZero() {
		fd := findingAt(OwnersReviewOverdue, f, []string{"review"},
			fmt.Sprintf("the ownership of %s has never been reviewed (reviews are due every %d days)", u.Name(), u.ReviewInterval.Days),
			"review this OWNERS.yaml with the owners and set review.last_reviewed to today")
		fd.Subject = "the ownership review of " + u.Name()
		res.Findings = append(res.Findings, fd)
		return
	}
	due := f.Review.LastReviewed.AddDate(0, 0, u.ReviewInterval.Days)
	if days := daysBetween(due, now); days > 0 {
		fd := findingAt(OwnersReviewOverdue, f, []string{"review.last_reviewed", "review"},
			fmt.Sprintf("the ownership review of %s was due on %s, %s ago (last reviewed %s, every %d days)",
				u.Name(), due.Format("2006-01-02"), plural(days, "day"), f.Review.LastReviewed.Format("2006-01-02"), u.ReviewInterval.Days), "")
		fd.Due, fd.Subject = due, "the ownership review of "+u.Name()
		res.Findings = append(res.Findings, fd)
	}
}

// daysBetween counts whole calendar days from a to b (negative when b is
// earlier), in UTC.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// checkApprovers flags tier-1 units that a single person could approve for.
// A team may hold two people or one; counting its members needs GitHub, so
// only units approved by fewer than two named users are flagged here.
func checkApprovers(u *owners.Unit, res *Result) {
	if u.Tier != 1 {
		return
	}
	users := 0
	for _, a := range u.Approvers {
		if strings.Contains(a, "/") {
			return // a team: counted with GitHub
		}
		users++
	}
	if users < 2 {
		res.Findings = append(res.Findings, findingAt(OwnersSingleApprover, u.File, []string{"approvers", "owner"},
			fmt.Sprintf("%s is tier 1 but only %s can approve its exceptions and transfers", u.Name(), strings.Join(u.Approvers, " ")),
			"add a second approver, or name a team"))
	}
}

// checkMismatch finds units whose owner is not a CODEOWNERS owner of their
// files: the two sources of truth disagree about who is accountable.
func checkMismatch(paths []string, res *Result) {
	type tally struct {
		files, mismatched int
		example           string
		exampleOwners     []codeowners.Owner
	}
	tallies := map[*owners.Unit]*tally{}
	for _, p := range paths {
		u := res.Units.UnitOf(p)
		if u == nil || u.Owner == "" {
			continue
		}
		t := tallies[u]
		if t == nil {
			t = &tally{}
			tallies[u] = t
		}
		t.files++
		r := res.Ruleset.Match(p)
		if r != nil && slices.ContainsFunc(r.Owners, func(o codeowners.Owner) bool { return o.Name == u.Owner }) {
			continue
		}
		if t.mismatched++; t.example == "" {
			t.example = p
			if r != nil {
				t.exampleOwners = r.Owners
			}
		}
	}
	for _, u := range res.Units.Units() {
		t := tallies[u]
		if t == nil || t.mismatched == 0 {
			continue
		}
		who := "has no CODEOWNERS owner"
		if len(t.exampleOwners) > 0 {
			names := make([]string, len(t.exampleOwners))
			for i, o := range t.exampleOwners {
				names[i] = o.Name
			}
			who = "is owned by " + strings.Join(names, " ")
		}
		res.Findings = append(res.Findings, findingAt(OwnersMismatch, u.File, []string{"owner"},
			fmt.Sprintf("the unit's owner %s is not a CODEOWNERS owner of %d of its %s (%s %s)",
				u.Owner, t.mismatched, plural(t.files, "file"), t.example, who),
			fmt.Sprintf("add %s to the CODEOWNERS lines for %s, or change the unit's owner", u.Owner, u.Name())))
	}
}
