// Package sweep is the scheduled flow of the App (DESIGN §4.2): it visits
// every installed repository, evaluates its default branch, finds pull
// requests that wait too long on their owners or never got a check run,
// and brings each unit's living issue to what is due, through the pure
// planner in package review.
//
// A sweep keeps no state of its own between runs: everything it needs to
// know about what it did before is on GitHub, in the markers of its issues
// and comments. So a sweep cut off half way, or two sweeps at once, end in
// the same state as one clean run.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
	"github.com/ownerbot/ownerbot/internal/prcheck"
)

// App is what a sweep needs of the GitHub App.
type App interface {
	AppClient() *github.Client
	Client(installationID int64) (*github.Client, error)
	Token(ctx context.Context, installationID int64) (string, error)
	// Identity says who the App is: only issues and comments its bot user
	// wrote are taken for its own.
	Identity(ctx context.Context) (ghapp.Identity, error)
}

// Config wires a Sweeper.
type Config struct {
	App     App
	Clones  prcheck.Fetcher
	Checker *prcheck.Checker // checks pull requests that lack a check run
	Now     func() time.Time // nil: time.Now
	Logger  zerolog.Logger
	// Shard splits the fleet between workers; the zero value is one worker.
	Shard Shard
	// Forks are swept too when set; by default they are skipped.
	Forks bool
	// DryRun plans without writing: each write is printed to Out instead.
	DryRun bool
	// Out receives the plan of a dry run and, for any run, its summary.
	Out io.Writer
	// Concurrency is how many installations are swept at once (default 2);
	// the repositories of one installation are swept one after another,
	// since GitHub paces an installation's writes anyway.
	Concurrency int
	// Locks serializes work on one repository within a process: the
	// scheduled sweep, a sweep from a webhook, and a CronJob sweep in the
	// same process never interleave. Nil uses the process's own.
	Locks *Locks
	// CheckName is the name of the App's check run; "ownerbot" when empty.
	CheckName string
	// AppID narrows the search for the App's check runs.
	AppID int64
	// Lease is how long to wait for a repository's lease, which a sweep
	// takes before it writes issues (zero: ghapp's defaults).
	Lease ghapp.LeasePolicy
	// OrgConfig reads each organization's ownerbot.yaml, the defaults
	// under a repository's own configuration. Nil: only the repository's.
	OrgConfig *orgconfig.Cache
	// Metrics receives what sweeps do and find; nil records nothing.
	Metrics *Metrics
}

// A Sweeper sweeps installations. It is safe for concurrent use.
type Sweeper struct {
	cfg       Config
	approvals *approvalCache
}

// New returns a Sweeper.
func New(cfg Config) *Sweeper {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.Locks == nil {
		cfg.Locks = processLocks
	}
	if cfg.CheckName == "" {
		cfg.CheckName = "ownerbot"
	}
	if cfg.Shard.Count == 0 {
		cfg.Shard = Shard{0, 1}
	}
	if cfg.Lease.Memory == nil {
		cfg.Lease.Memory = ghapp.NewLeaseMemory()
	}
	return &Sweeper{cfg: cfg, approvals: newApprovalCache(4096)}
}

// A Shard is worker Index of Count: it sweeps the repositories whose name
// hashes to Index, so Count workers split the fleet with no overlap and no
// coordination.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N", 0 ≤ I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Shard{}, fmt.Errorf("--shard wants I/N with 0 ≤ I < N, such as 0/3, got %q", s)
	}
	return Shard{a, b}, nil
}

// Owns reports whether a repository falls in the shard. The hash is of the
// lower-case full name, which GitHub treats as case-insensitive.
func (s Shard) Owns(fullName string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(fullName)))
	return int(h.Sum32()%uint32(s.Count)) == s.Index
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Summary counts what a sweep did.
type Summary struct {
	Installations int
	Repos         int // swept
	Skipped       int // archived, forks, other shards
	Failed        int // repositories whose sweep failed
	Writes        map[string]int
	Checked       int // pull requests checked because they had no check run
	Errors        []error
}

func (s *Summary) add(o Outcome) {
	if s.Writes == nil {
		s.Writes = map[string]int{}
	}
	for k, v := range o.Writes {
		s.Writes[k] += v
	}
	s.Checked += o.Checked
}

// Outcome is what sweeping one repository did, or would do in a dry run.
type Outcome struct {
	// Writes counts the changes by kind: open, update, remind, escalate,
	// close, reopen, duplicate, stale-review.
	Writes  map[string]int
	Checked int // pull requests checked for lack of a check run
}

// String is the summary's one line.
func (s Summary) String() string {
	keys := make([]string, 0, len(s.Writes))
	for k := range s.Writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.Writes[k]))
	}
	what := "nothing to change"
	if len(parts) > 0 {
		what = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("swept %d repositories of %d installations (%d skipped, %d failed): %s; %d pull requests checked",
		s.Repos, s.Installations, s.Skipped, s.Failed, what, s.Checked)
}

// Run sweeps every repository of every installation in the shard; with
// only ("owner/name"), just that repository. A repository that fails is
// logged and counted and the sweep goes on; the error reports them all.
// An installation whose rate limit is exhausted is left for the next
// sweep while the others go on.
func (s *Sweeper) Run(ctx context.Context, only string) (Summary, error) {
	finished := s.cfg.Metrics.started(only == "")
	sum, err := s.run(ctx, only)
	finished(sum, err)
	return sum, err
}

func (s *Sweeper) run(ctx context.Context, only string) (Summary, error) {
	var sum Summary
	var mu sync.Mutex
	record := func(o Outcome, err error, full string) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(o)
		if err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, fmt.Errorf("%s: %w", full, err))
			return
		}
		sum.Repos++
	}
	if only != "" {
		owner, name, ok := strings.Cut(only, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return sum, fmt.Errorf("--repo wants OWNER/NAME, got %q", only)
		}
		inst, _, err := s.cfg.App.AppClient().Apps.FindRepositoryInstallation(ctx, owner, name)
		if err != nil {
			return sum, fmt.Errorf("find the installation of %s: %w", only, err)
		}
		sum.Installations = 1
		o, err := s.Repo(ctx, inst.GetID(), owner, name)
		record(o, err, only)
		s.report(sum)
		return sum, errors.Join(sum.Errors...)
	}

	installations, err := s.installations(ctx)
	if err != nil {
		return sum, err
	}
	sum.Installations = len(installations)
	sem := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, inst := range installations {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			skipped, err := s.installation(ctx, inst, record)
			mu.Lock()
			sum.Skipped += skipped
			if err != nil {
				sum.Errors = append(sum.Errors, fmt.Errorf("installation %d (%s): %w", inst.GetID(), inst.GetAccount().GetLogin(), err))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.report(sum)
	return sum, errors.Join(sum.Errors...)
}

func (s *Sweeper) report(sum Summary) {
	fmt.Fprintln(s.cfg.Out, sum.String())
}

func (s *Sweeper) installations(ctx context.Context) ([]*github.Installation, error) {
	var out []*github.Installation
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := s.cfg.App.AppClient().Apps.ListInstallations(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list installations: %w", err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// installation sweeps the repositories of one installation in its shard,
// one after another, and reports how many it skipped.
func (s *Sweeper) installation(ctx context.Context, inst *github.Installation, record func(Outcome, error, string)) (int, error) {
	log := s.cfg.Logger.With().Int64("installation", inst.GetID()).Logger()
	gh, err := s.cfg.App.Client(inst.GetID())
	if err != nil {
		return 0, err
	}
	var repos []*github.Repository
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.Apps.ListRepos(ctx, opts)
		if err != nil {
			return 0, fmt.Errorf("list repositories: %w", err)
		}
		repos = append(repos, page.Repositories...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.SortFunc(repos, func(a, b *github.Repository) int { return strings.Compare(a.GetFullName(), b.GetFullName()) })
	skipped := 0
	for i, r := range repos {
		full := r.GetFullName()
		switch {
		case !s.cfg.Shard.Owns(full):
			skipped++
			continue
		case r.GetArchived():
			log.Debug().Str("repo", full).Msg("archived: skipped")
			skipped++
			continue
		case r.GetFork() && !s.cfg.Forks:
			log.Debug().Str("repo", full).Msg("a fork: skipped (set OWNERBOT_SWEEP_FORKS to sweep forks)")
			skipped++
			continue
		}
		if ctx.Err() != nil {
			return skipped, ctx.Err()
		}
		o, err := s.repo(ctx, inst.GetID(), gh, r, true)
		record(o, err, full)
		var limit *ghapp.RateLimitError
		if errors.As(err, &limit) {
			left := len(repos) - i - 1
			log.Warn().Time("until", limit.Until).Int("left", left).Msg("rate limit exhausted: the rest of this installation waits for the next sweep")
			return skipped + left, nil
		}
	}
	return skipped, nil
}

// Repo sweeps one repository, as `ownerbot sweep --repo` does.
func (s *Sweeper) Repo(ctx context.Context, installationID int64, owner, name string) (Outcome, error) {
	return s.one(ctx, installationID, owner, name, true)
}

// Pushed looks again at a repository whose default branch moved: its
// living issues and stale reviews, at once rather than at the next sweep.
// Pull requests without a check run are left to the scheduled sweep: a
// push says nothing about lost events, and a busy repository would pay
// for the look on every push.
func (s *Sweeper) Pushed(ctx context.Context, installationID int64, owner, name string) (Outcome, error) {
	return s.one(ctx, installationID, owner, name, false)
}

func (s *Sweeper) one(ctx context.Context, installationID int64, owner, name string, recoverChecks bool) (Outcome, error) {
	gh, err := s.cfg.App.Client(installationID)
	if err != nil {
		return Outcome{}, err
	}
	r, _, err := gh.Repositories.Get(ctx, owner, name)
	if err != nil {
		return Outcome{}, fmt.Errorf("read the repository: %w", err)
	}
	if r.GetArchived() {
		return Outcome{}, nil
	}
	return s.repo(ctx, installationID, gh, r, recoverChecks)
}

// Locks are per-repository locks.
type Locks struct {
	mu    sync.Mutex
	locks map[string]*repoLock
}

type repoLock struct {
	mu    sync.Mutex
	users int
}

// NewLocks returns an empty set of locks.
func NewLocks() *Locks { return &Locks{locks: map[string]*repoLock{}} }

var processLocks = NewLocks()

// lock holds a repository's lock until the returned func is called. The
// entry is dropped when nobody holds or waits for it, so the set does not
// grow with the fleet.
func (l *Locks) lock(key string) func() {
	key = strings.ToLower(key)
	l.mu.Lock()
	rl := l.locks[key]
	if rl == nil {
		rl = &repoLock{}
		l.locks[key] = rl
	}
	rl.users++
	l.mu.Unlock()
	rl.mu.Lock()
	return func() {
		rl.mu.Unlock()
		l.mu.Lock()
		if rl.users--; rl.users == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
}
