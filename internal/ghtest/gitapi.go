package ghtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// The endpoints in this file read the fixture repository with the git CLI,
// so commits, compares and trees always agree with what the bot clones.

// fixture finds the fixture behind the repository addressed by r,
// answering 404 when there is none.
func (gh *GitHub) fixture(w http.ResponseWriter, r *http.Request) *FixtureRepo {
	gh.mu.Lock()
	st := gh.repo(w, r)
	gh.mu.Unlock()
	if st == nil {
		return nil
	}
	fix := gh.Git.repo(st.owner, st.name)
	if fix == nil {
		notFound(w)
	}
	return fix
}

const logFormat = "%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1e"

// log runs git log with logFormat and renders the commits.
func (f *FixtureRepo) log(args ...string) ([]*github.RepositoryCommit, error) {
	out, err := f.git(nil, append([]string{"log", "--format=" + logFormat}, args...)...)
	if err != nil {
		return nil, err
	}
	var commits []*github.RepositoryCommit
	for _, rec := range strings.Split(string(out), "\x1e") {
		fields := strings.Split(strings.TrimLeft(rec, "\n"), "\x1f")
		if len(fields) != 9 {
			continue
		}
		when := func(s string) *github.Timestamp {
			t, _ := time.Parse(time.RFC3339, s)
			return &github.Timestamp{Time: t}
		}
		var parents []*github.Commit
		for _, p := range strings.Fields(fields[1]) {
			parents = append(parents, &github.Commit{SHA: github.String(p)})
		}
		commits = append(commits, &github.RepositoryCommit{
			SHA: github.String(fields[0]),
			Commit: &github.Commit{
				SHA:       github.String(fields[0]),
				Message:   github.String(strings.TrimRight(fields[8], "\n")),
				Author:    &github.CommitAuthor{Name: github.String(fields[2]), Email: github.String(fields[3]), Date: when(fields[4])},
				Committer: &github.CommitAuthor{Name: github.String(fields[5]), Email: github.String(fields[6]), Date: when(fields[7])},
			},
			Parents: parents,
		})
	}
	return commits, nil
}

// changedFiles lists what changed from base to head, as GitHub's files
// lists do (renames detected, no patches).
func (f *FixtureRepo) changedFiles(base, head string) ([]PullFile, error) {
	args := []string{"-c", "core.quotePath=false", "diff", "-M"}
	names, err := f.git(nil, append(args, "--name-status", base, head)...)
	if err != nil {
		return nil, err
	}
	stats, err := f.git(nil, append(args, "--numstat", base, head)...)
	if err != nil {
		return nil, err
	}
	nameLines := strings.Split(strings.TrimSpace(string(names)), "\n")
	statLines := strings.Split(strings.TrimSpace(string(stats)), "\n")
	if len(nameLines) != len(statLines) {
		return nil, fmt.Errorf("diff %s %s: name-status and numstat disagree", base, head)
	}
	files := []PullFile{}
	for i, line := range nameLines {
		if line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		pf := PullFile{Filename: fields[len(fields)-1]}
		switch fields[0][0] {
		case 'A':
			pf.Status = "added"
		case 'D':
			pf.Status = "removed"
		case 'R':
			pf.Status, pf.PreviousFilename = "renamed", fields[1]
		default:
			pf.Status = "modified"
		}
		stat := strings.SplitN(statLines[i], "\t", 3)
		pf.Additions, _ = strconv.Atoi(stat[0])
		pf.Deletions, _ = strconv.Atoi(stat[1])
		files = append(files, pf)
	}
	return files, nil
}

func (gh *GitHub) getCommit(w http.ResponseWriter, r *http.Request) {
	fix := gh.fixture(w, r)
	if fix == nil {
		return
	}
	sha, err := fix.revParse(r.PathValue("ref"))
	if err != nil {
		unprocessable(w, "No commit found for SHA: "+r.PathValue("ref"))
		return
	}
	if a := r.Header.Get("Accept"); strings.Contains(a, "vnd.github.sha") || strings.Contains(a, "vnd.github.v3.sha") {
		// GitHub's SHA media type: just the commit's id, as text.
		w.Header().Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
		w.Write([]byte(sha))
		return
	}
	commits, err := fix.log("-1", sha)
	if err != nil || len(commits) != 1 {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	c := commits[0]
	base := "4b825dc642cb6eb9a060e54bf8d69288fbee4904" // git's empty tree
	if len(c.Parents) > 0 {
		base = c.Parents[0].GetSHA()
	}
	files, err := fix.changedFiles(base, sha)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	c.Files = commitFiles(files)
	writeJSON(w, http.StatusOK, c)
}

func commitFiles(files []PullFile) []*github.CommitFile {
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		cf := &github.CommitFile{
			Filename: github.String(f.Filename), Status: github.String(f.Status),
			Additions: github.Int(f.Additions), Deletions: github.Int(f.Deletions),
			Changes: github.Int(f.Additions + f.Deletions),
		}
		if f.PreviousFilename != "" {
			cf.PreviousFilename = github.String(f.PreviousFilename)
		}
		out = append(out, cf)
	}
	return out
}

func (gh *GitHub) listCommits(w http.ResponseWriter, r *http.Request) {
	fix := gh.fixture(w, r)
	if fix == nil {
		return
	}
	q := r.URL.Query()
	rev := q.Get("sha")
	if rev == "" {
		rev = "HEAD"
	}
	args := []string{rev}
	if p := q.Get("path"); p != "" {
		args = append(args, "--", p)
	}
	commits, err := fix.log(args...)
	if err != nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, paginate(w, r, commits))
}

func (gh *GitHub) compare(w http.ResponseWriter, r *http.Request) {
	fix := gh.fixture(w, r)
	if fix == nil {
		return
	}
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok {
		notFound(w)
		return
	}
	baseSHA, err1 := fix.revParse(base)
	headSHA, err2 := fix.revParse(head)
	if err1 != nil || err2 != nil {
		notFound(w)
		return
	}
	mb, err := fix.git(nil, "merge-base", baseSHA, headSHA)
	if err != nil {
		notFound(w)
		return
	}
	mergeBase := strings.TrimSpace(string(mb))
	ahead, err := fix.log("--reverse", mergeBase+".."+headSHA)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	behind, err := fix.log(mergeBase + ".." + baseSHA)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	files, err := fix.changedFiles(mergeBase, headSHA)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	status := "diverged"
	switch {
	case len(ahead) == 0 && len(behind) == 0:
		status = "identical"
	case len(behind) == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	mbCommits, _ := fix.log("-1", mergeBase)
	out := &github.CommitsComparison{
		Status:       github.String(status),
		AheadBy:      github.Int(len(ahead)),
		BehindBy:     github.Int(len(behind)),
		TotalCommits: github.Int(len(ahead)),
		Commits:      ahead,
		Files:        commitFiles(files),
	}
	if len(mbCommits) == 1 {
		out.MergeBaseCommit = mbCommits[0]
	}
	writeJSON(w, http.StatusOK, out)
}

func (gh *GitHub) getTree(w http.ResponseWriter, r *http.Request) {
	fix := gh.fixture(w, r)
	if fix == nil {
		return
	}
	rev := r.PathValue("tree_sha")
	treeSHA, err := fix.git(nil, "rev-parse", "--verify", "--quiet", rev+"^{tree}")
	if err != nil {
		notFound(w)
		return
	}
	args := []string{"-c", "core.quotePath=false", "ls-tree", "-l"}
	if rec := r.URL.Query().Get("recursive"); rec != "" && rec != "0" && rec != "false" {
		args = append(args, "-r", "-t")
	}
	out, err := fix.git(nil, append(args, strings.TrimSpace(string(treeSHA)))...)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghtest: %v", err))
		return
	}
	entries := []*github.TreeEntry{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		meta, path, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta) // mode type sha size
		e := &github.TreeEntry{Path: github.String(path), Mode: github.String(f[0]), Type: github.String(f[1]), SHA: github.String(f[2])}
		if size, err := strconv.Atoi(f[3]); err == nil {
			e.Size = github.Int(size)
		}
		entries = append(entries, e)
	}
	writeJSON(w, http.StatusOK, github.Tree{
		SHA:       github.String(strings.TrimSpace(string(treeSHA))),
		Entries:   entries,
		Truncated: github.Bool(false),
	})
}

// PullSpec describes a pull request to open on a fixture repository.
type PullSpec struct {
	// Number is the pull request's number; 0 takes the next one free.
	Number     int
	Title      string
	Body       string
	Author     string // "octocat" when empty
	BaseBranch string // the repository's default branch when empty
	HeadBranch string // "pr-<Number>" when empty
	// HeadFiles are committed on the head branch (see FixtureRepo.Commit).
	HeadFiles map[string]string
	Message   string
	When      time.Time
	Draft     bool
	// RequestedReviewers and RequestedTeams (logins and team slugs) are
	// whose review the pull request asks for.
	RequestedReviewers []string
	RequestedTeams     []string
}

// OpenPull commits spec.HeadFiles on a head branch cut from the base
// branch, points refs/pull/N/head at it, and registers the pull request
// with the changed files git reports. The repository needs AddRepo and a
// fixture with a commit on the base branch.
func (gh *GitHub) OpenPull(owner, repo string, spec PullSpec) Pull {
	gh.t.Helper()
	fix := gh.Git.repo(owner, repo)
	if fix == nil {
		gh.t.Fatalf("ghtest: OpenPull %s/%s: no fixture; call gh.Git.CreateRepo first", owner, repo)
	}
	gh.mu.Lock()
	st := gh.mustRepo(owner, repo)
	defaultBranch := st.opts.DefaultBranch
	if spec.Number == 0 {
		spec.Number = 1
		if keys := sortedKeys(st.issues); len(keys) > 0 {
			spec.Number = keys[len(keys)-1] + 1
		}
	}
	gh.mu.Unlock()
	if spec.BaseBranch == "" {
		spec.BaseBranch = defaultBranch
	}
	if spec.HeadBranch == "" {
		spec.HeadBranch = "pr-" + itoa(spec.Number)
	}
	if spec.Message == "" {
		spec.Message = "Change for #" + itoa(spec.Number)
	}
	if spec.Title == "" {
		spec.Title = spec.Message
	}
	base := fix.Rev("refs/heads/" + spec.BaseBranch)
	if _, err := fix.revParse("refs/heads/" + spec.HeadBranch); err != nil {
		fix.SetRef("refs/heads/"+spec.HeadBranch, base)
	}
	head := fix.Commit(spec.HeadBranch, spec.HeadFiles, spec.Message, spec.When)
	fix.SetRef("refs/pull/"+itoa(spec.Number)+"/head", head)
	files, err := fix.changedFiles(base, head)
	if err != nil {
		gh.t.Fatalf("ghtest: OpenPull: %v", err)
	}
	p := Pull{
		Number: spec.Number, Title: spec.Title, Body: spec.Body, User: spec.Author, Draft: spec.Draft,
		HeadRef: spec.HeadBranch, HeadSHA: head, BaseRef: spec.BaseBranch, BaseSHA: base, Files: files,
		RequestedReviewers: spec.RequestedReviewers, RequestedTeams: spec.RequestedTeams,
	}
	gh.AddPull(owner, repo, p)
	gh.mu.Lock()
	defer gh.mu.Unlock()
	return gh.mustPull(owner, repo, spec.Number).Pull
}

// PushPull commits files on the pull request's head branch, as a
// contributor's push does, and updates the head SHA, refs/pull/N/head and
// the changed files. It returns the new head SHA.
func (gh *GitHub) PushPull(owner, repo string, number int, files map[string]string, message string, when time.Time) string {
	gh.t.Helper()
	fix := gh.Git.repo(owner, repo)
	if fix == nil {
		gh.t.Fatalf("ghtest: PushPull %s/%s: no fixture", owner, repo)
	}
	gh.mu.Lock()
	p := gh.mustPull(owner, repo, number)
	headRef, base := p.HeadRef, p.BaseSHA
	gh.mu.Unlock()
	head := fix.Commit(headRef, files, message, when)
	fix.SetRef("refs/pull/"+itoa(number)+"/head", head)
	changed, err := fix.changedFiles(base, head)
	if err != nil {
		gh.t.Fatalf("ghtest: PushPull: %v", err)
	}
	gh.SetPullHead(owner, repo, number, head, changed)
	return head
}

// SetPullBase points a pull request at another base branch, as editing its
// base on GitHub does: the base SHA becomes branch's tip and the changed
// files are those between the merge base and the head. It returns the new
// base SHA. The repository needs a fixture with branch on it.
func (gh *GitHub) SetPullBase(owner, repo string, number int, branch string) string {
	gh.t.Helper()
	fix := gh.Git.repo(owner, repo)
	if fix == nil {
		gh.t.Fatalf("ghtest: SetPullBase %s/%s: no fixture", owner, repo)
	}
	gh.mu.Lock()
	head := gh.mustPull(owner, repo, number).HeadSHA
	gh.mu.Unlock()
	base := fix.Rev("refs/heads/" + branch)
	out, err := fix.git(nil, "merge-base", base, head)
	if err != nil {
		gh.t.Fatalf("ghtest: SetPullBase: %v", err)
	}
	changed, err := fix.changedFiles(strings.TrimSpace(string(out)), head)
	if err != nil {
		gh.t.Fatalf("ghtest: SetPullBase: %v", err)
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	p := gh.mustPull(owner, repo, number)
	p.BaseRef, p.BaseSHA, p.Files = branch, base, changed
	gh.touch(gh.mustRepo(owner, repo).issues[number])
	return base
}
