package datasettest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that writes down how a helper ended the test
// instead of ending it: Skipf and Fatalf stop the helper's goroutine, as
// the real ones do, so the helper runs in a goroutine of its own.
type recorder struct {
	testing.TB
	logs  []string
	ended string // "skip: …" or "fatal: …"
}

func (r *recorder) Helper() {}

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Skipf(format string, args ...any) {
	r.ended = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with r as its TB and waits for it to return or end the test.
func (r *recorder) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
}

func TestSample(t *testing.T) {
	tests := []struct {
		env      string
		sample   int
		want     int
		wantLogs []string
	}{
		{env: "", sample: 10, want: 10,
			wantLogs: []string{"sampled: 10 of 50 repositories; OWNERBOT_EXHAUSTIVE=1 or `make test-all` runs it all"}},
		{env: "0", sample: 10, want: 10,
			wantLogs: []string{"sampled: 10 of 50 repositories; OWNERBOT_EXHAUSTIVE=1 or `make test-all` runs it all"}},
		{env: "false", sample: 10, want: 10,
			wantLogs: []string{"sampled: 10 of 50 repositories; OWNERBOT_EXHAUSTIVE=1 or `make test-all` runs it all"}},
		{env: "1", sample: 10, want: 50},
		{env: "yes", sample: 10, want: 50}, // any other value asks for more, not less
		{env: "", sample: 50, want: 50},    // no reduction, nothing to say
		{env: "", sample: 80, want: 50},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q,%d", tt.env, tt.sample), func(t *testing.T) {
			t.Setenv(EnvExhaustive, tt.env)
			r := &recorder{TB: t}
			got := Sample(r, 50, tt.sample, "repositories")
			if got != tt.want {
				t.Errorf("Sample(50, %d) = %d, want %d", tt.sample, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantLogs, r.logs); diff != "" {
				t.Errorf("logs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSharedMissing: without ../shared, the default run skips and says
// where it looked; the exhaustive run fails, so CI cannot pass without the
// data it claims to have checked.
func TestSharedMissing(t *testing.T) {
	module := filepath.Join(t.TempDir(), "clone")
	if err := os.MkdirAll(module, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(module, "go.mod"), []byte("module example.com/clone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(module)
	for _, tt := range []struct{ env, want string }{
		{"", "skip: shared data not found at " + filepath.Join(module, "..", "shared", "datasets")},
		{"1", "fatal: shared data not found at " + filepath.Join(module, "..", "shared", "datasets")},
	} {
		t.Setenv(EnvExhaustive, tt.env)
		r := &recorder{TB: t}
		r.run(func(tb testing.TB) { Root(tb) })
		if !strings.HasPrefix(r.ended, tt.want) {
			t.Errorf("%s=%q: the test ended with %q, want it to start %q", EnvExhaustive, tt.env, r.ended, tt.want)
		}
	}
}

// TestSharedPresent: where ../shared holds the data, both runs get its
// path.
func TestSharedPresent(t *testing.T) {
	root := t.TempDir()
	module := filepath.Join(root, "clone")
	for _, dir := range []string{module, filepath.Join(root, "shared", "datasets")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(module, "go.mod"), []byte("module example.com/clone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(module))
	for _, env := range []string{"", "1"} {
		t.Setenv(EnvExhaustive, env)
		r := &recorder{TB: t}
		var got string
		r.run(func(tb testing.TB) { got = Root(tb) })
		if want := filepath.Join(module, "..", "shared", "datasets"); got != want || r.ended != "" {
			t.Errorf("%s=%q: Root = %q and the test ended with %q, want %q and no end", EnvExhaustive, env, got, r.ended, want)
		}
	}
}
