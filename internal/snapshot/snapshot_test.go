package snapshot

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenDirectory(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"b.txt": "b", "a/z.go": "z", "a/b/c.md": "c", ".github/CODEOWNERS": "* @x\n",
		"sub/.git/HEAD": "not ours: a nested repository's metadata",
	})
	tree, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".github/CODEOWNERS", "a/b/c.md", "a/z.go", "b.txt"}
	if diff := cmp.Diff(want, tree.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if tree.Source() != Directory {
		t.Errorf("source = %q", tree.Source())
	}
	body, err := fs.ReadFile(tree, "a/z.go")
	if err != nil || string(body) != "z" {
		t.Errorf("ReadFile = %q, %v", body, err)
	}
}

func TestOpenGitCheckoutListsTrackedFilesOnly(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"src/a.go": "a", "README.md": "r", ".gitignore": "build/\n"})
	r.commit("init")
	// Untracked and ignored files are not part of the repository.
	r.write(map[string]string{"build/out.bin": "x", "scratch.txt": "y", "staged.go": "s"})
	r.git("add", "staged.go")

	tree, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", "README.md", "src/a.go", "staged.go"}
	if diff := cmp.Diff(want, tree.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if tree.Source() != GitIndex {
		t.Errorf("source = %q", tree.Source())
	}
}

func TestOpenFreshRepository(t *testing.T) {
	r := newTestRepo(t) // no index file yet
	tree, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Paths()) != 0 || tree.Source() != GitIndex || tree.Commit() != "" {
		t.Errorf("Open = %v, %q, %q", tree.Paths(), tree.Source(), tree.Commit())
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("opening a missing directory succeeded")
	}
	file := filepath.Join(t.TempDir(), "f")
	write(t, filepath.Dir(file), map[string]string{"f": ""})
	if _, err := Open(file); err == nil {
		t.Error("opening a file as a repository succeeded")
	}
	// A worktree whose .git file points at a repository that is gone.
	broken := t.TempDir()
	write(t, broken, map[string]string{".git": "gitdir: " + filepath.Join(broken, "gone") + "\n"})
	if _, err := Open(broken); err == nil {
		t.Error("opening a worktree of a missing repository succeeded")
	}
}

func TestFromPathsSortsAndDedups(t *testing.T) {
	tree := FromPaths(nil, []string{"b", "a", "b"})
	if diff := cmp.Diff([]string{"a", "b"}, tree.Paths()); diff != "" {
		t.Error(diff)
	}
}

func TestOpenLinkedWorktree(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a.txt": "main"})
	r.commit("c1")
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "topic", wt)
	w := &testRepo{tb: t, dir: wt, ticks: r.ticks, commits: r.commits, labels: r.labels, dates: r.dates}
	w.write(map[string]string{"b.txt": "topic"})
	w.commit("t1")

	tree, err := Open(wt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.txt", "b.txt"}, tree.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if tree.Commit() != r.commits["t1"] {
		t.Errorf("Commit() = %s, want the worktree's HEAD %s", tree.Commit(), r.commits["t1"])
	}
	refs := map[string]string{"HEAD": "t1", "main": "c1"}
	for ref, want := range refs {
		tree, err := OpenRef(wt, ref)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Commit() != r.commits[want] {
			t.Errorf("OpenRef(%s).Commit() = %s, want %s", ref, tree.Commit(), want)
		}
	}
}
