package owners

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An OWNERS.yaml with a YAML anchor and several other mistakes reports every
// one of them at its position and keeps every field that was right (issue
// 15: one anchor used to hide the other errors and throw the unit away).
func TestAnchorKeepsTheRestOfTheFile(t *testing.T) {
	const file = `version: 1
owner: "@acme/payments"
tier: &t 2
lifecycle: live
approvers:
  - "@alice"
  - *t
  - bob
contact:
  slack: "#payments"
  emial: pay@example.com
review:
  interval: 90d
  last_reviewed: 2026-01-01
oncal: {}
runbooks: ["runbooks/*.md"]
`
	f, problems := Parse("payments/OWNERS.yaml", []byte(file))
	type at struct {
		Line, Column int
		Message      string
	}
	var got []at
	for _, p := range problems {
		if p.Path != "payments/OWNERS.yaml" {
			t.Errorf("problem %v names %s", p, p.Path)
		}
		got = append(got, at{p.Line, p.Column, p.Message})
	}
	want := []at{
		{3, 7, "anchors (&t) are not allowed; write the value out"},
		{4, 12, "lifecycle must be one of experimental, production, deprecated, not \"live\""},
		{7, 5, "aliases (*t) are not allowed; write the value out"},
		{8, 5, "an approver \"bob\" is not a GitHub @user or @org/team"},
		{11, 3, "unknown key \"emial\" in contact (did you mean \"email\"?)"},
		{14, 18, "review.last_reviewed must be quoted (\"2026-01-01\"): unquoted, YAML reads a date as a timestamp"},
		{15, 1, "unknown key \"oncal\" in OWNERS.yaml (did you mean \"oncall\"?)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	kept := struct {
		Version   int
		Owner     string
		Approvers []string
		Tier      int
		Slack     string
		Interval  int
		Runbooks  []string
	}{f.Version, f.Owner, f.Approvers, f.Tier, f.Contact.Slack, f.Review.Interval.Days, f.Runbooks}
	wantKept := kept
	wantKept.Version, wantKept.Owner, wantKept.Approvers, wantKept.Tier = 1, "@acme/payments", []string{"@alice"}, 0
	wantKept.Slack, wantKept.Interval, wantKept.Runbooks = "#payments", 90, []string{"runbooks/*.md"}
	if diff := cmp.Diff(wantKept, kept); diff != "" {
		t.Errorf("kept fields (-want +got):\n%s", diff)
	}
	// The refused field is still known to be written there, so findings
	// about it point at its line rather than calling it missing.
	if f.Lines["tier"] != 3 {
		t.Errorf("Lines[tier] = %d, want 3", f.Lines["tier"])
	}
}
