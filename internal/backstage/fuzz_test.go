package backstage

import (
	"testing"
)

// FuzzParse: parsing never panics, every problem has a position that is not
// negative, every entity has a kind and a name, and every owner reference
// Parse accepts reads back the same through String and ParseRef. Mapping an
// owner never panics either.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a, annotations: {github.com/team-slug: acme/a}}\nspec: {owner: \"group:ops/a\", lifecycle: production}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, problems := Parse("catalog-info.yaml", data)
		for _, p := range problems {
			if p.Line < 0 || p.Column < 0 {
				t.Errorf("problem with a negative position: %v", p)
			}
		}
		catalog := NewCatalog(file)
		for _, e := range file.Entities {
			if e.Kind == "" || e.Name == "" || e.Pos.Line < 1 {
				t.Errorf("entity without kind, name or position: %+v", e)
			}
			if e.OwnerRef != (Ref{}) {
				back, err := ParseRef(e.OwnerRef.String(), "", "")
				if err != nil || back != e.OwnerRef {
					t.Errorf("ParseRef(%q) = %v, %v; want %v", e.OwnerRef.String(), back, err, e.OwnerRef)
				}
			}
			for _, m := range []Mapping{{}, {Org: "acme"}, {GroupTemplate: "@{org}/{namespace}-{name}", UserTemplate: "@{name}", Org: "a"}} {
				if o, err := catalog.GitHubOwner(e, m); err == nil && checkHandle(o.Handle) != nil {
					t.Errorf("owner %q is not a handle", o.Handle)
				}
			}
		}
		if o := file.Owning(); o != nil && o.Owner == "" {
			t.Errorf("owning entity %s without an owner", o.Name)
		}
	})
}
