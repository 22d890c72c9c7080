package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// syntheticRepo writes and commits a monorepo of about files files in units
// units, each with two runbooks (one broken link each), and a CODEOWNERS of
// ten rules per unit, capped at rules.
func syntheticRepo(b *testing.B, files, units, rules int) string {
	b.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	dir := b.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	co := []string{"* @acme/platform"}
	write("OWNERS.yaml", "version: 1\nowner: \"@acme/platform\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n")
	n := 2
	for u := 0; u < units; u++ {
		d := fmt.Sprintf("svc%02d/unit%03d", u/25, u)
		team := fmt.Sprintf("@acme/team%03d", u)
		write(d+"/OWNERS.yaml", fmt.Sprintf("version: 1\nowner: %q\ntier: %d\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-%02d-15\"}\n", team, 1+u%3, 1+u%11))
		for r := 0; r < 2; r++ {
			write(fmt.Sprintf("%s/runbooks/rb%d.md", d, r), fmt.Sprintf("---\nlast_reviewed: \"2026-%02d-10\"\n---\n# Runbook %d\n\nSee [the other](rb%d.md) and [missing](nope.md).\n", 1+(u+r)%11, r, 1-r))
		}
		n += 3
		co = append(co, fmt.Sprintf("/%s/ %s @acme/platform", d, team))
		for k := 0; k < 9; k++ {
			co = append(co, fmt.Sprintf("/%s/pkg%d/ %s @acme/reviewers%d", d, k, team, k))
		}
	}
	per := (files - n) / units
	for u := 0; u < units; u++ {
		for i := 0; i < per; i++ {
			write(fmt.Sprintf("svc%02d/unit%03d/pkg%d/f%d.go", u/25, u, i%10, i), "")
		}
	}
	write(".github/CODEOWNERS", strings.Join(co[:min(len(co), rules)], "\n")+"\n")
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "synthetic"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
			"GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@example.com", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// BenchmarkCheckSynthetic is `ownerbot check` on a git checkout of 100,000
// files, 500 units, 1,000 runbooks and 5,000 CODEOWNERS rules, and on two
// smaller ones so linearity can be read off: half the files with half the
// units (files and units together), and all the files with half the units
// (units alone). open is reading the tree
// (the git index); evaluate is parsing every file and evaluating; command
// is the whole command with its JSON report. Peak memory of the process is
// measured outside (see the README).
func BenchmarkCheckSynthetic(b *testing.B) {
	if testing.Short() {
		b.Skip("builds large repositories")
	}
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, size := range []struct{ files, units int }{{50_000, 250}, {100_000, 250}, {100_000, 500}} {
		name := fmt.Sprintf("files=%dk,units=%d", size.files/1000, size.units)
		dir := syntheticRepo(b, size.files, size.units, 5000)
		b.Run(name+"/open", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := snapshot.Open(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
		tree, err := snapshot.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/evaluate", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := policy.Evaluate(tree, policy.Options{Now: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/command", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				code := Main(context.Background(), IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard},
					Build{}, []string{"check", "--repo", dir, "--now", "2026-11-26", "--format", "json", "--fail-on", "never"})
				if code != ExitOK {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
