package ghtest_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// lsTree lists the paths and blob ids of rev's tree.
func lsTree(t *testing.T, repo *ghtest.FixtureRepo, rev string) []string {
	t.Helper()
	cmd := exec.Command("git", "--git-dir="+repo.Dir(), "ls-tree", "-r", "-z", rev)
	cmd.Env = []string{"HOME=/nonexistent", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ls-tree %s: %v", rev, err)
	}
	var entries []string
	for e := range bytes.SplitSeq(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
		entries = append(entries, string(e))
	}
	return entries
}

// CommitBulk and Commit make the same commits from the same input.
func TestCommitBulkMatchesCommit(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	slow, fast := gh.Git.CreateRepo("acme", "slow"), gh.Git.CreateRepo("acme", "fast")
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	steps := []struct {
		branch  string
		files   map[string]string
		message string
		when    time.Time
	}{
		{"main", map[string]string{
			"README.md": "# hi\n", "a/b/c.go": "package c\n", "a/b/d.go": "package c\n",
			"empty": "", "with space/x y.txt": "x\n", "no-newline": "tail",
		}, "initial", time.Time{}},
		{"main", map[string]string{"a/b/d.go": ghtest.Deleted, "README.md": "# hello\n", "new/file": "new\n"}, "second\n", when},
		// A branch that does not exist starts from HEAD's branch.
		{"feature", map[string]string{"feature.txt": "f\n"}, "", when},
	}
	for _, s := range steps {
		want := slow.Commit(s.branch, s.files, s.message, s.when)
		got := fast.CommitBulk(s.branch, s.files, s.message, s.when)
		if got != want {
			t.Errorf("%s %q: CommitBulk made %s, Commit %s\nCommit's tree:\n%s\nCommitBulk's tree:\n%s", s.branch, s.message, got, want,
				strings.Join(lsTree(t, slow, want), "\n"), strings.Join(lsTree(t, fast, got), "\n"))
		}
	}
	if fast.Rev("feature~1") != fast.Rev("main") {
		t.Error("the new branch does not start from main")
	}
}

// Tens of thousands of paths, many sharing one blob, and paths that need
// quoting in fast-import's input.
func TestCommitBulkLargeAndOddPaths(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	repo := gh.Git.CreateRepo("acme", "big")
	files := map[string]string{`"quoted".txt`: "q\n", "tab\there": "t\n", `back\slash`: "b\n", "ünïcode/日本.md": "u\n"}
	for i := range 20000 {
		files[fmt.Sprintf("dir%03d/sub%d/file%05d.txt", i%500, i%7, i)] = ""
	}
	start := time.Now()
	sha := repo.CommitBulk("main", files, "many files", time.Time{})
	t.Logf("CommitBulk of %d files: %v", len(files), time.Since(start))
	var got []string
	for _, e := range lsTree(t, repo, sha) {
		_, path, _ := strings.Cut(e, "\t")
		got = append(got, path)
	}
	want := make([]string, 0, len(files))
	for p := range files {
		want = append(want, p)
	}
	slices.Sort(got)
	slices.Sort(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tree (-want +got):\n%s", d)
	}
	if repo.Rev("main") != sha {
		t.Errorf("main is %s, want %s", repo.Rev("main"), sha)
	}
}
