package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnits(t *testing.T) {
	c, problems := Parse([]byte(`units:
  sources: [prow, owners.yaml]
  required: true
  backstage:
    files: ["catalog/*.yaml"]
    group_owner: "@acme/{name}"
    user_owner: "@{name}"
    lifecycles: {active: production, beta: experimental}
  prow: {alias_owner: "@kubernetes/{alias}"}
`), known)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := Units{
		Sources: []string{SourceProw, SourceOwnersYAML}, Required: true,
		Backstage: BackstageUnits{Files: []string{"catalog/*.yaml"}, GroupOwner: "@acme/{name}", UserOwner: "@{name}",
			Lifecycles: map[string]string{"active": "production", "beta": "experimental"}},
		Prow: ProwUnits{AliasOwner: "@kubernetes/{alias}"},
	}
	if diff := cmp.Diff(want, c.Units); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if d := Default(); d.Configured || !cmp.Equal(d.Units.Sources, []string{SourceOwnersYAML, SourceBackstage, SourceProw}) {
		t.Errorf("defaults: configured %v, sources %v", d.Configured, d.Units.Sources)
	}
}

func TestUnitsProblems(t *testing.T) {
	_, problems := Parse([]byte(`units:
  sources: [prow, prow, codeowners]
  backstage:
    files: ["[a-z]/x"]
    group_owner: "acme/{name}"
    user_owner: "@{login}"
    lifecycles: {active: live}
  prow: {alias_owner: "@k8s/{name}"}
`), known)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{"2:19: prow is listed twice", "2:25: a unit source must be one of", "4:13: descriptor pattern", "5:18: units.backstage.group_owner", "6:17: units.backstage.user_owner", "7:26: units.backstage.lifecycles.active must be one of", "8:23: units.prow.alias_owner"}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
}
