package ghapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// LeaseReaction is the reaction that is the App's lease on an issue or pull
// request. People see it as "ownerbot is looking at this".
const LeaseReaction = "eyes"

// Lease defaults.
const (
	// DefaultLeaseStale is how long a lease may be seen held, unchanged,
	// before a waiter takes its holder to have died and breaks it. A holder
	// keeps it for a few writes, each of which waits at most MaxWait for a
	// rate limit; a webhook job gives up after five minutes, so a lease left
	// behind must be broken well within that (and LeaseMemory carries the
	// count over to the job's retry).
	DefaultLeaseStale = 2 * time.Minute
	// releaseTimeout bounds Lease.Release: one write, which may wait for
	// a rate-limit pause (MaxWait) and its pacing slot.
	releaseTimeout = 2 * time.Minute
	leaseFirstPoll = 100 * time.Millisecond
	leaseMaxPoll   = 2 * time.Second
)

// A Lease is one process's hold on a pull request or a repository, across
// every replica of the App: while it is held, no other process creates the
// things that must exist once (the sticky comment, the check run of a head,
// a living issue and its reminders). It lives on GitHub, so it needs no
// database and no coordination between replicas, and only the App can take
// or break it:
//
//   - on a pull request it is the App's own reaction. GitHub keeps one
//     reaction per user and content and says which request made it (201)
//     and which found it there (200): an atomic test-and-set, which no one
//     but the App's bot user can set or clear;
//   - on a repository it is a label, LeaseLabel, whose name GitHub keeps
//     unique (422 "already_exists" to the second creator). People with
//     triage access could delete it, which only lets two sweeps overlap
//     (their look-before-write makes that harmless), or create it, which
//     only delays sweeps until it is broken as stale.
//
// A waiter that sees the same holder for LeasePolicy.Stale takes it to have
// died and breaks the lease; LeasePolicy.Memory keeps that count across
// waits cut short, so a lease left behind is broken by the retries of jobs
// that time out.
type Lease struct {
	subject leaseSubject
	id      int64
}

// leaseSubject is what a lease is made of.
type leaseSubject interface {
	// take creates the lease: created is false, with the holder's id, when
	// another process has it.
	take(ctx context.Context) (id int64, created bool, err error)
	// held reports whether the lease id still stands.
	held(ctx context.Context, id int64) (bool, error)
	// drop removes lease id; one already gone is not an error.
	drop(ctx context.Context, id int64) error
	String() string
}

// LeasePolicy says how long to wait for a lease.
type LeasePolicy struct {
	// Stale: see DefaultLeaseStale, the default.
	Stale time.Duration
	// Memory, when set, remembers across waits when this process first saw
	// each lease held: a wait cut short (a job's timeout) and begun again
	// (the job's retry) keeps counting toward Stale instead of starting
	// over, so a lease left behind is broken even by waits shorter than
	// Stale.
	Memory *LeaseMemory
	// Now and Sleep default to the real clock.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// LeaseMemory is what a process remembers of the leases it waited for.
// It is safe for concurrent use and bounded: entries older than an hour go.
type LeaseMemory struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// NewLeaseMemory returns an empty LeaseMemory.
func NewLeaseMemory() *LeaseMemory { return &LeaseMemory{seen: map[string]time.Time{}} }

// maxLeaseMemory bounds a LeaseMemory; past it, old entries are dropped.
const maxLeaseMemory = 10_000

// firstSeen returns when key was first seen, remembering now if it is new.
func (m *LeaseMemory) firstSeen(key string, now time.Time) time.Time {
	if m == nil {
		return now
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if at, ok := m.seen[key]; ok {
		return at
	}
	if len(m.seen) >= maxLeaseMemory {
		for k, at := range m.seen {
			if now.Sub(at) > time.Hour {
				delete(m.seen, k)
			}
		}
		if len(m.seen) >= maxLeaseMemory {
			clear(m.seen) // only a cache of first sightings: waits start over
		}
	}
	m.seen[key] = now
	return now
}

// ErrLeaseGone says the issue, pull request or repository is gone: nothing
// to lease.
var ErrLeaseGone = errors.New("ghapp: lease: the pull request or repository is gone")

// AcquireLease takes the App's lease on pull request (or issue) number of
// owner/repo, waiting while another process holds it.
func AcquireLease(ctx context.Context, gh *github.Client, owner, repo string, number int, p LeasePolicy) (*Lease, error) {
	return acquire(ctx, reactionLease{gh: gh, owner: owner, repo: repo, number: number}, p)
}

// AcquireRepoLease takes the App's lease on the repository owner/repo,
// waiting while another process holds it.
func AcquireRepoLease(ctx context.Context, gh *github.Client, owner, repo string, p LeasePolicy) (*Lease, error) {
	return acquire(ctx, labelLease{gh: gh, owner: owner, repo: repo}, p)
}

func acquire(ctx context.Context, s leaseSubject, p LeasePolicy) (*Lease, error) {
	if p.Stale <= 0 {
		p.Stale = DefaultLeaseStale
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = sleepContext
	}
	for {
		id, created, err := s.take(ctx)
		switch {
		case errors.Is(err, ErrLeaseGone):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("ghapp: lease on %s: %w", s, err)
		case created:
			return &Lease{subject: s, id: id}, nil
		case id == 0:
			// Given back between the take and the look: take again, after
			// a pause so that nothing can make this a busy loop of writes.
			if err := p.Sleep(ctx, leaseFirstPoll); err != nil {
				return nil, err
			}
			continue
		}
		// Another process holds the lease (or held it and died). Wait for
		// it with reads, which cost no write and are mostly answered 304.
		if err := waitForRelease(ctx, s, id, p); err != nil {
			return nil, fmt.Errorf("ghapp: lease on %s: %w", s, err)
		}
	}
}

// waitForRelease returns once lease id is gone, breaking it when it stays
// for p.Stale.
func waitForRelease(ctx context.Context, s leaseSubject, id int64, p LeasePolicy) error {
	since := p.Memory.firstSeen(fmt.Sprintf("%s %d", s, id), p.Now())
	poll := leaseFirstPoll
	for {
		if p.Now().Sub(since) >= p.Stale {
			if err := s.drop(ctx, id); err != nil {
				return fmt.Errorf("break a stale lease: %w", err)
			}
			return nil
		}
		if err := p.Sleep(ctx, poll); err != nil {
			return err
		}
		poll = min(2*poll, leaseMaxPoll)
		there, err := s.held(ctx, id)
		if err != nil || !there {
			return err
		}
	}
}

// Release gives the lease up. A lease already broken by another process
// (its holder took longer than the stale limit) is released all the same.
// It goes on when ctx has ended (the work the lease guarded was cancelled),
// for as long as one write may take: a lease left behind makes every other
// process wait for it to go stale.
func (l *Lease) Release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := l.subject.drop(ctx, l.id); err != nil {
		return fmt.Errorf("ghapp: release the lease on %s: %w", l.subject, err)
	}
	return nil
}

// reactionLease is the lease on a pull request or issue: the App's
// LeaseReaction on it.
type reactionLease struct {
	gh          *github.Client
	owner, repo string
	number      int
}

func (r reactionLease) String() string { return fmt.Sprintf("%s/%s#%d", r.owner, r.repo, r.number) }

func (r reactionLease) take(ctx context.Context) (int64, bool, error) {
	rc, resp, err := r.gh.Reactions.CreateIssueReaction(ctx, r.owner, r.repo, r.number, LeaseReaction)
	switch {
	case isStatus(resp, http.StatusNotFound, http.StatusGone):
		return 0, false, ErrLeaseGone
	case err != nil:
		return 0, false, err
	}
	return rc.GetID(), resp.StatusCode == http.StatusCreated, nil
}

func (r reactionLease) held(ctx context.Context, id int64) (bool, error) {
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := r.gh.Reactions.ListIssueReactions(ctx, r.owner, r.repo, r.number, opts)
		if err != nil {
			return false, err
		}
		for _, rc := range page {
			if rc.GetID() == id {
				return true, nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}

func (r reactionLease) drop(ctx context.Context, id int64) error {
	resp, err := r.gh.Reactions.DeleteIssueReaction(ctx, r.owner, r.repo, r.number, id)
	if isStatus(resp, http.StatusNotFound) {
		return nil
	}
	return err
}

// LeaseLabel is the label that is the App's lease on a repository while a
// sweep writes its living issues.
const LeaseLabel = "ownerbot-lease"

// labelLease is the lease on a repository: its LeaseLabel.
type labelLease struct {
	gh          *github.Client
	owner, repo string
}

func (l labelLease) String() string { return l.owner + "/" + l.repo }

func (l labelLease) take(ctx context.Context) (int64, bool, error) {
	created, resp, err := l.gh.Issues.CreateLabel(ctx, l.owner, l.repo, &github.Label{
		Name: github.String(LeaseLabel), Color: github.String("ededed"),
		Description: github.String("ownerbot holds this while it updates ownership issues; it removes it itself"),
	})
	switch {
	case err == nil:
		return created.GetID(), true, nil
	case isStatus(resp, http.StatusNotFound):
		return 0, false, ErrLeaseGone
	case !isStatus(resp, http.StatusUnprocessableEntity):
		return 0, false, err
	}
	// 422: the label exists, so another process holds the lease.
	id, err := l.current(ctx)
	if err != nil {
		return 0, false, err
	}
	return id, false, nil // id 0: released meanwhile; the next take decides
}

// current is the id of the lease label, 0 when there is none.
func (l labelLease) current(ctx context.Context) (int64, error) {
	got, resp, err := l.gh.Issues.GetLabel(ctx, l.owner, l.repo, LeaseLabel)
	if isStatus(resp, http.StatusNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return got.GetID(), nil
}

func (l labelLease) held(ctx context.Context, id int64) (bool, error) {
	cur, err := l.current(ctx)
	return cur != 0 && cur == id, err
}

// drop deletes the label if it is still lease id. GitHub deletes labels by
// name, so a label made anew by another process between the look and the
// delete would go too: a window of one request, and only after a holder
// outlived the stale limit.
func (l labelLease) drop(ctx context.Context, id int64) error {
	if held, err := l.held(ctx, id); err != nil || !held {
		return err
	}
	resp, err := l.gh.Issues.DeleteLabel(ctx, l.owner, l.repo, LeaseLabel)
	if isStatus(resp, http.StatusNotFound) {
		return nil
	}
	return err
}

func isStatus(resp *github.Response, codes ...int) bool {
	if resp == nil || resp.Response == nil {
		return false
	}
	for _, c := range codes {
		if resp.StatusCode == c {
			return true
		}
	}
	return false
}
