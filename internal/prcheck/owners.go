package prcheck

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/resolve"
)

// resolveOwners asks GitHub about the owners a pull request brings in and
// adds what it says to both results, so the ratchet counts only problems
// the change introduces. It asks only what the change could have made
// wrong: GitHub's CODEOWNERS verdict when the change touches CODEOWNERS, and
// the OWNERS.yaml owners that the base does not name anywhere. Owners
// already named at the base are the sweep's to check.
func (c *Checker) resolveOwners(ctx context.Context, gh *github.Client, t Target, pr *github.PullRequest, base, head *policy.Result, changed []string, complete bool) error {
	repo := resolve.Repo{
		InstallationID: t.InstallationID, Owner: t.Owner, Name: t.Repo,
		OrgOwned: pr.GetBase().GetRepo().GetOwner().GetType() == "Organization",
	}
	problems := map[string]string{}
	if codeownersChanged(base, head, changed, complete) {
		unknown, err := c.cfg.Resolver.Codeowners(ctx, gh, repo, pr.GetHead().GetSHA())
		if err != nil {
			return err
		}
		maps.Copy(problems, unknown)
	}
	named := map[string]bool{}
	for _, name := range policy.OwnerNames(base.OwnerRefs()) {
		named[name] = true
	}
	var fresh []policy.OwnerRef
	for _, ref := range head.OwnerRefs() {
		if name := strings.ToLower(ref.Owner); !ref.InCODEOWNERS() && !named[name] && problems[name] == "" {
			fresh = append(fresh, ref)
		}
	}
	if len(fresh) > 0 {
		verdicts, err := c.cfg.Resolver.Owners(ctx, gh, repo, policy.OwnerNames(fresh))
		if err != nil {
			return err
		}
		maps.Copy(problems, verdicts)
	}
	now := c.cfg.Now()
	base.ResolveOwners(problems, now)
	head.ResolveOwners(problems, now)
	return nil
}

// codeownersChanged reports whether a change may have touched the
// CODEOWNERS file GitHub reads at the head.
func codeownersChanged(base, head *policy.Result, changed []string, complete bool) bool {
	switch {
	case head.CODEOWNERS == "":
		return false
	case head.CODEOWNERS != base.CODEOWNERS, !complete:
		return true
	}
	return slices.Contains(changed, head.CODEOWNERS)
}
