package backstage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

func TestIsDescriptor(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"catalog-info.yaml", true},
		{"catalog-info.yml", true},
		{"plugins/x/catalog-info.yaml", true},
		{"catalog-info-teams.yaml", true},
		{"deep/catalog-info-api.yml", true},
		{"catalog-info.json", false},
		{"catalog-info", false},
		{"catalog-info.yaml.bak", false},
		{"my-catalog-info.yaml", false},
		{"catalog-infoteams.yaml", false},
		{"Catalog-Info.yaml", false}, // Backstage users write it in lower case; git paths are case-sensitive
		{"catalog-info.yaml/README.md", false},
		{"catalog-entities/groups.yaml", false},
	}
	for _, tt := range tests {
		if got := IsDescriptor(tt.path); got != tt.want {
			t.Errorf("IsDescriptor(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// entitySummary is what a test compares of an entity.
type entitySummary struct {
	Kind, Name, Namespace, Title string
	Owner, OwnerRef              string
	Lifecycle, System, Type      string
	Parent                       string
	Children, Members            []string
	Annotations                  map[string]string
	Pos                          string
	At                           map[string]string
}

func summarize(e *Entity) entitySummary {
	s := entitySummary{Kind: e.Kind, Name: e.Name, Namespace: e.Namespace, Title: e.Title, Owner: e.Owner,
		Lifecycle: e.Lifecycle, System: e.System, Type: e.Type, Parent: e.Parent, Children: e.Children, Members: e.Members,
		Annotations: e.Annotations, Pos: fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Column)}
	if e.OwnerRef != (Ref{}) {
		s.OwnerRef = e.OwnerRef.String()
	}
	for _, field := range []string{"metadata.name", "spec.owner", "spec.lifecycle", "spec.system", "metadata.annotations"} {
		if p, ok := e.At[field]; ok {
			if s.At == nil {
				s.At = map[string]string{}
			}
			s.At[field] = fmt.Sprintf("%d:%d", p.Line, p.Column)
		}
	}
	return s
}

func problemStrings(ps []strictyaml.FileProblem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func TestParse(t *testing.T) {
	const component = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  title: Payments API
  annotations:
    github.com/team-slug: acme/payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
  system: billing
`
	tests := []struct {
		name     string
		yaml     string
		want     []entitySummary
		problems []string
	}{
		{"a component", component, []entitySummary{{
			Kind: "Component", Name: "payments-api", Namespace: "default", Title: "Payments API",
			Owner: "team-payments", OwnerRef: "group:default/team-payments", Lifecycle: "production", System: "billing", Type: "service",
			Annotations: map[string]string{"github.com/team-slug": "acme/payments"}, Pos: "1:1",
			At: map[string]string{"metadata.name": "4:9", "metadata.annotations": "7:5", "spec.owner": "11:10", "spec.lifecycle": "10:14", "spec.system": "12:11"},
		}}, nil},
		{"several documents, positions in the whole file; a group with children and a user with members ignored",
			"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: payments, namespace: finance}\nspec: {type: team, parent: finance, children: [a, b], members: [jane]}\n" +
				"---\n# a user\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\n  annotations: {github.com/user-login: jane-doe}\nspec:\n  memberOf: [payments]\n",
			[]entitySummary{
				{Kind: "Group", Name: "payments", Namespace: "finance", Type: "team", Parent: "finance", Children: []string{"a", "b"}, Members: []string{"jane"}, Pos: "1:1",
					At: map[string]string{"metadata.name": "3:18"}},
				{Kind: "User", Name: "jane", Namespace: "default", Annotations: map[string]string{"github.com/user-login": "jane-doe"}, Pos: "7:1",
					At: map[string]string{"metadata.name": "10:9", "metadata.annotations": "11:16"}},
			}, nil},
		{"the owner takes the entity's namespace and any kind",
			"apiVersion: backstage.io/v1\nkind: API\nmetadata: {name: a, namespace: ops}\nspec: {owner: \"user:jane\"}\n---\napiVersion: backstage.io/v1\nkind: system\nmetadata: {name: b}\nspec: {owner: \"group:Other/Team.A\"}\n",
			[]entitySummary{
				{Kind: "API", Name: "a", Namespace: "ops", Owner: "user:jane", OwnerRef: "user:ops/jane", Pos: "1:1", At: map[string]string{"metadata.name": "3:18", "spec.owner": "4:15"}},
				{Kind: "system", Name: "b", Namespace: "default", Owner: "group:Other/Team.A", OwnerRef: "group:Other/Team.A", Pos: "6:1", At: map[string]string{"metadata.name": "8:18", "spec.owner": "9:15"}},
			}, nil},
		{"other tools' documents are skipped without a word",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"not a backstage name\"}\ndata: &x {a: 1}\n---\napiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\n---\n" + component,
			[]entitySummary{{Kind: "Component", Name: "payments-api", Namespace: "default", Title: "Payments API",
				Owner: "team-payments", OwnerRef: "group:default/team-payments", Lifecycle: "production", System: "billing", Type: "service",
				Annotations: map[string]string{"github.com/team-slug": "acme/payments"}, Pos: "10:1",
				At: map[string]string{"metadata.name": "13:9", "metadata.annotations": "16:5", "spec.owner": "20:10", "spec.lifecycle": "19:14", "spec.system": "21:11"}}}, nil},
		{"unknown keys are not problems, even near a known one",
			"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane, uid: x, etag: y, labels: {a: b}, tags: [t], links: [{url: u}]}\nspec: {memberOf: [g], profile: {displayName: J}, ownr: x}\nstatus: {}\nrelations: []\n",
			[]entitySummary{{Kind: "User", Name: "jane", Namespace: "default", Pos: "1:1", At: map[string]string{"metadata.name": "3:18"}}}, nil},
		{"a document that is not a mapping; the next still counts",
			"- a\n- b\n---\nplain text\n---\n" + component,
			[]entitySummary{{Kind: "Component", Name: "payments-api", Namespace: "default", Title: "Payments API",
				Owner: "team-payments", OwnerRef: "group:default/team-payments", Lifecycle: "production", System: "billing", Type: "service",
				Annotations: map[string]string{"github.com/team-slug": "acme/payments"}, Pos: "6:1",
				At: map[string]string{"metadata.name": "9:9", "metadata.annotations": "12:5", "spec.owner": "16:10", "spec.lifecycle": "15:14", "spec.system": "17:11"}}},
			[]string{"c.yaml:1:1: a document of a Backstage descriptor must be a mapping of keys to values, not a list",
				`c.yaml:4:1: a document of a Backstage descriptor must be a mapping of keys to values, not the text "plain text"`}},
		{"missing apiVersion, kind and name",
			"kind: Component\nmetadata: {name: a}\n---\napiVersion: backstage.io/v1alpha1\nmetadata: {name: b}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {title: c}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\n",
			nil,
			[]string{"c.yaml:1:1: this document has no apiVersion; a Backstage entity starts with apiVersion: backstage.io/v1alpha1",
				"c.yaml:4:1: this entity has no kind (such as kind: Component)",
				"c.yaml:9:11: this entity has no metadata.name, so nothing can refer to it",
				"c.yaml:11:1: this entity has no metadata.name, so nothing can refer to it"}},
		{"invalid names, namespace and kind",
			"apiVersion: backstage.io/v1alpha1\nkind: Compo-nent\nmetadata: {name: ok}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: \"-bad\", namespace: Ops}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: " + strings.Repeat("a", 64) + "}\n",
			nil,
			[]string{`c.yaml:2:7: kind "Compo-nent" is not a Backstage kind (such as Component, API, Resource, System, Group or User)`,
				`c.yaml:7:18: metadata.name "-bad" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
				`c.yaml:7:37: metadata.namespace "Ops" is not a namespace: 1 to 63 lower-case letters, digits and single '-' between them`,
				`c.yaml:11:18: metadata.name "` + strings.Repeat("a", 64) + `" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`}},
		{"an invalid owner reference is a problem; the entity and its owner as written are kept",
			"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec: {owner: john@example.com, lifecycle: experimental}\n",
			[]entitySummary{{Kind: "Component", Name: "a", Namespace: "default", Owner: "john@example.com", Lifecycle: "experimental", Pos: "1:1",
				At: map[string]string{"metadata.name": "3:18", "spec.owner": "4:15", "spec.lifecycle": "4:44"}}},
			[]string{`c.yaml:4:15: spec.owner: entity reference "john@example.com": "john@example.com" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`}},
		{"wrong types for fields ownerbot reads",
			"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  title: [x]\n  annotations:\n    good: text\n    github.com/team-slug: {org: acme}\n    flag: true\n    good: again\nspec:\n  owner: [x]\n  lifecycle: 1.0\n  children: b\n  members: [a, {b: c}]\n",
			[]entitySummary{{Kind: "Component", Name: "a", Namespace: "default", Members: []string{"a"}, Pos: "1:1",
				Annotations: map[string]string{"good": "text"},
				At:          map[string]string{"metadata.name": "4:9", "metadata.annotations": "7:5", "spec.owner": "12:10", "spec.lifecycle": "13:14"}}},
			[]string{"c.yaml:5:10: metadata.title must be text, not a list",
				`c.yaml:8:27: annotation "github.com/team-slug" must be text, not a mapping`,
				`c.yaml:9:11: annotation "flag" must be text, not true/false`,
				`c.yaml:10:5: annotation "good" appears twice`,
				"c.yaml:12:10: spec.owner must be text, not a list",
				"c.yaml:13:14: spec.lifecycle must be text, not a number",
				"c.yaml:14:13: spec.children must be a list, not the text \"b\"",
				"c.yaml:15:16: each entry of spec.members must be text, not a mapping"}},
		{"annotations that are not a mapping",
			"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: g, annotations: [a]}\n",
			[]entitySummary{{Kind: "Group", Name: "g", Namespace: "default", Pos: "1:1", At: map[string]string{"metadata.name": "3:18", "metadata.annotations": "3:34"}}},
			[]string{"c.yaml:3:34: metadata.annotations must be a mapping of keys to text, not a list"}},
		{"an anchor is a problem where it is; the rest of the entity counts",
			"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec:\n  lifecycle: &l production\n  owner: payments\n  system: *l\n",
			[]entitySummary{{Kind: "Component", Name: "a", Namespace: "default", Owner: "payments", OwnerRef: "group:default/payments", Pos: "1:1",
				At: map[string]string{"metadata.name": "3:18", "spec.owner": "6:10", "spec.lifecycle": "5:14", "spec.system": "7:11"}}},
			[]string{"c.yaml:5:14: anchors (&l) are not allowed; write the value out", "c.yaml:7:11: aliases (*l) are not allowed; write the value out"}},
		{"a syntax error loses its document only",
			component + "---\napiVersion: backstage.io/v1alpha1\nkind: [Group\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: g}\n",
			[]entitySummary{
				{Kind: "Component", Name: "payments-api", Namespace: "default", Title: "Payments API",
					Owner: "team-payments", OwnerRef: "group:default/team-payments", Lifecycle: "production", System: "billing", Type: "service",
					Annotations: map[string]string{"github.com/team-slug": "acme/payments"}, Pos: "1:1",
					At: map[string]string{"metadata.name": "4:9", "metadata.annotations": "7:5", "spec.owner": "11:10", "spec.lifecycle": "10:14", "spec.system": "12:11"}},
				{Kind: "Group", Name: "g", Namespace: "default", Pos: "17:1", At: map[string]string{"metadata.name": "19:18"}}},
			// yaml.v3 names the line before the one with the mistake.
			[]string{"c.yaml:14:1: YAML syntax: did not find expected ',' or ']'"}},
		{"empty file", "", nil, nil},
		{"too big", "# " + strings.Repeat("x", MaxSize), nil, []string{"c.yaml: the file is 262146 bytes, more than the 262144 this file may have"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := Parse("c.yaml", []byte(tt.yaml))
			if f.Path != "c.yaml" || f.Dir != "" {
				t.Errorf("file = %q in %q", f.Path, f.Dir)
			}
			var got []entitySummary
			for _, e := range f.Entities {
				if e.Path != "c.yaml" {
					t.Errorf("entity %s has path %q", e.Name, e.Path)
				}
				got = append(got, summarize(e))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problemStrings(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEntityHelpers(t *testing.T) {
	f, _ := Parse("svc/catalog-info.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: COMPONENT\nmetadata: {name: Pay}\nspec: {owner: g}\n"))
	e := f.Entities[0]
	if !e.Is("component") || e.Is("group") {
		t.Errorf("Is: kind %q", e.Kind)
	}
	if got := e.Ref().String(); got != "component:default/Pay" {
		t.Errorf("Ref = %s", got)
	}
	if got := e.Where("spec.owner"); got != (Pos{4, 15}) {
		t.Errorf("Where(spec.owner) = %v", got)
	}
	if got := e.Where("spec.system"); got != e.Pos {
		t.Errorf("Where of a field not written = %v, want the document's %v", got, e.Pos)
	}
	if f.Dir != "svc" {
		t.Errorf("Dir = %q", f.Dir)
	}
}

func TestOwning(t *testing.T) {
	doc := func(kind, name, owner string) string {
		s := "---\napiVersion: backstage.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name + "}\n"
		if owner != "" {
			s += "spec: {owner: " + owner + "}\n"
		}
		return s
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"only groups: not a unit", doc("Group", "a", "") + doc("Group", "b", ""), ""},
		{"a location and a system", doc("Location", "l", "") + doc("System", "s", "o"), "s"},
		{"a component wins over what comes before it", doc("System", "s", "o") + doc("API", "api", "o") + doc("Resource", "r", "o") + doc("Component", "c", "o"), "c"},
		{"resource before api before system before domain", doc("Domain", "d", "o") + doc("System", "s", "o") + doc("API", "api", "o") + doc("Resource", "r", "o"), "r"},
		{"api before system", doc("Domain", "d", "o") + doc("System", "s", "o") + doc("api", "api", "o"), "api"},
		{"domain last", doc("Domain", "d", "o") + doc("Group", "g", ""), "d"},
		{"the first of a kind", doc("Component", "c1", "o") + doc("Component", "c2", "o"), "c1"},
		{"a component without an owner does not count", doc("Component", "c", "") + doc("System", "s", "o"), "s"},
		{"an owner that is not a valid reference still makes the unit", doc("Component", "c", "\"a b\""), "c"},
		{"users and templates are not units", doc("User", "u", "") + doc("Template", "t", "o"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Parse("catalog-info.yaml", []byte(tt.yaml))
			got := ""
			if e := f.Owning(); e != nil {
				got = e.Name
			}
			if got != tt.want {
				t.Errorf("Owning = %q, want %q", got, tt.want)
			}
		})
	}
}

// A scaffolder skeleton is no entity: its values are filled in when a
// project is created from the template, and the catalog never reads it.
func TestSkeletonIsNotRead(t *testing.T) {
	skeleton := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name | dump }}\nspec:\n  owner: ${{ values.owner | dump }}\n"
	f, problems := Parse("template/content/catalog-info.yaml", []byte(skeleton))
	if len(problems) > 0 || len(f.Entities) > 0 {
		t.Errorf("a skeleton gives %d entities and problems %v, want none", len(f.Entities), problems)
	}
	// The same document with a value where the expression was is read.
	f, problems = Parse("x/catalog-info.yaml", []byte(strings.ReplaceAll(strings.ReplaceAll(skeleton, "${{ values.name | dump }}", "x"), "${{ values.owner | dump }}", "team")))
	if len(problems) > 0 || len(f.Entities) != 1 {
		t.Errorf("filled in: %d entities, problems %v, want one entity", len(f.Entities), problems)
	}
}
