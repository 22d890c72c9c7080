package policy

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

func TestByOwner(t *testing.T) {
	res := evaluate(t, map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/svc/ @acme/svc @Alice\n/svc/gen/\n/docs/ @acme/docs @acme/DOCS\n*.md @acme/docs\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/platform\"\nrunbooks: [\"runbooks/*.md\"]\n",
		"runbooks/a.md":      "---\nowner: \"@acme/sre\"\nlast_reviewed: \"2026-11-01\"\n---\n# A\n",
		"svc/OWNERS.yaml":    "version: 1\nowner: \"@acme/svc\"\n",
		"svc/a.go":           "",
		"svc/gen/x.go":       "",
		"docs/guide.txt":     "",
		"lab/OWNERS.yaml":    "version: 1\n",
		"lab/x.go":           "",
	})
	got := res.ByOwner()
	want := OwnerCoverage{
		// * decides .github/CODEOWNERS, OWNERS.yaml, lab/OWNERS.yaml, lab/x.go;
		// *.md decides runbooks/a.md; /svc/ decides svc/OWNERS.yaml and
		// svc/a.go (shared); /docs/ names one team twice: sole.
		Files: 9, Shared: 2, Unowned: 1,
		Owners: []OwnerShare{
			{Owner: "@acme/platform", Files: 4, Sole: 4, Units: 2},
			{Owner: "@acme/svc", Files: 2, Units: 1},
			{Owner: "@acme/docs", Files: 2, Sole: 2},
			{Owner: "@Alice", Files: 2},
			{Owner: "@acme/sre", Runbooks: 1},
		},
		Units: 3, Runbooks: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ByOwner (-want +got):\n%s", diff)
	}
	checkAddsUp(t, "fixture", res, got)
}

// checkAddsUp holds the promise of OwnerCoverage: every file in exactly one
// of sole, shared and unowned, and the owned ones those CODEOWNERS owns.
func checkAddsUp(t *testing.T, name string, res *Result, c OwnerCoverage) {
	t.Helper()
	sole := 0
	for _, o := range c.Owners {
		sole += o.Sole
	}
	if sole+c.Shared+c.Unowned != c.Files {
		t.Errorf("%s: sole %d + shared %d + unowned %d != %d files", name, sole, c.Shared, c.Unowned, c.Files)
	}
	if sole+c.Shared != res.Coverage.Owned {
		t.Errorf("%s: sole %d + shared %d != %d owned files", name, sole, c.Shared, res.Coverage.Owned)
	}
}

// On every real CODEOWNERS file, the figures per owner add up to the
// repository's.
func TestByOwnerAddsUpOnDatasets(t *testing.T) {
	for _, name := range datasettest.Names(t) {
		ds := datasettest.Load(t, name)
		fsys := fstest.MapFS{"CODEOWNERS": &fstest.MapFile{Data: ds.CODEOWNERS}}
		paths := []string{"CODEOWNERS"}
		for _, f := range ds.Files {
			if f != "CODEOWNERS" {
				fsys[f] = &fstest.MapFile{}
				paths = append(paths, f)
			}
		}
		res, err := Evaluate(snapshot.FromPaths(fsys, paths), Options{Now: today, Org: adopted()})
		if err != nil {
			t.Fatal(err)
		}
		c := res.ByOwner()
		checkAddsUp(t, name, res, c)
		if testing.Verbose() {
			fmt.Printf("%s: %d files, %d owners, %.1f%% shared, %.1f%% unowned\n", name, c.Files, len(c.Owners), c.Percent(c.Shared), c.Percent(c.Unowned))
		}
	}
}
