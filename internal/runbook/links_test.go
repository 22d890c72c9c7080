package runbook

import (
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// repo is a small repository: a runbook directory, docs with headings, and
// files whose names need care.
var repo = fstest.MapFS{
	"README.md":                     {Data: []byte("# Acme\n")},
	"ops/runbooks/failover.md":      {Data: []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n# Failover\n## Steps\n## Steps\n")},
	"ops/runbooks/img/diagram.png":  {Data: []byte("\x89PNG")},
	"ops/runbooks/my file.md":       {Data: []byte("# Spaced\n")},
	"ops/runbooks/100%.md":          {Data: []byte("# Percent\n")},
	"ops/scripts/promote.sh":        {Data: []byte("#!/bin/sh\n")},
	"docs/guide.md":                 {Data: []byte("---\ntitle: Guide\n---\n# Guide\n## Step 1: check (the) *replica*\n## FAQ\n## FAQ\n<a name=\"legacy-anchor\"></a>\n```\n# not-a-heading\n```\n")},
	"docs/Design.md":                {Data: []byte("# Design\n")},
	"docs/big.md":                   {Data: []byte("# Big\n" + strings.Repeat("x", MaxSize))},
	"services/payments/OWNERS.yaml": {Data: []byte("version: 1\n")},
}

func paths(fsys fstest.MapFS) []string { return slices.Sorted(maps.Keys(fsys)) }

func TestBrokenLinks(t *testing.T) {
	tests := []struct {
		name   string
		target string
		reason string // "" when the link resolves
	}{
		{"a file next to the runbook", "failover.md", ""},
		{"./ and ../", "./../runbooks/./failover.md", ""},
		{"up to a sibling directory", "../scripts/promote.sh", ""},
		{"from the root, as GitHub reads a leading /", "/docs/guide.md", ""},
		{"to the root", "../../", ""},
		{"to the root, from the root", "/", ""},
		{"a missing file", "missing.md", "ops/runbooks/missing.md does not exist in the repository"},
		{"a missing file from the root", "/ops/missing.md", "ops/missing.md does not exist in the repository"},
		{"case matters on GitHub", "../../docs/design.md", "docs/design.md does not exist in the repository (did you mean docs/Design.md? paths are case-sensitive)"},
		{"leaves the repository", "../../../etc/passwd", "the target leaves the repository: its `..` climb above the root"},
		{"leaves the repository from the root", "/../x.md", "the target leaves the repository: its `..` climb above the root"},
		{"climbs out and back in: still leaves", "../../../acme/docs/guide.md", "the target leaves the repository: its `..` climb above the root"},
		{"encoded dots climb too", "..%2F..%2F%2E%2E/x.md", "the target leaves the repository: its `..` climb above the root"},
		{"percent-encoding decodes", "my%20file.md", ""},
		{"percent-encoded percent", "100%25.md", ""},
		{"a bare percent sign", "100%.md", "\"100%.md\" is not valid percent-encoding: write % as %25"},
		{"a directory", "img", ""},
		{"a directory with a slash", "../../services/payments/", ""},
		{"a directory is any path with files below", "../../services", ""},
		{"a missing directory", "../../services/search/", "services/search does not exist in the repository"},
		{"a file is not a directory", "failover.md/", "ops/runbooks/failover.md is a file, not a directory"},
		{"a prefix of a file name is no directory", "../../docs/gui", "docs/gui does not exist in the repository"},
		{"an anchor in another file", "../../docs/guide.md#guide", ""},
		{"an anchor with punctuation removed", "../../docs/guide.md#step-1-check-the-replica", ""},
		{"a duplicate heading's anchor", "../../docs/guide.md#faq-1", ""},
		{"a duplicate that does not exist", "../../docs/guide.md#faq-2", "docs/guide.md has no heading or anchor #faq-2 (did you mean #faq-1?)"},
		{"an explicit anchor", "../../docs/guide.md#legacy-anchor", ""},
		{"GitHub's prefix and any case", "../../docs/guide.md#user-content-FAQ", ""},
		{"headings in code do not count", "../../docs/guide.md#not-a-heading", "docs/guide.md has no heading or anchor #not-a-heading"},
		{"front matter is not a heading", "../../docs/guide.md#title-guide", "docs/guide.md has no heading or anchor #title-guide"},
		{"an anchor in the runbook itself", "#steps-1", ""},
		{"a missing anchor in the runbook itself", "#rollback", "this runbook has no heading or anchor #rollback"},
		{"an anchor in the runbook by its name", "failover.md#failover", ""},
		{"anchors of other files are not checked", "../scripts/promote.sh#L3", ""},
		{"nor of directories", "img/#x", ""},
		{"nor in plain view", "../../docs/guide.md?plain=1#L4", ""},
		{"nor in files too large to read", "../../docs/big.md#nowhere", ""},
		{"a query alone is fine", "failover.md?raw=true", ""},
		{"an anchor with percent-encoding", "my%20file.md#spaced", ""},
		{"external links are not checked", "https://example.com/missing.md", ""},
		{"nor protocol-relative ones", "//example.com/missing.md", ""},
		{"nor mail", "mailto:oncall@acme.example", ""},
		{"a bare #", "#", ""},
	}
	checker := NewLinkChecker(repo, paths(repo))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("ops/runbooks/failover.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n# Failover\n## Steps\n## Steps\n\nSee [it](<"+tt.target+">).\n"))
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			got, err := checker.BrokenLinks(r)
			if err != nil {
				t.Fatal(err)
			}
			var want []Link
			if tt.reason != "" {
				want = []Link{{Line: 8, Column: 11, Target: tt.target, Reason: tt.reason}}
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBrokenLinksInOrder(t *testing.T) {
	r, _ := Parse("README.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n[a](x.md) [b](docs/guide.md) ![c](y.png)\n\n[ref]: z.md\n"))
	got, err := NewLinkChecker(repo, paths(repo)).BrokenLinks(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{Line: 4, Column: 5, Target: "x.md", Reason: "x.md does not exist in the repository"},
		{Line: 4, Column: 35, Target: "y.png", Image: true, Reason: "y.png does not exist in the repository"},
		{Line: 6, Column: 8, Target: "z.md", Reason: "z.md does not exist in the repository"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Only the listed paths exist: a file on disk that git does not track is a
// broken link on GitHub.
func TestBrokenLinksTrustThePathList(t *testing.T) {
	r, _ := Parse("README.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n[a](docs/guide.md)\n"))
	got, err := NewLinkChecker(repo, []string{"README.md"}).BrokenLinks(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Link{{Line: 4, Column: 5, Target: "docs/guide.md", Reason: "docs/guide.md does not exist in the repository"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// countingFS counts the files opened, to show each target is read once.
type countingFS struct {
	fs.FS
	opened map[string]int
}

func (c countingFS) Open(name string) (fs.File, error) {
	c.opened[name]++
	return c.FS.Open(name)
}

func TestAnchorsAreReadOnce(t *testing.T) {
	fsys := countingFS{repo, map[string]int{}}
	checker := NewLinkChecker(fsys, paths(repo))
	for range 3 {
		r, _ := Parse("README.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n[a](docs/guide.md#faq) [b](docs/guide.md#nope) [c](docs/Design.md)\n"))
		if _, err := checker.BrokenLinks(r); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]int{"docs/guide.md": 1}, fsys.opened); diff != "" {
		t.Errorf("files opened (-want +got):\n%s", diff)
	}
}

func TestUnreadableTarget(t *testing.T) {
	r, _ := Parse("README.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n[a](gone.md#x)\n"))
	_, err := NewLinkChecker(repo, []string{"README.md", "gone.md"}).BrokenLinks(r)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "read gone.md") {
		t.Errorf("err = %v, want a read error naming gone.md", err)
	}
}

func TestUnsortedPaths(t *testing.T) {
	r, _ := Parse("README.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n[a](b/c.md) [d](a)\n"))
	got, err := NewLinkChecker(repo, []string{"z.md", "b/c.md", "a/x"}).BrokenLinks(r)
	if err != nil || len(got) != 0 {
		t.Errorf("BrokenLinks = %v, %v; want none", got, err)
	}
}
