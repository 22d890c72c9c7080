package policy

import (
	"fmt"
	"strings"
	"testing"
)

// expensiveCodeowners is 10,000 rules that each need four letters, in any
// order with anything between them, that nearly every path has: no index
// can rule them out, so covering 20,000 paths costs about 10^9 steps
// (internal/codeowners shows the real budget stopping it; here a smaller
// budget stands in for it, to keep the test quick).
func expensiveCodeowners() string {
	const letters = "aeiourlnst"
	var b strings.Builder
	b.WriteString("* @acme/all\n")
	n := 0
	for _, w := range letters {
		for _, x := range letters {
			for _, y := range letters {
				for _, z := range letters {
					fmt.Fprintf(&b, "**/*%c*%c*%c*%c* @acme/t%d\n", w, x, y, z, n%100)
					n++
				}
			}
		}
	}
	return b.String()
}

// A CODEOWNERS too expensive to evaluate is one error finding that says
// why, not a minute of CPU on every push; what depends on matching every
// file (coverage, unowned files, patterns that match nothing, shadowed
// lines, owners' mismatches, ownership moves) is left out, and everything
// else is still evaluated.
func TestEvaluateTooExpensiveCodeowners(t *testing.T) {
	files := map[string]string{
		"OWNERS.yaml":        rootOwners,
		"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\ntier: 3\nreview: {last_reviewed: \"2020-01-01\"}\n",
		".github/CODEOWNERS": expensiveCodeowners(),
	}
	for i := range 2_000 {
		files[fmt.Sprintf("pay/service-%d/internal/handler_routes_%d.go", i%400, i)] = ""
	}
	evaluate := func(t *testing.T, files map[string]string) *Result {
		t.Helper()
		res, err := Evaluate(tree(files), Options{Now: today, Org: adopted(), MatchBudget: 1_000_000})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := evaluate(t, files)
	if !res.Coverage.TooExpensive {
		t.Fatal("the cover did not stop at its budget")
	}
	var got []string
	for _, f := range res.Findings {
		switch f.Rule {
		case CodeownersTooExpensive:
			if f.Severity != Error || f.Path != ".github/CODEOWNERS" ||
				!strings.Contains(f.Message, "CODEOWNERS too expensive to evaluate: 10001 rules × 2003 paths") {
				t.Errorf("finding %+v", f)
			}
		case CodeownersNoMatch, CodeownersShadowed, CodeownersUnowned, OwnersMismatch:
			got = append(got, f.Rule)
		}
	}
	if len(got) != 0 {
		t.Errorf("findings that need every file matched: %q", got)
	}
	if len(briefs(res.Findings, OwnersReviewOverdue)) != 1 {
		t.Errorf("the rest was not evaluated: %+v", briefs(res.Findings, "owners."))
	}
	// Moving pay/ to another team while CODEOWNERS is too expensive finds
	// no transfer, and fails on the error the change introduces.
	head := evaluate(t, with(files, map[string]string{"pay/OWNERS.yaml": strings.Replace(files["pay/OWNERS.yaml"], "@acme/pay", "@acme/web", 1)}))
	c := Compare(res, head)
	if len(c.Transfers) != 1 || c.Transfers[0].Via != ViaOWNERS {
		t.Errorf("transfers %+v, want the OWNERS.yaml move alone", c.Transfers)
	}
	fresh := evaluate(t, with(files, map[string]string{".github/CODEOWNERS": "* @acme/all\n"}))
	if c := Compare(fresh, res); c.Introduced(Error) == 0 {
		t.Error("making CODEOWNERS too expensive introduced no error")
	}
}
