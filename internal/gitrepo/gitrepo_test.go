package gitrepo

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
		"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// A repository whose objects are spread over several packs, as a clone
// fetched many times is, opens and reads the same through the buffer.
func TestOpenReadsEveryPack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	work := t.TempDir()
	run(t, work, "init", "-q", "-b", "main")
	for i := range 3 {
		name := filepath.Join(work, "f"+strings.Repeat("x", i)+".txt")
		if err := os.WriteFile(name, []byte(strings.Repeat("line\n", 100*(i+1))), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, work, "add", ".")
		run(t, work, "commit", "-q", "-m", "change")
		run(t, work, "repack", "-q") // one new pack per commit
	}
	packs, _ := filepath.Glob(filepath.Join(work, ".git", "objects", "pack", "*.idx"))
	if len(packs) != 3 {
		t.Fatalf("%d packs, want 3", len(packs))
	}
	want := strings.Fields(run(t, work, "rev-list", "--all"))

	for _, dir := range []string{work, filepath.Join(work, ".git")} {
		r, store, err := Open(dir, nil, filesystem.Options{})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		var got []string
		head, err := r.Head()
		if err != nil {
			t.Fatal(err)
		}
		log, err := r.Log(&git.LogOptions{From: head.Hash()})
		if err != nil {
			t.Fatal(err)
		}
		for c, err := log.Next(); err == nil; c, err = log.Next() {
			got = append(got, c.Hash.String())
			if _, err := c.Tree(); err != nil {
				t.Fatalf("tree of %s: %v", c.Hash, err)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: commits %v, want %v", dir, got, want)
		}
		if _, err := r.CommitObject(plumbing.NewHash(strings.Repeat("0", 40))); !errors.Is(err, plumbing.ErrObjectNotFound) {
			t.Errorf("a missing commit: %v", err)
		}
		store.Close()
	}
	if _, _, err := Open(t.TempDir(), nil, filesystem.Options{}); err == nil {
		t.Error("an empty directory opened as a repository")
	}
}

func TestBufferedIndexFile(t *testing.T) {
	dir := t.TempDir()
	data := []byte("0123456789abcdefghij")
	for _, name := range []string{"pack-1.idx", "pack-1.pack"} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs := Buffered(osfs.New(dir))

	f, err := fs.Open("pack-1.idx")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*bufferedFile); !ok {
		t.Fatalf("an index opened as %T", f)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "0123" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 4 {
		t.Errorf("position after reading 4 bytes: %d, %v", pos, err)
	}
	if pos, err := f.Seek(2, io.SeekCurrent); err != nil || pos != 6 {
		t.Errorf("position after skipping 2: %d, %v", pos, err)
	}
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "6789" {
		t.Errorf("read after seeking: %q, %v", buf, err)
	}
	if _, err := f.Seek(-2, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(f); err != nil || string(rest) != "ij" {
		t.Errorf("read from the end: %q, %v", rest, err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("wrote to a file opened for reading")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(buf); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}

	// Other files, and files opened for writing, are the file system's own.
	p, err := fs.Open("pack-1.pack")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, ok := p.(*bufferedFile); ok {
		t.Error("a pack is buffered")
	}
	w, err := fs.OpenFile("pack-1.idx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, ok := w.(*bufferedFile); ok {
		t.Error("an index opened for writing is buffered")
	}
	sub, err := fs.Chroot(".")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := sub.Open("pack-1.idx"); err != nil {
		t.Fatal(err)
	} else {
		if _, ok := f.(*bufferedFile); !ok {
			t.Error("a chroot loses the buffer")
		}
		f.Close()
	}
}

func TestIsCommitID(t *testing.T) {
	for s, want := range map[string]bool{
		strings.Repeat("a1", 20): true,
		strings.Repeat("A1", 20): false, // GitHub and git write lower case
		strings.Repeat("a", 39):  false,
		strings.Repeat("g", 40):  false,
		"main":                   false,
	} {
		if got := IsCommitID(s); got != want {
			t.Errorf("IsCommitID(%q) = %v", s, got)
		}
	}
}
