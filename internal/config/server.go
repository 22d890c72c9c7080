package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Server is how `ownerbot serve` runs, read from the environment. The
// README documents every variable.
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
	LogLevel       string
	// ShutdownTimeout is how long in-flight work may take to finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
}

// Server defaults.
const (
	DefaultAPIURL        = "https://api.github.com/"
	DefaultListenAddr    = ":8080"
	DefaultCacheDir      = "/var/cache/ownerbot"
	DefaultCacheMaxBytes = 10 << 30
	DefaultWorkers       = 4
	DefaultQueueSize     = 1000
)

// ServerFromEnv reads the settings of `ownerbot serve` through getenv, and
// the private key file through readFile. Its error is one line naming the
// variable, and never quotes a secret.
func ServerFromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Server, error) {
	s := Server{
		APIURL: DefaultAPIURL, ListenAddr: DefaultListenAddr, CacheDir: DefaultCacheDir,
		CacheMaxBytes: DefaultCacheMaxBytes, Workers: DefaultWorkers, QueueSize: DefaultQueueSize,
		LogLevel: "info", ShutdownTimeout: 25 * time.Second,
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

	secrets := getenv("OWNERBOT_WEBHOOK_SECRET")
	for i, sec := range strings.Split(secrets, ",") {
		sec = strings.TrimSpace(sec)
		switch {
		case secrets == "":
		case sec == "":
			fail("OWNERBOT_WEBHOOK_SECRET: secret %d of the list is empty", i+1)
		default:
			s.WebhookSecrets = append(s.WebhookSecrets, []byte(sec))
		}
	}
	if secrets == "" {
		fail("OWNERBOT_WEBHOOK_SECRET is not set: serve never accepts unsigned webhooks")
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
	if v := getenv("OWNERBOT_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fail("OWNERBOT_SHUTDOWN_TIMEOUT must be a duration such as 25s, got %q", v)
		} else {
			s.ShutdownTimeout = d
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
	return s, errors.Join(errs...)
}
