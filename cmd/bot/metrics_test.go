package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/golden"
)

// readyz returns the status and text of serve's /readyz.
func (s *server) readyz(t *testing.T) (int, string) {
	t.Helper()
	return s.get(t, "/readyz")
}

// waitReady waits until serve has authenticated with GitHub.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, s, "/readyz to answer 200", func() bool {
		code, _ := s.readyz(t)
		return code == http.StatusOK
	})
}

// /readyz is 503 with the reason until GitHub accepts the App's
// credentials: never with a key GitHub does not know.
func TestServeNotReadyWithAWrongKey(t *testing.T) {
	gh, _ := newMonorepo(t)
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "other.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, gh, "OWNERBOT_PRIVATE_KEY_FILE="+file)
	eventually(t, s, "the reason to be logged", func() bool {
		return s.count(t, "not ready: cannot authenticate as the GitHub App", nil) > 0
	})
	code, text := s.readyz(t)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(text, "not ready: GitHub refused the App's JWT") || strings.Contains(text, "\n") {
		t.Errorf("/readyz: %d %q, want 503 and one line saying GitHub refused the JWT", code, text)
	}
	checkHealthy(t, s) // alive, only not ready
}

// While GitHub answers 5xx the replica is not ready; when it recovers the
// replica becomes ready without a restart, and goes 503 again on SIGTERM
// while it drains.
func TestServeReadiness(t *testing.T) {
	gh, _ := newMonorepo(t)
	gh.Fail(ghtest.FaultMatch{Method: "POST", Operation: "apps/create-installation-access-token", Count: -1},
		ghtest.Fault{Kind: ghtest.FaultStatus, Status: http.StatusBadGateway})
	s := startServe(t, gh, "OWNERBOT_SHUTDOWN_TIMEOUT=2s")
	eventually(t, s, "the reason to be logged", func() bool {
		return s.count(t, "not ready: cannot authenticate as the GitHub App", nil) > 0
	})
	if code, text := s.readyz(t); code != http.StatusServiceUnavailable || !strings.Contains(text, "mint an installation token") || !strings.Contains(text, "502") {
		t.Errorf("while GitHub fails: /readyz %d %q, want 503 naming the token and the 502", code, text)
	}
	gh.ClearFaults()
	s.waitReady(t)

	// A job that hangs on GitHub keeps the drain open after SIGTERM.
	gh.Fail(ghtest.FaultMatch{Method: "GET", Operation: "pulls/get"}, ghtest.Fault{Kind: ghtest.FaultTimeout, Duration: time.Minute})
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 5, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(gh, "mono", pr))
	if code, answer := s.post(t, "pull_request", "held", opened); code != http.StatusAccepted {
		t.Fatalf("delivery: %d %q", code, answer)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, s, "/readyz to answer 503 while draining", func() bool {
		code, text := s.readyz(t)
		return code == http.StatusServiceUnavailable && text == "not ready: shutting down"
	})
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
}

// TestServeMetricNames lists every metric `ownerbot serve` exposes, with
// its type and labels, after a delivery and two scheduled sweeps: a rename
// or a new label shows in review as a change of testdata/metrics.txt.
// Label values are checked to stay bounded: no owner, repository or number
// in any label but the one that is per repository.
func TestServeMetricNames(t *testing.T) {
	gh, _ := newMonorepo(t)
	s := startServe(t, gh, "OWNERBOT_SWEEP_SCHEDULE=@every 1s", "OWNERBOT_WRITE_INTERVAL=50ms")
	s.waitReady(t)
	pr := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 5, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: e2eDay.Add(time.Hour)})
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(gh, "mono", pr))
	if code, _ := s.post(t, "pull_request", "d-metrics", opened); code != http.StatusAccepted {
		t.Fatalf("delivery: %d", code)
	}
	s.waitJob(t, "d-metrics")
	eventually(t, s, "two scheduled sweeps", func() bool { return s.count(t, "scheduled sweep done", nil) >= 2 })

	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	families, err := parseExposition(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	list.WriteString("# The metrics `ownerbot serve` exposes besides go_* and process_*:\n" +
		"# name, type, label names (- for none). Written by TestServeMetricNames\n" +
		"# (go test ./cmd/bot -run TestServeMetricNames -update). A change here\n" +
		"# changes every dashboard and alert built on them.\n")
	for _, f := range families {
		if !strings.HasPrefix(f.name, "ownerbot_") {
			continue
		}
		labels := strings.Join(f.labels, ",")
		if labels == "" {
			labels = "-"
		}
		fmt.Fprintf(&list, "%s %s %s\n", f.name, f.typ, labels)
		for _, v := range f.values {
			if v.label != "repository" && strings.Contains(v.value, "acme") {
				t.Errorf("%s{%s=%q}: an owner or repository in a label", f.name, v.label, v.value)
			}
			if v.label == "endpoint" && strings.ContainsAny(v.value, "0123456789") {
				t.Errorf("%s{endpoint=%q}: a number in an endpoint", f.name, v.value)
			}
		}
	}
	golden.Assert(t, "metrics.txt", list.Bytes())
}

// family is one metric family of the text exposition format.
type family struct {
	name, typ string
	labels    []string // names, sorted; le and quantile left out
	values    []labelValue
}

type labelValue struct{ label, value string }

// parseExposition reads Prometheus's text format: its # TYPE lines and the
// label names and values of its samples.
func parseExposition(r io.Reader) ([]*family, error) {
	var out []*family
	byName := map[string]*family{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			f := &family{name: name, typ: typ}
			byName[name] = f
			out = append(out, f)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		f := byName[name]
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); f == nil && ok {
				f = byName[base]
			}
		}
		if f == nil {
			return nil, fmt.Errorf("sample without a # TYPE: %s", line)
		}
		if !strings.Contains(line, "{") {
			continue
		}
		pairs, err := parseLabels(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", line, err)
		}
		for _, p := range pairs {
			if p.label == "le" || p.label == "quantile" {
				continue
			}
			if !slices.Contains(f.labels, p.label) {
				f.labels = append(f.labels, p.label)
				slices.Sort(f.labels)
			}
			f.values = append(f.values, p)
		}
	}
	return out, sc.Err()
}

// parseLabels reads `name="value",…}`; values may hold braces, commas and
// escaped quotes.
func parseLabels(s string) ([]labelValue, error) {
	var out []labelValue
	for {
		if strings.HasPrefix(s, "}") {
			return out, nil
		}
		name, rest, ok := strings.Cut(s, `="`)
		if !ok {
			return nil, fmt.Errorf("no label at %q", s)
		}
		var value strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
			}
			value.WriteByte(rest[i])
		}
		if i == len(rest) {
			return nil, fmt.Errorf("unterminated value of %s", name)
		}
		out = append(out, labelValue{name, value.String()})
		s = strings.TrimPrefix(rest[i+1:], ",")
	}
}

// The sample dashboard queries only metrics that serve exposes: it cannot
// drift from the code.
func TestDashboardQueriesExposedMetrics(t *testing.T) {
	list, err := os.ReadFile(filepath.Join("testdata", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for line := range strings.Lines(string(list)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		exposed[fields[0]] = true
		if fields[1] == "histogram" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exposed[fields[0]+suffix] = true
			}
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "ownerbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dashboard any
	if err := json.Unmarshal(data, &dashboard); err != nil {
		t.Fatalf("deploy/grafana/ownerbot.json: %v", err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dashboard)
	if len(exprs) < 10 {
		t.Fatalf("%d queries in the dashboard, want a panel for each part of the service", len(exprs))
	}
	used := map[string]bool{}
	name := regexp.MustCompile(`\bownerbot_[a-z0-9_]+`)
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			used[n] = true
			if !exposed[n] {
				t.Errorf("the dashboard queries %s, which serve does not expose: %s", n, e)
			}
		}
	}
	// Every family of ours has a place on the dashboard, or a reason not to.
	for n := range exposed {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if !used[n] && !used[base] && !used[base+"_bucket"] && !used[base+"_sum"] && !used[base+"_count"] && !slices.Contains(offDashboard, base) {
			t.Errorf("%s is on no panel of the dashboard", base)
		}
	}
}

// offDashboard are metrics left off the sample dashboard: detail for
// investigating, not for watching.
var offDashboard = []string{
	"ownerbot_github_api_rate_limit_wait_seconds_total",
	"ownerbot_github_write_pacing_seconds_total",
}

// pushgateway is a Prometheus Pushgateway that records what it is sent.
type pushgateway struct {
	*httptest.Server
	status int
	mu     sync.Mutex
	pushes []push
}

type push struct {
	method, path, user string
	body               []byte
}

func newPushgateway(t *testing.T, status int) *pushgateway {
	pg := &pushgateway{status: status}
	pg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, _, _ := r.BasicAuth()
		pg.mu.Lock()
		pg.pushes = append(pg.pushes, push{r.Method, r.URL.Path, user, body})
		pg.mu.Unlock()
		w.WriteHeader(pg.status)
	}))
	t.Cleanup(pg.Close)
	return pg
}

func (pg *pushgateway) received() []push {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	return slices.Clone(pg.pushes)
}

// A CronJob's sweep pushes its metrics when it ends, grouped by shard; a
// dry run does not; a Pushgateway that fails is a warning, not a failed
// sweep, and its password is never printed.
func TestSweepPushesMetrics(t *testing.T) {
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(e2eInstallation, "acme")
	seedRepo(gh, "shop")
	env := appEnv(t, gh)

	pg := newPushgateway(t, http.StatusOK)
	withPG := append(slices.Clone(env), "OWNERBOT_PUSHGATEWAY_URL="+pg.URL)
	if res := sweepCmd(t, withPG, "--dry-run"); res.code != 0 || len(pg.received()) != 0 {
		t.Fatalf("a dry run: exit %d, %d pushes, want 0 and none\n%s", res.code, len(pg.received()), res.stderr)
	}
	if res := sweepCmd(t, withPG, "--shard", "0/1"); res.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", res.code, res.stderr)
	}
	pushes := pg.received()
	// The shard "0/1" holds a slash, so the grouping value is base64.
	if len(pushes) != 1 || pushes[0].method != http.MethodPost || pushes[0].path != "/metrics/job/ownerbot_sweep/shard@base64/MC8x" {
		t.Fatalf("pushes %+v, want one POST to /metrics/job/ownerbot_sweep/shard@base64/MC8x", pushes)
	}
	for _, name := range []string{"ownerbot_sweep_last_success_timestamp_seconds", "ownerbot_sweep_runs_total", "ownerbot_default_branch_findings",
		"ownerbot_ownership_coverage_ratio", "ownerbot_evaluation_duration_seconds", "ownerbot_github_api_requests_total"} {
		if !bytes.Contains(pushes[0].body, []byte(name)) {
			t.Errorf("the push lacks %s", name)
		}
	}

	broken := newPushgateway(t, http.StatusInternalServerError)
	withBroken := append(slices.Clone(env), "OWNERBOT_PUSHGATEWAY_URL="+strings.Replace(broken.URL, "http://", "http://bot:pg-s3cret@", 1))
	res := sweepCmd(t, withBroken)
	if res.code != 0 || !strings.Contains(res.stderr, "could not push the sweep's metrics") {
		t.Errorf("a failing Pushgateway: exit %d, want 0 and a warning\n%s", res.code, res.stderr)
	}
	if got := broken.received(); len(got) != 1 || got[0].user != "bot" {
		t.Errorf("pushes %+v, want one with basic auth as bot", got)
	}
	if strings.Contains(res.stderr, "pg-s3cret") {
		t.Errorf("the Pushgateway password is in the log:\n%s", res.stderr)
	}
}

// BenchmarkColdStart measures the time from starting `ownerbot serve`
// against the fake GitHub on loopback to its first 200 from /readyz, in
// ms-to-ready: process start, configuration, the App's JWT accepted, an
// installation token minted. GitHub's own latency is not in it.
func BenchmarkColdStart(b *testing.B) {
	gh := ghtest.NewGitHub(b)
	gh.AddInstallation(e2eInstallation, "acme")
	key := filepath.Join(b.TempDir(), "app.pem")
	if err := os.WriteFile(key, gh.App.PrivateKeyPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for range b.N {
		cmd := exec.Command(binary, "serve")
		cmd.Env = append(os.Environ(), fmt.Sprintf("OWNERBOT_APP_ID=%d", gh.App.ID), "OWNERBOT_PRIVATE_KEY_FILE="+key,
			"OWNERBOT_GITHUB_API_URL="+gh.URL(), "OWNERBOT_CACHE_DIR="+b.TempDir(), "OWNERBOT_WEBHOOK_SECRET="+e2eSecret,
			"OWNERBOT_LISTEN_ADDR=127.0.0.1:0")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		addr := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				var entry struct{ Message, Addr string }
				if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Message == "listening" {
					addr <- entry.Addr
				}
			}
		}()
		var url string
		select {
		case a := <-addr:
			url = "http://" + a + "/readyz"
		case <-time.After(30 * time.Second):
			b.Fatal("serve did not start listening")
		}
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("serve was not ready within 30s")
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(time.Millisecond), "ms-to-ready")
}
