package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// A binary from a plain go build, without -ldflags, says the version and
// commit go build recorded, and says the same in every place: version,
// check's SARIF driver and serve's "listening" log line.
func TestVersionFromBuildInfo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ownerbot")
	// -buildvcs=auto as go build's default, whatever GOFLAGS says.
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wantVersion, wantCommit := recordedVersion(t, bin)
	t.Logf("go build recorded version %s, commit %s", wantVersion, wantCommit)

	cmd := exec.Command(bin, "version")
	out, err := cmd.Output()
	if want := "ownerbot " + wantVersion + " (commit " + wantCommit; err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("version: %q, %v; want it to start %q", out, err, want)
	}

	cmd = exec.Command(bin, "check", "--repo", "../../examples/acme", "--format", "sarif", "--fail-on", "never")
	out, err = cmd.Output()
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Version string } `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err != nil || json.Unmarshal(out, &log) != nil || len(log.Runs) != 1 {
		t.Fatalf("check --format sarif: %v\n%s", err, out)
	}
	if got := log.Runs[0].Tool.Driver.Version; got != wantVersion {
		t.Errorf("SARIF driver version %q, want %q", got, wantVersion)
	}

	if got := servedVersion(t, bin); got != wantVersion {
		t.Errorf("serve logs version %q, want %q", got, wantVersion)
	}
}

// recordedVersion reads what go build recorded in bin, as go version -m
// shows it, and says what ownerbot should make of it: the main module's
// version ("dev" for "(devel)"), and the commit (12 digits, "-dirty" with
// local changes; "unknown" without VCS data).
func recordedVersion(t *testing.T, bin string) (version, commit string) {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	version, commit = "dev", "unknown"
	var revision, modified string
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 3 && fields[0] == "mod" && fields[2] != "(devel)":
			version = fields[2]
		case len(fields) == 2 && fields[0] == "build":
			key, value, _ := strings.Cut(fields[1], "=")
			switch key {
			case "vcs.revision":
				revision = value
			case "vcs.modified":
				modified = value
			}
		}
	}
	if revision != "" {
		commit = revision[:min(12, len(revision))]
		if modified == "true" {
			commit += "-dirty"
		}
	}
	return version, commit
}

// servedVersion starts bin's serve against a fake GitHub and returns the
// version its "listening" line logs.
func servedVersion(t *testing.T, bin string) string {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(appEnv(t, gh), "OWNERBOT_WEBHOOK_SECRET="+e2eSecret, "OWNERBOT_LISTEN_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	found := make(chan string, 1)
	go func() {
		defer close(found)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var entry struct {
				Message string
				Version *string
			}
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Message == "listening" && entry.Version != nil {
				found <- *entry.Version
				return
			}
		}
	}()
	select {
	case v, ok := <-found:
		if !ok {
			t.Fatal("serve exited without a listening line")
		}
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not log a listening line")
	}
	return ""
}
