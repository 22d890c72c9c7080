package snapshot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

const (
	// maxTreeFiles is more files than any repository ownerbot is meant for
	// holds (the largest monorepos hold a few hundred thousand), and far
	// fewer than a crafted tree repeating one subtree can name: billions.
	maxTreeFiles = 2_000_000
	// maxPathLen bounds directory depth: a checkout cannot hold a longer
	// path either (PATH_MAX).
	maxPathLen = 4096
	// maxSymlinkHops is where resolving gives up, as Linux does (ELOOP).
	maxSymlinkHops = 40
	// maxLinkTarget bounds a symlink blob we read as a path (PATH_MAX).
	maxLinkTarget = 4096
)

var (
	errNotDir     = errors.New("not a directory")
	errIsDir      = errors.New("is a directory")
	errNotSymlink = fmt.Errorf("not a symbolic link: %w", fs.ErrInvalid)
)

// commitFS is the file system of one commit's tree. Files are the tree's
// blobs; directories are implied by the paths below them, as git records no
// directories of its own. Symbolic links are followed while they stay inside
// the tree; reading through one that leads out, or loops, fails with a
// *LinkError (links.go).
// Submodules are listed (fs.ModeIrregular) but cannot be opened.
type commitFS struct {
	repo    *repository
	paths   []string // sorted bytewise, no duplicates
	entries []entry  // entries[i] is paths[i]'s
	modTime time.Time
	limit   int // on len(paths): maxTreeFiles, less in tests
	links   *linkLog
	memo    *linkMemo // what its links resolved to (links.go)
}

type entry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// commitFS lists the tree of commit c and returns a file system over it.
func (r *repository) commitFS(c *object.Commit) (*commitFS, error) {
	f := &commitFS{repo: r, modTime: commitTime(c), limit: maxTreeFiles, links: &linkLog{}, memo: newLinkMemo()}
	if err := f.list(c.TreeHash, ""); err != nil {
		return nil, err
	}
	f.sort()
	f.refuseLinks()
	return f, nil
}

// list appends the non-directory entries of tree h and below, depth first.
func (f *commitFS) list(h plumbing.Hash, prefix string) error {
	t, err := readRawTree(f.repo.store, h)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", strings.TrimSuffix(prefix, "/"), err)
	}
	entries := t.cursor()
	for e, ok := entries.next(); ok; e, ok = entries.next() {
		// git refuses to check out such names; a crafted tree can still hold
		// them, and no fs.FS path could name them (.git: a checkout's would be
		// git's metadata, which is not the repository's, see links.go).
		if name := string(e.name); name == "" || name == "." || name == ".." ||
			strings.ContainsAny(name, "/\x00") || strings.EqualFold(name, ".git") {
			continue
		}
		p := prefix + string(e.name)
		if e.mode == filemode.Dir {
			if len(p) >= maxPathLen {
				return fmt.Errorf("directory %.64s... is nested deeper than %d bytes", p, maxPathLen)
			}
			if err := f.list(e.hash(), p+"/"); err != nil {
				return err
			}
			continue
		}
		if len(f.paths) >= f.limit {
			return fmt.Errorf("tree has more than %d files", f.limit)
		}
		f.paths = append(f.paths, p)
		f.entries = append(f.entries, entry{hash: e.hash(), mode: e.mode})
	}
	return nil
}

// sort orders paths bytewise. Git's tree order already yields that for the
// full paths; only a malformed tree (unsorted or with duplicate names)
// needs the work.
func (f *commitFS) sort() {
	sorted := true
	for i := 1; i < len(f.paths); i++ {
		if f.paths[i-1] >= f.paths[i] {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	idx := make([]int, len(f.paths))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return f.paths[idx[a]] < f.paths[idx[b]] })
	paths := make([]string, 0, len(idx))
	entries := make([]entry, 0, len(idx))
	for _, i := range idx {
		if n := len(paths); n > 0 && paths[n-1] == f.paths[i] {
			continue // the first of duplicate names wins, as in go-git's lookups
		}
		paths = append(paths, f.paths[i])
		entries = append(entries, f.entries[i])
	}
	f.paths, f.entries = paths, entries
}

// lookup finds the file at p.
func (f *commitFS) lookup(p string) (int, bool) {
	return slices.BinarySearch(f.paths, p)
}

// isDir reports whether some file lies below p.
func (f *commitFS) isDir(p string) bool {
	prefix := p + "/"
	i, _ := slices.BinarySearch(f.paths, prefix)
	return i < len(f.paths) && strings.HasPrefix(f.paths[i], prefix)
}

// A node is what a name resolves to: the file at index file, or, when
// file is -1, the directory dir ("." for the root).
type node struct {
	file int
	dir  string
}

// resolver resolves names in the commit's tree, following links only while
// they stay inside it (see links.go).
func (f *commitFS) resolver() *linkResolver {
	return &linkResolver{
		kind: func(p string) (entryKind, error) {
			if i, ok := f.lookup(p); ok {
				if f.entries[i].mode == filemode.Symlink {
					return kindLink, nil
				}
				return kindFile, nil
			}
			if f.isDir(p) {
				return kindDir, nil
			}
			return 0, fs.ErrNotExist
		},
		readLink: func(p string) (string, error) {
			i, _ := f.lookup(p)
			target, err := f.repo.readSmallBlob(f.entries[i].hash, maxLinkTarget)
			if err != nil {
				return "", fmt.Errorf("read link %s: %w", p, err)
			}
			return string(target), nil
		},
		hideGit: true, // as on disk, so the same commit is judged the same way
		log:     f.links,
		memo:    f.memo,
	}
}

// resolve finds what name refers to, following symbolic links in every
// element but the last, and in the last too when follow is set.
func (f *commitFS) resolve(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p, err := f.resolver().resolve(name, follow)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if i, ok := f.lookup(p); ok {
		return node{file: i}, nil
	}
	return node{file: -1, dir: p}, nil
}

// refuseLinks resolves every link of the tree once, so that the tree's
// links log holds each one that leads outside or loops before anything
// reads them.
func (f *commitFS) refuseLinks() {
	r := f.resolver()
	for i, e := range f.entries {
		if e.mode == filemode.Symlink {
			_, _ = r.resolve(f.paths[i], true) // errors are logged
		}
	}
}

func join(dir, elem string) string {
	switch {
	case dir == "":
		return elem
	case elem == "":
		return dir
	}
	return dir + "/" + elem
}

// Open opens name for reading. A file streams its blob as it is read.
func (f *commitFS) Open(name string) (fs.File, error) {
	n, err := f.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	if n.file < 0 {
		return &dirFile{fsys: f, info: f.dirInfo(name), dir: n.dir}, nil
	}
	e := f.entries[n.file]
	if e.mode == filemode.Submodule {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSubmodule}
	}
	f.repo.mu.Lock()
	obj, err := f.repo.blob(e.hash)
	f.repo.mu.Unlock()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info := fileInfo{name: path.Base(name), size: obj.Size(), mode: fileMode(e.mode), modTime: f.modTime}
	return &blobFile{fsys: f, info: info, obj: obj}, nil
}

// Stat describes name, following symbolic links, without reading the blob.
func (f *commitFS) Stat(name string) (fs.FileInfo, error) {
	return f.stat("stat", name, true)
}

// Lstat describes name without following a final symbolic link.
func (f *commitFS) Lstat(name string) (fs.FileInfo, error) {
	return f.stat("lstat", name, false)
}

func (f *commitFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	n, err := f.resolve(op, name, follow)
	if err != nil {
		return nil, err
	}
	if n.file < 0 {
		return f.dirInfo(name), nil
	}
	info, err := f.fileInfo(path.Base(name), n.file)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return info, nil
}

// ReadLink returns the target of the symbolic link name.
func (f *commitFS) ReadLink(name string) (string, error) {
	n, err := f.resolve("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.file < 0 || f.entries[n.file].mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: errNotSymlink}
	}
	target, err := f.repo.readSmallBlob(f.entries[n.file].hash, maxLinkTarget)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(target), nil
}

// ReadFile reads the whole of name.
func (f *commitFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, ok := file.(*blobFile)
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	buf := make([]byte, 0, b.info.size+1) // +1: reach EOF without growing
	for {
		n, err := b.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 512)
		}
	}
}

// ReadDir lists the directory name, sorted by file name.
func (f *commitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.resolve("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if n.file >= 0 {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return f.readDir(n.dir), nil
}

// readDir lists the children of dir from the range of paths below it.
func (f *commitFS) readDir(dir string) []fs.DirEntry {
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
	}
	var list []fs.DirEntry
	i, _ := slices.BinarySearch(f.paths, prefix)
	for i < len(f.paths) && strings.HasPrefix(f.paths[i], prefix) {
		rest := f.paths[i][len(prefix):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			list = append(list, dirEntry{fsys: f, name: rest, file: i})
			i++
			continue
		}
		name := rest[:slash]
		list = append(list, dirEntry{fsys: f, name: name, file: -1})
		// Skip the subdirectory's files: they all sort before name+"0",
		// '0' being the byte after '/'.
		end := prefix + name + "0"
		i += sort.Search(len(f.paths)-i, func(j int) bool { return f.paths[i+j] >= end })
	}
	// Bytewise path order is not name order: "a.b" sorts before "a/c".
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list
}

func (f *commitFS) dirInfo(name string) fileInfo {
	return fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755, modTime: f.modTime}
}

// fileInfo describes the entry at index i without following a link.
func (f *commitFS) fileInfo(name string, i int) (fileInfo, error) {
	e := f.entries[i]
	info := fileInfo{name: name, mode: fileMode(e.mode), modTime: f.modTime}
	if e.mode == filemode.Submodule {
		return info, nil
	}
	size, err := f.repo.blobSize(e.hash)
	if err != nil {
		return fileInfo{}, err
	}
	info.size = size
	return info, nil
}

// fileMode maps git's few file modes to fs modes, as a checkout would.
func fileMode(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	case filemode.Submodule:
		return fs.ModeIrregular
	}
	return 0o644
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return i.modTime }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }
func (i fileInfo) String() string     { return fs.FormatFileInfo(i) }

type dirEntry struct {
	fsys *commitFS
	name string
	file int // -1 for a directory
}

func (d dirEntry) Name() string { return d.name }
func (d dirEntry) IsDir() bool  { return d.file < 0 }
func (d dirEntry) Type() fs.FileMode {
	if d.file < 0 {
		return fs.ModeDir
	}
	return fileMode(d.fsys.entries[d.file].mode).Type()
}

// Info describes the entry as Lstat does; the blob's size is looked up
// only now, so that walking a tree reads no blob headers.
func (d dirEntry) Info() (fs.FileInfo, error) {
	if d.file < 0 {
		return d.fsys.dirInfo(d.name), nil
	}
	return d.fsys.fileInfo(d.name, d.file)
}

func (d dirEntry) String() string { return fs.FormatDirEntry(d) }

// blobFile reads a blob. The object's reader is opened on the first Read,
// so that an Open for Stat costs no inflation.
type blobFile struct {
	fsys   *commitFS
	info   fileInfo
	obj    plumbing.EncodedObject
	r      io.ReadCloser
	closed bool
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b.info, nil }

func (b *blobFile) Read(p []byte) (int, error) {
	if b.closed {
		return 0, &fs.PathError{Op: "read", Path: b.info.name, Err: fs.ErrClosed}
	}
	// Streams of large objects read the pack through go-git's shared
	// caches, so reads take the repository's lock too.
	b.fsys.repo.mu.Lock()
	defer b.fsys.repo.mu.Unlock()
	if b.r == nil {
		r, err := b.obj.Reader()
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: b.info.name, Err: err}
		}
		b.r = r
	}
	return b.r.Read(p)
}

func (b *blobFile) Close() error {
	if b.closed {
		return &fs.PathError{Op: "close", Path: b.info.name, Err: fs.ErrClosed}
	}
	b.closed = true
	if b.r == nil {
		return nil
	}
	b.fsys.repo.mu.Lock()
	defer b.fsys.repo.mu.Unlock()
	return b.r.Close()
}

// dirFile is an open directory; its listing is made on the first ReadDir.
type dirFile struct {
	fsys   *commitFS
	info   fileInfo
	dir    string
	list   []fs.DirEntry
	listed bool
	offset int
	closed bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errIsDir}
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.info.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest with a nil error;
// n > 0 returns at most n entries, and io.EOF once there are none left.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.info.name, Err: fs.ErrClosed}
	}
	if !d.listed {
		d.list, d.listed = d.fsys.readDir(d.dir), true
	}
	rest := d.list[d.offset:]
	if n <= 0 {
		d.offset = len(d.list)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.offset += len(rest)
	return slices.Clone(rest), nil
}
