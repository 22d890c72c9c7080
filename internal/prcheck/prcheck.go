// Package prcheck is the pull-request flow of the App: it reads a pull
// request as it is now, evaluates its base and head with the same engine as
// `ownerbot check`, and publishes one check run and one sticky comment that
// say what the change does to ownership and whose approval it still needs.
package prcheck

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/report"
	"github.com/ownerbot/ownerbot/internal/resolve"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// parsedFiles is how many parsed CODEOWNERS files a Checker keeps: the
// base and head of the pull requests in flight, with room to spare. A parse
// of the largest file GitHub reads takes a few tens of megabytes.
const parsedFiles = 8

// MaxListedFiles is how many files GitHub lists for a pull request at most;
// a larger pull request can only be checked in part.
const MaxListedFiles = 3000

// ErrEvaluation marks a failure to evaluate the commits of a pull request,
// once they are fetched: the same commits fail the same way, so a job that
// failed with it is not worth retrying.
var ErrEvaluation = errors.New("prcheck: evaluation failed")

// Fetcher brings the commits of a pull request into a local repository.
type Fetcher interface {
	Fetch(ctx context.Context, req ghapp.FetchRequest) (*ghapp.Checkout, error)
}

// Config wires a Checker to GitHub and git.
type Config struct {
	// Client returns the API client of an installation.
	Client func(installationID int64) (*github.Client, error)
	// Token returns an installation token, for git.
	Token  func(ctx context.Context, installationID int64) (string, error)
	Clones Fetcher
	Now    func() time.Time // nil: time.Now
	// Name is the check run's name; "ownerbot" when empty.
	Name string
	// AppID, when set, narrows the search for an earlier check run to this
	// App's.
	AppID int64
	// Identity says who the App is, so that only comments its bot user
	// wrote are taken for its own (ghapp.App.Identity). Required: without
	// it no comment is recognised and every check fails.
	Identity func(context.Context) (ghapp.Identity, error)
	// Lease is how long to wait for the lease on a pull request, which
	// every replica takes before it creates the pull request's comment or
	// a check run, so that each exists once (zero: ghapp's defaults).
	Lease ghapp.LeasePolicy
	// TeamTTL is how long team members are remembered; 5 minutes when zero.
	TeamTTL time.Duration
	// Resolver looks owners up on GitHub; one that remembers answers for
	// 10 minutes when nil.
	Resolver *resolve.Resolver
	// OrgConfig reads the organization's ownerbot.yaml, the defaults under
	// a repository's own configuration. Nil: only the repository's file.
	OrgConfig *orgconfig.Cache
	// Metrics records how long evaluations take; nil records nothing.
	Metrics *Metrics
}

// A Checker checks pull requests. It is safe for concurrent use, and runs
// at most one check of a pull request at a time (the webhook queue already
// does not, but a re-run found by its commit comes from another job), so
// two checks never both create the check run or the comment.
type Checker struct {
	cfg    Config
	mem    memory
	parsed *policy.ParseCache
	locks  [64]sync.Mutex // by a hash of the pull request
}

// lock holds the lock of a pull request until the returned func is called.
func (c *Checker) lock(t Target) func() {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", t.InstallationID, strings.ToLower(t.String()))
	mu := &c.locks[h.Sum32()%uint32(len(c.locks))]
	mu.Lock()
	return mu.Unlock
}

// New returns a Checker.
func New(cfg Config) *Checker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Name == "" {
		cfg.Name = "ownerbot"
	}
	if cfg.TeamTTL == 0 {
		cfg.TeamTTL = 5 * time.Minute
	}
	if cfg.Resolver == nil {
		cfg.Resolver = resolve.New(0, nil)
	}
	if cfg.Lease.Memory == nil {
		cfg.Lease.Memory = ghapp.NewLeaseMemory()
	}
	if cfg.Identity == nil {
		cfg.Identity = func(context.Context) (ghapp.Identity, error) {
			return ghapp.Identity{}, errors.New("prcheck: Config.Identity is not set: the App's own comments cannot be told from others")
		}
	}
	return &Checker{cfg: cfg, parsed: policy.NewParseCache(parsedFiles), mem: memory{checkRuns: map[string]checkRunState{}, comments: map[string]commentState{}, teams: map[string]teamMembers{}}}
}

// A Target names one pull request of one installation.
type Target struct {
	InstallationID int64
	Owner, Repo    string
	Number         int
}

func (t Target) String() string { return fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number) }

// An Outcome is what a check did.
type Outcome struct {
	Skipped    string // why nothing was published, "" when something was
	HeadSHA    string
	Conclusion string
	Report     *report.PullRequest
}

// Check evaluates a pull request as it is now and publishes the result. A
// pull request that is closed unmerged, gone, or whose head moved while it
// was read is skipped: a newer event, or the sweep, looks again. A merged
// one that moved ownership or changed exceptions gets its sticky comment
// turned into the record of who approved what (DESIGN §4.1).
func (c *Checker) Check(ctx context.Context, t Target) (Outcome, error) {
	defer c.lock(t)()
	log := zerolog.Ctx(ctx)
	gh, err := c.cfg.Client(t.InstallationID)
	if err != nil {
		return Outcome{}, err
	}
	pr, _, err := gh.PullRequests.Get(ctx, t.Owner, t.Repo, t.Number)
	if isNotFound(err) {
		return Outcome{Skipped: "the pull request or its repository is gone"}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("read pull request %s: %w", t, err)
	}
	merged := pr.GetMerged()
	if pr.GetState() != "open" && !merged {
		return Outcome{Skipped: "the pull request is " + pr.GetState()}, nil
	}
	head, baseSHA := pr.GetHead().GetSHA(), pr.GetBase().GetSHA()
	out := Outcome{HeadSHA: head}

	var changed []string
	complete := true
	if !merged { // the record of a merge does not list the files
		if changed, complete, err = c.changedFiles(ctx, gh, t, pr.GetChangedFiles()); err != nil {
			return out, err
		}
	}
	token, err := c.cfg.Token(ctx, t.InstallationID)
	if err != nil {
		return out, err
	}
	co, err := c.cfg.Clones.Fetch(ctx, ghapp.FetchRequest{
		InstallationID: t.InstallationID, Owner: t.Owner, Repo: t.Repo,
		CloneURL: pr.GetBase().GetRepo().GetCloneURL(), Token: token,
		Refs: []string{"refs/heads/" + pr.GetBase().GetRef(), fmt.Sprintf("refs/pull/%d/head", t.Number)},
		Want: []string{baseSHA, head},
	})
	switch {
	case errors.Is(err, ghapp.ErrMissingCommit):
		return Outcome{Skipped: "the head commit is gone (force-pushed?)", HeadSHA: head}, nil
	case errors.Is(err, ghapp.ErrRepositoryNotFound):
		return Outcome{Skipped: "the repository is gone", HeadSHA: head}, nil
	case err != nil:
		return out, err
	}
	defer co.Close()

	org, err := c.cfg.OrgConfig.Get(ctx, gh, t.InstallationID, t.Owner)
	if err != nil {
		return out, err
	}
	started := time.Now()
	baseRes, headRes, err := c.evaluate(co.Dir, baseSHA, head, org, t.Owner)
	if err != nil {
		return out, err
	}
	c.cfg.Metrics.Evaluated(FlowPullRequest, time.Since(started))
	if merged {
		return c.recordMerge(ctx, gh, t, pr, baseRes, headRes)
	}
	if err := c.resolveOwners(ctx, gh, t, pr, baseRes, headRes, changed, complete); err != nil {
		// The two rules stay skipped; the rest of the check stands.
		log.Warn().Err(err).Msg("owners not resolved against GitHub")
	}
	now := c.cfg.Now()
	rep := &report.PullRequest{
		Head:       headRes,
		Comparison: policy.Compare(baseRes, headRes),
		Changed:    changed,
		Mode:       baseRes.Config.Mode,
		Enforcing:  baseRes.Config.Enforcing(now),
		// Only owners the base already names are notified: a pull request
		// cannot make the App ping someone new.
		Mentionable: report.MentionableOwners(baseRes),
	}
	if !complete {
		rep.Incomplete = fmt.Sprintf("GitHub lists at most %d changed files and this pull request changes %d", MaxListedFiles, pr.GetChangedFiles())
	}
	if len(rep.Comparison.Transfers)+len(rep.Comparison.Exceptions) > 0 {
		if err := c.approve(ctx, gh, t, pr, rep); err != nil {
			return out, err
		}
	}
	out.Report, out.Conclusion = rep, rep.Conclusion()
	if err := c.publish(ctx, gh, t, head, rep); err != nil {
		return out, err
	}
	log.Info().Str("conclusion", out.Conclusion).Int("new", len(rep.Comparison.New)).
		Int("fixed", len(rep.Comparison.Fixed)).Int("transfers", len(rep.Transfers)).
		Int("exceptions", len(rep.Exceptions)).Msg("pull request checked")
	return out, nil
}

// recordMerge keeps, in the sticky comment of a merged pull request, who
// approved each ownership move and exception change on the commit that
// merged, and says plainly what merged without the approval it needed.
// The check run is left as it was: it judged the head before the merge.
func (c *Checker) recordMerge(ctx context.Context, gh *github.Client, t Target, pr *github.PullRequest, base, head *policy.Result) (Outcome, error) {
	out := Outcome{HeadSHA: pr.GetHead().GetSHA()}
	rep := &report.PullRequest{
		Head:        head,
		Comparison:  policy.Compare(base, head),
		Mode:        base.Config.Mode,
		Enforcing:   base.Config.Enforcing(c.cfg.Now()),
		Mentionable: report.MentionableOwners(base),
		Merged: &report.Merge{
			By: pr.GetMergedBy().GetLogin(), At: pr.GetMergedAt().Time, Commit: pr.GetMergeCommitSHA(),
		},
	}
	if len(rep.Comparison.Transfers)+len(rep.Comparison.Exceptions) == 0 {
		out.Skipped = "merged, with no ownership move or exception change to record"
		return out, nil
	}
	// The record is written once: later reviews or membership changes do
	// not rewrite what stood at the merge.
	if recorded, err := c.mergeRecorded(ctx, gh, t); err != nil || recorded {
		if recorded {
			out.Skipped = "merged, and its approvals are already recorded"
		}
		return out, err
	}
	if err := c.approve(ctx, gh, t, pr, rep); err != nil {
		return out, err
	}
	out.Report = rep
	if err := c.publishComment(ctx, gh, t, rep); err != nil {
		return out, err
	}
	zerolog.Ctx(ctx).Info().Int("transfers", len(rep.Transfers)).Int("exceptions", len(rep.Exceptions)).
		Int("unapproved", rep.PendingApprovals()).Msg("approvals recorded at merge")
	return out, nil
}

// mergeRecorded reports whether the sticky comment already is the record of
// the merge.
func (c *Checker) mergeRecorded(ctx context.Context, gh *github.Client, t Target) (bool, error) {
	c.mem.mu.Lock()
	known, ok := c.mem.comments[t.String()]
	c.mem.mu.Unlock()
	if ok {
		return known.merged, nil
	}
	found, err := c.findComment(ctx, gh, t)
	if err != nil || found == nil {
		return false, err
	}
	return strings.Contains(found.GetBody(), report.MergeMarker), nil
}

// maxOpenPullPages bounds the search for the pull requests of a commit: a
// repository with more than 1,000 open pull requests is searched in part.
const maxOpenPullPages = 10

// PullsWithHead returns the open pull requests whose head is the commit
// sha. GitHub leaves the pull requests of a check run or suite out of its
// events when they come from forks, so "Re-run" names only a commit.
func (c *Checker) PullsWithHead(ctx context.Context, installationID int64, owner, repo, sha string) ([]int, error) {
	gh, err := c.cfg.Client(installationID)
	if err != nil {
		return nil, err
	}
	var numbers []int
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for range maxOpenPullPages {
		page, resp, err := gh.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list open pull requests of %s/%s: %w", owner, repo, err)
		}
		for _, pr := range page {
			if pr.GetHead().GetSHA() == sha {
				numbers = append(numbers, pr.GetNumber())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return numbers, nil
}

// changedFiles lists the files of a pull request, at most MaxListedFiles;
// complete is false when GitHub holds back the rest.
func (c *Checker) changedFiles(ctx context.Context, gh *github.Client, t Target, total int) (files []string, complete bool, err error) {
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.PullRequests.ListFiles(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return nil, false, fmt.Errorf("list files of %s: %w", t, err)
		}
		for _, f := range page {
			files = append(files, f.GetFilename())
		}
		if resp.NextPage == 0 || len(files) >= MaxListedFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	return files, total <= MaxListedFiles, nil
}

// evaluate judges head against the merge base of base and head, as GitHub
// shows the change, with the base's configuration over the organization's.
func (c *Checker) evaluate(dir, base, head string, org *config.Org, owner string) (baseRes, headRes *policy.Result, err error) {
	mergeBase, err := snapshot.MergeBase(dir, base, head)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: merge base of %s and %s: %w", ErrEvaluation, base, head, err)
	}
	now := c.cfg.Now()
	baseRes, err = evaluateAt(dir, mergeBase, now, nil, org, owner, c.parsed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: evaluate base %s: %w", ErrEvaluation, mergeBase, err)
	}
	headRes, err = evaluateAt(dir, head, now, &baseRes.Config, org, owner, c.parsed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: evaluate head %s: %w", ErrEvaluation, head, err)
	}
	return baseRes, headRes, nil
}

// owner is the organization (or user) that holds the repository: the {org}
// of the configuration's owner templates.
func evaluateAt(dir, rev string, now time.Time, cfg *config.Config, org *config.Org, owner string, parsed *policy.ParseCache) (*policy.Result, error) {
	tree, err := snapshot.OpenRef(dir, rev)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	return policy.Evaluate(tree, policy.Options{Now: now, Config: cfg, Org: org, History: tree.ChangeTimes, Parsed: parsed, Organization: owner})
}

// isNotFound reports a 404 from the API.
func isNotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

// memory is what a Checker remembers between checks to save API calls. It
// is only a cache: every entry is found again on GitHub when missing, so
// a map that reaches maxRemembered entries is simply started afresh.
type memory struct {
	mu        sync.Mutex
	checkRuns map[string]checkRunState // by owner/repo@sha
	comments  map[string]commentState  // by owner/repo#number
	teams     map[string]teamMembers   // by installation/org/slug
}

// maxRemembered bounds each map of memory.
const maxRemembered = 10_000

// forgetIfFull empties m when it is full. Callers hold mu.
func forgetIfFull[V any](m map[string]V) {
	if len(m) >= maxRemembered {
		clear(m)
	}
}
