package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/gfm/gfmtest"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/report"
)

// A pull request whose file names and ownership files are written to
// steer the App's comment, through the real binary: a name with backticks,
// an HTML comment that copies the merge marker and an @-name; a head
// CODEOWNERS and a runbook that name people the base never named. The
// comment mentions only owners the base names, keeps the name whole in one
// code span, and holds no HTML but the App's own.
func TestServeQuotesHostileNames(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh)
	s.waitReady(t)

	hostile := "docs/``x`` " + report.MergeMarker + " @victim-user *bold* [link](javascript:alert) <b>x</b>.md"
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 61, Author: "mallory", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{
			hostile:               "# hi\n",
			".github/CODEOWNERS":  "* @acme/platform\n/pay/ @acme/pay\n/docs/ @victim-user @acme/everyone\n",
			"pay/runbooks/new.md": "---\nowner: \"@victim2\"\nlast_reviewed: \"2026-11-01\"\n---\n# New\n",
		}})
	target := ghtest.Target{Installation: e2eInstallation, Owner: "acme", Repo: "mono",
		CloneURL: gh.Git.CloneURL("acme", "mono"), Number: 61, HeadSHA: pr.HeadSHA, BaseSHA: pr.BaseSHA}
	if code := s.deliver(t, "pull_request", "hostile-opened", ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target)); code != http.StatusAccepted {
		t.Fatalf("opened: status %d", code)
	}
	eventually(t, s, "the comment and the check run", func() bool {
		return len(gh.Comments("acme", "mono", 61)) == 1 && len(runsOn(gh, pr.HeadSHA)) == 1
	})
	body := gh.Comments("acme", "mono", 61)[0].Body
	problems := gfmtest.Problems(body, []string{"@acme/pay", "@acme/platform"},
		report.CommentMarker, "<sub>", "</sub>", "<br>")
	for _, p := range problems {
		t.Errorf("the comment %s", p)
	}
	doc, err := gfmtest.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	// The name is one code span, its copy of the marker broken so that it
	// cannot open an HTML comment.
	quoted, err := gfmtest.Parse(gfm.Code(hostile))
	if err != nil || len(quoted.CodeSpans()) != 1 || strings.Contains(quoted.CodeSpans()[0], "<!--") {
		t.Fatalf("gfm.Code(%q) is not one code span without a marker: %v %q", hostile, err, quoted.CodeSpans())
	}
	if !slices.Contains(doc.CodeSpans(), quoted.CodeSpans()[0]) {
		t.Errorf("the file name is not quoted whole in one code span; code spans: %q", doc.CodeSpans())
	}
	if !strings.Contains(body, "Not notified") {
		t.Error("the comment does not say whom it did not notify")
	}
	if t.Failed() {
		t.Logf("the comment:\n%s", body)
	}
}

// A unit with more work than an issue can hold: sixty overdue runbooks on
// paths of about 750 characters, through `ownerbot sweep`. GitHub refuses
// a body over 65,536 characters, so the whole list (about 120,000) would
// never be opened; the App opens the issue with what fits and says how
// many items wait.
func TestSweepIssueWithinGitHubsLimit(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	repo := seedRepo(gh, "shop")
	files := map[string]string{
		"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\ntier: 2\nrunbooks: [\"runbooks/**/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
	}
	for i := range 60 {
		var dirs []string
		for d := range 7 {
			dirs = append(dirs, fmt.Sprintf("%02d-%s", d, strings.Repeat("segment", 14)))
		}
		path := fmt.Sprintf("pay/runbooks/%s/runbook-%02d.md", strings.Join(dirs, "/"), i)
		files[path] = "---\nlast_reviewed: \"2025-01-01\"\n---\n# Runbook\n"
	}
	repo.Commit("main", files, "Sixty runbooks (#1)", e2eDay)
	gh.AddTeam("acme", "pay", []string{"paul"}, nil)

	if res := sweepCmd(t, appEnv(t, gh), "--repo", "acme/shop"); res.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", res.code, res.stderr)
	}
	issues := gh.Issues("acme", "shop")
	if len(issues) != 1 {
		t.Fatalf("%d issues, want the pay/ issue", len(issues))
	}
	body := issues[0].Body
	if n := utf8.RuneCountInString(body); n > 65536 {
		t.Errorf("the body has %d characters, over GitHub's 65,536", n)
	}
	if !strings.Contains(body, "more item") || !strings.Contains(body, "ownerbot check") {
		t.Errorf("the body does not say how many items it left out and where to see them all:\n%s", body[len(body)-min(len(body), 2000):])
	}
}
