package sweep

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/review"
)

func openPulls(ctx context.Context, gh *github.Client, t target) ([]*github.PullRequest, error) {
	var out []*github.PullRequest
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := gh.PullRequests.List(ctx, t.owner, t.name, opts)
		if err != nil {
			return nil, fmt.Errorf("list open pull requests: %w", err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// recover checks the open pull requests whose head has no check run of
// the App: their events were lost, or came while the App was down.
func (s *Sweeper) recover(ctx context.Context, t target, pulls []*github.PullRequest, out *Outcome) error {
	if s.cfg.Checker == nil {
		return nil
	}
	for _, pr := range pulls {
		sha := pr.GetHead().GetSHA()
		opts := &github.ListCheckRunsOptions{CheckName: github.String(s.cfg.CheckName), ListOptions: github.ListOptions{PerPage: 1}}
		if s.cfg.AppID != 0 {
			opts.AppID = github.Int64(s.cfg.AppID)
		}
		runs, _, err := t.gh.Checks.ListCheckRunsForRef(ctx, t.owner, t.name, sha, opts)
		if err != nil {
			return fmt.Errorf("list check runs of #%d: %w", pr.GetNumber(), err)
		}
		if runs.GetTotal() > 0 {
			continue
		}
		out.Checked++
		if s.cfg.DryRun {
			fmt.Fprintf(s.cfg.Out, "%s#%d\tcheck\tno %s check run on %s\n", t, pr.GetNumber(), s.cfg.CheckName, short(sha))
			continue
		}
		res, err := s.cfg.Checker.Check(ctx, prcheck.Target{InstallationID: t.inst, Owner: t.owner, Repo: t.name, Number: pr.GetNumber()})
		if err != nil {
			return fmt.Errorf("check #%d: %w", pr.GetNumber(), err)
		}
		s.cfg.Logger.Info().Str("repo", t.String()).Int("pr", pr.GetNumber()).Str("skipped", res.Skipped).
			Msg("checked a pull request that had no check run")
	}
	return nil
}

// stalePulls finds the open pull requests, drafts aside, that have waited
// on a review requested from their owners longer than the service level,
// and which of them already carry the bot's one reminder.
//
// GitHub's REST API does not say when a review was requested, so the wait
// runs from when the pull request was opened.
func (s *Sweeper) stalePulls(ctx context.Context, t target, res *policy.Result, pulls []*github.PullRequest, now time.Time) ([]review.StalePR, map[int]bool, error) {
	sla := res.Config.Reviews.SLA.Days
	known := ownerNames(res)
	reminded := map[int]bool{}
	var out []review.StalePR
	for _, pr := range pulls {
		if pr.GetDraft() {
			continue
		}
		var asked []string
		for _, u := range pr.RequestedReviewers {
			if name := "@" + u.GetLogin(); known[strings.ToLower(name)] {
				asked = append(asked, name)
			}
		}
		for _, tm := range pr.RequestedTeams {
			if name := "@" + t.owner + "/" + tm.GetSlug(); known[strings.ToLower(name)] {
				asked = append(asked, name)
			}
		}
		if len(asked) == 0 {
			continue
		}
		since := pr.GetCreatedAt().Time
		due := review.WorkingDaysAfter(since, sla)
		if now.Before(due) {
			continue
		}
		unit, err := unitOfPull(ctx, t, pr.GetNumber(), res, asked)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, review.StalePR{Number: pr.GetNumber(), Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(),
			Asked: asked, Since: since, Due: due, Unit: unit, SLA: sla})
		found, err := findComment(ctx, t, pr.GetNumber(), review.StaleReviewMarker)
		if err != nil {
			return nil, nil, err
		}
		reminded[pr.GetNumber()] = found != 0
	}
	return out, reminded, nil
}

// ownerNames are every owner the repository names, lower case: CODEOWNERS
// owners and the owners of units.
func ownerNames(res *policy.Result) map[string]bool {
	known := map[string]bool{}
	if res.Ruleset != nil {
		for i := range res.Ruleset.Rules {
			for _, o := range res.Ruleset.Rules[i].Owners {
				known[strings.ToLower(o.Name)] = true
			}
		}
	}
	if res.Units != nil {
		for _, u := range res.Units.Units() {
			if u.Owner != "" {
				known[strings.ToLower(u.Owner)] = true
			}
		}
	}
	return known
}

// unitOfPull is the unit whose issue lists a stale pull request: the first
// unit it changes that one of the asked owners owns, else the unit of its
// first file, else the root.
func unitOfPull(ctx context.Context, t target, number int, res *policy.Result, asked []string) (string, error) {
	if res.Units == nil {
		return "/", nil
	}
	files, _, err := t.gh.PullRequests.ListFiles(ctx, t.owner, t.name, number, &github.ListOptions{PerPage: 100})
	if err != nil {
		return "", fmt.Errorf("list files of #%d: %w", number, err)
	}
	first := ""
	for _, f := range files {
		u := res.Units.UnitOf(f.GetFilename())
		if u == nil {
			continue
		}
		if first == "" {
			first = u.Name()
		}
		for _, a := range asked {
			if strings.EqualFold(a, u.Owner) {
				return u.Name(), nil
			}
		}
	}
	if first == "" {
		first = "/"
	}
	return first, nil
}

func short(sha string) string { return sha[:min(7, len(sha))] }
