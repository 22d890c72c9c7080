package ghtest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

type issueState struct {
	number      int
	title, body string
	user        string
	state       string // open, closed
	stateReason string
	labels      []string
	assignees   []string
	isPull      bool
	created     time.Time
	updated     time.Time
	closed      time.Time
	// indexed is what search sees: a copy of the issue after each change,
	// kept only while the fake's search lags (SetSearchLag).
	indexed []*issueState
}

type commentState struct {
	id               int64
	number           int
	user, body       string
	created, updated time.Time
}

// Issue is an issue (or pull request) as tests inspect it.
type Issue struct {
	Number      int
	Title, Body string
	User        string
	State       string
	StateReason string
	Labels      []string
	Assignees   []string
	IsPull      bool
}

// Comment is an issue or pull request comment as tests inspect it.
type Comment struct {
	ID     int64
	Number int
	User   string
	Body   string
}

func itoa(n int) string { return strconv.Itoa(n) }

// blobSHA is git's object id of a blob, so content SHAs look real.
func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func labelsJSON(names []string) []*github.Label {
	out := make([]*github.Label, 0, len(names))
	for _, n := range names {
		out = append(out, &github.Label{Name: github.String(n)})
	}
	return out
}

// botLogin is who writes through an installation token.
func (gh *GitHub) botLogin() string { return gh.App.Slug + "[bot]" }

// Issues returns the issues of owner/repo (pull requests excluded) by number.
func (gh *GitHub) Issues(owner, repo string) []Issue {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.mustRepo(owner, repo)
	var out []Issue
	for _, n := range sortedKeys(st.issues) {
		iss := st.issues[n]
		if iss.isPull {
			continue
		}
		out = append(out, Issue{
			Number: n, Title: iss.title, Body: iss.body, User: iss.user, State: iss.state,
			StateReason: iss.stateReason, Labels: slices.Clone(iss.labels),
			Assignees: slices.Clone(iss.assignees),
		})
	}
	return out
}

// Comments returns the comments on issue or pull request number, oldest first.
func (gh *GitHub) Comments(owner, repo string, number int) []Comment {
	return gh.comments(owner, repo, func(n int) bool { return n == number })
}

// AllComments returns every comment of the repository, on issues and pull
// requests alike, oldest first.
func (gh *GitHub) AllComments(owner, repo string) []Comment {
	return gh.comments(owner, repo, func(int) bool { return true })
}

func (gh *GitHub) comments(owner, repo string, on func(number int) bool) []Comment {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var out []Comment
	for _, c := range gh.mustRepo(owner, repo).comments {
		if on(c.number) {
			out = append(out, Comment{ID: c.id, Number: c.number, User: c.user, Body: c.body})
		}
	}
	return out
}

// AddComment adds a comment written by user, e.g. a human's command.
func (gh *GitHub) AddComment(owner, repo string, number int, user, body string) int64 {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.mustRepo(owner, repo)
	c := &commentState{id: gh.id(), number: number, user: user, body: body, created: gh.now(), updated: gh.now()}
	st.comments = append(st.comments, c)
	return c.id
}

// OpenIssue opens an issue written by user, as a person does from the
// repository's page, and returns its number.
func (gh *GitHub) OpenIssue(owner, repo, user, title, body string, labels ...string) int {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.mustRepo(owner, repo)
	n := 1
	if keys := sortedKeys(st.issues); len(keys) > 0 {
		n = keys[len(keys)-1] + 1
	}
	now := gh.now()
	iss := &issueState{number: n, user: user, state: "open", created: now}
	gh.applyIssueWrite(iss, issueWrite{Title: &title, Body: &body, Labels: &labels})
	st.issues[n] = iss
	return n
}

// CloseIssue closes an issue as a person does from its page, with nothing
// else changed.
func (gh *GitHub) CloseIssue(owner, repo string, number int) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	iss := gh.mustRepo(owner, repo).issues[number]
	if iss == nil {
		gh.t.Fatalf("ghtest: CloseIssue: %s/%s has no issue #%d", owner, repo, number)
	}
	state := "closed"
	gh.applyIssueWrite(iss, issueWrite{State: &state})
}

// issueJSON renders an issue. Callers hold gh.mu.
func (gh *GitHub) issueJSON(st *repoState, iss *issueState) *github.Issue {
	out := &github.Issue{
		ID:        github.Int64(st.id*100000 + int64(iss.number)),
		Number:    github.Int(iss.number),
		Title:     github.String(iss.title),
		Body:      github.String(iss.body),
		State:     github.String(iss.state),
		User:      gh.userJSON(iss.user),
		Labels:    labelsJSON(iss.labels),
		Assignees: []*github.User{},
		HTMLURL:   github.String("https://github.com/" + st.owner + "/" + st.name + "/issues/" + itoa(iss.number)),
		CreatedAt: &github.Timestamp{Time: iss.created},
		UpdatedAt: &github.Timestamp{Time: iss.updated},
		Repository: &github.Repository{
			Name: github.String(st.name), FullName: github.String(st.owner + "/" + st.name),
		},
		RepositoryURL: github.String(gh.srv.URL + "/repos/" + st.owner + "/" + st.name),
	}
	if iss.stateReason != "" {
		out.StateReason = github.String(iss.stateReason)
	}
	for _, a := range iss.assignees {
		out.Assignees = append(out.Assignees, gh.userJSON(a))
	}
	if !iss.closed.IsZero() {
		out.ClosedAt = &github.Timestamp{Time: iss.closed}
	}
	if iss.isPull {
		out.PullRequestLinks = &github.PullRequestLinks{
			HTMLURL: github.String("https://github.com/" + st.owner + "/" + st.name + "/pull/" + itoa(iss.number)),
		}
	}
	return out
}

// issue finds the issue addressed by r. Callers hold gh.mu.
func (gh *GitHub) issue(w http.ResponseWriter, r *http.Request) (*repoState, *issueState) {
	return numbered(gh, w, r, "issue_number", func(st *repoState) map[int]*issueState { return st.issues })
}

// numbered finds, in the repository addressed by r, the item that the path
// parameter param numbers, answering 404 when there is none. Callers hold
// gh.mu.
func numbered[T any](gh *GitHub, w http.ResponseWriter, r *http.Request, param string, items func(*repoState) map[int]*T) (*repoState, *T) {
	st := gh.repo(w, r)
	if st == nil {
		return nil, nil
	}
	n, ok := pathInt(w, r, param)
	if !ok {
		return nil, nil
	}
	item := items(st)[int(n)]
	if item == nil {
		notFound(w)
		return nil, nil
	}
	return st, item
}

// issueWrite is the body of create and update: pointers tell "absent"
// from "empty", which matters for labels and assignees.
type issueWrite struct {
	Title       *string   `json:"title"`
	Body        *string   `json:"body"`
	State       *string   `json:"state"`
	StateReason *string   `json:"state_reason"`
	Labels      *[]string `json:"labels"`
	Assignees   *[]string `json:"assignees"`
}

func (gh *GitHub) createIssue(w http.ResponseWriter, r *http.Request) {
	var req issueWrite
	if !decode(w, r, &req) || tooLong(w, "Issue", "body", req.Body, maxBody) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	if req.Title == nil || *req.Title == "" {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Message: "Validation Failed",
			Errors: []fieldError{{Resource: "Issue", Field: "title", Code: "missing_field"}}})
		return
	}
	n := 1
	if keys := sortedKeys(st.issues); len(keys) > 0 {
		n = keys[len(keys)-1] + 1
	}
	now := gh.now()
	iss := &issueState{number: n, user: gh.botLogin(), state: "open", created: now}
	gh.applyIssueWrite(iss, req)
	st.issues[n] = iss
	writeJSON(w, http.StatusCreated, gh.issueJSON(st, iss))
}

// applyIssueWrite updates iss. Callers hold gh.mu.
func (gh *GitHub) applyIssueWrite(iss *issueState, req issueWrite) {
	if req.Title != nil {
		iss.title = *req.Title
	}
	if req.Body != nil {
		iss.body = *req.Body
	}
	if req.Labels != nil {
		iss.labels = dedupe(*req.Labels)
	}
	if req.Assignees != nil {
		iss.assignees = dedupe(*req.Assignees)
	}
	if req.State != nil && *req.State != iss.state {
		iss.state = *req.State
		iss.stateReason = ""
		iss.closed = time.Time{}
		if iss.state == "closed" {
			iss.closed = gh.now()
			iss.stateReason = "completed"
		} else {
			iss.stateReason = "reopened"
		}
	}
	if req.StateReason != nil {
		iss.stateReason = *req.StateReason
	}
	gh.touch(iss)
}

// touch records a change to iss: its update time and, while search lags,
// the version search will find once the lag has passed. Callers hold gh.mu.
func (gh *GitHub) touch(iss *issueState) {
	iss.updated = gh.now()
	if gh.searchLag > 0 {
		v := *iss
		v.indexed = nil
		iss.indexed = append(iss.indexed, &v)
		// Versions older than the one search sees now are never seen again.
		horizon := gh.now().Add(-gh.searchLag)
		for len(iss.indexed) > 1 && !iss.indexed[1].updated.After(horizon) {
			iss.indexed = iss.indexed[1:]
		}
	}
}

func dedupe(in []string) []string {
	out := []string{}
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (gh *GitHub) getIssue(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if st, iss := gh.issue(w, r); iss != nil {
		writeJSON(w, http.StatusOK, gh.issueJSON(st, iss))
	}
}

func (gh *GitHub) updateIssue(w http.ResponseWriter, r *http.Request) {
	var req issueWrite
	if !decode(w, r, &req) || tooLong(w, "Issue", "body", req.Body, maxBody) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	gh.applyIssueWrite(iss, req)
	writeJSON(w, http.StatusOK, gh.issueJSON(st, iss))
}

func (gh *GitHub) listIssues(w http.ResponseWriter, r *http.Request) {
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
	var labels []string
	if l := q.Get("labels"); l != "" {
		labels = strings.Split(l, ",")
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		since, _ = time.Parse(time.RFC3339, s)
	}
	keys := sortedKeys(st.issues)
	if q.Get("direction") != "asc" {
		slices.Reverse(keys)
	}
	var out []*github.Issue
	for _, n := range keys {
		iss := st.issues[n]
		switch {
		case state != "all" && iss.state != state,
			!hasAll(iss.labels, labels),
			q.Has("creator") && !strings.EqualFold(q.Get("creator"), iss.user),
			q.Has("assignee") && !slices.ContainsFunc(iss.assignees, func(a string) bool { return strings.EqualFold(a, q.Get("assignee")) }),
			!since.IsZero() && iss.updated.Before(since):
			continue
		}
		out = append(out, gh.issueJSON(st, iss))
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, strings.TrimSpace(w)) }) {
			return false
		}
	}
	return true
}

func (gh *GitHub) addLabels(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if !decode(w, r, &raw) {
		return
	}
	names, err := labelNames(raw)
	if err != nil {
		unprocessable(w, err.Error())
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	_, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	iss.labels = dedupe(append(iss.labels, names...))
	gh.touch(iss)
	writeJSON(w, http.StatusOK, labelsJSON(iss.labels))
}

// labelNames accepts every body shape the endpoint documents: an array of
// names or of {name}, bare or under "labels".
func labelNames(raw json.RawMessage) ([]string, error) {
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, fmt.Errorf("decode labels: %w", err)
		}
		raw = wrapped.Labels
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err == nil {
		return names, nil
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names, nil
}

func (gh *GitHub) addAssignees(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Assignees []string `json:"assignees"`
	}
	if !decode(w, r, &req) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	iss.assignees = dedupe(append(iss.assignees, req.Assignees...))
	gh.touch(iss)
	writeJSON(w, http.StatusCreated, gh.issueJSON(st, iss))
}

// commentJSON renders a comment. Callers hold gh.mu.
func (gh *GitHub) commentJSON(st *repoState, c *commentState) *github.IssueComment {
	return &github.IssueComment{
		ID:        github.Int64(c.id),
		Body:      github.String(c.body),
		User:      gh.userJSON(c.user),
		CreatedAt: &github.Timestamp{Time: c.created},
		UpdatedAt: &github.Timestamp{Time: c.updated},
		HTMLURL: github.String(fmt.Sprintf("https://github.com/%s/%s/issues/%d#issuecomment-%d",
			st.owner, st.name, c.number, c.id)),
		IssueURL: github.String(fmt.Sprintf("%s/repos/%s/%s/issues/%d", gh.srv.URL, st.owner, st.name, c.number)),
	}
}

func (gh *GitHub) listComments(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	var since time.Time
	if s := r.URL.Query().Get("since"); s != "" {
		since, _ = time.Parse(time.RFC3339, s)
	}
	out := []*github.IssueComment{}
	for _, c := range st.comments {
		if c.number == iss.number && !c.updated.Before(since) {
			out = append(out, gh.commentJSON(st, c))
		}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) createComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if !decode(w, r, &req) || tooLong(w, "IssueComment", "body", &req.Body, maxBody) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	now := gh.now()
	c := &commentState{id: gh.id(), number: iss.number, user: gh.botLogin(), body: req.Body, created: now, updated: now}
	st.comments = append(st.comments, c)
	writeJSON(w, http.StatusCreated, gh.commentJSON(st, c))
}

func (gh *GitHub) updateComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if !decode(w, r, &req) || tooLong(w, "IssueComment", "body", &req.Body, maxBody) {
		return
	}
	id, ok := pathInt(w, r, "comment_id")
	if !ok {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	for _, c := range st.comments {
		if c.id == id {
			c.body, c.updated = req.Body, gh.now()
			writeJSON(w, http.StatusOK, gh.commentJSON(st, c))
			return
		}
	}
	notFound(w)
}
