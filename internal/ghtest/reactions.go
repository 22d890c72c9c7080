package ghtest

import (
	"net/http"
	"slices"

	"github.com/google/go-github/v60/github"
)

// reactionState is one reaction on an issue or pull request.
type reactionState struct {
	id            int64
	user, content string
}

// Reaction is a reaction as tests inspect it.
type Reaction struct {
	ID      int64
	User    string
	Content string
}

// Reactions returns the reactions on issue or pull request number.
func (gh *GitHub) Reactions(owner, repo string, number int) []Reaction {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var out []Reaction
	for _, rc := range gh.mustRepo(owner, repo).reactions[number] {
		out = append(out, Reaction{ID: rc.id, User: rc.user, Content: rc.content})
	}
	return out
}

func (gh *GitHub) reactionJSON(rc *reactionState) *github.Reaction {
	return &github.Reaction{ID: github.Int64(rc.id), User: gh.userJSON(rc.user), Content: github.String(rc.content),
		NodeID: github.String("R_" + itoa(int(rc.id)))}
}

func (gh *GitHub) listReactions(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	content := r.URL.Query().Get("content")
	out := []*github.Reaction{}
	for _, rc := range st.reactions[iss.number] {
		if content == "" || rc.content == content {
			out = append(out, gh.reactionJSON(rc))
		}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

// createReaction answers as GitHub does: 201 with a new reaction, or 200
// with the one the same user already left with the same content.
func (gh *GitHub) createReaction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content string `json:"content"`
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
	user := gh.botLogin()
	for _, rc := range st.reactions[iss.number] {
		if rc.user == user && rc.content == req.Content {
			writeJSON(w, http.StatusOK, gh.reactionJSON(rc))
			return
		}
	}
	rc := &reactionState{id: gh.id(), user: user, content: req.Content}
	st.reactions[iss.number] = append(st.reactions[iss.number], rc)
	writeJSON(w, http.StatusCreated, gh.reactionJSON(rc))
}

func (gh *GitHub) deleteReaction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "reaction_id")
	if !ok {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	st, iss := gh.issue(w, r)
	if iss == nil {
		return
	}
	list := st.reactions[iss.number]
	i := slices.IndexFunc(list, func(rc *reactionState) bool { return rc.id == id && rc.user == gh.botLogin() })
	if i < 0 {
		notFound(w)
		return
	}
	st.reactions[iss.number] = slices.Delete(list, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}
