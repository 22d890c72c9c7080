package ghtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

func TestPulls(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	var files []ghtest.PullFile
	for i := range 3500 {
		files = append(files, ghtest.PullFile{Filename: fmt.Sprintf("f/%04d.go", i), Status: "added", Additions: 1})
	}
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 7, Title: "Big", User: "alice", HeadRef: "big", HeadSHA: strings.Repeat("a", 40), BaseSHA: strings.Repeat("b", 40), Files: files})
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 8, Title: "Old", User: "bob", State: "closed", Merged: true})
	gh.AddReview("acme", "widgets", 7, ghtest.Review{User: "carol", State: "APPROVED"})

	pr, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7)
	if err != nil || pr.GetChangedFiles() != 3500 || pr.GetHead().GetSHA() != strings.Repeat("a", 40) || pr.GetUser().GetLogin() != "alice" {
		t.Fatalf("Get = %v, %v", pr, err)
	}

	var got int
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.PullRequests.ListFiles(ctx, "acme", "widgets", 7, opts)
		if err != nil {
			t.Fatal(err)
		}
		got += len(page)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if got != 3000 {
		t.Errorf("listed %d files, want GitHub's cap of 3000", got)
	}

	open, _, err := c.PullRequests.List(ctx, "acme", "widgets", nil)
	if err != nil || len(open) != 1 || open[0].GetNumber() != 7 {
		t.Errorf("List open = %v, %v", open, err)
	}
	all, _, err := c.PullRequests.List(ctx, "acme", "widgets", &github.PullRequestListOptions{State: "all"})
	if err != nil || len(all) != 2 {
		t.Errorf("List all = %d, %v", len(all), err)
	}

	reviews, _, err := c.PullRequests.ListReviews(ctx, "acme", "widgets", 7, nil)
	if err != nil || len(reviews) != 1 || reviews[0].GetState() != "APPROVED" || reviews[0].GetCommitID() != strings.Repeat("a", 40) {
		t.Errorf("ListReviews = %v, %v", reviews, err)
	}
	gh.SetPullHead("acme", "widgets", 7, strings.Repeat("c", 40), nil)
	commits, _, err := c.PullRequests.ListCommits(ctx, "acme", "widgets", 7, nil)
	if err != nil || len(commits) != 2 || commits[1].GetSHA() != strings.Repeat("c", 40) {
		t.Errorf("ListCommits = %v, %v", commits, err)
	}

	if _, _, err := c.PullRequests.RequestReviewers(ctx, "acme", "widgets", 7, github.ReviewersRequest{Reviewers: []string{"carol"}, TeamReviewers: []string{"core"}}); err != nil {
		t.Fatal(err)
	}
	rv, _, err := c.PullRequests.ListReviewers(ctx, "acme", "widgets", 7, nil)
	if err != nil || len(rv.Users) != 1 || rv.Users[0].GetLogin() != "carol" || rv.Teams[0].GetSlug() != "core" {
		t.Errorf("ListReviewers = %v, %v", rv, err)
	}
}

func TestIssuesAndComments(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 1, Title: "A PR", User: "alice"})

	created, _, err := c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{
		Title: github.String("Runbook overdue"), Body: github.String("<!-- ownerbot:unit=payments -->\nPlease review."),
		Labels: &[]string{"ownerbot", "runbook"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetNumber() != 2 {
		t.Errorf("issue number = %d, want 2 (numbers are shared with pulls)", created.GetNumber())
	}
	if _, _, err := c.Issues.AddLabelsToIssue(ctx, "acme", "widgets", 2, []string{"escalated"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.AddAssignees(ctx, "acme", "widgets", 2, []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.Edit(ctx, "acme", "widgets", 2, &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	iss, _, err := c.Issues.Get(ctx, "acme", "widgets", 2)
	if err != nil || iss.GetState() != "closed" || iss.GetStateReason() != "completed" {
		t.Errorf("Get = %v, %v", iss, err)
	}

	list := func(o *github.IssueListByRepoOptions) []int {
		t.Helper()
		is, _, err := c.Issues.ListByRepo(ctx, "acme", "widgets", o)
		if err != nil {
			t.Fatal(err)
		}
		var n []int
		for _, i := range is {
			n = append(n, i.GetNumber())
		}
		return n
	}
	if got := list(nil); !cmp.Equal(got, []int{1}) {
		t.Errorf("open = %v, want [1]", got)
	}
	if got := list(&github.IssueListByRepoOptions{State: "all", Labels: []string{"ownerbot", "escalated"}}); !cmp.Equal(got, []int{2}) {
		t.Errorf("labels = %v, want [2]", got)
	}
	if got := list(&github.IssueListByRepoOptions{State: "all", Creator: "alice"}); !cmp.Equal(got, []int{1}) {
		t.Errorf("creator = %v, want [1]", got)
	}
	if got := list(&github.IssueListByRepoOptions{State: "all", Since: time.Now().Add(time.Hour)}); len(got) != 0 {
		t.Errorf("since = %v, want none", got)
	}

	cm, _, err := c.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: github.String("<!-- ownerbot:sticky --> v1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.EditComment(ctx, "acme", "widgets", cm.GetID(), &github.IssueComment{Body: github.String("<!-- ownerbot:sticky --> v2")}); err != nil {
		t.Fatal(err)
	}
	gh.AddComment("acme", "widgets", 1, "alice", "thanks")
	listed, _, err := c.Issues.ListComments(ctx, "acme", "widgets", 1, nil)
	if err != nil || len(listed) != 2 {
		t.Fatalf("ListComments = %v, %v", listed, err)
	}
	want := []ghtest.Comment{
		{ID: cm.GetID(), Number: 1, User: "ownerbot-test[bot]", Body: "<!-- ownerbot:sticky --> v2"},
		{ID: listed[1].GetID(), Number: 1, User: "alice", Body: "thanks"},
	}
	if d := cmp.Diff(want, gh.Comments("acme", "widgets", 1)); d != "" {
		t.Errorf("Comments (-want +got):\n%s", d)
	}
	wantIssues := []ghtest.Issue{{Number: 2, Title: "Runbook overdue", Body: "<!-- ownerbot:unit=payments -->\nPlease review.", User: "ownerbot-test[bot]",
		State: "closed", StateReason: "completed", Labels: []string{"ownerbot", "runbook", "escalated"}, Assignees: []string{"alice"}}}
	if d := cmp.Diff(wantIssues, gh.Issues("acme", "widgets")); d != "" {
		t.Errorf("Issues (-want +got):\n%s", d)
	}
}

func TestSearchIssues(t *testing.T) {
	ctx := context.Background()
	rep := &reports{}
	gh, c := fixture(t, ghtest.WithReporter(rep.add))
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 1, Title: "A PR", User: "alice"})
	for _, body := range []string{"<!-- ownerbot:unit=payments -->", "<!-- ownerbot:unit=search -->"} {
		if _, _, err := c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("t"), Body: github.String(body), Labels: &[]string{"ownerbot"}}); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string][]int{
		`repo:acme/widgets is:issue label:ownerbot in:body "ownerbot:unit=payments"`: {2},
		`repo:acme/widgets is:issue is:open label:ownerbot`:                          {3, 2},
		`repo:acme/widgets is:pr author:alice`:                                       {1},
		`repo:acme/widgets is:closed`:                                                nil,
		`repo:acme/other`:                                                            nil,
	}
	for q, want := range cases {
		res, _, err := c.Search.Issues(ctx, q, nil)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		var got []int
		for _, i := range res.Issues {
			got = append(got, i.GetNumber())
		}
		if !cmp.Equal(got, want) || res.GetTotal() != len(want) {
			t.Errorf("%s = %v (total %d), want %v", q, got, res.GetTotal(), want)
		}
	}
	if len(rep.all()) != 0 {
		t.Errorf("unexpected reports: %v", rep.all())
	}
	if _, _, err := c.Search.Issues(ctx, "repo:acme/widgets milestone:v1", nil); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("unknown qualifier: err = %v, want 422", err)
	}
	if got := rep.all(); len(got) != 1 || !strings.Contains(got[0], "milestone:") {
		t.Errorf("reports = %v, want one about milestone:", got)
	}
}

// Search trails writes: what was created or changed within the lag is not
// found, or found as it was, so a bot cannot dedupe through search.
func TestSearchLags(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	gh.SetNow(t0)
	gh.SetAuthClock(time.Now)
	gh.SetSearchLag(time.Minute)
	search := func(q string) []int {
		t.Helper()
		res, _, err := c.Search.Issues(ctx, "repo:acme/widgets "+q, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, i := range res.Issues {
			got = append(got, i.GetNumber())
		}
		return got
	}
	iss, _, err := c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("t"), Body: github.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	if got := search("first"); got != nil {
		t.Errorf("found %v the moment it was created", got)
	}
	gh.SetNow(t0.Add(time.Minute))
	if _, _, err := c.Issues.Edit(ctx, "acme", "widgets", iss.GetNumber(), &github.IssueRequest{Body: github.String("second")}); err != nil {
		t.Fatal(err)
	}
	if got, old := search("second"), search("first"); got != nil || !cmp.Equal(old, []int{1}) {
		t.Errorf("a minute on, search finds the new body in %v and the old in %v; want only the old", got, old)
	}
	gh.SetNow(t0.Add(2 * time.Minute))
	if got, old := search("second"), search("first"); !cmp.Equal(got, []int{1}) || old != nil {
		t.Errorf("once the lag passed, search finds the new body in %v and the old in %v", got, old)
	}
	if got := gh.Issues("acme", "widgets"); got[0].Body != "second" {
		t.Errorf("reads do not lag: %q", got[0].Body)
	}
}

func TestCheckRuns(t *testing.T) {
	ctx := context.Background()
	rep := &reports{}
	gh, c := fixture(t, ghtest.WithReporter(rep.add))
	sha := strings.Repeat("d", 40)
	annotations := func(n int) []*github.CheckRunAnnotation {
		var out []*github.CheckRunAnnotation
		for i := range n {
			out = append(out, &github.CheckRunAnnotation{Path: github.String("CODEOWNERS"), StartLine: github.Int(i + 1), EndLine: github.Int(i + 1),
				AnnotationLevel: github.String("warning"), Message: github.String("unknown owner")})
		}
		return out
	}
	run, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{
		Name: "ownerbot", HeadSHA: sha, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("t"), Summary: github.String("s"), Annotations: annotations(50)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Checks.UpdateCheckRun(ctx, "acme", "widgets", run.GetID(), github.UpdateCheckRunOptions{
		Name: "ownerbot", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("2 problems"), Summary: github.String("summary"), Annotations: annotations(30)},
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Checks.UpdateCheckRun(ctx, "acme", "widgets", run.GetID(), github.UpdateCheckRunOptions{
		Name: "ownerbot", Output: &github.CheckRunOutput{Title: github.String("x"), Summary: github.String("x"), Annotations: annotations(51)},
	})
	if status(err) != http.StatusUnprocessableEntity {
		t.Errorf("51 annotations: err = %v, want 422", err)
	}
	// The description caps annotations at 50, so the fake also reports it.
	if got := rep.all(); len(got) != 1 || !strings.Contains(got[0], "maximum number of items is 50") {
		t.Errorf("reports = %q, want one about the 50 annotation cap", got)
	}
	if _, _, err := c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: "other", HeadSHA: sha, Status: github.String("queued")}); err != nil {
		t.Fatal(err)
	}

	runs := gh.CheckRuns("acme", "widgets")
	if len(runs) != 2 {
		t.Fatalf("CheckRuns = %d, want 2", len(runs))
	}
	got := runs[0]
	if got.Status != "completed" || got.Conclusion != "failure" || got.Title != "2 problems" || len(got.Annotations) != 80 || got.Writes != 2 {
		t.Errorf("check run = %+v (annotations %d)", got, len(got.Annotations))
	}

	res, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", sha, &github.ListCheckRunsOptions{CheckName: github.String("ownerbot")})
	if err != nil || res.GetTotal() != 1 || res.CheckRuns[0].GetConclusion() != "failure" || res.CheckRuns[0].GetOutput().GetAnnotationsCount() != 80 {
		t.Errorf("ListCheckRunsForRef = %v, %v", res, err)
	}
	res, _, err = c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", sha, &github.ListCheckRunsOptions{Status: github.String("queued")})
	if err != nil || res.GetTotal() != 1 || res.CheckRuns[0].GetName() != "other" {
		t.Errorf("ListCheckRunsForRef status=queued = %v, %v", res, err)
	}
}

func TestTeamsAndPeople(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	gh.AddTeam("acme", "payments", []string{"alice", "bob"}, map[string]string{"widgets": "maintain"})
	gh.AddOrgMember("acme", "carol")
	gh.AddUser("mallory")
	gh.AddCollaborator("acme", "widgets", "carol", "triage")

	team, _, err := c.Teams.GetTeamBySlug(ctx, "acme", "payments")
	if err != nil || team.GetSlug() != "payments" {
		t.Fatalf("GetTeamBySlug = %v, %v", team, err)
	}
	members, _, err := c.Teams.ListTeamMembersBySlug(ctx, "acme", "payments", nil)
	if err != nil || len(members) != 2 {
		t.Errorf("members = %v, %v", members, err)
	}
	if m, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "acme", "payments", "bob"); err != nil || m.GetState() != "active" {
		t.Errorf("membership bob = %v, %v", m, err)
	}
	if _, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "acme", "payments", "carol"); status(err) != http.StatusNotFound {
		t.Errorf("membership carol: %v, want 404", err)
	}
	if _, _, err := c.Teams.GetTeamBySlug(ctx, "acme", "nope"); status(err) != http.StatusNotFound {
		t.Errorf("unknown team: %v, want 404", err)
	}
	for login, want := range map[string]bool{"alice": true, "carol": true, "mallory": false} {
		if got, _, err := c.Organizations.IsMember(ctx, "acme", login); err != nil || got != want {
			t.Errorf("IsMember(%s) = %v, %v; want %v", login, got, err, want)
		}
	}
	if m, _, err := c.Organizations.GetOrgMembership(ctx, "carol", "acme"); err != nil || m.GetState() != "active" {
		t.Errorf("GetOrgMembership = %v, %v", m, err)
	}
	if u, _, err := c.Users.Get(ctx, "mallory"); err != nil || u.GetLogin() != "mallory" {
		t.Errorf("Users.Get = %v, %v", u, err)
	}
	if _, _, err := c.Users.Get(ctx, "ghost"); status(err) != http.StatusNotFound {
		t.Errorf("unknown user: %v, want 404", err)
	}
	for login, want := range map[string]string{"alice": "write", "carol": "read", "mallory": "none", "acme": "admin"} {
		p, _, err := c.Repositories.GetPermissionLevel(ctx, "acme", "widgets", login)
		if err != nil || p.GetPermission() != want {
			t.Errorf("permission(%s) = %v, %v; want %s", login, p.GetPermission(), err, want)
		}
	}
}

func TestCodeownersErrorsNameUnknownOwners(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	gh.AddTeam("acme", "payments", []string{"alice"}, map[string]string{"widgets": "write"})
	gh.AddTeam("acme", "readers", []string{"bob"}, map[string]string{"widgets": "read"})
	gh.AddUser("mallory")
	gh.SetFile("acme", "widgets", "main", ".github/CODEOWNERS",
		"# owners\n*  @acme/payments  ops@acme.example\n/docs/ @alice @mallory @acme/readers @acme/ghost # note @nobody\n")

	got, _, err := c.Repositories.GetCodeownersErrors(ctx, "acme", "widgets", &github.GetCodeownersErrorsOptions{Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	type e struct {
		Line, Column int
		Kind, Owner  string
	}
	var all []e
	for _, x := range got.Errors {
		all = append(all, e{x.Line, x.Column, x.Kind, strings.Fields(x.Source[x.Column-1:])[0]})
		if x.Path != ".github/CODEOWNERS" || !strings.Contains(x.Message, "Unknown owner on line 3") {
			t.Errorf("error %+v: wrong path or message", x)
		}
	}
	want := []e{{3, 15, "Unknown owner", "@mallory"}, {3, 24, "Unknown owner", "@acme/readers"}, {3, 38, "Unknown owner", "@acme/ghost"}}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if _, _, err := c.Repositories.GetCodeownersErrors(ctx, "acme", "widgets", &github.GetCodeownersErrorsOptions{Ref: "elsewhere"}); status(err) != http.StatusNotFound {
		t.Errorf("no CODEOWNERS at the ref: %v, want 404", err)
	}
}
