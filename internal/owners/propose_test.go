package owners

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/codeowners"
)

var proposeDay = time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)

// parseAll reads proposals back as OWNERS.yaml files, failing on any problem.
func parseAll(t *testing.T, props []Proposal, existing ...*File) []*File {
	t.Helper()
	files := slices.Clone(existing)
	for _, p := range props {
		f, problems := Parse(p.Path, p.Content)
		if len(problems) > 0 {
			t.Errorf("%s does not parse: %v\n%s", p.Path, problems, p.Content)
		}
		files = append(files, f)
	}
	return files
}

func TestProposeFromCODEOWNERS(t *testing.T) {
	rs := codeowners.Parse([]byte(strings.Join([]string{
		"*                      @acme/platform",
		"/services/payments/    @acme/payments @alice",
		"/services/payments/db/ @acme/payments", // same owner as the unit above: no unit
		"/services/search/**    @acme/search",
		"docs/                  @acme/docs",        // any docs/ directory: not one unit
		"/empty/                @acme/nobody",      // holds no file
		"/legacy/               docs@acme.example", // e-mail only: nobody can approve
	}, "\n")))
	in := ProposeInput{
		Paths: []string{
			"README.md", "docs/a.md", "go.mod", "legacy/x.sh",
			"services/payments/api.go", "services/payments/db/schema.sql", "services/search/index.go",
		},
		CODEOWNERS: rs, Name: ".github/CODEOWNERS", Today: proposeDay,
	}
	props := Propose(in)
	type brief struct{ Path, Owner, Approvers string }
	var got []brief
	for _, f := range parseAll(t, props) {
		got = append(got, brief{f.Path, f.Owner, strings.Join(f.Approvers, " ")})
		if f.Review.LastReviewed != proposeDay {
			t.Errorf("%s: last reviewed %v, want today", f.Path, f.Review.LastReviewed)
		}
	}
	want := []brief{
		{"OWNERS.yaml", "@acme/platform", ""},
		{"services/payments/OWNERS.yaml", "@acme/payments", "@acme/payments @alice"},
		{"services/search/OWNERS.yaml", "@acme/search", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("proposals (-want +got):\n%s", diff)
	}
	// Written, they make the repository's units: proposing again adds nothing.
	in.Units = Build(parseAll(t, props))
	if again := Propose(in); len(again) != 0 {
		t.Errorf("second run proposes %d files, want none: %v", len(again), again[0].Path)
	}
}

func TestProposeRootWithoutOwnerIsTODO(t *testing.T) {
	props := Propose(ProposeInput{Paths: []string{"a.go"}, Today: proposeDay})
	if len(props) != 1 || props[0].Path != FileName {
		t.Fatalf("proposals = %v, want the root's alone", props)
	}
	if !strings.Contains(string(props[0].Content), "TODO: name the accountable team") {
		t.Errorf("root without any owner should say TODO:\n%s", props[0].Content)
	}
	f, problems := Parse(props[0].Path, props[0].Content)
	if len(problems) > 0 || f.Owner != "" {
		t.Errorf("the TODO root parses to owner %q, problems %v: the owner must be left for a person", f.Owner, problems)
	}
}

// A unit from another source keeps its owner there: the proposal beside
// it adds the review date and names no owner, and merged with the source
// the unit's owner is the source's.
func TestProposeBesideAnotherSource(t *testing.T) {
	descriptor := &File{Path: "svc/catalog-info.yaml", Dir: "svc", Source: SourceBackstage, Version: 1,
		Owner: "@acme/svc", Lines: map[string]int{"owner": 9}}
	root, _ := Parse(FileName, []byte("version: 1\nowner: \"@acme/platform\"\n"))
	in := ProposeInput{Paths: []string{"OWNERS.yaml", "svc/catalog-info.yaml", "svc/main.go"}, Units: Build([]*File{root, descriptor}), Today: proposeDay}
	props := Propose(in)
	if len(props) != 1 || props[0].Path != "svc/OWNERS.yaml" {
		t.Fatalf("proposals = %v, want svc/OWNERS.yaml alone", props)
	}
	if !strings.Contains(string(props[0].Content), "svc/catalog-info.yaml (line 9: @acme/svc)") {
		t.Errorf("the proposal should say where the owner stays:\n%s", props[0].Content)
	}
	files := parseAll(t, props, root, descriptor)
	in.Units = Build(files)
	u := in.Units.UnitOf("svc/main.go")
	if u.Owner != "@acme/svc" || !u.Governed() || u.File.Review.LastReviewed != proposeDay {
		t.Errorf("merged unit: owner %q governed %v reviewed %v", u.Owner, u.Governed(), u.File.Review.LastReviewed)
	}
	if again := Propose(in); len(again) != 0 {
		t.Errorf("second run proposes %v", again)
	}
}

// A source whose owner is no GitHub owner gets an OWNERS.yaml naming the
// owner CODEOWNERS gives its files, which then wins field by field.
func TestProposeOwnerWhereTheSourceHasNone(t *testing.T) {
	descriptor := &File{Path: "catalog-info.yaml", Dir: "", Source: SourceBackstage, Version: 1,
		Lines: map[string]int{"owner": 12}} // spec.owner: john@example.com
	rs := codeowners.Parse([]byte("* @acme/maintainers\n"))
	in := ProposeInput{Paths: []string{"a.go", "catalog-info.yaml"}, CODEOWNERS: rs, Name: ".github/CODEOWNERS",
		Units: Build([]*File{descriptor}), Today: proposeDay}
	props := Propose(in)
	if len(props) != 1 || props[0].Path != FileName {
		t.Fatalf("proposals = %v, want the root's OWNERS.yaml alone", props)
	}
	files := parseAll(t, props, descriptor)
	u := Build(files).Root()
	if u.Owner != "@acme/maintainers" {
		t.Errorf("root owner %q, want @acme/maintainers from CODEOWNERS\n%s", u.Owner, props[0].Content)
	}
	if !strings.Contains(string(props[0].Content), "catalog-info.yaml line 12 names an owner that is no GitHub owner") {
		t.Errorf("the proposal should say why it names the owner:\n%s", props[0].Content)
	}
}

// A hostile directory name cannot write YAML into the proposal: every path
// and owner is written on its comment line, whatever breaks it holds.
func TestProposeHostileNames(t *testing.T) {
	for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		dir := "x" + brk + `owner: "@acme/evil" #`
		descriptor := &File{Path: dir + "/catalog-info.yaml", Dir: dir, Source: SourceBackstage, Version: 1,
			Owner: "@acme/bob", Lines: map[string]int{"owner": 5}}
		root, _ := Parse(FileName, []byte("version: 1\nowner: \"@acme/platform\"\n"))
		props := Propose(ProposeInput{Paths: []string{dir + "/a.go"}, Units: Build([]*File{root, descriptor}), Today: proposeDay})
		if len(props) != 1 {
			t.Fatalf("%q: proposals %v", brk, props)
		}
		f, problems := Parse(props[0].Path, props[0].Content)
		if len(problems) > 0 || f.Owner != "" {
			t.Errorf("%q: the proposal reads as owner %q (problems %v):\n%s", brk, f.Owner, problems, props[0].Content)
		}
	}
}
