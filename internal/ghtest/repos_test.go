package ghtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// gitStatus asks the git server for owner/name's refs, as a clone starts,
// and returns the status; token "" sends no credentials.
func gitStatus(t *testing.T, gh *ghtest.GitHub, owner, name, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, gh.Git.CloneURL(owner, name)+"/info/refs?service=git-upload-pack", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("x-access-token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestDeleteRepo(t *testing.T) {
	ctx := context.Background()
	gh, c, _, _ := gitFixture(t)
	other := gh.Git.CreateRepo("acme", "other")
	other.Commit("main", map[string]string{"README.md": "# other\n"}, "initial", time.Time{})
	gh.AddRepo(1, "acme", "other", ghtest.RepoOptions{})
	token := gh.InstallationToken(1)
	if got := gitStatus(t, gh, "acme", "widgets", token); got != http.StatusOK {
		t.Fatalf("git before deletion: %d, want 200", got)
	}

	gh.DeleteRepo("acme", "widgets")

	if _, _, err := c.Repositories.Get(ctx, "acme", "widgets"); status(err) != http.StatusNotFound {
		t.Errorf("GET repository: %v, want 404", err)
	}
	if _, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7); status(err) != http.StatusNotFound {
		t.Errorf("GET pull request: %v, want 404", err)
	}
	if _, _, err := c.Issues.ListComments(ctx, "acme", "widgets", 7, nil); status(err) != http.StatusNotFound {
		t.Errorf("list comments: %v, want 404", err)
	}
	if got := gitStatus(t, gh, "acme", "widgets", token); got != http.StatusNotFound {
		t.Errorf("git with a token: %d, want 404", got)
	}
	if got := gitStatus(t, gh, "acme", "widgets", ""); got != http.StatusUnauthorized {
		t.Errorf("git without credentials: %d, want 401", got)
	}
	repos, _, err := c.Apps.ListRepos(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range repos.Repositories {
		names = append(names, r.GetFullName())
	}
	if want := []string{"acme/other"}; !cmp.Equal(names, want) {
		t.Errorf("installation repositories = %v, want %v", names, want)
	}

	// The rest of the installation is untouched.
	if _, _, err := c.Repositories.Get(ctx, "acme", "other"); err != nil {
		t.Errorf("other repository: %v", err)
	}
	if got := gitStatus(t, gh, "acme", "other", token); got != http.StatusOK {
		t.Errorf("git of the other repository: %d, want 200", got)
	}

	// A repository created again under the name is served again.
	again := gh.Git.CreateRepo("acme", "widgets")
	again.Commit("main", map[string]string{"README.md": "# again\n"}, "initial", time.Time{})
	gh.AddRepo(1, "acme", "widgets", ghtest.RepoOptions{})
	if got := gitStatus(t, gh, "acme", "widgets", token); got != http.StatusOK {
		t.Errorf("git after creating it again: %d, want 200", got)
	}
}

func TestGitServerDeleteRepoLeavesTheAPI(t *testing.T) {
	ctx := context.Background()
	gh, c, _, pr := gitFixture(t)
	gh.Git.DeleteRepo("acme", "widgets")
	got, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7)
	if err != nil || got.GetHead().GetSHA() != pr.HeadSHA {
		t.Errorf("GET pull request after the git side went: %v, %v", got, err)
	}
	if code := gitStatus(t, gh, "acme", "widgets", gh.InstallationToken(1)); code != http.StatusNotFound {
		t.Errorf("git: %d, want 404", code)
	}
}

func TestSetPullBase(t *testing.T) {
	ctx := context.Background()
	gh, c, repo, pr := gitFixture(t)
	// release forks from main's first commit and moves on by itself.
	repo.SetRef("refs/heads/release", repo.Rev("main~1"))
	release := repo.Commit("release", map[string]string{"RELEASE.md": "v1\n"}, "release notes", time.Time{})

	if got := gh.SetPullBase("acme", "widgets", 7, "release"); got != release {
		t.Errorf("SetPullBase = %s, want %s", got, release)
	}
	got, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetBase().GetRef() != "release" || got.GetBase().GetSHA() != release || got.GetHead().GetSHA() != pr.HeadSHA {
		t.Errorf("after SetPullBase: base %s@%s head %s", got.GetBase().GetRef(), got.GetBase().GetSHA(), got.GetHead().GetSHA())
	}
	// The files are the head's changes since main~1, where release forked:
	// main's README commit now counts, release's own commit does not.
	files, _, err := c.PullRequests.ListFiles(ctx, "acme", "widgets", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.GetStatus()+" "+f.GetFilename())
	}
	want := []string{"added README.md", "removed old.txt", "modified pay/a.go", "added pay/b.go"}
	if !cmp.Equal(names, want) {
		t.Errorf("files = %v, want %v", names, want)
	}
	if got.GetChangedFiles() != len(want) {
		t.Errorf("changed_files = %d, want %d", got.GetChangedFiles(), len(want))
	}
	open, _, err := c.PullRequests.List(ctx, "acme", "widgets", nil)
	if err != nil || len(open) != 1 || open[0].GetBase().GetRef() != "release" {
		t.Errorf("list pulls after SetPullBase: %v, %v", open, err)
	}
}
