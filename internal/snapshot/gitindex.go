package snapshot

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
)

// The index is read by hand because go-git's decoder reads each field of
// each entry through encoding/binary and reflection: 270 ms and 1.6 million
// allocations for a 100,000-file index, a quarter of what `ownerbot check`
// may spend on such a repository. Only names and the flags that decide
// whether an entry counts are read here.

var errIndexUnsupported = errors.New("unsupported index")

const (
	indexHeaderSize     = 12
	indexEntryFixedSize = 62 // stat data, mode, ids, size, hash, flags
	indexFlagExtended   = 0x4000
	indexExtIntentToAdd = 0x2000
	indexNameMask       = 0x0fff
	indexModeSymlink    = 0o120000
)

// parseIndexPaths lists the names in a git index file of version 2, 3 or 4
// (see git's Documentation/gitformat-index.txt), leaving out intent-to-add
// entries, which stage no contents, and which of them are symbolic links
// (a conflicted path may be listed there once per stage). A split or sparse
// index, whose entries are not all in this file, is an error
// (errIndexUnsupported), as it is for go-git.
func parseIndexPaths(data []byte) (paths, links []string, err error) {
	if len(data) < indexHeaderSize+hashSize || string(data[:4]) != "DIRC" {
		return nil, nil, errors.New("not a git index")
	}
	body, sum := data[:len(data)-hashSize], data[len(data)-hashSize:]
	// An all-zero checksum is what index.skipHash writes.
	if hashSize == sha1.Size && !bytes.Equal(sum, make([]byte, hashSize)) {
		if got := sha1.Sum(body); !bytes.Equal(got[:], sum) {
			return nil, nil, errors.New("index checksum mismatch")
		}
	}
	version := binary.BigEndian.Uint32(body[4:])
	if version < 2 || version > 4 {
		return nil, nil, fmt.Errorf("%w: version %d", errIndexUnsupported, version)
	}
	count := int(binary.BigEndian.Uint32(body[8:]))
	if count > len(body)/indexEntryFixedSize {
		return nil, nil, errors.New("index is truncated")
	}
	paths = make([]string, 0, count)
	prev := ""
	off := indexHeaderSize
	for i := range count {
		start := off
		if off+indexEntryFixedSize > len(body) {
			return nil, nil, errTruncatedEntry(i)
		}
		mode := binary.BigEndian.Uint32(body[off+24:])
		flags := binary.BigEndian.Uint16(body[off+60:])
		off += indexEntryFixedSize
		var extended uint16
		if flags&indexFlagExtended != 0 {
			if off+2 > len(body) {
				return nil, nil, errTruncatedEntry(i)
			}
			extended = binary.BigEndian.Uint16(body[off:])
			off += 2
		}
		var name string
		if version == 4 {
			// The name is the previous one less some bytes at its end, then
			// a NUL-terminated suffix.
			strip, n := indexVarint(body[off:])
			if n == 0 || strip > len(prev) {
				return nil, nil, errTruncatedEntry(i)
			}
			off += n
			nul := bytes.IndexByte(body[off:], 0)
			if nul < 0 {
				return nil, nil, errTruncatedEntry(i)
			}
			name = prev[:len(prev)-strip] + string(body[off:off+nul])
			off += nul + 1
		} else {
			// Names of 0xfff bytes or more have only their NUL to end them;
			// entries are padded with NULs to a multiple of eight bytes.
			n := int(flags & indexNameMask)
			if n == indexNameMask {
				n = bytes.IndexByte(body[off:], 0)
			}
			if n < 0 || off+n > len(body) {
				return nil, nil, errTruncatedEntry(i)
			}
			name = string(body[off : off+n])
			off = start + (off+n-start+8)&^7
			if off > len(body) {
				return nil, nil, errTruncatedEntry(i)
			}
		}
		prev = name
		if mode&0o170000 == 0o040000 {
			// A directory entry: the index is sparse.
			return nil, nil, fmt.Errorf("%w: a sparse index", errIndexUnsupported)
		}
		if extended&indexExtIntentToAdd == 0 {
			paths = append(paths, name)
			if mode&0o170000 == indexModeSymlink {
				links = append(links, name)
			}
		}
	}
	for off+8 <= len(body) {
		switch string(body[off : off+4]) {
		case "link":
			return nil, nil, fmt.Errorf("%w: a split index (git update-index --no-split-index turns it off)", errIndexUnsupported)
		case "sdir":
			return nil, nil, fmt.Errorf("%w: a sparse index", errIndexUnsupported)
		}
		off += 8 + int(binary.BigEndian.Uint32(body[off+4:]))
	}
	return paths, links, nil
}

func errTruncatedEntry(i int) error { return fmt.Errorf("index entry %d is truncated", i) }

// indexVarint decodes git's offset varint: each continuation adds one
// before shifting, so that every value has a single encoding. n is 0 when b
// holds no complete varint.
func indexVarint(b []byte) (v, n int) {
	for n < len(b) && n < 8 {
		c := b[n]
		n++
		v |= int(c & 0x7f)
		if c&0x80 == 0 {
			return v, n
		}
		v = (v + 1) << 7
	}
	return 0, 0
}
