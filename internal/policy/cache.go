package policy

import (
	"crypto/sha256"
	"slices"
	"sync"

	"github.com/ownerbot/ownerbot/internal/codeowners"
)

// A ParseCache keeps parsed CODEOWNERS files by their content, so that
// evaluating two revisions that share the file (the base and head of most
// pull requests) parses it once, and checking the same repository again
// parses nothing. A parsed file is never changed, so it is shared freely.
// It is safe for concurrent use; nil caches nothing.
type ParseCache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]*codeowners.Ruleset
	order   [][sha256.Size]byte // oldest first
}

// NewParseCache returns a cache that keeps the max most recently used
// files.
func NewParseCache(max int) *ParseCache {
	return &ParseCache{max: max, entries: map[[sha256.Size]byte]*codeowners.Ruleset{}}
}

// ruleset returns the parsed form of a CODEOWNERS file's content.
func (c *ParseCache) ruleset(data []byte) *codeowners.Ruleset {
	if c == nil || c.max <= 0 {
		return codeowners.Parse(data)
	}
	key := sha256.Sum256(data)
	c.mu.Lock()
	rs, ok := c.entries[key]
	if ok {
		// Most recently used last, so a busy repository's file stays.
		i := slices.Index(c.order, key)
		c.order = append(slices.Delete(c.order, i, i+1), key)
	}
	c.mu.Unlock()
	if ok {
		return rs
	}
	rs = codeowners.Parse(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.entries[key]; ok {
		return prev // parsed meanwhile by another evaluation
	}
	if len(c.order) >= c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[key] = rs
	c.order = append(c.order, key)
	return rs
}
