package snapshot

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

func TestOpenRefReadsCommitNotWorkingTree(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"README.md": "committed\n", "src/a.go": "package a\n", "src/b.go": "package b\n"})
	r.commit("c1")
	// Uncommitted work of every kind.
	r.write(map[string]string{"README.md": "edited\n", "untracked.txt": "u", "staged.go": "s"})
	r.git("add", "staged.go")
	r.remove("src/b.go")

	ref, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	work, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"README.md", "src/a.go", "src/b.go"}, ref.Paths()); diff != "" {
		t.Errorf("OpenRef paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"README.md", "src/a.go", "src/b.go", "staged.go"}, work.Paths()); diff != "" {
		t.Errorf("Open paths (-want +got):\n%s", diff)
	}
	if ref.Source() != GitCommit || work.Source() != GitIndex {
		t.Errorf("sources = %q, %q", ref.Source(), work.Source())
	}
	if ref.Commit() != r.commits["c1"] || work.Commit() != r.commits["c1"] {
		t.Errorf("commits = %q, %q, want %q", ref.Commit(), work.Commit(), r.commits["c1"])
	}

	// "" stands for "does not exist".
	tests := []struct {
		name      string
		ref, work string
	}{
		{"README.md", "committed\n", "edited\n"},
		{"src/a.go", "package a\n", "package a\n"},
		{"src/b.go", "package b\n", ""},
		{"staged.go", "", "s"},
		{"untracked.txt", "", "u"},
	}
	read := func(tree *Tree, name string) string {
		b, err := fs.ReadFile(tree, name)
		if errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", name, err)
		}
		return string(b)
	}
	for _, tt := range tests {
		if got := read(ref, tt.name); got != tt.ref {
			t.Errorf("OpenRef: %s = %q, want %q", tt.name, got, tt.ref)
		}
		if got := read(work, tt.name); got != tt.work {
			t.Errorf("Open: %s = %q, want %q", tt.name, got, tt.work)
		}
	}
}

func TestOpenRefResolvesEveryKindOfRef(t *testing.T) {
	r := newTestRepo(t)
	for _, label := range []string{"c1", "c2", "c3"} {
		r.write(map[string]string{"version": label})
		r.commit(label)
		switch label {
		case "c1":
			r.git("tag", "v1")
		case "c2":
			r.git("tag", "-a", "-m", "release 2", "v2")
			r.git("checkout", "-q", "-b", "feature")
			r.write(map[string]string{"version": "f1"})
			r.commit("f1")
			r.git("checkout", "-q", "main")
		}
	}
	tests := []struct{ ref, want string }{
		{"HEAD", "c3"},
		{"main", "c3"},
		{"refs/heads/main", "c3"},
		{"HEAD^", "c2"},
		{"HEAD~2", "c1"},
		{"feature", "f1"},
		{"feature~1", "c2"},
		{"v1", "c1"},
		{"v2", "c2"}, // annotated: peeled to its commit
		{r.commits["c2"], "c2"},
		{r.commits["f1"][:8], "f1"},
		{r.commits["c1"][:7], "c1"},
	}
	for _, tt := range tests {
		tree, err := OpenRef(r.dir, tt.ref)
		if err != nil {
			t.Errorf("OpenRef(%s): %v", tt.ref, err)
			continue
		}
		body, err := fs.ReadFile(tree, "version")
		if err != nil {
			t.Errorf("OpenRef(%s): %v", tt.ref, err)
		}
		if got := string(body); got != tt.want || tree.Commit() != r.commits[tt.want] {
			t.Errorf("OpenRef(%s) = %s (commit %s), want %s (%s)", tt.ref, got, tree.Commit(), tt.want, r.commits[tt.want])
		}
	}
}

func TestOpenRefErrors(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a": "a"})
	r.commit("c1")
	empty := newTestRepo(t)
	plain := t.TempDir()
	tests := []struct {
		name     string
		dir, ref string
		want     error // nil: any error
	}{
		{"unknown branch", r.dir, "no-such-branch", ErrUnknownRevision},
		{"unknown hash", r.dir, strings.Repeat("0", 40), ErrUnknownRevision},
		{"past the first commit", r.dir, "HEAD~5", ErrUnknownRevision},
		{"bad syntax", r.dir, "HEAD~~^{", ErrUnknownRevision},
		{"empty ref", r.dir, "", ErrUnknownRevision},
		{"no commits", empty.dir, "HEAD", ErrNoCommits},
		{"not a repository", plain, "HEAD", ErrNotRepository},
		{"missing directory", filepath.Join(plain, "missing"), "HEAD", fs.ErrNotExist},
		{"a file", filepath.Join(r.dir, "a"), "HEAD", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := OpenRef(tt.dir, tt.ref)
			if err == nil {
				t.Fatalf("OpenRef(%s) = %v, want an error", tt.ref, tree.Paths())
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("OpenRef(%s) = %v, want %v", tt.ref, err, tt.want)
			}
		})
	}
}

// fsRepo commits a small tree with the names that trip up listings: "a.b"
// sorts before "a/c" bytewise but after "a" by name, and links of every
// kind.
func fsRepo(t *testing.T) *testRepo {
	r := newTestRepo(t)
	r.write(map[string]string{
		"a.b":              "dot\n",
		"a/c":              "c\n",
		"a-b/d":            "d\n",
		"a0":               "zero\n",
		"docs/guide.md":    "# Guide\n",
		"docs/deep/x/y.md": "y\n",
		"with space.txt":   "space\n",
		"ünïcode.md":       "u\n",
		"empty":            "",
		"bin/run.sh":       "#!/bin/sh\n",
	})
	r.chmod("bin/run.sh", 0o755)
	r.symlink("docs/link.md", "guide.md")
	r.symlink("docs/up.md", "../a.b")
	r.symlink("deeplink", "docs/deep")
	r.commit("c1")
	return r
}

func TestOpenRefPathsAreLsTree(t *testing.T) {
	r := fsRepo(t)
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	list := r.git("ls-tree", "-r", "-z", "--name-only", "HEAD")
	want := strings.Split(strings.TrimSuffix(list, "\x00"), "\x00")
	if diff := cmp.Diff(want, tree.Paths()); diff != "" {
		t.Errorf("paths (-ls-tree +got):\n%s", diff)
	}
}

func TestOpenRefFSContract(t *testing.T) {
	r := fsRepo(t)
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	// Both the commit's FS and the Tree forwarding to it.
	for _, fsys := range []fs.FS{tree.FS, tree} {
		if err := fstest.TestFS(fsys, tree.Paths()...); err != nil {
			t.Errorf("%T: %v", fsys, err)
		}
	}

	var walked []string
	err = fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p+" "+d.Type().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		". d---------", "a d---------", "a/c ----------", "a-b d---------", "a-b/d ----------",
		"a.b ----------", "a0 ----------", "bin d---------", "bin/run.sh ----------",
		"deeplink L---------", "docs d---------", "docs/deep d---------", "docs/deep/x d---------",
		"docs/deep/x/y.md ----------", "docs/guide.md ----------", "docs/link.md L---------",
		"docs/up.md L---------", "empty ----------", "with space.txt ----------", "ünïcode.md ----------",
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("WalkDir (-want +got):\n%s", diff)
	}

	globs := map[string][]string{
		"docs/*.md": {"docs/guide.md", "docs/link.md", "docs/up.md"},
		"a*":        {"a", "a-b", "a.b", "a0"},
		"*/*/x/*":   {"docs/deep/x/y.md"},
		"nope/*":    nil,
	}
	for pattern, want := range globs {
		got, err := fs.Glob(tree, pattern)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Glob(%s) (-want +got):\n%s", pattern, diff)
		}
	}

	info, err := fs.Stat(tree, "bin/run.sh")
	if err != nil || info.Mode() != 0o755 || info.Size() != int64(len("#!/bin/sh\n")) || !info.ModTime().Equal(r.dates["c1"]) {
		t.Errorf("Stat(bin/run.sh) = %v, %v", info, err)
	}
}

func TestOpenRefSymlinks(t *testing.T) {
	r := fsRepo(t)
	r.symlink("dangling", "nowhere")
	r.symlink("escape", "../outside")
	r.symlink("absolute", "/etc/passwd")
	r.symlink("loop1", "loop2")
	r.symlink("loop2", "loop1")
	r.symlink("docs/self", ".")
	r.commit("c2")
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		err        error
	}{
		{name: "docs/link.md", want: "# Guide\n"},
		{name: "docs/up.md", want: "dot\n"},
		{name: "deeplink/x/y.md", want: "y\n"},
		{name: "docs/self/self/guide.md", want: "# Guide\n"},
		{name: "dangling", err: fs.ErrNotExist},
		{name: "escape", err: fs.ErrNotExist},
		{name: "absolute", err: fs.ErrNotExist},
		{name: "loop1", err: fs.ErrNotExist},
		{name: "deeplink", err: errIsDir},
	}
	for _, tt := range tests {
		body, err := fs.ReadFile(tree, tt.name)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ReadFile(%s) = %q, %v, want %v", tt.name, body, err, tt.err)
			}
			continue
		}
		if err != nil || string(body) != tt.want {
			t.Errorf("ReadFile(%s) = %q, %v, want %q", tt.name, body, err, tt.want)
		}
	}

	links := map[string]string{"docs/link.md": "guide.md", "deeplink": "docs/deep", "escape": "../outside"}
	for name, want := range links {
		got, err := fs.ReadLink(tree, name)
		if err != nil || got != want {
			t.Errorf("ReadLink(%s) = %q, %v, want %q", name, got, err, want)
		}
		info, err := fs.Lstat(tree, name)
		if err != nil || info.Mode().Type() != fs.ModeSymlink || info.Size() != int64(len(want)) {
			t.Errorf("Lstat(%s) = %v, %v", name, info, err)
		}
	}
	if _, err := fs.ReadLink(tree, "a.b"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadLink of a file = %v, want ErrInvalid", err)
	}
	if info, err := fs.Stat(tree, "deeplink"); err != nil || !info.IsDir() {
		t.Errorf("Stat(deeplink) = %v, %v, want a directory", info, err)
	}
	entries, err := fs.ReadDir(tree, "deeplink")
	if err != nil || len(entries) != 1 || entries[0].Name() != "x" {
		t.Errorf("ReadDir(deeplink) = %v, %v", entries, err)
	}
}

func TestOpenRefSubmodule(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a.txt": "a"})
	c1 := r.commit("c1")
	// A gitlink, as `git submodule add` records one, pointing anywhere.
	r.git("update-index", "--add", "--cacheinfo", "160000,"+c1+",vendor/lib")
	r.record("c2", "commit", "-q", "-m", "c2")
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.txt", "vendor/lib"}, tree.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if _, err := tree.Open("vendor/lib"); !errors.Is(err, ErrSubmodule) {
		t.Errorf("Open(vendor/lib) = %v, want ErrSubmodule", err)
	}
	info, err := fs.Stat(tree, "vendor/lib")
	if err != nil || info.Mode().Type() != fs.ModeIrregular {
		t.Errorf("Stat(vendor/lib) = %v, %v, want an irregular file", info, err)
	}
	var walked []string
	err = fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	})
	if err != nil || !slices.Contains(walked, "vendor/lib") {
		t.Errorf("WalkDir = %v, %v", walked, err)
	}
	changes, err := tree.LastChanged([]string{"vendor/lib", "a.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if changes["vendor/lib"].Commit != r.commits["c2"] || changes["a.txt"].Commit != c1 {
		t.Errorf("LastChanged = %v", changes)
	}
}

func TestOpenRefInvalidNames(t *testing.T) {
	r := fsRepo(t)
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "/a.b", "../a.b", "a/../a.b", "docs/", "docs//guide.md", "./a.b"} {
		if _, err := tree.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", name, err)
		}
	}
	for _, name := range []string{"a.b/x", "docs/guide.md/x"} {
		if _, err := tree.Open(name); err == nil || errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want not a directory", name, err)
		}
	}
	if _, err := tree.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
}

// TestOpenRefStreamsLargeBlobs reads a file above the streaming threshold
// through a LimitReader, from a loose object and from a pack, and reads
// files from many goroutines at once (run with -race).
func TestOpenRefStreamsLargeBlobs(t *testing.T) {
	r := newTestRepo(t)
	big := strings.Repeat("0123456789abcdef", 3*streamThreshold/16)
	files := map[string]string{"big.bin": big}
	for i := range 20 {
		files["small/"+string(rune('a'+i))] = strings.Repeat("x", i)
	}
	r.write(files)
	r.commit("c1")
	for _, packed := range []bool{false, true} {
		if packed {
			r.git("gc", "-q")
		}
		tree, err := OpenRef(r.dir, "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f, err := tree.Open("big.bin")
		if err != nil {
			t.Fatal(err)
		}
		head, err := io.ReadAll(io.LimitReader(f, 100))
		if err != nil || string(head) != big[:100] {
			t.Errorf("packed=%v: first 100 bytes = %q, %v", packed, head, err)
		}
		runtime.ReadMemStats(&after)
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(len(big)/2) {
			t.Errorf("packed=%v: reading 100 bytes of %d allocated %d bytes", packed, len(big), allocated)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Read after Close = %v", err)
		}

		var wg sync.WaitGroup
		for name, want := range files {
			wg.Go(func() {
				got, err := fs.ReadFile(tree, name)
				if err != nil || string(got) != want {
					t.Errorf("packed=%v: ReadFile(%s) = %d bytes, %v, want %d", packed, name, len(got), err, len(want))
				}
			})
		}
		wg.Wait()
	}
}

func TestOpenBareRepository(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a": "a"})
	r.commit("c1")
	bare := filepath.Join(t.TempDir(), "bare.git")
	r.git("clone", "-q", "--bare", r.dir, bare)
	tree, err := OpenRef(bare, "main")
	if err != nil {
		t.Fatal(err)
	}
	if body, err := fs.ReadFile(tree, "a"); err != nil || string(body) != "a" {
		t.Errorf("ReadFile(a) = %q, %v", body, err)
	}
	if _, err := os.Stat(filepath.Join(bare, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bare repository has a working tree: %v", err)
	}
}

// TestOpenRefMalformedTree reads commits whose trees git itself would not
// write (out of order, a name twice, names no path can hold), as a hostile
// repository may hold.
func TestOpenRefMalformedTree(t *testing.T) {
	r := newTestRepo(t)
	blob := func(body string) string {
		return strings.TrimSpace(runGitIn(t, r.dir, epoch, []byte(body), "hash-object", "-w", "--stdin"))
	}
	tree := func(entries ...[2]string) string {
		var raw []byte
		for _, e := range entries {
			h, err := hex.DecodeString(blob(e[1]))
			if err != nil {
				t.Fatal(err)
			}
			raw = append(append(raw, "100644 "+e[0]+"\x00"...), h...)
		}
		return strings.TrimSpace(runGitIn(t, r.dir, epoch, raw, "hash-object", "-w", "-t", "tree", "--literally", "--stdin"))
	}
	commit := func(label, tree string, parents ...string) {
		args := []string{"commit-tree", tree, "-m", label}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		hash := strings.TrimSpace(runGitIn(t, r.dir, r.next(), nil, args...))
		r.dates[label], r.commits[label], r.labels[hash] = r.next(), hash, label
		r.ticks++
	}
	commit("c1", tree([2]string{"b", "b1"}, [2]string{"a", "a1"}, [2]string{"a", "second a"}, [2]string{"..", "up"}, [2]string{"x/y", "slash"}))
	commit("c2", tree([2]string{"b", "b2"}, [2]string{"a", "a1"}, [2]string{"..", "up"}), r.commits["c1"])

	got, err := OpenRef(r.dir, r.commits["c2"])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, got.Paths()); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if body, err := fs.ReadFile(got, "b"); err != nil || string(body) != "b2" {
		t.Errorf("ReadFile(b) = %q, %v", body, err)
	}
	changes, err := got.LastChanged([]string{"a", "b", ".."})
	if err != nil {
		t.Fatal(err)
	}
	first, err := OpenRef(r.dir, r.commits["c1"])
	if err != nil {
		t.Fatal(err)
	}
	if body, err := fs.ReadFile(first, "a"); err != nil || string(body) != "a1" {
		t.Errorf("ReadFile(a) of c1 = %q, %v, want the first of the two", body, err)
	}
	// c1's second "a" is ignored, as go-git's lookups ignore it: "a" is
	// unchanged since c1.
	if diff := cmp.Diff(map[string]string{"a": "c1", "b": "c2"}, labelled(t, r, changes)); diff != "" {
		t.Errorf("LastChanged (-want +got):\n%s", diff)
	}
}

// TestOpenRefBoundsHostileTrees lists trees built to exhaust memory: one
// that repeats a subtree ten times at each of nine levels (a billion files
// from a few objects) and one nested thousands of directories deep.
func TestOpenRefBoundsHostileTrees(t *testing.T) {
	r := newTestRepo(t)
	hashObject := func(typ string, body []byte) string {
		return strings.TrimSpace(runGitIn(t, r.dir, epoch, body, "hash-object", "-w", "-t", typ, "--stdin"))
	}
	h := hashObject("blob", []byte("boom"))
	mode := "100644 "
	for range 9 {
		var raw []byte
		for i := range 10 {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			raw = append(append(raw, mode+string(rune('0'+i))+"\x00"...), b...)
		}
		h, mode = hashObject("tree", raw), "40000 "
	}
	repo, err := openRepository(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	bomb := &commitFS{repo: repo, limit: 10_000}
	if err := bomb.list(plumbing.NewHash(h), ""); err == nil || !strings.Contains(err.Error(), "more than 10000 files") {
		t.Errorf("listing a tree bomb: %v, %d paths", err, len(bomb.paths))
	}

	deep := strings.Repeat("d/", 3000) + "f.txt"
	stream := fmt.Sprintf("commit refs/heads/main\ncommitter t <t@example.com> %d +0000\ndata 4\ndeep\nM 100644 inline %s\ndata 1\nx\n\n",
		epoch.Unix(), deep)
	runGitIn(t, r.dir, epoch, []byte(stream), "fast-import", "--quiet")
	if tree, err := OpenRef(r.dir, "main"); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("OpenRef of a deep tree = %v, %v", tree, err)
	}
}
