package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// canary is what the files outside the repository hold: no read of the tree
// may ever return it.
const canary = "CANARY-5d1e0f: the contents of a file outside the repository"

// linkFixture lays out, in dir, a repository with every kind of link, and
// next to it (in outside) a directory holding secret.txt. It returns the
// links made, for the caller to commit.
func linkFixture(t *testing.T, dir, outside string) {
	t.Helper()
	write(t, outside, map[string]string{"secret.txt": canary})
	write(t, dir, map[string]string{"ok.txt": "ok\n", "docs/guide.md": "guide\n"})
	rel, err := filepath.Rel(dir, outside)
	if err != nil {
		t.Fatal(err)
	}
	rel = filepath.ToSlash(rel)
	links := map[string]string{
		"inside.md":    "docs/guide.md",                      // in the tree
		"docs/self":    ".",                                  // a directory in the tree
		"docs/up.md":   "../ok.txt",                          // climbs, but stays inside
		"phys.txt":     "docs/self/../ok.txt",                // ".." after a link is physical: ok.txt, not docs/ok.txt
		"abs":          filepath.Join(outside, "secret.txt"), // absolute
		"up":           rel + "/secret.txt",                  // climbs out
		"chain":        "up",                                 // a link to a link that leads out
		"outdir":       rel,                                  // a directory outside
		"climb":        "docs/self/../..",                    // climbs out physically
		"gitmeta":      ".git/config",                        // git's metadata
		"loop1":        "loop2",
		"loop2":        "loop1",
		"dangling":     "nowhere",
		"docs/deepout": "../../" + rel + "/secret.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
}

// linkTrees opens the fixture in each mode.
func linkTrees(t *testing.T) map[string]*Tree {
	t.Helper()
	trees := map[string]*Tree{}

	plain := filepath.Join(t.TempDir(), "repo")
	linkFixture(t, plain, filepath.Join(filepath.Dir(plain), "out"))
	tree, err := Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Source() != Directory {
		t.Fatalf("source %q, want a directory", tree.Source())
	}
	trees["directory"] = tree

	r := newTestRepo(t)
	linkFixture(t, r.dir, filepath.Join(t.TempDir(), "out"))
	r.git("add", "-A")
	r.commit("links")
	if tree, err = Open(r.dir); err != nil {
		t.Fatal(err)
	}
	if tree.Source() != GitIndex {
		t.Fatalf("source %q, want the index", tree.Source())
	}
	trees["index"] = tree
	if tree, err = OpenRef(r.dir, "HEAD"); err != nil {
		t.Fatal(err)
	}
	trees["commit"] = tree
	for _, tree := range trees {
		t.Cleanup(func() { tree.Close() })
	}
	return trees
}

// TestLinksOneRuleInEveryMode reads every kind of link from a plain
// directory, a checkout's index and a commit, and expects the same answers:
// links inside are followed, links out of the repository (or into .git) and
// loops are refused with a *LinkError naming the link, and listed.
func TestLinksOneRuleInEveryMode(t *testing.T) {
	type want struct {
		body string
		link string // the refused link, "" when the read succeeds or fails otherwise
		loop bool
	}
	tests := map[string]want{
		"ok.txt":               {body: "ok\n"},
		"inside.md":            {body: "guide\n"},
		"docs/self/guide.md":   {body: "guide\n"},
		"docs/self/self/up.md": {body: "ok\n"},
		"phys.txt":             {body: "ok\n"},
		"abs":                  {link: "abs"},
		"up":                   {link: "up"},
		"chain":                {link: "up"},
		"outdir":               {link: "outdir"},
		"outdir/secret.txt":    {link: "outdir"}, // through a linked directory
		"climb":                {link: "climb"},
		"climb/out/secret.txt": {link: "climb"},
		"gitmeta":              {link: "gitmeta"},
		"docs/deepout":         {link: "docs/deepout"},
		"loop1":                {link: "loop1", loop: true},
		"loop2":                {link: "loop2", loop: true},
	}
	for mode, tree := range linkTrees(t) {
		t.Run(mode, func(t *testing.T) {
			// Found when the tree was opened, before anything is read.
			if diff := cmp.Diff([]string{"abs", "climb", "docs/deepout", "gitmeta", "outdir", "up"}, tree.OutsideLinks()); diff != "" {
				t.Errorf("OutsideLinks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"loop1", "loop2"}, tree.LinkLoops()); diff != "" {
				t.Errorf("LinkLoops (-want +got):\n%s", diff)
			}
			for name, w := range tests {
				body, err := fs.ReadFile(tree, name)
				var le *LinkError
				switch {
				case w.link == "" && (err != nil || string(body) != w.body):
					t.Errorf("ReadFile(%s) = %q, %v, want %q", name, body, err, w.body)
				case w.link != "" && (!errors.As(err, &le) || *le != LinkError{Link: w.link, Loop: w.loop}):
					t.Errorf("ReadFile(%s) = %q, %v, want a LinkError on %s (loop %v)", name, body, err, w.link, w.loop)
				case w.link != "" && !errors.Is(err, fs.ErrNotExist):
					t.Errorf("ReadFile(%s) = %v, which is not fs.ErrNotExist", name, err)
				}
				if err != nil && strings.Contains(strings.ReplaceAll(err.Error(), name, ""), "secret.txt") {
					t.Errorf("ReadFile(%s): the error names the link's target: %v", name, err)
				}
			}
			if _, err := fs.ReadFile(tree, "dangling"); !errors.Is(err, fs.ErrNotExist) || errors.As(err, new(*LinkError)) {
				t.Errorf("ReadFile(dangling) = %v, want a plain fs.ErrNotExist", err)
			}
			if _, err := fs.Stat(tree, "outdir/secret.txt"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat through a link out = %v, want fs.ErrNotExist", err)
			}
			if _, err := fs.ReadDir(tree, "outdir"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadDir of a link out = %v, want fs.ErrNotExist", err)
			}
			// The links themselves can be described: they are in the tree.
			if info, err := fs.Lstat(tree, "abs"); err != nil || info.Mode().Type() != fs.ModeSymlink {
				t.Errorf("Lstat(abs) = %v, %v", info, err)
			}
			assertNoCanary(t, tree)
		})
	}
}

// assertNoCanary reads every listed path and walks the whole tree: nothing
// outside the repository comes back.
func assertNoCanary(t *testing.T, tree *Tree) {
	t.Helper()
	for _, p := range tree.Paths() {
		if body, _ := fs.ReadFile(tree, p); strings.Contains(string(body), canary) {
			t.Errorf("ReadFile(%s) read outside the repository", p)
		}
	}
	_ = fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if body, _ := fs.ReadFile(tree, p); strings.Contains(string(body), canary) {
				t.Errorf("walking: ReadFile(%s) read outside the repository", p)
			}
		}
		return nil
	})
}

// TestLinksListedInEveryMode: the links are files of the repository, so the
// file list holds them, whatever they point at.
func TestLinksListedInEveryMode(t *testing.T) {
	want := []string{"abs", "chain", "climb", "dangling", "docs/deepout", "docs/guide.md", "docs/self", "docs/up.md",
		"gitmeta", "inside.md", "loop1", "loop2", "ok.txt", "outdir", "phys.txt", "up"}
	for mode, tree := range linkTrees(t) {
		if diff := cmp.Diff(want, tree.Paths()); diff != "" {
			t.Errorf("%s: paths (-want +got):\n%s", mode, diff)
		}
	}
}

// TestLinkThroughDirectoryNotInIndex: the index lists a file below a
// directory that the working tree has since made a link out. Reading it is
// refused, and the link, which no list names, is remembered.
func TestLinkThroughDirectoryNotInIndex(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"sub/OWNERS.yaml": "owner: \"@acme/x\"\n", "a.txt": "a"})
	r.commit("c1")
	outside := t.TempDir()
	write(t, outside, map[string]string{"OWNERS.yaml": canary})
	if err := os.RemoveAll(filepath.Join(r.dir, "sub")); err != nil {
		t.Fatal(err)
	}
	r.symlink("sub", outside)
	tree, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if got := tree.OutsideLinks(); len(got) != 0 {
		t.Errorf("OutsideLinks before reading = %q, want none: the index names no link", got)
	}
	body, err := fs.ReadFile(tree, "sub/OWNERS.yaml")
	var le *LinkError
	if !errors.As(err, &le) || le.Link != "sub" {
		t.Fatalf("ReadFile(sub/OWNERS.yaml) = %q, %v, want a LinkError on sub", body, err)
	}
	if diff := cmp.Diff([]string{"sub"}, tree.OutsideLinks()); diff != "" {
		t.Errorf("OutsideLinks after reading (-want +got):\n%s", diff)
	}
}

// TestDirFSContract checks the working tree's file system against io/fs's
// own test, on a directory whose links all stay inside.
func TestDirFSContract(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.txt": "a", "docs/guide.md": "guide\n", "docs/deep/x.md": "x"})
	for name, target := range map[string]string{"link.md": "docs/guide.md", "deep": "docs/deep"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := fstest.TestFS(d, "a.txt", "docs/guide.md", "docs/deep/x.md", "link.md"); err != nil {
		t.Error(err)
	}
	if body, err := fs.ReadFile(d, "deep/x.md"); err != nil || string(body) != "x" {
		t.Errorf("ReadFile(deep/x.md) = %q, %v", body, err)
	}
	if target, err := fs.ReadLink(d, "link.md"); err != nil || target != "docs/guide.md" {
		t.Errorf("ReadLink(link.md) = %q, %v", target, err)
	}
	// git's metadata is not part of the repository: not read, not listed.
	write(t, dir, map[string]string{".git/config": "[remote]\n"})
	if _, err := fs.ReadFile(d, ".git/config"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(.git/config) = %v, want fs.ErrNotExist", err)
	}
	entries, err := fs.ReadDir(d, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			t.Error("ReadDir lists .git")
		}
	}
}

// TestOpenedTreeClosesItsDirectory: Close releases the working tree's
// directory, so reads after it fail instead of leaking a descriptor.
func TestOpenedTreeClosesItsDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.txt": "a"})
	tree, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ReadFile("a.txt"); err == nil {
		t.Error("ReadFile after Close succeeded")
	}
}

// memTree is a tree of files and links for the resolver, without git.
type memTree struct {
	files map[string]bool
	links map[string]string
}

func (m memTree) resolver() *linkResolver {
	isDir := func(p string) bool {
		for f := range m.files {
			if strings.HasPrefix(f, p+"/") {
				return true
			}
		}
		for l := range m.links {
			if strings.HasPrefix(l, p+"/") {
				return true
			}
		}
		return false
	}
	return &linkResolver{
		kind: func(p string) (entryKind, error) {
			switch {
			case m.links[p] != "":
				return kindLink, nil
			case m.files[p]:
				return kindFile, nil
			case isDir(p):
				return kindDir, nil
			}
			return 0, fs.ErrNotExist
		},
		readLink: func(p string) (string, error) { return m.links[p], nil },
		hideGit:  true,
		log:      &linkLog{},
	}
}

// FuzzResolveLinks: whatever the links say, a name resolves to a path
// inside the repository and out of .git, or to an error; never a panic.
func FuzzResolveLinks(f *testing.F) {
	f.Add("a/b", "../..", "a/b/c/d", true)
	f.Add("x", "/etc/passwd", "x", true)
	f.Add("x", "y/../../x", "x/q", false)
	f.Add("a/.GIT", ".", "a/.GIT/config", true)
	f.Add("l", "l/l", "l/l/l", true)
	f.Fuzz(func(t *testing.T, link, target, name string, follow bool) {
		if !fs.ValidPath(link) || !fs.ValidPath(name) || link == "." {
			return
		}
		m := memTree{files: map[string]bool{"f": true, "d/g": true}, links: map[string]string{link: target}}
		got, err := m.resolver().resolve(name, follow)
		if err != nil {
			return
		}
		if got != "." && (!fs.ValidPath(got) || got == ".." || strings.HasPrefix(got, "../")) {
			t.Errorf("resolve(%q) = %q: outside the repository", name, got)
		}
		for _, elem := range strings.Split(got, "/") {
			if strings.EqualFold(elem, ".git") {
				t.Errorf("resolve(%q) = %q: into .git", name, got)
			}
		}
		if got != path.Clean(got) {
			t.Errorf("resolve(%q) = %q, not clean", name, got)
		}
	})
}
