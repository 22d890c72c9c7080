package snapshot

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// A Change is the commit that last added or modified a path.
type Change struct {
	Commit string    // full hexadecimal hash
	Time   time.Time // committer time, in the committer's zone
	// Truncated is set when the walk reached the boundary of a shallow
	// clone with the path still unchanged: Commit is then the boundary
	// commit, and the real last change is that commit or an older one.
	Truncated bool
}

// LastChanged finds, for each of paths that is a file (or symlink or
// submodule) in the tree's commit, the last commit that added it or changed
// its contents or mode. Paths that are not in the commit (including
// directories, and files only staged or untracked in a checkout) are absent
// from the result. A tree without git history (a plain directory, or a
// repository before its first commit) yields an empty map.
//
// History is read along first parents only, the main line of a branch: a
// merge counts as changing a path when the path differs from the merge's
// first parent, and commits on merged branches are never reported. This is
// `git log --first-parent -1 -- PATH` for each path; renames are not
// followed, so a renamed file's last change is the rename. In a shallow
// clone, a path unchanged since the boundary gets the boundary commit, with
// Truncated set.
//
// All paths share one walk, which stops once every path is resolved. At
// each commit the requested paths are compared with the first parent's
// top-down, skipping every subtree whose hash is unchanged, so the cost
// grows with the number of commits walked and the directories that changed
// in them, not with the size of the tree. LastChanged holds the tree's
// repository for the walk; concurrent calls run one after the other.
func (t *Tree) LastChanged(paths []string) (map[string]Change, error) {
	changes := make(map[string]Change)
	if t.commitErr != nil {
		return nil, t.commitErr
	}
	if t.repo == nil || t.commit.IsZero() {
		return changes, nil
	}
	want := newPathTree(paths)
	if want.open == 0 {
		return changes, nil
	}
	t.repo.mu.Lock()
	defer t.repo.mu.Unlock()
	w := &historyWalk{store: t.repo.store, changes: changes,
		cur: make(map[plumbing.Hash]*rawTree), prev: make(map[plumbing.Hash]*rawTree)}
	if err := w.run(t.commit, want); err != nil {
		return nil, fmt.Errorf("history of %s: %w", t.commit, err)
	}
	return changes, nil
}

// A pathNode is one element of the requested paths. Arranged as a tree,
// they let one comparison of two git trees decide every path below it.
type pathNode struct {
	children map[string]*pathNode // by name
	path     string               // the requested path ending here; "" once resolved or if none
	open     int                  // requested paths at or below this node still unresolved
	seen     bool                 // scratch for keepExisting
}

func newPathTree(paths []string) *pathNode {
	root := &pathNode{}
	for _, p := range paths {
		if p == "." || !fs.ValidPath(p) {
			continue
		}
		n := root
		for elem := range strings.SplitSeq(p, "/") {
			child, ok := n.children[elem]
			if !ok {
				if n.children == nil {
					n.children = make(map[string]*pathNode)
				}
				child = &pathNode{}
				n.children[elem] = child
			}
			n = child
		}
		n.path = p
	}
	root.count()
	return root
}

// count computes open for n and everything below it.
func (n *pathNode) count() int {
	n.open = 0
	if n.path != "" {
		n.open = 1
	}
	for _, c := range n.children {
		n.open += c.count()
	}
	return n.open
}

// sum recomputes open for n from its children's counts.
func (n *pathNode) sum() {
	n.open = 0
	if n.path != "" {
		n.open = 1
	}
	for _, c := range n.children {
		n.open += c.open
	}
}

// drop forgets every requested path at or below n.
func (n *pathNode) drop() {
	n.path, n.open = "", 0
	for _, c := range n.children {
		if c.open > 0 {
			c.drop()
		}
	}
}

// historyWalk is the state of one LastChanged walk.
type historyWalk struct {
	store   *filesystem.Storage
	changes map[string]Change
	change  Change // the commit being compared with its parent
	// Trees of the commit being compared and of the one before: each
	// step's parent is the next step's commit, so every tree is read once,
	// and memory stays bounded by two commits' worth.
	cur, prev map[plumbing.Hash]*rawTree
}

func (w *historyWalk) run(start plumbing.Hash, want *pathNode) error {
	boundaries, err := w.store.Shallow()
	if err != nil {
		return fmt.Errorf("read shallow boundary: %w", err)
	}
	shallow := make(map[plumbing.Hash]bool, len(boundaries))
	for _, h := range boundaries {
		shallow[h] = true
	}
	c, err := object.GetCommit(w.store, start)
	if err != nil {
		return fmt.Errorf("read commit %s: %w", start, err)
	}
	ct, err := w.tree(c.TreeHash)
	if err != nil {
		return err
	}
	// From here on, every open path exists unchanged in each commit walked
	// until the one that resolves it, which is what lets diff skip
	// unchanged subtrees without looking inside.
	if err := w.keepExisting(want, ct); err != nil {
		return err
	}
	for want.open > 0 {
		boundary := shallow[c.Hash]
		var parent *object.Commit
		var pt *rawTree // nil: compare with an empty tree
		if len(c.ParentHashes) > 0 && !boundary {
			if parent, err = object.GetCommit(w.store, c.ParentHashes[0]); err != nil {
				return fmt.Errorf("read commit %s: %w", c.ParentHashes[0], err)
			}
			if pt, err = w.tree(parent.TreeHash); err != nil {
				return err
			}
		}
		if pt == nil || pt.hash != ct.hash {
			w.change = Change{Commit: c.Hash.String(), Time: commitTime(c), Truncated: boundary}
			if err := w.diff(want, ct, pt); err != nil {
				return err
			}
		}
		if parent == nil {
			break // against an empty tree, every open path was resolved
		}
		c, ct = parent, pt
		w.prev, w.cur = w.cur, w.prev
		clear(w.cur)
	}
	return nil
}

// tree reads a tree object, from the walk's cache when possible.
func (w *historyWalk) tree(h plumbing.Hash) (*rawTree, error) {
	if t, ok := w.cur[h]; ok {
		return t, nil
	}
	if t, ok := w.prev[h]; ok {
		w.cur[h] = t
		return t, nil
	}
	t, err := readRawTree(w.store, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	w.cur[h] = t
	return t, nil
}

// keepExisting drops the requested paths below n that are not files of t.
func (w *historyWalk) keepExisting(n *pathNode, t *rawTree) error {
	for _, k := range n.children {
		k.seen = false
	}
	entries := t.cursor()
	for e, ok := entries.next(); ok; e, ok = entries.next() {
		k := n.children[string(e.name)]
		if k == nil || k.seen {
			continue // not asked for, or a malformed tree's second entry of that name
		}
		k.seen = true
		if e.mode != filemode.Dir {
			for _, c := range k.children {
				c.drop() // nothing lies below a file
			}
		} else {
			k.path = "" // a directory, not a file
			if len(k.children) > 0 {
				sub, err := w.tree(e.hash())
				if err != nil {
					return err
				}
				if err := w.keepExisting(k, sub); err != nil {
					return err
				}
			}
		}
		k.sum()
	}
	for _, k := range n.children {
		if !k.seen {
			k.drop()
		}
	}
	n.sum()
	return nil
}

// diff resolves, at the walk's current commit, the open paths below n whose
// entries in c differ from those in p (nil for an empty tree). Both trees
// are in git's order, so one merge pass pairs their entries; an entry whose
// mode and hash are unchanged is skipped with everything below it.
func (w *historyWalk) diff(n *pathNode, c, p *rawTree) error {
	if !c.sorted || p != nil && !p.sorted {
		return w.diffUnsorted(n, c, p)
	}
	var parent treeCursor
	if p != nil {
		parent = p.cursor()
	}
	pe, pOK := parent.next()
	entries := c.cursor()
	for n.open > 0 {
		// Most entries are byte for byte those of the parent, at the same
		// place: skip them without parsing.
		if pOK && entries.same(pe) {
			pe, pOK = parent.next()
			continue
		}
		ce, ok := entries.next()
		if !ok {
			break
		}
		for pOK && compareEntries(pe, ce) < 0 {
			pe, pOK = parent.next()
		}
		paired := pOK && compareEntries(pe, ce) == 0
		if paired && pe.mode == ce.mode && bytes.Equal(pe.rawHash, ce.rawHash) {
			continue
		}
		k := n.children[string(ce.name)]
		if k == nil || k.open == 0 {
			continue
		}
		if err := w.changed(n, k, ce, pe, paired); err != nil {
			return err
		}
	}
	return nil
}

// diffUnsorted is diff for a malformed tree whose entries are out of
// order, where a merge pass could pair the wrong entries.
func (w *historyWalk) diffUnsorted(n *pathNode, c, p *rawTree) error {
	for name, k := range n.children {
		if k.open == 0 {
			continue
		}
		ce, ok := c.find(name)
		if !ok {
			continue
		}
		var pe rawEntry
		paired := false
		if p != nil {
			pe, paired = p.find(name)
			paired = paired && (pe.mode == filemode.Dir) == (ce.mode == filemode.Dir)
		}
		if paired && pe.mode == ce.mode && bytes.Equal(pe.rawHash, ce.rawHash) {
			continue
		}
		if err := w.changed(n, k, ce, pe, paired); err != nil {
			return err
		}
	}
	return nil
}

// changed handles the child k of n whose entry ce in the commit differs
// from the parent's: pe when paired (same name and kind), none otherwise.
// A file is resolved at this commit; a directory is compared in turn.
func (w *historyWalk) changed(n, k *pathNode, ce, pe rawEntry, paired bool) error {
	before := k.open
	if ce.mode != filemode.Dir {
		w.changes[k.path] = w.change
		k.drop()
	} else {
		sc, err := w.tree(ce.hash())
		if err != nil {
			return err
		}
		var sp *rawTree
		if paired {
			if sp, err = w.tree(pe.hash()); err != nil {
				return err
			}
		}
		if err := w.diff(k, sc, sp); err != nil {
			return err
		}
	}
	n.open -= before - k.open
	return nil
}

// commitTime is when a commit was made: the committer's time, which is what
// `git log` orders by and what a rebase or cherry-pick refreshes.
func commitTime(c *object.Commit) time.Time { return c.Committer.When }

// ChangeTimes is LastChanged reduced to when, in UTC: the history that
// policy evaluation asks for.
func (t *Tree) ChangeTimes(paths []string) (map[string]time.Time, error) {
	changes, err := t.LastChanged(paths)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(changes))
	for p, c := range changes {
		out[p] = c.Time.UTC()
	}
	return out, nil
}
