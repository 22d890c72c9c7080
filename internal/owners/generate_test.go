package owners

import (
	"testing"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/golden"
)

func TestGenerateCODEOWNERS(t *testing.T) {
	var files []*File
	for path, body := range map[string]string{
		"OWNERS.yaml":                       "version: 1\nowner: \"@acme/platform\"\n",
		"services/payments/OWNERS.yaml":     "version: 1\nowner: \"@acme/payments\"\n",
		"services/payments/api/OWNERS.yaml": "version: 1\n", // inherits @acme/payments
		"odd dir/[v2]*/OWNERS.yaml":         "version: 1\nowner: \"@acme/odd\"\n",
	} {
		f, problems := Parse(path, []byte(body))
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		files = append(files, f)
	}
	tree := Build(files)
	got := tree.GenerateCODEOWNERS()
	golden.Assert(t, "generated-CODEOWNERS", got)
	if again := Build(files).GenerateCODEOWNERS(); string(again) != string(got) {
		t.Error("generation is not deterministic")
	}

	// The generated file must say what the units say, under GitHub's rules.
	rs := codeowners.Parse(got)
	if len(rs.Problems) > 0 {
		t.Fatalf("generated file has problems: %v", rs.Problems)
	}
	for path, want := range map[string]string{
		"README.md":                  "@acme/platform",
		"services/payments/x.go":     "@acme/payments",
		"services/payments/api/h.go": "@acme/payments",
		"services/search/y.go":       "@acme/platform",
		"odd dir/[v2]*/z.md":         "@acme/odd",
		"odd dir/v2/z.md":            "@acme/platform",
	} {
		r := rs.Match(path)
		if r == nil || len(r.Owners) != 1 || r.Owners[0].Name != want {
			t.Errorf("%s: owners %v, want %s", path, r, want)
		}
		if u := tree.UnitOf(path); u.Owner != want {
			t.Errorf("%s: unit owner %s, CODEOWNERS %s", path, u.Owner, want)
		}
	}
}
