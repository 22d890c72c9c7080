package ghtest

import (
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/google/go-github/v60/github"
)

// maxAnnotations is GitHub's limit per create or update request; the bot
// must batch beyond it.
const maxAnnotations = 50

// CheckRun is a check run as tests inspect it. Annotations accumulate over
// updates, as on GitHub.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	ExternalID  string
	DetailsURL  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	StartedAt   time.Time
	CompletedAt time.Time
	// Writes counts the create and update requests applied.
	Writes int
}

// Annotation is one check run annotation.
type Annotation struct {
	Path      string
	StartLine int
	EndLine   int
	Level     string
	Message   string
	Title     string
}

// CheckRuns returns the check runs of owner/repo in creation order.
func (gh *GitHub) CheckRuns(owner, repo string) []CheckRun {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var out []CheckRun
	for _, c := range gh.mustRepo(owner, repo).checkRuns {
		cp := *c
		cp.Annotations = slices.Clone(c.Annotations)
		out = append(out, cp)
	}
	return out
}

type checkRunState = CheckRun

// checkRunWrite is the body of create and update.
type checkRunWrite struct {
	Name        *string           `json:"name"`
	HeadSHA     *string           `json:"head_sha"`
	Status      *string           `json:"status"`
	Conclusion  *string           `json:"conclusion"`
	ExternalID  *string           `json:"external_id"`
	DetailsURL  *string           `json:"details_url"`
	StartedAt   *github.Timestamp `json:"started_at"`
	CompletedAt *github.Timestamp `json:"completed_at"`
	Output      *struct {
		Title       *string                      `json:"title"`
		Summary     *string                      `json:"summary"`
		Text        *string                      `json:"text"`
		Annotations []*github.CheckRunAnnotation `json:"annotations"`
	} `json:"output"`
}

// apply updates c with a write; annotations are appended. Callers hold gh.mu.
func (gh *GitHub) applyCheckRun(c *CheckRun, req checkRunWrite) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, req.Name)
	set(&c.HeadSHA, req.HeadSHA)
	set(&c.Status, req.Status)
	set(&c.ExternalID, req.ExternalID)
	set(&c.DetailsURL, req.DetailsURL)
	if req.StartedAt != nil {
		c.StartedAt = req.StartedAt.Time
	}
	if req.Conclusion != nil {
		c.Conclusion = *req.Conclusion
		c.Status = "completed"
		c.CompletedAt = gh.now()
	}
	if req.CompletedAt != nil {
		c.CompletedAt = req.CompletedAt.Time
	}
	if o := req.Output; o != nil {
		set(&c.Title, o.Title)
		set(&c.Summary, o.Summary)
		set(&c.Text, o.Text)
		for _, a := range o.Annotations {
			c.Annotations = append(c.Annotations, Annotation{
				Path: a.GetPath(), StartLine: a.GetStartLine(), EndLine: a.GetEndLine(),
				Level: a.GetAnnotationLevel(), Message: a.GetMessage(), Title: a.GetTitle(),
			})
		}
	}
	c.Writes++
}

func tooManyAnnotations(w http.ResponseWriter, req checkRunWrite) bool {
	if req.Output == nil || len(req.Output.Annotations) <= maxAnnotations {
		return false
	}
	writeJSON(w, http.StatusUnprocessableEntity, apiError{
		Message: "Invalid request.\n\nOnly 50 annotations are allowed per request.",
		Errors: []fieldError{{Resource: "CheckRun", Field: "annotations", Code: "invalid",
			Message: "Only 50 annotations are allowed per request."}},
	})
	return true
}

// checkRunJSON renders a check run. Callers hold gh.mu.
func (gh *GitHub) checkRunJSON(c *CheckRun) *github.CheckRun {
	out := &github.CheckRun{
		ID:      github.Int64(c.ID),
		Name:    github.String(c.Name),
		HeadSHA: github.String(c.HeadSHA),
		Status:  github.String(c.Status),
		Output: &github.CheckRunOutput{
			Title:            github.String(c.Title),
			Summary:          github.String(c.Summary),
			Text:             github.String(c.Text),
			AnnotationsCount: github.Int(len(c.Annotations)),
		},
		App:        &github.App{ID: github.Int64(gh.App.ID), Slug: github.String(gh.App.Slug)},
		StartedAt:  &github.Timestamp{Time: c.StartedAt},
		ExternalID: github.String(c.ExternalID),
	}
	if c.Conclusion != "" {
		out.Conclusion = github.String(c.Conclusion)
		out.CompletedAt = &github.Timestamp{Time: c.CompletedAt}
	}
	if c.DetailsURL != "" {
		out.DetailsURL = github.String(c.DetailsURL)
	}
	return out
}

func (gh *GitHub) createCheckRun(w http.ResponseWriter, r *http.Request) {
	var req checkRunWrite
	if !decode(w, r, &req) || tooManyAnnotations(w, req) {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	c := &CheckRun{ID: gh.id(), Status: "queued", StartedAt: gh.now()}
	gh.applyCheckRun(c, req)
	st.checkRuns = append(st.checkRuns, c)
	writeJSON(w, http.StatusCreated, gh.checkRunJSON(c))
}

func (gh *GitHub) updateCheckRun(w http.ResponseWriter, r *http.Request) {
	var req checkRunWrite
	if !decode(w, r, &req) || tooManyAnnotations(w, req) {
		return
	}
	id, ok := pathInt(w, r, "check_run_id")
	if !ok {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	for _, c := range st.checkRuns {
		if c.ID == id {
			gh.applyCheckRun(c, req)
			writeJSON(w, http.StatusOK, gh.checkRunJSON(c))
			return
		}
	}
	notFound(w)
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// listCheckRuns lists the runs on a commit; a branch name is resolved
// through the fixture repository or the pull requests' head refs.
func (gh *GitHub) listCheckRuns(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	gh.mu.Lock()
	st := gh.repo(w, r)
	if st == nil {
		gh.mu.Unlock()
		return
	}
	owner, name := st.owner, st.name
	gh.mu.Unlock()
	sha := ref
	if !fullSHA.MatchString(ref) {
		sha = gh.resolveRef(owner, name, ref)
	}
	q := r.URL.Query()
	gh.mu.Lock()
	defer gh.mu.Unlock()
	latest := map[string]bool{}
	var runs []*github.CheckRun
	for _, c := range slices.Backward(st.checkRuns) {
		if c.HeadSHA != sha ||
			q.Has("check_name") && q.Get("check_name") != c.Name ||
			q.Has("status") && q.Get("status") != c.Status {
			continue
		}
		if q.Get("filter") != "all" {
			if latest[c.Name] {
				continue
			}
			latest[c.Name] = true
		}
		runs = append(runs, gh.checkRunJSON(c))
	}
	total := len(runs)
	writeJSON(w, http.StatusOK, github.ListCheckRunsResults{
		Total:     github.Int(total),
		CheckRuns: paginate(w, r, runs),
	})
}

// resolveRef turns a branch or tag name into a SHA, or returns ref.
func (gh *GitHub) resolveRef(owner, name, ref string) string {
	if fix := gh.Git.repo(owner, name); fix != nil {
		if sha, err := fix.revParse(ref); err == nil {
			return sha
		}
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	for _, p := range gh.repos[repoKey(owner, name)].pulls {
		if p.HeadRef == ref {
			return p.HeadSHA
		}
	}
	return ref
}
