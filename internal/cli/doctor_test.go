package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/golden"
)

// doctorNow is the local clock of the doctor tests; their fake GitHub
// dates its answers the same, unless a test skews it.
var doctorNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// doctorFixture is a healthy deployment: the fake GitHub with the App
// installed, and the environment serve would run with.
type doctorFixture struct {
	gh  *ghtest.GitHub
	dir string
	env map[string]string
	cfg doctorConfig
	// skew moves the fake's Date header away from doctorNow.
	skew time.Duration
}

// newDoctorFixture installs the App on accounts (acme and widgets when
// none are given; pass an empty slice for no installation).
func newDoctorFixture(t *testing.T, accounts []string) *doctorFixture {
	t.Helper()
	gh := ghtest.NewGitHub(t, ghtest.WithReporter(func(msg string) {
		// GitHub's description in ../shared lacks GET /app/hook/config,
		// so the fake answers it 404, as a GitHub without it would.
		if !strings.Contains(msg, "/app/hook/config: operation not in openapi-subset.json") {
			t.Errorf("%s", msg)
		}
	}))
	if accounts == nil {
		accounts = []string{"acme", "widgets"}
	}
	for i, account := range accounts {
		id := int64(21 + i)
		gh.AddInstallation(id, account)
		gh.AddRepo(id, account, "mono", ghtest.RepoOptions{})
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(key, gh.App.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	f := &doctorFixture{gh: gh, dir: dir}
	f.env = map[string]string{
		"OWNERBOT_APP_ID":           fmt.Sprint(gh.App.ID),
		"OWNERBOT_PRIVATE_KEY_FILE": key,
		"OWNERBOT_WEBHOOK_SECRET":   "0123456789abcdef0123456789abcdef",
		"OWNERBOT_GITHUB_API_URL":   gh.EnterpriseURL(),
		"OWNERBOT_CACHE_DIR":        cache,
		"OWNERBOT_CACHE_MAX_MB":     "2048",
		"OWNERBOT_SWEEP_SCHEDULE":   "0 3 * * *",
		"OWNERBOT_SWEEP_TZ":         "Europe/Berlin",
	}
	f.cfg = doctorConfig{
		ReadFile: os.ReadFile, For: "serve", MaxInstallations: 20, Timeout: 30 * time.Second, UserAgent: "ownerbot/test",
		Now:       func() time.Time { return doctorNow },
		Transport: dateTransport{next: http.DefaultTransport, date: func() time.Time { return doctorNow.Add(f.skew) }},
		FreeSpace: func(string) (int64, error) { return 50 << 30, nil },
	}
	return f
}

func (f *doctorFixture) run() []checkResult {
	cfg := f.cfg
	cfg.Getenv = func(k string) string { return f.env[k] }
	return diagnose(context.Background(), cfg)
}

// scrub replaces what differs between runs (the fake's port, the
// generated key, temporary directories) with fixed words.
func (f *doctorFixture) scrub(t *testing.T, out []byte) []byte {
	t.Helper()
	key, _, err := inspectKey(f.gh.App.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	fp, err := keyFingerprint(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(out), strings.TrimSuffix(f.gh.URL(), "/"), "http://ghtest")
	s = strings.ReplaceAll(s, fp, "SHA256:<fingerprint>")
	s = strings.ReplaceAll(s, f.dir, "<tmp>")
	return []byte(s)
}

// dateTransport dates every answer as GitHub's clock would.
type dateTransport struct {
	next http.RoundTripper
	date func() time.Time
}

func (t dateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		resp.Header.Set("Date", t.date().UTC().Format(http.TimeFormat))
	}
	return resp, err
}

func TestDoctorHealthy(t *testing.T) {
	f := newDoctorFixture(t, nil)
	results := f.run()
	for _, r := range results {
		if r.Status == statusFail || r.Status == statusWarn {
			t.Errorf("a healthy deployment got %s %s: %s", r.Status, r.Check, r.Message)
		}
	}
	var text, js bytes.Buffer
	if err := writeDoctorText(&text, results); err != nil {
		t.Fatal(err)
	}
	if err := writeDoctorJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "doctor/healthy.txt", f.scrub(t, text.Bytes()))
	golden.Assert(t, "doctor/healthy.json", f.scrub(t, js.Bytes()))
}

// Every check has a line, in a fixed order, even when all is well.
func TestDoctorReportsEveryCheck(t *testing.T) {
	f := newDoctorFixture(t, nil)
	var got []string
	for _, r := range f.run() {
		if len(got) == 0 || got[len(got)-1] != r.Check {
			got = append(got, r.Check)
		}
	}
	want := []string{chkSettings, chkKey, chkSecret, chkCache, chkSchedule, chkAPI, chkClock, chkJWT, chkAppID,
		chkAppPermissions, chkAppEvents, chkHook, chkInstallations, chkInstPerms, chkTokens}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
}

// Doctor reads and mints tokens; it never changes anything on GitHub.
func TestDoctorWritesNothing(t *testing.T) {
	f := newDoctorFixture(t, nil)
	f.run()
	for _, r := range f.gh.Requests() {
		if r.Method != http.MethodGet && r.Operation != "apps/create-installation-access-token" {
			t.Errorf("doctor sent %s %s", r.Method, r.Path)
		}
	}
}

// want is a line the report must have: its check, status, and words of
// its message.
type want struct {
	check  string
	status checkStatus
	text   string
}

func assertLines(t *testing.T, results []checkResult, wants ...want) {
	t.Helper()
	for _, w := range wants {
		found := false
		for _, r := range results {
			if r.Check == w.check && r.Status == w.status && strings.Contains(r.Message, w.text) {
				found = true
				break
			}
		}
		if !found {
			var b bytes.Buffer
			_ = writeDoctorText(&b, results)
			t.Errorf("no %s line for %s containing %q in:\n%s", w.status, w.check, w.text, b.String())
		}
	}
}

var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDoctorFindings(t *testing.T) {
	without := func(m map[string]string, k string) map[string]string {
		m = maps.Clone(m)
		delete(m, k)
		return m
	}
	fullPerms := map[string]string{"checks": "write", "contents": "read", "issues": "write", "members": "read", "metadata": "read", "pull_requests": "write"}
	// perms is fullPerms with some permissions set to other levels.
	perms := func(changes map[string]string) map[string]string {
		p := maps.Clone(fullPerms)
		maps.Copy(p, changes)
		return p
	}
	fullEvents := []string{"check_run", "check_suite", "pull_request", "pull_request_review", "push"}
	tests := []struct {
		name     string
		accounts []string
		setup    func(t *testing.T, f *doctorFixture)
		want     []want
	}{
		{
			name: "wrong key",
			setup: func(t *testing.T, f *doctorFixture) {
				pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(otherKey())})
				f.env["OWNERBOT_PRIVATE_KEY_FILE"] = writeFile(t, filepath.Join(f.dir, "other.pem"), pemBytes)
			},
			want: []want{
				{chkKey, statusOK, "RSA 2048-bit"},
				{chkJWT, statusFail, "GitHub refused the App's JWT (401"},
				{chkJWT, statusFail, "under \"Private keys\""},
				{chkAppID, statusSkip, "did not accept the App's JWT"},
				{chkInstallations, statusSkip, "did not accept the App's JWT"},
				{chkTokens, statusSkip, "did not accept the App's JWT"},
			},
		},
		{
			name:  "wrong App id",
			setup: func(t *testing.T, f *doctorFixture) { f.env["OWNERBOT_APP_ID"] = "9999" },
			want: []want{
				{chkJWT, statusFail, "OWNERBOT_APP_ID 9999 is not the App this key belongs to"},
				{chkAppID, statusSkip, "see app-jwt"},
			},
		},
		{
			name:  "no App id",
			setup: func(t *testing.T, f *doctorFixture) { delete(f.env, "OWNERBOT_APP_ID") },
			want: []want{
				{chkSettings, statusFail, "OWNERBOT_APP_ID is not set"},
				{chkAPI, statusOK, "answers"},
				{chkJWT, statusSkip, "needs OWNERBOT_APP_ID"},
				{chkTokens, statusSkip, "needs OWNERBOT_APP_ID"},
			},
		},
		{
			name: "a public key instead of the private one",
			setup: func(t *testing.T, f *doctorFixture) {
				der, _ := x509.MarshalPKIXPublicKey(&otherKey().PublicKey)
				f.env["OWNERBOT_PRIVATE_KEY_FILE"] = writeFile(t, filepath.Join(f.dir, "pub.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
			},
			want: []want{
				{chkSettings, statusFail, "not in PEM form"},
				{chkKey, statusFail, "is a public key, not a private key"},
				{chkJWT, statusSkip, "a usable private key"},
			},
		},
		{
			name:  "missing permission",
			setup: func(t *testing.T, f *doctorFixture) { f.gh.SetAppPermissions(without(fullPerms, "checks")) },
			want: []want{
				{chkAppPermissions, statusFail, "the App lacks checks: write, which deploy/app.yml asks for (the `ownerbot` check run and its annotations): in the App's settings, Permissions & events, set Repository permissions → Checks to Read and write"},
				// What the App lacks is not the installations' to accept.
				{chkInstPerms, statusOK, "every active installation"},
			},
		},
		{
			name: "permission too low",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.SetAppPermissions(perms(map[string]string{"members": "", "pull_requests": "read"}))
			},
			want: []want{
				{chkAppPermissions, statusFail, "the App has pull_requests: read, but deploy/app.yml asks for write"},
				{chkAppPermissions, statusFail, "set Organization permissions → Members to Read-only"},
			},
		},
		{
			name: "more permissions than needed",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.SetAppPermissions(perms(map[string]string{"administration": "write", "contents": "write"}))
			},
			want: []want{
				{chkAppPermissions, statusWarn, "the App has administration: write, which ownerbot does not use"},
				{chkAppPermissions, statusWarn, "the App has contents: write, but ownerbot needs only read"},
			},
		},
		{
			name: "missing event",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.SetAppEvents("check_run", "check_suite", "pull_request", "push", "issues")
			},
			want: []want{
				{chkAppEvents, statusFail, "the App does not subscribe to pull_request_review events (submitted, dismissed, edited: approvals change the check)"},
				{chkAppEvents, statusFail, `tick "Pull request review"`},
				{chkAppEvents, statusWarn, "the App subscribes to issues events, which ownerbot ignores"},
			},
		},
		{
			name: "installation has not accepted new permissions",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.SetInstallationPermissions(21, perms(map[string]string{"checks": "read"}), fullEvents[1:]...)
			},
			want: []want{
				{chkInstPerms, statusFail, "installation 21 on acme has not accepted checks: write (has read), the check_run events"},
				{chkInstPerms, statusFail, "an owner of acme reviews and accepts the App's request at " + "http://"},
			},
		},
		{
			name: "suspended installation",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.SuspendInstallation(22, doctorNow.Add(-48*time.Hour))
			},
			want: []want{
				{chkInstallations, statusOK, "1 active: acme (21)"},
				{chkInstallations, statusWarn, "installation 22 on widgets is suspended since 2026-02-28"},
				{chkTokens, statusOK, "a token for each of the 1 active installations works"},
			},
		},
		{
			name:     "no installations",
			accounts: []string{},
			want: []want{
				{chkInstallations, statusWarn, "the App is not installed anywhere"},
				{chkInstallations, statusWarn, "/apps/ownerbot-test/installations/new"},
				{chkInstPerms, statusSkip, "no active installation"},
				{chkTokens, statusSkip, "no active installation"},
			},
		},
		{
			name: "token minting fails",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.Fail(ghtest.FaultMatch{Operation: "apps/create-installation-access-token", Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
			},
			want: []want{
				{chkTokens, statusFail, "installation 21 on acme: GitHub refused a token (502 Bad Gateway): GitHub is failing"},
				{chkTokens, statusFail, "installation 22 on widgets: GitHub refused a token (502"},
			},
		},
		{
			name: "listing installations fails",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.Fail(ghtest.FaultMatch{Operation: "apps/list-installations"}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusInternalServerError})
			},
			want: []want{
				{chkInstallations, statusFail, "could not list the App's installations: 500 Internal Server Error"},
				{chkTokens, statusSkip, "the installations are unknown (see installations)"},
			},
		},
		{
			name: "a token that does not work",
			setup: func(t *testing.T, f *doctorFixture) {
				f.gh.Fail(ghtest.FaultMatch{Operation: "apps/list-repos-accessible-to-installation"}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusForbidden})
			},
			want: []want{{chkTokens, statusFail, "installation 21 on acme: a token was minted, but GET /installation/repositories with it failed (403 Forbidden)"}},
		},
		{
			name:  "an installation without repositories",
			setup: func(t *testing.T, f *doctorFixture) { f.gh.AddInstallation(30, "empty") },
			want: []want{
				{chkTokens, statusWarn, "installation 30 on empty can see no repository: choose the repositories ownerbot should check at http://"},
				{chkTokens, statusOK, "a token for each of the 3 active installations works; together they see 2 repositories"},
			},
		},
		{
			name: "an installation short of rate limit",
			setup: func(t *testing.T, f *doctorFixture) {
				f.cfg.Transport = rewrite(f.cfg.Transport, "/installation/repositories", func(resp *http.Response) {
					resp.Header.Set("X-RateLimit-Remaining", "120")
					resp.Header.Set("X-RateLimit-Limit", "5000")
					resp.Header.Set("X-RateLimit-Reset", fmt.Sprint(doctorNow.Add(20*time.Minute).Unix()))
				})
			},
			want: []want{{chkTokens, statusWarn, "installation 21 on acme has 120 of 5000 requests an hour left, until 09:50 UTC"}},
		},
		{
			name: "GitHub names another App",
			setup: func(t *testing.T, f *doctorFixture) {
				f.cfg.Transport = rewrite(f.cfg.Transport, "/app", func(resp *http.Response) {
					resp.Body = io.NopCloser(strings.NewReader(`{"id": 7, "slug": "other", "name": "other"}`))
					resp.ContentLength = -1
					resp.Header.Del("Content-Length")
				})
			},
			want: []want{{chkAppID, statusFail, "GitHub says the JWT is App 7, not OWNERBOT_APP_ID 4242"}},
		},
		{
			name: "the webhook configuration cannot be read",
			setup: func(t *testing.T, f *doctorFixture) {
				f.cfg.Transport = rewrite(f.cfg.Transport, "/app/hook/config", func(resp *http.Response) {
					resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
				})
			},
			want: []want{{chkHook, statusWarn, "could not read the App's webhook configuration (502"}},
		},
		{
			name:  "secret missing",
			setup: func(t *testing.T, f *doctorFixture) { delete(f.env, "OWNERBOT_WEBHOOK_SECRET") },
			want: []want{
				{chkSettings, statusFail, "OWNERBOT_WEBHOOK_SECRET is not set"},
				{chkSecret, statusSkip, "see settings"},
				{chkTokens, statusOK, "works"},
			},
		},
		{
			name:  "secret short",
			setup: func(t *testing.T, f *doctorFixture) { f.env["OWNERBOT_WEBHOOK_SECRET"] = "hunter2" },
			want:  []want{{chkSecret, statusWarn, "the secret is 7 bytes, short enough to guess"}},
		},
		{
			name: "rotation with the same secret twice",
			setup: func(t *testing.T, f *doctorFixture) {
				f.env["OWNERBOT_WEBHOOK_SECRET"] = "0123456789abcdef0123,0123456789abcdef0123"
			},
			want: []want{{chkSecret, statusWarn, "both secrets are the same"}},
		},
		{
			name: "rotation",
			setup: func(t *testing.T, f *doctorFixture) {
				delete(f.env, "OWNERBOT_WEBHOOK_SECRET")
				f.env["OWNERBOT_WEBHOOK_SECRET_FILE"] = writeFile(t, filepath.Join(f.dir, "hook"), []byte("new-secret-0123456789\nold-secret-012345\n"))
			},
			want: []want{{chkSecret, statusOK, "two distinct secrets, 21 and 17 bytes"}},
		},
		{
			name: "cache dir cannot be created",
			setup: func(t *testing.T, f *doctorFixture) {
				f.env["OWNERBOT_CACHE_DIR"] = filepath.Join(writeFile(t, filepath.Join(f.dir, "file"), nil), "cache")
			},
			want: []want{{chkCache, statusFail, "cannot be created: part of its path is a file, not a directory"}},
		},
		{
			name: "cache dir is a file",
			setup: func(t *testing.T, f *doctorFixture) {
				f.env["OWNERBOT_CACHE_DIR"] = writeFile(t, filepath.Join(f.dir, "file"), nil)
			},
			want: []want{{chkCache, statusFail, "exists but is not a directory"}},
		},
		{
			name: "cache bound larger than the volume",
			setup: func(t *testing.T, f *doctorFixture) {
				f.cfg.FreeSpace = func(string) (int64, error) { return 1 << 30, nil }
			},
			want: []want{{chkCache, statusWarn, "has 1.0 GiB free and the cache uses 0 B, while OWNERBOT_CACHE_MAX_MB lets it grow to 2.0 GiB"}},
		},
		{
			name: "cache dir created on demand",
			setup: func(t *testing.T, f *doctorFixture) {
				f.env["OWNERBOT_CACHE_DIR"] = filepath.Join(f.dir, "new", "cache")
			},
			want: []want{{chkCache, statusOK, "does not exist yet, but can be created"}},
		},
		{
			name:  "no schedule",
			setup: func(t *testing.T, f *doctorFixture) { delete(f.env, "OWNERBOT_SWEEP_SCHEDULE") },
			want:  []want{{chkSchedule, statusOK, "off: serve sweeps nothing by itself"}},
		},
		{
			name:  "bad schedule",
			setup: func(t *testing.T, f *doctorFixture) { f.env["OWNERBOT_SWEEP_SCHEDULE"] = "every day" },
			want: []want{
				{chkSettings, statusFail, `OWNERBOT_SWEEP_SCHEDULE "every day"`},
				{chkSchedule, statusSkip, "did not parse"},
			},
		},
		{
			name: "a sweep needs no secret",
			setup: func(t *testing.T, f *doctorFixture) {
				delete(f.env, "OWNERBOT_WEBHOOK_SECRET")
				f.cfg.For = "sweep"
			},
			want: []want{
				{chkSettings, statusOK, "every OWNERBOT_* variable sweep reads parses"},
				{chkSecret, statusSkip, "a sweep receives no webhooks"},
				{chkSchedule, statusSkip, "a sweep CronJob"},
			},
		},
		{
			name:     "more installations than --installations",
			accounts: []string{"a", "b", "c"},
			setup: func(t *testing.T, f *doctorFixture) {
				f.cfg.MaxInstallations = 2
			},
			want: []want{{chkTokens, statusOK, "tokens for 2 of the 3 active installations work, seeing 2 repositories; the other 1 were not tried (--installations 2)"}},
		},
		{
			name: "API URL that is the website",
			setup: func(t *testing.T, f *doctorFixture) {
				f.env["OWNERBOT_GITHUB_API_URL"] = "https://github.com/"
			},
			want: []want{
				{chkAPI, statusFail, "is GitHub's website, not its API"},
				{chkClock, statusSkip, "not usable"},
				{chkTokens, statusSkip, "not usable"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newDoctorFixture(t, tc.accounts)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			assertLines(t, f.run(), tc.want...)
		})
	}
}

func TestDoctorCacheDirNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes in read-only directories")
	}
	f := newDoctorFixture(t, nil)
	if err := os.Chmod(f.env["OWNERBOT_CACHE_DIR"], 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(f.env["OWNERBOT_CACHE_DIR"], 0o700) })
	assertLines(t, f.run(), want{chkCache, statusFail, "cannot write in"})

	f.env["OWNERBOT_CACHE_DIR"] = filepath.Join(f.env["OWNERBOT_CACHE_DIR"], "clones")
	assertLines(t, f.run(), want{chkCache, statusFail, "does not exist and cannot be created (mkdir: permission denied)"})
}

// What doctor creates to see that it can, it removes.
func TestDoctorLeavesNoCacheDirBehind(t *testing.T) {
	f := newDoctorFixture(t, nil)
	f.env["OWNERBOT_CACHE_DIR"] = filepath.Join(f.dir, "new", "cache")
	f.run()
	if _, err := os.Stat(filepath.Join(f.dir, "new")); !os.IsNotExist(err) {
		t.Errorf("doctor left %s/new behind: %v", f.dir, err)
	}
	entries, err := os.ReadDir(filepath.Join(f.dir, "cache"))
	if err != nil || len(entries) != 0 {
		t.Errorf("doctor left files in the cache: %v, %v", entries, err)
	}
}

func TestDoctorClock(t *testing.T) {
	tests := []struct {
		skew time.Duration // GitHub's clock minus the local one
		want want
	}{
		{0, want{chkClock, statusOK, "agrees with GitHub's Date header"}},
		{-20 * time.Second, want{chkClock, statusWarn, "the local clock is 20s ahead of GitHub's: JWTs still work"}},
		{2 * time.Minute, want{chkClock, statusFail, "the local clock is 2m0s behind GitHub's: each JWT has expired"}},
		{-2 * time.Minute, want{chkClock, statusFail, "the local clock is 2m0s ahead of GitHub's: GitHub refuses a JWT issued in its future"}},
	}
	for _, tc := range tests {
		t.Run(tc.skew.String(), func(t *testing.T) {
			f := newDoctorFixture(t, nil)
			f.skew = tc.skew
			assertLines(t, f.run(), tc.want)
		})
	}
}

// A JWT refused while the clock is off blames the clock, not the key.
func TestDoctorJWTBlamesTheClock(t *testing.T) {
	f := newDoctorFixture(t, nil)
	f.skew = -5 * time.Minute
	f.env["OWNERBOT_APP_ID"] = "9999" // so that GitHub refuses the JWT
	assertLines(t, f.run(),
		want{chkClock, statusFail, "5m0s ahead"},
		want{chkJWT, statusFail, "the local clock is off (see clock); fix it first"},
	)
}

// GitHub out of reach: the local checks still run, every check that needs
// GitHub says why it was skipped, and the run ends within its per-request
// bound.
func TestDoctorGitHubUnreachable(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/api/v3/"
	}
	tests := []struct {
		name  string
		setup func(f *doctorFixture)
		api   want
	}{
		{"connection refused", func(f *doctorFixture) {
			f.env["OWNERBOT_GITHUB_API_URL"] = closed()
		}, want{chkAPI, statusFail, "does not answer (dial tcp"}},
		{"5xx", func(f *doctorFixture) {
			f.cfg.Transport = cannedTransport{status: http.StatusServiceUnavailable, contentType: "application/json"}
		}, want{chkAPI, statusFail, "answered 503 Service Unavailable: GitHub, or a proxy in front of it, is failing"}},
		{"no answer", func(f *doctorFixture) {
			f.cfg.Transport = cannedTransport{hang: true}
			f.cfg.Timeout = 50 * time.Millisecond
		}, want{chkAPI, statusFail, "gave no answer within 50ms"}},
		{"a web page", func(f *doctorFixture) {
			f.cfg.Transport = cannedTransport{status: http.StatusOK, contentType: "text/html; charset=utf-8"}
		}, want{chkAPI, statusFail, `answered 200 with "text/html", not GitHub's REST API: for GitHub Enterprise Server the API URL is https://HOST/api/v3/`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newDoctorFixture(t, nil)
			tc.setup(f)
			results := f.run()
			assertLines(t, results, tc.api,
				want{chkSettings, statusOK, "parses"},
				want{chkKey, statusOK, "RSA"},
				want{chkCache, statusOK, "writable"})
			for _, r := range results {
				switch r.Check {
				case chkClock, chkJWT, chkAppID, chkAppPermissions, chkAppEvents, chkHook, chkInstallations, chkInstPerms, chkTokens:
					if r.Status != statusSkip || r.Message != "GitHub did not answer (see api-url)" {
						t.Errorf("%s %s: %s; want it skipped because GitHub did not answer", r.Status, r.Check, r.Message)
					}
				}
			}
		})
	}
}

// rewrite changes GitHub's answers to requests whose path ends in path.
func rewrite(next http.RoundTripper, path string, edit func(*http.Response)) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err == nil && strings.HasSuffix(r.URL.Path, path) {
			edit(resp)
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cannedTransport answers every request the same, or never.
type cannedTransport struct {
	status      int
	contentType string
	hang        bool
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.hang {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return &http.Response{
		StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)), Request: r,
		Header: http.Header{"Content-Type": {c.contentType}},
		Body:   http.NoBody,
	}, nil
}

// GitHub answers, but fails the App's requests: the first failure says so,
// and what depends on it is skipped.
func TestDoctorGitHubFailing(t *testing.T) {
	tests := []struct {
		name    string
		fault   ghtest.Fault
		timeout time.Duration
		want    string
	}{
		{"5xx", ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusServiceUnavailable}, 0, "GET /app with the App's JWT failed: 503 Service Unavailable"},
		{"no answer", ghtest.Fault{Kind: ghtest.FaultTimeout, Duration: time.Hour}, 50 * time.Millisecond, "GET /app with the App's JWT failed: no answer within 50ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newDoctorFixture(t, nil)
			f.gh.Fail(ghtest.FaultMatch{Count: -1}, tc.fault)
			if tc.timeout > 0 {
				f.cfg.Timeout = tc.timeout
			}
			results := f.run()
			assertLines(t, results, want{chkAPI, statusOK, "answers"}, want{chkJWT, statusFail, tc.want})
			for _, r := range results {
				switch r.Check {
				case chkAppID, chkAppPermissions, chkAppEvents, chkHook, chkInstallations, chkInstPerms, chkTokens:
					if r.Status != statusSkip || r.Message != "GET /app failed (see app-jwt)" {
						t.Errorf("%s %s: %s; want it skipped because GET /app failed", r.Status, r.Check, r.Message)
					}
				}
			}
		})
	}
}

func TestDoctorCommand(t *testing.T) {
	f := newDoctorFixture(t, nil)
	run := func(env map[string]string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), IO{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }},
			Build{Version: "test"}, append([]string{"doctor"}, args...))
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run(f.env)
	if code != ExitOK || errOut != "" || !strings.Contains(out, "\nok    app-jwt ") {
		t.Errorf("healthy: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	code, out, _ = run(f.env, "--format", "json")
	var report struct {
		OK     bool
		Counts map[string]int
		Checks []checkResult
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != ExitOK || !report.OK || report.Counts["fail"] != 0 || len(report.Checks) == 0 {
		t.Errorf("--format json: exit %d, %v, %+v", code, err, report)
	}

	bad := maps.Clone(f.env)
	bad["OWNERBOT_APP_ID"] = "9999"
	code, out, _ = run(bad)
	if code != ExitFindings || !strings.Contains(out, "\nFAIL  app-jwt ") {
		t.Errorf("wrong App id: exit %d, stdout:\n%s", code, out)
	}

	for _, args := range [][]string{{"--format", "yaml"}, {"--for", "cron"}, {"extra"}, {"--installations", "0"}, {"--timeout", "0s"}} {
		if code, _, errOut := run(f.env, args...); code != ExitUsage || !strings.HasPrefix(errOut, "ownerbot doctor: ") {
			t.Errorf("%q: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	if code, out, _ := run(f.env, "-h"); code != ExitOK || !strings.Contains(out, "--installations") {
		t.Errorf("-h: exit %d, %q", code, out)
	}
}

// Nothing doctor prints contains the key or the secret, whatever fails.
func TestDoctorPrintsNoSecret(t *testing.T) {
	f := newDoctorFixture(t, nil)
	secret := "s3cret-0123456789-abcdef"
	f.env["OWNERBOT_WEBHOOK_SECRET"] = secret + ",zq7x9"
	delete(f.env, "OWNERBOT_PRIVATE_KEY_FILE")
	f.env["OWNERBOT_PRIVATE_KEY"] = strings.ReplaceAll(string(f.gh.App.PrivateKeyPEM()), "\n", `\n`)
	f.env["OWNERBOT_APP_ID"] = "9999"
	var out bytes.Buffer
	if err := writeDoctorJSON(&out, f.run()); err != nil {
		t.Fatal(err)
	}
	key := f.gh.App.PrivateKeyPEM()
	body := string(key[len("-----BEGIN RSA PRIVATE KEY-----\n"):][:40])
	for _, s := range []string{secret, "zq7x9", body} {
		if strings.Contains(out.String(), s) {
			t.Errorf("the report contains %q:\n%s", s, out.String())
		}
	}
}

func TestInspectKey(t *testing.T) {
	rsaKey := otherKey()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	block := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der, Headers: headers})
	}
	tests := []struct {
		name, pem, want string
	}{
		{"PKCS#1", string(block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil)), "PKCS#1"},
		{"PKCS#8", string(block("PRIVATE KEY", pkcs8RSA, nil)), "PKCS#8"},
		{"not PEM", "hello", "no PEM block in the private key: download a new private key"},
		{"ECDSA in PKCS#8", string(block("PRIVATE KEY", pkcs8EC, nil)), "the private key is an ECDSA key, but GitHub App keys are RSA"},
		{"EC", string(block("EC PRIVATE KEY", ecDER, nil)), "the private key is an EC key, but GitHub App keys are RSA"},
		{"encrypted", string(block("RSA PRIVATE KEY", []byte("x"), map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"})), "encrypted with a passphrase"},
		{"encrypted PKCS#8", string(block("ENCRYPTED PRIVATE KEY", []byte("x"), nil)), "encrypted with a passphrase"},
		{"certificate", string(block("CERTIFICATE", []byte("x"), nil)), "the PEM block is a certificate, not a private key"},
		{"cut short", string(block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)[:100], nil)), "does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, kind, err := inspectKey([]byte(tc.pem))
			got := kind
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q in it", got, tc.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("more than one line: %q", got)
			}
		})
	}
}

// The fingerprint is the one GitHub shows, which openssl computes as
// openssl rsa -pubout -outform DER | openssl sha256 -binary | openssl base64.
func TestKeyFingerprint(t *testing.T) {
	const pub = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAw4Oyo9WK8PF3uYeMwj7E
d51Lmyz1JbtvgKq2SfG2/KnruPWOfebYXemRKeO8zrD18hWKWfOR4rj6hZRf7etW
yz0Q9DsPwJRJ977y5Hnafq5KpW1sP8gOhgVpoegzB8Tqjb7HHldhs2apbO/IGpBE
Disl/vbv4Vj7f+Ja7t3N7ce1Dter5mAxwB/QKJOaZIHR71eoEwTCd7HOMpcd0ccq
MbFqt02yX3CQQL+1QGfYXEaJBT3GjQhLLiT3XA5tVu5QYDzriz3QcwYZZbIU8DgY
DPANbJ0w5VTQnVfQjOcTQtsGysODuv9JSzhYCSCKGVoLKjE8vyI7ewEZ7LtZvVfU
kQIDAQAB
-----END PUBLIC KEY-----
`
	block, _ := pem.Decode([]byte(pub))
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := keyFingerprint(k.(*rsa.PublicKey))
	if want := "SHA256:8qbhxpMmzLKenLFSPj4ScnMRfuvJeXIcRFAJyHge7Zg="; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestHookFindings(t *testing.T) {
	tests := []struct {
		name string
		hook github.HookConfig
		want []checkResult
	}{
		{"healthy", github.HookConfig{URL: github.String("https://ownerbot.example.com/webhook"), ContentType: github.String("json"), InsecureSSL: github.String("0"), Secret: github.String("********")},
			[]checkResult{{chkHook, statusOK, "GitHub delivers signed JSON to https://ownerbot.example.com/webhook, and verifies its certificate"}}},
		{"everything wrong", github.HookConfig{URL: github.String("http://ownerbot.example.com/hooks"), ContentType: github.String("form"), InsecureSSL: github.String("1")},
			[]checkResult{
				{chkHook, statusWarn, "GitHub delivers to http://ownerbot.example.com/hooks over plain http: anyone on the way can read the deliveries; serve it behind https"},
				{chkHook, statusWarn, "GitHub delivers to http://ownerbot.example.com/hooks, but serve takes deliveries at /webhook: unless a proxy rewrites the path, set the URL to end in /webhook"},
				{chkHook, statusFail, `GitHub sends the deliveries as "form", but serve reads JSON: set the content type to json (PATCH /app/hook/config with {"content_type": "json"})`},
				{chkHook, statusWarn, "GitHub does not verify the TLS certificate of http://ownerbot.example.com/hooks: enable SSL verification in the App's settings"},
				{chkHook, statusFail, "the App's webhook has no secret, so GitHub signs nothing and serve refuses every delivery: set the App's webhook secret to the value of OWNERBOT_WEBHOOK_SECRET"},
			}},
		{"no URL", github.HookConfig{ContentType: github.String("json"), Secret: github.String("********")},
			[]checkResult{{chkHook, statusFail, "the App has no webhook URL, so GitHub sends serve nothing: in the App's settings, set the webhook URL to https://HOST/webhook, where serve listens, and tick Active"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, hookFindings(&tc.hook)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The page to change permissions on is named exactly when GitHub says who
// owns the App.
func TestDoctorWhere(t *testing.T) {
	owner := func(login, typ string) *struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} {
		return &struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		}{login, typ}
	}
	tests := []struct {
		info appInfo
		want string
	}{
		{appInfo{Slug: "ownerbot", HTMLURL: "https://github.com/apps/ownerbot", Owner: owner("acme", "Organization")}, "at https://github.com/organizations/acme/settings/apps/ownerbot/permissions"},
		{appInfo{Slug: "ownerbot", HTMLURL: "https://ghes.example.com/github-apps/ownerbot", Owner: owner("jane", "User")}, "at https://ghes.example.com/settings/apps/ownerbot/permissions"},
		{appInfo{Slug: "ownerbot", HTMLURL: "https://github.com/apps/ownerbot"}, "in the App's settings, Permissions & events"},
	}
	for _, tc := range tests {
		d := &doctor{info: &tc.info}
		if got := d.where(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.info, got, tc.want)
		}
	}
}

func TestParseManifestNeeds(t *testing.T) {
	m, err := parseManifestNeeds([]byte(`
default_permissions:
  # Repository permissions
  contents: read # clone
  checks: write
  # Organization permissions
  members: read # teams
default_events:
  - push # moved
`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"contents": "read", "checks": "write", "members": "read"}, m.Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	got := []string{m.label("checks"), m.label("members"), m.why["contents"], m.why["event:push"], m.label("administration")}
	want := []string{"Repository permissions → Checks", "Organization permissions → Members", "clone", "moved", "Administration"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels and reasons (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"default_permissions: [a]", "{", "name: x"} {
		if _, err := parseManifestNeeds([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
