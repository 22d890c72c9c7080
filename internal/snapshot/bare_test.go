package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A bare repository has no working tree: Open reads its HEAD, never git's
// own files (HEAD, config, objects/...) as if they were the repository's.
func TestOpenBareRepositoryReadsHEAD(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a.go": "old", ".github/CODEOWNERS": "* @acme/all\n"})
	r.commit("c1")
	r.write(map[string]string{"a.go": "new", "dir/b.md": "b"})
	head := r.commit("c2")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.git("clone", "-q", "--bare", r.dir, bare)

	for name, dir := range map[string]string{"bare clone": bare, "a checkout's .git": filepath.Join(r.dir, ".git")} {
		t.Run(name, func(t *testing.T) {
			tree, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			want := []string{".github/CODEOWNERS", "a.go", "dir/b.md"}
			if diff := cmp.Diff(want, tree.Paths()); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if tree.Source() != GitCommit || tree.Commit() != head {
				t.Errorf("source %q at %s, want %q at HEAD %s", tree.Source(), tree.Commit(), GitCommit, head)
			}
			if body, err := fs.ReadFile(tree, "a.go"); err != nil || string(body) != "new" {
				t.Errorf("ReadFile(a.go) = %q, %v; want HEAD's content", body, err)
			}
			if _, err := fs.Stat(tree, "HEAD"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("git's HEAD file is in the tree: %v", err)
			}
			if changes, err := tree.LastChanged([]string{"dir/b.md"}); err != nil || changes["dir/b.md"].Commit != head {
				t.Errorf("LastChanged(dir/b.md) = %v, %v; want commit %s", changes, err, head)
			}
		})
	}
}

func TestOpenBareRepositoryErrors(t *testing.T) {
	requireGit(t)
	empty := filepath.Join(t.TempDir(), "empty.git")
	runGitIn(t, filepath.Dir(empty), epoch, nil, "init", "-q", "--bare", empty)

	r := newTestRepo(t)
	r.write(map[string]string{"a": "a"})
	r.commit("c1")
	unborn := filepath.Join(t.TempDir(), "unborn.git")
	r.git("clone", "-q", "--bare", r.dir, unborn)
	runGitIn(t, unborn, epoch, nil, "symbolic-ref", "HEAD", "refs/heads/never-pushed")

	for _, tt := range []struct {
		name, dir string
		want      error
		message   string
	}{
		{"no commits", empty, ErrNoCommits, "bare repository " + empty + ": repository has no commits yet, so it has no files to read"},
		{"HEAD on a branch without commits", unborn, ErrUnknownRevision, "bare repository " + unborn + `: HEAD names a branch without commits (unknown revision "HEAD"); read another branch by name`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := Open(tt.dir)
			if err == nil {
				t.Fatalf("Open = %v, want an error", tree.Paths())
			}
			if !errors.Is(err, tt.want) || err.Error() != tt.message {
				t.Errorf("Open = %q, want %q (wrapping %v)", err, tt.message, tt.want)
			}
		})
	}
}

func TestIsBare(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a": "a"})
	r.commit("c1")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.git("clone", "-q", "--bare", r.dir, bare)
	lookalike := t.TempDir()
	write(t, lookalike, map[string]string{"HEAD": "ref: refs/heads/main\n", "objects/x": "", "notes.txt": ""})
	fileRefs := t.TempDir()
	write(t, fileRefs, map[string]string{"HEAD": "ref: refs/heads/main\n", "objects/x": "", "refs": ""})
	// A directory called HEAD is not git's HEAD file.
	dirHEAD := t.TempDir()
	write(t, dirHEAD, map[string]string{"HEAD/x": "", "objects/x": "", "refs/x": ""})

	for _, tt := range []struct {
		name string
		dir  string
		want bool
	}{
		{"bare clone", bare, true},
		{"a checkout's .git", filepath.Join(r.dir, ".git"), true},
		{"a checkout", r.dir, false},
		{"a plain directory", t.TempDir(), false},
		{"HEAD and objects but no refs", lookalike, false},
		{"refs as a file (reftable)", fileRefs, true},
		{"HEAD a directory", dirHEAD, false},
		{"missing", filepath.Join(t.TempDir(), "missing"), false},
	} {
		if got := IsBare(tt.dir); got != tt.want {
			t.Errorf("%s: IsBare = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A work tree that merely holds files named like git's is a work tree.
	plain := t.TempDir()
	write(t, plain, map[string]string{"HEAD": "x", "objects/a": "", "refs/b": "", "src/main.go": ""})
	if err := os.Mkdir(filepath.Join(plain, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if IsBare(plain) {
		t.Error("a directory with .git is taken as bare")
	}
}
