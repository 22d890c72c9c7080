package ghtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// client is a real go-github client pointed at the fake (github.com style).
func client(t *testing.T, gh *ghtest.GitHub, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(token)
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// fixture is one installation of acme with acme/widgets.
func fixture(t *testing.T, opts ...ghtest.Option) (*ghtest.GitHub, *github.Client) {
	t.Helper()
	gh := ghtest.NewGitHub(t, opts...)
	gh.AddInstallation(1, "acme")
	gh.AddRepo(1, "acme", "widgets", ghtest.RepoOptions{})
	return gh, client(t, gh, gh.InstallationToken(1))
}

// reports collects what the fake would have reported with t.Errorf.
type reports struct {
	mu   sync.Mutex
	msgs []string
}

func (r *reports) add(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
}

func (r *reports) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func status(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func TestInstallationTokenFlow(t *testing.T) {
	ctx := context.Background()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(7, "acme")
	gh.AddRepo(7, "acme", "widgets", ghtest.RepoOptions{})
	now := time.Now()

	key, err := jwt.ParseRSAPrivateKeyFromPEM(gh.App.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	sign := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// iss as a number, as ghinstallation sends it.
	appJWT := sign(jwt.MapClaims{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(5 * time.Minute).Unix(), "iss": gh.App.ID})
	app := client(t, gh, appJWT)

	tok, _, err := app.Apps.CreateInstallationToken(ctx, 7, nil)
	if err != nil {
		t.Fatalf("CreateInstallationToken: %v", err)
	}
	if !strings.HasPrefix(tok.GetToken(), "ghs_") {
		t.Errorf("token = %q, want ghs_ prefix", tok.GetToken())
	}
	if d := time.Until(tok.GetExpiresAt().Time); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expires in %v, want an hour", d)
	}
	installs, _, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil || len(installs) != 1 || installs[0].GetID() != 7 || installs[0].GetAccount().GetLogin() != "acme" {
		t.Errorf("ListInstallations = %v, %v", installs, err)
	}
	if a, _, err := app.Apps.Get(ctx, ""); err != nil || a.GetID() != gh.App.ID {
		t.Errorf("Apps.Get = %v, %v", a, err)
	}
	if in, _, err := app.Apps.FindRepositoryInstallation(ctx, "acme", "widgets"); err != nil || in.GetID() != 7 {
		t.Errorf("FindRepositoryInstallation = %v, %v", in, err)
	}

	inst := client(t, gh, tok.GetToken())
	repos, _, err := inst.Apps.ListRepos(ctx, nil)
	if err != nil || repos.GetTotalCount() != 1 || repos.Repositories[0].GetFullName() != "acme/widgets" {
		t.Errorf("ListRepos = %v, %v", repos, err)
	}

	bad := map[string]string{
		"iss as string works": "",
		"wrong issuer":        sign(jwt.MapClaims{"exp": now.Add(5 * time.Minute).Unix(), "iss": "1"}),
		"expired":             sign(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix(), "iss": gh.App.ID}),
		"too long":            sign(jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "iss": gh.App.ID}),
		"installation token":  tok.GetToken(),
	}
	for name, j := range bad {
		if j == "" {
			j = sign(jwt.MapClaims{"exp": now.Add(5 * time.Minute).Unix(), "iss": "4242"})
			if _, _, err := client(t, gh, j).Apps.CreateInstallationToken(ctx, 7, nil); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if _, _, err := client(t, gh, j).Apps.CreateInstallationToken(ctx, 7, nil); status(err) != http.StatusUnauthorized {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}

	// Tokens die with the clock and with ExpireTokens.
	gh.SetNow(now.Add(2 * time.Hour))
	if _, _, err := inst.Repositories.Get(ctx, "acme", "widgets"); status(err) != http.StatusUnauthorized {
		t.Errorf("after an hour: err = %v, want 401", err)
	}
	gh.SetNow(now)
	fresh := client(t, gh, gh.InstallationToken(7))
	gh.ExpireTokens()
	if _, _, err := fresh.Repositories.Get(ctx, "acme", "widgets"); status(err) != http.StatusUnauthorized {
		t.Errorf("after ExpireTokens: err = %v, want 401", err)
	}
	if _, _, err := client(t, gh, "").Repositories.Get(ctx, "acme", "widgets"); status(err) != http.StatusUnauthorized {
		t.Errorf("no token: err = %v, want 401", err)
	}
}

func TestTokenOfAnotherInstallationGets404(t *testing.T) {
	ctx := context.Background()
	gh, acme := fixture(t)
	gh.AddInstallation(2, "globex")
	gh.AddRepo(2, "globex", "gadgets", ghtest.RepoOptions{Private: true})
	gh.AddTeam("globex", "core", []string{"hank"}, nil)

	if _, _, err := acme.Repositories.Get(ctx, "globex", "gadgets"); status(err) != http.StatusNotFound {
		t.Errorf("repo of another installation: err = %v, want 404", err)
	}
	if _, _, err := acme.Teams.GetTeamBySlug(ctx, "globex", "core"); status(err) != http.StatusNotFound {
		t.Errorf("org of another installation: err = %v, want 404", err)
	}
	globex := client(t, gh, gh.InstallationToken(2))
	r, _, err := globex.Repositories.Get(ctx, "globex", "gadgets")
	if err != nil || !r.GetPrivate() {
		t.Errorf("own repo: %v, %v", r, err)
	}
	if got := gh.CountCalls(func(r ghtest.Request) bool { return r.Installation == 2 }); got != 1 {
		t.Errorf("calls by installation 2 = %d, want 1", got)
	}
}

func TestEnterpriseURLs(t *testing.T) {
	gh, _ := fixture(t)
	c, err := github.NewClient(nil).WithAuthToken(gh.InstallationToken(1)).WithEnterpriseURLs(gh.EnterpriseURL(), gh.EnterpriseURL())
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := c.Repositories.Get(context.Background(), "acme", "widgets")
	if err != nil || r.GetDefaultBranch() != "main" {
		t.Fatalf("Get via /api/v3: %v, %v", r, err)
	}
	reqs := gh.Requests()
	want := []ghtest.Request{{Method: "GET", Path: "/repos/acme/widgets", Enterprise: true, Operation: "repos/get", Installation: 1, Status: 200}}
	if d := cmp.Diff(want, reqs, cmp.FilterPath(func(p cmp.Path) bool {
		f := p.Last().String()
		return f == ".Time" || f == ".Query"
	}, cmp.Ignore())); d != "" {
		t.Errorf("Requests() (-want +got):\n%s", d)
	}
}
