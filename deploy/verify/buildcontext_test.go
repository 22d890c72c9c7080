package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// checkout is a project checkout as a user may have it: sources, tests,
// other modules, git, and the App's key and manifest conversion beside
// them (README, "Create the App").
func checkout() fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"go.mod":                         file("module x\n"),
		"go.sum":                         file(""),
		"cmd/bot/main.go":                file("package main"),
		"cmd/bot/main_test.go":           file("package main"),
		"internal/a/a.go":                file("package a"),
		"internal/a/testdata/big.txt":    file("data"),
		"deploy/deploy.go":               file("package deploy"),
		"deploy/app.yml":                 file("name: ownerbot"),
		"deploy/verify/go.mod":           file("module y"),
		"deploy/helm/ownerbot/Chart.yml": file(""),
		"examples/acme/go.mod":           file("module z"),
		".git/config":                    file("[core]"),
		"app.pem":                        file("-----BEGIN RSA PRIVATE KEY-----"),
		"app.json":                       file("{}"),
	}
}

var neededByCheckout = []string{"go.mod", "go.sum", "cmd/bot/main.go", "internal/a/a.go", "deploy/deploy.go", "deploy/app.yml"}

func TestCheckBuildContext(t *testing.T) {
	tests := []struct {
		name      string
		ignore    string
		want      []string
		wantFiles int
	}{
		{
			name:      "allowlist",
			ignore:    "*\n!go.mod\n!go.sum\n!cmd/\n!internal/\n!deploy/deploy.go\n!deploy/app.yml\n**/*_test.go\n**/testdata/\n",
			wantFiles: 6,
		},
		{
			name:   "embedded file left out",
			ignore: "*\n!go.mod\n!go.sum\n!cmd/\n!internal/\n!deploy/deploy.go\n",
			want:   []string{".dockerignore: deploy/app.yml is needed to build the binary but the build context leaves it out"},
		},
		{
			name:   "denylist that forgets the key",
			ignore: ".git\nexamples\ndeploy/helm\ndeploy/verify\n",
			want: []string{
				".dockerignore: the build context holds app.json, which looks like a credential: leave it out",
				".dockerignore: the build context holds app.pem, which looks like a credential: leave it out",
			},
			wantFiles: 10,
		},
		{
			name:   "nothing ignored",
			ignore: "",
			want: []string{
				".dockerignore: the build context holds .git/config: leave .git out",
				".dockerignore: the build context holds app.json, which looks like a credential: leave it out",
				".dockerignore: the build context holds app.pem, which looks like a credential: leave it out",
			},
			wantFiles: 14,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, stats, err := checkBuildContext(checkout(), []byte(tt.ignore), ".dockerignore", neededByCheckout)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, problemLines(ps)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tt.wantFiles != 0 && stats.Files != tt.wantFiles {
				t.Errorf("%d files in the context, want %d", stats.Files, tt.wantFiles)
			}
		})
	}
}

func TestCheckBuildContextBadPattern(t *testing.T) {
	_, _, err := checkBuildContext(checkout(), []byte("[\n"), ".dockerignore", nil)
	if err == nil {
		t.Fatal("a malformed pattern: no error")
	}
}

// TestBuildContextShipped checks the project's .dockerignore against the
// files `go list` says build ./cmd/bot.
func TestBuildContextShipped(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: cannot ask which files build ./cmd/bot")
	}
	// Tests stay off the network: with the root module's dependencies
	// not downloaded yet, this one cannot run.
	needed, err := neededFiles("../..", "./cmd/bot", "GOPROXY=off")
	if err != nil && strings.Contains(err.Error(), "GOPROXY=off") {
		t.Skipf("the project's modules are not in the module cache (go mod download in the project first): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	ps, stats, err := checkBuildContext(os.DirFS("../.."), ignore, ".dockerignore", needed)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Error(p)
	}
	if stats.Files < len(needed) {
		t.Errorf("%d files in the context, fewer than the %d needed", stats.Files, len(needed))
	}
}
