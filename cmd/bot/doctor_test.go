package main

import (
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// TestDoctorEndToEnd runs `ownerbot doctor` as an operator would in the
// pod, configured only through the environment, against the fake GitHub.
func TestDoctorEndToEnd(t *testing.T) {
	gh := ghtest.NewGitHub(t, ghtest.WithReporter(func(msg string) {
		// GitHub's description in ../shared lacks GET /app/hook/config;
		// the fake answers it 404 and doctor skips that check.
		if !strings.Contains(msg, "/app/hook/config: operation not in openapi-subset.json") {
			t.Errorf("%s", msg)
		}
	}))
	gh.AddInstallation(e2eInstallation, "acme")
	gh.AddRepo(e2eInstallation, "acme", "mono", ghtest.RepoOptions{})
	env := append(appEnv(t, gh),
		"OWNERBOT_WEBHOOK_SECRET=e2e-webhook-secret-0123456789",
		"OWNERBOT_CACHE_MAX_MB=1",
	)
	doctor := func(extraEnv []string, args ...string) run {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"doctor"}, args...)...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		return runCmd(t, cmd)
	}

	got := doctor(nil)
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("healthy: exit %d, stderr %q, stdout:\n%s", got.code, got.stderr, got.stdout)
	}
	for _, line := range []string{"ok    app-jwt ", "ok    installations             1 active: acme (21)", "ok    installation-tokens "} {
		if !strings.Contains(got.stdout, "\n"+line) {
			t.Errorf("healthy: no line %q in:\n%s", line, got.stdout)
		}
	}

	got = doctor(nil, "--format", "json")
	var report struct {
		OK     bool `json:"ok"`
		Checks []struct{ Check, Status, Message string }
	}
	if err := json.Unmarshal([]byte(got.stdout), &report); err != nil || got.code != 0 || !report.OK || len(report.Checks) < 15 {
		t.Errorf("--format json: exit %d, %v, %s", got.code, err, got.stdout)
	}

	got = doctor([]string{"OWNERBOT_APP_ID=9999"})
	if got.code != 1 || !strings.Contains(got.stdout, "\nFAIL  app-jwt                   GitHub refused the App's JWT (401") {
		t.Errorf("wrong App id: exit %d, stdout:\n%s", got.code, got.stdout)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/"
	ln.Close()
	got = doctor([]string{"OWNERBOT_GITHUB_API_URL=" + down})
	if got.code != 1 || !strings.Contains(got.stdout, "\nFAIL  api-url ") ||
		!strings.Contains(got.stdout, "\nskip  installation-tokens       GitHub did not answer (see api-url)") {
		t.Errorf("GitHub down: exit %d, stdout:\n%s", got.code, got.stdout)
	}

	got = doctor(nil, "--format", "yaml")
	if got.code != 2 || !strings.Contains(got.stderr, "--format must be one of text, json") {
		t.Errorf("usage error: exit %d, stderr %q", got.code, got.stderr)
	}
}
