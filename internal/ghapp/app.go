// Package ghapp is ownerbot's GitHub adapter: it authenticates as the App and
// as its installations, and gives each installation a go-github client whose
// transport retries safe reads, honours rate limits and answers repeated reads
// with conditional requests; it also keeps a bounded cache of bare clones.
//
// Each installation's transport stack, outermost first:
//
//	observe (metrics, logs) → ETag cache → retry, rate limits and write pacing → ghinstallation → base
//
// The ETag cache, the rate-limit state and the write pacing belong to one
// installation; only the base transport (connections) is shared. Writes are never retried by
// the transport; see Upsert for how callers repeat them safely.
package ghapp

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultAPIURL      = "https://api.github.com/"
	DefaultUserAgent   = "ownerbot"
	DefaultETagEntries = 20000
	DefaultETagBytes   = 32 << 20
	DefaultMaxRetries  = 3
	DefaultMaxWait     = 60 * time.Second
)

// Config configures an App. Only AppID and PrivateKey are required.
type Config struct {
	AppID      int64
	PrivateKey []byte // PEM, PKCS#1 or PKCS#8 RSA

	// APIURL is the REST API root: "https://api.github.com/" (the default) or
	// "https://HOST/api/v3/" for GitHub Enterprise Server. Any other base URL
	// (a test server) is used as is. The trailing slash is optional.
	APIURL string

	// Transport is the base transport shared by every installation so that
	// connections are reused; nil means a tuned clone of http.DefaultTransport.
	Transport http.RoundTripper
	Logger    zerolog.Logger
	UserAgent string // default "ownerbot"

	// ETagEntries and ETagBytes bound the conditional-request cache of each
	// installation (defaults 20,000 and 32 MiB). A sweep needs about four
	// entries per repository to be all 304s the next time.
	ETagEntries int
	ETagBytes   int
	MaxRetries  int           // retries of a read (default 3); negative disables retries
	MaxWait     time.Duration // longest wait for a rate-limit reset or Retry-After (default 60s)

	// Write pacing, per installation, so that a sweep creating hundreds of
	// issues and comments stays under GitHub's secondary limits instead of
	// running into them. Reads and the App's own JWT client are never paced.
	// Pacing waits are not bounded by MaxWait, only by the request context.
	//
	// WriteInterval is the least time between the starts of two mutating
	// requests (POST, PATCH, PUT, DELETE); 0 means DefaultWriteInterval (1s),
	// negative turns it off.
	WriteInterval time.Duration
	// ContentInterval and ContentBurst are a token bucket for requests that
	// create content (POST repos/{o}/{r}/issues and
	// repos/{o}/{r}/issues/{n}/comments): ContentBurst of them at once, then
	// one per ContentInterval. ContentInterval 0 means
	// DefaultContentInterval (7.2s, 500 an hour), negative turns the bucket
	// off; ContentBurst 0 or less means DefaultContentBurst (20).
	ContentInterval time.Duration
	ContentBurst    int

	Clock func() time.Time                                 // nil = time.Now
	Sleep func(ctx context.Context, d time.Duration) error // nil = a ctx-aware timer
	// Jitter returns a random duration in [0, d]; nil = a math/rand PCG
	// seeded per App. Tests inject a fixed function.
	Jitter func(d time.Duration) time.Duration

	Registerer prometheus.Registerer // optional
}

// App is an authenticated GitHub App. It is safe for concurrent use; clients
// and their caches are created lazily, one per installation.
type App struct {
	cfg     Config
	key     *rsa.PrivateKey
	apiURL  *url.URL
	base    http.RoundTripper
	policy  *retryPolicy
	metrics *metrics

	appClient *github.Client
	appETags  *etagCache

	mu            sync.Mutex
	identity      Identity // known once Identity has asked GitHub
	installations map[int64]*installation
	// loaded are conditional-request caches read by LoadETags for
	// installations not used yet.
	loaded map[int64]*etagCache
}

// installation holds everything that belongs to one installation and must
// never be shared with another: its token source, ETag cache and rate state.
type installation struct {
	client *github.Client
	tokens *ghinstallation.Transport
	etags  *etagCache
}

// New validates cfg (the key and the URL) and returns an App. It makes no
// network calls.
func New(cfg Config) (*App, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("ghapp: AppID must be positive")
	}
	key, err := parsePrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("ghapp: private key: %w", err)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	apiURL, err := parseAPIURL(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("ghapp: APIURL: %w", err)
	}
	cfg.APIURL = apiURL.String()
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.ETagEntries <= 0 {
		cfg.ETagEntries = DefaultETagEntries
	}
	if cfg.ETagBytes <= 0 {
		cfg.ETagBytes = DefaultETagBytes
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.WriteInterval == 0 {
		cfg.WriteInterval = DefaultWriteInterval
	}
	if cfg.ContentInterval == 0 {
		cfg.ContentInterval = DefaultContentInterval
	}
	if cfg.ContentBurst <= 0 {
		cfg.ContentBurst = DefaultContentBurst
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	if cfg.Jitter == nil {
		cfg.Jitter = newJitter(cfg.AppID)
	}
	base := cfg.Transport
	if base == nil {
		base = defaultTransport()
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("ghapp: metrics: %w", err)
	}

	a := &App{
		cfg:           cfg,
		key:           key,
		apiURL:        apiURL,
		base:          userAgentTransport{ua: cfg.UserAgent, next: base},
		metrics:       m,
		installations: make(map[int64]*installation),
	}
	a.policy = &retryPolicy{
		maxRetries: cfg.MaxRetries,
		maxWait:    cfg.MaxWait,
		clock:      cfg.Clock,
		sleep:      cfg.Sleep,
		jitter:     cfg.Jitter,
		metrics:    m,
		apiPath:    apiURL.Path,
	}

	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.base, cfg.AppID, key)
	atr.BaseURL = a.tokenBaseURL()
	a.appETags = newETagCache(cfg.ETagEntries, cfg.ETagBytes)
	a.appClient, err = a.newClient(0, atr, a.appETags)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// AppClient returns the client authenticated as the App itself (a JWT), for
// the few endpoints that need it: listing installations and the like.
func (a *App) AppClient() *github.Client { return a.appClient }

// Client returns the installation's client. The same client, with its own
// token, ETag cache and rate-limit state, is returned on every call.
func (a *App) Client(installationID int64) (*github.Client, error) {
	inst, err := a.installation(installationID)
	if err != nil {
		return nil, err
	}
	return inst.client, nil
}

// Token returns a current installation token, for git over HTTPS. The token
// is refreshed a minute before it expires (by ghinstallation, against the
// real clock). Callers must not log it.
func (a *App) Token(ctx context.Context, installationID int64) (string, error) {
	inst, err := a.installation(installationID)
	if err != nil {
		return "", err
	}
	tok, err := inst.tokens.Token(ctx)
	if err != nil {
		closeHTTPErrorBody(err)
		return "", fmt.Errorf("ghapp: installation %d: token: %w", installationID, err)
	}
	return tok, nil
}

func (a *App) installation(id int64) (*installation, error) {
	if id <= 0 {
		return nil, fmt.Errorf("ghapp: invalid installation id %d", id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if inst, ok := a.installations[id]; ok {
		return inst, nil
	}
	// Each installation gets its own AppsTransport: ghinstallation writes
	// to the AppsTransport while refreshing a token, so sharing one would
	// race between installations.
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.base, a.cfg.AppID, a.key)
	atr.BaseURL = a.tokenBaseURL()
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	itr.BaseURL = a.tokenBaseURL()
	etags := a.loaded[id]
	if etags == nil {
		etags = newETagCache(a.cfg.ETagEntries, a.cfg.ETagBytes)
	}
	delete(a.loaded, id)
	client, err := a.newClient(id, itr, etags)
	if err != nil {
		return nil, err
	}
	inst := &installation{client: client, tokens: itr, etags: etags}
	a.installations[id] = inst
	return inst, nil
}

// newClient builds the transport stack for one identity (installation id, or
// 0 for the App) around auth, outermost first: observe → ETag → retry → auth.
// Only installations pace their writes.
func (a *App) newClient(id int64, auth http.RoundTripper, etags *etagCache) (*github.Client, error) {
	logger := a.cfg.Logger.With().Int64("installation", id).Logger()
	var pace *pacer
	if id != 0 {
		pace = newPacer(a.cfg.WriteInterval, a.cfg.ContentInterval, a.cfg.ContentBurst)
	}
	var rt http.RoundTripper = &retryTransport{
		next:           auth,
		policy:         a.policy,
		limits:         newRateLimits(),
		pacer:          pace,
		installationID: id,
		logger:         logger,
	}
	rt = &etagTransport{next: rt, cache: etags, metrics: a.metrics, apiPath: a.apiURL.Path}
	rt = &observeTransport{next: rt, metrics: a.metrics, clock: a.cfg.Clock, logger: logger, apiPath: a.apiURL.Path, installationID: id}

	c := github.NewClient(&http.Client{Transport: rt})
	c.UserAgent = a.cfg.UserAgent
	if strings.HasSuffix(a.apiURL.Path, "/api/v3/") {
		upload := *a.apiURL
		upload.Path = strings.TrimSuffix(upload.Path, "v3/") + "uploads/"
		ec, err := c.WithEnterpriseURLs(a.apiURL.String(), upload.String())
		if err != nil {
			return nil, fmt.Errorf("ghapp: enterprise URLs: %w", err)
		}
		return ec, nil
	}
	base := *a.apiURL
	c.BaseURL = &base
	if base.Host != "api.github.com" {
		upload := base
		c.UploadURL = &upload
	}
	return c, nil
}

// tokenBaseURL is the API root in the form ghinstallation wants: it appends
// "/app/installations/…" itself, so no trailing slash.
func (a *App) tokenBaseURL() string {
	return strings.TrimSuffix(a.apiURL.String(), "/")
}

func parsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		// The parser's error never contains key material.
		return nil, fmt.Errorf("neither PKCS#1 nor PKCS#8: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("want an RSA key, got %T", k)
	}
	return rk, nil
}

func parseAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q: want https or http", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	if u.User != nil {
		return nil, errors.New("credentials in the URL are not allowed")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("query or fragment not allowed")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

// defaultTransport is http.DefaultTransport with more idle connections per
// host: nearly every request goes to one API host.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 32
	t.ResponseHeaderTimeout = 60 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// userAgentTransport names the bot on requests that go-github did not build
// (ghinstallation's token refreshes), as GitHub asks every client to.
type userAgentTransport struct {
	ua   string
	next http.RoundTripper
}

func (t userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.ua)
	}
	return t.next.RoundTrip(req)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newJitter returns a concurrency-safe source of random durations, seeded per
// App so that replicas do not retry in lockstep.
func newJitter(appID int64) func(time.Duration) time.Duration {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(appID)))
	return func(d time.Duration) time.Duration {
		if d <= 0 {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(r.Int64N(int64(d) + 1))
	}
}

// closeHTTPErrorBody closes the response body ghinstallation leaves open when
// a token request gets a non-2xx status.
func closeHTTPErrorBody(err error) {
	var herr *ghinstallation.HTTPError
	if errors.As(err, &herr) && herr.Response != nil && herr.Response.Body != nil {
		_ = herr.Response.Body.Close()
	}
}
