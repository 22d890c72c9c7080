package ghapp

import (
	"net/http"
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
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.clock()
	resp, err := t.next.RoundTrip(req)
	elapsed := t.clock().Sub(start)
	rel := relPath(t.apiPath, req.URL.Path)
	op := opFor(rel)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	t.metrics.requests.WithLabelValues(req.Method, status, op).Inc()
	t.metrics.duration.WithLabelValues(req.Method, op).Observe(elapsed.Seconds())

	ev := t.logger.Debug()
	if err != nil {
		ev = t.logger.Warn().Err(err)
	}
	ev.Str("method", req.Method).Str("path", rel).Str("status", status).
		Bool("cached", err == nil && resp.Header.Get(cachedHeader) != "").
		Dur("elapsed", elapsed).Msg("github api call")
	return resp, err
}

// opFor names an operation by its route with owners, repositories and ids
// left out, so that metric labels stay few: "repos/pulls", "app/installations".
func opFor(rel string) string {
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	switch {
	case segs[0] == "":
		return "root"
	case segs[0] == "repos" && len(segs) >= 4:
		return "repos/" + segs[3]
	case segs[0] == "repos":
		return "repos"
	case (segs[0] == "orgs" || segs[0] == "users") && len(segs) >= 3:
		return segs[0] + "/" + segs[2]
	case (segs[0] == "app" || segs[0] == "installation" || segs[0] == "search") && len(segs) >= 2:
		return segs[0] + "/" + segs[1]
	default:
		return segs[0]
	}
}
