package sweep

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/gitrepo"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/review"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// target names the repository a sweep works on.
type target struct {
	inst        int64
	owner, name string
	htmlURL     string
	gh          *github.Client
	// self is the App: what its bot user did not write is not its own,
	// whatever markers it carries.
	self ghapp.Identity
}

func (t target) String() string { return t.owner + "/" + t.name }

// repo sweeps one repository: evaluate its default branch, judge its
// exceptions, look at its open pull requests, and bring its living issues
// to the plan.
func (s *Sweeper) repo(ctx context.Context, inst int64, gh *github.Client, r *github.Repository, recoverChecks bool) (Outcome, error) {
	self, err := s.cfg.App.Identity(ctx)
	if err != nil {
		return Outcome{}, err
	}
	t := target{inst: inst, owner: r.GetOwner().GetLogin(), name: r.GetName(), htmlURL: r.GetHTMLURL(), gh: gh, self: self}
	defer s.cfg.Locks.lock(fmt.Sprintf("%d/%s", inst, t))()
	out := Outcome{Writes: map[string]int{}}
	log := s.cfg.Logger.With().Str("repo", t.String()).Logger()
	now := s.cfg.Now()

	branch := r.GetDefaultBranch()
	if branch == "" {
		log.Debug().Msg("empty repository: nothing to sweep")
		return out, nil
	}
	// The branch's head, asked with GitHub's SHA media type: an unchanged
	// branch is a 304, and a clone that has the commit is not fetched.
	sha, _, err := gh.Repositories.GetCommitSHA1(ctx, t.owner, t.name, branch, "")
	if err != nil {
		return out, fmt.Errorf("read the head of %s: %w", branch, err)
	}
	token, err := s.cfg.App.Token(ctx, inst)
	if err != nil {
		return out, err
	}
	ref := "refs/heads/" + branch
	co, err := s.cfg.Clones.Fetch(ctx, ghapp.FetchRequest{InstallationID: inst, Owner: t.owner, Repo: t.name,
		CloneURL: r.GetCloneURL(), Token: token, Refs: []string{ref}, Want: []string{sha}})
	if err != nil {
		return out, fmt.Errorf("fetch %s: %w", branch, err)
	}
	defer co.Close()
	tree, err := snapshot.OpenRef(co.Dir, sha)
	if err != nil {
		return out, fmt.Errorf("read %s: %w", branch, err)
	}
	defer tree.Close()
	org, err := s.cfg.OrgConfig.Get(ctx, gh, inst, t.owner)
	if err != nil {
		return out, err
	}
	evaluating := time.Now()
	res, err := policy.Evaluate(tree, policy.Options{Now: now, Org: org, History: tree.ChangeTimes, Organization: t.owner})
	if err != nil {
		return out, fmt.Errorf("evaluate %s: %w", branch, err)
	}
	took := time.Since(evaluating)
	ratified, err := s.judgeExceptions(ctx, t, co.Dir, tree, res, now)
	if err != nil {
		// Without the answer, entries keep applying as they do locally;
		// the next sweep asks again.
		log.Warn().Err(err).Msg("could not judge the approval of exceptions")
	}
	s.cfg.Metrics.evaluated(t.String(), res, took) // with the revoked exceptions' findings

	pulls, err := openPulls(ctx, gh, t)
	if err != nil {
		return out, err
	}
	if recoverChecks {
		if err := s.recover(ctx, t, pulls, &out); err != nil {
			return out, err
		}
	}
	stale, reminded, err := s.stalePulls(ctx, t, res, pulls, now)
	if err != nil {
		return out, err
	}

	cfg := res.Config.Issues
	desired := review.Plan(review.Input{Repo: t.String(), Now: now, Config: cfg, Units: units(res), Findings: res.Findings, Stale: stale})
	ev := newEvidence(t, co.Dir, tree, res, ratified)
	plan := func() ([]review.Action, error) {
		actions := review.StaleReminders(stale, func(n int) bool { return reminded[n] })
		if !cfg.Enabled {
			return actions, nil
		}
		existing, err := s.existing(ctx, t, cfg.Labels[0], desired)
		if err != nil {
			return nil, err
		}
		return append(actions, review.Reconcile(t.String(), now, cfg, desired, existing, ev.of)...), nil
	}
	actions, err := plan()
	if err != nil || len(actions) == 0 || s.cfg.DryRun {
		if err == nil {
			err = s.execute(ctx, t, cfg.Labels[0], actions, &out)
		}
		return out, err
	}
	// Writes are due. Another process (a replica sweeping on a push, a
	// CronJob shard) may be writing the same issues: take the repository's
	// lease, then plan again from what GitHub has now, so two sweeps never
	// open the same issue or write the same reminder.
	lease, err := ghapp.AcquireRepoLease(ctx, t.gh, t.owner, t.name, s.cfg.Lease)
	if err != nil {
		return out, err
	}
	defer func() {
		if err := lease.Release(ctx); err != nil {
			s.cfg.Logger.Warn().Err(err).Str("repo", t.String()).Msg("lease not released; other sweeps wait for it to go stale")
		}
	}()
	if actions, err = plan(); err != nil {
		return out, err
	}
	return out, s.execute(ctx, t, cfg.Labels[0], actions, &out)
}

// units turns the repository's units into what planning needs, with each
// escalation step's "parent" resolved to the enclosing unit's owner.
func units(res *policy.Result) []review.Unit {
	if res.Units == nil {
		return nil
	}
	var out []review.Unit
	for _, u := range res.Units.Units() {
		ru := review.Unit{Name: u.Name(), Owner: u.Owner}
		for _, e := range u.Escalation {
			to := e.To
			if to == owners.Parent {
				to = ""
				for p := u.Parent; p != nil && to == ""; p = p.Parent {
					if !strings.EqualFold(p.Owner, u.Owner) {
						to = p.Owner
					}
				}
			}
			if to != "" {
				ru.Escalation = append(ru.Escalation, review.Step{After: e.After.Days, To: to})
			}
		}
		out = append(out, ru)
	}
	return out
}

// evidence finds how an item was done: the commit on the default branch
// that last changed its file since it was listed, or the exception that
// now waives it.
type evidence struct {
	t      target
	dir    string
	tree   *snapshot.Tree
	waived map[string]string // item key → exception id
	// ratified says where each exception was approved, by id, when the
	// sweep could tell.
	ratified map[string]string
	repo     *git.Repository
	openErr  error
}

func newEvidence(t target, dir string, tree *snapshot.Tree, res *policy.Result, ratified map[string]string) *evidence {
	e := &evidence{t: t, dir: dir, tree: tree, waived: map[string]string{}, ratified: ratified}
	for _, f := range res.Findings {
		if f.ExceptedBy != "" {
			e.waived[review.KeyOf(f)] = f.ExceptedBy
		}
	}
	return e
}

func (e *evidence) of(ref review.Ref, since time.Time) string {
	if ref.PR != 0 {
		return fmt.Sprintf("pull request #%d no longer waits on its owners' review", ref.PR)
	}
	if id := e.waived[ref.Key]; id != "" {
		if where := e.ratified[id]; where != "" {
			return fmt.Sprintf("set aside by exception %s (%s)", id, where)
		}
		return "set aside by exception " + id
	}
	if ref.Path == "" {
		return ""
	}
	changes, err := e.tree.LastChanged([]string{ref.Path})
	if err != nil {
		return ""
	}
	c, ok := changes[ref.Path]
	if !ok {
		return gfm.Code(ref.Path) + " is no longer in the repository"
	}
	// A commit dated before the item was listed reached the branch later
	// (a fast-forward keeps its date), or the item was settled elsewhere:
	// say only what is certain.
	verb := "done in"
	if c.Time.Before(since) {
		verb = "its file last changed in"
	}
	short := c.Commit[:min(7, len(c.Commit))]
	s := fmt.Sprintf("%s [`%s`](%s/commit/%s)", verb, short, e.t.htmlURL, c.Commit)
	if n := e.pullOf(c.Commit); n > 0 {
		s += fmt.Sprintf(" (#%d)", n)
	}
	return s
}

// pullOf reads the pull request number GitHub writes into the message of
// a merge ("Merge pull request #12 from …") or a squash ("Title (#12)").
func (e *evidence) pullOf(commit string) int {
	if e.repo == nil && e.openErr == nil {
		e.repo, _, e.openErr = gitrepo.Open(e.dir, nil, filesystem.Options{})
	}
	if e.repo == nil {
		return 0
	}
	c, err := e.repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return 0
	}
	return pullNumber(c.Message)
}

var pullSubject = regexp.MustCompile(`^Merge pull request #(\d+)\b|\(#(\d+)\)$`)

func pullNumber(message string) int {
	subject, _, _ := strings.Cut(message, "\n")
	m := pullSubject.FindStringSubmatch(strings.TrimSpace(subject))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1] + m[2])
	return n
}
