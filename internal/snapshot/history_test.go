package snapshot

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// historyRepo builds a history with every kind of change LastChanged must
// tell apart. The labels are the commits, oldest first:
//
//	c1  adds everything
//	c2  edits docs/a.md, adds docs/b.md
//	c3  deletes gone.txt, renames old.txt to new.txt
//	f1  (branch feature) edits x/y/z.txt, adds feat.txt
//	f2  (branch feature) edits docs/b.md
//	c4  edits README.md, re-adds gone.txt with its old contents
//	m1  merges feature
//	i1  (branch ignored) edits x/keep.txt
//	m2  merges ignored with -s ours: keeps main's x/keep.txt
//	c5  makes script.sh executable, points link elsewhere
//	c6  edits the deep file
//	c7  changes nothing
func historyRepo(t *testing.T) *testRepo {
	r := newTestRepo(t)
	r.write(map[string]string{
		"README.md": "readme v1\n", "docs/a.md": "a v1\n", "deep/1/2/3/4/5/f.txt": "f v1\n",
		"old.txt": "old\n", "gone.txt": "gone\n", "script.sh": "#!/bin/sh\n",
		"x/keep.txt": "keep\n", "x/y/z.txt": "z v1\n",
	})
	r.symlink("link", "README.md")
	r.commit("c1")
	r.write(map[string]string{"docs/a.md": "a v2\n", "docs/b.md": "b v1\n"})
	r.commit("c2")
	r.remove("gone.txt")
	r.git("mv", "old.txt", "new.txt")
	r.commit("c3")
	r.git("checkout", "-q", "-b", "feature")
	r.write(map[string]string{"x/y/z.txt": "z v2\n", "feat.txt": "feat\n"})
	r.commit("f1")
	r.write(map[string]string{"docs/b.md": "b v2\n"})
	r.commit("f2")
	r.git("checkout", "-q", "main")
	r.write(map[string]string{"README.md": "readme v2\n", "gone.txt": "gone\n"})
	r.commit("c4")
	r.record("m1", "merge", "-q", "--no-ff", "-m", "m1", "feature")
	r.git("checkout", "-q", "-b", "ignored")
	r.write(map[string]string{"x/keep.txt": "keep v2\n"})
	r.commit("i1")
	r.git("checkout", "-q", "main")
	r.record("m2", "merge", "-q", "--no-ff", "-s", "ours", "-m", "m2", "ignored")
	r.chmod("script.sh", 0o755)
	r.symlink("link", "docs/a.md")
	r.commit("c5")
	r.write(map[string]string{"deep/1/2/3/4/5/f.txt": "f v2\n"})
	r.commit("c6")
	r.commit("c7")
	return r
}

// labelled turns LastChanged's result into commit labels, checking each
// change's time against the commit's date.
func labelled(t *testing.T, r *testRepo, changes map[string]Change) map[string]string {
	t.Helper()
	got := make(map[string]string, len(changes))
	for path, c := range changes {
		label, ok := r.labels[c.Commit]
		if !ok {
			label = c.Commit
		}
		if !c.Time.Equal(r.dates[label]) {
			t.Errorf("%s: time %v, want %v", path, c.Time, r.dates[label])
		}
		if c.Truncated {
			label += " (truncated)"
		}
		got[path] = label
	}
	return got
}

// notFiles are requested alongside real paths and must never appear.
var notFiles = []string{"missing.txt", "docs", "x/y", "x", "deep/1/2", "deep/1/2/3/4/5/f.txt/nope",
	"../README.md", "/README.md", "", ".", "README.md/", "docs//a.md"}

func TestLastChanged(t *testing.T) {
	r := historyRepo(t)
	tests := []struct {
		ref  string
		want map[string]string // path → label
	}{
		{"main", map[string]string{
			"README.md":            "c4",
			"docs/a.md":            "c2",
			"docs/b.md":            "m1", // changed on the branch: the merge brings it to main
			"deep/1/2/3/4/5/f.txt": "c6",
			"new.txt":              "c3", // renames are not followed
			"gone.txt":             "c4", // re-added, though with the contents it had in c1
			"script.sh":            "c5", // a mode change is a change
			"link":                 "c5",
			"x/keep.txt":           "c1", // m2 kept main's version: not a change on main
			"x/y/z.txt":            "m1",
			"feat.txt":             "m1",
		}},
		{r.commits["c3"], map[string]string{
			"README.md": "c1", "docs/a.md": "c2", "docs/b.md": "c2", "deep/1/2/3/4/5/f.txt": "c1",
			"new.txt": "c3", "script.sh": "c1", "link": "c1", "x/keep.txt": "c1", "x/y/z.txt": "c1",
		}},
		{"feature", map[string]string{
			"README.md": "c1", "docs/a.md": "c2", "docs/b.md": "f2", "deep/1/2/3/4/5/f.txt": "c1",
			"new.txt": "c3", "script.sh": "c1", "link": "c1", "x/keep.txt": "c1", "x/y/z.txt": "f1",
			"feat.txt": "f1",
		}},
		{"HEAD~3", map[string]string{ // m2
			"README.md": "c4", "docs/a.md": "c2", "docs/b.md": "m1", "deep/1/2/3/4/5/f.txt": "c1",
			"new.txt": "c3", "gone.txt": "c4", "script.sh": "c1", "link": "c1", "x/keep.txt": "c1",
			"x/y/z.txt": "m1", "feat.txt": "m1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			tree, err := OpenRef(r.dir, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			// Every path in one call, with the ones that are not files.
			changes, err := tree.LastChanged(append(slices.Clone(tree.Paths()), notFiles...))
			if err != nil {
				t.Fatal(err)
			}
			got := labelled(t, r, changes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LastChanged (-want +got):\n%s", diff)
			}
			// git agrees, path by path.
			for _, p := range tree.Paths() {
				if want := r.gitLastChange(tt.ref, p); got[p] != want {
					t.Errorf("%s: LastChanged says %s, git log --first-parent says %s", p, got[p], want)
				}
			}
			// A subset, asked for alone, gives the same answers.
			for _, p := range []string{"docs/b.md", "deep/1/2/3/4/5/f.txt"} {
				one, err := tree.LastChanged([]string{p, p})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(map[string]string{p: tt.want[p]}, labelled(t, r, one)); diff != "" {
					t.Errorf("LastChanged(%s) (-want +got):\n%s", p, diff)
				}
			}
		})
	}
}

func TestLastChangedOfCheckoutStartsAtHEAD(t *testing.T) {
	r := historyRepo(t)
	r.write(map[string]string{"README.md": "edited, not committed\n", "staged.txt": "s"})
	r.git("add", "staged.txt")
	tree, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := tree.LastChanged([]string{"README.md", "staged.txt", "docs/b.md", "x/keep.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"README.md": "c4", "docs/b.md": "m1", "x/keep.txt": "c1"}
	if diff := cmp.Diff(want, labelled(t, r, changes)); diff != "" {
		t.Errorf("LastChanged (-want +got):\n%s", diff)
	}
}

func TestLastChangedShallowClone(t *testing.T) {
	r := historyRepo(t)
	clone := filepath.Join(t.TempDir(), "clone")
	r.git("clone", "-q", "--depth", "3", "file://"+r.dir, clone)
	tree, err := OpenRef(clone, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	changes, err := tree.LastChanged(tree.Paths())
	if err != nil {
		t.Fatal(err)
	}
	// Depth 3 holds c7, c6 and c5; c5 is the boundary, and everything that
	// did not change after it is dated at it, marked as truncated.
	want := map[string]string{
		"deep/1/2/3/4/5/f.txt": "c6",
		"README.md":            "c5 (truncated)", "docs/a.md": "c5 (truncated)", "docs/b.md": "c5 (truncated)",
		"new.txt": "c5 (truncated)", "gone.txt": "c5 (truncated)", "script.sh": "c5 (truncated)",
		"link": "c5 (truncated)", "x/keep.txt": "c5 (truncated)", "x/y/z.txt": "c5 (truncated)",
		"feat.txt": "c5 (truncated)",
	}
	if diff := cmp.Diff(want, labelled(t, r, changes)); diff != "" {
		t.Errorf("LastChanged (-want +got):\n%s", diff)
	}
}

func TestLastChangedWithoutHistory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.txt": "a"})
	plain, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	unborn := newTestRepo(t)
	unborn.write(map[string]string{"a.txt": "a"})
	unborn.git("add", "a.txt")
	fresh, err := Open(unborn.dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.txt"}, fresh.Paths()); diff != "" {
		t.Errorf("staged paths (-want +got):\n%s", diff)
	}
	trees := map[string]*Tree{
		"directory":   plain,
		"no commits":  fresh,
		"from paths":  FromPaths(fstest.MapFS{"a.txt": {}}, []string{"a.txt"}),
		"empty index": FromPaths(nil, nil),
	}
	for name, tree := range trees {
		changes, err := tree.LastChanged([]string{"a.txt"})
		if err != nil || changes == nil || len(changes) != 0 {
			t.Errorf("%s: LastChanged = %v, %v, want an empty map", name, changes, err)
		}
		if tree.Commit() != "" {
			t.Errorf("%s: Commit() = %q", name, tree.Commit())
		}
	}
}

// TestLastChangedAgreesWithGit checks a generated history of adds, edits
// and deletes across many directories, asking for every path at once.
func TestLastChangedAgreesWithGit(t *testing.T) {
	g := generateRepo(t, 30, 10, 120)
	tree, err := OpenRef(g.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.paths, tree.Paths()); diff != "" {
		t.Fatalf("paths (-ls-tree +got):\n%s", diff)
	}
	changes, err := tree.LastChanged(tree.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != len(g.paths) {
		t.Errorf("%d changes for %d paths", len(changes), len(g.paths))
	}
	r := &testRepo{tb: t, dir: g.dir}
	// git log per path is slow; every 7th path covers each directory.
	for i := 0; i < len(g.paths); i += 7 {
		p := g.paths[i]
		want := r.gitLastChange("HEAD", p)
		if got := changes[p].Commit; got != want {
			t.Errorf("%s: LastChanged says %s, git says %s", p, got, want)
		}
		want = r.git("--literal-pathspecs", "log", "--first-parent", "-1", "--format=%ct", "HEAD", "--", p)
		if got := strconv.FormatInt(changes[p].Time.Unix(), 10); got != want {
			t.Errorf("%s: LastChanged time %s, git says %s", p, got, want)
		}
	}
}

func TestLastChangedIsSafeForConcurrentUse(t *testing.T) {
	r := historyRepo(t)
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	want, err := tree.LastChanged(tree.Paths())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan map[string]Change)
	for range 4 {
		go func() {
			got, err := tree.LastChanged(tree.Paths())
			if err != nil {
				t.Error(err)
			}
			if _, err := tree.ReadFile("README.md"); err != nil {
				t.Error(err)
			}
			done <- got
		}()
	}
	for range 4 {
		if diff := cmp.Diff(want, <-done); diff != "" {
			t.Errorf("concurrent LastChanged (-want +got):\n%s", diff)
		}
	}
}

func TestTreeIsUsableAfterClose(t *testing.T) {
	r := historyRepo(t)
	r.git("gc", "-q") // packs, which are what Close closes
	tree, err := OpenRef(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	before, err := tree.LastChanged(tree.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := tree.LastChanged(tree.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("LastChanged after Close (-before +after):\n%s", diff)
	}
	if body, err := tree.ReadFile("README.md"); err != nil || string(body) != "readme v2\n" {
		t.Errorf("ReadFile after Close = %q, %v", body, err)
	}
	if err := FromPaths(nil, nil).Close(); err != nil {
		t.Errorf("Close of a tree without git = %v", err)
	}
}
