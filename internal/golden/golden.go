// Package golden compares what people read with files under testdata, and
// rewrites those files when tests run with -update.
//
// Every test package that uses it gets the -update flag, so
// `make golden` (go test -update on each package that uses it) refreshes all
// golden files at once.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata with the current output")

// Assert compares got with the golden file testdata/<name>, or rewrites it
// when -update is set.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	AssertFile(t, filepath.Join("testdata", name), got)
}

// AssertFile compares got with the file at path, or rewrites it when
// -update is set: for generated parts of documents outside testdata.
func AssertFile(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the output (-want +got), run with -update if the change is intended:\n%s", path, diff)
	}
}
