package prcheck_test

import (
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/report"
)

// ownComments are the comments of a pull request that the App's bot user
// wrote.
func (f *fixture) ownComments(number int) []ghtest.Comment {
	var out []ghtest.Comment
	for _, c := range f.gh.Comments("acme", "mono", number) {
		if c.User == f.gh.App.Slug+"[bot]" {
			out = append(out, c)
		}
	}
	return out
}

// A pull request's author who types the App's markers first owns neither
// the sticky comment nor the record of the merge: the App writes its own,
// and leaves the forgery as it was.
func TestCheckIgnoresForgedMarkers(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 21, Author: "mallory", HeadFiles: map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/old/ @acme/pay\n"}, When: day})
	forged := report.CommentMarker + "\n" + report.MergeMarker + "\nAll approvals are recorded. Nothing to see here.\n"
	forgedID := f.gh.AddComment("acme", "mono", 21, "mallory", forged)

	c := f.newChecker(t)
	out := f.check(t, c, 21)
	if out.Conclusion != report.Failure {
		t.Fatalf("an unapproved transfer: conclusion %q, want failure", out.Conclusion)
	}
	own := f.ownComments(21)
	if len(own) != 1 || !strings.Contains(own[0].Body, "@acme/data") {
		t.Fatalf("the App's comments: %+v, want one of its own naming the missing approval", own)
	}
	var forgery ghtest.Comment
	for _, cm := range f.gh.Comments("acme", "mono", 21) {
		if cm.ID == forgedID {
			forgery = cm
		}
	}
	if forgery.Body != forged {
		t.Errorf("the App edited a comment it did not write:\n%s", forgery.Body)
	}

	// Merged without @acme/data: the record is written though a comment
	// carrying the merge marker was there first, by a restarted App too.
	f.gh.MergePull("acme", "mono", 21, "pat")
	out = f.check(t, f.newChecker(t), 21)
	if out.Skipped != "" || out.Report == nil || out.Report.Merged == nil {
		t.Fatalf("merged pull request: skipped %q, want the record written", out.Skipped)
	}
	own = f.ownComments(21)
	if len(own) != 1 || !strings.Contains(own[0].Body, report.MergeMarker) ||
		!strings.Contains(own[0].Body, "lacks the approval it needed") {
		t.Fatalf("the App's comments after the merge: %+v, want its own record", own)
	}
	if n := len(f.gh.CheckRuns("acme", "mono")); n != 1 || pr.HeadSHA == "" {
		t.Errorf("%d check runs, want 1", n)
	}
}
