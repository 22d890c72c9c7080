// Package gitrepo opens git repositories on disk with go-git, reading pack
// indexes through a buffer.
//
// go-git decodes a pack's .idx file with one small read per field, so
// every open of a repository cost a system call per 4 bytes of every
// index: for a sweep that opens thousands of clones a day, most of its
// time. The buffer makes that a few large reads; nothing else changes.
package gitrepo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// shared caches decoded objects for every repository opened without a
// cache of its own. Objects are named by their content's hash, so one
// cache serves all repositories correctly; an object found in one clone is
// never decoded again for another, or for the next sweep of the same one.
// It is safe for concurrent use.
var shared = cache.NewObjectLRU(64 * cache.MiByte)

// Open opens the repository at dir: a work tree (its .git, which may be a
// linked worktree's) or a bare repository. A nil cache means the process's
// shared one.
func Open(dir string, objects cache.Object, opts filesystem.Options) (*git.Repository, *filesystem.Storage, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, nil, err
	}
	plain, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return nil, nil, fmt.Errorf("open git repository %s: unexpected storage %T", dir, r.Storer)
	}
	if objects == nil {
		objects = shared
	}
	// PlainOpen takes no storage options, so reopen its .git file system.
	store := filesystem.NewStorageWithOptions(Buffered(plain.Filesystem()), objects, opts)
	if r, err = git.Open(store, nil); err != nil {
		return nil, nil, err
	}
	return r, store, nil
}

// Buffered wraps fs so that pack indexes opened for reading are read
// through a buffer.
func Buffered(fs billy.Filesystem) billy.Filesystem { return bufferedFS{fs} }

type bufferedFS struct{ billy.Filesystem }

// bufferSize holds an index's fan-out table and a few hundred names.
const bufferSize = 16 << 10

func (b bufferedFS) Open(name string) (billy.File, error) {
	f, err := b.Filesystem.Open(name)
	if err != nil || !strings.HasSuffix(name, ".idx") {
		return f, err
	}
	r := readers.Get().(*bufio.Reader)
	r.Reset(f)
	return &bufferedFile{File: f, r: r}, nil
}

func (b bufferedFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag == os.O_RDONLY {
		return b.Open(name)
	}
	return b.Filesystem.OpenFile(name, flag, perm)
}

func (b bufferedFS) Chroot(path string) (billy.Filesystem, error) {
	fs, err := b.Filesystem.Chroot(path)
	if err != nil {
		return nil, err
	}
	return bufferedFS{fs}, nil
}

// Capabilities are those of the wrapped file system.
func (b bufferedFS) Capabilities() billy.Capability { return billy.Capabilities(b.Filesystem) }

// readers keeps the buffers of closed index files for the next ones.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufferSize) }}

// bufferedFile reads through r; seeking drops what r holds.
type bufferedFile struct {
	billy.File
	r *bufio.Reader
}

// Close closes the file and gives its buffer back.
func (f *bufferedFile) Close() error {
	if f.r != nil {
		f.r.Reset(nil)
		readers.Put(f.r)
		f.r = nil
	}
	return f.File.Close()
}

func (f *bufferedFile) Read(p []byte) (int, error) {
	if f.r == nil {
		return 0, os.ErrClosed
	}
	return f.r.Read(p)
}

func (f *bufferedFile) Seek(offset int64, whence int) (int64, error) {
	if whence == io.SeekCurrent {
		pos, err := f.File.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		if f.r != nil {
			pos -= int64(f.r.Buffered())
		}
		offset, whence = pos+offset, io.SeekStart
	}
	pos, err := f.File.Seek(offset, whence)
	if f.r != nil {
		f.r.Reset(f.File)
	}
	return pos, err
}

func (f *bufferedFile) Write([]byte) (int, error) {
	return 0, errors.New("gitrepo: write to a file opened for reading")
}

// IsCommitID reports whether s is a full object name in git's lower-case
// hexadecimal form, as GitHub writes commit SHAs.
func IsCommitID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
