package snapshot

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
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

// A LinkError is why a path was not read: resolving it met a symbolic link
// that leads outside the repository, or that never resolves (a loop). The
// link's target is not part of the error: it is a path on somebody's
// machine, and nothing past the link was read.
type LinkError struct {
	Link string // the repository-relative path of the link
	Loop bool   // the link never resolves: it loops
}

func (e *LinkError) Error() string {
	if e.Loop {
		return "symbolic link " + e.Link + " never resolves: it loops"
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
}

// pendingElem is an element of a name still to resolve, with the link whose
// target it came from ("" for the name asked).
type pendingElem struct {
	name, from string
}

// resolve returns the link-free path, relative to the root ("." for the
// root itself), that name leads to. Links are followed in every element, and
// in the last one too when follow is set. Every *LinkError is logged.
func (r *linkResolver) resolve(name string, follow bool) (string, error) {
	resolved, err := r.walk(name, follow)
	if le, ok := err.(*LinkError); ok {
		r.log.add(le)
	}
	return resolved, err
}

func (r *linkResolver) walk(name string, follow bool) (string, error) {
	var done []string // the elements of the link-free path so far
	var pending []pendingElem
	push := func(p, from string) {
		elems := strings.Split(p, "/")
		next := make([]pendingElem, 0, len(elems)+len(pending))
		for _, e := range elems {
			next = append(next, pendingElem{e, from})
		}
		pending = append(next, pending...)
	}
	if name != "." {
		push(name, "")
	}
	for hops := 0; len(pending) > 0; {
		e := pending[0]
		pending = pending[1:]
		switch e.name {
		case "", ".":
			continue
		case "..":
			// Only a link's target holds "..": names asked are valid fs paths.
			if len(done) == 0 {
				return "", &LinkError{Link: e.from}
			}
			done = done[:len(done)-1]
			continue
		}
		if r.hideGit && strings.EqualFold(e.name, ".git") {
			if e.from != "" {
				return "", &LinkError{Link: e.from}
			}
			return "", fs.ErrNotExist
		}
		p := path.Join(append(done, e.name)...)
		kind, err := r.kind(p)
		if err != nil {
			return "", err
		}
		last := len(pending) == 0
		if kind == kindLink && (!last || follow) {
			if hops++; hops > maxSymlinkHops {
				return "", &LinkError{Link: p, Loop: true}
			}
			target, err := r.readLink(p)
			if err != nil {
				return "", err
			}
			if target == "" || strings.HasPrefix(target, "/") {
				return "", &LinkError{Link: p}
			}
			push(target, p)
			continue
		}
		if !last && kind != kindDir {
			return "", errNotDir
		}
		done = append(done, e.name)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}
