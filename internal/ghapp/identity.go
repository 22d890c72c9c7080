package ghapp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// An Identity is the App as GitHub knows it: its id and its slug, whose bot
// user ("<slug>[bot]") writes everything an installation token writes.
//
// The App's bookkeeping (the sticky comment, the record of a merge, living
// issues and the notes on them) is found again by hidden markers, and
// anyone who can comment can type a marker. So a marker counts only on
// something GitHub says the App wrote: Wrote is the one test of that.
type Identity struct {
	ID   int64
	Slug string
}

// BotLogin is the login of the App's bot user.
func (id Identity) BotLogin() string { return id.Slug + "[bot]" }

// Wrote reports whether GitHub says the App wrote something whose author
// is user: the App's own bot user, of type Bot. No person can take that
// login ("[" is not allowed in one), so it is GitHub's word. Nothing counts
// while the identity is unknown.
//
// GitHub also sets performed_via_github_app on what Apps write, but for a
// person acting through an App too, and go-github v60 does not decode it on
// issues and comments; the author alone is the safer test.
func (id Identity) Wrote(user *github.User) bool {
	return id.Slug != "" && user != nil && strings.EqualFold(user.GetType(), "Bot") &&
		strings.EqualFold(user.GetLogin(), id.BotLogin())
}

// WroteComment reports whether the App wrote the comment.
func (id Identity) WroteComment(c *github.IssueComment) bool {
	return c != nil && id.Wrote(c.GetUser())
}

// WroteIssue reports whether the App opened the issue.
func (id Identity) WroteIssue(iss *github.Issue) bool {
	return iss != nil && id.Wrote(iss.GetUser())
}

// Identity asks GitHub who the App is (GET /app, with the App's JWT) the
// first time it is called, and remembers the answer; a failure is not
// remembered, so the next call asks again.
func (a *App) Identity(ctx context.Context) (Identity, error) {
	a.mu.Lock()
	known := a.identity
	a.mu.Unlock()
	if known.Slug != "" {
		return known, nil
	}
	info, _, err := a.appClient.Apps.Get(ctx, "")
	if err != nil {
		return Identity{}, fmt.Errorf("ghapp: who is the App (GET /app): %w", err)
	}
	if info.GetSlug() == "" {
		return Identity{}, errors.New("ghapp: GET /app answered without the App's slug")
	}
	if info.GetID() != a.cfg.AppID {
		return Identity{}, fmt.Errorf("ghapp: GitHub says the key belongs to App %d, not App %d", info.GetID(), a.cfg.AppID)
	}
	id := Identity{ID: info.GetID(), Slug: info.GetSlug()}
	a.mu.Lock()
	a.identity = id
	a.mu.Unlock()
	return id, nil
}
