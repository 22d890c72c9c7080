// Package datasettest loads the shared material that lives beside the
// repository in ../shared (real CODEOWNERS datasets, schemas), for tests and
// benchmarks. It is third-party data and never copied into the repository:
// where it is absent (a user's own clone), callers skip with a message,
// except in an exhaustive run (OWNERBOT_EXHAUSTIVE=1, `make test-all`),
// which fails instead: a run that claims to be complete must be.
//
// It also says which run this is: the default `go test -race ./...` runs a
// representative sample of the slowest dataset, differential and
// simulation tests, the exhaustive run all of them (see Exhaustive).
package datasettest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A Dataset is one real repository's CODEOWNERS file and file list.
type Dataset struct {
	Name       string
	Dir        string
	CODEOWNERS []byte
	Files      []string
	// Expected maps each file to the owners hmarr/codeowners v1.2.1 gave it
	// (a third-party answer, not GitHub's), space-separated.
	Expected map[string]string
}

// Negative names datasets that are not GitHub CODEOWNERS files.
var Negative = map[string]string{
	"gitlabhq__gitlab-runner": "GitLab syntax (sections, nested groups), not GitHub's",
}

// EnvExhaustive is the environment variable that asks for the exhaustive
// run: set to 1, the tests that sample in the default run run in full, and
// missing shared data fails them instead of skipping them.
const EnvExhaustive = "OWNERBOT_EXHAUSTIVE"

// exhaustive reads EnvExhaustive; any value but "", "0" and "false" turns
// the exhaustive run on, so a typo fails towards running more.
func exhaustive() bool {
	switch os.Getenv(EnvExhaustive) {
	case "", "0", "false":
		return false
	}
	return true
}

// Exhaustive reports whether this is the exhaustive run. When it is not,
// it logs on tb what the default run leaves out (reduced says it, as
// "1,500 of 27,000 files") and how to run it all, so that `go test -v` and
// `go test -json` show every reduced test; the go command shows nothing of
// a passing package's output, so the README and `make test` say it too.
func Exhaustive(tb testing.TB, reduced string) bool {
	tb.Helper()
	if exhaustive() {
		return true
	}
	tb.Logf("sampled: %s; %s=1 or `make test-all` runs it all", reduced, EnvExhaustive)
	return false
}

// Sample returns full in the exhaustive run and sample otherwise, logging
// the reduction as Exhaustive does; what names the unit, as "repositories".
func Sample(tb testing.TB, full, sample int, what string) int {
	tb.Helper()
	if sample >= full || Exhaustive(tb, fmt.Sprintf("%d of %d %s", sample, full, what)) {
		return full
	}
	return sample
}

// Root returns ../shared/datasets relative to the module root, or skips tb.
func Root(tb testing.TB) string {
	tb.Helper()
	return Shared(tb, "datasets")
}

// Shared returns ../shared/<name> relative to the module root, or skips tb
// with a message saying where it looked; in the exhaustive run it fails tb
// instead.
func Shared(tb testing.TB, name string) string {
	tb.Helper()
	missing := tb.Skipf
	if exhaustive() {
		missing = tb.Fatalf
	}
	dir, err := moduleRoot()
	if err != nil {
		missing("%v; cannot find ../shared/%s", err, name)
	}
	root := filepath.Join(dir, "..", "shared", name)
	if _, err := os.Stat(root); err != nil {
		missing("shared data not found at %s (it sits beside the repository in CI; %s=1 requires it): %v", root, EnvExhaustive, err)
	}
	return root
}

// ModuleRoot returns the root of the module the test runs in: the nearest
// directory above the working directory with a go.mod.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Names lists the datasets, sorted.
func Names(tb testing.TB) []string {
	tb.Helper()
	entries, err := os.ReadDir(Root(tb))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Load reads one dataset.
func Load(tb testing.TB, name string) *Dataset {
	tb.Helper()
	dir := filepath.Join(Root(tb), name)
	ds := &Dataset{Name: name, Dir: dir, Expected: map[string]string{}}
	var err error
	if ds.CODEOWNERS, err = os.ReadFile(filepath.Join(dir, "CODEOWNERS")); err != nil {
		tb.Fatal(err)
	}
	files, err := os.ReadFile(filepath.Join(dir, "files.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	ds.Files = lines(files)
	expected, err := os.ReadFile(filepath.Join(dir, "expected-hmarr.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range lines(expected) {
		path, owners, _ := strings.Cut(l, "\t")
		ds.Expected[path] = owners
	}
	return ds
}

func lines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			out = append(out, l)
		}
	}
	return out
}
