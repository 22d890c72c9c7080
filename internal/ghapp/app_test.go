package ghapp

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestNewValidates(t *testing.T) {
	good := Config{AppID: testAppID, PrivateKey: pemPKCS1()}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"pkcs8", func(c *Config) { c.PrivateKey = pemPKCS8(t) }, ""},
		{"ghes without slash", func(c *Config) { c.APIURL = "https://ghe.example.com/api/v3" }, ""},
		{"no app id", func(c *Config) { c.AppID = 0 }, "AppID"},
		{"no key", func(c *Config) { c.PrivateKey = nil }, "no PEM block"},
		{"garbage key", func(c *Config) {
			c.PrivateKey = []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
		}, "private key"},
		{"bad scheme", func(c *Config) { c.APIURL = "ftp://x/" }, "scheme"},
		{"no host", func(c *Config) { c.APIURL = "https:///api/v3/" }, "no host"},
		{"credentials in URL", func(c *Config) { c.APIURL = "https://u:p@x/" }, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mod(&cfg)
			_, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestClientURLs(t *testing.T) {
	tests := []struct {
		api, wantBase, wantUpload string
	}{
		{"", "https://api.github.com/", "https://uploads.github.com/"},
		{"https://api.github.com", "https://api.github.com/", "https://uploads.github.com/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
	}
	for _, tt := range tests {
		a, err := New(Config{AppID: testAppID, PrivateKey: pemPKCS1(), APIURL: tt.api})
		if err != nil {
			t.Fatal(err)
		}
		c, err := a.Client(1)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{c.BaseURL.String(), c.UploadURL.String(), a.AppClient().BaseURL.String()}
		want := []string{tt.wantBase, tt.wantUpload, tt.wantBase}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("APIURL %q: (-want +got)\n%s", tt.api, d)
		}
		if c.UserAgent != DefaultUserAgent {
			t.Errorf("UserAgent = %q", c.UserAgent)
		}
	}
}

func TestAppClientUsesJWT(t *testing.T) {
	f := newFakeGitHub(t, "")
	a := newTestApp(t, f, newFakeTime(), nil, nil)
	inst, _, err := a.AppClient().Apps.ListInstallations(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst) != 2 || f.jwtRequests != 1 {
		t.Fatalf("got %d installations after %d JWT requests", len(inst), f.jwtRequests)
	}
}

func TestInstallationTokenReusedAndRefreshed(t *testing.T) {
	f := newFakeGitHub(t, "")
	a := newTestApp(t, f, newFakeTime(), nil, nil)
	c, err := a.Client(7)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	get := func() {
		t.Helper()
		if _, _, err := c.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err)
		}
	}
	get()
	get()
	if got := len(f.tokensIssued(7)); got != 1 {
		t.Fatalf("after two calls %d tokens were issued, want 1 (reused)", got)
	}
	if c2, _ := a.Client(7); c2 != c {
		t.Fatal("Client returned a different client for the same installation")
	}
	tok, err := a.Token(ctx, 7)
	if err != nil || tok != f.tokensIssued(7)[0] {
		t.Fatalf("Token = %q, %v; want the token the client uses", tok, err)
	}

	// A token that expires within ghinstallation's one-minute margin is
	// refreshed on the next call.
	f.mu.Lock()
	f.tokenTTL = 30 * time.Second
	f.mu.Unlock()
	a2 := newTestApp(t, f, newFakeTime(), nil, nil)
	c2, _ := a2.Client(8)
	for range 2 {
		if _, _, err := c2.Repositories.Get(ctx, "o", "r"); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.tokensIssued(8)); got != 2 {
		t.Fatalf("short-lived token: %d tokens issued, want 2 (refreshed)", got)
	}
}

func TestInstallationsAreIsolated(t *testing.T) {
	f := newFakeGitHub(t, "")
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		w.Header().Set("ETag", `"same-etag"`)
		writeJSON(w, map[string]any{"id": inst})
	})
	a := newTestApp(t, f, newFakeTime(), nil, nil)
	ctx := context.Background()
	for _, id := range []int64{1, 2, 1, 2} {
		c, err := a.Client(id)
		if err != nil {
			t.Fatal(err)
		}
		repo, _, err := c.Repositories.Get(ctx, "o", "r")
		if err != nil {
			t.Fatal(err)
		}
		if repo.GetID() != id {
			t.Errorf("installation %d got installation %d's answer", id, repo.GetID())
		}
	}
	got := f.seen()
	want := []seen{
		{"GET", "/repos/o/r", 1, ""},
		{"GET", "/repos/o/r", 2, ""}, // installation 2 has its own, empty cache
		{"GET", "/repos/o/r", 1, `"same-etag"`},
		{"GET", "/repos/o/r", 2, `"same-etag"`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("requests (-want +got)\n%s", d)
	}
	if t1, t2 := f.tokensIssued(1), f.tokensIssued(2); len(t1) != 1 || len(t2) != 1 || t1[0] == t2[0] {
		t.Fatalf("tokens: %v %v", t1, t2)
	}
}

func TestEnterpriseURL(t *testing.T) {
	f := newFakeGitHub(t, "/api/v3")
	a := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
		c.APIURL = strings.TrimSuffix(c.APIURL, "/") // accepted without the slash
	})
	c, err := a.Client(3)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.AppClient().Apps.ListInstallations(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.seen(); len(got) != 1 || got[0].Path != "/repos/o/r" {
		t.Fatalf("requests: %+v", got)
	}
	if !strings.HasSuffix(c.UploadURL.Path, "/api/uploads/") {
		t.Errorf("UploadURL = %s", c.UploadURL)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	f := newFakeGitHub(t, "")
	var logs bytes.Buffer
	var calls atomic.Int32
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		writeJSON(w, map[string]any{"id": 1})
	})
	f.tokenFailures = 1 // the first token request fails: a retried read
	a := newTestApp(t, f, newFakeTime(), &logs, nil)
	c, _ := a.Client(5)
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.AppClient().Apps.ListInstallations(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "retrying GitHub read") {
		t.Fatalf("expected retry logs, got:\n%s", out)
	}
	secrets := append(f.tokensIssued(5), "ghs_", "Bearer", "eyJ", "PRIVATE KEY", "Authorization")
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q:\n%s", s, out)
		}
	}
}

func TestMetricsShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := New(Config{AppID: testAppID, PrivateKey: pemPKCS1(), Registerer: reg}); err != nil {
			t.Fatal(err)
		}
	}
}
