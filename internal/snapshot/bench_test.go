package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// BenchmarkLastChanged asks for 1,000 paths of a 20,000-file repository
// (500 top-level directories) with 2,000 commits after the first, each
// changing one to five files. Besides ns/op it reports, from the same run,
// what two naive approaches cost, each timed on a sample of the paths and
// scaled to all of them: a first-parent walk per path that looks the path
// up in every commit's tree (naive-ns/op), and a LastChanged call per path
// (per-path-ns/op), which isolates what sharing one walk saves.
//
// go-git's own per-path log (LogOptions.FileName) is not measured: it took
// minutes per path on this repository.
func BenchmarkLastChanged(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 20,000-file repository with 2,000 commits")
	}
	start := time.Now()
	g := generateRepo(b, 500, 40, 2000)
	b.Logf("setup: %d files, 2,001 commits in %v", len(g.paths), time.Since(start).Round(time.Millisecond))
	tree, err := OpenRef(g.dir, "HEAD")
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	var paths []string
	for i := 0; i < len(g.paths) && len(paths) < 1000; i += len(g.paths) / 1000 {
		paths = append(paths, g.paths[i])
	}

	var changes map[string]Change
	loops := 0
	for b.Loop() {
		if changes, err = tree.LastChanged(paths); err != nil {
			b.Fatal(err)
		}
		loops++
	}
	shared := float64(b.Elapsed().Nanoseconds()) / float64(loops)
	if len(changes) != len(paths) {
		b.Fatalf("%d changes for %d paths", len(changes), len(paths))
	}

	// Every 100th path: old and recently changed ones alike.
	var sample []string
	for i := 0; i < len(paths); i += 100 {
		sample = append(sample, paths[i])
	}
	scale := func(d time.Duration) float64 {
		return float64(d.Nanoseconds()) / float64(len(sample)) * float64(len(paths))
	}

	repo, err := git.PlainOpen(g.dir)
	if err != nil {
		b.Fatal(err)
	}
	head, err := repo.ResolveRevision(plumbing.Revision("HEAD"))
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	for _, p := range sample {
		got, err := naiveLastChange(repo, *head, p)
		if err != nil {
			b.Fatal(p, err)
		}
		if got.String() != changes[p].Commit {
			b.Fatalf("%s: naive walk says %s, LastChanged %s", p, got, changes[p].Commit)
		}
	}
	naive := scale(time.Since(start))

	start = time.Now()
	for _, p := range sample {
		one, err := tree.LastChanged([]string{p})
		if err != nil || one[p] != changes[p] {
			b.Fatalf("%s: alone %v, %v; together %v", p, one[p], err, changes[p])
		}
	}
	perPath := scale(time.Since(start))

	b.ReportMetric(naive, "naive-ns/op")
	b.ReportMetric(naive/shared, "x-faster-than-naive")
	b.ReportMetric(perPath, "per-path-ns/op")
	b.ReportMetric(perPath/shared, "x-faster-than-per-path")
}

// naiveLastChange is the straightforward way to find when path last
// changed: walk first parents from head, looking the path up in each
// commit's tree, until its entry differs from the parent's.
func naiveLastChange(repo *git.Repository, head plumbing.Hash, path string) (plumbing.Hash, error) {
	entryAt := func(c *object.Commit) (*object.TreeEntry, error) {
		t, err := c.Tree()
		if err != nil {
			return nil, err
		}
		e, err := t.FindEntry(path)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, nil
		}
		return e, err
	}
	c, err := repo.CommitObject(head)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	e, err := entryAt(c)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for len(c.ParentHashes) > 0 {
		p, err := repo.CommitObject(c.ParentHashes[0])
		if err != nil {
			return plumbing.ZeroHash, err
		}
		pe, err := entryAt(p)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if pe == nil || pe.Hash != e.Hash || pe.Mode != e.Mode {
			break
		}
		c, e = p, pe
	}
	return c.Hash, nil
}

// BenchmarkOpen lists the git index of a 100,000-file checkout. The index
// is made with fake entries that all name the empty blob, which is all
// Open reads.
func BenchmarkOpen(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-entry index")
	}
	requireGit(b)
	dir := b.TempDir()
	runGitIn(b, dir, epoch, nil, "init", "-q", "-b", "main")
	empty := string(bytes.TrimSpace([]byte(runGitIn(b, dir, epoch, nil, "hash-object", "-w", "--stdin"))))
	var entries bytes.Buffer
	for d := range 2000 {
		for f := range 50 {
			fmt.Fprintf(&entries, "100644 %s\tsrc/dir%04d/file%02d.go\n", empty, d, f)
		}
	}
	runGitIn(b, dir, epoch, entries.Bytes(), "update-index", "--index-info")
	for b.Loop() {
		tree, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(tree.Paths()); n != 100_000 {
			b.Fatalf("%d paths", n)
		}
	}
}

// BenchmarkOpenRef lists the tree of a commit with 100,000 files in 2,500
// directories: what a PR check pays per snapshot before reading anything.
func BenchmarkOpenRef(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-file repository")
	}
	g := generateRepo(b, 2500, 40, 0)
	for b.Loop() {
		tree, err := OpenRef(g.dir, "HEAD")
		if err != nil {
			b.Fatal(err)
		}
		if n := len(tree.Paths()); n != len(g.paths) {
			b.Fatalf("%d paths, want %d", n, len(g.paths))
		}
		tree.Close()
	}
}
