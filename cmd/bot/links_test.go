package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// TestServePullRequestAddingALinkOut is issue 14, row 3, as a user meets
// it: a pull request adds evil/OWNERS.yaml -> /etc/passwd; serve publishes
// its check run and its comment, both naming the link, and stays healthy.
func TestServePullRequestAddingALinkOut(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh)
	pr := s.openPull(t, gh, ghtest.PullSpec{Number: 12, Author: "mallory", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n", "evil/OWNERS.yaml": ghtest.Symlink("/etc/passwd")}}, "link-opened")
	eventually(t, s, "the check run and the comment", func() bool {
		return len(runsOn(gh, pr.HeadSHA)) == 1 && len(gh.Comments("acme", "mono", 12)) == 1
	})
	s.waitJob(t, "link-opened")

	run := runsOn(gh, pr.HeadSHA)[0]
	if run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("check run %s/%s (%s), want a completed failure", run.Status, run.Conclusion, run.Title)
	}
	if !hasAnnotation(run, "evil/OWNERS.yaml", 1, "link.outside_repository") {
		t.Errorf("no failure annotation on the link: %+v", run.Annotations)
	}
	body := gh.Comments("acme", "mono", 12)[0].Body
	for _, want := range []string{"evil/OWNERS.yaml", "link.outside_repository", "outside the repository", "pay/api/main.go"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment does not mention %q:\n%s", want, body)
		}
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	first, _, _ := strings.Cut(string(passwd), "\n")
	for _, text := range []string{body, run.Summary, run.Text} {
		if strings.Contains(text, "/etc/passwd") || first != "" && strings.Contains(text, first) {
			t.Errorf("the check shows where the link points or what is there:\n%s", text)
		}
	}
	checkHealthy(t, s)
}
