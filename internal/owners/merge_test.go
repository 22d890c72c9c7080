package owners

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// An OWNERS.yaml beside another source of the same directory makes one
// unit: each field from the first file that sets it, each finding's
// position in the file that wrote the field.
func TestMergeFieldByField(t *testing.T) {
	yamlFile, problems := Parse("svc/OWNERS.yaml", []byte("version: 1\ntier: 1\nreview: {last_reviewed: \"2026-11-01\"}\napprovers: [\"@alice\", \"@bob\"]\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	descriptor := &File{
		Path: "svc/catalog-info.yaml", Dir: "svc", Source: SourceBackstage, Version: 1,
		Owner: "@acme/payments", Lifecycle: Experimental, Tier: 3,
		Approvers: []string{"@carol"},
		Lines:     map[string]int{"owner": 7, "lifecycle": 8, "approvers": 9},
		Handles: []Handle{
			{Name: "@acme/payments", Field: "owner", Path: "svc/catalog-info.yaml", Line: 7, Column: 10},
			{Name: "@carol", Field: "approvers", Path: "svc/catalog-info.yaml", Line: 9, Column: 3},
		},
	}
	tree := Build([]*File{yamlFile, descriptor})
	u := tree.UnitOf("svc/main.go")
	if u == nil {
		t.Fatal("no unit for svc/main.go")
	}
	got := struct {
		Owner, Lifecycle string
		Tier             int
		Approvers        []string
		LastReviewed     time.Time
		Sources          int
		Handles          []Handle
	}{u.Owner, u.Lifecycle, u.Tier, u.Approvers, u.File.Review.LastReviewed, len(u.File.Sources), u.File.Handles}
	want := got
	want.Owner, want.Lifecycle, want.Tier = "@acme/payments", Experimental, 1
	want.Approvers = []string{"@alice", "@bob"}
	want.LastReviewed = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	want.Sources = 2
	want.Handles = []Handle{
		{Name: "@alice", Field: "approvers", Path: "svc/OWNERS.yaml", Line: 4, Column: 13},
		{Name: "@bob", Field: "approvers", Path: "svc/OWNERS.yaml", Line: 4, Column: 23},
		{Name: "@acme/payments", Field: "owner", Path: "svc/catalog-info.yaml", Line: 7, Column: 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged unit (-want +got):\n%s", diff)
	}
	for key, want := range map[string]string{"owner": "svc/catalog-info.yaml:7", "tier": "svc/OWNERS.yaml:2", "approvers": "svc/OWNERS.yaml:4", "runbooks": "svc/OWNERS.yaml:1"} {
		p, l := u.File.Where(key)
		if got := fmt.Sprintf("%s:%d", p, l); got != want {
			t.Errorf("Where(%q) = %s, want %s", key, got, want)
		}
	}
}
