package ghapp

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// observeTransport is the outermost layer: it sees each call once, as
// go-github does, after retries and cache answers, and counts and logs it.
// It logs the method and path only: never headers, bodies or queries, which
// is where tokens and JWTs live.
type observeTransport struct {
	next    http.RoundTripper
	metrics *metrics
	clock   func() time.Time
	logger  zerolog.Logger
	apiPath string
	// installationID is the installation whose calls these are; 0 for the
	// App's own client, whose answers carry no installation's rate limit.
	installationID int64
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.clock()
	resp, err := t.next.RoundTrip(req)
	elapsed := t.clock().Sub(start)
	rel := relPath(t.apiPath, req.URL.Path)
	endpoint := endpointFor(req.Method, rel)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
		if t.installationID != 0 {
			t.metrics.observeRateLimit(t.installationID, resourceFor(rel), resp.Header)
		}
	}
	t.metrics.requests.WithLabelValues(endpoint, status).Inc()
	t.metrics.duration.WithLabelValues(endpoint).Observe(elapsed.Seconds())

	ev := t.logger.Debug()
	if err != nil {
		ev = t.logger.Warn().Err(err)
	}
	ev.Str("method", req.Method).Str("path", rel).Str("status", status).
		Bool("cached", err == nil && resp.Header.Get(cachedHeader) != "").
		Dur("elapsed", elapsed).Msg("github api call")
	return resp, err
}

// otherEndpoint is the endpoint label of a call to a route not in routes.
const otherEndpoint = "other"

// routes are the REST endpoints ownerbot calls, spelt as GitHub's REST
// reference spells them. They are the values of the endpoint label, so that
// owners, repositories and numbers never reach a metric.
var routes = []string{
	"GET /{$}",
	"GET /app",
	"GET /app/installations",
	"POST /app/installations/{installation_id}/access_tokens",
	"GET /installation/repositories",
	"GET /rate_limit",
	"GET /search/issues",
	"GET /users/{username}",
	"GET /orgs/{org}/members/{username}",
	"GET /orgs/{org}/memberships/{username}",
	"GET /orgs/{org}/teams/{team_slug}",
	"GET /orgs/{org}/teams/{team_slug}/members",
	"GET /orgs/{org}/teams/{team_slug}/memberships/{username}",

	"GET /repos/{owner}/{repo}",
	"PATCH /repos/{owner}/{repo}",
	"GET /repos/{owner}/{repo}/installation",
	"GET /repos/{owner}/{repo}/branches",
	"GET /repos/{owner}/{repo}/codeowners/errors",
	"GET /repos/{owner}/{repo}/collaborators/{username}/permission",
	"GET /repos/{owner}/{repo}/commits",
	"GET /repos/{owner}/{repo}/commits/{ref}",
	"GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
	"GET /repos/{owner}/{repo}/compare/{basehead...}",
	"GET /repos/{owner}/{repo}/contents/{path...}",
	"PUT /repos/{owner}/{repo}/contents/{path...}",
	"DELETE /repos/{owner}/{repo}/contents/{path...}",
	"GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
	"POST /repos/{owner}/{repo}/check-runs",
	"PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
	"POST /repos/{owner}/{repo}/labels",

	"GET /repos/{owner}/{repo}/pulls",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
	"POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",

	"GET /repos/{owner}/{repo}/issues",
	"POST /repos/{owner}/{repo}/issues",
	"GET /repos/{owner}/{repo}/issues/{issue_number}",
	"PATCH /repos/{owner}/{repo}/issues/{issue_number}",
	"GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/assignees",
	"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
}

// routeTable matches a method and path to its route. A ServeMux is used
// for its matching only: Handler reports the pattern that matched.
var routeTable = func() *http.ServeMux {
	m := http.NewServeMux()
	for _, r := range routes {
		m.Handle(r, http.NotFoundHandler())
	}
	return m
}()

// endpointFor names a call by its route, "GET /repos/{owner}/{repo}/pulls/{pull_number}",
// or "other" for a route not in routes. rel is the path relative to the
// API root.
func endpointFor(method, rel string) string {
	p := "/" + rel
	if c := path.Clean(p); c != p && c+"/" != p {
		return otherEndpoint // the mux would match the cleaned path
	}
	_, pattern := routeTable.Handler(&http.Request{Method: method, URL: &url.URL{Path: p}, Host: "api"})
	switch pattern {
	case "":
		return otherEndpoint
	case "GET /{$}":
		pattern = "GET /"
	}
	// A GET route also matches HEAD; the label says which was sent.
	if method == http.MethodHead {
		return method + strings.TrimPrefix(pattern, http.MethodGet)
	}
	return pattern
}
