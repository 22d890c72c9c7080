package ghtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// searchQuery is the subset of GitHub's issue search syntax a bot uses.
// Anything else is rejected loudly, so a test never passes against a
// qualifier the fake silently ignored.
type searchQuery struct {
	repos   []string // lower-case owner/name
	kind    string   // "", "issue", "pr"
	state   string   // "", "open", "closed"
	labels  []string
	authors []string
	inBody  bool
	inTitle bool
	terms   []string
}

// queryToken is one word of a query; quoted words are always free text.
type queryToken struct {
	text   string
	quoted bool
}

// tokenize splits q on spaces, keeping double-quoted runs (also after a
// qualifier's colon) together and unquoted.
func tokenize(q string) ([]queryToken, error) {
	var out []queryToken
	var cur strings.Builder
	inQuote, started, quotedStart := false, false, false
	for _, r := range q {
		switch {
		case r == '"':
			if !started {
				quotedStart = true
			}
			inQuote, started = !inQuote, true
		case r == ' ' && !inQuote:
			if started {
				out = append(out, queryToken{cur.String(), quotedStart})
			}
			cur.Reset()
			started, quotedStart = false, false
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unbalanced quote in %q", q)
	}
	if started {
		out = append(out, queryToken{cur.String(), quotedStart})
	}
	return out, nil
}

func parseSearch(q string) (searchQuery, error) {
	var s searchQuery
	tokens, err := tokenize(q)
	if err != nil {
		return s, err
	}
	for _, t := range tokens {
		tok := t.text
		key, val, ok := strings.Cut(tok, ":")
		if !ok || t.quoted {
			s.terms = append(s.terms, strings.ToLower(tok))
			continue
		}
		switch key {
		case "repo":
			s.repos = append(s.repos, strings.ToLower(val))
		case "is", "type", "state":
			switch val {
			case "issue":
				s.kind = "issue"
			case "pr", "pull-request":
				s.kind = "pr"
			case "open", "closed":
				s.state = val
			default:
				return s, fmt.Errorf("ghtest does not support %s", tok)
			}
		case "label":
			s.labels = append(s.labels, val)
		case "author":
			s.authors = append(s.authors, val)
		case "in":
			for _, f := range strings.Split(val, ",") {
				switch f {
				case "body":
					s.inBody = true
				case "title":
					s.inTitle = true
				default:
					return s, fmt.Errorf("ghtest does not support in:%s", f)
				}
			}
		default:
			return s, fmt.Errorf("ghtest does not support the qualifier %q", key+":")
		}
	}
	if !s.inBody && !s.inTitle {
		s.inBody, s.inTitle = true, true
	}
	return s, nil
}

func (s searchQuery) matches(st *repoState, iss *issueState) bool {
	if len(s.repos) > 0 && !slices.Contains(s.repos, repoKey(st.owner, st.name)) {
		return false
	}
	if s.kind == "issue" && iss.isPull || s.kind == "pr" && !iss.isPull {
		return false
	}
	if s.state != "" && iss.state != s.state {
		return false
	}
	if !hasAll(iss.labels, s.labels) {
		return false
	}
	if len(s.authors) > 0 && !slices.ContainsFunc(s.authors, func(a string) bool { return strings.EqualFold(a, iss.user) }) {
		return false
	}
	for _, t := range s.terms {
		inBody := s.inBody && strings.Contains(strings.ToLower(iss.body), t)
		inTitle := s.inTitle && strings.Contains(strings.ToLower(iss.title), t)
		if !inBody && !inTitle {
			return false
		}
	}
	return true
}

// searchIssues searches the repositories of the caller's installation, as
// GitHub limits an installation token's search to what it can see.
func (gh *GitHub) searchIssues(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query().Get("q")
	s, err := parseSearch(query)
	if err != nil {
		gh.report(fmt.Sprintf("ghtest: GET /search/issues q=%q: %v", query, err))
		unprocessable(w, err.Error())
		return
	}
	inst := installationOf(r)
	gh.mu.Lock()
	defer gh.mu.Unlock()
	items := []*github.Issue{}
	for _, k := range sortedKeys(gh.repos) {
		st := gh.repos[k]
		if st.installation != inst {
			continue
		}
		for _, n := range slices.Backward(sortedKeys(st.issues)) {
			if iss := gh.searchable(st.issues[n]); iss != nil && s.matches(st, iss) {
				items = append(items, gh.issueJSON(st, iss))
			}
		}
	}
	total := len(items)
	writeJSON(w, http.StatusOK, github.IssuesSearchResult{
		Total:             github.Int(total),
		IncompleteResults: github.Bool(false),
		Issues:            paginate(w, r, items),
	})
}

// SetSearchLag makes search see issues and pull requests as they were lag
// ago on the fake's clock, as GitHub's search index trails its writes:
// what was created or changed more recently is not found, or found as it
// was. Set it before the issues the test cares about are written.
func (gh *GitHub) SetSearchLag(lag time.Duration) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.searchLag = lag
}

// searchable is the version of iss search finds, or nil when the index
// has not caught up with its creation. Callers hold gh.mu.
func (gh *GitHub) searchable(iss *issueState) *issueState {
	if gh.searchLag <= 0 {
		return iss
	}
	horizon := gh.now().Add(-gh.searchLag)
	var seen *issueState
	for _, v := range iss.indexed {
		if v.updated.After(horizon) {
			break
		}
		seen = v
	}
	return seen
}
