package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// catalogueIDs are the rule ids as the callers of config pass them.
func catalogueIDs() []string {
	var ids []string
	for _, r := range policy.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestUnknownRuleSuggestsTheCatalogue: an unknown rule id, wherever a rule
// id is read (severities, exception rules; a repository's file, an
// organization's, a repository's over an organization's), is answered with
// the catalogue's id it was most likely meant as.
func TestUnknownRuleSuggestsTheCatalogue(t *testing.T) {
	suggest := config.SuggestRules(catalogueIDs())
	const doc = `rules:
  codeowners.unowend: error
  codeowner.shadowed: off
  Runbook.Overdue: error
  unowned: warning
  owners.unowned: warning
  missing: error
  something.else: error
  codeowners.unowned: error
exceptions:
  rules:
    runbook.mising: {max_duration: 30d}
`
	want := []string{
		`2:3: unknown rule "codeowners.unowend" (did you mean "codeowners.unowned"?)`,  // two edits
		`3:3: unknown rule "codeowner.shadowed" (did you mean "codeowners.shadowed"?)`, // one
		`4:3: unknown rule "Runbook.Overdue" (did you mean "runbook.overdue"?)`,        // case
		`5:3: unknown rule "unowned" (did you mean "codeowners.unowned"?)`,             // family left out
		`6:3: unknown rule "owners.unowned" (did you mean "codeowners.unowned"?)`,      // wrong family
		`7:3: unknown rule "missing"`,        // codeowners.missing or runbook.missing: no guess
		`8:3: unknown rule "something.else"`, // nothing near
		`12:5: unknown rule "runbook.mising" (did you mean "runbook.missing"?)`,
	}
	check := func(name string, problems []config.Problem) {
		t.Helper()
		var got []string
		for _, p := range problems {
			got = append(got, p.String())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	_, problems := config.Parse([]byte(doc), known, suggest)
	check("Parse", problems)
	_, problems = config.ParseOrg([]byte(doc), known, suggest)
	check("ParseOrg", problems)
	org, orgProblems := config.ParseOrg([]byte("version: 1\nlocked: [mode]\n"), known, suggest)
	if len(orgProblems) > 0 {
		t.Fatal(orgProblems)
	}
	_, problems = org.Parse([]byte(doc), known, suggest)
	check("Org.Parse", problems)
	_, problems = (*config.Org)(nil).Parse([]byte(doc), known, suggest)
	check("nil Org.Parse", problems)

	// The ids alone are enough: no knownRule.
	c, problems := config.Parse([]byte(doc), nil, suggest)
	check("Parse without knownRule", problems)
	if c.Severities[policy.CodeownersUnowned] != "error" {
		t.Errorf("a known id is not applied without knownRule: %v", c.Severities)
	}
}

// TestUnknownRuleWithoutCatalogue: without SuggestRules, an unknown id is
// reported as before, and nil knownRule knows no rule.
func TestUnknownRuleWithoutCatalogue(t *testing.T) {
	_, problems := config.Parse([]byte("rules: {codeowners.unowend: error}\n"), known)
	if len(problems) != 1 || problems[0].Message != `unknown rule "codeowners.unowend"` {
		t.Errorf("problems = %v", problems)
	}
	_, problems = config.Parse([]byte("rules: {codeowners.unowned: error}\n"), nil)
	if len(problems) != 1 || problems[0].Message != `unknown rule "codeowners.unowned"` {
		t.Errorf("nil knownRule: problems = %v", problems)
	}
}

// TestSuggestionsAreBounded: past the first 50 unknown ids of a file, the
// problems stand without a suggestion, so that a crafted file of thousands
// of them costs no more than reading it.
func TestSuggestionsAreBounded(t *testing.T) {
	doc := "rules:\n"
	for i := range 60 {
		doc += fmt.Sprintf("  codeowners.unowned%d: error\n", i)
	}
	_, problems := config.Parse([]byte(doc), known, config.SuggestRules(catalogueIDs()))
	suggested := 0
	for _, p := range problems {
		if strings.HasSuffix(p.Message, `(did you mean "codeowners.unowned"?)`) {
			suggested++
		}
	}
	if len(problems) != 60 || suggested != 50 {
		t.Errorf("%d problems, %d with a suggestion; want 60 and 50", len(problems), suggested)
	}
}
