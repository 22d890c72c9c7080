package ghapp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/gitrepo"
)

var (
	// ErrMissingCommit means a wanted commit is not in the repository even
	// after a fetch: typically a PR head that was force-pushed away.
	ErrMissingCommit = errors.New("commit not found in repository")
	// ErrRepositoryNotFound means the git server answered 404: the
	// repository was deleted, renamed or is no longer visible to the
	// installation.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrGitAuth means the git server rejected the installation token.
	ErrGitAuth = errors.New("git server rejected the installation token")
)

// CloneCache keeps one bare repository per installation and repository on
// local disk, fetched incrementally, so that snapshots of base and head need
// no full clone per event. Total size is bounded by evicting the least
// recently used repositories that nobody holds.
type CloneCache struct {
	dir      string
	maxBytes int64
	logger   zerolog.Logger

	mu    sync.Mutex
	repos map[string]*cachedRepo // by directory
	total int64
	tick  uint64 // logical clock for LRU order
}

// cachedRepo is one bare repository. lock admits one fetch at a time (a
// channel so that waiting honours ctx); holders counts Fetches in progress
// and open Checkouts, which protects it from eviction.
type cachedRepo struct {
	dir     string
	lock    chan struct{}
	holders int   // guarded by CloneCache.mu
	size    int64 // guarded by CloneCache.mu
	lastUse uint64
	// present are commits a fetch found or brought here, newest last, so
	// that asking for them again (a sweep polling an unchanged branch)
	// opens nothing. Guarded by lock.
	present []string
}

// maxPresent bounds cachedRepo.present: a default branch's head, and the
// bases and heads of the pull requests being checked.
const maxPresent = 16

// FetchRequest says which repository to bring up to date and what must be
// in it afterwards.
type FetchRequest struct {
	InstallationID int64
	Owner, Repo    string
	// CloneURL as the API returned it (so GHES and test servers work). It
	// must not carry credentials.
	CloneURL string
	// Token is sent as HTTP basic auth (user "x-access-token"); it is never
	// stored in a URL, on disk, or in an error or log.
	Token string
	// Refs to fetch, e.g. "refs/heads/main", "refs/pull/7/head"; each is
	// fetched as +ref:ref.
	Refs []string
	// Want are commit SHAs that must exist afterwards (PR head and base).
	// When all are present already, Fetch makes no network request.
	Want []string
}

// Checkout is a bare repository held for reading. It is not evicted until
// Close; a concurrent Fetch of the same repository may add objects and move
// refs, so read by commit SHA.
type Checkout struct {
	Dir            string // a bare repository
	InstallationID int64
	Owner, Repo    string

	cache *CloneCache
	repo  *cachedRepo
	once  sync.Once
}

// Open opens the bare repository with go-git.
func (co *Checkout) Open() (*git.Repository, error) {
	r, _, err := gitrepo.Open(co.Dir, nil, filesystem.Options{})
	return r, err
}

// Close releases the checkout. It is safe to call more than once.
func (co *Checkout) Close() {
	co.once.Do(func() { co.cache.release(co.repo) })
}

// NewCloneCache returns a cache rooted at dir, creating it if needed.
// Repositories left there by an earlier process are adopted (and count
// towards maxBytes) so the bound holds across restarts.
func NewCloneCache(dir string, maxBytes int64, logger zerolog.Logger) (*CloneCache, error) {
	if maxBytes <= 0 {
		return nil, errors.New("clone cache: maxBytes must be positive")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("clone cache: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("clone cache: %w", err)
	}
	c := &CloneCache{dir: abs, maxBytes: maxBytes, logger: logger, repos: make(map[string]*cachedRepo)}
	if err := c.adopt(); err != nil {
		return nil, fmt.Errorf("clone cache: %w", err)
	}
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	return c, nil
}

// Fetch brings the repository up to date for req and returns it held. Only
// one fetch per repository runs at a time; concurrent callers wait and then
// usually find their commits present without touching the network.
func (c *CloneCache) Fetch(ctx context.Context, req FetchRequest) (*Checkout, error) {
	dir, err := c.repoDir(req)
	if err != nil {
		return nil, err
	}
	name := req.Owner + "/" + req.Repo
	r := c.hold(dir)
	select {
	case r.lock <- struct{}{}:
	case <-ctx.Done():
		c.release(r)
		return nil, fmt.Errorf("fetch %s: %w", name, ctx.Err())
	}
	var fetched bool
	if !r.has(req.Want) {
		fetched, err = c.fetchLocked(ctx, dir, req)
		if err == nil {
			r.remember(req.Want)
		}
	}
	if fetched {
		// Measured even when the fetch failed: it may have written a pack.
		size, serr := dirSize(dir)
		if serr != nil && !errors.Is(serr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("measure: %w", serr)
		}
		c.mu.Lock()
		c.total += size - r.size
		r.size = size
		c.evictLocked()
		c.mu.Unlock()
	}
	<-r.lock
	if err != nil {
		c.release(r)
		return nil, redact(fmt.Errorf("fetch %s: %w", name, err), req.Token)
	}
	return &Checkout{Dir: dir, InstallationID: req.InstallationID, Owner: req.Owner, Repo: req.Repo, cache: c, repo: r}, nil
}

// fetchLocked runs with the repository's lock held. It reports whether it
// went to the network.
func (c *CloneCache) fetchLocked(ctx context.Context, dir string, req FetchRequest) (bool, error) {
	repo, err := openOrInit(dir, req.CloneURL)
	if err != nil {
		return false, err
	}
	if len(req.Want) > 0 && len(missingCommits(repo, req.Want)) == 0 {
		return false, nil
	}
	specs := make([]config.RefSpec, 0, len(req.Refs))
	for _, ref := range req.Refs {
		specs = append(specs, config.RefSpec("+"+ref+":"+ref))
	}
	opts := &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   specs,
		Depth:      0,
		Force:      true,
		Tags:       git.NoTags,
	}
	if req.Token != "" {
		opts.Auth = &githttp.BasicAuth{Username: "x-access-token", Password: req.Token}
	}
	c.logger.Debug().Int64("installation", req.InstallationID).Str("repository", req.Owner+"/"+req.Repo).
		Strs("refs", req.Refs).Msg("git fetch")
	var refErr error
	switch err := repo.FetchContext(ctx, opts); {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return true, ErrRepositoryNotFound
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return true, ErrGitAuth
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		// A ref is gone (a deleted branch); what matters is whether the
		// wanted commits are here, so report that below.
		refErr = err
	default:
		return true, err
	}
	if missing := missingCommits(repo, req.Want); len(missing) > 0 {
		if refErr != nil {
			return true, fmt.Errorf("%w: %s (%v)", ErrMissingCommit, strings.Join(missing, ", "), refErr)
		}
		return true, fmt.Errorf("%w: %s (force-pushed away?)", ErrMissingCommit, strings.Join(missing, ", "))
	}
	if refErr != nil && len(req.Want) == 0 {
		return true, refErr
	}
	return true, nil
}

// has reports whether every commit in want is known to be here. The
// caller holds r.lock.
func (r *cachedRepo) has(want []string) bool {
	if len(want) == 0 {
		return false // a fetch by refs alone always asks the server
	}
	for _, sha := range want {
		if !slices.Contains(r.present, sha) {
			return false
		}
	}
	return true
}

// remember records want as present. The caller holds r.lock.
func (r *cachedRepo) remember(want []string) {
	for _, sha := range want {
		if i := slices.Index(r.present, sha); i >= 0 {
			r.present = slices.Delete(r.present, i, i+1)
		}
		r.present = append(r.present, sha)
	}
	if n := len(r.present) - maxPresent; n > 0 {
		r.present = slices.Delete(r.present, 0, n)
	}
}

// openOrInit opens the bare repository at dir or creates it with a remote
// named origin. The remote holds the plain URL: credentials are passed per
// fetch, so the config on disk never contains a token.
func openOrInit(dir, cloneURL string) (*git.Repository, error) {
	repo, _, err := gitrepo.Open(dir, nil, filesystem.Options{})
	switch {
	case errors.Is(err, git.ErrRepositoryNotExists):
		if repo, err = initRepo(dir); err != nil {
			return nil, err
		}
	case err != nil:
		// Half-written by a crashed process: start again.
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if repo, err = initRepo(dir); err != nil {
			return nil, err
		}
	}
	remote, err := repo.Remote("origin")
	switch {
	case errors.Is(err, git.ErrRemoteNotFound):
	case err != nil:
		return nil, err
	case len(remote.Config().URLs) == 1 && remote.Config().URLs[0] == cloneURL:
		return repo, nil
	default: // the URL changed (a renamed repository, a moved host)
		if err := repo.DeleteRemote("origin"); err != nil {
			return nil, err
		}
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{cloneURL}}); err != nil {
		return nil, fmt.Errorf("create remote: %w", err)
	}
	return repo, nil
}

func initRepo(dir string) (*git.Repository, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return repo, nil
}

func missingCommits(repo *git.Repository, want []string) []string {
	var missing []string
	for _, sha := range want {
		if _, err := repo.CommitObject(plumbing.NewHash(sha)); err != nil {
			missing = append(missing, sha)
		}
	}
	return missing
}

// repoDir validates req and maps it to dir/<installation>/<owner>/<repo>.git.
// Names are checked, not rewritten, so two repositories can never share a
// directory and no name can climb out of the cache.
func (c *CloneCache) repoDir(req FetchRequest) (string, error) {
	if req.InstallationID <= 0 {
		return "", fmt.Errorf("fetch: invalid installation id %d", req.InstallationID)
	}
	if err := checkName(req.Owner); err != nil {
		return "", fmt.Errorf("fetch: owner: %w", err)
	}
	if err := checkName(req.Repo); err != nil {
		return "", fmt.Errorf("fetch: repo: %w", err)
	}
	u, err := url.Parse(req.CloneURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("fetch %s/%s: clone URL must be an http(s) URL", req.Owner, req.Repo)
	}
	if u.User != nil {
		return "", fmt.Errorf("fetch %s/%s: clone URL must not carry credentials", req.Owner, req.Repo)
	}
	for _, ref := range req.Refs {
		if !strings.HasPrefix(ref, "refs/") || strings.ContainsAny(ref, ":+*^~? \t\n\\") || strings.Contains(ref, "..") {
			return "", fmt.Errorf("fetch %s/%s: invalid ref %q", req.Owner, req.Repo, ref)
		}
	}
	for _, sha := range req.Want {
		if !gitrepo.IsCommitID(sha) {
			return "", fmt.Errorf("fetch %s/%s: invalid commit SHA %q", req.Owner, req.Repo, sha)
		}
	}
	if len(req.Refs) == 0 && len(req.Want) == 0 {
		return "", fmt.Errorf("fetch %s/%s: nothing to fetch", req.Owner, req.Repo)
	}
	// GitHub names are case-insensitive.
	return filepath.Join(c.dir, strconv.FormatInt(req.InstallationID, 10),
		strings.ToLower(req.Owner), strings.ToLower(req.Repo)+".git"), nil
}

// checkName accepts the characters GitHub allows in owner and repository
// names; "." and ".." are refused, ".github" is fine.
func checkName(s string) error {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return fmt.Errorf("invalid name %q", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("invalid name %q", s)
		}
	}
	return nil
}

// hold registers a user of the repository at dir, creating its entry.
func (c *CloneCache) hold(dir string) *cachedRepo {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.repos[dir]
	if !ok {
		r = &cachedRepo{dir: dir, lock: make(chan struct{}, 1)}
		c.repos[dir] = r
	}
	r.holders++
	c.tick++
	r.lastUse = c.tick
	return r
}

func (c *CloneCache) release(r *cachedRepo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r.holders--
	c.tick++
	r.lastUse = c.tick
	c.evictLocked()
}

// evictLocked removes least recently used, unheld repositories until the
// total fits. A held repository is never removed, so the total may stay
// above the bound while everything is in use. Removal happens under c.mu so
// that no Fetch can re-create the directory meanwhile.
func (c *CloneCache) evictLocked() {
	for c.total > c.maxBytes {
		var victim *cachedRepo
		for _, r := range c.repos {
			if r.holders == 0 && (victim == nil || r.lastUse < victim.lastUse) {
				victim = r
			}
		}
		if victim == nil {
			return
		}
		if err := os.RemoveAll(victim.dir); err != nil {
			c.logger.Error().Err(err).Str("dir", victim.dir).Msg("clone cache: evict")
			return
		}
		delete(c.repos, victim.dir)
		c.total -= victim.size
		c.logger.Info().Str("dir", victim.dir).Int64("bytes", victim.size).Msg("clone cache: evicted")
	}
}

// adopt registers repositories left by an earlier process, oldest first.
func (c *CloneCache) adopt() error {
	matches, err := filepath.Glob(filepath.Join(c.dir, "*", "*", "*.git"))
	if err != nil {
		return err
	}
	for _, dir := range matches {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		size, err := dirSize(dir)
		if err != nil {
			return err
		}
		c.repos[dir] = &cachedRepo{dir: dir, lock: make(chan struct{}, 1), size: size}
		c.total += size
	}
	return nil
}

func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	return total, err
}

// redact keeps a token out of an error message even if some layer below put
// it there. When it has to rewrite, the chain is cut, since the wrapped
// errors would print the token again; the package's sentinel stays
// matchable.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	r := &redactedError{msg: strings.ReplaceAll(err.Error(), token, "[REDACTED]")}
	for _, sentinel := range []error{ErrMissingCommit, ErrRepositoryNotFound, ErrGitAuth} {
		if errors.Is(err, sentinel) {
			r.sentinel = sentinel
		}
	}
	return r
}

type redactedError struct {
	msg      string
	sentinel error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.sentinel }
