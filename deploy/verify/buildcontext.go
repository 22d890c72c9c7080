package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// contextStats is the size of a build context.
type contextStats struct {
	Files int
	Bytes int64
}

// Names that look like credentials: a build context is sent to the builder
// and may end up in its cache, so none of these may be in it.
var secretNames = []string{"*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_ed25519*", ".env", ".env.*", "app.json", "*.gob", ".netrc"}

// checkBuildContext applies .dockerignore to the tree fsys the way the
// builder does, and checks that the context holds every file in needed
// (slash paths: the Go files and embedded files that build the binary, and
// go.mod and go.sum), and nothing that looks like a credential or the .git
// directory.
func checkBuildContext(fsys fs.FS, dockerignore []byte, ignoreName string, needed []string) ([]Problem, contextStats, error) {
	var stats contextStats
	patterns, err := ignorefile.ReadAll(bytes.NewReader(dockerignore))
	if err != nil {
		return nil, stats, fmt.Errorf("%s: %w", ignoreName, err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, stats, fmt.Errorf("%s: %w", ignoreName, err)
	}
	var ps problems
	included := map[string]bool{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		excluded, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			// An excluded directory is entered only where an exception
			// (!pattern) may bring something inside it back.
			if excluded && !mayReinclude(pm, p) {
				return fs.SkipDir
			}
			return nil
		}
		if excluded {
			return nil
		}
		included[p] = true
		stats.Files++
		if info, err := d.Info(); err == nil {
			stats.Bytes += info.Size()
		}
		base := path.Base(p)
		if strings.HasPrefix(p, ".git/") {
			ps.add(ignoreName, "the build context holds %s: leave .git out", p)
			return nil
		}
		for _, pat := range secretNames {
			if ok, _ := path.Match(pat, base); ok {
				ps.add(ignoreName, "the build context holds %s, which looks like a credential: leave it out", p)
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, stats, err
	}
	for _, n := range needed {
		if !included[n] {
			ps.add(ignoreName, "%s is needed to build the binary but the build context leaves it out", n)
		}
	}
	return ps, stats, nil
}

// mayReinclude reports whether an exception pattern could match something
// below the directory dir.
func mayReinclude(pm *patternmatcher.PatternMatcher, dir string) bool {
	for _, p := range pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		pat := p.String()
		first, _, _ := strings.Cut(pat, "/")
		if strings.HasPrefix(pat, dir+"/") || strings.ContainsAny(first, "*?[") {
			return true
		}
	}
	return false
}

// neededFiles asks `go list` which files build pkg in the module at root,
// for the image's platform: every Go and embedded file of the main
// module's packages pkg depends on, and go.mod and go.sum. Slash paths
// relative to root. env is added to go's environment.
func neededFiles(root, pkg string, env ...string) ([]string, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", pkg)
	cmd.Dir = root
	cmd.Env = append(append(cmd.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=readonly"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %v: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir        string
			GoFiles    []string
			EmbedFiles []string
			Module     *struct{ Main bool }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(abs, p.Dir)
		if err != nil {
			return nil, err
		}
		for _, f := range slices.Concat(p.GoFiles, p.EmbedFiles) {
			needed = append(needed, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	return needed, nil
}
