package owners

import (
	"testing"

	"github.com/ownerbot/ownerbot/internal/schematest"
)

// The JSON Schema in docs/schema lets editors check OWNERS.yaml as people
// type. It must agree with the parser: what one accepts, the other accepts.
// Two rules are beyond a schema and are left to the parser: escalation steps
// must come later and later, and durations are at most ten years.
func TestSchemaAgreesWithParser(t *testing.T) {
	schema := schematest.Compile(t, "owners.schema.json")
	examples := map[string]string{
		"full example":           full,
		"minimal":                "version: 1\n",
		"root":                   "version: 1\nowner: \"@acme/platform\"\n",
		"team slug with a dot":   "version: 1\nowner: \"@acme/web.frontend\"\n",
		"missing version":        "owner: \"@a\"\n",
		"version 2":              "version: 2\n",
		"unknown key":            "version: 1\nownr: \"@a\"\n",
		"owner without @":        "version: 1\nowner: payments\n",
		"owner as e-mail":        "version: 1\nowner: a@acme.example\n",
		"nested team":            "version: 1\nowner: \"@acme/a/b\"\n",
		"tier 4":                 "version: 1\ntier: 4\n",
		"tier as text":           "version: 1\ntier: \"1\"\n",
		"unknown lifecycle":      "version: 1\nlifecycle: live\n",
		"unquoted date":          "version: 1\nreview: {last_reviewed: 2026-09-01}\n",
		"quoted date":            "version: 1\nreview: {last_reviewed: \"2026-09-01\"}\n",
		"bad duration":           "version: 1\nreview: {interval: 3 months}\n",
		"zero duration":          "version: 1\nreview: {interval: 0d}\n",
		"weeks":                  "version: 1\nreview: {interval: 12w}\n",
		"escalation to parent":   "version: 1\nescalation: [{after: 14d, to: parent}]\n",
		"escalation incomplete":  "version: 1\nescalation: [{after: 14d}]\n",
		"escalation to a name":   "version: 1\nescalation: [{after: 14d, to: governance}]\n",
		"runbook glob":           "version: 1\nrunbooks: [\"runbooks/*.md\"]\n",
		"runbook leaves unit":    "version: 1\nrunbooks: [\"../x.md\"]\n",
		"absolute runbook glob":  "version: 1\nrunbooks: [\"/x.md\"]\n",
		"oncall URL":             "version: 1\noncall: {provider: pagerduty, url: \"https://x.example/s/1\"}\n",
		"oncall not a URL":       "version: 1\noncall: {url: \"pagerduty\"}\n",
		"contact e-mail":         "version: 1\ncontact: {email: \"team@acme.example\"}\n",
		"contact not an e-mail":  "version: 1\ncontact: {email: \"team\"}\n",
		"agreement":              "version: 1\nagreements: [{with: \"@acme/db\", topic: \"failover\"}]\n",
		"agreement without with": "version: 1\nagreements: [{topic: \"failover\"}]\n",
		"inherit as text":        "version: 1\ninherit: \"no\"\n",
	}
	for name, doc := range examples {
		t.Run(name, func(t *testing.T) {
			_, problems := Parse("OWNERS.yaml", []byte(doc))
			parserOK := len(problems) == 0
			schemaErr := schematest.ValidateYAML(t, schema, doc)
			if parserOK != (schemaErr == nil) {
				t.Errorf("parser accepts: %v (%v); schema accepts: %v (%v)", parserOK, problems, schemaErr == nil, schemaErr)
			}
		})
	}
}
