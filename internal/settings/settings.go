// Package settings reads how `ownerbot serve` and `ownerbot sweep` run
// from the environment: the App's credentials, where to listen and cache,
// how to pace writes to GitHub, and when to sweep.
package settings

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Server is how `ownerbot serve` and `ownerbot sweep` run, read from the
// environment. The README documents every variable.
type Server struct {
	AppID      int64
	PrivateKey []byte // PEM
	// WebhookSecrets are every accepted secret: two while one is rotated.
	WebhookSecrets [][]byte
	APIURL         string
	ListenAddr     string
	CacheDir       string
	CacheMaxBytes  int64
	Workers        int
	QueueSize      int
	// QueueMaxBytes bounds the payload bytes of queued deliveries, as
	// QueueSize bounds their number.
	QueueMaxBytes int64
	// WebhookReads is how many deliveries larger than 64 KiB are read at
	// once; beyond it they are answered 503 with Retry-After, unread.
	WebhookReads int
	LogLevel     string
	// ShutdownTimeout is how long in-flight work may take to finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
	// JobRetries is how many times a webhook job that failed for a reason
	// that may pass is tried again before it is left to the sweep; 0: never.
	JobRetries int
	// JobRetryDelay is the wait before the first retry; each next one is
	// four times longer.
	JobRetryDelay time.Duration

	// Write pacing per installation, for ghapp.Config (same meaning: a
	// negative interval turns that pacing off). OWNERBOT_WRITE_INTERVAL and
	// OWNERBOT_CONTENT_INTERVAL take a duration or "off" (0 is off too).
	WriteInterval   time.Duration
	ContentInterval time.Duration
	ContentBurst    int

	// SweepSchedule is when the built-in scheduler sweeps: a 5-field cron
	// expression or a descriptor (@daily, @every 6h), valid for
	// cron.ParseStandard. Empty: the scheduler is off.
	SweepSchedule string
	// SweepTimeZone is the zone SweepSchedule is read in; never nil.
	SweepTimeZone    *time.Location
	SweepForks       bool // sweep forks too
	SweepConcurrency int  // repositories swept at once per installation

	// PushgatewayURL is where `ownerbot sweep` pushes its metrics when it
	// ends (a CronJob's pod is gone before Prometheus would scrape it);
	// empty: it pushes nothing.
	PushgatewayURL string
}

// Server defaults.
const (
	DefaultAPIURL        = "https://api.github.com/"
	DefaultListenAddr    = ":8080"
	DefaultCacheDir      = "/var/cache/ownerbot"
	DefaultCacheMaxBytes = 10 << 30
	DefaultWorkers       = 4
	DefaultQueueSize     = 1000
	DefaultQueueMaxBytes = 128 << 20
	DefaultWebhookReads  = 4
	// 30 s, 2 min and 8 min before the three retries: see webhook's
	// DefaultRetries for why.
	DefaultJobRetries    = 3
	DefaultJobRetryDelay = 30 * time.Second
	// MaxJobRetries and MaxJobRetryDelay catch typos: past them a job
	// would wait hours or days, the sweep's work.
	MaxJobRetries    = 10
	MaxJobRetryDelay = time.Hour

	// The pacing defaults are ghapp's: GitHub's guidance of a second
	// between writes and 500 content-creating requests an hour.
	DefaultWriteInterval    = time.Second
	DefaultContentInterval  = 7200 * time.Millisecond
	DefaultContentBurst     = 20
	DefaultSweepConcurrency = 2
)

// PacingOff is the value of WriteInterval and ContentInterval when the
// variable says "off" (or 0).
const PacingOff = -1

// ServerFromEnv reads the settings of `ownerbot serve` through getenv, and
// the private key file through readFile. Its error is one line per problem
// naming the variable, and never quotes a secret.
func ServerFromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Server, error) {
	return fromEnv(getenv, readFile, true)
}

// SweepFromEnv reads the settings of `ownerbot sweep`: the same variables as
// ServerFromEnv, except that a sweep receives no webhooks and so needs no
// OWNERBOT_WEBHOOK_SECRET (one that is set is still checked).
func SweepFromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Server, error) {
	return fromEnv(getenv, readFile, false)
}

func fromEnv(getenv func(string) string, readFile func(string) ([]byte, error), needSecret bool) (Server, error) {
	s := Server{
		APIURL: DefaultAPIURL, ListenAddr: DefaultListenAddr, CacheDir: DefaultCacheDir,
		CacheMaxBytes: DefaultCacheMaxBytes, Workers: DefaultWorkers, QueueSize: DefaultQueueSize,
		QueueMaxBytes: DefaultQueueMaxBytes, WebhookReads: DefaultWebhookReads,
		LogLevel: "info", ShutdownTimeout: 25 * time.Second,
		JobRetries: DefaultJobRetries, JobRetryDelay: DefaultJobRetryDelay,
		WriteInterval: DefaultWriteInterval, ContentInterval: DefaultContentInterval, ContentBurst: DefaultContentBurst,
		SweepTimeZone: time.UTC, SweepConcurrency: DefaultSweepConcurrency,
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	id := strings.TrimSpace(getenv("OWNERBOT_APP_ID"))
	switch n, err := strconv.ParseInt(id, 10, 64); {
	case id == "":
		fail("OWNERBOT_APP_ID is not set: give the numeric id of the GitHub App")
	case err != nil || n <= 0:
		fail("OWNERBOT_APP_ID must be a positive number, got %q", id)
	default:
		s.AppID = n
	}

	keyFile, key := getenv("OWNERBOT_PRIVATE_KEY_FILE"), getenv("OWNERBOT_PRIVATE_KEY")
	switch {
	case keyFile != "" && key != "":
		fail("set one of OWNERBOT_PRIVATE_KEY_FILE and OWNERBOT_PRIVATE_KEY, not both")
	case keyFile != "":
		data, err := readFile(keyFile)
		if err != nil {
			fail("OWNERBOT_PRIVATE_KEY_FILE: %v", err)
		}
		s.PrivateKey = data
	case key != "":
		// Platforms that pass a PEM through one-line variables write its
		// newlines as \n.
		s.PrivateKey = []byte(strings.ReplaceAll(key, `\n`, "\n"))
	default:
		fail("no private key: set OWNERBOT_PRIVATE_KEY_FILE (or OWNERBOT_PRIVATE_KEY) to the App's PEM key")
	}
	if s.PrivateKey != nil && !strings.Contains(string(s.PrivateKey), "PRIVATE KEY-----") {
		fail("the private key is not in PEM form: use the .pem file GitHub generated for the App")
	}

	// The secret comes from the variable or, where secrets are mounted as
	// files (Kubernetes), from a file: one secret per line, or two while
	// one is rotated, or one line of comma-separated secrets.
	secrets, secretFile := getenv("OWNERBOT_WEBHOOK_SECRET"), getenv("OWNERBOT_WEBHOOK_SECRET_FILE")
	secretVar := "OWNERBOT_WEBHOOK_SECRET"
	switch {
	case secrets != "" && secretFile != "":
		fail("set one of OWNERBOT_WEBHOOK_SECRET_FILE and OWNERBOT_WEBHOOK_SECRET, not both")
		secrets = ""
	case secretFile != "":
		secretVar = "OWNERBOT_WEBHOOK_SECRET_FILE"
		data, err := readFile(secretFile)
		if err != nil {
			fail("OWNERBOT_WEBHOOK_SECRET_FILE: %v", err)
			break
		}
		secrets = strings.Join(strings.Fields(strings.ReplaceAll(string(data), ",", " ")), ",")
		if secrets == "" {
			fail("OWNERBOT_WEBHOOK_SECRET_FILE: %s is empty", secretFile)
		}
	}
	for i, sec := range strings.Split(secrets, ",") {
		sec = strings.TrimSpace(sec)
		switch {
		case secrets == "":
		case sec == "":
			fail("%s: secret %d of the list is empty", secretVar, i+1)
		default:
			s.WebhookSecrets = append(s.WebhookSecrets, []byte(sec))
		}
	}
	if secrets == "" && secretFile == "" && needSecret {
		fail("OWNERBOT_WEBHOOK_SECRET is not set (nor OWNERBOT_WEBHOOK_SECRET_FILE): serve never accepts unsigned webhooks")
	}

	if v := getenv("OWNERBOT_GITHUB_API_URL"); v != "" {
		if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			fail("OWNERBOT_GITHUB_API_URL must be an http(s) URL such as https://github.example.com/api/v3/, got %q", v)
		}
		s.APIURL = v
	}
	if v := getenv("OWNERBOT_LISTEN_ADDR"); v != "" {
		s.ListenAddr = v
	}
	if v := getenv("OWNERBOT_CACHE_DIR"); v != "" {
		s.CacheDir = v
	}
	positive := func(name string, dst *int) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fail("%s must be a positive number, got %q", name, v)
			return
		}
		*dst = n
	}
	positive("OWNERBOT_WORKERS", &s.Workers)
	positive("OWNERBOT_QUEUE_SIZE", &s.QueueSize)
	mb := 0
	positive("OWNERBOT_CACHE_MAX_MB", &mb)
	if mb > 0 {
		s.CacheMaxBytes = int64(mb) << 20
	}
	queueMB := 0
	positive("OWNERBOT_QUEUE_MAX_MB", &queueMB)
	switch {
	case queueMB > 1<<20: // a tebibyte of queued payloads is a typo
		fail("OWNERBOT_QUEUE_MAX_MB must be at most 1048576 (1 TiB), got %d", queueMB)
	case queueMB > 0:
		s.QueueMaxBytes = int64(queueMB) << 20
	}
	positive("OWNERBOT_WEBHOOK_READS", &s.WebhookReads)
	if v := getenv("OWNERBOT_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fail("OWNERBOT_SHUTDOWN_TIMEOUT must be a duration such as 25s, got %q", v)
		} else {
			s.ShutdownTimeout = d
		}
	}
	if v := strings.TrimSpace(getenv("OWNERBOT_JOB_RETRIES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxJobRetries {
			fail("OWNERBOT_JOB_RETRIES must be a number from 0 (no retries) to %d, got %q", MaxJobRetries, v)
		} else {
			s.JobRetries = n
		}
	}
	if v := strings.TrimSpace(getenv("OWNERBOT_JOB_RETRY_DELAY")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxJobRetryDelay {
			fail("OWNERBOT_JOB_RETRY_DELAY must be a positive duration of at most 1h such as 30s, got %q", v)
		} else {
			s.JobRetryDelay = d
		}
	}
	if v := getenv("OWNERBOT_LOG_LEVEL"); v != "" {
		switch strings.ToLower(v) {
		case "debug", "info", "warn", "error":
			s.LogLevel = strings.ToLower(v)
		default:
			fail("OWNERBOT_LOG_LEVEL must be debug, info, warn or error, got %q", v)
		}
	}

	interval := func(name string, dst *time.Duration) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		if strings.EqualFold(v, "off") {
			*dst = PacingOff
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fail("%s must be a duration such as 1s, or off, got %q", name, v)
			return
		}
		if d == 0 {
			d = PacingOff
		}
		*dst = d
	}
	interval("OWNERBOT_WRITE_INTERVAL", &s.WriteInterval)
	interval("OWNERBOT_CONTENT_INTERVAL", &s.ContentInterval)
	positive("OWNERBOT_CONTENT_BURST", &s.ContentBurst)

	if v := strings.TrimSpace(getenv("OWNERBOT_SWEEP_TZ")); v != "" {
		if loc, err := time.LoadLocation(v); err != nil {
			fail("OWNERBOT_SWEEP_TZ must be an IANA time zone such as Europe/Berlin, got %q", v)
		} else {
			s.SweepTimeZone = loc
		}
	}
	if v := strings.TrimSpace(getenv("OWNERBOT_SWEEP_SCHEDULE")); v != "" {
		if err := checkSchedule(v, s.SweepTimeZone); err != nil {
			fail("OWNERBOT_SWEEP_SCHEDULE %q: %v", v, err)
		} else {
			s.SweepSchedule = v
		}
	}
	if v := strings.TrimSpace(getenv("OWNERBOT_SWEEP_FORKS")); v != "" {
		switch strings.ToLower(v) {
		case "true", "1":
			s.SweepForks = true
		case "false", "0":
			s.SweepForks = false
		default:
			fail("OWNERBOT_SWEEP_FORKS must be true, false, 1 or 0, got %q", v)
		}
	}
	positive("OWNERBOT_SWEEP_CONCURRENCY", &s.SweepConcurrency)
	if v := strings.TrimSpace(getenv("OWNERBOT_PUSHGATEWAY_URL")); v != "" {
		const want = "OWNERBOT_PUSHGATEWAY_URL must be the http(s) address of a Prometheus Pushgateway such as http://pushgateway:9091"
		switch u, err := url.Parse(v); {
		case err != nil:
			fail("%s: it is not a URL", want) // not quoted: it may hold a password
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			fail("%s, got %q", want, u.Redacted())
		default:
			s.PushgatewayURL = v
		}
	}
	return s, errors.Join(errs...)
}

// checkSchedule validates a sweep schedule as the scheduler will read it.
func checkSchedule(spec string, loc *time.Location) (err error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return errors.New("set the time zone with OWNERBOT_SWEEP_TZ, not in the schedule")
	}
	// The parser has panicked on malformed input in the past; a bad
	// variable must be an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not a cron expression (%v)", r)
		}
	}()
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("want 5 cron fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily or @every 6h: %v", err)
	}
	if sched.Next(time.Now().In(loc)).IsZero() {
		return errors.New("the schedule never fires")
	}
	return nil
}
