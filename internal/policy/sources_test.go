package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/owners"
)

// unitBrief is what the source tests compare of a unit.
type unitBrief struct {
	Dir, Owner, Source, Approvers, Lifecycle string
}

func unitBriefs(res *Result) []unitBrief {
	var out []unitBrief
	for _, u := range res.Units.Units() {
		src := u.File.Source
		for _, f := range u.File.Sources[min(1, len(u.File.Sources)):] {
			src += "+" + f.Source
		}
		out = append(out, unitBrief{u.Name(), u.Owner, src, strings.Join(u.Approvers, " "), u.Lifecycle})
	}
	return out
}

func TestZeroConfigurationOnlyWarns(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "*.go @acme/go\n/docs/ bad-owner\n/gone/ @acme/x\n",
		"main.go":            "", "README.md": "",
	}
	res, err := Evaluate(tree(files), Options{Now: today})
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.Configured {
		t.Fatal("a repository without configuration counts as configured")
	}
	rules := map[string]bool{}
	for _, f := range res.Findings {
		rules[f.Rule] = true
		if f.Severity > Warning {
			t.Errorf("%s at %s is %s without any configuration; ownerbot only warns", f.Rule, f.Path, f.Severity)
		}
		if strings.HasPrefix(f.Rule, "owners.") || strings.HasPrefix(f.Rule, "runbook.") {
			t.Errorf("unit rule %s applies to a repository that keeps no ownership file", f.Rule)
		}
	}
	// Still judged: the CODEOWNERS rules, at most warnings.
	for _, want := range []string{CodeownersInvalidOwner, CodeownersNoMatch, CodeownersUnowned} {
		if !rules[want] {
			t.Errorf("no %s finding; the CODEOWNERS checks still apply", want)
		}
	}
	// The same files under a configuration: the catalogue's severities.
	res, err = Evaluate(tree(files), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Error) == 0 {
		t.Error("configured, the bad CODEOWNERS line is no error")
	}
}

func TestUnitsRequiredByConfiguration(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS":    "* @acme/platform\n/svc/ @acme/svc\n",
		".github/ownerbot.yaml": "units: {required: true}\n",
		"main.go":               "",
	}
	res := evaluate(t, files)
	got := briefs(res.Findings, "owners.")
	want := []brief{{OwnersMissingRoot, ".", 0, 0, Error}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	delete(files, ".github/ownerbot.yaml")
	files["svc/OWNERS.yaml"] = "version: 1\nowner: \"@acme/svc\"\nreview: {last_reviewed: \"2026-11-01\"}\n"
	got = briefs(evaluate(t, files).Findings, "owners.")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("an OWNERS.yaml below the root opts in (-want +got):\n%s", diff)
	}
}

const teams = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    github.com/team-slug: acme/payments-team
spec:
  type: team
`

func TestBackstageUnits(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS":      "* @acme/platform\n/svc/ @acme/payments-team\n/lab/ @acme/lab\n",
		"catalog-info-teams.yaml": teams,
		"catalog-info.yaml":       "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: shop\nspec:\n  owner: group:platform\n",
		"svc/catalog-info.yaml":   "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  owner: payments\n  lifecycle: experimental\n",
		"svc/main.go":             "",
		"lab/catalog-info.yaml":   "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: lab\nspec:\n  owner: user:jane\n  lifecycle: active\n",
		"lab/x.go":                "",
		"odd/catalog-info.yaml":   "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: odd\nspec:\n  owner: group:nobody-maps-me\n",
		"odd/y.go":                "",
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted(), Organization: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := []unitBrief{
		{"/", "@acme/platform", owners.SourceBackstage, "@acme/platform", owners.Production},
		{"lab/", "@jane", owners.SourceBackstage, "@jane @acme/platform", owners.Production},
		{"odd/", "@acme/nobody-maps-me", owners.SourceBackstage, "@acme/nobody-maps-me @acme/platform", owners.Production},
		{"svc/", "@acme/payments-team", owners.SourceBackstage, "@acme/payments-team @acme/platform", owners.Experimental},
	}
	if diff := cmp.Diff(want, unitBriefs(res)); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	got := briefs(res.Findings, "owners.")
	wantFindings := []brief{
		// CODEOWNERS gives lab/ to @acme/lab, the descriptor to @jane.
		{OwnersMismatch, "lab/catalog-info.yaml", 6, 1, Warning},
		// spec.lifecycle "active" is no lifecycle ownerbot knows.
		{OwnersSchema, "lab/catalog-info.yaml", 7, 14, Error},
		{OwnersMismatch, "odd/catalog-info.yaml", 6, 1, Warning},
	}
	if diff := cmp.Diff(wantFindings, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// No review and no runbook is asked of a unit that has no OWNERS.yaml.
	for _, f := range res.Findings {
		if f.Rule == OwnersReviewOverdue || f.Rule == RunbookMissing {
			t.Errorf("%s on %s: a descriptor alone keeps no review date or runbooks", f.Rule, f.Path)
		}
	}

	// Without the organization, a group no annotation maps is a finding
	// that says what to write; the configuration can map lifecycles.
	files[".github/ownerbot.yaml"] = "units:\n  backstage:\n    lifecycles: {active: production}\n"
	res, err = Evaluate(tree(files), Options{Now: today})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range res.Findings {
		if f.Rule == OwnersSchema {
			msgs = append(msgs, f.Path+": "+f.Message)
		}
	}
	// The root's and odd/'s groups, each once: a root whose owner is
	// written but cannot be mapped is not also "without an owner".
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "catalog-info.yaml: ") || !strings.HasPrefix(msgs[1], "odd/catalog-info.yaml: ") || !strings.Contains(strings.Join(msgs, "\n"), "units.backstage.group_owner") {
		t.Errorf("owners.schema findings without the organization:\n%s", strings.Join(msgs, "\n"))
	}
}

func TestProwUnits(t *testing.T) {
	files := map[string]string{
		"OWNERS_ALIASES":        "aliases:\n  core-leads: [Alice, bob]\n  empty: []\n",
		"OWNERS":                "approvers:\n  - core-leads\n  - carol\nreviewers: [dave]\n",
		"api/OWNERS":            "options:\n  no_parent_owners: true\napprovers: [erin]\n",
		"docs/OWNERS":           "reviewers: [frank]\n", // names no approver: defers to the root
		"hack/OWNERS":           "filters:\n  \".*\":\n    approvers: [gina]\n  \"\\\\.sh$\":\n    approvers: [hank]\n",
		"api/types.go":          "",
		"docs/index.md":         "",
		"hack/run.sh":           "",
		".github/ownerbot.yaml": "units: {prow: {alias_owner: \"@acme/{alias}\"}}\n",
	}
	res := evaluate(t, files)
	want := []unitBrief{
		{"/", "@acme/core-leads", owners.SourceProw, "@Alice @bob @carol", owners.Production},
		{"api/", "@erin", owners.SourceProw, "@erin", owners.Production},
		{"hack/", "@gina", owners.SourceProw, "@gina @Alice @bob @carol", owners.Production},
	}
	if diff := cmp.Diff(want, unitBriefs(res)); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if u := res.Units.UnitOf("docs/index.md"); u == nil || u.Dir() != "" {
		t.Errorf("docs/ names no approver, so its files belong to the root unit, not %v", u)
	}
	// A file's own approvers follow the filters that match it; a file
	// naming no approver defers to the one above.
	for _, tt := range []struct{ path, want, from string }{
		{"hack/run.sh", "@gina @hank", "hack/OWNERS"},
		{"hack/notes.md", "@gina", "hack/OWNERS"},
		{"docs/index.md", "@Alice @bob @carol", "OWNERS"},
		{"api/types.go", "@erin", "api/OWNERS"},
	} {
		got, from, ok := res.ProwApprovers(tt.path)
		if !ok || strings.Join(got, " ") != tt.want || from != tt.from {
			t.Errorf("ProwApprovers(%s) = %v from %q (%v), want %s from %s", tt.path, got, from, ok, tt.want, tt.from)
		}
	}
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, "owners.") && f.Rule != OwnersMismatch {
			t.Errorf("unexpected %s at %s:%d: %s", f.Rule, f.Path, f.Line, f.Message)
		}
	}
}

// An OWNERS.yaml beside a descriptor adds the review and tier; the owner
// stays the descriptor's, and findings about it point there.
func TestOwnersYAMLBesideADescriptor(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/platform\"\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"svc/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    github.com/team-slug: acme/svc\n" +
			"spec:\n  owner: svc\n  lifecycle: production\n",
		"svc/OWNERS.yaml": "version: 1\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"svc/main.go":     "",
	}
	res := evaluate(t, files)
	want := []unitBrief{
		{"/", "@acme/platform", owners.SourceOwnersYAML, "@acme/platform", owners.Production},
		{"svc/", "@acme/svc", owners.SourceOwnersYAML + "+" + owners.SourceBackstage, "@acme/svc @acme/platform", owners.Production},
	}
	if diff := cmp.Diff(want, unitBriefs(res)); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	got := briefs(res.Findings, "owners.")
	wantFindings := []brief{{OwnersMismatch, "svc/catalog-info.yaml", 8, 1, Warning}}
	if diff := cmp.Diff(wantFindings, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// A descriptor's owner that cannot become a GitHub owner is a finding where
// the unit takes its owner from that descriptor, and none where an
// OWNERS.yaml beside it names the owner instead (as `ownerbot init` writes).
func TestUnmappedOwnerMattersOnlyWhereUsed(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS":    "* @acme/platform\n",
		"catalog-info.yaml":     "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: app\nspec:\n  owner: john@example.com\n",
		"lab/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: lab\nspec:\n  owner: group:unmapped\n",
		"lab/x.go":              "",
	}
	schema := func(res *Result) []brief { return briefs(res.Findings, OwnersSchema) }
	want := []brief{
		{OwnersSchema, "catalog-info.yaml", 6, 10, Error},
		{OwnersSchema, "lab/catalog-info.yaml", 6, 10, Error},
	}
	if diff := cmp.Diff(want, schema(evaluate(t, files))); diff != "" {
		t.Errorf("descriptors alone (-want +got):\n%s", diff)
	}
	files["OWNERS.yaml"] = "version: 1\nowner: \"@acme/platform\"\n"
	files["lab/OWNERS.yaml"] = "version: 1\nowner: \"@acme/lab\"\n"
	res := evaluate(t, files)
	if got := schema(res); len(got) > 0 {
		t.Errorf("with OWNERS.yaml naming the owners: %v, want none", got)
	}
	if u := res.Units.UnitOf("lab/x.go"); u.Owner != "@acme/lab" {
		t.Errorf("lab/ is owned by %q, want the OWNERS.yaml's @acme/lab", u.Owner)
	}
}

// A near miss of a rule id in the repository's configuration is answered
// with the catalogue's id.
func TestConfigRuleIDSuggestion(t *testing.T) {
	res := evaluate(t, map[string]string{
		".github/CODEOWNERS":    "* @acme/all\n",
		".github/ownerbot.yaml": "rules: {codeowners.unowend: off}\n",
	})
	var msgs []string
	for _, f := range res.Findings {
		if f.Rule == ConfigInvalid {
			msgs = append(msgs, f.Message)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], `did you mean "codeowners.unowned"?`) {
		t.Errorf("config.invalid findings = %q, want one suggesting codeowners.unowned", msgs)
	}
}

// Every user and team a merged unit names is checked where it is written:
// the escalation target in the OWNERS.yaml, the owner in the descriptor.
func TestOwnerRefsOfAMergedUnit(t *testing.T) {
	res := evaluate(t, map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/platform\"\n",
		"svc/OWNERS.yaml":    "version: 1\ntier: 3\nescalation: [{after: 14d, to: \"@acme/boss\"}]\n",
		"svc/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n" +
			"spec:\n  owner: user:bob\n",
	})
	var got []string
	for _, r := range res.OwnerRefs() {
		if !r.InCODEOWNERS() {
			got = append(got, fmt.Sprintf("%s %s:%d:%d %s", r.Owner, r.Path, r.Line, r.Column, r.Field))
		}
	}
	want := []string{
		"@acme/platform OWNERS.yaml:2:8 owner",
		"@acme/boss svc/OWNERS.yaml:3:31 escalation.to",
		"@bob svc/catalog-info.yaml:6:10 owner",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("owner references (-want +got):\n%s", diff)
	}
}
