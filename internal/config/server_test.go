package config

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
		Workers: 4, QueueSize: 1000, LogLevel: "info", ShutdownTimeout: 25 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	all := map[string]string{
		"OWNERBOT_APP_ID": "7", "OWNERBOT_PRIVATE_KEY": strings.ReplaceAll(testPEM, "\n", `\n`),
		"OWNERBOT_WEBHOOK_SECRET": "new, old", "OWNERBOT_GITHUB_API_URL": "https://ghe.example.com/api/v3/",
		"OWNERBOT_LISTEN_ADDR": "127.0.0.1:9000", "OWNERBOT_CACHE_DIR": "/tmp/c", "OWNERBOT_CACHE_MAX_MB": "512",
		"OWNERBOT_WORKERS": "8", "OWNERBOT_QUEUE_SIZE": "50", "OWNERBOT_LOG_LEVEL": "DEBUG", "OWNERBOT_SHUTDOWN_TIMEOUT": "5s",
	}
	got, err = ServerFromEnv(env(all), readFiles(nil))
	if err != nil {
		t.Fatal(err)
	}
	want = Server{AppID: 7, PrivateKey: []byte(testPEM), WebhookSecrets: [][]byte{[]byte("new"), []byte("old")},
		APIURL: "https://ghe.example.com/api/v3/", ListenAddr: "127.0.0.1:9000", CacheDir: "/tmp/c", CacheMaxBytes: 512 << 20,
		Workers: 8, QueueSize: 50, LogLevel: "debug", ShutdownTimeout: 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("everything set (-want +got):\n%s", diff)
	}
}

func TestServerFromEnvErrors(t *testing.T) {
	files := map[string]string{"/k.pem": testPEM, "/not.pem": "hello"}
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
		{"key file missing", map[string]string{"OWNERBOT_PRIVATE_KEY_FILE": "/gone.pem"}, "OWNERBOT_PRIVATE_KEY_FILE: open /gone.pem"},
		{"key not PEM", map[string]string{"OWNERBOT_PRIVATE_KEY_FILE": "/not.pem"}, "not in PEM form"},
		{"no app id", map[string]string{"OWNERBOT_APP_ID": ""}, "OWNERBOT_APP_ID is not set"},
		{"bad app id", map[string]string{"OWNERBOT_APP_ID": "x"}, "positive number"},
		{"bad workers", map[string]string{"OWNERBOT_WORKERS": "0"}, "OWNERBOT_WORKERS must be a positive number"},
		{"bad url", map[string]string{"OWNERBOT_GITHUB_API_URL": "api.github.com"}, "http(s) URL"},
		{"bad level", map[string]string{"OWNERBOT_LOG_LEVEL": "loud"}, "OWNERBOT_LOG_LEVEL"},
		{"bad timeout", map[string]string{"OWNERBOT_SHUTDOWN_TIMEOUT": "soon"}, "OWNERBOT_SHUTDOWN_TIMEOUT"},
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
