package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/gitrepo"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// maxWalk bounds how far back the sweep looks for the commit that last
// changed an exception entry.
const maxWalk = 5000

// A verdict is what the history says of an exception entry's approval.
type verdict struct {
	approved bool
	message  string // why not, when not
	// ratified says where it was approved: "#12, approved by @alice".
	ratified string
}

// judgeExceptions revokes each exception entry in force whose last change
// reached the default branch without an eligible approval: the pull
// request that changed it must have merged it, and an eligible approver
// other than its author must have approved its final head (DESIGN §2.4).
// Verdicts are remembered by the exceptions file's blob, so an unchanged
// file costs nothing on the next sweep. It returns where each approved
// entry was ratified, by id.
func (s *Sweeper) judgeExceptions(ctx context.Context, t target, dir string, tree *snapshot.Tree, res *policy.Result, now time.Time) (map[string]string, error) {
	ratified := map[string]string{}
	if res.Exceptions == nil || s.cfg.Checker == nil {
		return ratified, nil
	}
	var repo *git.Repository
	var head *object.Commit
	var errs []error
	for _, e := range res.Exceptions.Entries() {
		if !e.Valid || e.Status(now) == exception.Expired {
			continue
		}
		if repo == nil {
			var err error
			if repo, _, err = gitrepo.Open(dir, nil, filesystem.Options{}); err != nil {
				return ratified, err
			}
			if head, err = repo.CommitObject(plumbing.NewHash(tree.Commit())); err != nil {
				return ratified, err
			}
		}
		blob, err := blobAt(head, e.File)
		if err != nil {
			return ratified, err
		}
		key := fmt.Sprintf("%d/%s/%s/%s", t.inst, strings.ToLower(t.String()), blob, e.ID)
		v, ok := s.approvals.get(key)
		if !ok {
			if v, err = s.judgeEntry(ctx, t, repo, head, e, res.ExceptionApprovers(e)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.ID, err))
				continue
			}
			s.approvals.put(key, v)
		}
		if !v.approved {
			res.Revoke(e, v.message, ratifyRemedy(res.ExceptionApprovers(e)), now)
			continue
		}
		ratified[e.ID] = v.ratified
	}
	return ratified, errors.Join(errs...)
}

func ratifyRemedy(eligible []string) string {
	who := "an eligible approver"
	if len(eligible) > 0 {
		who = strings.Join(eligible, " or ")
	}
	return "ratify it: open a pull request that touches the entry and have " + who + " approve it, or remove the entry"
}

// judgeEntry finds the commit of the default branch that last changed the
// entry and asks GitHub about the pull request that merged it.
func (s *Sweeper) judgeEntry(ctx context.Context, t target, repo *git.Repository, head *object.Commit, e *exception.Entry, eligible []string) (verdict, error) {
	c, err := lastChange(repo, head, e)
	if err != nil {
		return verdict{}, err
	}
	name := fmt.Sprintf("%s (%s)", e.ID, e.Rule)
	n := pullNumber(c.Message)
	if n == 0 {
		return verdict{message: fmt.Sprintf("%s was last changed by commit %s, which no pull request merged, so it has no effect", name, short(c.Hash.String()))}, nil
	}
	r, err := s.cfg.Checker.Ratified(ctx, prcheck.Target{InstallationID: t.inst, Owner: t.owner, Repo: t.name, Number: n}, c.Hash.String(), eligible)
	if err != nil {
		return verdict{}, err
	}
	switch {
	case !r.Merged:
		return verdict{message: fmt.Sprintf("%s was last changed by commit %s, which names #%d, but #%d did not merge it, so it has no effect", name, short(c.Hash.String()), n, n)}, nil
	case r.ApprovedBy == "":
		return verdict{message: fmt.Sprintf("%s was merged in #%d without an approval of its final commit by an eligible approver, so it has no effect", name, n)}, nil
	}
	return verdict{approved: true, ratified: fmt.Sprintf("#%d, approved by @%s", n, r.ApprovedBy)}, nil
}

// lastChange walks the first parents from head to the newest commit whose
// version of the entry differs from its parent's.
func lastChange(repo *git.Repository, head *object.Commit, e *exception.Entry) (*object.Commit, error) {
	c := head
	cur, err := entryAt(c, e)
	if err != nil {
		return nil, err
	}
	for range maxWalk {
		if c.NumParents() == 0 {
			return c, nil
		}
		parent, err := c.Parent(0)
		if err != nil {
			return nil, err
		}
		prev, err := entryAt(parent, e)
		if err != nil {
			return nil, err
		}
		if prev != cur {
			return c, nil
		}
		c = parent
	}
	return nil, fmt.Errorf("no change to the entry in the last %d commits", maxWalk)
}

// entryAt is the entry with e's id as a commit has it, "" when absent.
func entryAt(c *object.Commit, e *exception.Entry) (string, error) {
	f, err := c.File(e.File)
	if errors.Is(err, object.ErrFileNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	rd, err := f.Reader()
	if err != nil {
		return "", err
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, exception.MaxSize+1))
	if err != nil {
		return "", err
	}
	parsed, _ := exception.Parse(e.File, data, func(string) bool { return true })
	for _, x := range parsed.Entries {
		if x.ID == e.ID {
			return fmt.Sprintf("%s\x00%q\x00%s\x00%s\x00%s", x.Rule, x.Paths, x.Reason, x.Expires.Format(time.DateOnly), x.Ticket), nil
		}
	}
	return "", nil
}

func blobAt(c *object.Commit, path string) (string, error) {
	tree, err := c.Tree()
	if err != nil {
		return "", err
	}
	entry, err := tree.FindEntry(path)
	if err != nil {
		return "", err
	}
	return entry.Hash.String(), nil
}

// approvalCache remembers verdicts, up to a bound: when full it starts
// again, which costs one more walk per entry, never a wrong answer.
type approvalCache struct {
	mu  sync.Mutex
	max int
	m   map[string]verdict
}

func newApprovalCache(max int) *approvalCache {
	return &approvalCache{max: max, m: map[string]verdict{}}
}

func (c *approvalCache) get(k string) (verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *approvalCache) put(k string, v verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}
