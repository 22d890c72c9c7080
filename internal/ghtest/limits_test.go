package ghtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// The fake refuses, as GitHub does, bodies over GitHub's limit, counted in
// characters, not bytes, and takes them at the limit (a check run's output
// at its limit too; past it the schema check fails the test). The leases' reactions and labels answer as GitHub's do.
func TestWriteLimitsAndLeases(t *testing.T) {
	ctx := context.Background()
	gh, c := fixture(t)
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 1, Title: "A PR", User: "alice"})
	status := func(resp *github.Response) int {
		if resp == nil {
			return 0
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name  string
		chars int
		want  int
	}{{"at the limit", 65536, http.StatusCreated}, {"one past", 65537, http.StatusUnprocessableEntity}} {
		body := strings.Repeat("é", tc.chars) // two bytes each: characters count
		_, resp, _ := c.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: &body})
		if status(resp) != tc.want {
			t.Errorf("comment %s: %d, want %d", tc.name, status(resp), tc.want)
		}
		_, resp, _ = c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("t"), Body: &body})
		if status(resp) != tc.want {
			t.Errorf("issue %s: %d, want %d", tc.name, status(resp), tc.want)
		}
		if tc.want == http.StatusCreated {
			summary := body[:len(body)-2] // one character less: 65,535 is the check run's limit
			_, resp, _ = c.Checks.CreateCheckRun(ctx, "acme", "widgets", github.CreateCheckRunOptions{Name: "x", HeadSHA: strings.Repeat("a", 40),
				Status: github.String("in_progress"), Output: &github.CheckRunOutput{Title: github.String("t"), Summary: &summary}})
			if status(resp) != tc.want {
				t.Errorf("check run summary %s: %d, want %d", tc.name, status(resp), tc.want)
			}
		}
	}

	first, resp, err := c.Reactions.CreateIssueReaction(ctx, "acme", "widgets", 1, "eyes")
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("first reaction: %v %v", resp.StatusCode, err)
	}
	again, resp, err := c.Reactions.CreateIssueReaction(ctx, "acme", "widgets", 1, "eyes")
	if err != nil || resp.StatusCode != http.StatusOK || again.GetID() != first.GetID() {
		t.Fatalf("the same reaction again: %v %v, id %d want %d", resp.StatusCode, err, again.GetID(), first.GetID())
	}
	if _, err := c.Reactions.DeleteIssueReaction(ctx, "acme", "widgets", 1, first.GetID()); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := c.Issues.CreateLabel(ctx, "acme", "widgets", &github.Label{Name: github.String("lease")}); status(resp) != http.StatusCreated {
		t.Fatalf("label: %d", status(resp))
	}
	if _, resp, _ := c.Issues.CreateLabel(ctx, "acme", "widgets", &github.Label{Name: github.String("LEASE")}); status(resp) != http.StatusUnprocessableEntity {
		t.Errorf("a label that exists, in another case: %d, want 422", status(resp))
	}
	if _, err := c.Issues.DeleteLabel(ctx, "acme", "widgets", "lease"); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := c.Issues.GetLabel(ctx, "acme", "widgets", "lease"); status(resp) != http.StatusNotFound {
		t.Errorf("a deleted label: %d, want 404", status(resp))
	}
}
