package prcheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/report"
)

// approvers returns the logins, lower case, whose standing review of a pull
// request approves its head commit, the author left out. A reviewer's
// standing review is their latest that approves, requests changes or was
// dismissed; comments leave it as it was (as GitHub counts them). An
// approval of an earlier commit does not count: what was approved must be
// what merges (DESIGN §2.4).
func approvers(reviews []*github.PullRequestReview, head, author string) []string {
	standing := map[string]*github.PullRequestReview{}
	for _, r := range reviews {
		switch r.GetState() {
		case "APPROVED", "CHANGES_REQUESTED", "DISMISSED":
			standing[strings.ToLower(r.GetUser().GetLogin())] = r
		}
	}
	var out []string
	for login, r := range standing {
		if r.GetState() == "APPROVED" && r.GetCommitID() == head && login != strings.ToLower(author) && login != "" {
			out = append(out, login)
		}
	}
	slices.Sort(out)
	return out
}

// approve fills in who approved the transfers and exception changes of a
// pull request. Team members are only looked up when someone approved.
func (c *Checker) approve(ctx context.Context, gh *github.Client, t Target, pr *github.PullRequest, rep *report.PullRequest) error {
	reviews, err := listReviews(ctx, gh, t)
	if err != nil {
		return err
	}
	approved := approvers(reviews, pr.GetHead().GetSHA(), pr.GetUser().GetLogin())
	who := func(ref string) (string, error) { return c.approverFor(ctx, gh, t.InstallationID, approved, ref) }
	for _, tr := range rep.Comparison.Transfers {
		ta := report.TransferApproval{Transfer: tr, ApprovedBy: map[string]string{}}
		for _, party := range tr.Parties {
			login, err := who(party)
			if err != nil {
				return err
			}
			if login == "" {
				ta.Missing = append(ta.Missing, party)
				continue
			}
			ta.ApprovedBy[party] = login
		}
		rep.Transfers = append(rep.Transfers, ta)
	}
	now := c.cfg.Now()
	for _, x := range rep.Comparison.Exceptions {
		if x.Entry.Status(now) == exception.Expired {
			continue // it waives nothing, approved or not
		}
		xa := report.ExceptionApproval{ExceptionChange: x}
		for _, ref := range x.Approvers {
			login, err := who(ref)
			if err != nil {
				return err
			}
			if login != "" {
				xa.ApprovedBy = login
				break
			}
		}
		rep.Exceptions = append(rep.Exceptions, xa)
	}
	return nil
}

func listReviews(ctx context.Context, gh *github.Client, t Target) ([]*github.PullRequestReview, error) {
	var reviews []*github.PullRequestReview
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.PullRequests.ListReviews(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("list reviews of %s: %w", t, err)
		}
		reviews = append(reviews, page...)
		if resp.NextPage == 0 {
			return reviews, nil
		}
		opts.Page = resp.NextPage
	}
}

// approverFor returns the first of approved who may act for an owner
// reference: the user it names, or a member of the team it names.
func (c *Checker) approverFor(ctx context.Context, gh *github.Client, installation int64, approved []string, ref string) (string, error) {
	if len(approved) == 0 {
		return "", nil
	}
	name, ok := strings.CutPrefix(ref, "@")
	if !ok {
		return "", nil // an e-mail address cannot approve on GitHub
	}
	org, slug, isTeam := strings.Cut(name, "/")
	if !isTeam {
		if slices.Contains(approved, strings.ToLower(name)) {
			return strings.ToLower(name), nil
		}
		return "", nil
	}
	members, err := c.teamMembers(ctx, gh, installation, org, slug)
	if err != nil {
		return "", err
	}
	for _, login := range approved {
		if members[login] {
			return login, nil
		}
	}
	return "", nil
}

// A Ratification is what a merged pull request shows of the approval of a
// change it made.
type Ratification struct {
	PR *github.PullRequest // nil when the pull request does not exist
	// Merged is set when the pull request was merged as commit.
	Merged bool
	// ApprovedBy is the eligible approver whose approval of the pull
	// request's final head stands, "" when there is none.
	ApprovedBy string
}

// Ratified reads pull request t, and tells whether it merged as commit and
// which of eligible (users and teams) approved its final head: how the sweep
// judges an exception entry long after its pull request merged (DESIGN
// §2.4). A reviewer who is the author never counts.
func (c *Checker) Ratified(ctx context.Context, t Target, commit string, eligible []string) (Ratification, error) {
	gh, err := c.cfg.Client(t.InstallationID)
	if err != nil {
		return Ratification{}, err
	}
	pr, _, err := gh.PullRequests.Get(ctx, t.Owner, t.Repo, t.Number)
	if isNotFound(err) {
		return Ratification{}, nil
	}
	if err != nil {
		return Ratification{}, fmt.Errorf("read %s: %w", t, err)
	}
	r := Ratification{PR: pr, Merged: pr.GetMerged() && strings.EqualFold(pr.GetMergeCommitSHA(), commit)}
	if !r.Merged {
		return r, nil
	}
	reviews, err := listReviews(ctx, gh, t)
	if err != nil {
		return r, err
	}
	approved := approvers(reviews, pr.GetHead().GetSHA(), pr.GetUser().GetLogin())
	for _, ref := range eligible {
		login, err := c.approverFor(ctx, gh, t.InstallationID, approved, ref)
		if err != nil {
			return r, err
		}
		if login != "" {
			r.ApprovedBy = login
			break
		}
	}
	return r, nil
}

// teamMembers returns the members of a team, lower case, from memory when
// fresh enough. A team that does not exist has no members.
func (c *Checker) teamMembers(ctx context.Context, gh *github.Client, installation int64, org, slug string) (map[string]bool, error) {
	key := fmt.Sprintf("%d/%s/%s", installation, strings.ToLower(org), strings.ToLower(slug))
	now := time.Now()
	c.mem.mu.Lock()
	tm, ok := c.mem.teams[key]
	c.mem.mu.Unlock()
	if ok && now.Sub(tm.fetched) < c.cfg.TeamTTL {
		return tm.members, nil
	}
	members := map[string]bool{}
	opts := &github.TeamListTeamMembersOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := gh.Teams.ListTeamMembersBySlug(ctx, org, slug, opts)
		if isNotFound(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list members of @%s/%s: %w", org, slug, err)
		}
		for _, u := range page {
			members[strings.ToLower(u.GetLogin())] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	c.mem.mu.Lock()
	forgetIfFull(c.mem.teams)
	c.mem.teams[key] = teamMembers{members: members, fetched: now}
	c.mem.mu.Unlock()
	return members, nil
}

type teamMembers struct {
	members map[string]bool
	fetched time.Time
}
