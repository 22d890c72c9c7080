package snapshot

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// A DirFS reads a directory on disk and nothing outside it. Names are
// resolved one element at a time and a symbolic link is followed only while
// it stays inside the directory and out of .git (see links.go); the file is
// then opened through an os.Root, so that even a link swapped in between the
// check and the open cannot lead a read outside.
//
// It implements fs.ReadFileFS, fs.StatFS, fs.ReadDirFS and fs.ReadLinkFS.
type DirFS struct {
	dir   string
	root  *os.Root
	raw   fs.FS // root.FS(): follows links, but only inside the directory
	links *linkLog
	memo  *linkMemo // what its links resolved to (links.go)
	// dirs are the paths found to be directories, not links: most reads
	// share their directories, and asking again would double their cost.
	dirs sync.Map
}

// OpenDir opens dir for reading through a DirFS. Close releases it.
func OpenDir(dir string) (*DirFS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &DirFS{dir: dir, root: root, raw: root.FS(), links: &linkLog{}, memo: newLinkMemo()}, nil
}

// Close closes the directory; reads after it fail.
func (d *DirFS) Close() error { return d.root.Close() }

// OutsideLinks returns, sorted, the symbolic links that reads met and
// refused because they lead outside the directory.
func (d *DirFS) OutsideLinks() []string { return d.links.list(false) }

// LinkLoops returns, sorted, the symbolic links that reads met and refused
// because they loop.
func (d *DirFS) LinkLoops() []string { return d.links.list(true) }

func (d *DirFS) resolver() *linkResolver {
	return &linkResolver{
		// Deciding by path is several times cheaper than through the root,
		// which opens every directory on the way; p's directories were just
		// found not to be links. Should one be swapped for a link meanwhile,
		// the answer only steers the walk: the read itself goes through the
		// root, and no content outside is read.
		kind: func(p string) (entryKind, error) {
			if _, ok := d.dirs.Load(p); ok {
				return kindDir, nil
			}
			info, err := os.Lstat(filepath.Join(d.dir, filepath.FromSlash(p)))
			switch {
			case err != nil:
				return 0, underlying(err)
			case info.Mode()&fs.ModeSymlink != 0:
				return kindLink, nil
			case info.IsDir():
				d.dirs.Store(p, true)
				return kindDir, nil
			}
			return kindFile, nil
		},
		readLink: func(p string) (string, error) {
			target, err := os.Readlink(filepath.Join(d.dir, filepath.FromSlash(p)))
			return filepath.ToSlash(target), underlying(err)
		},
		hideGit: true,
		log:     d.links,
		memo:    d.memo,
	}
}

// underlying drops an os.PathError's own path: the caller names the path
// that was asked for.
func underlying(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// resolve returns the link-free path that name leads to inside the directory.
func (d *DirFS) resolve(op, name string, follow bool) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p, err := d.resolver().resolve(name, follow)
	if err != nil {
		return "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	return p, nil
}

// refuseLinks resolves each of links, so that the log holds every one that
// leads outside or loops before anything reads them.
func (d *DirFS) refuseLinks(links []string) {
	r := d.resolver()
	for _, p := range links {
		_, _ = r.resolve(p, true) // errors are logged
	}
}

// through resolves name by the rule for links (following a final link
// when follow is set) and calls do with the result, naming op and name in
// its error.
func through[T any](d *DirFS, op, name string, follow bool, do func(string) (T, error)) (T, error) {
	var zero T
	p, err := d.resolve(op, name, follow)
	if err != nil {
		return zero, err
	}
	v, err := do(p)
	if err != nil {
		return zero, &fs.PathError{Op: op, Path: name, Err: underlying(err)}
	}
	return v, nil
}

// Open opens the named file or directory.
func (d *DirFS) Open(name string) (fs.File, error) {
	f, err := through(d, "open", name, true, d.root.Open)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil fs.File
	}
	return f, nil
}

// ReadFile reads the whole named file.
func (d *DirFS) ReadFile(name string) ([]byte, error) {
	return through(d, "readfile", name, true, d.root.ReadFile)
}

// Stat describes the named file, following links.
func (d *DirFS) Stat(name string) (fs.FileInfo, error) {
	return through(d, "stat", name, true, d.root.Stat)
}

// Lstat describes the named file without following a final link.
func (d *DirFS) Lstat(name string) (fs.FileInfo, error) {
	return through(d, "lstat", name, false, d.root.Lstat)
}

// ReadLink returns the target of the named link. It reads the link, never
// what it points at.
func (d *DirFS) ReadLink(name string) (string, error) {
	return through(d, "readlink", name, false, d.root.Readlink)
}

// ReadDir lists the named directory, sorted by name.
func (d *DirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := through(d, "readdir", name, true, func(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.raw, p) })
	if err != nil {
		return nil, err
	}
	// git's metadata is not the repository's: what Open refuses is not listed.
	return slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return strings.EqualFold(e.Name(), ".git") }), nil
}
