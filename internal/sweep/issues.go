package sweep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/review"
)

// listIssues returns the issues the App opened with its label, open and
// closed, pull requests left out. Anyone may open an issue with the label
// and a copy of a marker; only the App's are its living issues.
func listIssues(ctx context.Context, t target, label string) ([]*github.Issue, error) {
	var out []*github.Issue
	opts := &github.IssueListByRepoOptions{State: "all", Labels: []string{label}, ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := t.gh.Issues.ListByRepo(ctx, t.owner, t.name, opts)
		if err != nil {
			return nil, fmt.Errorf("list issues labelled %s: %w", label, err)
		}
		for _, iss := range page {
			if !iss.IsPullRequest() && t.self.WroteIssue(iss) {
				out = append(out, iss)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// existing reads the bot's issues as the reconciler needs them. The
// comments are read for open issues, and for closed ones the plan may
// reopen: only they can get a reminder or a reopening note.
func (s *Sweeper) existing(ctx context.Context, t target, label string, desired []review.Desired) ([]review.Existing, error) {
	issues, err := listIssues(ctx, t, label)
	if err != nil {
		return nil, err
	}
	wanted := map[review.Identity]bool{}
	for _, d := range desired {
		wanted[d.ID] = true
	}
	var out []review.Existing
	for _, iss := range issues {
		st, ok := review.ParseState(iss.GetBody())
		if !ok {
			continue // the label alone does not make an issue the bot's
		}
		e := review.Existing{
			Number: iss.GetNumber(), State: iss.GetState(), Title: iss.GetTitle(), Body: iss.GetBody(),
		}
		for _, l := range iss.Labels {
			e.Labels = append(e.Labels, l.GetName())
		}
		for _, a := range iss.Assignees {
			e.Assignees = append(e.Assignees, a.GetLogin())
		}
		if st.Dup == 0 && (e.State == "open" || wanted[st.Identity]) {
			err := eachComment(ctx, t, e.Number, func(c *github.IssueComment) bool {
				// A note someone else typed ("reminded 1,000 times") must
				// not silence the App's reminders and escalations.
				if t.self.WroteComment(c) {
					e.Notes = append(e.Notes, review.ParseNotes(c.GetBody())...)
				}
				return true
			})
			if err != nil {
				return nil, err
			}
			e.NotesRead = true
		}
		out = append(out, e)
	}
	return out, nil
}

func eachComment(ctx context.Context, t target, number int, fn func(*github.IssueComment) bool) error {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := t.gh.Issues.ListComments(ctx, t.owner, t.name, number, opts)
		if err != nil {
			return fmt.Errorf("list comments of #%d: %w", number, err)
		}
		for _, c := range page {
			if !fn(c) {
				return nil
			}
		}
		if resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

// findComment returns the id of the App's comment of issue or pull
// request number that carries marker, 0 when there is none.
func findComment(ctx context.Context, t target, number int, marker string) (int64, error) {
	var id int64
	err := eachComment(ctx, t, number, func(c *github.IssueComment) bool {
		if strings.Contains(c.GetBody(), marker) && t.self.WroteComment(c) {
			id = c.GetID()
			return false
		}
		return true
	})
	return id, err
}

// execute carries the actions out in order, or prints them in a dry run.
// It stops at the first failure: the next sweep plans the rest again.
func (s *Sweeper) execute(ctx context.Context, t target, label string, actions []review.Action, out *Outcome) error {
	for _, a := range actions {
		if s.cfg.DryRun {
			fmt.Fprintln(s.cfg.Out, describe(t, a))
			out.Writes[a.Kind]++
			continue
		}
		if err := s.apply(ctx, t, label, a); err != nil {
			return fmt.Errorf("%s: %w", describe(t, a), err)
		}
		out.Writes[a.Kind]++
		s.cfg.Metrics.acted(a.Kind)
		s.cfg.Logger.Info().Str("repo", t.String()).Int("number", a.Number).Str("kind", a.Kind).Str("issue", a.ID.String()).
			Msg(a.Summary)
	}
	return nil
}

// describe is an action's line in a dry run's plan.
func describe(t target, a review.Action) string {
	where := t.String()
	if a.Number != 0 {
		where += fmt.Sprintf("#%d", a.Number)
	}
	what := a.ID.String()
	switch {
	case a.Op == review.CommentPR:
		what = "pull request"
	case a.Op == review.Create:
		what = fmt.Sprintf("%q", a.Title)
	}
	return fmt.Sprintf("%s\t%s\t%s: %s", where, a.Kind, what, a.Summary)
}

// apply makes one action's writes. Each is safe to repeat: an issue or a
// comment is created only after a fresh read shows it missing, and a
// create whose answer was lost is found again by its marker.
func (s *Sweeper) apply(ctx context.Context, t target, label string, a review.Action) error {
	switch a.Op {
	case review.Create:
		_, err := ghapp.Upsert(ctx,
			func(ctx context.Context) (int, bool, error) { return s.findIssue(ctx, t, label, a.ID) },
			func(ctx context.Context) (int, error) { return s.createIssue(ctx, t, a) })
		return err
	case review.CommentPR:
		return s.comment(ctx, t, a.Number, a.Comment, a.Marker)
	}
	if a.Comment != "" && a.CommentFirst {
		if err := s.comment(ctx, t, a.Number, a.Comment, a.Marker); err != nil {
			return err
		}
	}
	if a.Title != "" || a.Body != "" || a.State != "" {
		req := &github.IssueRequest{}
		if a.Title != "" {
			req.Title = github.String(a.Title)
		}
		if a.Body != "" {
			req.Body = github.String(a.Body)
		}
		if a.State != "" {
			req.State = github.String(a.State)
		}
		if a.Reason != "" {
			req.StateReason = github.String(a.Reason)
		}
		if _, _, err := t.gh.Issues.Edit(ctx, t.owner, t.name, a.Number, req); err != nil {
			return err
		}
	}
	if len(a.Labels) > 0 {
		if _, _, err := t.gh.Issues.AddLabelsToIssue(ctx, t.owner, t.name, a.Number, a.Labels); err != nil {
			return err
		}
	}
	if len(a.Assignees) > 0 {
		if _, _, err := t.gh.Issues.AddAssignees(ctx, t.owner, t.name, a.Number, a.Assignees); err != nil && !invalid(err) {
			return err
		}
	}
	if a.Comment != "" && !a.CommentFirst {
		return s.comment(ctx, t, a.Number, a.Comment, a.Marker)
	}
	return nil
}

// findIssue finds the living issue of id by its marker.
func (s *Sweeper) findIssue(ctx context.Context, t target, label string, id review.Identity) (int, bool, error) {
	issues, err := listIssues(ctx, t, label)
	if err != nil {
		return 0, false, err
	}
	for _, iss := range issues {
		if st, ok := review.ParseState(iss.GetBody()); ok && st.Identity == id && st.Dup == 0 {
			return iss.GetNumber(), true, nil
		}
	}
	return 0, false, nil
}

func (s *Sweeper) createIssue(ctx context.Context, t target, a review.Action) (int, error) {
	req := &github.IssueRequest{Title: github.String(a.Title), Body: github.String(a.Body), Labels: &a.Labels}
	if len(a.Assignees) > 0 {
		req.Assignees = &a.Assignees
	}
	iss, _, err := t.gh.Issues.Create(ctx, t.owner, t.name, req)
	if err != nil && req.Assignees != nil && invalid(err) {
		// An owner who cannot be assigned (no access, or gone): the
		// issue still opens, and its body mentions them.
		req.Assignees = nil
		iss, _, err = t.gh.Issues.Create(ctx, t.owner, t.name, req)
	}
	if err != nil {
		return 0, err
	}
	return iss.GetNumber(), nil
}

// comment writes a comment unless one with its marker is already there.
func (s *Sweeper) comment(ctx context.Context, t target, number int, body, marker string) error {
	_, err := ghapp.Upsert(ctx,
		func(ctx context.Context) (int64, bool, error) {
			id, err := findComment(ctx, t, number, marker)
			return id, id != 0, err
		},
		func(ctx context.Context) (int64, error) {
			c, _, err := t.gh.Issues.CreateComment(ctx, t.owner, t.name, number, &github.IssueComment{Body: github.String(body)})
			return c.GetID(), err
		})
	return err
}

// invalid reports GitHub's 422, which it answers for an assignee it will
// not take.
func invalid(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusUnprocessableEntity
}
