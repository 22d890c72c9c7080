package ghapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/rs/zerolog"
)

const testAppID = 4242

// testKey is generated once: RSA generation is slow under -race.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemPKCS1() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})
}

func pemPKCS8(t *testing.T) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
}

// seen is one API request as the fake received it.
type seen struct {
	Method, Path string
	Installation int64 // from the token; 0 for JWT requests
	IfNoneMatch  string
}

// fakeGitHub is a small GitHub: it issues installation tokens to requests
// carrying a valid App JWT and routes everything else, authenticated by
// token, to handle.
type fakeGitHub struct {
	t      *testing.T
	srv    *httptest.Server
	prefix string // "" or "/api/v3"

	mu            sync.Mutex
	tokenTTL      time.Duration
	tokens        map[string]int64
	issued        map[int64][]string
	jwtRequests   int
	requests      []seen
	handle        func(w http.ResponseWriter, r *http.Request, inst int64)
	tokenFailures int // next token requests answered 502
}

func newFakeGitHub(t *testing.T, prefix string) *fakeGitHub {
	f := &fakeGitHub{
		t: t, prefix: prefix, tokenTTL: time.Hour,
		tokens: map[string]int64{}, issued: map[int64][]string{},
		handle: func(w http.ResponseWriter, r *http.Request, inst int64) {
			writeJSON(w, map[string]any{"id": 1, "name": "r", "full_name": "o/r"})
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) apiURL() string { return f.srv.URL + f.prefix + "/" }

func (f *fakeGitHub) setHandler(h func(w http.ResponseWriter, r *http.Request, inst int64)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handle = h
}

func (f *fakeGitHub) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

func (f *fakeGitHub) tokensIssued(inst int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.issued[inst]...)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, f.prefix+"/") {
		f.t.Errorf("request outside the API root %q: %s %s", f.prefix, r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, f.prefix)
	if strings.HasPrefix(path, "/app/") || path == "/app" {
		f.serveApp(w, r, path)
		return
	}
	auth := r.Header.Get("Authorization")
	f.mu.Lock()
	inst, ok := f.tokens[strings.TrimPrefix(auth, "token ")]
	if ok {
		f.requests = append(f.requests, seen{r.Method, path, inst, r.Header.Get("If-None-Match")})
	}
	h := f.handle
	f.mu.Unlock()
	if !strings.HasPrefix(auth, "token ") || !ok {
		f.t.Errorf("%s %s: bad installation credentials", r.Method, path)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h(w, r, inst)
}

// serveApp checks the JWT as GitHub would: RS256, signed by the App's key,
// issuer = App id, not expired.
func (f *fakeGitHub) serveApp(w http.ResponseWriter, r *http.Request, path string) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		f.t.Errorf("%s %s: no JWT", r.Method, path)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("alg %v", tok.Header["alg"])
		}
		return &testKey().PublicKey, nil
	})
	if err != nil || claims.Issuer != strconv.Itoa(testAppID) {
		f.t.Errorf("bad JWT (iss %q): %v", claims.Issuer, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwtRequests++
	if path == "/app/installations" && r.Method == http.MethodGet {
		writeJSON(w, []map[string]any{{"id": 1}, {"id": 2}})
		return
	}
	var inst int64
	if _, err := fmt.Sscanf(path, "/app/installations/%d/access_tokens", &inst); err != nil || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if f.tokenFailures > 0 {
		f.tokenFailures--
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	tok := fmt.Sprintf("ghs_secret_inst%d_n%d", inst, len(f.issued[inst])+1)
	f.tokens[tok] = inst
	f.issued[inst] = append(f.issued[inst], tok)
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, map[string]any{"token": tok, "expires_at": time.Now().Add(f.tokenTTL).UTC().Format(time.RFC3339)})
}

func writeJSON(w http.ResponseWriter, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	_ = json.NewEncoder(w).Encode(v)
}

// fakeTime is a clock whose Sleep records the wait and moves the clock on,
// so rate-limit tests never really sleep.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	// Near real time, so go-github's own rate-limit check (which uses the
	// real clock) would fire if the transport let it record a limit.
	return &fakeTime{now: time.Now().Truncate(time.Second)}
}

func (c *fakeTime) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeTime) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestApp builds an App against f with the fake clock and a fixed
// jitter (the full ceiling), logging into logs when it is not nil.
func newTestApp(t *testing.T, f *fakeGitHub, clock *fakeTime, logs *bytes.Buffer, mod func(*Config)) *App {
	t.Helper()
	cfg := Config{
		AppID:      testAppID,
		PrivateKey: pemPKCS1(),
		APIURL:     f.apiURL(),
		Clock:      clock.Now,
		Sleep:      clock.Sleep,
		Jitter:     func(d time.Duration) time.Duration { return d },
	}
	if logs != nil {
		cfg.Logger = zerolog.New(logs).Level(zerolog.DebugLevel)
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
