package ghtest

import (
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// labelState is a repository's label, as its label list has it. Labels
// put on issues without being created first are not listed here.
type labelState struct {
	id                       int64
	name, color, description string
}

func (gh *GitHub) labelJSON(st *repoState, l *labelState) *github.Label {
	return &github.Label{ID: github.Int64(l.id), NodeID: github.String("LA_" + itoa(int(l.id))), Name: github.String(l.name),
		Color: github.String(l.color), Description: github.String(l.description), Default: github.Bool(false),
		URL: github.String(gh.srv.URL + "/repos/" + st.owner + "/" + st.name + "/labels/" + l.name)}
}

// RepoLabels returns the names of the labels owner/repo has created.
func (gh *GitHub) RepoLabels(owner, repo string) []string {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var out []string
	for _, l := range gh.mustRepo(owner, repo).labels {
		out = append(out, l.name)
	}
	return out
}

// createLabel answers 422 "already_exists" for a name the repository has,
// in any case, as GitHub does.
func (gh *GitHub) createLabel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
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
	if req.Name == "" {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Message: "Validation Failed",
			Errors: []fieldError{{Resource: "Label", Field: "name", Code: "missing_field"}}})
		return
	}
	if st.labels[strings.ToLower(req.Name)] != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Message: "Validation Failed",
			Errors: []fieldError{{Resource: "Label", Field: "name", Code: "already_exists"}}})
		return
	}
	color := req.Color
	if color == "" {
		color = "ededed"
	}
	l := &labelState{id: gh.id(), name: req.Name, color: color, description: req.Description}
	st.labels[strings.ToLower(req.Name)] = l
	writeJSON(w, http.StatusCreated, gh.labelJSON(st, l))
}

func (gh *GitHub) getLabel(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	l := st.labels[strings.ToLower(r.PathValue("name"))]
	if l == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, gh.labelJSON(st, l))
}

func (gh *GitHub) deleteLabel(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st := gh.repo(w, r)
	if st == nil {
		return
	}
	name := strings.ToLower(r.PathValue("name"))
	if st.labels[name] == nil {
		notFound(w)
		return
	}
	delete(st.labels, name)
	w.WriteHeader(http.StatusNoContent)
}
