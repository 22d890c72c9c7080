package exception

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// repository is a tree of exceptions files, and the units of that tree.
var repository = map[string]string{
	"OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: ROOT-1, rule: codeowners.unowned, paths: ["vendor/**"], reason: "Vendored code, owned upstream.", expires: "2027-01-31"}
`,
	"payments/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: PAY-1, rule: runbook.missing, paths: ["legacy/**", "/OWNERS.yaml"], reason: "Legacy jobs retire in Q1.", expires: "2027-01-31"}
  - {id: PAY-2, rule: codeowners.unowned, paths: ["**"], reason: "Ownership moves in December.", expires: "2026-12-31"}
  - {id: PAY-3, rule: runbook.overdue, paths: ["api/runbooks/*.md"], reason: "The API team rewrites them.", expires: "2027-06-30"}
  - {id: PAY-4, rule: runbook.overdue, paths: ["**"], reason: "Soon.", expires: "2027-06-30"}
`,
	"payments/api/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: API-1, rule: runbook.overdue, paths: ["runbooks/old.md"], reason: "Replaced by new.md in March.", expires: "2027-03-01"}
  - {id: PAY-1, rule: runbook.missing, paths: ["**"], reason: "Copied from the parent unit.", expires: "2027-03-01"}
`,
	"billing/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: BIL-1, rule: runbook.missing, paths: ["**"], reason: "Billing is being decommissioned.", expires: "2027-01-31"}
`,
	"search/OWNERS_EXCEPTIONS.yaml": `version: 2
exceptions:
  - {id: SRC-1, rule: runbook.missing, paths: ["**"], reason: "Written for another version.", expires: "2027-01-31"}
`,
	"docs/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: DOC-1, rule: codeowners.unowned, paths: ["**"], reason: "Docs have no OWNERS.yaml yet.", expires: "2027-01-31"}
`,
}

var units = []string{"", "payments", "payments/api", "billing", "search"}

func parseAll(t *testing.T, files map[string]string) []*File {
	t.Helper()
	var out []*File
	for path, data := range files {
		f, _ := Parse(path, []byte(data), known)
		out = append(out, f)
	}
	return out
}

func ids(entries []*Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID+"@"+e.File)
	}
	return out
}

func TestNewSetProblems(t *testing.T) {
	_, problems := NewSet(parseAll(t, repository), units)
	want := []Problem{
		{Path: "docs/OWNERS_EXCEPTIONS.yaml", Message: "there is no OWNERS.yaml in docs/: exceptions apply only inside a unit, so none of these apply; move the file next to the unit's OWNERS.yaml"},
		{Path: "payments/api/OWNERS_EXCEPTIONS.yaml", Line: 4, Column: 5, Message: `id "PAY-1" is already used by payments/OWNERS_EXCEPTIONS.yaml:3; ids are unique in the repository and never reused, so give this exception a new one`},
	}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWaivers(t *testing.T) {
	set, _ := NewSet(parseAll(t, repository), units)
	now := day("2027-01-15")
	tests := []struct {
		name, rule, path string
		want             []string
	}{
		{"a finding on the unit's OWNERS.yaml", "runbook.missing", "payments/OWNERS.yaml", []string{"PAY-1@payments/OWNERS_EXCEPTIONS.yaml"}},
		{"a directory inside the pattern", "runbook.missing", "payments/legacy/", []string{"PAY-1@payments/OWNERS_EXCEPTIONS.yaml"}},
		{"a file inside the pattern", "runbook.missing", "payments/legacy/jobs/run.sh", []string{"PAY-1@payments/OWNERS_EXCEPTIONS.yaml"}},
		{"the same path relative to the root is outside the unit", "runbook.missing", "legacy/jobs/run.sh", nil},
		{"another unit's exception", "runbook.missing", "billing/legacy/run.sh", []string{"BIL-1@billing/OWNERS_EXCEPTIONS.yaml"}},
		{"a directory that only starts like a unit", "runbook.missing", "billingx/OWNERS.yaml", nil},
		{"a unit's whole directory", "runbook.missing", "billing/", []string{"BIL-1@billing/OWNERS_EXCEPTIONS.yaml"}},
		{"a unit's directory without the slash", "runbook.missing", "billing", []string{"BIL-1@billing/OWNERS_EXCEPTIONS.yaml"}},
		{"a unit never waives above itself", "runbook.missing", ".", nil},
		{"a later duplicate id waives nothing", "runbook.missing", "payments/api/OWNERS.yaml", nil},
		{"an expired entry waives nothing", "codeowners.unowned", "payments/x.go", nil},
		{"an anchored pattern of the root", "codeowners.unowned", "vendor/lib/a.c", []string{"ROOT-1@OWNERS_EXCEPTIONS.yaml"}},
		{"an anchored pattern of the root, in a nested unit", "codeowners.unowned", "payments/vendor/lib/a.c", nil},
		{"a file without an OWNERS.yaml beside it waives nothing", "codeowners.unowned", "docs/a.md", nil},
		{"an unsupported version waives nothing", "runbook.missing", "search/OWNERS.yaml", nil},
		{"an invalid entry waives nothing", "runbook.overdue", "payments/runbooks/x.md", nil},
		{"another rule", "runbook.overdue", "payments/legacy/run.sh", nil},
		{"a nested unit's own exception", "runbook.overdue", "payments/api/runbooks/old.md",
			[]string{"API-1@payments/api/OWNERS_EXCEPTIONS.yaml"}},
		{"a parent unit never covers a nested unit, whatever its pattern says", "runbook.overdue", "payments/api/runbooks/new.md", nil},
		{"a nested unit never covers its parent", "runbook.overdue", "payments/runbooks/old.md", nil},
		{"a path that is not clean", "runbook.missing", "payments/../billing/OWNERS.yaml", nil},
		{"an empty rule", "", "billing/OWNERS.yaml", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := set.Waivers(tt.rule, tt.path, now)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Waivers(%q, %q) (-want +got):\n%s", tt.rule, tt.path, diff)
			}
			e, ok := set.Waiver(tt.rule, tt.path, now)
			var want *Entry
			if len(got) > 0 {
				want = got[0]
			}
			if ok != (want != nil) || e != want {
				t.Errorf("Waiver = %v, %v; want the first of Waivers", e, ok)
			}
		})
	}
}

func TestWaiversOverTime(t *testing.T) {
	set, _ := NewSet(parseAll(t, repository), units)
	tests := []struct {
		now  string
		want []string
	}{
		{"2026-12-31T23:59:59Z", []string{"PAY-1", "PAY-2"}}, // PAY-2's last day
		{"2027-01-01T00:00:00Z", []string{"PAY-1"}},
		{"2027-01-31T12:00:00Z", []string{"PAY-1"}}, // PAY-1's last day: expiring, still applies
		{"2027-02-01T00:00:00Z", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range set.Applying("payments/legacy/run.sh", instant(t, tt.now)) {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("at %s (-want +got):\n%s", tt.now, diff)
		}
	}
}

func TestNilSetWaivesNothing(t *testing.T) {
	var s *Set
	if e, ok := s.Waiver("runbook.missing", "a", time.Time{}); ok || e != nil {
		t.Errorf("nil set waived with %v", e)
	}
	empty, problems := NewSet(nil, nil)
	if len(problems) > 0 || len(empty.Applying(".", time.Time{})) > 0 {
		t.Errorf("empty set: %v", problems)
	}
}

func TestNoUnitsWaivesNothing(t *testing.T) {
	// Without the units, no file can be shown to sit next to an OWNERS.yaml.
	set, problems := NewSet(parseAll(t, repository), nil)
	if len(problems) != len(repository)+1 {
		t.Errorf("want a problem per file and the duplicate id, got %v", problems)
	}
	if got := set.Applying("billing/OWNERS.yaml", day("2027-01-15")); len(got) > 0 {
		t.Errorf("waived by %v", ids(got))
	}
}

func TestCheckIDs(t *testing.T) {
	files := map[string]string{
		"b/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: EXC-1, rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
  - {id: EXC-2, rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
  - {id: EXC-2, rule: runbook.overdue, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
`,
		"a/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: EXC-3, rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}

  - id: EXC-1
    rule: runbook.overdue
    paths: ["../x"]
    reason: "An invalid entry still claims its id."
    expires: "2027-01-31"
`,
		"c/OWNERS_EXCEPTIONS.yaml": `version: 1
exceptions:
  - {id: EXC-3, rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
  - {id: "", rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
  - {id: "", rule: runbook.missing, paths: ["**"], reason: "Reason enough here.", expires: "2027-01-31"}
`,
	}
	msg := func(id, first string) string {
		return fmt.Sprintf("id %q is already used by %s; ids are unique in the repository and never reused, so give this exception a new one", id, first)
	}
	want := []Problem{
		{Path: "b/OWNERS_EXCEPTIONS.yaml", Line: 3, Column: 5, Message: msg("EXC-1", "a/OWNERS_EXCEPTIONS.yaml:5")},
		{Path: "b/OWNERS_EXCEPTIONS.yaml", Line: 5, Column: 5, Message: msg("EXC-2", "b/OWNERS_EXCEPTIONS.yaml:4")},
		{Path: "c/OWNERS_EXCEPTIONS.yaml", Line: 3, Column: 5, Message: msg("EXC-3", "a/OWNERS_EXCEPTIONS.yaml:3")},
	}
	parsed := parseAll(t, files)
	if diff := cmp.Diff(want, CheckIDs(parsed)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The order files come in does not decide which use is the later one.
	reversed := make([]*File, 0, len(parsed)+1)
	for i := len(parsed) - 1; i >= 0; i-- {
		reversed = append(reversed, parsed[i])
	}
	reversed = append(reversed, nil)
	if diff := cmp.Diff(want, CheckIDs(reversed)); diff != "" {
		t.Errorf("reversed (-want +got):\n%s", diff)
	}
}

func TestSetKeepsEntriesUnchanged(t *testing.T) {
	files := parseAll(t, repository)
	before := make([][]Entry, len(files))
	for i, f := range files {
		for _, e := range f.Entries {
			before[i] = append(before[i], *e)
		}
	}
	NewSet(files, units)
	for i, f := range files {
		var after []Entry
		for _, e := range f.Entries {
			after = append(after, *e)
		}
		if diff := cmp.Diff(before[i], after, cmpopts.IgnoreUnexported(Entry{})); diff != "" {
			t.Errorf("%s changed (-before +after):\n%s", f.Path, diff)
		}
	}
}

func TestExpired(t *testing.T) {
	set, _ := NewSet(parseAll(t, repository), units)
	tests := []struct {
		now, rule string
		want      []string
	}{
		{"2026-12-31T00:00:00Z", "runbook.missing", nil},
		{"2027-01-01T00:00:00Z", "runbook.missing", nil},               // PAY-2 is another rule's
		{"2027-02-01T00:00:00Z", "runbook.missing", []string{"PAY-1"}}, // the day after its last
		{"2027-02-01T00:00:00Z", "runbook.overdue", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range set.Expired(tt.rule, "payments/legacy/run.sh", instant(t, tt.now)) {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s at %s (-want +got):\n%s", tt.rule, tt.now, diff)
		}
	}
}
