package ghtest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// RepoOptions are the repository settings the bot cares about.
type RepoOptions struct {
	DefaultBranch string // "main" when empty
	Archived      bool
	Fork          bool
	Private       bool
}

type repoState struct {
	id           int64
	owner, name  string
	installation int64
	opts         RepoOptions
	created      time.Time

	issues        map[int]*issueState
	pulls         map[int]*pullState
	comments      []*commentState
	reactions     map[int][]*reactionState // by issue or pull request number
	labels        map[string]*labelState   // by lower-case name
	checkRuns     []*checkRunState
	files         map[string]map[string]string // ref → path → content
	collaborators map[string]string            // lower-case login → permission
}

type userState struct {
	id    int64
	login string
	org   bool
}

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// AddRepo adds owner/name to an installation. Its clone_url points at the
// fake's git server, so the bot clones the fixture (see GitServer).
func (gh *GitHub) AddRepo(installationID int64, owner, name string, opts RepoOptions) {
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "main"
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.installations[installationID] == nil {
		gh.t.Fatalf("ghtest: AddRepo %s/%s: no installation %d", owner, name, installationID)
	}
	gh.ensureUser(owner)
	gh.repos[repoKey(owner, name)] = &repoState{
		id: gh.id(), owner: owner, name: name, installation: installationID, opts: opts,
		created:       gh.now(),
		issues:        map[int]*issueState{},
		reactions:     map[int][]*reactionState{},
		labels:        map[string]*labelState{},
		pulls:         map[int]*pullState{},
		files:         map[string]map[string]string{},
		collaborators: map[string]string{},
	}
}

// DeleteRepo deletes owner/name as its owner would on GitHub: the API
// answers 404 for the repository and everything in it (its pull requests,
// comments and check runs go with it), it leaves its installation's
// repository list, and its git URL answers 404 (see GitServer.DeleteRepo).
// Helpers that inspect a repository, such as CheckRuns, fail the test for a
// deleted one as for any unknown one; assert on Requests instead.
func (gh *GitHub) DeleteRepo(owner, name string) {
	gh.t.Helper()
	gh.mu.Lock()
	if gh.repos[repoKey(owner, name)] == nil {
		gh.mu.Unlock()
		gh.t.Fatalf("ghtest: DeleteRepo: unknown repository %s/%s", owner, name)
		return
	}
	delete(gh.repos, repoKey(owner, name))
	gh.mu.Unlock()
	gh.Git.DeleteRepo(owner, name)
}

// SetFile registers content served by the contents endpoint for path at
// ref, for tests that need no git history. It takes precedence over the
// fixture repository.
func (gh *GitHub) SetFile(owner, repo, ref, path, content string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.mustRepo(owner, repo)
	if st.files[ref] == nil {
		st.files[ref] = map[string]string{}
	}
	st.files[ref][path] = content
}

// AddUser makes login known to users/get-by-username.
func (gh *GitHub) AddUser(login string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.ensureUser(login)
}

// AddCollaborator gives login a direct permission (read, triage, write,
// maintain, admin) on owner/repo.
func (gh *GitHub) AddCollaborator(owner, repo, login, permission string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.ensureUser(login)
	gh.mustRepo(owner, repo).collaborators[strings.ToLower(login)] = permission
}

// mustRepo is for set-up helpers: an unknown repository is a test bug.
// Callers hold gh.mu.
func (gh *GitHub) mustRepo(owner, name string) *repoState {
	st := gh.repos[repoKey(owner, name)]
	if st == nil {
		gh.t.Fatalf("ghtest: unknown repository %s/%s: call AddRepo first", owner, name)
	}
	return st
}

// ensureUser returns login's record, creating it. Callers hold gh.mu.
func (gh *GitHub) ensureUser(login string) *userState {
	k := strings.ToLower(login)
	if u := gh.users[k]; u != nil {
		return u
	}
	u := &userState{id: gh.id(), login: login}
	gh.users[k] = u
	return u
}

// userJSON renders login as a simple user. Callers hold gh.mu.
func (gh *GitHub) userJSON(login string) *github.User {
	u := gh.ensureUser(login)
	typ := "User"
	switch {
	case u.org || gh.orgMembers[strings.ToLower(login)] != nil:
		typ = "Organization"
	case strings.HasSuffix(login, "[bot]"):
		typ = "Bot" // an App's bot user, as GitHub shows it
	}
	return &github.User{
		Login:   github.String(u.login),
		ID:      github.Int64(u.id),
		Type:    github.String(typ),
		HTMLURL: github.String("https://github.com/" + u.login),
	}
}

// repoJSON renders a repository. Callers hold gh.mu.
func (gh *GitHub) repoJSON(st *repoState) *github.Repository {
	full := st.owner + "/" + st.name
	return &github.Repository{
		ID:            github.Int64(st.id),
		Name:          github.String(st.name),
		FullName:      github.String(full),
		Owner:         gh.userJSON(st.owner),
		DefaultBranch: github.String(st.opts.DefaultBranch),
		Archived:      github.Bool(st.opts.Archived),
		Fork:          github.Bool(st.opts.Fork),
		Private:       github.Bool(st.opts.Private),
		Visibility:    github.String(map[bool]string{true: "private", false: "public"}[st.opts.Private]),
		CloneURL:      github.String(gh.Git.CloneURL(st.owner, st.name)),
		HTMLURL:       github.String("https://github.com/" + full),
		URL:           github.String(gh.srv.URL + "/repos/" + full),
		CreatedAt:     &github.Timestamp{Time: st.created},
	}
}

// repo finds the repository addressed by r's path, answering 404 itself.
// Callers hold gh.mu.
func (gh *GitHub) repo(w http.ResponseWriter, r *http.Request) *repoState {
	st := gh.repos[repoKey(r.PathValue("owner"), r.PathValue("repo"))]
	if st == nil {
		notFound(w)
	}
	return st
}

func (gh *GitHub) getRepo(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if st := gh.repo(w, r); st != nil {
		writeJSON(w, http.StatusOK, gh.repoJSON(st))
	}
}

func (gh *GitHub) updateRepo(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DefaultBranch *string `json:"default_branch"`
		Archived      *bool   `json:"archived"`
		Private       *bool   `json:"private"`
	}
	if !decode(w, r, &req) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	if req.DefaultBranch != nil {
		st.opts.DefaultBranch = *req.DefaultBranch
	}
	if req.Archived != nil {
		st.opts.Archived = *req.Archived
	}
	if req.Private != nil {
		st.opts.Private = *req.Private
	}
	writeJSON(w, http.StatusOK, gh.repoJSON(st))
}

// codeownersErrors reports, as GitHub does, the owners of the CODEOWNERS
// file at ref that are unknown: users and teams that do not exist or lack
// write access to the repository. Syntax errors are the bot's own to find
// and are not reported; e-mail owners are taken as known.
func (gh *GitHub) codeownersErrors(w http.ResponseWriter, r *http.Request) {
	st, ref := gh.repoAtRef(w, r)
	if st == nil {
		return
	}
	owner, name := st.owner, st.name

	var path, content string
	for _, p := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		if c, ok := gh.fileAt(owner, name, ref, p); ok {
			path, content = p, c
			break
		}
	}
	if path == "" {
		notFound(w)
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	errs := []map[string]any{}
	for i, line := range strings.Split(content, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		from := strings.Index(line, fields[0]) + len(fields[0])
		for _, tok := range fields[1:] {
			if strings.HasPrefix(tok, "#") {
				break
			}
			col := from + strings.Index(line[from:], tok)
			from = col + len(tok)
			if !strings.HasPrefix(tok, "@") || gh.canOwn(st, tok[1:]) {
				continue
			}
			errs = append(errs, map[string]any{
				"line": i + 1, "column": col + 1, "kind": "Unknown owner", "source": line, "path": path,
				"message": fmt.Sprintf("Unknown owner on line %d: make sure %s exists and has write access to the repository\n\n  %s\n  %s^",
					i+1, tok, line, strings.Repeat(" ", col)),
			})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
}

// canOwn reports whether a user or org/team exists and has write access to
// the repository. Callers hold gh.mu.
func (gh *GitHub) canOwn(st *repoState, name string) bool {
	if org, slug, isTeam := strings.Cut(name, "/"); isTeam {
		t := gh.teams[strings.ToLower(org+"/"+slug)]
		return t != nil && permRank[t.repoPerms[repoKey(st.owner, st.name)]] >= permRank["write"]
	}
	return gh.users[strings.ToLower(name)] != nil && permRank[gh.permission(st, name)] >= permRank["write"]
}

// repoAtRef finds the repository addressed by r and the ref its "ref"
// parameter names (the default branch when absent). It answers 404 itself
// when there is no such repository.
func (gh *GitHub) repoAtRef(w http.ResponseWriter, r *http.Request) (*repoState, string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return nil, ""
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = st.opts.DefaultBranch
	}
	return st, ref
}

// fileAt reads a file of a repository at ref, from SetFile content or the
// fixture repository.
func (gh *GitHub) fileAt(owner, name, ref, path string) (string, bool) {
	gh.mu.Lock()
	st := gh.repos[repoKey(owner, name)]
	var content string
	ok := false
	if st != nil {
		content, ok = st.files[ref][path]
	}
	gh.mu.Unlock()
	if ok {
		return content, true
	}
	fix := gh.Git.repo(owner, name)
	if fix == nil {
		return "", false
	}
	data, err := fix.git(nil, "cat-file", "blob", ref+":"+path)
	if err != nil {
		return "", false
	}
	return string(data), true
}

func (gh *GitHub) getUser(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.users[strings.ToLower(r.PathValue("username"))] == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, gh.userJSON(r.PathValue("username")))
}

// getContent serves a file from SetFile content or from the fixture
// repository. Directories are not listed.
func (gh *GitHub) getContent(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.PathValue("path"), "/")
	st, ref := gh.repoAtRef(w, r)
	if st == nil {
		return
	}
	content, ok := gh.fileAt(st.owner, st.name, ref, path)
	if !ok {
		notFound(w)
		return
	}
	sha := blobSHA([]byte(content))
	writeJSON(w, http.StatusOK, github.RepositoryContent{
		Type:     github.String("file"),
		Encoding: github.String("base64"),
		Size:     github.Int(len(content)),
		Name:     github.String(path[strings.LastIndex(path, "/")+1:]),
		Path:     github.String(path),
		Content:  github.String(base64.StdEncoding.EncodeToString([]byte(content))),
		SHA:      github.String(sha),
	})
}

func (gh *GitHub) rateLimit(w http.ResponseWriter, r *http.Request) {
	inst := installationOf(r)
	gh.mu.Lock()
	defer gh.mu.Unlock()
	core := gh.rateFor(inst, "core")
	search := gh.rateFor(inst, "search")
	render := func(rt *rate) *github.Rate {
		return &github.Rate{Limit: rt.limit, Remaining: rt.limit - rt.used, Reset: github.Timestamp{Time: rt.reset}}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resources": map[string]any{"core": render(core), "search": render(search)},
		"rate":      render(core),
	})
}
