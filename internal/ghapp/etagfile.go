package ghapp

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
)

// A process that runs once, such as `ownerbot sweep` from a CronJob,
// starts with empty conditional-request caches, so every read of its sweep
// is a full answer that GitHub charges for. SaveETags and LoadETags carry
// the caches from one run to the next, on the disk that already holds the
// clones. A loaded entry is never trusted: every GET still asks GitHub
// with If-None-Match, and GitHub decides whether the copy is current.

// etagFileVersion changes whenever the saved form does; a file of another
// version is ignored.
const etagFileVersion = 1

type savedETags struct {
	Version int
	// APIURL is the GitHub the answers came from; a file written for
	// another is ignored.
	APIURL        string
	Installations map[int64][]savedEntry
}

type savedEntry struct {
	Key, Host, Path, ETag string
	Header                http.Header
	Body                  []byte
}

// ErrETagFile means a file given to LoadETags was not written by this
// version of SaveETags for this GitHub; nothing was loaded.
var ErrETagFile = errors.New("conditional-request cache file does not match")

// SaveETags writes every installation's conditional-request cache to w,
// least recently used first. The answers include repository data, so the
// caller keeps the file as private as the clones.
func (a *App) SaveETags(w io.Writer) error {
	out := savedETags{Version: etagFileVersion, APIURL: a.apiURL.String(), Installations: map[int64][]savedEntry{}}
	a.mu.Lock()
	caches := map[int64]*etagCache{0: a.appETags}
	maps.Copy(caches, a.loaded)
	for id, inst := range a.installations {
		caches[id] = inst.etags
	}
	a.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(caches)) {
		if entries := caches[id].entries(); len(entries) > 0 {
			out.Installations[id] = entries
		}
	}
	if err := gob.NewEncoder(w).Encode(&out); err != nil {
		return fmt.Errorf("save the conditional-request caches: %w", err)
	}
	return nil
}

// LoadETags reads caches SaveETags wrote, for the App itself (id 0) and the
// installations this App has not used yet; it should run before the first
// request. A file from
// another version or another GitHub is ErrETagFile and changes nothing.
func (a *App) LoadETags(r io.Reader) error {
	var in savedETags
	if err := gob.NewDecoder(r).Decode(&in); err != nil {
		return fmt.Errorf("%w: %v", ErrETagFile, err)
	}
	if in.Version != etagFileVersion || in.APIURL != a.apiURL.String() {
		return fmt.Errorf("%w: version %d for %s", ErrETagFile, in.Version, in.APIURL)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.loaded == nil {
		a.loaded = map[int64]*etagCache{}
	}
	for id, entries := range in.Installations {
		c := newETagCache(a.cfg.ETagEntries, a.cfg.ETagBytes)
		switch _, used := a.installations[id]; {
		case id == 0 && a.appETags.len() == 0:
			c = a.appETags
		case id <= 0, used:
			continue
		default:
			a.loaded[id] = c
		}
		for _, e := range entries {
			c.put(e.Key, &etagEntry{host: e.Host, path: e.Path, etag: e.ETag, header: e.Header, body: e.Body})
		}
	}
	return nil
}

// entries lists the cache least recently used first, so that putting them
// back in order restores the recency.
func (c *etagCache) entries() []savedEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]savedEntry, 0, c.order.Len())
	for el := c.order.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*etagEntry)
		out = append(out, savedEntry{Key: e.key, Host: e.host, Path: e.path, ETag: e.etag, Header: e.header, Body: e.body})
	}
	return out
}
