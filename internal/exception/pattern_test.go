package exception

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseEntry parses one valid entry with the given patterns in unit dir.
func parseEntry(t *testing.T, dir string, patterns ...string) *Entry {
	t.Helper()
	quoted := make([]string, len(patterns))
	for i, p := range patterns {
		quoted[i] = strconv.Quote(p)
	}
	file := FileName
	if dir != "" {
		file = dir + "/" + FileName
	}
	yaml := fmt.Sprintf("version: 1\nexceptions:\n  - {id: EXC-1, rule: runbook.missing, paths: [%s], reason: \"Retired in Q1, see PAY-1.\", expires: \"2027-01-31\"}\n",
		strings.Join(quoted, ", "))
	f, problems := Parse(file, []byte(yaml), known)
	if len(problems) > 0 || len(f.Entries) != 1 || !f.Entries[0].Valid {
		t.Fatalf("patterns %q: %v", patterns, problems)
	}
	return f.Entries[0]
}

// A case is a path and whether the pattern covers it.
type covers map[string]bool

func TestPatternSemantics(t *testing.T) {
	tests := []struct {
		dir, pattern string
		paths        covers
	}{
		// "x/**": anchored to the unit, everything inside x, never x itself.
		{"payments", "legacy/**", covers{
			"payments/legacy/run.sh": true, "payments/legacy/jobs/nightly.py": true,
			"payments/legacy/": true, "payments/legacy/jobs/": true,
			"payments/legacy": false, "payments/api/legacy/run.sh": false, "payments/legacyish/run.sh": false,
			"legacy/run.sh": false, "billing/legacy/run.sh": false, "payments/": false, ".": false,
		}},
		// "x/": floating, everything inside any directory named x.
		{"payments", "legacy/", covers{
			"payments/legacy/run.sh": true, "payments/api/legacy/run.sh": true,
			"payments/legacy/": true, "payments/api/legacy/": true, "payments/api/legacy/deep/": true,
			"payments/legacy": false, "payments/": false,
		}},
		// "x": floating, x itself, file or directory, and all below.
		{"payments", "legacy", covers{
			"payments/legacy": true, "payments/legacy/run.sh": true, "payments/api/legacy/run.sh": true,
			"payments/legacy/": true, "payments/legacy/jobs/": true,
			"payments/legacyish": false, "payments/": false, "legacy": false,
		}},
		// "/x": anchored to the unit's directory, not the repository's root.
		{"payments", "/legacy", covers{
			"payments/legacy/run.sh": true, "payments/legacy/": true,
			"payments/api/legacy/run.sh": false, "legacy/run.sh": false,
		}},
		// "*.sh": floating glob; "*" never crosses "/".
		{"payments", "*.sh", covers{
			"payments/run.sh": true, "payments/legacy/jobs/run.sh": true, "payments/tools.sh/": true,
			"payments/run.py": false, "payments/run.sh.bak": false, "payments/legacy/": false,
			"billing/run.sh": false, "run.sh": false,
		}},
		{"payments", "/*.sh", covers{
			"payments/run.sh":        true,
			"payments/legacy/run.sh": false,
		}},
		// "x/*": direct children only; no directory is covered whole.
		{"payments", "legacy/*", covers{
			"payments/legacy/run.sh": true, "payments/legacy/jobs": true,
			"payments/legacy/jobs/nightly.py": false, "payments/legacy/": false, "payments/legacy/jobs/": false,
		}},
		// "x/*/": what is inside x's subdirectories.
		{"payments", "legacy/*/", covers{
			"payments/legacy/jobs/nightly.py": true, "payments/legacy/jobs/": true, "payments/legacy/jobs/deep/": true,
			"payments/legacy/run.sh": false, "payments/legacy/": false,
		}},
		// "x/**/*": everything below x, at any depth.
		{"payments", "legacy/**/*", covers{
			"payments/legacy/run.sh": true, "payments/legacy/jobs/nightly.py": true,
			"payments/legacy/": true, "payments/legacy/jobs/": true,
			"payments/legacy": false, "payments/": false,
		}},
		// A "/" in the middle anchors.
		{"payments", "src/*.go", covers{
			"payments/src/main.go":     true,
			"payments/src/sub/main.go": false, "payments/api/src/main.go": false, "payments/src/": false,
		}},
		{"payments", "**/src/*.go", covers{
			"payments/src/main.go": true, "payments/api/src/main.go": true,
		}},
		{"payments", "?.md", covers{"payments/a.md": true, "payments/ab.md": false}},
		{"payments", `my\ notes.md`, covers{"payments/my notes.md": true, "payments/my": false}},
		// Findings on the unit's OWNERS.yaml (runbook.missing, owners.*).
		{"payments", "OWNERS.yaml", covers{
			"payments/OWNERS.yaml": true, "payments/api/OWNERS.yaml": true,
			"payments/OWNERS.yml": false, "payments/": false, "OWNERS.yaml": false,
		}},
		{"payments", "/OWNERS.yaml", covers{"payments/OWNERS.yaml": true, "payments/api/OWNERS.yaml": false}},
		// Everything in the unit, the unit's directory included.
		{"payments", "**", covers{
			"payments/OWNERS.yaml": true, "payments/a/b/c": true, "payments/": true, "payments": true, "payments/a/": true,
			"paymentsx/a": false, "billing/": false, ".": false, "OWNERS.yaml": false,
		}},
		{"payments", "/**", covers{"payments/": true, "payments/a/b": true, "billing/a": false}},
		{"payments", "*", covers{"payments/": true, "payments/a/b": true, "payments/a/": true, "billing/a": false}},
		{"payments", "**/*", covers{"payments/": true, "payments/a/b": true, "payments/a/": true}},
		// "*/": everything inside a directory, so not the unit's top-level files.
		{"payments", "*/", covers{
			"payments/a/b": true, "payments/a/": true, "payments/a/b/": true,
			"payments/top.txt": false, "payments/": false,
		}},
		// The root unit holds everything.
		{"", "legacy/**", covers{"legacy/run.sh": true, "legacy/": true, "payments/legacy/run.sh": false}},
		{"", "**", covers{".": true, "": true, "a/b": true, "a/": true, "CODEOWNERS": true}},
		{"", "OWNERS.yaml", covers{"OWNERS.yaml": true, "a/OWNERS.yaml": true, ".": false}},
		// Paths that are not clean are never covered: they cannot be placed.
		{"payments", "**", covers{
			"payments/../billing/a": false, "payments/./a": false, "payments//a": false,
			"/payments/a": false, "payments/a//": false, "./payments/a": false,
		}},
		{"", "**", covers{"../a": false, "..": false, "/": false, "./": false, "/a": false}},
	}
	for _, tt := range tests {
		t.Run(tt.dir+":"+tt.pattern, func(t *testing.T) {
			e := parseEntry(t, tt.dir, tt.pattern)
			got := covers{}
			for p := range tt.paths {
				_, got[p] = e.Covers(p)
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("covered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCoversNamesThePattern(t *testing.T) {
	e := parseEntry(t, "payments", "*.sh", "legacy/**")
	type result struct {
		Pattern string
		OK      bool
	}
	tests := map[string]result{
		"payments/run.sh":        {"*.sh", true},
		"payments/legacy/run.sh": {"*.sh", true}, // the first pattern that covers it
		"payments/legacy/run.py": {"legacy/**", true},
		"payments/run.py":        {"", false},
	}
	for p, want := range tests {
		pat, ok := e.Covers(p)
		if diff := cmp.Diff(want, result{pat, ok}); diff != "" {
			t.Errorf("Covers(%q) (-want +got):\n%s", p, diff)
		}
	}
}

// A directory finding stands for everything inside the directory, so a
// pattern may cover the directory only if it covers each file inside it.
// This checks that rule over many patterns and directories; the table above
// checks that the covering is not so cautious as to be useless.
func TestDirectoryCoverIsSound(t *testing.T) {
	patterns := []string{
		"legacy", "legacy/", "legacy/**", "/legacy", "/legacy/", "legacy/*", "legacy/*/", "legacy/**/*",
		"legacy/?", "legacy/?/", "legacy/*.sh", "legacy/**/*.sh", "*.sh", "*", "*/", "**", "**/*", "/*", "/*/",
		"**/legacy", "**/legacy/**", "a/**/b", "a/**/b/", "a/*/b", "a/*/b/**", "?", "??/", "a?", "*a*/",
		"OWNERS.yaml", "/**/", "**/*/", "legacy/**/jobs/*", "a/b/c/",
	}
	dirs := []string{
		"", "legacy", "legacy/jobs", "legacy/jobs/deep", "a", "a/b", "a/x/b", "a/x/y/b", "a/b/c", "x/legacy",
		"x/legacy/jobs", "legacy/x", "b", "aa", "legacy/a.sh", "x",
	}
	inside := []string{"f", "run.sh", "OWNERS.yaml", "jobs/f", "b/c", "x/y/z.sh", "legacy/f", "a", "?", "*"}
	for _, raw := range patterns {
		p, msg := compile(raw)
		if msg != "" {
			t.Fatalf("compile(%q): %s", raw, msg)
		}
		for _, d := range dirs {
			if !p.matches(d, true) {
				continue
			}
			for _, f := range inside {
				file := f
				if d != "" {
					file = d + "/" + f
				}
				if !p.matches(file, false) {
					t.Errorf("%q covers directory %q/ but not %q inside it", raw, d, file)
				}
			}
		}
	}
}

func TestDirForm(t *testing.T) {
	type form struct {
		Form    string
		All, OK bool
	}
	tests := map[string]form{
		"**":          {"", true, true},
		"/**":         {"", true, true},
		"**/":         {"", true, true},
		"*":           {"", true, true},
		"**/*":        {"", true, true},
		"/*":          {"", false, false},
		"legacy/*":    {"", false, false},
		"*/":          {"?*", false, true},
		"/*/":         {"/?*", false, true},
		"legacy":      {"legacy", false, true},
		"*.sh":        {"*.sh", false, true},
		"legacy/":     {"legacy", false, true},
		"/legacy/":    {"/legacy", false, true},
		"legacy/**":   {"/legacy", false, true},
		"legacy/**/*": {"/legacy", false, true},
		"legacy/*/":   {"legacy/?*", false, true},
		"a/b/":        {"a/b", false, true},
		"**/legacy/":  {"**/legacy", false, true},
	}
	for raw, want := range tests {
		f, all, ok := dirForm(raw)
		if diff := cmp.Diff(want, form{f, all, ok}); diff != "" {
			t.Errorf("dirForm(%q) (-want +got):\n%s", raw, diff)
		}
	}
}
