package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
)

func testApp(t *testing.T, gh *ghtest.GitHub, key []byte) *ghapp.App {
	t.Helper()
	app, err := ghapp.New(ghapp.Config{AppID: gh.App.ID, PrivateKey: key, APIURL: gh.URL(), Transport: gh.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// waits is a time.After that returns at once and records the wait; at the
// n-th call it calls then first.
func waits(n int, then func()) (func(time.Duration) <-chan time.Time, *[]time.Duration) {
	var got []time.Duration
	return func(d time.Duration) <-chan time.Time {
		got = append(got, d)
		if len(got) == n {
			then()
		}
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}, &got
}

// Readiness waits for GitHub: while it answers 5xx the replica is not
// ready and says why, backing off; once a token is minted it is.
func TestReadinessWaitsForATokenToBeMinted(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(21, "acme")
	gh.Fail(ghtest.FaultMatch{Method: "POST", PathPrefix: "/app/installations/21/access_tokens", Count: -1},
		ghtest.Fault{Kind: ghtest.FaultStatus, Status: 502})
	var logs bytes.Buffer
	var reasons []string
	r := &readiness{reason: "not yet"}
	after, got := waits(3, gh.ClearFaults)
	record := func(d time.Duration) <-chan time.Time {
		reasons = append(reasons, r.notReady())
		return after(d)
	}
	r.prove(context.Background(), testApp(t, gh, gh.App.PrivateKeyPEM()), zerolog.New(&logs), record)

	if reason := r.notReady(); reason != "" {
		t.Fatalf("not ready after GitHub recovered: %s", reason)
	}
	if diff := cmp.Diff([]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, *got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	for _, reason := range reasons {
		if !strings.Contains(reason, "mint an installation token") || !strings.Contains(reason, "502") || strings.Contains(reason, "\n") {
			t.Errorf("reason %q: want one line naming the token and GitHub's 502", reason)
		}
	}
	if n := strings.Count(logs.String(), "not ready: cannot authenticate as the GitHub App"); n != 3 {
		t.Errorf("%d warnings logged, want one per failed attempt (3):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "ready: GitHub accepted the App's credentials") {
		t.Errorf("readiness not logged:\n%s", logs.String())
	}
}

// A key GitHub does not know never makes the replica ready; the reason
// says what to check.
func TestReadinessRefusesAWrongKey(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(21, "acme")
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	wrong := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &readiness{reason: "not yet"}
	after, _ := waits(2, cancel)
	r.prove(ctx, testApp(t, gh, wrong), zerolog.Nop(), after)
	if reason := r.notReady(); !strings.Contains(reason, "GitHub refused the App's JWT: check OWNERBOT_APP_ID and the private key") || !strings.Contains(reason, "401") {
		t.Errorf("reason %q: want the refusal and what to check", reason)
	}
}

// An App with no installation yet is ready once its JWT is accepted.
func TestReadinessWithoutInstallations(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	r := &readiness{reason: "not yet"}
	after, got := waits(-1, nil)
	r.prove(context.Background(), testApp(t, gh, gh.App.PrivateKeyPEM()), zerolog.Nop(), after)
	if r.notReady() != "" || len(*got) != 0 {
		t.Errorf("not ready at once: %q after %d waits", r.notReady(), len(*got))
	}
	for _, req := range gh.Requests() {
		if req.Method != "GET" {
			t.Errorf("%s %s: want only reads", req.Method, req.Path)
		}
	}
}

// A suspended installation, whose tokens GitHub refuses, does not hold the
// replica back: a token of another installation proves the key.
func TestReadinessSkipsSuspendedInstallations(t *testing.T) {
	gh := ghtest.NewGitHub(t) // for its App key only
	var minted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /app":
			io.WriteString(w, `{"id": 1}`)
		case "GET /app/installations":
			io.WriteString(w, `[{"id": 7, "suspended_at": "2026-01-02T03:04:05Z"}, {"id": 8}]`)
		case "POST /app/installations/8/access_tokens":
			minted = append(minted, r.URL.Path)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"token": "ghs_x", "expires_at": "2099-01-01T00:00:00Z"}`)
		default:
			http.Error(w, `{"message": "This installation has been suspended"}`, http.StatusForbidden)
		}
	}))
	defer srv.Close()
	app, err := ghapp.New(ghapp.Config{AppID: 1, PrivateKey: gh.App.PrivateKeyPEM(), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &readiness{reason: "not yet"}
	after, _ := waits(1, cancel) // a failed attempt ends the test
	r.prove(ctx, app, zerolog.Nop(), after)
	if r.notReady() != "" || len(minted) != 1 {
		t.Errorf("reason %q, tokens minted %v: want ready with a token of installation 8", r.notReady(), minted)
	}
}

// readOnlyDir is an existing directory this process cannot write in: a
// directory without write permission, or for root, who writes in those
// anyway, sysfs.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return dir
	}
	if err := writeProbe("/sys"); err == nil {
		t.Fatal("running as root, and /sys can be written: no read-only directory to test with")
	}
	return "/sys"
}

// An existing directory that cannot be written makes the replica not
// ready, with the reason on one line; the verdict is kept for a while and
// then looked at again, so the replica recovers once the directory is
// writable, without a restart. Nothing is left behind.
func TestCacheProbe(t *testing.T) {
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	ro := readOnlyDir(t)
	p := &cacheProbe{dir: ro, every: 5 * time.Second, now: clock}
	reason := p.notReady()
	if !strings.HasPrefix(reason, "cannot write in the cache directory "+ro+" (open: ") || !strings.HasSuffix(reason, "mount a writable volume there or set OWNERBOT_CACHE_DIR") || strings.Contains(reason, "\n") {
		t.Errorf("read-only directory: reason %q", reason)
	}

	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	p = &cacheProbe{dir: dir, every: 5 * time.Second, now: clock, log: zerolog.New(&logs)}
	var got []bool
	look := func() { got = append(got, p.notReady() == "") }
	look() // writable
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	look() // the verdict is kept for 5s
	now = now.Add(5 * time.Second)
	look() // gone: not writable
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	look() // kept
	now = now.Add(5 * time.Second)
	look() // back
	if diff := cmp.Diff([]bool{true, true, false, false, true}, got); diff != "" {
		t.Errorf("ready at each look (-want +got):\n%s", diff)
	}
	// The log says so when the verdict changes, once each way.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"error"`) || !strings.Contains(lines[0], "cannot write in the cache directory") ||
		!strings.Contains(lines[1], "can be written again") {
		t.Errorf("log:\n%s", logs.String())
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the probe left %v behind (%v)", entries, err)
	}
}
