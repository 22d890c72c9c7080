package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/deploy"
	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/settings"
)

// runDoctor checks a deployment end to end, from the environment serve
// reads to what GitHub says about the App and its installations, and prints
// one line per finding. It writes nothing to GitHub.
func runDoctor(ctx context.Context, stdio IO, build Build, args []string) error {
	fs := newFlags("doctor", "doctor [--format text|json] [--for serve|sweep] [--installations N] [--timeout D]   (reads the OWNERBOT_* environment, as serve does)", stdio.Stdout)
	format := fs.String("format", "text", "text (one line per check) or json")
	role := fs.String("for", "serve", "check what serve needs, or what a sweep CronJob needs (no webhook secret, no schedule)")
	maxInstallations := fs.Int("installations", 20, "mint a token for at most this many installations")
	timeout := fs.Duration("timeout", 15*time.Second, "how long to wait for each answer from GitHub")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("doctor takes no arguments, got %q", rest[0])
	}
	if err := oneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	if err := oneOf("for", *role, "serve", "sweep"); err != nil {
		return err
	}
	if *maxInstallations < 1 {
		return usagef("--installations must be at least 1, not %d", *maxInstallations)
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive, not %s", *timeout)
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	results := diagnose(ctx, doctorConfig{
		Getenv: getenv, ReadFile: os.ReadFile, For: *role,
		MaxInstallations: *maxInstallations, Timeout: *timeout,
		UserAgent: "ownerbot/" + build.Version,
	})
	if *format == "json" {
		err = writeDoctorJSON(stdio.Stdout, results)
	} else {
		err = writeDoctorText(stdio.Stdout, results)
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Status == statusFail {
			return &exitError{ExitFindings}
		}
	}
	return nil
}

// doctorConfig is what diagnose reads; the zero values of the optional
// fields are the real environment.
type doctorConfig struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	// For is "serve" or "sweep": whose settings to read.
	For              string
	MaxInstallations int
	// Timeout bounds each request to GitHub.
	Timeout   time.Duration
	UserAgent string

	Now       func() time.Time  // nil: time.Now
	Transport http.RoundTripper // nil: a clone of http.DefaultTransport
	// FreeSpace returns the bytes free for dir's file system; nil: statfs.
	FreeSpace func(dir string) (int64, error)
}

// checkStatus is the outcome of one check.
type checkStatus string

const (
	statusOK   checkStatus = "ok"
	statusWarn checkStatus = "warn"
	statusFail checkStatus = "fail"
	// statusSkip: the check could not run, for the reason given.
	statusSkip checkStatus = "skip"
)

// A checkResult is one line of the report. A check may give several.
type checkResult struct {
	Check   string      `json:"check"`
	Status  checkStatus `json:"status"`
	Message string      `json:"message"`
}

// The checks, in the order they run and print: local ones first, then
// GitHub, from "does it answer" to "does each installation work".
const (
	chkSettings       = "settings"
	chkKey            = "private-key"
	chkSecret         = "webhook-secret"
	chkCache          = "cache-dir"
	chkSchedule       = "sweep-schedule"
	chkAPI            = "api-url"
	chkClock          = "clock"
	chkJWT            = "app-jwt"
	chkAppID          = "app-id"
	chkAppPermissions = "app-permissions"
	chkAppEvents      = "app-events"
	chkHook           = "webhook-config"
	chkInstallations  = "installations"
	chkInstPerms      = "installation-permissions"
	chkTokens         = "installation-tokens"
)

// GitHub allows a little clock skew, not much: ghinstallation dates each
// JWT 30 seconds back and lets it expire two minutes later, so a clock more
// than 30s ahead of GitHub's or 90s behind it makes every JWT fail.
const (
	jwtBackdate  = 30 * time.Second
	jwtLifetime  = 2 * time.Minute
	skewTolerant = 10 * time.Second
	// minSecretBytes is the shortest webhook secret not worth a warning.
	minSecretBytes = 16
)

// doctor runs the checks and keeps what earlier ones learnt for later ones.
type doctor struct {
	cfg     doctorConfig
	results []checkResult
	set     settings.Server
	needs   manifestNeeds

	key         *rsa.PrivateKey
	fingerprint string
	base        http.RoundTripper
	// offline, when set, is why the checks that need GitHub cannot run.
	offline  string
	clockBad bool
	app      *ghapp.App
	info     *appInfo
}

// diagnose runs every check that can run and returns the report.
func diagnose(ctx context.Context, cfg doctorConfig) []checkResult {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FreeSpace == nil {
		cfg.FreeSpace = freeSpace
	}
	if cfg.ReadFile == nil {
		cfg.ReadFile = os.ReadFile
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxInstallations <= 0 {
		cfg.MaxInstallations = 20
	}
	d := &doctor{cfg: cfg, base: cfg.Transport}
	if d.base == nil {
		d.base = http.DefaultTransport.(*http.Transport).Clone()
	}
	needs, err := parseManifestNeeds(deploy.AppManifest)
	if err != nil {
		// Only a broken build gets here: the manifest is embedded.
		d.add(chkSettings, statusFail, "the embedded deploy/app.yml: %v", err)
	}
	d.needs = needs

	d.checkSettings()
	d.checkKey()
	d.checkSecret()
	d.checkCacheDir()
	d.checkSchedule()
	d.checkAPI(ctx)
	d.checkApp(ctx)
	d.checkHookConfig(ctx)
	d.checkInstallations(ctx)
	return d.results
}

// add records one line; a message is always one line.
func (d *doctor) add(check string, status checkStatus, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = strings.Join(strings.Fields(msg), " ")
	d.results = append(d.results, checkResult{Check: check, Status: status, Message: msg})
}

func (d *doctor) skip(reason string, checks ...string) {
	for _, c := range checks {
		d.add(c, statusSkip, "%s", reason)
	}
}

func (d *doctor) checkSettings() {
	read := settings.ServerFromEnv
	if d.cfg.For == "sweep" {
		read = settings.SweepFromEnv
	}
	s, err := read(d.cfg.Getenv, d.cfg.ReadFile)
	d.set = s
	if err == nil {
		d.add(chkSettings, statusOK, "every OWNERBOT_* variable %s reads parses", d.cfg.For)
		return
	}
	// settings reports one problem per joined error, each naming its
	// variable and never quoting a secret.
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		d.add(chkSettings, statusFail, "%s", e.Error())
	}
}

func (d *doctor) checkKey() {
	if len(d.set.PrivateKey) == 0 {
		d.skip("no private key to check (see settings)", chkKey)
		return
	}
	if block, _ := pem.Decode(d.set.PrivateKey); block == nil {
		// settings has said so: "not in PEM form".
		d.skip("the private key is not PEM (see settings)", chkKey)
		return
	}
	key, kind, err := inspectKey(d.set.PrivateKey)
	if err != nil {
		d.add(chkKey, statusFail, "%v", err)
		return
	}
	d.key = key
	d.fingerprint, _ = keyFingerprint(&key.PublicKey)
	d.add(chkKey, statusOK, "RSA %d-bit private key (%s), fingerprint %s: the App's settings list the fingerprint of each key it accepts, under \"Private keys\"",
		key.N.BitLen(), kind, d.fingerprint)
}

// inspectKey parses the App's key as ghapp does, and says in one line what
// is wrong with a key GitHub cannot use. It never quotes the key.
func inspectKey(data []byte) (*rsa.PrivateKey, string, error) {
	const fix = "download a new private key from the App's settings (\"Private keys\") and use the .pem file as it is"
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", fmt.Errorf("no PEM block in the private key: %s", fix)
	}
	if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
		return nil, "", fmt.Errorf("the private key is encrypted with a passphrase, which ownerbot cannot enter: %s", fix)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, "", fmt.Errorf("the RSA PRIVATE KEY block does not parse (%v): the file is damaged or cut short; %s", err, fix)
		}
		return checkRSA(key, "PKCS#1", fix)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, "", fmt.Errorf("the PRIVATE KEY block does not parse (%v): the file is damaged or cut short; %s", err, fix)
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, "", fmt.Errorf("the private key is %s, but GitHub App keys are RSA: %s", keyKind(k), fix)
		}
		return checkRSA(key, "PKCS#8", fix)
	case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, "", fmt.Errorf("the private key is an %s, but GitHub App keys are RSA: %s", strings.TrimSuffix(block.Type, " PRIVATE KEY")+" key", fix)
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, "", fmt.Errorf("the PEM block is a %s, not a private key: %s", strings.ToLower(block.Type), fix)
	default:
		return nil, "", fmt.Errorf("the PEM block is %q, not an RSA private key: %s", block.Type, fix)
	}
}

func checkRSA(key *rsa.PrivateKey, kind, fix string) (*rsa.PrivateKey, string, error) {
	if err := key.Validate(); err != nil {
		return nil, "", fmt.Errorf("the RSA key is inconsistent (%v): %s", err, fix)
	}
	return key, kind, nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "an ECDSA key"
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	default:
		return fmt.Sprintf("a %T", k)
	}
}

// keyFingerprint is the key's fingerprint as GitHub shows it under
// "Private keys": SHA-256 of the public key in DER, in base64.
func keyFingerprint(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.StdEncoding.EncodeToString(sum[:]), nil
}

func (d *doctor) checkSecret() {
	secrets := d.set.WebhookSecrets
	if len(secrets) == 0 {
		if d.cfg.For == "sweep" {
			d.skip("a sweep receives no webhooks and needs no secret", chkSecret)
		} else {
			d.skip("no secret to check (see settings)", chkSecret)
		}
		return
	}
	fine := true
	for i, s := range secrets {
		if len(s) >= minSecretBytes {
			continue
		}
		fine = false
		which := "the secret"
		if len(secrets) > 1 {
			which = fmt.Sprintf("secret %d of %d", i+1, len(secrets))
		}
		d.add(chkSecret, statusWarn, "%s is %d bytes, short enough to guess: use at least %d random bytes (openssl rand -hex 32), set in the App's settings and here",
			which, len(s), minSecretBytes)
	}
	switch {
	case len(secrets) == 2 && string(secrets[0]) == string(secrets[1]):
		fine = false
		d.add(chkSecret, statusWarn, "both secrets are the same: during a rotation, give the new secret and the old one")
	case len(secrets) > 2:
		fine = false
		d.add(chkSecret, statusWarn, "%d secrets are accepted: a rotation needs two, the new one and the old one; remove the others", len(secrets))
	}
	if !fine {
		return
	}
	if len(secrets) == 1 {
		d.add(chkSecret, statusOK, "one secret of %d bytes", len(secrets[0]))
		return
	}
	d.add(chkSecret, statusOK, "two distinct secrets, %d and %d bytes: a rotation; remove the old one once GitHub signs with the new one",
		len(secrets[0]), len(secrets[1]))
}

func (d *doctor) checkCacheDir() {
	dir := d.set.CacheDir
	info, err := os.Stat(dir)
	existed := err == nil
	switch {
	case err == nil && !info.IsDir():
		d.add(chkCache, statusFail, "%s exists but is not a directory: point OWNERBOT_CACHE_DIR at a directory, such as a mounted volume", dir)
		return
	case errors.Is(err, syscall.ENOTDIR):
		d.add(chkCache, statusFail, "%s cannot be created: part of its path is a file, not a directory; point OWNERBOT_CACHE_DIR at a directory, such as a mounted volume", dir)
		return
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		d.add(chkCache, statusFail, "%s: %v: serve and sweep keep clones there; mount a readable, writable volume or set OWNERBOT_CACHE_DIR", dir, unwrapPath(err))
		return
	case err != nil:
		// serve creates the directory; so may doctor, to see that it
		// can, but it leaves nothing behind.
		created, err := createDirs(dir)
		defer func() {
			for _, p := range created {
				os.Remove(p)
			}
		}()
		if err != nil {
			d.add(chkCache, statusFail, "%s does not exist and cannot be created (%v): mount a writable volume there or set OWNERBOT_CACHE_DIR", dir, unwrapPath(err))
			return
		}
	}
	f, err := os.CreateTemp(dir, ".ownerbot-doctor-*")
	if err == nil {
		_, err = f.Write([]byte("ownerbot doctor\n"))
		err = errors.Join(err, f.Close())
		err = errors.Join(err, os.Remove(f.Name()))
	}
	if err != nil {
		d.add(chkCache, statusFail, "cannot write in %s (%v): serve and sweep keep clones there; mount a writable volume (the Helm chart's cache volume) or set OWNERBOT_CACHE_DIR", dir, unwrapPath(err))
		return
	}
	state := "is writable"
	if !existed {
		state = "does not exist yet, but can be created (serve creates it)"
	}
	used := cacheUsage(dir)
	bound := d.set.CacheMaxBytes
	free, err := d.cfg.FreeSpace(dir)
	if err != nil {
		d.add(chkCache, statusOK, "%s %s (free space unknown: %v); the cache uses %s of its %s bound", dir, state, err, formatBytes(used), formatBytes(bound))
		return
	}
	if used+free < bound {
		d.add(chkCache, statusWarn, "%s %s, but has %s free and the cache uses %s, while OWNERBOT_CACHE_MAX_MB lets it grow to %s: enlarge the volume or lower OWNERBOT_CACHE_MAX_MB",
			dir, state, formatBytes(free), formatBytes(used), formatBytes(bound))
		return
	}
	d.add(chkCache, statusOK, "%s %s: %s free, the cache uses %s of its %s bound", dir, state, formatBytes(free), formatBytes(used), formatBytes(bound))
}

// createDirs makes dir and its missing parents and returns those it made,
// deepest first, so they can be removed again.
func createDirs(dir string) ([]string, error) {
	var missing []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		// Remove only what was made before the failure.
		var made []string
		for _, p := range missing {
			if _, err := os.Lstat(p); err == nil {
				made = append(made, p)
			}
		}
		return made, err
	}
	return missing, nil
}

// unwrapPath drops the path from a *fs.PathError whose message already
// names the directory.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// cacheUsage is the bytes of regular files under dir, as the clone cache
// counts them; unreadable parts count as nothing.
func cacheUsage(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func (d *doctor) checkSchedule() {
	if d.cfg.For == "sweep" {
		d.skip("a sweep CronJob runs when its own schedule says; OWNERBOT_SWEEP_SCHEDULE is serve's", chkSchedule)
		return
	}
	spec := strings.TrimSpace(d.cfg.Getenv("OWNERBOT_SWEEP_SCHEDULE"))
	tz := strings.TrimSpace(d.cfg.Getenv("OWNERBOT_SWEEP_TZ"))
	switch {
	case spec != "" && d.set.SweepSchedule == "", tz != "" && d.set.SweepTimeZone.String() != tz:
		d.skip("the schedule or its time zone did not parse (see settings)", chkSchedule)
		return
	case spec == "":
		d.add(chkSchedule, statusOK, "off: serve sweeps nothing by itself; run `ownerbot sweep` from a CronJob, or set OWNERBOT_SWEEP_SCHEDULE (such as @daily)")
		return
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		d.add(chkSchedule, statusFail, "OWNERBOT_SWEEP_SCHEDULE %q: %v", spec, err)
		return
	}
	now := d.cfg.Now().In(d.set.SweepTimeZone)
	next := sched.Next(now)
	d.add(chkSchedule, statusOK, "%q in %s: the next sweep starts %s (in %s)",
		spec, d.set.SweepTimeZone, next.Format("2006-01-02 15:04 MST"), strings.TrimSuffix(next.Sub(now).Round(time.Minute).String(), "0s"))
}

// checkAPI asks the API root for something every GitHub answers without
// credentials, and reads its clock from the answer.
func (d *doctor) checkAPI(ctx context.Context) {
	d.offline = "GitHub did not answer (see api-url)"
	api, err := url.Parse(d.set.APIURL)
	if err != nil || (api.Scheme != "https" && api.Scheme != "http") || api.Host == "" {
		d.add(chkAPI, statusFail, "OWNERBOT_GITHUB_API_URL %q is not an http(s) URL: use https://api.github.com/, or https://HOST/api/v3/ for GitHub Enterprise Server", d.set.APIURL)
		d.offline = "the API URL is not usable (see api-url)"
		d.skip(d.offline, chkClock)
		return
	}
	if h := strings.ToLower(api.Hostname()); h == "github.com" || h == "www.github.com" {
		d.add(chkAPI, statusFail, "%s is GitHub's website, not its API: set OWNERBOT_GITHUB_API_URL to https://api.github.com/ (or leave it unset)", d.set.APIURL)
		d.offline = "the API URL is not usable (see api-url)"
		d.skip(d.offline, chkClock)
		return
	}
	if !strings.HasSuffix(api.Path, "/") {
		api.Path += "/"
	}
	probe := api.JoinPath("rate_limit")
	rctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, probe.String(), nil)
	if err != nil {
		d.add(chkAPI, statusFail, "OWNERBOT_GITHUB_API_URL %q: %v", d.set.APIURL, err)
		d.skip(d.offline, chkClock)
		return
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("User-Agent", d.cfg.UserAgent)
	sent := d.cfg.Now()
	resp, err := (&http.Client{Transport: d.base}).Do(req)
	received := d.cfg.Now()
	if err != nil {
		if rctx.Err() != nil {
			d.add(chkAPI, statusFail, "%s gave no answer within %s: check the address, DNS, the proxy (HTTPS_PROXY) and that the network policy lets this pod reach it; for github.com, see https://www.githubstatus.com", api, d.cfg.Timeout)
		} else {
			d.add(chkAPI, statusFail, "%s does not answer (%v): check the address, DNS, the proxy (HTTPS_PROXY) and that the network policy lets this pod reach it", api, netCause(err))
		}
		d.skip(d.offline, chkClock)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode >= 500:
		d.add(chkAPI, statusFail, "%s answered %s: GitHub, or a proxy in front of it, is failing; try again later (for github.com, see https://www.githubstatus.com)", api, resp.Status)
		d.skip(d.offline, chkClock)
		return
	case media != "application/json":
		d.add(chkAPI, statusFail, "%s answered %d with %q, not GitHub's REST API: for GitHub Enterprise Server the API URL is https://HOST/api/v3/", api, resp.StatusCode, media)
		d.skip(d.offline, chkClock)
		return
	}
	d.offline = ""
	kind := "github.com"
	if v := resp.Header.Get("X-GitHub-Enterprise-Version"); v != "" {
		kind = "GitHub Enterprise Server " + v
	} else if api.Hostname() != "api.github.com" {
		kind = "GitHub Enterprise"
	}
	if api.Scheme == "http" && !isLoopback(api.Hostname()) {
		d.add(chkAPI, statusWarn, "%s answers as GitHub's REST API (%s), but over plain http: the App's JWTs and tokens cross the network readable; use https", api, kind)
	} else {
		d.add(chkAPI, statusOK, "%s answers as GitHub's REST API (%s)", api, kind)
	}
	d.checkClock(resp.Header.Get("Date"), sent, received)
}

func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkClock compares the local clock with GitHub's Date header, taken
// between sending the request and reading the answer.
func (d *doctor) checkClock(date string, sent, received time.Time) {
	if date == "" {
		d.skip("GitHub's answer had no Date header to compare the local clock with", chkClock)
		return
	}
	theirs, err := http.ParseTime(date)
	if err != nil {
		d.skip(fmt.Sprintf("GitHub's Date header %q does not parse", date), chkClock)
		return
	}
	local := sent.Add(received.Sub(sent) / 2)
	skew := local.Sub(theirs) // positive: the local clock is ahead
	off := func(d time.Duration) string {
		if d < 0 {
			return d.Abs().Round(time.Second).String() + " behind"
		}
		return d.Round(time.Second).String() + " ahead of"
	}
	switch {
	case skew > jwtBackdate:
		d.clockBad = true
		d.add(chkClock, statusFail, "the local clock is %s GitHub's: GitHub refuses a JWT issued in its future, and ownerbot dates them only %s back; sync the node's clock (NTP)", off(skew), jwtBackdate)
	case skew < -(jwtLifetime - jwtBackdate):
		d.clockBad = true
		d.add(chkClock, statusFail, "the local clock is %s GitHub's: each JWT has expired by GitHub's clock before it arrives; sync the node's clock (NTP)", off(skew))
	case skew.Abs() > skewTolerant:
		d.add(chkClock, statusWarn, "the local clock is %s GitHub's: JWTs still work, but fail from %s ahead or %s behind; sync the node's clock (NTP)",
			off(skew), jwtBackdate, jwtLifetime-jwtBackdate)
	default:
		d.add(chkClock, statusOK, "the local clock agrees with GitHub's Date header to within %s", skewTolerant)
	}
}

// appInfo is GET /app, with permissions as GitHub names them (go-github's
// struct would drop those it does not know).
type appInfo struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	HTMLURL string `json:"html_url"`
	Owner   *struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"owner"`
	Permissions map[string]string `json:"permissions"`
	Events      []string          `json:"events"`
}

var appChecks = []string{chkJWT, chkAppID, chkAppPermissions, chkAppEvents, chkHook, chkInstallations, chkInstPerms, chkTokens}

func (d *doctor) checkApp(ctx context.Context) {
	if d.offline != "" {
		d.skip(d.offline, appChecks...)
		return
	}
	if d.set.AppID <= 0 || d.key == nil {
		d.offline = "needs OWNERBOT_APP_ID and a usable private key (see settings and private-key)"
		d.skip(d.offline, appChecks...)
		return
	}
	app, err := ghapp.New(ghapp.Config{
		AppID: d.set.AppID, PrivateKey: d.set.PrivateKey, APIURL: d.set.APIURL,
		Transport: d.base, Logger: zerolog.Nop(), UserAgent: d.cfg.UserAgent,
		// A report, not a service: say what GitHub answered the first
		// time, and never wait long for a rate limit.
		MaxRetries: -1, MaxWait: time.Second,
	})
	if err != nil {
		d.add(chkJWT, statusFail, "%v", err)
		d.offline = "the App could not be set up (see app-jwt)"
		d.skip(d.offline, appChecks[1:]...)
		return
	}
	d.app = app
	client := app.AppClient()
	var info appInfo
	err = d.call(ctx, func(ctx context.Context) error {
		req, err := client.NewRequest(http.MethodGet, "app", nil)
		if err != nil {
			return err
		}
		_, err = client.Do(ctx, req, &info)
		return err
	})
	if err != nil {
		d.add(chkJWT, statusFail, "%s", d.jwtAdvice(err))
		d.offline = "GET /app failed (see app-jwt)"
		if status, _ := githubError(err); status == http.StatusUnauthorized {
			d.offline = "GitHub did not accept the App's JWT (see app-jwt)"
		}
		d.skip(d.offline, appChecks[1:]...)
		return
	}
	d.info = &info
	d.add(chkJWT, statusOK, "GitHub accepted a JWT signed with the key for App %d", d.set.AppID)
	if info.ID != d.set.AppID {
		d.add(chkAppID, statusFail, "GitHub says the JWT is App %d, not OWNERBOT_APP_ID %d: set OWNERBOT_APP_ID to the id on the App's settings page", info.ID, d.set.AppID)
	} else {
		d.add(chkAppID, statusOK, "App %d is %q (%s)", info.ID, info.Name, orDash(info.HTMLURL))
	}
	d.checkAppPermissions(info)
	d.checkAppEvents(info)
}

// call runs one request to GitHub within the per-request timeout.
func (d *doctor) call(ctx context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	err := do(ctx)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("no answer within %s", d.cfg.Timeout)
	}
	return err
}

// jwtAdvice says why GitHub may have refused the App's JWT, most likely
// cause first.
func (d *doctor) jwtAdvice(err error) string {
	status, msg := githubError(err)
	switch {
	case status >= 500:
		return fmt.Sprintf("GET /app with the App's JWT failed: %s: GitHub is failing; try again later", describe(err))
	case status != http.StatusUnauthorized:
		return fmt.Sprintf("GET /app with the App's JWT failed: %s", describe(err))
	}
	if d.clockBad {
		return fmt.Sprintf("GitHub refused the App's JWT (401 %s): the local clock is off (see clock); fix it first", msg)
	}
	return fmt.Sprintf("GitHub refused the App's JWT (401 %s): either OWNERBOT_APP_ID %d is not the App this key belongs to (the App id is on the App's settings page), or the key is not one of that App's: compare %s with the fingerprints under \"Private keys\" there; a deleted key stops working",
		msg, d.set.AppID, d.fingerprint)
}

// githubError is the status and message of GitHub's answer, if err is one.
func githubError(err error) (int, string) {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode, er.Message
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return he.Response.StatusCode, http.StatusText(he.Response.StatusCode)
	}
	return 0, ""
}

// describe is err in one short line: GitHub's status and message, or the
// network's complaint, without the URL go-github puts first.
func describe(err error) string {
	if status, msg := githubError(err); status != 0 {
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Sprintf("%d %s", status, msg)
	}
	return netCause(err).Error()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// where says where in GitHub's web pages to change the App's permissions
// and events: the exact page when GitHub said who owns the App.
func (d *doctor) where() string {
	info := d.info
	u, err := url.Parse(info.HTMLURL)
	if info.Owner == nil || info.Owner.Login == "" || info.Slug == "" || err != nil || u.Host == "" {
		return "in the App's settings, Permissions & events"
	}
	page := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/settings/apps/" + info.Slug + "/permissions"}
	if info.Owner.Type == "Organization" {
		page.Path = "/organizations/" + info.Owner.Login + page.Path
	}
	return "at " + page.String()
}

func (d *doctor) checkAppPermissions(info appInfo) {
	gaps := comparePermissions(d.needs.Permissions, info.Permissions)
	fine := true
	for _, g := range gaps {
		label := d.needs.label(g.Name)
		switch {
		case g.Have == "":
			fine = false
			d.add(chkAppPermissions, statusFail, "the App lacks %s: %s, which deploy/app.yml asks for%s: %s, set %s to %s; each installation's owner then accepts it",
				g.Name, g.Want, because(d.needs.why[g.Name]), d.where(), label, levelLabel(g.Want))
		case g.Want == "":
			fine = false
			d.add(chkAppPermissions, statusWarn, "the App has %s: %s, which ownerbot does not use: %s, set %s to No access (least privilege)",
				g.Name, g.Have, d.where(), label)
		case levelRank(g.Have) < levelRank(g.Want):
			fine = false
			d.add(chkAppPermissions, statusFail, "the App has %s: %s, but deploy/app.yml asks for %s%s: %s, set %s to %s; each installation's owner then accepts it",
				g.Name, g.Have, g.Want, because(d.needs.why[g.Name]), d.where(), label, levelLabel(g.Want))
		default:
			fine = false
			d.add(chkAppPermissions, statusWarn, "the App has %s: %s, but ownerbot needs only %s: %s, lower %s to %s (least privilege)",
				g.Name, g.Have, g.Want, d.where(), label, levelLabel(g.Want))
		}
	}
	if fine {
		d.add(chkAppPermissions, statusOK, "the App has the %d permissions deploy/app.yml asks for, and no more", len(d.needs.Permissions))
	}
}

// because is the reason deploy/app.yml gives, in parentheses, if any.
func because(why string) string {
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

// alwaysSent are events GitHub delivers to every App, subscribed or not.
var alwaysSent = map[string]bool{"installation": true, "installation_repositories": true, "github_app_authorization": true}

func (d *doctor) checkAppEvents(info appInfo) {
	fine := true
	for _, e := range d.needs.Events {
		if !slices.Contains(info.Events, e) {
			fine = false
			d.add(chkAppEvents, statusFail, "the App does not subscribe to %s events%s: %s, under Subscribe to events, tick %q; each installation's owner then accepts it",
				e, because(d.needs.why["event:"+e]), d.where(), displayName(e))
		}
	}
	extra := slices.Clone(info.Events)
	sort.Strings(extra)
	for _, e := range extra {
		if !slices.Contains(d.needs.Events, e) && !alwaysSent[e] {
			fine = false
			d.add(chkAppEvents, statusWarn, "the App subscribes to %s events, which ownerbot ignores: %s, untick %q (each delivery is work for nothing)", e, d.where(), displayName(e))
		}
	}
	if fine {
		d.add(chkAppEvents, statusOK, "the App subscribes to the %d events deploy/app.yml lists, and no more", len(d.needs.Events))
	}
}

func (d *doctor) checkHookConfig(ctx context.Context) {
	if d.info == nil {
		return // skipped with the App's checks
	}
	var hook *github.HookConfig
	err := d.call(ctx, func(ctx context.Context) error {
		var err error
		hook, _, err = d.app.AppClient().Apps.GetHookConfig(ctx)
		return err
	})
	if status, _ := githubError(err); status == http.StatusNotFound {
		d.skip("GitHub does not serve GET /app/hook/config here (404): check the webhook URL, its secret and SSL verification in the App's settings yourself", chkHook)
		return
	}
	if err != nil {
		d.add(chkHook, statusWarn, "could not read the App's webhook configuration (%s): check the webhook URL and secret in the App's settings yourself", describe(err))
		return
	}
	for _, r := range hookFindings(hook) {
		d.add(chkHook, r.Status, "%s", r.Message)
	}
}

// hookFindings judges the App's webhook configuration from serve's side:
// serve takes signed JSON deliveries at /webhook.
func hookFindings(h *github.HookConfig) []checkResult {
	var out []checkResult
	add := func(s checkStatus, format string, args ...any) {
		out = append(out, checkResult{Check: chkHook, Status: s, Message: fmt.Sprintf(format, args...)})
	}
	raw := h.GetURL()
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		add(statusFail, "the App has no webhook URL, so GitHub sends serve nothing: in the App's settings, set the webhook URL to https://HOST/webhook, where serve listens, and tick Active")
	case err != nil || u.Host == "":
		add(statusFail, "the App's webhook URL %q is not a URL: set it to https://HOST/webhook, where serve listens", raw)
	default:
		if u.Scheme != "https" {
			add(statusWarn, "GitHub delivers to %s over plain http: anyone on the way can read the deliveries; serve it behind https", raw)
		}
		if !strings.HasSuffix(u.Path, "/webhook") {
			add(statusWarn, "GitHub delivers to %s, but serve takes deliveries at /webhook: unless a proxy rewrites the path, set the URL to end in /webhook", raw)
		}
	}
	if ct := h.GetContentType(); ct != "" && ct != "json" {
		add(statusFail, "GitHub sends the deliveries as %q, but serve reads JSON: set the content type to json (PATCH /app/hook/config with {\"content_type\": \"json\"})", ct)
	}
	if h.GetInsecureSSL() == "1" {
		add(statusWarn, "GitHub does not verify the TLS certificate of %s: enable SSL verification in the App's settings", raw)
	}
	if h.GetSecret() == "" {
		add(statusFail, "the App's webhook has no secret, so GitHub signs nothing and serve refuses every delivery: set the App's webhook secret to the value of OWNERBOT_WEBHOOK_SECRET")
	}
	if len(out) == 0 {
		add(statusOK, "GitHub delivers signed JSON to %s, and verifies its certificate", raw)
	}
	return out
}

// installationInfo is one element of GET /app/installations.
type installationInfo struct {
	ID      int64 `json:"id"`
	Account struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"account"`
	HTMLURL             string            `json:"html_url"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
	Events              []string          `json:"events"`
	SuspendedAt         *time.Time        `json:"suspended_at"`
}

func (in installationInfo) String() string {
	return fmt.Sprintf("installation %d on %s", in.ID, in.Account.Login)
}

func (d *doctor) checkInstallations(ctx context.Context) {
	if d.info == nil {
		return // skipped with the App's checks
	}
	client := d.app.AppClient()
	var all []installationInfo
	for page := 1; page != 0; {
		var batch []installationInfo
		var resp *github.Response
		err := d.call(ctx, func(ctx context.Context) error {
			req, err := client.NewRequest(http.MethodGet, fmt.Sprintf("app/installations?per_page=100&page=%d", page), nil)
			if err != nil {
				return err
			}
			resp, err = client.Do(ctx, req, &batch)
			return err
		})
		if err != nil {
			d.add(chkInstallations, statusFail, "could not list the App's installations: %s", describe(err))
			d.skip("the installations are unknown (see installations)", chkInstPerms, chkTokens)
			return
		}
		all = append(all, batch...)
		page = resp.NextPage
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })

	var active []installationInfo
	for _, in := range all {
		if in.SuspendedAt == nil {
			active = append(active, in)
		}
	}
	switch {
	case len(all) == 0:
		d.add(chkInstallations, statusWarn, "the App is not installed anywhere, so ownerbot checks nothing: install it on the organizations it should watch, at %s/installations/new", orDash(d.info.HTMLURL))
	case len(active) > 0:
		var names []string
		for i, in := range active {
			if i == 10 {
				names = append(names, fmt.Sprintf("and %d more", len(active)-10))
				break
			}
			names = append(names, fmt.Sprintf("%s (%d)", in.Account.Login, in.ID))
		}
		d.add(chkInstallations, statusOK, "%d active: %s", len(active), strings.Join(names, ", "))
	}
	for _, in := range all {
		if in.SuspendedAt != nil {
			d.add(chkInstallations, statusWarn, "%s is suspended since %s: GitHub sends no events for it and refuses it tokens; an owner of %s unsuspends it at %s",
				in, in.SuspendedAt.UTC().Format("2006-01-02"), in.Account.Login, orDash(in.HTMLURL))
		}
	}
	if len(active) == 0 {
		d.skip("no active installation", chkInstPerms, chkTokens)
		return
	}
	d.checkInstallationPermissions(active)
	d.checkTokens(ctx, active)
}

// checkInstallationPermissions finds installations that have not accepted
// what the App asks for. What the App itself lacks is app-permissions' and
// app-events' to report.
func (d *doctor) checkInstallationPermissions(active []installationInfo) {
	want := map[string]string{}
	for name, level := range d.needs.Permissions {
		if levelRank(d.info.Permissions[name]) >= levelRank(level) {
			want[name] = level
		}
	}
	var events []string
	for _, e := range d.needs.Events {
		if slices.Contains(d.info.Events, e) {
			events = append(events, e)
		}
	}
	fine := true
	for _, in := range active {
		var missing []string
		for _, g := range comparePermissions(want, in.Permissions) {
			if g.Want != "" && levelRank(g.Have) < levelRank(g.Want) {
				have := g.Have
				if have == "" {
					have = "none"
				}
				missing = append(missing, fmt.Sprintf("%s: %s (has %s)", g.Name, g.Want, have))
			}
		}
		var lacking []string
		for _, e := range events {
			if !slices.Contains(in.Events, e) {
				lacking = append(lacking, e)
			}
		}
		if len(lacking) > 0 {
			missing = append(missing, "the "+strings.Join(lacking, ", ")+" events")
		}
		if len(missing) > 0 {
			fine = false
			d.add(chkInstPerms, statusFail, "%s has not accepted %s: an owner of %s reviews and accepts the App's request at %s",
				in, strings.Join(missing, ", "), in.Account.Login, orDash(in.HTMLURL))
		}
	}
	if fine {
		d.add(chkInstPerms, statusOK, "every active installation granted what the App asks for")
	}
}

// checkTokens mints a token for each of the first installations and uses
// it once, to see that it works and what it can reach.
func (d *doctor) checkTokens(ctx context.Context, active []installationInfo) {
	tried := active
	if len(tried) > d.cfg.MaxInstallations {
		tried = tried[:d.cfg.MaxInstallations]
	}
	failed, repos := 0, 0
	for _, in := range tried {
		err := d.call(ctx, func(ctx context.Context) error {
			_, err := d.app.Token(ctx, in.ID)
			return err
		})
		if err != nil {
			failed++
			d.add(chkTokens, statusFail, "%s: GitHub refused a token (%s): %s", in, describe(err), tokenAdvice(err, in))
			continue
		}
		client, err := d.app.Client(in.ID)
		var list *github.ListRepositories
		var resp *github.Response
		if err == nil {
			err = d.call(ctx, func(ctx context.Context) error {
				var err error
				list, resp, err = client.Apps.ListRepos(ctx, &github.ListOptions{PerPage: 1})
				return err
			})
		}
		if err != nil {
			failed++
			d.add(chkTokens, statusFail, "%s: a token was minted, but GET /installation/repositories with it failed (%s)", in, describe(err))
			continue
		}
		n := list.GetTotalCount()
		repos += n
		if n == 0 {
			d.add(chkTokens, statusWarn, "%s can see no repository: choose the repositories ownerbot should check at %s", in, orDash(in.HTMLURL))
		}
		if r := resp.Rate; r.Limit > 0 && r.Remaining < r.Limit/10 {
			d.add(chkTokens, statusWarn, "%s has %d of %d requests an hour left, until %s: checks and sweeps slow down until then",
				in, r.Remaining, r.Limit, r.Reset.UTC().Format("15:04 MST"))
		}
	}
	rest := len(active) - len(tried)
	switch {
	case failed == 0 && rest == 0:
		d.add(chkTokens, statusOK, "a token for each of the %d active installations works; together they see %d repositories", len(tried), repos)
	case failed == 0:
		d.add(chkTokens, statusOK, "tokens for %d of the %d active installations work, seeing %d repositories; the other %d were not tried (--installations %d)",
			len(tried), len(active), repos, rest, d.cfg.MaxInstallations)
	case rest > 0:
		d.add(chkTokens, statusSkip, "the other %d active installations were not tried (--installations %d)", rest, d.cfg.MaxInstallations)
	}
}

func tokenAdvice(err error, in installationInfo) string {
	status, _ := githubError(err)
	switch {
	case status == http.StatusForbidden:
		return "the installation is suspended or its owner blocked the App; see " + orDash(in.HTMLURL)
	case status == http.StatusNotFound:
		return "the installation was removed; it disappears from the list shortly"
	case status == http.StatusUnauthorized:
		return "the App's JWT was refused (see app-jwt and clock)"
	case status >= 500:
		return "GitHub is failing; try again later"
	default:
		return "try again; if it persists, see GitHub's status page"
	}
}

// manifestNeeds is what deploy/app.yml asks of the App, with the reasons
// written beside each line there.
type manifestNeeds struct {
	Permissions map[string]string
	Events      []string
	// why is the comment beside a permission ("checks") or an event
	// ("event:push"); scope is the heading above a permission
	// ("Repository permissions").
	why   map[string]string
	scope map[string]string
}

// parseManifestNeeds reads default_permissions and default_events, and the
// comments beside them, from the App manifest.
func parseManifestNeeds(data []byte) (manifestNeeds, error) {
	m := manifestNeeds{Permissions: map[string]string{}, why: map[string]string{}, scope: map[string]string{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return m, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return m, errors.New("not a YAML mapping")
	}
	comment := func(n *yaml.Node) string {
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n.LineComment), "#"))
	}
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		key, val := top[i], top[i+1]
		switch key.Value {
		case "default_permissions":
			if val.Kind != yaml.MappingNode {
				return m, fmt.Errorf("line %d: default_permissions is not a mapping", val.Line)
			}
			scope := ""
			for j := 0; j+1 < len(val.Content); j += 2 {
				name, level := val.Content[j], val.Content[j+1]
				if h := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name.HeadComment), "#")); h != "" {
					scope = h
				}
				m.Permissions[name.Value] = level.Value
				m.why[name.Value] = comment(level)
				m.scope[name.Value] = scope
			}
		case "default_events":
			if val.Kind != yaml.SequenceNode {
				return m, fmt.Errorf("line %d: default_events is not a list", val.Line)
			}
			for _, e := range val.Content {
				m.Events = append(m.Events, e.Value)
				m.why["event:"+e.Value] = comment(e)
			}
		}
	}
	if len(m.Permissions) == 0 || len(m.Events) == 0 {
		return m, errors.New("no default_permissions or default_events")
	}
	return m, nil
}

// label is a permission as GitHub's settings page shows it, such as
// "Repository permissions → Pull requests".
func (m manifestNeeds) label(name string) string {
	if s := m.scope[name]; s != "" {
		return s + " → " + displayName(name)
	}
	return displayName(name)
}

// displayName turns GitHub's API name of a permission or event into the
// words its settings page uses: pull_request_review → "Pull request review".
func displayName(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func levelRank(level string) int {
	switch level {
	case "read":
		return 1
	case "write":
		return 2
	case "admin":
		return 3
	}
	return 0
}

func levelLabel(level string) string {
	switch level {
	case "read":
		return "Read-only"
	case "write":
		return "Read and write"
	case "admin":
		return "Admin"
	}
	return level
}

// A permissionGap is a permission whose level differs between what is
// wanted and what is held; "" is none.
type permissionGap struct{ Name, Want, Have string }

// comparePermissions lists the differences between want and have, by name.
func comparePermissions(want, have map[string]string) []permissionGap {
	var gaps []permissionGap
	for name, w := range want {
		if h := have[name]; levelRank(h) != levelRank(w) {
			gaps = append(gaps, permissionGap{name, w, h})
		}
	}
	for name, h := range have {
		if _, ok := want[name]; !ok && levelRank(h) > 0 {
			gaps = append(gaps, permissionGap{name, "", h})
		}
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i].Name < gaps[j].Name })
	return gaps
}

// statusWord is how a status reads in the text report: a failure stands
// out.
func statusWord(s checkStatus) string {
	if s == statusFail {
		return "FAIL"
	}
	return string(s)
}

func writeDoctorText(w io.Writer, results []checkResult) error {
	width := 0
	for _, c := range []string{chkSettings, chkKey, chkSecret, chkCache, chkSchedule, chkAPI, chkClock, chkJWT, chkAppID,
		chkAppPermissions, chkAppEvents, chkHook, chkInstallations, chkInstPerms, chkTokens} {
		width = max(width, len(c))
	}
	var b strings.Builder
	counts := map[checkStatus]int{}
	for _, r := range results {
		counts[r.Status]++
		fmt.Fprintf(&b, "%-4s  %-*s  %s\n", statusWord(r.Status), width, r.Check, r.Message)
	}
	fmt.Fprintf(&b, "%d ok, %d warn, %d FAIL, %d skip\n", counts[statusOK], counts[statusWarn], counts[statusFail], counts[statusSkip])
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDoctorJSON(w io.Writer, results []checkResult) error {
	out := struct {
		OK     bool                `json:"ok"`
		Counts map[checkStatus]int `json:"counts"`
		Checks []checkResult       `json:"checks"`
	}{OK: true, Counts: map[checkStatus]int{statusOK: 0, statusWarn: 0, statusFail: 0, statusSkip: 0}, Checks: results}
	for _, r := range results {
		out.Counts[r.Status]++
		if r.Status == statusFail {
			out.OK = false
		}
	}
	if out.Checks == nil {
		out.Checks = []checkResult{}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
