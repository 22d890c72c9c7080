package ghtest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

type team struct {
	id        int64
	org, slug string
	members   []string
	repoPerms map[string]string // lower-case owner/name → permission
}

// AddTeam creates org/slug with members (who also become org members).
// repoPermissions maps a repository ("name" in org, or "owner/name") to the
// team's permission on it, which counts toward collaborator permission.
func (gh *GitHub) AddTeam(org, slug string, members []string, repoPermissions map[string]string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.ensureOrg(org)
	perms := map[string]string{}
	for repo, p := range repoPermissions {
		if !strings.Contains(repo, "/") {
			repo = org + "/" + repo
		}
		// The teams API also spells write "push" and read "pull".
		if alias, ok := map[string]string{"push": "write", "pull": "read"}[p]; ok {
			p = alias
		}
		perms[strings.ToLower(repo)] = p
	}
	for _, m := range members {
		gh.ensureUser(m)
		gh.orgMembers[strings.ToLower(org)][strings.ToLower(m)] = true
	}
	gh.teams[strings.ToLower(org+"/"+slug)] = &team{
		id: gh.id(), org: org, slug: slug, members: slices.Clone(members), repoPerms: perms,
	}
}

// AddOrgMember makes login a member of org.
func (gh *GitHub) AddOrgMember(org, login string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.ensureOrg(org)
	gh.ensureUser(login)
	gh.orgMembers[strings.ToLower(org)][strings.ToLower(login)] = true
}

// ensureOrg records org as an organisation. Callers hold gh.mu.
func (gh *GitHub) ensureOrg(org string) {
	gh.ensureUser(org).org = true
	if gh.orgMembers[strings.ToLower(org)] == nil {
		gh.orgMembers[strings.ToLower(org)] = map[string]bool{}
	}
}

// team finds the team addressed by r. Callers hold gh.mu.
func (gh *GitHub) team(w http.ResponseWriter, r *http.Request) *team {
	t := gh.teams[strings.ToLower(r.PathValue("org")+"/"+r.PathValue("team_slug"))]
	if t == nil {
		notFound(w)
	}
	return t
}

func (gh *GitHub) getTeam(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	t := gh.team(w, r)
	if t == nil {
		return
	}
	writeJSON(w, http.StatusOK, github.Team{
		ID:           github.Int64(t.id),
		Slug:         github.String(t.slug),
		Name:         github.String(t.slug),
		Privacy:      github.String("closed"),
		Permission:   github.String("pull"),
		MembersCount: github.Int(len(t.members)),
		Organization: &github.Organization{Login: github.String(t.org)},
		HTMLURL:      github.String("https://github.com/orgs/" + t.org + "/teams/" + t.slug),
	})
}

func (gh *GitHub) listTeamMembers(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	t := gh.team(w, r)
	if t == nil {
		return
	}
	out := []*github.User{}
	for _, m := range t.members {
		out = append(out, gh.userJSON(m))
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) teamMembership(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	t := gh.team(w, r)
	if t == nil {
		return
	}
	login := r.PathValue("username")
	if !slices.ContainsFunc(t.members, func(m string) bool { return strings.EqualFold(m, login) }) {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, github.Membership{
		URL:   github.String(gh.srv.URL + r.URL.Path),
		Role:  github.String("member"),
		State: github.String("active"),
	})
}

func (gh *GitHub) isOrgMember(org, login string) bool {
	return gh.orgMembers[strings.ToLower(org)][strings.ToLower(login)]
}

func (gh *GitHub) orgMembership(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	org, login := r.PathValue("org"), r.PathValue("username")
	if !gh.isOrgMember(org, login) {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, github.Membership{
		URL:          github.String(gh.srv.URL + r.URL.Path),
		Role:         github.String("member"),
		State:        github.String("active"),
		Organization: &github.Organization{Login: github.String(org)},
		User:         gh.userJSON(login),
	})
}

// checkOrgMember answers 204 for members and 404 otherwise, which
// go-github turns into a bool.
func (gh *GitHub) checkOrgMember(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if !gh.isOrgMember(r.PathValue("org"), r.PathValue("username")) {
		notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var permRank = map[string]int{"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

// permission is the best of a user's direct, team and ownership
// permissions on a repository, as GitHub computes it. Callers hold gh.mu.
func (gh *GitHub) permission(st *repoState, login string) string {
	role := "none"
	better := func(p string) {
		if permRank[p] > permRank[role] {
			role = p
		}
	}
	if strings.EqualFold(st.owner, login) {
		better("admin")
	}
	better(st.collaborators[strings.ToLower(login)])
	key := repoKey(st.owner, st.name)
	for _, t := range gh.teams {
		if p, ok := t.repoPerms[key]; ok && slices.ContainsFunc(t.members, func(m string) bool { return strings.EqualFold(m, login) }) {
			better(p)
		}
	}
	return role
}

// collaboratorPermission answers with the permission GitHub computes.
func (gh *GitHub) collaboratorPermission(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	login := r.PathValue("username")
	if gh.users[strings.ToLower(login)] == nil {
		notFound(w)
		return
	}
	role := gh.permission(st, login)
	// The legacy "permission" field folds maintain into write and triage
	// into read; role_name keeps the real role.
	legacy := map[string]string{"maintain": "write", "triage": "read"}[role]
	if legacy == "" {
		legacy = role
	}
	writeJSON(w, http.StatusOK, struct {
		Permission string       `json:"permission"`
		RoleName   string       `json:"role_name"`
		User       *github.User `json:"user"`
	}{legacy, role, gh.userJSON(login)})
}
