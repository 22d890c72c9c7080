package ghtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// appKey is generated once per process: a 2048-bit key takes long enough
// that doing it per test would dominate the suite.
var appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate app key: %w", err)
	}
	return key, nil
})

// App is the GitHub App the fake serves.
type App struct {
	ID   int64
	Slug string
	key  *rsa.PrivateKey
	// permissions and events are the App's settings (SetAppPermissions,
	// SetAppEvents); nil means ownerbot's manifest. Guarded by gh.mu.
	permissions map[string]string
	events      []string
}

// PrivateKeyPEM is the App's private key as GitHub hands it out (PKCS#1).
func (a App) PrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(a.key)})
}

// JWT mints an App JWT valid at now, as a client would.
func (a App) JWT(now time.Time) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": strconv.FormatInt(a.ID, 10),
	})
	s, err := tok.SignedString(a.key)
	if err != nil {
		panic(fmt.Sprintf("ghtest: sign jwt: %v", err))
	}
	return s
}

type installation struct {
	id      int64
	account string
	// permissions and events are what the installation granted: the
	// App's when it was installed, until SetInstallationPermissions.
	permissions map[string]string
	events      []string
	suspendedAt time.Time // zero: active
}

type token struct {
	installation int64
	expires      time.Time
}

// AddInstallation installs the App on account (an org or a user).
func (gh *GitHub) AddInstallation(id int64, account string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.installations[id] = &installation{
		id: id, account: account,
		permissions: gh.appPermissions(), events: gh.appEvents(),
	}
	gh.ensureUser(account)
}

// InstallationToken issues a live token directly, for tests that do not
// exercise the App JWT flow.
func (gh *GitHub) InstallationToken(installationID int64) string {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.installations[installationID] == nil {
		gh.t.Fatalf("ghtest: no installation %d", installationID)
	}
	tok, _ := gh.issueToken(installationID)
	return tok
}

// ExpireTokens makes every issued installation token invalid, as an hour
// passing would.
func (gh *GitHub) ExpireTokens() {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	for _, t := range gh.tokens {
		t.expires = time.Time{}
	}
}

func (gh *GitHub) issueToken(installationID int64) (string, time.Time) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("ghtest: token: %v", err))
		}
		b[i] = alphabet[n.Int64()]
	}
	tok := "ghs_" + string(b)
	expires := gh.authNow().Add(time.Hour).Truncate(time.Second)
	gh.tokens[tok] = &token{installation: installationID, expires: expires}
	return tok, expires
}

// authenticate decides who is calling and whether they may address path:
// App endpoints need the App's JWT; everything else a live installation
// token, and repository or organisation paths the token of the installation
// that owns them. It returns the installation (0 for the App) or a status.
func (gh *GitHub) authenticate(r *http.Request, path string) (int64, int, string) {
	cred := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(cred, " ")
	if secret == "" {
		return 0, http.StatusUnauthorized, "Requires authentication"
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	appOnly := segs[0] == "app" ||
		(len(segs) == 4 && segs[0] == "repos" && segs[3] == "installation")
	if appOnly {
		if !strings.EqualFold(scheme, "Bearer") {
			return 0, http.StatusUnauthorized, "A JSON web token could not be decoded"
		}
		if err := gh.verifyJWT(secret); err != nil {
			return 0, http.StatusUnauthorized, err.Error()
		}
		return 0, 0, ""
	}
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "Bearer") {
		return 0, http.StatusUnauthorized, "Bad credentials"
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	tok := gh.tokens[secret]
	if tok == nil || !gh.authNow().Before(tok.expires) {
		return 0, http.StatusUnauthorized, "Bad credentials"
	}
	switch {
	case len(segs) >= 3 && segs[0] == "repos":
		repo := gh.repos[strings.ToLower(segs[1]+"/"+segs[2])]
		if repo == nil || repo.installation != tok.installation {
			return tok.installation, http.StatusNotFound, "Not Found"
		}
	case len(segs) >= 2 && segs[0] == "orgs":
		inst := gh.installations[tok.installation]
		if inst == nil || !strings.EqualFold(inst.account, segs[1]) {
			return tok.installation, http.StatusNotFound, "Not Found"
		}
	}
	return tok.installation, 0, ""
}

// verifyJWT checks an App JWT the way GitHub does: RS256 by the App's key,
// iss the App id (number or string), exp in the future but at most ten
// minutes ahead, all against the fake's clock.
func (gh *GitHub) verifyJWT(raw string) error {
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if _, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return &gh.App.key.PublicKey, nil
	}); err != nil {
		return fmt.Errorf("A JSON web token could not be decoded: %w", err)
	}
	var iss string
	switch v := claims["iss"].(type) {
	case float64:
		iss = strconv.FormatInt(int64(v), 10)
	case string:
		iss = v
	}
	if iss != strconv.FormatInt(gh.App.ID, 10) {
		return fmt.Errorf("'Issuer' claim ('iss') must be the App id %d", gh.App.ID)
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return fmt.Errorf("'Expiration time' claim ('exp') is missing")
	}
	gh.mu.Lock()
	now := gh.authNow()
	gh.mu.Unlock()
	expires := time.Unix(int64(exp), 0)
	if !now.Before(expires) {
		return fmt.Errorf("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	}
	if expires.After(now.Add(10*time.Minute + 30*time.Second)) {
		return fmt.Errorf("'Expiration time' claim ('exp') is too far in the future")
	}
	return nil
}

func (gh *GitHub) createToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "installation_id")
	if !ok {
		return
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	inst := gh.installations[id]
	if inst == nil {
		notFound(w)
		return
	}
	if !inst.suspendedAt.IsZero() {
		writeError(w, http.StatusForbidden, "This installation has been suspended")
		return
	}
	tok, expires := gh.issueToken(id)
	writeJSON(w, http.StatusCreated, github.InstallationToken{
		Token:       github.String(tok),
		ExpiresAt:   &github.Timestamp{Time: expires},
		Permissions: permissionsJSON(inst.permissions),
	})
}

// installationJSON renders an installation. Callers hold gh.mu.
func (gh *GitHub) installationJSON(inst *installation) *github.Installation {
	out := &github.Installation{
		ID:                  github.Int64(inst.id),
		AppID:               github.Int64(gh.App.ID),
		AppSlug:             github.String(gh.App.Slug),
		Account:             gh.userJSON(inst.account),
		HTMLURL:             github.String(fmt.Sprintf("%s/organizations/%s/settings/installations/%d", gh.srv.URL, inst.account, inst.id)),
		RepositorySelection: github.String("selected"),
		TargetType:          github.String("Organization"),
		Permissions:         permissionsJSON(inst.permissions),
		Events:              append([]string{}, inst.events...),
	}
	if !inst.suspendedAt.IsZero() {
		out.SuspendedAt = &github.Timestamp{Time: inst.suspendedAt}
		out.SuspendedBy = gh.userJSON(inst.account)
	}
	return out
}

func (gh *GitHub) listInstallations(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var out []*github.Installation
	for _, id := range sortedKeys(gh.installations) {
		out = append(out, gh.installationJSON(gh.installations[id]))
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

func (gh *GitHub) getApp(w http.ResponseWriter, _ *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	writeJSON(w, http.StatusOK, github.App{
		ID:          github.Int64(gh.App.ID),
		Slug:        github.String(gh.App.Slug),
		Name:        github.String(gh.App.Slug),
		HTMLURL:     github.String(gh.srv.URL + "/apps/" + gh.App.Slug),
		Permissions: permissionsJSON(gh.appPermissions()),
		Events:      gh.appEvents(),
	})
}

func (gh *GitHub) repoInstallation(w http.ResponseWriter, r *http.Request) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	repo := gh.repos[repoKey(r.PathValue("owner"), r.PathValue("repo"))]
	if repo == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, gh.installationJSON(gh.installations[repo.installation]))
}

func (gh *GitHub) installationRepos(w http.ResponseWriter, r *http.Request) {
	inst := installationOf(r)
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var repos []*github.Repository
	for _, k := range sortedKeys(gh.repos) {
		if repo := gh.repos[k]; repo.installation == inst {
			repos = append(repos, gh.repoJSON(repo))
		}
	}
	pageRepos := paginate(w, r, repos)
	writeJSON(w, http.StatusOK, github.ListRepositories{TotalCount: github.Int(len(repos)), Repositories: pageRepos})
}

// authorizeGit lets the git server accept a live installation token for
// the installation that owns owner/name.
func (gh *GitHub) authorizeGit(owner, name, password string) bool {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	tok := gh.tokens[password]
	repo := gh.repos[repoKey(owner, name)]
	return tok != nil && repo != nil && gh.authNow().Before(tok.expires) && repo.installation == tok.installation
}
