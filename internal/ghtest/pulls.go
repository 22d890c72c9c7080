package ghtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// maxPullFiles is GitHub's cap on the files list of a pull request: larger
// pull requests are silently truncated, which the bot has to notice.
const maxPullFiles = 3000

// Pull is a pull request as a test sets it up.
type Pull struct {
	Number        int
	Title, Body   string
	User          string // author login
	State         string // "open" (default) or "closed"
	Draft, Merged bool
	HeadRef       string
	HeadSHA       string
	BaseRef       string
	BaseSHA       string
	Files         []PullFile
	// RequestedReviewers and RequestedTeams are logins and team slugs.
	RequestedReviewers []string
	RequestedTeams     []string
}

// PullFile is one changed file of a pull request.
type PullFile struct {
	Filename         string
	PreviousFilename string
	Status           string // added, removed, modified, renamed
	Additions        int
	Deletions        int
	Patch            string
}

// Review is a pull request review.
type Review struct {
	ID          int64 // assigned by the fake
	User        string
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
	Body        string
	CommitID    string
	SubmittedAt time.Time
}

type pullState struct {
	Pull
	mergedBy    string
	mergedAt    time.Time
	mergeCommit string
	reviews     []Review
	// commits are the head commits oldest first; from the fixture when
	// there is one, else just the head SHA.
	commits []string
}

// AddPull registers a pull request; it shares its number with an issue,
// as on GitHub, so comments and labels work through the issues API.
func (gh *GitHub) AddPull(owner, repo string, p Pull) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.mustRepo(owner, repo)
	if p.State == "" {
		p.State = "open"
	}
	if p.BaseRef == "" {
		p.BaseRef = st.opts.DefaultBranch
	}
	if p.User == "" {
		p.User = "octocat"
	}
	gh.ensureUser(p.User)
	now := gh.now()
	st.pulls[p.Number] = &pullState{Pull: p, commits: []string{p.HeadSHA}}
	iss := st.issues[p.Number]
	if iss == nil {
		iss = &issueState{number: p.Number, created: now}
		st.issues[p.Number] = iss
	}
	iss.title, iss.body, iss.user, iss.state, iss.isPull = p.Title, p.Body, p.User, p.State, true
	gh.touch(iss)
}

// SetPullHead moves a pull request's head, as a push to its branch does.
// files replaces the changed files when non-nil.
func (gh *GitHub) SetPullHead(owner, repo string, number int, sha string, files []PullFile) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	p := gh.mustPull(owner, repo, number)
	p.HeadSHA = sha
	p.commits = append(p.commits, sha)
	if files != nil {
		p.Files = files
	}
	gh.touch(gh.mustRepo(owner, repo).issues[number])
}

// MergePull closes a pull request as merged by login, as the merge button
// does, and returns the merge commit: the fixture's base branch moves to
// a merge of base and head when there is a fixture, else the head is the
// merge commit (as with a fast-forward).
func (gh *GitHub) MergePull(owner, repo string, number int, login string) string {
	gh.mu.Lock()
	p := gh.mustPull(owner, repo, number)
	base, head := p.BaseRef, p.HeadSHA
	gh.mu.Unlock()
	merge := head
	if fix := gh.Git.repo(owner, repo); fix != nil {
		merge = fix.Merge(base, head, fmt.Sprintf("Merge pull request #%d", number), gh.clock())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.ensureUser(login)
	p.Merged, p.State, p.mergedBy, p.mergedAt, p.mergeCommit = true, "closed", login, gh.now(), merge
	iss := gh.mustRepo(owner, repo).issues[number]
	iss.state = "closed"
	gh.touch(iss)
	return merge
}

// AddReview records a review; SubmittedAt defaults to the fake's clock
// and CommitID to the current head.
func (gh *GitHub) AddReview(owner, repo string, number int, rv Review) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	p := gh.mustPull(owner, repo, number)
	rv.ID = gh.id()
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = gh.now()
	}
	if rv.CommitID == "" {
		rv.CommitID = p.HeadSHA
	}
	gh.ensureUser(rv.User)
	p.reviews = append(p.reviews, rv)
}

// mustPull is for set-up helpers. Callers hold gh.mu.
func (gh *GitHub) mustPull(owner, repo string, number int) *pullState {
	p := gh.mustRepo(owner, repo).pulls[number]
	if p == nil {
		gh.t.Fatalf("ghtest: no pull request %s/%s#%d", owner, repo, number)
	}
	return p
}

// pull finds the pull request addressed by r. Callers hold gh.mu.
func (gh *GitHub) pull(w http.ResponseWriter, r *http.Request) (*repoState, *pullState) {
	return numbered(gh, w, r, "pull_number", func(st *repoState) map[int]*pullState { return st.pulls })
}

// pullJSON renders a pull request. Callers hold gh.mu.
func (gh *GitHub) pullJSON(st *repoState, p *pullState) *github.PullRequest {
	iss := st.issues[p.Number]
	adds, dels := 0, 0
	for _, f := range p.Files {
		adds += f.Additions
		dels += f.Deletions
	}
	var reviewers []*github.User
	for _, l := range p.RequestedReviewers {
		reviewers = append(reviewers, gh.userJSON(l))
	}
	var teams []*github.Team
	for _, s := range p.RequestedTeams {
		teams = append(teams, &github.Team{Slug: github.String(s), Name: github.String(s)})
	}
	repo := gh.repoJSON(st)
	pr := &github.PullRequest{
		ID:                 github.Int64(int64(st.id*100000 + int64(p.Number))),
		Number:             github.Int(p.Number),
		Title:              github.String(iss.title),
		Body:               github.String(iss.body),
		State:              github.String(iss.state),
		Draft:              github.Bool(p.Draft),
		Merged:             github.Bool(p.Merged),
		User:               gh.userJSON(p.User),
		Labels:             labelsJSON(iss.labels),
		Head:               &github.PullRequestBranch{Ref: github.String(p.HeadRef), SHA: github.String(p.HeadSHA), Repo: repo, Label: github.String(st.owner + ":" + p.HeadRef)},
		Base:               &github.PullRequestBranch{Ref: github.String(p.BaseRef), SHA: github.String(p.BaseSHA), Repo: repo, Label: github.String(st.owner + ":" + p.BaseRef)},
		RequestedReviewers: reviewers,
		RequestedTeams:     teams,
		ChangedFiles:       github.Int(len(p.Files)),
		Additions:          github.Int(adds),
		Deletions:          github.Int(dels),
		HTMLURL:            github.String("https://github.com/" + st.owner + "/" + st.name + "/pull/" + itoa(p.Number)),
		CreatedAt:          &github.Timestamp{Time: iss.created},
		UpdatedAt:          &github.Timestamp{Time: iss.updated},
	}
	if p.Merged {
		pr.MergedAt = &github.Timestamp{Time: p.mergedAt}
		pr.ClosedAt = &github.Timestamp{Time: p.mergedAt}
		pr.MergeCommitSHA = github.String(p.mergeCommit)
		if p.mergedBy != "" {
			pr.MergedBy = gh.userJSON(p.mergedBy)
		}
	}
	return pr
}

func (gh *GitHub) getPull(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if st, p := gh.pull(w, r); p != nil {
		writeJSON(w, http.StatusOK, gh.pullJSON(st, p))
	}
}

func (gh *GitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var out []*github.PullRequest
	// Newest first, GitHub's default order.
	for _, n := range slices.Backward(sortedKeys(st.pulls)) {
		p := st.pulls[n]
		if state != "all" && st.issues[n].state != state {
			continue
		}
		if b := q.Get("base"); b != "" && b != p.BaseRef {
			continue
		}
		if h := q.Get("head"); h != "" && h != st.owner+":"+p.HeadRef && h != p.HeadRef {
			continue
		}
		out = append(out, gh.pullJSON(st, p))
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) listPullFiles(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	_, p := gh.pull(w, r)
	if p == nil {
		return
	}
	files := p.Files[:min(len(p.Files), maxPullFiles)]
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		cf := &github.CommitFile{
			SHA:       github.String(blobSHA([]byte(f.Filename + p.HeadSHA))),
			Filename:  github.String(f.Filename),
			Status:    github.String(f.Status),
			Additions: github.Int(f.Additions),
			Deletions: github.Int(f.Deletions),
			Changes:   github.Int(f.Additions + f.Deletions),
		}
		if f.Patch != "" {
			cf.Patch = github.String(f.Patch)
		}
		if f.PreviousFilename != "" {
			cf.PreviousFilename = github.String(f.PreviousFilename)
		}
		out = append(out, cf)
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) listReviews(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	_, p := gh.pull(w, r)
	if p == nil {
		return
	}
	out := make([]*github.PullRequestReview, 0, len(p.reviews))
	for _, rv := range p.reviews {
		out = append(out, &github.PullRequestReview{
			ID:          github.Int64(rv.ID),
			User:        gh.userJSON(rv.User),
			Body:        github.String(rv.Body),
			State:       github.String(rv.State),
			CommitID:    github.String(rv.CommitID),
			SubmittedAt: &github.Timestamp{Time: rv.SubmittedAt},
		})
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) listPullCommits(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	_, p := gh.pull(w, r)
	if p == nil {
		return
	}
	out := make([]*github.RepositoryCommit, 0, len(p.commits))
	for _, sha := range p.commits {
		out = append(out, &github.RepositoryCommit{SHA: github.String(sha), Commit: &github.Commit{SHA: github.String(sha)}})
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) listRequestedReviewers(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if _, p := gh.pull(w, r); p != nil {
		writeJSON(w, http.StatusOK, gh.reviewersJSON(p))
	}
}

// reviewersJSON renders requested reviewers. Callers hold gh.mu.
func (gh *GitHub) reviewersJSON(p *pullState) *github.Reviewers {
	out := &github.Reviewers{Users: []*github.User{}, Teams: []*github.Team{}}
	for _, l := range p.RequestedReviewers {
		out.Users = append(out.Users, gh.userJSON(l))
	}
	for _, s := range p.RequestedTeams {
		out.Teams = append(out.Teams, &github.Team{Slug: github.String(s), Name: github.String(s)})
	}
	return out
}

func (gh *GitHub) requestReviewers(w http.ResponseWriter, r *http.Request) {
	var req github.ReviewersRequest
	if !decode(w, r, &req) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, p := gh.pull(w, r)
	if p == nil {
		return
	}
	for _, l := range req.Reviewers {
		if strings.EqualFold(l, p.User) {
			unprocessable(w, "Review cannot be requested from pull request author.")
			return
		}
		if !slices.Contains(p.RequestedReviewers, l) {
			p.RequestedReviewers = append(p.RequestedReviewers, l)
		}
	}
	for _, s := range req.TeamReviewers {
		if !slices.Contains(p.RequestedTeams, s) {
			p.RequestedTeams = append(p.RequestedTeams, s)
		}
	}
	writeJSON(w, http.StatusCreated, gh.pullJSON(st, p))
}
