package snapshot

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// hashSize is the length of a binary object name in a tree entry.
const hashSize = len(plumbing.ZeroHash)

var errMalformedTree = errors.New("malformed tree object")

// rawTree is a tree object as git stores it: entries of
// "<octal mode> <name>\0<binary hash>". History walks read entries in place
// instead of decoding trees, which would allocate a string per name for
// every tree of every commit walked.
type rawTree struct {
	hash plumbing.Hash
	data []byte
	// sorted is true when entries are in git's order (a subtree sorting as
	// if its name ended in "/"), as git writes them; a crafted tree may
	// break it.
	sorted bool
}

type rawEntry struct {
	raw     []byte // the whole entry
	name    []byte
	mode    filemode.FileMode
	rawHash []byte
}

func (e rawEntry) hash() plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], e.rawHash)
	return h
}

// readRawTree reads and checks the tree object h.
func readRawTree(store *filesystem.Storage, h plumbing.Hash) (*rawTree, error) {
	obj, err := store.EncodedObject(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, obj.Size())
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	t := &rawTree{hash: h, data: data, sorted: true}
	var prev rawEntry
	for rest, first := data, true; len(rest) > 0; first = false {
		var e rawEntry
		if e, rest, err = parseEntry(rest); err != nil {
			return nil, fmt.Errorf("tree %s: %w", h, err)
		}
		if !first && compareEntries(prev, e) >= 0 {
			t.sorted = false
		}
		prev = e
	}
	return t, nil
}

func parseEntry(data []byte) (rawEntry, []byte, error) {
	sp := bytes.IndexByte(data[:min(len(data), 8)], ' ') // modes have at most 7 digits
	if sp <= 0 {
		return rawEntry{}, nil, errMalformedTree
	}
	var mode filemode.FileMode
	switch string(data[:sp]) { // the modes git writes, without parsing
	case "100644":
		mode = filemode.Regular
	case "40000":
		mode = filemode.Dir
	case "100755":
		mode = filemode.Executable
	case "120000":
		mode = filemode.Symlink
	case "160000":
		mode = filemode.Submodule
	default:
		for _, d := range data[:sp] {
			if d < '0' || d > '7' {
				return rawEntry{}, nil, errMalformedTree
			}
			mode = mode<<3 | filemode.FileMode(d-'0')
		}
	}
	nul := bytes.IndexByte(data[sp+1:], 0)
	if nul < 0 || len(data) < sp+1+nul+1+hashSize {
		return rawEntry{}, nil, errMalformedTree
	}
	end := sp + 1 + nul
	e := rawEntry{raw: data[:end+1+hashSize], name: data[sp+1 : end], mode: mode, rawHash: data[end+1 : end+1+hashSize]}
	return e, data[end+1+hashSize:], nil
}

// treeCursor steps through a checked tree's entries.
type treeCursor struct{ rest []byte }

func (t *rawTree) cursor() treeCursor { return treeCursor{rest: t.data} }

func (c *treeCursor) next() (rawEntry, bool) {
	if len(c.rest) == 0 {
		return rawEntry{}, false
	}
	e, rest, err := parseEntry(c.rest)
	if err != nil {
		return rawEntry{}, false // cannot happen: readRawTree checked the tree
	}
	c.rest = rest
	return e, true
}

// same reports whether the next entry is e, byte for byte, and if so steps
// past it.
func (c *treeCursor) same(e rawEntry) bool {
	n := len(e.raw)
	if len(c.rest) < n || !bytes.Equal(c.rest[:n], e.raw) {
		return false
	}
	c.rest = c.rest[n:]
	return true
}

// find returns the first entry called name.
func (t *rawTree) find(name string) (rawEntry, bool) {
	c := t.cursor()
	for e, ok := c.next(); ok; e, ok = c.next() {
		if string(e.name) == name {
			return e, true
		}
	}
	return rawEntry{}, false
}

// compareEntries orders entries as git sorts a tree: by name, a subtree's
// name read as if it ended in "/".
func compareEntries(a, b rawEntry) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	for i := n; ; i++ {
		ca, cb := sortByte(a, i), sortByte(b, i)
		if ca != cb || ca < 0 {
			return cmp.Compare(ca, cb)
		}
	}
}

// sortByte is byte i of e's sort name, or -1 past its end.
func sortByte(e rawEntry, i int) int {
	switch {
	case i < len(e.name):
		return int(e.name[i])
	case i == len(e.name) && e.mode == filemode.Dir:
		return '/'
	}
	return -1
}
