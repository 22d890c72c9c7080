package backstage

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

const teams = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    github.com/team-slug: acme/payments-team
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: search}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
  annotations:
    github.com/user-login: jane-doe
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: broken
  annotations: {github.com/team-slug: "acme/Bad Team"}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: noslash
  annotations: {github.com/team-slug: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  namespace: other
  annotations: {github.com/team-slug: acme/other-payments}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations: {github.com/team-slug: acme/second-definition}
`

// service returns the Component of a descriptor in svc/, owned as written,
// with the annotations given (YAML flow mapping text, or "").
func service(t *testing.T, owner, annotations string) *Entity {
	t.Helper()
	doc := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n"
	if annotations != "" {
		doc += "  annotations: " + annotations + "\n"
	}
	doc += "spec:\n  type: service\n"
	if owner != "" {
		doc += "  owner: " + owner + "\n"
	}
	f, _ := Parse("svc/catalog-info.yaml", []byte(doc))
	if len(f.Entities) != 1 {
		t.Fatalf("service %q: %d entities", owner, len(f.Entities))
	}
	return f.Entities[0]
}

func TestGitHubOwner(t *testing.T) {
	tf, problems := Parse("catalog-info-teams.yaml", []byte(teams))
	if len(problems) > 0 {
		t.Fatalf("problems in the teams file: %v", problems)
	}
	catalog := NewCatalog(tf, nil)
	acme := Mapping{Org: "acme"}
	tests := []struct {
		name        string
		owner       string
		annotations string
		m           Mapping
		want        Owner  // Handle, Via, Path, Line
		why         string // checked when set
		err         string // the whole error, path and position included
	}{
		{"the owning Group's team-slug", "payments", "", Mapping{},
			Owner{Handle: "@acme/payments-team", Via: ViaOwnerAnnotation, Path: "catalog-info-teams.yaml", Line: 6},
			`spec.owner "payments" (svc/catalog-info.yaml:7) is Group payments, whose annotation github.com/team-slug is "acme/payments-team" (catalog-info-teams.yaml:6)`, ""},
		{"references compare without case", "group:Default/PAYMENTS", "", Mapping{},
			Owner{Handle: "@acme/payments-team", Via: ViaOwnerAnnotation, Path: "catalog-info-teams.yaml", Line: 6}, "", ""},
		{"the namespace counts", "other/payments", "", Mapping{},
			Owner{Handle: "@acme/other-payments", Via: ViaOwnerAnnotation, Path: "catalog-info-teams.yaml", Line: 36}, "", ""},
		{"the owning User's login", "user:jane", "", Mapping{},
			Owner{Handle: "@jane-doe", Via: ViaOwnerAnnotation, Path: "catalog-info-teams.yaml", Line: 17},
			`spec.owner "user:jane" (svc/catalog-info.yaml:7) is User jane, whose annotation github.com/user-login is "jane-doe" (catalog-info-teams.yaml:17)`, ""},
		{"the owning Group wins over the entity's own annotation", "payments", "{github.com/team-slug: acme/svc-team}", Mapping{},
			Owner{Handle: "@acme/payments-team", Via: ViaOwnerAnnotation, Path: "catalog-info-teams.yaml", Line: 6}, "", ""},
		{"the entity's own team-slug when the Group has none", "search", "{github.com/team-slug: acme/search-squad}", acme,
			Owner{Handle: "@acme/search-squad", Via: ViaEntityAnnotation, Path: "svc/catalog-info.yaml", Line: 5},
			`spec.owner "search" (svc/catalog-info.yaml:8) has no GitHub annotation in this repository's catalog; the Component's own annotation github.com/team-slug is "acme/search-squad" (svc/catalog-info.yaml:5)`, ""},
		{"the entity's own team-slug without spec.owner", "", "{github.com/team-slug: acme/search-squad}", Mapping{},
			Owner{Handle: "@acme/search-squad", Via: ViaEntityAnnotation, Path: "svc/catalog-info.yaml", Line: 5},
			`the Component's own annotation github.com/team-slug is "acme/search-squad" (svc/catalog-info.yaml:5)`, ""},
		{"the default group template needs the organization", "search", "", acme,
			Owner{Handle: "@acme/search", Via: ViaTemplate, Path: "svc/catalog-info.yaml", Line: 7},
			`spec.owner "search" (svc/catalog-info.yaml:7) is group:default/search, mapped by the default template "@{org}/{name}" (units.backstage.group_owner) with org acme`, ""},
		{"a group template with every placeholder, names in lower case", "Ops/Payments-Squad", "", Mapping{GroupTemplate: "@{org}/{namespace}-{name}", Org: "Acme-Corp"},
			Owner{Handle: "@Acme-Corp/ops-payments-squad", Via: ViaTemplate, Path: "svc/catalog-info.yaml", Line: 7}, "", ""},
		{"a group template without the organization", "search", "", Mapping{GroupTemplate: "@acme/team-{name}"},
			Owner{Handle: "@acme/team-search", Via: ViaTemplate, Path: "svc/catalog-info.yaml", Line: 7},
			`spec.owner "search" (svc/catalog-info.yaml:7) is group:default/search, mapped by the set template "@acme/team-{name}" (units.backstage.group_owner)`, ""},
		{"the default user template", "user:bob", "", Mapping{},
			Owner{Handle: "@bob", Via: ViaTemplate, Path: "svc/catalog-info.yaml", Line: 7}, "", ""},
		{"a user template", "user:bob", "", Mapping{UserTemplate: "@{name}-acme"},
			Owner{Handle: "@bob-acme", Via: ViaTemplate, Path: "svc/catalog-info.yaml", Line: 7}, "", ""},

		{"no annotation and no template: say what to do (group in the catalog)", "search", "", Mapping{}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: no GitHub team for group:default/search: add the annotation github.com/team-slug: <org>/<team> to Group search (it is in catalog-info-teams.yaml:8, without that annotation), or set units.backstage.group_owner, such as "@your-org/{name}"`},
		{"no annotation and no template: say what to do (group not in the catalog)", "group:ops/sre", "", Mapping{}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: no GitHub team for group:ops/sre: add the annotation github.com/team-slug: <org>/<team> to Group sre (it is not in this repository's catalog), or set units.backstage.group_owner, such as "@your-org/{name}"`},
		{"a user name that is not a GitHub login", "user:john.doe", "", Mapping{}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the default template "@{name}" (units.backstage.user_owner) gives no GitHub owner for user:default/john.doe: "@john.doe" is not a GitHub @login or @org/team: a login or organization is 1 to 39 letters, digits and single '-' between them; add the annotation github.com/user-login to User john.doe, or change units.backstage.user_owner`},
		{"a name that is not a team slug", "pay.ments", "", acme, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the default template "@{org}/{name}" (units.backstage.group_owner) gives no GitHub owner for group:default/pay.ments: "@acme/pay.ments" is not a GitHub @org/team: a team slug is lower-case letters, digits, '-' and '_'; add the annotation github.com/team-slug to Group pay.ments, or change units.backstage.group_owner`},
		{"{org} without an organization", "search", "", Mapping{GroupTemplate: "@{org}/{name}"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the set template "@{org}/{name}" (units.backstage.group_owner) gives no GitHub owner for group:default/search: it uses {org}, but the GitHub organization is not known; write the organization out; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"an unknown placeholder", "search", "", Mapping{GroupTemplate: "@acme/{team}"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the set template "@acme/{team}" (units.backstage.group_owner) gives no GitHub owner for group:default/search: unknown placeholder {team}; the placeholders are {org}, {namespace} and {name}; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"an unclosed placeholder", "search", "", Mapping{GroupTemplate: "@acme/{name"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the set template "@acme/{name" (units.backstage.group_owner) gives no GitHub owner for group:default/search: a { without its }; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"a stray brace", "search", "", Mapping{GroupTemplate: "@acme/}{name}"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the set template "@acme/}{name}" (units.backstage.group_owner) gives no GitHub owner for group:default/search: a } without its {; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"a template without @", "search", "", Mapping{GroupTemplate: "acme/{name}"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the set template "acme/{name}" (units.backstage.group_owner) gives no GitHub owner for group:default/search: "acme/search" does not start with @; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"an organization that is not a login", "search", "", Mapping{Org: "acme corp"}, Owner{}, "",
			`svc/catalog-info.yaml:7:10: the default template "@{org}/{name}" (units.backstage.group_owner) gives no GitHub owner for group:default/search: "@acme corp/search" is not a GitHub @login or @org/team: a login or organization is 1 to 39 letters, digits and single '-' between them; add the annotation github.com/team-slug to Group search, or change units.backstage.group_owner`},
		{"a Group annotation that is not a team, at the annotation", "broken", "", acme, Owner{}, "",
			`catalog-info-teams.yaml:23:39: annotation github.com/team-slug: "@acme/Bad Team" is not a GitHub @org/team: a team slug is lower-case letters, digits, '-' and '_'`},
		{"a team-slug without the organization", "noslash", "", acme, Owner{}, "",
			`catalog-info-teams.yaml:29:39: annotation github.com/team-slug is "payments"; write it <org>/<team>, such as acme/payments`},
		{"an entity annotation that is not a team", "", "{github.com/team-slug: \"@acme/x\"}", acme, Owner{}, "",
			`svc/catalog-info.yaml:5:39: annotation github.com/team-slug: "@@acme/x" is not a GitHub @login or @org/team: a login or organization is 1 to 39 letters, digits and single '-' between them`},
		{"an owner of another kind", "component:other", "", acme, Owner{}, "",
			`svc/catalog-info.yaml:7:10: spec.owner "component:other" names a component; the owner of an entity is a group or a user`},
		{"an owner that is not a reference", "\"a b\"", "", acme, Owner{}, "",
			`svc/catalog-info.yaml:7:10: spec.owner: entity reference "a b": "a b" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{"no owner at all", "", "", acme, Owner{}, "",
			`svc/catalog-info.yaml:1:1: Component svc has no spec.owner and no github.com/team-slug annotation, so it has no owner`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := service(t, tt.owner, tt.annotations)
			got, err := catalog.GitHubOwner(e, tt.m)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("owner %v, want error %s", got, tt.err)
				}
				if err.Error() != tt.err {
					t.Errorf("error:\n got %s\nwant %s", err, tt.err)
				}
				var fp strictyaml.FileProblem
				if !errors.As(err, &fp) || fp.Line == 0 {
					t.Errorf("error %v has no position", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tt.why != "" && got.Why != tt.why {
				t.Errorf("why:\n got %s\nwant %s", got.Why, tt.why)
			}
			if e.OwnerRef != got.Ref {
				t.Errorf("Ref = %v, want the entity's %v", got.Ref, e.OwnerRef)
			}
			got.Why, got.Ref = "", Ref{}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("owner (-want +got):\n%s", diff)
			}
		})
	}
}

// The first definition of a reference counts; the catalog's lookups ignore
// case; a nil catalog knows nothing.
func TestCatalog(t *testing.T) {
	tf, _ := Parse("catalog-info-teams.yaml", []byte(teams))
	c := NewCatalog(tf)
	e := c.Lookup(Ref{Kind: "group", Namespace: "DEFAULT", Name: "Payments"})
	if e == nil || e.Annotations[TeamSlug] != "acme/payments-team" {
		t.Errorf("Lookup = %+v, want the first payments group", e)
	}
	if c.Lookup(Ref{Kind: "user", Namespace: "default", Name: "payments"}) != nil {
		t.Error("a user found under a group's name")
	}
	var none *Catalog
	if none.Lookup(Ref{Kind: "group", Namespace: "default", Name: "payments"}) != nil {
		t.Error("a nil catalog found something")
	}
	if _, err := none.GitHubOwner(service(t, "x", ""), Mapping{Org: "acme"}); err != nil {
		t.Errorf("a nil catalog with a template: %v", err)
	}
}

// Handles are checked as GitHub writes them.
func TestCheckHandle(t *testing.T) {
	for _, ok := range []string{"@a", "@octo-cat", "@Octo-Cat", "@" + strings.Repeat("a", 39), "@acme/team_1-a", "@a-b/c"} {
		if err := checkHandle(ok); err != nil {
			t.Errorf("checkHandle(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "@", "@-a", "@a-", "@a--b", "@a_b", "@" + strings.Repeat("a", 40), "@a/", "@a/B", "@a/b.c", "@a/b/c", "@/b", "@a b"} {
		if err := checkHandle(bad); err == nil {
			t.Errorf("checkHandle(%q) accepted", bad)
		}
	}
}
