package ghtest_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// gitFixture is acme/widgets with two commits on main and PR 7 on top.
func gitFixture(t *testing.T) (*ghtest.GitHub, *github.Client, *ghtest.FixtureRepo, ghtest.Pull) {
	t.Helper()
	gh, c := fixture(t)
	repo := gh.Git.CreateRepo("acme", "widgets")
	repo.Commit("main", map[string]string{"CODEOWNERS": "* @acme/core\n", "pay/a.go": "package pay\n", "old.txt": "x\n"}, "initial", time.Time{})
	repo.Commit("main", map[string]string{"README.md": "# widgets\n"}, "readme", time.Time{})
	pr := gh.OpenPull("acme", "widgets", ghtest.PullSpec{
		Number: 7, Author: "alice",
		HeadFiles: map[string]string{"pay/a.go": "package pay\n\nfunc A() {}\n", "pay/b.go": "package pay\n", "old.txt": ghtest.Deleted},
	})
	return gh, c, repo, pr
}

func TestOpenPullAndGitEndpoints(t *testing.T) {
	ctx := context.Background()
	gh, c, repo, pr := gitFixture(t)

	wantFiles := []ghtest.PullFile{
		{Filename: "old.txt", Status: "removed", Deletions: 1},
		{Filename: "pay/a.go", Status: "modified", Additions: 2},
		{Filename: "pay/b.go", Status: "added", Additions: 1},
	}
	if d := cmp.Diff(wantFiles, pr.Files); d != "" {
		t.Errorf("OpenPull files (-want +got):\n%s", d)
	}
	if pr.BaseSHA != repo.Rev("main") || pr.HeadSHA != repo.Rev("refs/pull/7/head") {
		t.Errorf("pull SHAs = %s..%s", pr.BaseSHA, pr.HeadSHA)
	}
	// Fixed identities and dates make SHAs reproducible.
	if again := gh.Git.CreateRepo("acme", "again"); again.Commit("main", map[string]string{"CODEOWNERS": "* @acme/core\n", "pay/a.go": "package pay\n", "old.txt": "x\n"}, "initial", time.Time{}) != repo.Rev("main~1") {
		t.Error("same commit in two repositories got different SHAs")
	}

	files, _, err := c.PullRequests.ListFiles(ctx, "acme", "widgets", 7, nil)
	if err != nil || len(files) != 3 || files[2].GetFilename() != "pay/b.go" {
		t.Errorf("ListFiles = %v, %v", files, err)
	}

	fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "widgets", "pay/a.go", &github.RepositoryContentGetOptions{Ref: pr.HeadSHA})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := fc.GetContent(); s != "package pay\n\nfunc A() {}\n" {
		t.Errorf("content = %q", s)
	}
	gh.SetFile("acme", "widgets", "main", "OWNERS.yaml", "unit: pay\n")
	fc, _, _, err = c.Repositories.GetContents(ctx, "acme", "widgets", "OWNERS.yaml", nil)
	if s, _ := fc.GetContent(); err != nil || s != "unit: pay\n" {
		t.Errorf("SetFile content = %q, %v", s, err)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "widgets", "missing", nil); status(err) != 404 {
		t.Errorf("missing file: %v, want 404", err)
	}

	commit, _, err := c.Repositories.GetCommit(ctx, "acme", "widgets", "main", nil)
	if err != nil || commit.GetSHA() != pr.BaseSHA || commit.GetCommit().GetMessage() != "readme" || len(commit.Files) != 1 {
		t.Errorf("GetCommit = %v, %v", commit, err)
	}
	commits, _, err := c.Repositories.ListCommits(ctx, "acme", "widgets", &github.CommitsListOptions{SHA: pr.HeadSHA, Path: "pay/a.go"})
	if err != nil || len(commits) != 2 {
		t.Errorf("ListCommits path = %d, %v", len(commits), err)
	}
	cmpRes, _, err := c.Repositories.CompareCommits(ctx, "acme", "widgets", "main", "pr-7", nil)
	if err != nil || cmpRes.GetStatus() != "ahead" || cmpRes.GetAheadBy() != 1 || len(cmpRes.Files) != 3 {
		t.Errorf("CompareCommits = %v, %v", cmpRes, err)
	}
	tree, _, err := c.Git.GetTree(ctx, "acme", "widgets", pr.HeadSHA, true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range tree.Entries {
		paths = append(paths, e.GetType()+" "+e.GetPath())
	}
	if want := []string{"blob CODEOWNERS", "blob README.md", "tree pay", "blob pay/a.go", "blob pay/b.go"}; !cmp.Equal(paths, want) {
		t.Errorf("tree = %v, want %v", paths, want)
	}

	head := gh.PushPull("acme", "widgets", 7, map[string]string{"pay/c.go": "package pay\n"}, "more", time.Time{})
	got, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7)
	if err != nil || got.GetHead().GetSHA() != head || got.GetChangedFiles() != 4 {
		t.Errorf("after push: %v, %v", got, err)
	}
	runs, _, err := c.Checks.ListCheckRunsForRef(ctx, "acme", "widgets", "pr-7", nil)
	if err != nil || runs.GetTotal() != 0 {
		t.Errorf("ListCheckRunsForRef(branch) = %v, %v", runs, err)
	}
}

func TestGitCloneNeedsToken(t *testing.T) {
	gh, c, _, pr := gitFixture(t)
	r, _, err := c.Repositories.Get(context.Background(), "acme", "widgets")
	if err != nil {
		t.Fatal(err)
	}
	clone := func(user *url.Userinfo) (string, error) {
		u, err := url.Parse(r.GetCloneURL())
		if err != nil {
			t.Fatal(err)
		}
		u.User = user
		dir := filepath.Join(t.TempDir(), "w")
		cmd := exec.Command("git", "clone", "--quiet", u.String(), dir)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=/bin/false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), err
		}
		fetch := exec.Command("git", "-C", dir, "fetch", "--quiet", "origin", "refs/pull/7/head")
		fetch.Env = cmd.Env
		if out, err := fetch.CombinedOutput(); err != nil {
			return string(out), err
		}
		head, err := exec.Command("git", "-C", dir, "rev-parse", "FETCH_HEAD").Output()
		return strings.TrimSpace(string(head)), err
	}
	got, err := clone(url.UserPassword("x-access-token", gh.InstallationToken(1)))
	if err != nil || got != pr.HeadSHA {
		t.Errorf("clone with token: %q, %v; want %s", got, err, pr.HeadSHA)
	}
	if out, err := clone(nil); err == nil {
		t.Errorf("clone without token succeeded: %s", out)
	}
	gh.AddInstallation(2, "globex")
	if out, err := clone(url.UserPassword("x-access-token", gh.InstallationToken(2))); err == nil {
		t.Errorf("clone with another installation's token succeeded: %s", out)
	}
}

func TestMergePull(t *testing.T) {
	ctx := context.Background()
	gh, c, repo, pr := gitFixture(t)
	merge := gh.MergePull("acme", "widgets", 7, "pat")
	if repo.Rev("main") != merge || repo.Rev(merge+"^1") != pr.BaseSHA || repo.Rev(merge+"^2") != pr.HeadSHA {
		t.Errorf("main is not a merge of base and head: main %s, merge %s", repo.Rev("main"), merge)
	}
	got, _, err := c.PullRequests.Get(ctx, "acme", "widgets", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "closed" || !got.GetMerged() || got.GetMergedBy().GetLogin() != "pat" ||
		got.GetMergeCommitSHA() != merge || got.MergedAt == nil {
		t.Errorf("merged pull request: state %q merged %v by %q commit %q at %v",
			got.GetState(), got.GetMerged(), got.GetMergedBy().GetLogin(), got.GetMergeCommitSHA(), got.MergedAt)
	}
	if iss, _, err := c.Issues.Get(ctx, "acme", "widgets", 7); err != nil || iss.GetState() != "closed" {
		t.Errorf("its issue: %v, %v", iss.GetState(), err)
	}
}

// A pull request opened without a number takes the next one free, after
// issues too; a commit that moves a branch is seen by the next read of it.
func TestOpenPullNextNumberAndCloseIssue(t *testing.T) {
	ctx := context.Background()
	gh, c, repo, _ := gitFixture(t)
	iss, _, err := c.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	pr := gh.OpenPull("acme", "widgets", ghtest.PullSpec{HeadFiles: map[string]string{"x.txt": "x\n"}})
	if iss.GetNumber() != 8 || pr.Number != 9 {
		t.Errorf("issue #%d, then pull request #%d; want #8 and #9", iss.GetNumber(), pr.Number)
	}
	gh.CloseIssue("acme", "widgets", 8)
	got, _, err := c.Issues.Get(ctx, "acme", "widgets", 8)
	if err != nil || got.GetState() != "closed" || got.GetTitle() != "t" {
		t.Errorf("closed by hand: %q %q, %v", got.GetState(), got.GetTitle(), err)
	}

	sha, _, err := c.Repositories.GetCommitSHA1(ctx, "acme", "widgets", "main", "")
	if err != nil || sha != repo.Rev("main") {
		t.Fatalf("head of main %s, %v", sha, err)
	}
	next := repo.Commit("main", map[string]string{"y.txt": "y\n"}, "more", time.Time{})
	if sha, _, err = c.Repositories.GetCommitSHA1(ctx, "acme", "widgets", "main", ""); err != nil || sha != next {
		t.Errorf("after a commit, the head of main is %s (%v), want %s", sha, err, next)
	}
}
