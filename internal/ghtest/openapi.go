package ghtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specRelPath is where the shared REST description lives, relative to the
// repository root (the directory holding go.mod).
const specRelPath = "../shared/github/openapi-subset.json"

// errSpecMissing tells NewGitHub to skip rather than fail: the description is
// shared material outside the repository and may be absent in a bare checkout.
var errSpecMissing = errors.New(specRelPath + " not found: the fake GitHub needs GitHub's REST description; see README")

// loadSpec parses and validates the 785 KB description once per process;
// every fake server shares the result read-only.
var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	path, err := sharedPath(specRelPath)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, errSpecMissing
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", path, err)
	}
	return doc, nil
})

// sharedPath resolves rel against the module root found by walking up from
// the working directory (tests run in their package directory).
func sharedPath(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: no go.mod above the working directory: %w", errSpecMissing)
		}
		dir = parent
	}
}

// allowListed are operations a GitHub App needs that the subset does not
// describe; they are served without schema validation.
var allowListed = map[string]string{
	"GET /app":                               "apps/get-authenticated",
	"GET /repos/{owner}/{repo}/installation": "apps/get-repo-installation",
	// The leases across replicas (ghapp.Lease): the App's reaction on a
	// pull request, a label of the repository.
	"POST /repos/{owner}/{repo}/labels":                                          "issues/create-label",
	"GET /repos/{owner}/{repo}/labels/{name}":                                    "issues/get-label",
	"DELETE /repos/{owner}/{repo}/labels/{name}":                                 "issues/delete-label",
	"GET /repos/{owner}/{repo}/issues/{issue_number}/reactions":                  "reactions/list-for-issue",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/reactions":                 "reactions/create-for-issue",
	"DELETE /repos/{owner}/{repo}/issues/{issue_number}/reactions/{reaction_id}": "reactions/delete-for-issue",
}

// validator checks requests against the shared description, with a router
// whose servers are this test server's root and /api/v3 URLs.
type validator struct {
	router routers.Router
}

func newValidator(doc *openapi3.T, baseURL string) (*validator, error) {
	// A shallow copy lets each server route on its own URLs while the
	// parsed paths and schemas stay shared and read-only.
	own := *doc
	own.Servers = openapi3.Servers{
		{URL: baseURL},
		{URL: baseURL + "/api/v3"},
	}
	router, err := gorillamux.NewRouter(&own)
	if err != nil {
		return nil, fmt.Errorf("build openapi router: %w", err)
	}
	return &validator{router: router}, nil
}

// errNotInSpec marks an operation that is neither described nor allow-listed.
var errNotInSpec = errors.New("operation not in openapi-subset.json and not allow-listed")

// check returns the operationId of r and a non-nil error if GitHub would
// reject it; pattern is the fake's own route for r, which lets allow-listed
// operations through. check consumes r.Body.
func (v *validator) check(r *http.Request, pattern string) (string, error) {
	if op, ok := allowListed[pattern]; ok {
		return op, nil
	}
	route, params, err := v.router.FindRoute(routable(r))
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNotInSpec, err)
	}
	// go-github encodes a nil options pointer as the body "null", which
	// GitHub treats as no body; so does the fake, for optional bodies.
	if rb := route.Operation.RequestBody; rb != nil && rb.Value != nil && !rb.Value.Required && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return route.Operation.OperationID, fmt.Errorf("read body: %w", err)
		}
		if strings.TrimSpace(string(body)) == "null" {
			body = nil
			r.ContentLength = 0
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			// Defaults would be written into r's query and so reach
			// the endpoint and the failure message.
			SkipSettingDefaults: true,
			// Tokens are checked by the fake itself, per installation.
			AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		return route.Operation.OperationID, err
	}
	return route.Operation.OperationID, nil
}

// routable escapes the slashes of parameters that GitHub lets span several
// path segments (a file path, a base...head pair), which a router template
// would otherwise split.
func routable(r *http.Request) *http.Request {
	parts := strings.SplitN(r.URL.EscapedPath(), "/", 8)
	// "", [api, v3,] repos, owner, repo, contents|compare, rest...
	start := 1
	if len(parts) > 3 && parts[1] == "api" && parts[2] == "v3" {
		parts = strings.SplitN(r.URL.EscapedPath(), "/", 10)
		start = 3
	}
	if len(parts) <= start+4 || parts[start] != "repos" {
		return r
	}
	switch parts[start+3] {
	case "contents", "compare":
	default:
		return r
	}
	rest := strings.Join(parts[start+4:], "/")
	clone := r.Clone(r.Context())
	u := *r.URL
	// Path stays decoded; RawPath is another valid encoding of it, which
	// EscapedPath (and so the router) prefers.
	u.RawPath = strings.Join(parts[:start+4], "/") + "/" + strings.ReplaceAll(rest, "/", "%2F")
	clone.URL = &u
	return clone
}
