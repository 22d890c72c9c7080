package sweep_test

import (
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// TestSweepDefaultBranchWithLinksOut: a default branch that holds links out
// of the repository (merged before ownerbot refused them) is swept like any
// other: the links are findings, the rest is planned, and a pull request
// without a check run still gets one.
func TestSweepDefaultBranchWithLinksOut(t *testing.T) {
	f := newFixture(t, "shop")
	f.repos["shop"].Commit("main", map[string]string{
		"evil/OWNERS.yaml": ghtest.Symlink("/etc/passwd"),
		"docs":             ghtest.Symlink("../../.."),
		"loop":             ghtest.Symlink("loop"),
	}, "Add links", day.AddDate(0, 0, -1))
	pr := f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 3, Author: "paul", When: day,
		HeadFiles: map[string]string{"payments/api/main.go": "package main // v2\n"}})

	s := f.sweeper(t, nil)
	sum := f.run(t, s)
	if sum.Failed != 0 || len(sum.Errors) != 0 {
		t.Fatalf("the sweep failed: %+v", sum)
	}
	// The work due in payments/ is found as before the links.
	var titles []string
	for _, iss := range f.gh.Issues("acme", "shop") {
		titles = append(titles, iss.Title)
		if strings.Contains(iss.Body, "/etc/passwd") {
			t.Errorf("issue %q shows where a link points:\n%s", iss.Title, iss.Body)
		}
	}
	if !strings.Contains(strings.Join(titles, "\n"), "Ownership work due in payments/") {
		t.Errorf("issues %q, want the payments/ issue", titles)
	}
	// The pull request that had no check run is checked on a base that
	// holds the links.
	if sum.Checked != 1 {
		t.Errorf("checked %d pull requests, want 1", sum.Checked)
	}
	runs := 0
	for _, r := range f.gh.CheckRuns("acme", "shop") {
		if r.HeadSHA == pr.HeadSHA && r.Status == "completed" {
			runs++
		}
	}
	if runs != 1 {
		t.Errorf("%d completed check runs on the pull request's head, want 1", runs)
	}

	// And again: a second sweep of the same state succeeds and writes
	// nothing.
	f.gh.ResetRecording()
	if sum := f.run(t, s); sum.Failed != 0 {
		t.Errorf("the second sweep failed: %+v", sum)
	}
	if w := writes(f.gh); len(w) != 0 {
		t.Errorf("a second sweep wrote: %v", w)
	}
}
