// Package snapshot gives the rest of ownerbot a repository tree to read: the
// paths of its files, their contents and when each last changed, from a git
// commit, a git checkout or a plain directory.
package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// Source says where a tree's list of files came from.
type Source string

// The sources of a tree's file list.
const (
	// GitIndex lists the files git tracks (the index, so staged changes
	// count), which leaves out build output and other untracked files.
	GitIndex Source = "git index"
	// GitCommit lists the files of a commit's tree, as git ls-tree -r does.
	GitCommit Source = "git commit"
	// Directory lists every file below the directory, except .git.
	Directory Source = "directory"
)

// Errors that callers may want to tell apart, to word a message or choose
// an exit code. They are wrapped with the directory or revision concerned.
var (
	ErrNotRepository   = errors.New("not a git repository")
	ErrNoCommits       = errors.New("repository has no commits")
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrSubmodule is returned when opening a submodule (a gitlink) of a
	// commit's tree: git records only the commit it points to.
	ErrSubmodule = errors.New("submodule: its contents are in another repository")
)

// A Tree is a repository's files. Trees from [Open] read contents from the
// working tree; trees from [OpenRef] read the committed contents. Either way
// nothing outside the repository is read: a symbolic link is followed only
// while it stays inside (see [LinkError]), and the links refused are listed
// by OutsideLinks and LinkLoops.
//
// Besides Open, a Tree implements fs.ReadFileFS, fs.StatFS, fs.ReadDirFS and
// fs.ReadLinkFS by forwarding to its FS, so the helpers in io/fs take the
// FS's fast paths through it.
type Tree struct {
	fs.FS
	root   string
	paths  []string
	source Source

	// For trees backed by git: the repository and the commit whose history
	// LastChanged walks. commit is zero when HEAD has no commit yet; a
	// failure to resolve HEAD when opening a checkout is kept in commitErr
	// so that Open still succeeds for callers that only list and read.
	repo      *repository
	commit    plumbing.Hash
	commitErr error

	links *linkLog
	dir   *DirFS // the working tree, for trees from Open
}

// Paths returns the repository-relative paths of the tree's files, sorted
// bytewise, as git sorts them. The caller must not modify the slice.
func (t *Tree) Paths() []string { return t.paths }

// Source says where the file list came from.
func (t *Tree) Source() Source { return t.source }

// Root is the directory the tree was opened from.
func (t *Tree) Root() string { return t.root }

// Commit returns the full hash of the commit the tree's history starts from:
// the resolved revision for [OpenRef], HEAD for a checkout opened with
// [Open]. It is empty for a plain directory or a repository without commits.
func (t *Tree) Commit() string {
	if t.commit.IsZero() {
		return ""
	}
	return t.commit.String()
}

// Close releases the few pack files a tree backed by git keeps open between
// reads, and the working tree's directory of a tree from [Open]. A tree from
// [OpenRef] stays usable after Close, reopening packs as needed; a tree from
// Open can no longer read files, though its history still works.
func (t *Tree) Close() error {
	var err error
	if t.dir != nil {
		err = t.dir.Close()
	}
	if t.repo != nil {
		err = errors.Join(err, t.repo.close())
	}
	return err
}

// OutsideLinks returns, sorted, the symbolic links of the tree that lead
// outside the repository (or into .git): every such link the tree lists,
// found when it was opened, and any other that reading met, such as a
// directory the index lists files below that is a link in the working
// tree. Nothing is read through them.
func (t *Tree) OutsideLinks() []string { return t.links.list(false) }

// LinkLoops returns, sorted, the symbolic links of the tree that never
// resolve because they loop, found as OutsideLinks are.
func (t *Tree) LinkLoops() []string { return t.links.list(true) }

// ReadFile reads the named file, as fs.ReadFile on the tree's FS does.
func (t *Tree) ReadFile(name string) ([]byte, error) { return fs.ReadFile(t.FS, name) }

// Stat describes the named file, following symbolic links.
func (t *Tree) Stat(name string) (fs.FileInfo, error) { return fs.Stat(t.FS, name) }

// ReadDir lists the named directory, sorted by name.
func (t *Tree) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(t.FS, name) }

// ReadLink returns the target of the named symbolic link.
func (t *Tree) ReadLink(name string) (string, error) { return fs.ReadLink(t.FS, name) }

// Lstat describes the named file without following a final symbolic link.
func (t *Tree) Lstat(name string) (fs.FileInfo, error) { return fs.Lstat(t.FS, name) }

// Open opens the tree at dir: the files git tracks when dir is the top of a
// git checkout, every file below dir otherwise. Contents are read from the
// working tree through a [DirFS], so no read leaves dir; LastChanged walks
// the history from HEAD as it was when Open ran. Close releases dir.
//
// A bare repository (see [IsBare]) has no working tree: its files are git's
// own, never the repository's. Open reads it at HEAD, as [OpenRef] with
// "HEAD" does; one without commits is an error wrapping [ErrNoCommits].
func Open(dir string) (*Tree, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	if IsBare(dir) {
		return openBare(dir)
	}
	dfs, err := OpenDir(dir)
	if err != nil {
		return nil, err
	}
	t, err := openWorkTree(dir, dfs)
	if err != nil {
		dfs.Close()
		return nil, err
	}
	return t, nil
}

func openWorkTree(dir string, dfs *DirFS) (*Tree, error) {
	t := &Tree{FS: dfs, root: dir, links: dfs.links, dir: dfs}
	var links []string // the listed paths that are symbolic links
	var err error
	if _, statErr := dfs.root.Lstat(".git"); statErr != nil {
		t.source = Directory
		if t.paths, links, err = walkPaths(dfs.raw); err != nil {
			return nil, err
		}
		dfs.refuseLinks(links)
		return t, nil
	}
	t.source = GitIndex
	repo, err := openRepository(dir)
	if err != nil {
		return nil, err
	}
	if t.paths, links, err = repo.indexPaths(); err != nil {
		return nil, fmt.Errorf("read git index of %s: %w", dir, err)
	}
	// The index says which paths git holds as links; the working tree says
	// where they lead now.
	dfs.refuseLinks(links)
	t.repo = repo
	head, err := repo.git.Head()
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// An unborn branch: files may be staged, but nothing has history.
	case err != nil:
		t.commitErr = fmt.Errorf("resolve HEAD of %s: %w", dir, err)
	default:
		t.commit = head.Hash()
	}
	return t, nil
}

// IsBare reports whether dir is a git directory with no working tree around
// it: a bare repository such as a server's bare.git, or the .git directory
// of a checkout named directly. It looks as git does: a HEAD file, and
// objects and refs at the top, and no .git inside.
func IsBare(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return false
	}
	head, err := os.Lstat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	objects, err := os.Stat(filepath.Join(dir, "objects"))
	if err != nil || !objects.IsDir() {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "refs"))
	return err == nil
}

// openBare opens a bare repository at HEAD, with errors that say why a bare
// repository has nothing to read.
func openBare(dir string) (*Tree, error) {
	t, err := OpenRef(dir, "HEAD")
	switch {
	case errors.Is(err, ErrNoCommits):
		return nil, fmt.Errorf("bare repository %s: %w yet, so it has no files to read", dir, ErrNoCommits)
	case errors.Is(err, ErrUnknownRevision):
		return nil, fmt.Errorf("bare repository %s: HEAD names a branch without commits (%w %q); read another branch by name", dir, ErrUnknownRevision, "HEAD")
	}
	return t, err
}

// OpenRef opens the tree of the commit that ref names in the repository at
// dir (a checkout or a bare repository). ref is anything go-git's
// ResolveRevision understands: a branch, a tag (annotated tags are peeled),
// HEAD, HEAD~2, a full or abbreviated commit hash. Contents are the
// committed blobs; the working tree and the index are never read.
func OpenRef(dir, ref string) (*Tree, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	repo, err := openRepository(dir)
	if err != nil {
		return nil, err
	}
	commit, err := repo.resolve(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	fsys, err := repo.commitFS(commit)
	if err != nil {
		return nil, fmt.Errorf("%s: read tree of %s: %w", dir, commit.Hash, err)
	}
	return &Tree{
		FS: fsys, root: dir, paths: fsys.paths, source: GitCommit,
		repo: repo, commit: commit.Hash, links: fsys.links,
	}, nil
}

// FromPaths makes a tree from a file system and an explicit list of paths,
// for tests and for callers that already know the list. It has no history.
func FromPaths(fsys fs.FS, paths []string) *Tree {
	paths = slices.Clone(paths)
	slices.Sort(paths)
	return &Tree{FS: fsys, paths: slices.Compact(paths), source: Directory}
}

// walkPaths lists the files below the root of fsys, and which of them are
// symbolic links. Links are listed, never walked into.
func walkPaths(fsys fs.FS) (paths, links []string, err error) {
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		paths = append(paths, p)
		if d.Type()&fs.ModeSymlink != 0 {
			links = append(links, p)
		}
		return nil
	})
	slices.Sort(paths)
	return paths, links, err
}
