package prcheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/report"
)

type checkRunState struct {
	id         int64
	externalID string
	output     string // hash of what was last published
}

type commentState struct {
	id     int64
	body   string // hash of the body last published
	merged bool   // the body is the record of the merge
}

// publish writes the sticky comment and then the check run, each only when
// it would change. The check run comes last because it marks the head as
// checked: the sweep re-checks heads without one, so a process that dies
// between the two writes leaves the head to be checked again instead of a
// pull request without its comment.
func (c *Checker) publish(ctx context.Context, gh *github.Client, t Target, head string, rep *report.PullRequest) error {
	if err := c.publishComment(ctx, gh, t, rep); err != nil {
		return err
	}
	return c.publishCheckRun(ctx, gh, t, head, rep)
}

// publishCheckRun keeps one check run per head commit. GitHub appends the
// annotations of every update to those already there, so the annotations
// are fingerprinted in the run's external id: the same ones are never sent
// twice, and different ones (rare for one commit: a day passed, a
// configuration changed) start a new run that supersedes the old one.
func (c *Checker) publishCheckRun(ctx context.Context, gh *github.Client, t Target, head string, rep *report.PullRequest) error {
	annotations := report.Annotations(rep.Comparison.New)
	externalID := "ownerbot:" + fingerprint(fmt.Sprint(annotations))
	var summary bytes.Buffer
	if err := report.PullRequestSummary(&summary, rep); err != nil {
		return err
	}
	title, conclusion := rep.Title(), rep.Conclusion()
	text := summary.String() // within GitHub's limit, as report renders it
	output := fingerprint(conclusion + "\x00" + title + "\x00" + text)

	key := fmt.Sprintf("%s/%s@%s", t.Owner, t.Repo, head)
	c.mem.mu.Lock()
	run, known := c.mem.checkRuns[key]
	c.mem.mu.Unlock()
	if known && run.externalID == externalID && run.output == output {
		return nil // nothing new to say
	}
	if !known {
		found, err := c.findCheckRun(ctx, gh, t, head)
		if err != nil {
			return err
		}
		if found != nil {
			run = checkRunState{id: found.GetID(), externalID: found.GetExternalID()}
			known = true
		}
	}
	out := &github.CheckRunOutput{Title: github.String(title), Summary: github.String(text)}
	completed := github.Timestamp{Time: c.cfg.Now()}
	update := func(id int64) error {
		_, _, err := gh.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, github.UpdateCheckRunOptions{
			Name: c.cfg.Name, Status: github.String("completed"), Conclusion: github.String(conclusion),
			CompletedAt: &completed, ExternalID: github.String(externalID), Output: out,
		})
		if err != nil {
			return fmt.Errorf("update check run %d of %s: %w", id, t, err)
		}
		c.remember(key, checkRunState{id: id, externalID: externalID, output: output})
		return nil
	}
	if known && run.externalID == externalID {
		return update(run.id)
	}
	// A new run: under the lease, and only if no replica made it while
	// this one looked.
	release, err := c.lease(ctx, gh, t)
	if err != nil {
		return err
	}
	defer release()
	if found, err := c.findCheckRun(ctx, gh, t, head); err != nil {
		return err
	} else if found != nil && found.GetExternalID() == externalID {
		return update(found.GetID())
	}
	batches := report.AnnotationBatches(annotations)
	if len(batches) > 0 {
		out.Annotations = toGitHub(batches[0])
		batches = batches[1:]
	}
	created, _, err := gh.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, github.CreateCheckRunOptions{
		Name: c.cfg.Name, HeadSHA: head, ExternalID: github.String(externalID),
		Status: github.String("completed"), Conclusion: github.String(conclusion), CompletedAt: &completed,
		Output: out,
	})
	if err != nil {
		// The run may exist even though the answer was lost: look before
		// trying again, so a retry never makes a second one.
		found, ferr := c.findCheckRun(ctx, gh, t, head)
		if ferr != nil || found == nil || found.GetExternalID() != externalID {
			return fmt.Errorf("create check run on %s of %s: %w", head, t, err)
		}
		created = found
	}
	for _, batch := range batches {
		_, _, err := gh.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, created.GetID(), github.UpdateCheckRunOptions{
			Name: c.cfg.Name, Output: &github.CheckRunOutput{Title: github.String(title), Summary: github.String(text), Annotations: toGitHub(batch)},
		})
		if err != nil {
			return fmt.Errorf("annotate check run %d of %s: %w", created.GetID(), t, err)
		}
	}
	c.remember(key, checkRunState{id: created.GetID(), externalID: externalID, output: output})
	return nil
}

func (c *Checker) remember(key string, run checkRunState) {
	c.mem.mu.Lock()
	forgetIfFull(c.mem.checkRuns)
	c.mem.checkRuns[key] = run
	c.mem.mu.Unlock()
}

// findCheckRun returns the newest check run of ours on a commit, or nil.
func (c *Checker) findCheckRun(ctx context.Context, gh *github.Client, t Target, head string) (*github.CheckRun, error) {
	opts := &github.ListCheckRunsOptions{CheckName: github.String(c.cfg.Name), Filter: github.String("latest"),
		ListOptions: github.ListOptions{PerPage: 100}}
	if c.cfg.AppID != 0 {
		opts.AppID = github.Int64(c.cfg.AppID)
	}
	runs, _, err := gh.Checks.ListCheckRunsForRef(ctx, t.Owner, t.Repo, head, opts)
	if err != nil {
		return nil, fmt.Errorf("list check runs on %s of %s: %w", head, t, err)
	}
	var newest *github.CheckRun
	for _, r := range runs.CheckRuns {
		if strings.HasPrefix(r.GetExternalID(), "ownerbot:") && (newest == nil || r.GetID() > newest.GetID()) {
			newest = r
		}
	}
	return newest, nil
}

func toGitHub(as []report.Annotation) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, len(as))
	for i, a := range as {
		out[i] = &github.CheckRunAnnotation{
			Path: github.String(a.Path), StartLine: github.Int(a.Line), EndLine: github.Int(a.Line),
			AnnotationLevel: github.String(a.Level), Title: github.String(a.Title),
			Message: github.String(a.Message), RawDetails: github.String(a.RawDetail),
		}
	}
	return out
}

// publishComment keeps one comment per pull request, found by its marker
// and edited in place.
func (c *Checker) publishComment(ctx context.Context, gh *github.Client, t Target, rep *report.PullRequest) error {
	var buf bytes.Buffer
	if err := report.PullRequestComment(&buf, rep); err != nil {
		return err
	}
	body := buf.String() // within GitHub's limit, as report renders it
	hash := fingerprint(body)
	key := t.String()
	c.mem.mu.Lock()
	known, ok := c.mem.comments[key]
	c.mem.mu.Unlock()
	if ok && known.body == hash {
		return nil
	}
	if !ok {
		found, err := c.findComment(ctx, gh, t)
		if err != nil {
			return err
		}
		if found != nil {
			known, ok = commentState{id: found.GetID(), body: fingerprint(found.GetBody()), merged: strings.Contains(found.GetBody(), report.MergeMarker)}, true
			if known.body == hash {
				c.rememberComment(key, known)
				return nil
			}
		}
	}
	if ok {
		_, _, err := gh.Issues.EditComment(ctx, t.Owner, t.Repo, known.id, &github.IssueComment{Body: github.String(body)})
		if isNotFound(err) {
			// Someone deleted it; forget it and write it again below.
			c.mem.mu.Lock()
			delete(c.mem.comments, key)
			c.mem.mu.Unlock()
			ok = false
		} else if err != nil {
			return fmt.Errorf("edit comment %d of %s: %w", known.id, t, err)
		} else {
			c.rememberComment(key, commentState{id: known.id, body: hash, merged: rep.Merged != nil})
			return nil
		}
	}
	// A new comment: under the lease, and only if no replica wrote one
	// while this one looked.
	release, err := c.lease(ctx, gh, t)
	if err != nil {
		return err
	}
	defer release()
	if found, err := c.findComment(ctx, gh, t); err != nil {
		return err
	} else if found != nil {
		if fingerprint(found.GetBody()) != hash {
			if _, _, err := gh.Issues.EditComment(ctx, t.Owner, t.Repo, found.GetID(), &github.IssueComment{Body: github.String(body)}); err != nil {
				return fmt.Errorf("edit comment %d of %s: %w", found.GetID(), t, err)
			}
		}
		c.rememberComment(key, commentState{id: found.GetID(), body: hash, merged: rep.Merged != nil})
		return nil
	}
	created, _, err := gh.Issues.CreateComment(ctx, t.Owner, t.Repo, t.Number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		// Look before trying again: the comment may exist though the answer
		// was lost.
		found, ferr := c.findComment(ctx, gh, t)
		if ferr != nil || found == nil {
			return fmt.Errorf("comment on %s: %w", t, err)
		}
		created = found
	}
	// Another replica may have created one at the same moment. The oldest
	// stays the sticky comment: a newer one hands its text over to it and
	// keeps only a pointer, without the marker, so the pull request never
	// shows two.
	if oldest, err := c.findComment(ctx, gh, t); err == nil && oldest != nil && oldest.GetID() != created.GetID() {
		if _, _, err := gh.Issues.EditComment(ctx, t.Owner, t.Repo, oldest.GetID(), &github.IssueComment{Body: github.String(body)}); err != nil {
			return fmt.Errorf("edit comment %d of %s: %w", oldest.GetID(), t, err)
		}
		note := fmt.Sprintf("ownerbot wrote this twice at once; its report is in [the comment above](%s).", oldest.GetHTMLURL())
		if _, _, err := gh.Issues.EditComment(ctx, t.Owner, t.Repo, created.GetID(), &github.IssueComment{Body: github.String(note)}); err != nil {
			return fmt.Errorf("edit comment %d of %s: %w", created.GetID(), t, err)
		}
		created, created.Body = oldest, github.String(body)
	}
	c.rememberComment(key, commentState{id: created.GetID(), body: fingerprint(created.GetBody()), merged: strings.Contains(created.GetBody(), report.MergeMarker)})
	return nil
}

// lease takes the App's lease on the pull request, so that no other
// replica creates its comment or a check run at the same time, and returns
// what gives it back (even when ctx has ended, as Release does).
func (c *Checker) lease(ctx context.Context, gh *github.Client, t Target) (release func(), err error) {
	l, err := ghapp.AcquireLease(ctx, gh, t.Owner, t.Repo, t.Number, c.cfg.Lease)
	if err != nil {
		return nil, err
	}
	return func() {
		if err := l.Release(ctx); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("pull", t.String()).Msg("lease not released; other replicas wait for it to go stale")
		}
	}, nil
}

func (c *Checker) rememberComment(key string, s commentState) {
	c.mem.mu.Lock()
	forgetIfFull(c.mem.comments)
	c.mem.comments[key] = s
	c.mem.mu.Unlock()
}

// findComment returns the first comment of a pull request that the App
// wrote with the marker, or nil. Anyone can type the marker: a comment
// whose author is not the App's bot user is never taken for the sticky
// comment, nor for the record of a merge.
func (c *Checker) findComment(ctx context.Context, gh *github.Client, t Target) (*github.IssueComment, error) {
	self, err := c.cfg.Identity(ctx)
	if err != nil {
		return nil, err
	}
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := gh.Issues.ListComments(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("list comments of %s: %w", t, err)
		}
		for _, cm := range page {
			if strings.HasPrefix(cm.GetBody(), report.CommentMarker) && self.WroteComment(cm) {
				return cm, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
