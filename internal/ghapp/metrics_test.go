package ghapp

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestEndpointFor(t *testing.T) {
	tests := []struct{ method, rel, want string }{
		{"GET", "repos/acme/shop/pulls/7", "GET /repos/{owner}/{repo}/pulls/{pull_number}"},
		{"HEAD", "repos/acme/shop", "HEAD /repos/{owner}/{repo}"},
		{"PATCH", "repos/acme/shop", "PATCH /repos/{owner}/{repo}"},
		{"POST", "repos/acme/shop/issues/12/comments", "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"},
		{"PATCH", "repos/acme/shop/issues/comments/99", "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"},
		{"GET", "repos/acme/shop/contents/pay/OWNERS.yaml", "GET /repos/{owner}/{repo}/contents/{path...}"},
		{"GET", "repos/acme/shop/compare/main...feature", "GET /repos/{owner}/{repo}/compare/{basehead...}"},
		{"GET", "repos/acme/shop/commits/main/check-runs", "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"},
		{"POST", "app/installations/21/access_tokens", "POST /app/installations/{installation_id}/access_tokens"},
		{"GET", "installation/repositories", "GET /installation/repositories"},
		{"GET", "orgs/acme/teams/pay", "GET /orgs/{org}/teams/{team_slug}"},
		{"GET", "search/issues", "GET /search/issues"},
		{"GET", "rate_limit", "GET /rate_limit"},
		{"GET", "", "GET /"},
		// Routes ownerbot does not call, and methods a route does not take,
		// fall into one value.
		{"DELETE", "repos/acme/shop", "other"},
		{"GET", "repos/acme/shop/hooks", "other"},
		{"GET", "gists/1", "other"},
		{"GET", "repos/acme/shop/contents/../../etc", "other"},
	}
	for _, tt := range tests {
		if got := endpointFor(tt.method, tt.rel); got != tt.want {
			t.Errorf("endpointFor(%s, %q) = %q, want %q", tt.method, tt.rel, got, tt.want)
		}
	}
}

// Calls are counted by route and status, never by URL; a GHES API root is
// not part of the route.
func TestRequestsCountedByEndpoint(t *testing.T) {
	f := newFakeGitHub(t, "/api/v3")
	reg := prometheus.NewRegistry()
	a := newTestApp(t, f, newFakeTime(), nil, func(c *Config) { c.Registerer = reg })
	c, _ := a.Client(5)
	ctx := context.Background()
	for _, repo := range []string{"shop", "mono"} {
		if _, _, err := c.PullRequests.Get(ctx, "acme", repo, 7); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(a.metrics.requests.WithLabelValues("GET /repos/{owner}/{repo}/pulls/{pull_number}", "200")); got != 2 {
		t.Errorf("requests{GET pulls/{pull_number}, 200} = %v, want 2", got)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "acme") || strings.Contains(l.GetValue(), "api/v3") {
					t.Errorf("%s{%s=%q}: a URL reached a label", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// Each installation's rate-limit headers land in its own series, from
// every answer, 304s from the ETag cache included; the App's JWT calls are
// not an installation's.
func TestRateLimitRemainingPerInstallation(t *testing.T) {
	f := newFakeGitHub(t, "")
	remaining := map[int64]string{5: "4990", 6: "120"}
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", remaining[inst])
		w.Header().Set("X-RateLimit-Resource", "core")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, map[string]any{"id": 1})
	})
	a := newTestApp(t, f, newFakeTime(), nil, nil)
	ctx := context.Background()
	for _, inst := range []int64{5, 6} {
		c, _ := a.Client(inst)
		if _, _, err := c.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.AppClient().Apps.ListInstallations(ctx, nil); err != nil {
		t.Fatal(err)
	}
	gauge := func(inst string) float64 {
		return testutil.ToFloat64(a.metrics.rateLimitRemaining.WithLabelValues(inst, "core"))
	}
	if got := []float64{gauge("5"), gauge("6")}; got[0] != 4990 || got[1] != 120 {
		t.Errorf("remaining = %v, want [4990 120]", got)
	}
	if got := testutil.ToFloat64(a.metrics.rateLimitLimit.WithLabelValues("6", "core")); got != 5000 {
		t.Errorf("limit = %v, want 5000", got)
	}

	remaining[6] = "119" // only the fake's handler reads the map
	c, _ := a.Client(6)
	if _, resp, err := c.Repositories.Get(ctx, "o", "r"); err != nil || resp.Header.Get(cachedHeader) == "" {
		t.Fatalf("want an answer from the ETag cache: %v", err)
	}
	if got := gauge("6"); got != 119 {
		t.Errorf("after a 304: remaining = %v, want 119", got)
	}
	if n := testutil.CollectAndCount(a.metrics.rateLimitRemaining); n != 2 {
		t.Errorf("%d remaining series, want 2 (one per installation; none for the App's JWT)", n)
	}
}
