// Package orgconfig reads an organization's ownerbot configuration, the
// ownerbot.yaml at the root of its .github repository, for the GitHub App's
// flows, and remembers it a few minutes so that a busy organization does
// not read it for every pull request.
//
// The App reads it with the installation's token, so it sees the file only
// where the App is installed on the .github repository. Without the file,
// or without access, repositories get the built-in defaults.
package orgconfig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// DefaultTTL is how long a read is trusted.
const DefaultTTL = 5 * time.Minute

// maxEntries bounds what a Cache remembers; when full it starts afresh.
const maxEntries = 10_000

// A Cache reads organization configurations and remembers them. It is safe
// for concurrent use.
type Cache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	org *config.Org // nil: the organization has no file the App can read
	at  time.Time
}

// New returns a Cache that trusts a read for ttl (DefaultTTL when zero). now
// is the clock; nil means time.Now.
func New(ttl time.Duration, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, now: now, entries: map[string]entry{}}
}

// Get returns the configuration of owner (an organization or a user) as
// installation installationID sees it: nil when there is none. When GitHub
// cannot be asked, the last configuration read is used however old, so
// that a short outage does not change how pull requests are judged; with
// none read yet, the error is returned. A nil Cache reads nothing and
// returns nil.
func (c *Cache) Get(ctx context.Context, gh *github.Client, installationID int64, owner string) (*config.Org, error) {
	if c == nil {
		return nil, nil
	}
	key := fmt.Sprintf("%d/%s", installationID, strings.ToLower(owner))
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < c.ttl {
		return e.org, nil
	}
	org, err := Read(ctx, gh, owner)
	if err != nil {
		if ok {
			return e.org, nil
		}
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxEntries {
		c.entries = map[string]entry{}
	}
	c.entries[key] = entry{org: org, at: c.now()}
	c.mu.Unlock()
	return org, nil
}

// Read reads owner's configuration from GitHub: nil when the .github
// repository or its ownerbot.yaml does not exist or cannot be seen. A file
// with mistakes still applies where it is right; its mistakes are findings
// of the .github repository's own checks.
func Read(ctx context.Context, gh *github.Client, owner string) (*config.Org, error) {
	file, _, _, err := gh.Repositories.GetContents(ctx, owner, config.OrgRepo, config.OrgPath, nil)
	var e *github.ErrorResponse
	if errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s/%s: %w", owner, config.OrgRepo, config.OrgPath, err)
	}
	if file == nil || file.GetType() != "file" {
		return nil, nil // a directory of that name is no configuration
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decode %s/%s/%s: %w", owner, config.OrgRepo, config.OrgPath, err)
	}
	org, _ := config.ParseOrg([]byte(text), func(id string) bool { _, ok := policy.Lookup(id); return ok }, policy.ConfigOptions())
	return &org, nil
}
