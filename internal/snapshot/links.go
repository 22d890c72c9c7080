package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// One rule for symbolic links, whatever the tree comes from: a link is
// followed only while it stays inside the repository. A link whose target is
// absolute, climbs out with "..", reaches git's own metadata (.git, which
// holds remotes and, in CI checkouts, credentials), or loops is never
// followed, and nothing below it is read. Reading such a path fails with a
// *LinkError, which callers that only ask whether a file exists take for
// fs.ErrNotExist. The tree remembers every link it refused, so evaluation
// can report each as a finding (policy rule link.outside_repository).
//
// Links that stay inside are followed, as a checkout and os.DirFS would:
// GitHub's documentation says nothing about links for the files ownerbot
// reads, and an in-tree link can show nothing the repository does not hold.
//
// A pushed tree can name millions of links cheaply (git stores a repeated
// subtree once), so each link is resolved once per tree and remembered
// (linkMemo), and the target elements walked over all links are bounded
// (maxLinkWork): past it, links not yet resolved are refused as leading
// outside, unread, and the rest of the tree is still read.

// A LinkError is why a path was not read: resolving it met a symbolic link
// that leads outside the repository, or that never resolves (a loop). The
// link's target is not part of the error: it is a path on somebody's
// machine, and nothing past the link was read.
type LinkError struct {
	Link string // the repository-relative path of the link
	Loop bool   // the link never resolves: it loops
	// Spent: the tree's work budget for resolving links (maxLinkWork) was
	// spent before this link was read, so it is taken as leading outside.
	Spent bool
	// Long: the link's target has more than maxLinkElems elements, more
	// than any real link; it is taken as leading outside.
	Long bool
}

func (e *LinkError) Error() string {
	switch {
	case e.Loop:
		return "symbolic link " + e.Link + " never resolves: it loops"
	case e.Spent:
		return fmt.Sprintf("symbolic link %s taken as leading outside the repository: the tree's budget of %d path elements for resolving links is spent", e.Link, maxLinkWork)
	case e.Long:
		return fmt.Sprintf("symbolic link %s taken as leading outside the repository: its target has more than %d elements", e.Link, maxLinkElems)
	}
	return "symbolic link " + e.Link + " leads outside the repository"
}

// Is makes a refused path one that does not exist, for callers that only
// ask that.
func (e *LinkError) Is(target error) bool { return target == fs.ErrNotExist }

// linkLog is the set of links a tree refused, found when the tree was opened
// or met while reading it. It is safe for concurrent use.
type linkLog struct {
	mu      sync.Mutex
	outside map[string]bool
	loops   map[string]bool
}

func (l *linkLog) add(e *LinkError) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	set := &l.outside
	if e.Loop {
		set = &l.loops
	}
	if *set == nil {
		*set = map[string]bool{}
	}
	(*set)[e.Link] = true
}

func (l *linkLog) list(loops bool) []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.outside
	if loops {
		set = l.loops
	}
	if len(set) == 0 {
		return nil
	}
	return slices.Sorted(func(yield func(string) bool) {
		for p := range set {
			if !yield(p) {
				return
			}
		}
	})
}

// An entryKind is what a name is, without following it.
type entryKind int

const (
	kindFile entryKind = iota
	kindDir
	kindLink
)

// A linkResolver resolves names inside a repository one element at a time,
// as the kernel does on disk, so that ".." after a link means the parent of
// where the link led, not of the link. It asks its tree only two questions.
type linkResolver struct {
	// kind describes the entry at p, a link-free path, without following it.
	kind func(p string) (entryKind, error)
	// readLink returns the target of the link at p.
	readLink func(p string) (string, error)
	// hideGit makes any element named .git (in any case) not part of the
	// repository: on disk it is git's metadata, not the repository's files.
	hideGit bool
	log     *linkLog
	// memo is the tree's: what its links resolved to, and its work budget.
	// A resolver without one makes its own.
	memo *linkMemo
}

const (
	// maxLinkElems bounds the elements of one link's target. Real links
	// name a few; PATH_MAX alone would allow 2,048 (x/../x/..).
	maxLinkElems = 256
	// maxLinkWork bounds the link target elements a tree walks, over all its
	// links, each resolved once (linkMemo). Real repositories need a few
	// thousand; a pushed tree can repeat a subtree of links a million times.
	maxLinkWork = 4_000_000
)

// errHops is an internal sentinel: resolving needed more links than were
// left of maxSymlinkHops. The walk of a name turns it into a loop.
var errHops = errors.New("too many symbolic links")

// linkMemo remembers, for the life of a tree, what each link resolved to, so
// a chain many links reach is resolved once, and spends the tree's work
// budget. It is safe for concurrent use; two readers may resolve the same
// link at once, to the same answer.
type linkMemo struct {
	mu    sync.Mutex
	links map[string]linkResult
	limit int64 // maxLinkWork, less in tests
	work  atomic.Int64
}

func newLinkMemo() *linkMemo { return &linkMemo{limit: maxLinkWork} }

// A linkResult is what following a link fully, from its own directory, gave:
// the link-free path (and whether it is a directory) after hops links, this
// one included; or an error that does not depend on where the link was met;
// or, when exceeds > 0, only that it takes more than exceeds hops.
type linkResult struct {
	path    string
	isDir   bool
	hops    int
	err     error
	exceeds int
}

func (m *linkMemo) get(p string) (linkResult, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	res, ok := m.links[p]
	return res, ok
}

func (m *linkMemo) put(p string, res linkResult) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.links == nil {
		m.links = map[string]linkResult{}
	}
	if old, ok := m.links[p]; ok && res.exceeds > 0 && old.exceeds > res.exceeds {
		return // keep what is known
	}
	m.links[p] = res
}

// spend takes n from the budget and reports whether it held.
func (m *linkMemo) spend(n int) bool { return m.work.Add(int64(n)) <= m.limit }

func (m *linkMemo) spent() bool { return m.work.Load() >= m.limit }

// resolve returns the link-free path, relative to the root ("." for the
// root itself), that name leads to. Links are followed in every element, and
// in the last one too when follow is set. Every *LinkError is logged.
func (r *linkResolver) resolve(name string, follow bool) (string, error) {
	if r.memo == nil {
		r.memo = newLinkMemo()
	}
	resolved, _, _, err := r.walk(".", name, "", follow, maxSymlinkHops)
	if le, ok := err.(*LinkError); ok {
		r.log.add(le)
	}
	return resolved, err
}

// walk resolves the elements of s from dir, a link-free directory: s is the
// name asked (from "") or the target of link from. The last element's link
// is followed when followLast is set; with hopsLeft links at most. It returns
// the link-free path, whether it is a directory, and the links followed.
func (r *linkResolver) walk(dir, s, from string, followLast bool, hopsLeft int) (string, bool, int, error) {
	elems := strings.Split(s, "/")
	if from != "" && len(elems) > maxLinkElems {
		return "", false, 0, &LinkError{Link: from, Long: true}
	}
	done, isDir, used := dir, true, 0
	for i, e := range elems {
		switch e {
		case "", ".":
			continue
		case "..":
			// Only a link's target holds "..": names asked are valid fs paths.
			if done == "." {
				return "", false, 0, &LinkError{Link: from}
			}
			done, isDir = path.Dir(done), true
			continue
		}
		if r.hideGit && strings.EqualFold(e, ".git") {
			if from != "" {
				return "", false, 0, &LinkError{Link: from}
			}
			return "", false, 0, fs.ErrNotExist
		}
		p := e
		if done != "." {
			p = done + "/" + e
		}
		kind, err := r.kind(p)
		if err != nil {
			return "", false, 0, err
		}
		last := i == len(elems)-1
		if kind == kindLink && (!last || followLast) {
			res := r.link(p, hopsLeft-used)
			if res.err != nil {
				if res.err == errHops && from == "" {
					return "", false, 0, &LinkError{Link: p, Loop: true}
				}
				return "", false, 0, res.err
			}
			used += res.hops
			done, isDir = res.path, res.isDir
			if !last && !isDir {
				return "", false, 0, errNotDir
			}
			continue
		}
		if !last && kind != kindDir {
			return "", false, 0, errNotDir
		}
		done, isDir = p, kind == kindDir
	}
	return done, isDir, used, nil
}

// link follows the link at p, a link-free path, fully, with hopsLeft links
// at most (this one included), remembering the answer.
func (r *linkResolver) link(p string, hopsLeft int) linkResult {
	if res, ok := r.memo.get(p); ok {
		switch {
		case res.err != nil:
			return res
		case res.exceeds > 0 && hopsLeft <= res.exceeds, res.exceeds == 0 && res.hops > hopsLeft:
			return linkResult{err: errHops}
		case res.exceeds == 0:
			return res
		}
	}
	if hopsLeft < 1 {
		return linkResult{err: errHops}
	}
	res := r.follow(p, hopsLeft)
	switch {
	case res.err == errHops:
		r.memo.put(p, linkResult{exceeds: hopsLeft})
	default:
		r.memo.put(p, res)
	}
	return res
}

func (r *linkResolver) follow(p string, hopsLeft int) linkResult {
	// Past the budget a link is not even read.
	if r.memo.spent() {
		return linkResult{err: &LinkError{Link: p, Spent: true}}
	}
	target, err := r.readLink(p)
	if err != nil {
		return linkResult{err: err}
	}
	if target == "" || strings.HasPrefix(target, "/") {
		return linkResult{err: &LinkError{Link: p}}
	}
	if !r.memo.spend(strings.Count(target, "/") + 1) {
		return linkResult{err: &LinkError{Link: p, Spent: true}}
	}
	resolved, isDir, used, err := r.walk(path.Dir(p), target, p, true, hopsLeft-1)
	if err != nil {
		return linkResult{err: err}
	}
	return linkResult{path: resolved, isDir: isDir, hops: used + 1}
}
