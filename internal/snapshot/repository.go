package snapshot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/ownerbot/ownerbot/internal/gitrepo"
)

const (
	// streamThreshold is the blob size above which go-git streams an
	// object from disk instead of inflating it into memory first, so that
	// a caller reading a huge file through a LimitReader stays bounded.
	streamThreshold = 1 << 20
	// maxOpenPacks keeps pack files open between object reads; without it
	// go-git opens and closes the pack for every object, which dominated
	// history walks. Tree.Close closes them.
	maxOpenPacks = 4
)

// repository is an open git object database shared by a tree, its files
// and its history walks.
type repository struct {
	// mu serialises every use of the object storage: go-git's filesystem
	// storage keeps unsynchronised caches (open packfiles, indexes), and a
	// tree's FS may be read from several goroutines.
	mu    sync.Mutex
	git   *git.Repository
	store *filesystem.Storage
}

// openRepository opens the repository at dir: a checkout whose .git is a
// directory or a "gitdir:" file (worktrees, submodules), or a bare
// repository.
func openRepository(dir string) (*repository, error) {
	// Inflated objects go to the process's shared cache (gitrepo), which
	// bounds them for all trees at once.
	r, store, err := gitrepo.Open(dir, nil,
		filesystem.Options{LargeObjectThreshold: streamThreshold, MaxOpenDescriptors: maxOpenPacks})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", dir, err)
	}
	return &repository{git: r, store: store}, nil
}

// close closes the pack files the storage keeps open.
func (r *repository) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store.Close()
}

// indexPaths lists the paths in the index, and which of them git holds as
// symbolic links.
func (r *repository) indexPaths() (paths, links []string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.store.Filesystem().Open("index")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil // nothing staged yet
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	if paths, links, err = parseIndexPaths(data); err != nil {
		return nil, nil, err
	}
	// The index is sorted; a conflicted path appears once per stage.
	if !slices.IsSorted(paths) {
		slices.Sort(paths)
	}
	return slices.Compact(paths), links, nil
}

// resolve finds the commit that ref names.
func (r *repository) resolve(ref string) (*object.Commit, error) {
	if gitrepo.IsCommitID(ref) {
		// As git does, a full object name is taken as one, without first
		// looking for refs of that name.
		c, err := object.GetCommit(r.store, plumbing.NewHash(ref))
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("%w %q", ErrUnknownRevision, ref)
		}
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", ref, err)
		}
		return c, nil
	}
	h, err := r.git.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		if r.empty() {
			return nil, ErrNoCommits
		}
		switch {
		case errors.Is(err, plumbing.ErrReferenceNotFound) || errors.Is(err, plumbing.ErrObjectNotFound):
			return nil, fmt.Errorf("%w %q", ErrUnknownRevision, ref)
		case errors.Is(err, io.EOF): // HEAD~99 walked off the first commit
			return nil, fmt.Errorf("%w %q: history is shorter", ErrUnknownRevision, ref)
		}
		return nil, fmt.Errorf("%w %q: %v", ErrUnknownRevision, ref, err) // syntax
	}
	c, err := object.GetCommit(r.store, *h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

// empty reports whether the repository has no reference to any object,
// which is how a repository looks before its first commit.
func (r *repository) empty() bool {
	refs, err := r.store.IterReferences()
	if err != nil {
		return false
	}
	defer refs.Close()
	errFound := errors.New("found")
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			return errFound
		}
		return nil
	})
	return err == nil
}

// blob finds a blob; the caller holds r.mu.
func (r *repository) blob(h plumbing.Hash) (plumbing.EncodedObject, error) {
	return r.store.EncodedObject(plumbing.BlobObject, h)
}

// readSmallBlob reads a blob of at most limit bytes.
func (r *repository) readSmallBlob(h plumbing.Hash, limit int64) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	obj, err := r.blob(h)
	if err != nil {
		return nil, err
	}
	if obj.Size() > limit {
		return nil, fmt.Errorf("blob %s is %d bytes, more than %d", h, obj.Size(), limit)
	}
	rc, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}

// blobSize returns a blob's size without inflating it.
func (r *repository) blobSize(h plumbing.Hash) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store.EncodedObjectSize(h)
}
