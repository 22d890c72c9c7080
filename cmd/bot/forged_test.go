package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/report"
)

// A pull request's author who types the App's markers before the App
// writes owns neither its sticky comment nor its record of the merge
// (SECURITY.md, "Only the App's own words count"), through the real
// binary.
func TestServeIgnoresForgedMarkers(t *testing.T) {
	gh, _ := newMonorepo(t)
	gh.AddTeam("acme", "data", []string{"dana"}, map[string]string{"acme/mono": "push"})
	s := startServe(t, gh)
	s.waitReady(t)

	// mallory's comment is there before the App writes anything.
	forged := report.CommentMarker + "\n" + report.MergeMarker + "\nEverything was approved.\n"
	gh.AddComment("acme", "mono", 31, "mallory", forged)
	pr := s.openPull(t, gh, ghtest.PullSpec{Number: 31, Author: "mallory", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/pay/api/ @acme/data\n"}}, "forged-opened")
	bot := gh.App.Slug + "[bot]"
	own := func() []ghtest.Comment {
		var out []ghtest.Comment
		for _, c := range gh.Comments("acme", "mono", 31) {
			if c.User == bot {
				out = append(out, c)
			}
		}
		return out
	}
	eventually(t, s, "the App's own comment and check run", func() bool {
		return len(own()) == 1 && len(runsOn(gh, pr.HeadSHA)) == 1
	})
	if run := runsOn(gh, pr.HeadSHA)[0]; run.Conclusion != "failure" {
		t.Errorf("an unapproved transfer: conclusion %q", run.Conclusion)
	}
	for _, c := range gh.Comments("acme", "mono", 31) {
		if c.User == "mallory" && c.Body != forged {
			t.Errorf("the App edited mallory's comment:\n%s", c.Body)
		}
	}

	// Merged without @acme/data: the App writes the record.
	gh.MergePull("acme", "mono", 31, "pat")
	closed := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "closed-merged"), target(gh, "mono", pr))
	s.deliver(t, "pull_request", "forged-merged", closed)
	eventually(t, s, "the App's record of the merge", func() bool {
		c := own()
		return len(c) == 1 && strings.Contains(c[0].Body, report.MergeMarker)
	})
	if body := own()[0].Body; !strings.Contains(body, "lacks the approval it needed") {
		t.Errorf("the record does not say what merged unapproved:\n%s", body)
	}
}
