package settings

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func readFiles(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if data, ok := files[name]; ok {
			return []byte(data), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func TestServerFromEnv(t *testing.T) {
	minimal := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_WEBHOOK_SECRET": "s3cret"}
	files := map[string]string{"/k.pem": testPEM}

	got, err := ServerFromEnv(env(minimal), readFiles(files))
	if err != nil {
		t.Fatal(err)
	}
	want := Server{AppID: 42, PrivateKey: []byte(testPEM), WebhookSecrets: [][]byte{[]byte("s3cret")},
		APIURL: DefaultAPIURL, ListenAddr: ":8080", CacheDir: DefaultCacheDir, CacheMaxBytes: DefaultCacheMaxBytes,
		Workers: 4, QueueSize: 1000, QueueMaxBytes: 128 << 20, WebhookReads: 4, LogLevel: "info", ShutdownTimeout: 25 * time.Second,
		JobRetries: 3, JobRetryDelay: 30 * time.Second,
		WriteInterval: time.Second, ContentInterval: 7200 * time.Millisecond, ContentBurst: 20,
		SweepTimeZone: time.UTC, SweepConcurrency: 2}
	if diff := cmp.Diff(want, got, sameZone); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	all := map[string]string{
		"OWNERBOT_APP_ID": "7", "OWNERBOT_PRIVATE_KEY": strings.ReplaceAll(testPEM, "\n", `\n`),
		"OWNERBOT_WEBHOOK_SECRET": "new, old", "OWNERBOT_GITHUB_API_URL": "https://ghe.example.com/api/v3/",
		"OWNERBOT_LISTEN_ADDR": "127.0.0.1:9000", "OWNERBOT_CACHE_DIR": "/tmp/c", "OWNERBOT_CACHE_MAX_MB": "512",
		"OWNERBOT_WORKERS": "8", "OWNERBOT_QUEUE_SIZE": "50", "OWNERBOT_QUEUE_MAX_MB": "32", "OWNERBOT_WEBHOOK_READS": "2", "OWNERBOT_LOG_LEVEL": "DEBUG", "OWNERBOT_SHUTDOWN_TIMEOUT": "5s",
		"OWNERBOT_JOB_RETRIES": "5", "OWNERBOT_JOB_RETRY_DELAY": "200ms",
		"OWNERBOT_WRITE_INTERVAL": "2s", "OWNERBOT_CONTENT_INTERVAL": "10s", "OWNERBOT_CONTENT_BURST": "5",
		"OWNERBOT_SWEEP_SCHEDULE": "30 2 * * 1-5", "OWNERBOT_SWEEP_TZ": "Europe/Berlin",
		"OWNERBOT_SWEEP_FORKS": "true", "OWNERBOT_SWEEP_CONCURRENCY": "6",
		"OWNERBOT_PUSHGATEWAY_URL": "http://pushgateway.monitoring:9091",
	}
	got, err = ServerFromEnv(env(all), readFiles(nil))
	if err != nil {
		t.Fatal(err)
	}
	want = Server{AppID: 7, PrivateKey: []byte(testPEM), WebhookSecrets: [][]byte{[]byte("new"), []byte("old")},
		APIURL: "https://ghe.example.com/api/v3/", ListenAddr: "127.0.0.1:9000", CacheDir: "/tmp/c", CacheMaxBytes: 512 << 20,
		Workers: 8, QueueSize: 50, QueueMaxBytes: 32 << 20, WebhookReads: 2, LogLevel: "debug", ShutdownTimeout: 5 * time.Second,
		JobRetries: 5, JobRetryDelay: 200 * time.Millisecond,
		WriteInterval: 2 * time.Second, ContentInterval: 10 * time.Second, ContentBurst: 5,
		SweepSchedule: "30 2 * * 1-5", SweepTimeZone: berlin(t), SweepForks: true, SweepConcurrency: 6,
		PushgatewayURL: "http://pushgateway.monitoring:9091"}
	if diff := cmp.Diff(want, got, sameZone); diff != "" {
		t.Errorf("everything set (-want +got):\n%s", diff)
	}
}

func TestServerFromEnvErrors(t *testing.T) {
	files := map[string]string{"/k.pem": testPEM, "/not.pem": "hello", "/hook": "s3cret", "/empty": " \n"}
	base := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_WEBHOOK_SECRET": "s3cret"}
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"no secret", map[string]string{"OWNERBOT_WEBHOOK_SECRET": ""}, "OWNERBOT_WEBHOOK_SECRET is not set"},
		{"an empty secret in the list", map[string]string{"OWNERBOT_WEBHOOK_SECRET": "a,,b"}, "secret 2 of the list is empty"},
		{"no key", map[string]string{"OWNERBOT_PRIVATE_KEY_FILE": ""}, "no private key"},
		{"both keys", map[string]string{"OWNERBOT_PRIVATE_KEY": testPEM}, "not both"},
		{"both secrets", map[string]string{"OWNERBOT_WEBHOOK_SECRET_FILE": "/hook"}, "set one of OWNERBOT_WEBHOOK_SECRET_FILE and OWNERBOT_WEBHOOK_SECRET"},
		{"secret file missing", map[string]string{"OWNERBOT_WEBHOOK_SECRET": "", "OWNERBOT_WEBHOOK_SECRET_FILE": "/gone"}, "OWNERBOT_WEBHOOK_SECRET_FILE: open /gone"},
		{"secret file empty", map[string]string{"OWNERBOT_WEBHOOK_SECRET": "", "OWNERBOT_WEBHOOK_SECRET_FILE": "/empty"}, "OWNERBOT_WEBHOOK_SECRET_FILE: /empty is empty"},
		{"key file missing", map[string]string{"OWNERBOT_PRIVATE_KEY_FILE": "/gone.pem"}, "OWNERBOT_PRIVATE_KEY_FILE: open /gone.pem"},
		{"key not PEM", map[string]string{"OWNERBOT_PRIVATE_KEY_FILE": "/not.pem"}, "not in PEM form"},
		{"no app id", map[string]string{"OWNERBOT_APP_ID": ""}, "OWNERBOT_APP_ID is not set"},
		{"bad app id", map[string]string{"OWNERBOT_APP_ID": "x"}, "positive number"},
		{"bad workers", map[string]string{"OWNERBOT_WORKERS": "0"}, "OWNERBOT_WORKERS must be a positive number"},
		{"zero queue bytes", map[string]string{"OWNERBOT_QUEUE_MAX_MB": "0"}, "OWNERBOT_QUEUE_MAX_MB must be a positive number"},
		{"huge queue bytes", map[string]string{"OWNERBOT_QUEUE_MAX_MB": "9999999999999"}, "OWNERBOT_QUEUE_MAX_MB must be at most 1048576 (1 TiB)"},
		{"bad webhook reads", map[string]string{"OWNERBOT_WEBHOOK_READS": "none"}, "OWNERBOT_WEBHOOK_READS must be a positive number"},
		{"negative job retries", map[string]string{"OWNERBOT_JOB_RETRIES": "-1"}, "OWNERBOT_JOB_RETRIES must be a number from 0 (no retries) to 10"},
		{"too many job retries", map[string]string{"OWNERBOT_JOB_RETRIES": "11"}, `to 10, got "11"`},
		{"job retries not a number", map[string]string{"OWNERBOT_JOB_RETRIES": "three"}, "OWNERBOT_JOB_RETRIES must be a number"},
		{"zero retry delay", map[string]string{"OWNERBOT_JOB_RETRY_DELAY": "0s"}, "OWNERBOT_JOB_RETRY_DELAY must be a positive duration"},
		{"retry delay over an hour", map[string]string{"OWNERBOT_JOB_RETRY_DELAY": "2h"}, `OWNERBOT_JOB_RETRY_DELAY must be a positive duration of at most 1h such as 30s, got "2h"`},
		{"retry delay without a unit", map[string]string{"OWNERBOT_JOB_RETRY_DELAY": "30"}, "OWNERBOT_JOB_RETRY_DELAY"},
		{"bad url", map[string]string{"OWNERBOT_GITHUB_API_URL": "api.github.com"}, "http(s) URL"},
		{"bad level", map[string]string{"OWNERBOT_LOG_LEVEL": "loud"}, "OWNERBOT_LOG_LEVEL"},
		{"bad timeout", map[string]string{"OWNERBOT_SHUTDOWN_TIMEOUT": "soon"}, "OWNERBOT_SHUTDOWN_TIMEOUT"},
		{"bad write interval", map[string]string{"OWNERBOT_WRITE_INTERVAL": "fast"}, "OWNERBOT_WRITE_INTERVAL must be a duration"},
		{"negative write interval", map[string]string{"OWNERBOT_WRITE_INTERVAL": "-1s"}, `or off, got "-1s"`},
		{"bad content interval", map[string]string{"OWNERBOT_CONTENT_INTERVAL": "7"}, "OWNERBOT_CONTENT_INTERVAL must be a duration"},
		{"zero burst", map[string]string{"OWNERBOT_CONTENT_BURST": "0"}, "OWNERBOT_CONTENT_BURST must be a positive number"},
		{"bad burst", map[string]string{"OWNERBOT_CONTENT_BURST": "lots"}, "OWNERBOT_CONTENT_BURST must be a positive number"},
		{"schedule with 3 fields", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "* * *"}, "OWNERBOT_SWEEP_SCHEDULE \"* * *\": want 5 cron fields"},
		{"schedule with seconds", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "0 0 3 * * *"}, "found 6"},
		{"schedule out of range", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "61 * * * *"}, "OWNERBOT_SWEEP_SCHEDULE"},
		{"unknown descriptor", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "@fortnightly"}, "unrecognized descriptor"},
		{"bad every", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "@every often"}, "OWNERBOT_SWEEP_SCHEDULE"},
		{"zone in the schedule", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "CRON_TZ=UTC 0 3 * * *"}, "OWNERBOT_SWEEP_TZ"},
		{"zone without a schedule", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "TZ=UTC"}, "OWNERBOT_SWEEP_TZ"},
		{"schedule that never fires", map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "0 0 30 2 *"}, "never fires"},
		{"bad zone", map[string]string{"OWNERBOT_SWEEP_TZ": "Mars/Olympus"}, "OWNERBOT_SWEEP_TZ must be an IANA time zone"},
		{"bad forks", map[string]string{"OWNERBOT_SWEEP_FORKS": "yes"}, "OWNERBOT_SWEEP_FORKS must be true, false, 1 or 0"},
		{"bad concurrency", map[string]string{"OWNERBOT_SWEEP_CONCURRENCY": "-2"}, "OWNERBOT_SWEEP_CONCURRENCY must be a positive number"},
		{"pushgateway without scheme", map[string]string{"OWNERBOT_PUSHGATEWAY_URL": "pushgateway:9091"}, `OWNERBOT_PUSHGATEWAY_URL must be the http(s) address of a Prometheus Pushgateway such as http://pushgateway:9091, got "pushgateway:9091"`},
		{"pushgateway with a query", map[string]string{"OWNERBOT_PUSHGATEWAY_URL": "http://pg:9091/?job=x"}, "OWNERBOT_PUSHGATEWAY_URL must be"},
		{"pushgateway password not quoted", map[string]string{"OWNERBOT_PUSHGATEWAY_URL": "ftp://bot:s3cret@pg:9091"}, `got "ftp://bot:xxxxx@pg:9091"`},
		{"pushgateway not a URL", map[string]string{"OWNERBOT_PUSHGATEWAY_URL": "http://bot:s3cret@pg:port"}, "OWNERBOT_PUSHGATEWAY_URL must be the http(s) address of a Prometheus Pushgateway such as http://pushgateway:9091: it is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.set {
				vars[k] = v
			}
			_, err := ServerFromEnv(env(vars), readFiles(files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("one problem, several lines: %q", err)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
	// Every problem is reported at once.
	_, err := ServerFromEnv(env(nil), readFiles(nil))
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("nothing set: %d errors, want 3 (id, key, secret): %v", n, errors.Unwrap(err))
	}
}

// A secret mounted as a file: trailing newlines and blank lines are not part
// of it, and two secrets during a rotation may be on two lines or one.
func TestWebhookSecretFile(t *testing.T) {
	for _, content := range []string{"new\nold\n", "new,old", "  new , old\n\n", "new\r\nold\r\n"} {
		vars := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_WEBHOOK_SECRET_FILE": "/run/secrets/hook"}
		got, err := ServerFromEnv(env(vars), readFiles(map[string]string{"/k.pem": testPEM, "/run/secrets/hook": content}))
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if diff := cmp.Diff([][]byte{[]byte("new"), []byte("old")}, got.WebhookSecrets); diff != "" {
			t.Errorf("%q (-want +got):\n%s", content, diff)
		}
	}
}

var sameZone = cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return loc
}

func TestPacingAndSweepVariables(t *testing.T) {
	base := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_WEBHOOK_SECRET": "s3cret"}
	files := readFiles(map[string]string{"/k.pem": testPEM})
	read := func(t *testing.T, set map[string]string) Server {
		t.Helper()
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range set {
			vars[k] = v
		}
		s, err := ServerFromEnv(env(vars), files)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("pacing off", func(t *testing.T) {
		for _, v := range []string{"off", "OFF", " off ", "0", "0s"} {
			s := read(t, map[string]string{"OWNERBOT_WRITE_INTERVAL": v, "OWNERBOT_CONTENT_INTERVAL": v})
			if s.WriteInterval != PacingOff || s.ContentInterval != PacingOff {
				t.Errorf("%q: intervals %v, %v; want both off (%d)", v, s.WriteInterval, s.ContentInterval, PacingOff)
			}
		}
	})
	t.Run("pacing durations", func(t *testing.T) {
		s := read(t, map[string]string{"OWNERBOT_WRITE_INTERVAL": "1500ms", "OWNERBOT_CONTENT_INTERVAL": "1m"})
		if s.WriteInterval != 1500*time.Millisecond || s.ContentInterval != time.Minute || s.ContentBurst != DefaultContentBurst {
			t.Errorf("got %v, %v, %d", s.WriteInterval, s.ContentInterval, s.ContentBurst)
		}
	})
	t.Run("schedules", func(t *testing.T) {
		for _, spec := range []string{"0 3 * * *", "*/15 * * * *", "0 9-17 * * MON-FRI", "@daily", "@hourly", "@weekly", "@every 6h", "@every 90m"} {
			if s := read(t, map[string]string{"OWNERBOT_SWEEP_SCHEDULE": spec}); s.SweepSchedule != spec {
				t.Errorf("%q read as %q", spec, s.SweepSchedule)
			}
		}
		if s := read(t, map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "  @daily "}); s.SweepSchedule != "@daily" {
			t.Errorf("spaces kept: %q", s.SweepSchedule)
		}
		if s := read(t, nil); s.SweepSchedule != "" {
			t.Errorf("scheduler on by default: %q", s.SweepSchedule)
		}
	})
	t.Run("time zones", func(t *testing.T) {
		if s := read(t, nil); s.SweepTimeZone != time.UTC {
			t.Errorf("default zone %v, want UTC", s.SweepTimeZone)
		}
		want := berlin(t)
		if s := read(t, map[string]string{"OWNERBOT_SWEEP_TZ": "Europe/Berlin"}); s.SweepTimeZone.String() != want.String() {
			t.Errorf("zone %v", s.SweepTimeZone)
		}
	})
	t.Run("forks", func(t *testing.T) {
		for v, want := range map[string]bool{"true": true, "TRUE": true, "1": true, "false": false, "False": false, "0": false, "": false} {
			if s := read(t, map[string]string{"OWNERBOT_SWEEP_FORKS": v}); s.SweepForks != want {
				t.Errorf("OWNERBOT_SWEEP_FORKS=%q read as %v", v, s.SweepForks)
			}
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		if s := read(t, nil); s.SweepConcurrency != 2 {
			t.Errorf("default %d", s.SweepConcurrency)
		}
		if s := read(t, map[string]string{"OWNERBOT_SWEEP_CONCURRENCY": "8"}); s.SweepConcurrency != 8 {
			t.Errorf("got %d", s.SweepConcurrency)
		}
	})
}

func TestSweepFromEnv(t *testing.T) {
	files := readFiles(map[string]string{"/k.pem": testPEM})
	vars := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_SWEEP_FORKS": "1"}
	s, err := SweepFromEnv(env(vars), files)
	if err != nil {
		t.Fatalf("without a webhook secret: %v", err)
	}
	if s.AppID != 42 || len(s.WebhookSecrets) != 0 || !s.SweepForks || s.ContentBurst != DefaultContentBurst {
		t.Errorf("got %+v", s)
	}
	if _, err := ServerFromEnv(env(vars), files); err == nil || !strings.Contains(err.Error(), "OWNERBOT_WEBHOOK_SECRET") {
		t.Errorf("serve without a secret: err = %v", err)
	}

	// A secret that is set is still read, and still checked.
	vars["OWNERBOT_WEBHOOK_SECRET"] = "a"
	if s, err := SweepFromEnv(env(vars), files); err != nil || len(s.WebhookSecrets) != 1 {
		t.Errorf("with a secret: %v, %d secrets", err, len(s.WebhookSecrets))
	}
	vars["OWNERBOT_WEBHOOK_SECRET"] = "a,,b"
	if _, err := SweepFromEnv(env(vars), files); err == nil || !strings.Contains(err.Error(), "secret 2 of the list is empty") {
		t.Errorf("bad secret list: err = %v", err)
	}

	// Everything else is still required, and reported at once.
	_, err = SweepFromEnv(env(map[string]string{"OWNERBOT_SWEEP_SCHEDULE": "nope"}), readFiles(nil))
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("%d errors, want 3 (id, key, schedule): %v", n, err)
	}
}

// OWNERBOT_JOB_RETRIES=0 turns job retries off; it is not "the default".
func TestJobRetriesOff(t *testing.T) {
	vars := map[string]string{"OWNERBOT_APP_ID": "42", "OWNERBOT_PRIVATE_KEY_FILE": "/k.pem", "OWNERBOT_WEBHOOK_SECRET": "s3cret", "OWNERBOT_JOB_RETRIES": " 0 "}
	s, err := ServerFromEnv(env(vars), readFiles(map[string]string{"/k.pem": testPEM}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{0, DefaultJobRetryDelay}, []any{s.JobRetries, s.JobRetryDelay}); diff != "" {
		t.Errorf("retries, delay (-want +got):\n%s", diff)
	}
}
