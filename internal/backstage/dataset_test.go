package backstage

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// repository is one repository of ../shared/ownership-sources: its
// descriptors, parsed, by repository path.
type repository struct {
	files    map[string]*File
	problems []string
}

func (r *repository) catalog() *Catalog {
	var files []*File
	for _, p := range slices.Sorted(maps.Keys(r.files)) {
		files = append(files, r.files[p])
	}
	return NewCatalog(files...)
}

// loadRepository parses every descriptor of a repository in the shared
// data: the files IsDescriptor names, and the YAML under catalog-entities/
// (where redhat-developer/rhdh keeps its demo catalog).
func loadRepository(t testing.TB, name string) *repository {
	t.Helper()
	root := filepath.Join(datasettest.Shared(t, "ownership-sources"), name)
	r := &repository{files: map[string]*File{}}
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !IsDescriptor(rel) && !(strings.HasPrefix(rel, "catalog-entities/") && strings.HasSuffix(rel, ".yaml")) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, problems := Parse(rel, data)
		r.files[rel] = f
		for _, pr := range problems {
			r.problems = append(r.problems, pr.Error())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(r.problems)
	return r
}

// Every real descriptor parses, without a problem except the two that are
// real mistakes, and each repository holds the descriptors its SOURCE.md
// counts.
func TestRealDescriptors(t *testing.T) {
	tests := []struct {
		repo     string
		files    int
		entities map[string]int // by kind, lower case
		problems []string
	}{
		{"RoadieHQ__roadie-backstage-plugins", 22, map[string]int{"component": 22, "location": 1}, nil},
		{"AxisCommunications__backstage-plugins", 10, map[string]int{"component": 9}, []string{
			// The create-app template's owner, an e-mail address.
			`catalog-info.yaml:12:10: spec.owner: entity reference "john@example.com": "john@example.com" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
			// (examples/template/content/catalog-info.yaml is a scaffolder
			// skeleton, "${{ values.name | dump }}": not read.)
		}},
		{"janus-idp__backstage-plugins", 5, map[string]int{"component": 5, "group": 9, "location": 1, "system": 1}, nil},
		{"redhat-developer__rhdh", 20, map[string]int{"api": 2, "component": 6, "group": 2, "location": 6, "resource": 5, "system": 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			r := loadRepository(t, tt.repo)
			if len(r.files) != tt.files {
				t.Errorf("%d descriptor files, want %d", len(r.files), tt.files)
			}
			kinds := map[string]int{}
			for _, f := range r.files {
				for _, e := range f.Entities {
					kinds[strings.ToLower(e.Kind)]++
				}
			}
			if diff := cmp.Diff(tt.entities, kinds); diff != "" {
				t.Errorf("entities by kind (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, r.problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// Facts read from janus-idp/backstage-plugins: a multi-document root
// descriptor whose Component carries the team annotation, and a file of nine
// Groups that is not a unit.
func TestRealJanusIDP(t *testing.T) {
	r := loadRepository(t, "janus-idp__backstage-plugins")
	root := r.files["catalog-info.yaml"]
	var kinds []string
	for _, e := range root.Entities {
		kinds = append(kinds, e.Kind+" "+e.Name)
	}
	if diff := cmp.Diff([]string{"System rhdh", "Component janus-idp-backstage-plugins", "Location janus-idp-backstage-plugins"}, kinds); diff != "" {
		t.Errorf("root entities (-want +got):\n%s", diff)
	}
	c := root.Owning()
	if c == nil {
		t.Fatal("the root descriptor has no owning entity")
	}
	got := summarize(c)
	got.Annotations = map[string]string{TeamSlug: c.Annotations[TeamSlug]}
	want := entitySummary{Kind: "Component", Name: "janus-idp-backstage-plugins", Namespace: "default", Title: "RHDH plugins",
		Owner: "rhdh-team", OwnerRef: "group:default/rhdh-team", Lifecycle: "production", System: "rhdh", Type: "website",
		Annotations: map[string]string{TeamSlug: "janus-idp/maintainers-plugins"}, Pos: "10:1",
		At: map[string]string{"metadata.name": "13:9", "metadata.annotations": "17:5", "spec.owner": "31:10", "spec.lifecycle": "30:14", "spec.system": "32:11"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("root Component (-want +got):\n%s", diff)
	}

	teams := r.files["catalog-info-teams.yaml"]
	var groups []string
	for _, e := range teams.Entities {
		if e.Is("group") {
			groups = append(groups, e.Name)
		}
	}
	if len(groups) != 9 {
		t.Errorf("%d Groups in catalog-info-teams.yaml, want 9: %v", len(groups), groups)
	}
	if teams.Owning() != nil {
		t.Errorf("catalog-info-teams.yaml is a unit: %v", teams.Owning().Name)
	}
	rhdhTeam := r.catalog().Lookup(Ref{Kind: "group", Namespace: "default", Name: "rhdh-team"})
	if rhdhTeam == nil || rhdhTeam.Path != "catalog-info-teams.yaml" ||
		!slices.Equal(rhdhTeam.Children, []string{"rhdh-core-team", "rhdh-dynamic-plugin-team", "rhdh-ui-team"}) {
		t.Errorf("Group rhdh-team = %+v", rhdhTeam)
	}
}

// The mapping of real owners: how each repository's descriptors become
// GitHub owners, with the organization each repository lives in.
func TestRealOwners(t *testing.T) {
	tests := []struct {
		repo, file string
		m          Mapping
		handle     string
		via        string
		err        string
	}{
		// rhdh-team is a Group of the repository's catalog without a GitHub
		// annotation; the Component's own team-slug names the team.
		{"janus-idp__backstage-plugins", "catalog-info.yaml", Mapping{}, "@janus-idp/maintainers-plugins", ViaEntityAnnotation, ""},
		{"janus-idp__backstage-plugins", "plugins/web-terminal/catalog-info.yaml", Mapping{}, "@janus-idp/maintainers-plugins", ViaEntityAnnotation, ""},
		// shared-react names another Group, rhdh-ui-team, and the same team-slug.
		{"janus-idp__backstage-plugins", "plugins/shared-react/catalog-info.yaml", Mapping{Org: "janus-idp"}, "@janus-idp/maintainers-plugins", ViaEntityAnnotation, ""},
		// Roadie's catalog holds no Groups: only a template maps them.
		{"RoadieHQ__roadie-backstage-plugins", "catalog-info.yaml", Mapping{Org: "RoadieHQ"}, "@RoadieHQ/open-source", ViaTemplate, ""},
		{"RoadieHQ__roadie-backstage-plugins", "plugins/frontend/github-auth-utils-react/catalog-info.yaml", Mapping{Org: "RoadieHQ"}, "@RoadieHQ/engineering", ViaTemplate, ""},
		{"RoadieHQ__roadie-backstage-plugins", "catalog-info.yaml", Mapping{}, "", "",
			`catalog-info.yaml:9:10: no GitHub team for group:default/open-source: add the annotation github.com/team-slug: <org>/<team> to Group open-source (it is not in this repository's catalog), or set units.backstage.group_owner, such as "@your-org/{name}"`},
		// Axis's plugins: the team CODEOWNERS names, @AxisCommunications/backstage-plugins-maintainers.
		{"AxisCommunications__backstage-plugins", "plugins/readme/catalog-info.yaml", Mapping{Org: "AxisCommunications"}, "@AxisCommunications/backstage-plugins-maintainers", ViaTemplate, ""},
		{"AxisCommunications__backstage-plugins", "catalog-info.yaml", Mapping{Org: "AxisCommunications"}, "", "",
			`catalog-info.yaml:12:10: spec.owner: entity reference "john@example.com": "john@example.com" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		// rhdh's root: a System, then a Component with its own team-slug.
		{"redhat-developer__rhdh", "catalog-info.yaml", Mapping{}, "@redhat-developer/rhdh-team", ViaEntityAnnotation, ""},
		{"redhat-developer__rhdh", "catalog-entities/resources/pgdb.yaml", Mapping{Org: "redhat-developer"}, "@redhat-developer/janus-authors", ViaTemplate, ""},
		{"redhat-developer__rhdh", "catalog-entities/e2e-test-resources/rbac-transitive-parent-ownership.yaml", Mapping{GroupTemplate: "@acme/{namespace}-{name}"}, "@acme/default-rhdh-qe-sub-child-team", ViaTemplate, ""},
	}
	repos := map[string]*repository{}
	for _, tt := range tests {
		t.Run(tt.repo+"/"+tt.file, func(t *testing.T) {
			r := repos[tt.repo]
			if r == nil {
				r = loadRepository(t, tt.repo)
				repos[tt.repo] = r
			}
			f := r.files[tt.file]
			if f == nil || f.Owning() == nil {
				t.Fatalf("%s has no owning entity", tt.file)
			}
			got, err := r.catalog().GitHubOwner(f.Owning(), tt.m)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error:\n got %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Handle != tt.handle || got.Via != tt.via {
				t.Errorf("owner = %s via %s, want %s via %s (%s)", got.Handle, got.Via, tt.handle, tt.via, got.Why)
			}
		})
	}
}

// BenchmarkParseLargestReal parses the largest real descriptor (rhdh's root
// catalog-info.yaml, 2.3 KB) and a file of 500 entities built from it.
func BenchmarkParseLargestReal(b *testing.B) {
	root := datasettest.Shared(b, "ownership-sources")
	data, err := os.ReadFile(filepath.Join(root, "redhat-developer__rhdh", "catalog-info.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rhdh catalog-info.yaml", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			Parse("catalog-info.yaml", data)
		}
	})
	var many []byte
	for len(many)+len(data)+4 < MaxSize {
		many = append(append(many, "---\n"...), data...)
	}
	b.Run("256 KiB of entities", func(b *testing.B) {
		b.SetBytes(int64(len(many)))
		for b.Loop() {
			if _, problems := Parse("catalog-info.yaml", many); len(problems) > 0 {
				b.Fatal(problems[0])
			}
		}
	})
}
