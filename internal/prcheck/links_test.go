package prcheck_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/report"
)

// TestCheckPullRequestAddingALinkOut: a pull request that adds
// evil/OWNERS.yaml -> /etc/passwd gets its check run and its sticky
// comment, both naming the link, with the rest of its evaluation; nothing
// past the link is read.
func TestCheckPullRequestAddingALinkOut(t *testing.T) {
	f := newFixture(t)
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 9, Author: "mallory",
		HeadFiles: map[string]string{"pay/batch/job.go": "package batch // v2\n", "evil/OWNERS.yaml": ghtest.Symlink("/etc/passwd")}, When: day})
	c := f.newChecker(t)
	out := f.check(t, c, 9)
	if out.Conclusion != report.Failure {
		t.Errorf("conclusion %q, want failure: the link is a new error", out.Conclusion)
	}
	run, comment := f.one(t, 9, pr.HeadSHA)
	if run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("check run %+v", run)
	}
	annotated := false
	for _, a := range run.Annotations {
		if a.Path == "evil/OWNERS.yaml" && strings.Contains(a.Message+a.Title, "outside the repository") {
			annotated = true
		}
	}
	if !annotated {
		t.Errorf("no annotation on the link: %+v", run.Annotations)
	}
	for _, want := range []string{
		"link.outside_repository", "evil/OWNERS.yaml", "outside the repository",
		// The rest of the evaluation: who owns the change, and the runbooks.
		"pay/batch/job.go", "@acme/pay", "pay/runbooks/outage.md",
	} {
		if !strings.Contains(comment.Body, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment.Body)
		}
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	first, _, _ := strings.Cut(string(passwd), "\n")
	for _, text := range []string{comment.Body, run.Title, run.Summary, run.Text} {
		if strings.Contains(text, "/etc/passwd") || first != "" && strings.Contains(text, first) {
			t.Errorf("the check shows where the link points or what is there:\n%s", text)
		}
	}
}
