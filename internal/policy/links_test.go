package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// secret is what the files outside the repository hold; no finding may
// quote it.
const secret = "GITHUB_TOKEN=ghs_canary0123456789"

// linkedRepo writes files into a directory, and links (name → target), with
// secret.txt in a directory next to it for the links to point at.
func linkedRepo(t *testing.T, files, links map[string]string) string {
	t.Helper()
	base := t.TempDir()
	dir, out := filepath.Join(base, "repo"), filepath.Join(base, "out")
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		write(name, body)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "secret.txt"), []byte("* @"+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range links {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(strings.ReplaceAll(target, "$OUT", out), p); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestEvaluateLinksOutsideTheRepository: links out of the repository (and
// loops) are findings on the link, the files they stand for count as absent,
// everything else is still evaluated, and nothing from outside is quoted.
func TestEvaluateLinksOutsideTheRepository(t *testing.T) {
	dir := linkedRepo(t, map[string]string{
		"OWNERS.yaml":     rootOwners,
		"CODEOWNERS":      "* @acme/all\n",
		"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/main.go":     "package main\n",
	}, map[string]string{
		".github/CODEOWNERS":         "$OUT/secret.txt",      // absolute
		".github/ownerbot.yaml":      "../../out/secret.txt", // climbs out
		"evil/OWNERS.yaml":           "/etc/passwd",          // absolute, in a unit of its own
		"docs":                       "../out",               // a directory out
		"pay/OWNERS_EXCEPTIONS.yaml": "../../out/secret.txt", // an exceptions file
		"loop/a":                     "b",
		"loop/b":                     "a",
		"pay/readme.md":              "../CODEOWNERS", // inside: followed
	})
	tree, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	res, err := Evaluate(tree, Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatalf("Evaluate failed on links it should refuse: %v", err)
	}
	want := []brief{
		{LinkOutsideRepository, ".github/CODEOWNERS", 0, 0, Error},
		{LinkOutsideRepository, ".github/ownerbot.yaml", 0, 0, Error},
		{LinkOutsideRepository, "docs", 0, 0, Error},
		{LinkOutsideRepository, "evil/OWNERS.yaml", 0, 0, Error},
		{LinkOutsideRepository, "loop/a", 0, 0, Error},
		{LinkOutsideRepository, "loop/b", 0, 0, Error},
		{LinkOutsideRepository, "pay/OWNERS_EXCEPTIONS.yaml", 0, 0, Error},
	}
	if diff := cmp.Diff(want, briefs(res.Findings, "link.")); diff != "" {
		t.Errorf("link findings (-want +got):\n%s", diff)
	}
	// The rest is evaluated: the root CODEOWNERS is the one GitHub would
	// use once the link is not, and the units are there.
	if res.CODEOWNERS != "CODEOWNERS" {
		t.Errorf("CODEOWNERS = %q, want the root file", res.CODEOWNERS)
	}
	if res.Units == nil || res.Units.UnitOf("pay/main.go") == nil || res.Units.UnitOf("pay/main.go").Name() != "pay/" {
		t.Errorf("the pay unit was not evaluated: %+v", res.Units)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Message, secret) || strings.Contains(f.Message, "out/secret.txt") || strings.Contains(f.Message, "/etc/passwd") {
			t.Errorf("finding quotes what lies outside: %+v", f)
		}
		if f.Rule == LinkOutsideRepository && f.Remedy == "" {
			t.Errorf("finding without remedy: %+v", f)
		}
	}
	for path, wantWords := range map[string]string{
		".github/CODEOWNERS": "the CODEOWNERS file here is treated as absent",
		"evil/OWNERS.yaml":   "the OWNERS.yaml file here is treated as absent",
		"loop/a":             "never resolves (it loops)",
		"docs":               "the symbolic link docs leads outside the repository",
	} {
		found := false
		for _, f := range res.Findings {
			if f.Rule == LinkOutsideRepository && f.Path == path {
				found = true
				if !strings.Contains(f.Message, wantWords) {
					t.Errorf("%s: message %q lacks %q", path, f.Message, wantWords)
				}
			}
		}
		if !found {
			t.Errorf("no link finding on %s", path)
		}
	}
}

// TestEvaluateLinkedCodeownersAlone: when the only CODEOWNERS is a link out,
// the repository has no CODEOWNERS, and both findings say so.
func TestEvaluateLinkedCodeownersAlone(t *testing.T) {
	dir := linkedRepo(t, map[string]string{"OWNERS.yaml": rootOwners, "a.go": ""},
		map[string]string{".github/CODEOWNERS": "/proc/self/environ"})
	tree, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	res, err := Evaluate(tree, Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{
		{CodeownersMissing, ".github/CODEOWNERS", 0, 0, Error},
		{LinkOutsideRepository, ".github/CODEOWNERS", 0, 0, Error},
	}
	got := append(briefs(res.Findings, "codeowners.missing"), briefs(res.Findings, "link.")...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Ruleset != nil {
		t.Error("a ruleset was read through the link")
	}
}

// linkTree is a tree that reports refused links, as snapshot.Tree does.
type linkTree struct {
	*snapshot.Tree
	outside, loops []string
}

func (l linkTree) OutsideLinks() []string { return l.outside }
func (l linkTree) LinkLoops() []string    { return l.loops }

// TestLinkFindingsAreWaivable: an exception waives a link finding like any
// other (a team may keep a link to a file it does not need judged), and the
// configured severity applies.
func TestLinkFindingsAreWaivable(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n", "OWNERS.yaml": rootOwners,
		".github/ownerbot.yaml": "version: 1\nrules:\n  link.outside_repository: warning\n",
		"OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: LNK-1, rule: link.outside_repository, paths: [\"tools/**\"], reason: \"the SDK lives outside\", expires: \"2026-12-20\"}\n",
	}
	tr := linkTree{Tree: tree(files), outside: []string{"tools/sdk", "web/x"}}
	res, err := Evaluate(tr, Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Path, ExceptedBy string
		Severity         Severity
	}
	var all []got
	for _, f := range res.Findings {
		if f.Rule == LinkOutsideRepository {
			all = append(all, got{f.Path, f.ExceptedBy, f.Severity})
		}
	}
	if c := briefs(res.Findings, "config."); len(c) != 0 {
		t.Errorf("the configuration has problems: %v", c)
	}
	want := []got{{"tools/sdk", "LNK-1", Warning}, {"web/x", "", Warning}}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
