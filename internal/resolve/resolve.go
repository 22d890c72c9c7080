// Package resolve asks GitHub whether the owners a repository names exist
// and may own its files: teams that exist in the repository's organization,
// users who exist, belong to it and have write access, and what GitHub
// itself reports as unknown owners of a CODEOWNERS file. Answers are
// remembered for a while, so a busy repository costs few API calls.
//
// Its verdicts feed policy.Result.ResolveOwners: a map from a lower-case
// owner to why it cannot own the repository's files.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// A Repo is the repository whose owners are resolved.
type Repo struct {
	InstallationID int64
	Owner, Name    string
	// OrgOwned is true when Owner is an organization: its teams may own
	// files, and users must be its members.
	OrgOwned bool
}

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// A Resolver looks owners up on GitHub and remembers the answers. It is
// safe for concurrent use.
type Resolver struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	answers  map[string]kept[string]            // one owner's problem, "" when fine
	verdicts map[string]kept[map[string]string] // GitHub's CODEOWNERS verdicts, by repository and commit
}

// kept is a remembered answer and when it was got. Stored values are never
// changed.
type kept[V any] struct {
	value V
	at    time.Time
}

// maxVerdicts bounds the remembered CODEOWNERS verdicts.
const maxVerdicts = 1_000

// maxAnswers bounds what a Resolver remembers; when full it starts afresh.
const maxAnswers = 50_000

// New returns a Resolver that trusts an answer for ttl (10 minutes when
// zero). now is the clock; nil means time.Now.
func New(ttl time.Duration, now func() time.Time) *Resolver {
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &Resolver{ttl: ttl, now: now, answers: map[string]kept[string]{}, verdicts: map[string]kept[map[string]string]{}}
}

// Owners looks up each owner of names (@login or @org/team; case does not
// matter) and returns the problems found, by lower-case owner. An owner
// GitHub does not know is a problem, not an error; an error means GitHub
// could not be asked.
func (r *Resolver) Owners(ctx context.Context, gh *github.Client, repo Repo, names []string) (map[string]string, error) {
	problems := map[string]string{}
	for _, name := range names {
		name = strings.ToLower(name)
		login, ok := strings.CutPrefix(name, "@")
		if !ok {
			continue // an e-mail address: GitHub does not say whose it is
		}
		var key string
		var look func() (string, error)
		if org, slug, isTeam := strings.Cut(login, "/"); isTeam {
			key = fmt.Sprintf("%d team %s", repo.InstallationID, login)
			look = func() (string, error) { return r.team(ctx, gh, repo, org, slug) }
		} else {
			// Write access is per repository, so is the answer.
			key = fmt.Sprintf("%d user %s %s", repo.InstallationID, strings.ToLower(repo.String()), login)
			look = func() (string, error) { return r.user(ctx, gh, repo, login) }
		}
		problem, err := remember(r, r.answers, maxAnswers, key, look)
		if err != nil {
			return nil, fmt.Errorf("look up %s for %s: %w", name, repo, err)
		}
		if problem != "" {
			problems[name] = problem
		}
	}
	return problems, nil
}

func (r *Resolver) team(ctx context.Context, gh *github.Client, repo Repo, org, slug string) (string, error) {
	if !repo.OrgOwned {
		return fmt.Sprintf("is a team, and %s is a personal account: only an organization's teams can own its files", repo.Owner), nil
	}
	if !strings.EqualFold(org, repo.Owner) {
		return fmt.Sprintf("is a team of %s; only teams of %s can own this repository's files", org, repo.Owner), nil
	}
	_, _, err := gh.Teams.GetTeamBySlug(ctx, org, slug)
	if isNotFound(err) {
		return fmt.Sprintf("is not a team of %s (deleted, renamed, or secret from the App)", org), nil
	}
	return "", err
}

func (r *Resolver) user(ctx context.Context, gh *github.Client, repo Repo, login string) (string, error) {
	u, _, err := gh.Users.Get(ctx, login)
	if isNotFound(err) {
		return "is not a GitHub user (renamed or deleted?)", nil
	}
	if err != nil {
		return "", err
	}
	if u.GetType() == "Organization" {
		return "is an organization, not a user or team", nil
	}
	if repo.OrgOwned {
		member, _, err := gh.Organizations.IsMember(ctx, repo.Owner, login)
		if err != nil {
			return "", err
		}
		if !member {
			return fmt.Sprintf("is not a member of %s (left the organization?)", repo.Owner), nil
		}
	}
	perm, _, err := gh.Repositories.GetPermissionLevel(ctx, repo.Owner, repo.Name, login)
	if isNotFound(err) {
		return "has no access to the repository; owners need write access", nil
	}
	if err != nil {
		return "", err
	}
	// go-github v60 reads the legacy field, in which maintain counts as
	// write and triage as read: exactly the line owners must clear.
	switch p := perm.GetPermission(); p {
	case "admin", "write":
		return "", nil
	case "", "none":
		return "has no access to the repository; owners need write access", nil
	default:
		return fmt.Sprintf("has %s access to the repository; owners need write access", p), nil
	}
}

// Codeowners returns what GitHub reports as unknown owners of the
// CODEOWNERS file at ref (a branch or commit): users and teams that do not
// exist or lack write access. GitHub's verdict covers team access, which
// the REST API offers no cheaper way to check. Callers ask only where there
// is a CODEOWNERS file: GitHub finding none at ref is an error. The answer
// for a commit is remembered like the others.
func (r *Resolver) Codeowners(ctx context.Context, gh *github.Client, repo Repo, ref string) (map[string]string, error) {
	key := fmt.Sprintf("%d codeowners %s@%s", repo.InstallationID, strings.ToLower(repo.String()), ref)
	return remember(r, r.verdicts, maxVerdicts, key, func() (map[string]string, error) {
		res, _, err := gh.Repositories.GetCodeownersErrors(ctx, repo.Owner, repo.Name, &github.GetCodeownersErrorsOptions{Ref: ref})
		if isNotFound(err) {
			return nil, fmt.Errorf("GitHub finds no CODEOWNERS file in %s at %s", repo, ref)
		}
		if err != nil {
			return nil, fmt.Errorf("read CODEOWNERS errors of %s at %s: %w", repo, ref, err)
		}
		problems := map[string]string{}
		for _, e := range res.Errors {
			if e.Kind != "Unknown owner" {
				continue // the bot finds syntax errors itself, with more to say
			}
			if owner := ownerOf(e); owner != "" {
				problems[owner] = "is unknown to GitHub: it does not exist or lacks write access to the repository"
			}
		}
		return problems, nil
	})
}

var ownerPattern = regexp.MustCompile(`@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9_.-]+)?`)

// ownerOf finds the owner an "Unknown owner" error is about: the token at
// its column, or the first owner its message names.
func ownerOf(e *github.CodeownersError) string {
	if runes := []rune(e.Source); e.Column >= 1 && e.Column <= len(runes) {
		if tok := strings.Fields(string(runes[e.Column-1:])); len(tok) > 0 && strings.HasPrefix(tok[0], "@") {
			return strings.ToLower(tok[0])
		}
	}
	return strings.ToLower(ownerPattern.FindString(e.Message))
}

// remember returns the answer kept in m for key while it is fresh, or looks
// it up and keeps it; a full m starts afresh. Failures are not kept.
func remember[V any](r *Resolver, m map[string]kept[V], max int, key string, look func() (V, error)) (V, error) {
	now := r.now()
	r.mu.Lock()
	k, ok := m[key]
	r.mu.Unlock()
	if ok && now.Sub(k.at) < r.ttl {
		return k.value, nil
	}
	v, err := look()
	if err != nil {
		return v, err
	}
	r.mu.Lock()
	if len(m) >= max {
		clear(m)
	}
	m[key] = kept[V]{v, now}
	r.mu.Unlock()
	return v, nil
}

func isNotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}
