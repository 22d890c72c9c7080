package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/schematest"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON Schemas in docs/schema let editors check .github/ownerbot.yaml
// (ownerbot.schema.json) and an organization's ownerbot.yaml
// (ownerbot-org.schema.json) as people type. They must agree with the
// parsers: what one accepts, the other accepts. The organization's schema
// repeats the repository's, so that an editor needs no second download to
// use it; a test keeps the copies equal.
//
// Left to the parsers and out of the tables:
//   - ignore patterns must be CODEOWNERS patterns GitHub applies; the schema
//     only asks for text that is not blank;
//   - labels beyond ASCII: the parser measures the 50 in bytes, the schema in
//     characters;
//   - quiet_days naming a day twice: the parser counts entries, so it refuses
//     seven entries with a day twice and accepts all seven days with one
//     named twice; the schema refuses exactly the lists naming all seven;
//   - weekday names that only Unicode case folding makes one ("FRİDAY");
//   - numbers JSON cannot tell apart, such as version 1.0 or 0x1;
//   - an empty file, which sets nothing and is valid, but is null to JSON.
func TestSchemasAgreeWithParsers(t *testing.T) {
	repo, org := schematest.Compile(t, repoSchema), schematest.Compile(t, orgSchema)
	for _, c := range settingCases(t) {
		t.Run("repository/"+c.name, func(t *testing.T) {
			_, problems := config.Parse([]byte(c.doc), known)
			check(t, c, repo, len(problems) == 0, problems)
		})
		t.Run("organization/"+c.name, func(t *testing.T) {
			_, problems := config.ParseOrg([]byte(c.doc), known)
			check(t, c, org, len(problems) == 0, problems)
		})
	}
	for _, c := range orgCases(t) {
		t.Run("organization/"+c.name, func(t *testing.T) {
			_, problems := config.ParseOrg([]byte(c.doc), known)
			check(t, c, org, len(problems) == 0, problems)
		})
	}
	t.Run("repository/locked", func(t *testing.T) {
		c := schemaCase{"locked", "version: 1\nlocked: [mode]\n", false}
		_, problems := config.Parse([]byte(c.doc), known)
		check(t, c, repo, len(problems) == 0, problems)
	})
}

type schemaCase struct {
	name  string
	doc   string
	valid bool
}

// readmeCases are the YAML examples of the README's Configuration section:
// those with locked are an organization's, the others a repository's.
func readmeCases(t *testing.T) (repo, org []schemaCase) {
	t.Helper()
	for i, doc := range schematest.ReadmeYAML(t, "Configuration") {
		c := schemaCase{fmt.Sprintf("README example %d", i+1), doc, true}
		if strings.Contains("\n"+doc, "\nlocked:") {
			org = append(org, c)
		} else {
			repo = append(repo, c)
		}
	}
	if len(repo) == 0 {
		t.Fatal("README.md's Configuration section has no example of .github/ownerbot.yaml")
	}
	return repo, org
}

// settingCases are documents that mean the same in a repository's file and
// in an organization's.
func settingCases(t *testing.T) []schemaCase {
	readme, _ := readmeCases(t)
	ours, err := os.ReadFile(filepath.Join("..", "..", ".github", "ownerbot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return append(readme, []schemaCase{
		{"ownerbot's own", string(ours), true},
		{"version only", "version: 1\n", true},
		{"no settings", "{}\n", true},
		{"no version", "mode: enforce\n", true},
		{"version 2", "version: 2\n", false},
		{"version as text", "version: \"1\"\n", false},
		{"not a mapping", "- mode\n", false},
		{"text", "enforce\n", false},
		{"unknown key", "version: 1\nmodes: warn\n", false},

		{"mode observe", "mode: observe\n", true},
		{"mode warn", "mode: warn\n", true},
		{"mode enforce", "mode: enforce\n", true},
		{"unknown mode", "mode: strict\n", false},
		{"mode capitalized", "mode: Enforce\n", false},
		{"mode empty", "mode:\n", false},

		{"enforce_from", "mode: enforce\nenforce_from: \"2027-01-01\"\n", true},
		{"enforce_from unquoted", "enforce_from: 2027-01-01\n", false},
		{"enforce_from month 13", "enforce_from: \"2027-13-01\"\n", false},
		{"enforce_from 30 February", "enforce_from: \"2028-02-30\"\n", false},
		{"enforce_from 29 February, leap year", "enforce_from: \"2028-02-29\"\n", true},
		{"enforce_from 29 February, common year", "enforce_from: \"2027-02-29\"\n", false},
		{"enforce_from one digit", "enforce_from: \"2027-1-5\"\n", false},
		{"enforce_from words", "enforce_from: \"next year\"\n", false},

		{"every severity", "rules:\n  runbook.overdue: error\n  codeowners.unowned: warning\n  review.stale_pr: info\n  exception.expiring: off\n", true},
		{"unknown rule", "rules: {runbook.nope: error}\n", false},
		{"unknown severity", "rules: {runbook.overdue: critical}\n", false},
		{"severity empty", "rules: {runbook.overdue: }\n", false},
		{"rules as a list", "rules: [runbook.overdue]\n", false},
		{"no rules", "rules: {}\n", true},

		{"required tiers", "runbooks: {required_tiers: [1, 2, 3]}\n", true},
		{"no required tiers", "runbooks: {required_tiers: []}\n", true},
		{"tier 4", "runbooks: {required_tiers: [4]}\n", false},
		{"tier 0", "runbooks: {required_tiers: [0]}\n", false},
		{"tier as text", "runbooks: {required_tiers: [\"1\"]}\n", false},
		{"tiers not a list", "runbooks: {required_tiers: 1}\n", false},
		{"unknown key in runbooks", "runbooks: {tiers: [1]}\n", false},

		{"max_duration in days", "exceptions: {max_duration: 90d}\n", true},
		{"max_duration in weeks", "exceptions: {max_duration: 12w}\n", true},
		{"max_duration zero", "exceptions: {max_duration: 0d}\n", false},
		{"max_duration ten years", "exceptions: {max_duration: 3660d}\n", true},
		{"max_duration over ten years", "exceptions: {max_duration: 3661d}\n", false},
		{"max_duration 522 weeks", "exceptions: {max_duration: 522w}\n", true},
		{"max_duration 523 weeks", "exceptions: {max_duration: 523w}\n", false},
		{"max_duration in months", "exceptions: {max_duration: 3 months}\n", false},
		{"max_duration without unit", "exceptions: {max_duration: \"90\"}\n", false},
		{"max_duration as a number", "exceptions: {max_duration: 90}\n", false},
		{"exception rule", "exceptions:\n  rules:\n    runbook.missing: {approvers: [\"@acme/sre\", \"@alice\"], max_duration: 180d}\n", true},
		{"exception rule empty", "exceptions: {rules: {runbook.missing: {}}}\n", true},
		{"exception rule no approvers", "exceptions: {rules: {runbook.missing: {approvers: []}}}\n", true},
		{"exception rule unknown", "exceptions: {rules: {runbook.nope: {max_duration: 30d}}}\n", false},
		{"exception rule unknown key", "exceptions: {rules: {runbook.missing: {approver: [\"@acme/sre\"]}}}\n", false},
		{"exception rule approvers as text", "exceptions: {rules: {runbook.missing: {approvers: \"@acme/sre\"}}}\n", false},
		{"exception rule blank approver", "exceptions: {rules: {runbook.missing: {approvers: [\" \"]}}}\n", false},
		{"exception rule approver without @", "exceptions: {rules: {runbook.missing: {approvers: [sre]}}}\n", false},
		{"exception rule approver as e-mail", "exceptions: {rules: {runbook.missing: {approvers: [sre@acme.example]}}}\n", false},
		{"exception rule approver as nested team", "exceptions: {rules: {runbook.missing: {approvers: [\"@acme/a/b\"]}}}\n", false},
		{"exception rule bad duration", "exceptions: {rules: {runbook.missing: {max_duration: 6m}}}\n", false},
		{"exception rule null", "exceptions: {rules: {runbook.missing: }}\n", false},
		{"unknown key in exceptions", "exceptions: {max: 90d}\n", false},

		{"codeowners manual", "codeowners: {mode: manual}\n", true},
		{"codeowners generated", "codeowners: {mode: generated}\n", true},
		{"codeowners unknown mode", "codeowners: {mode: auto}\n", false},
		{"unknown key in codeowners", "codeowners: {generate: true}\n", false},

		{"ignore", "ignore: [\"/vendor/\", \"**/testdata/**\", \"*.pb.go\"]\n", true},
		{"ignore blank", "ignore: [\"\"]\n", false},
		{"ignore as text", "ignore: /vendor/\n", false},

		{"issues disabled", "issues: {enabled: false}\n", true},
		{"issues enabled yes", "issues: {enabled: yes}\n", false},
		{"issues empty", "issues:\n", false},
		{"labels", "issues: {labels: [ownerbot, \"team: platform\"]}\n", true},
		{"no labels", "issues: {labels: []}\n", true},
		{"label with a comma", "issues: {labels: [\"a,b\"]}\n", false},
		{"label of 50 characters", "issues: {labels: [" + strings.Repeat("x", 50) + "]}\n", true},
		{"label of 51 characters", "issues: {labels: [" + strings.Repeat("x", 51) + "]}\n", false},
		{"label blank", "issues: {labels: [\"  \"]}\n", false},
		{"labels as text", "issues: {labels: ownerbot}\n", false},
		{"reminders", "issues: {reminders: [5d, 2w]}\n", true},
		{"no reminders", "issues: {reminders: []}\n", true},
		{"reminder zero", "issues: {reminders: [0d]}\n", false},
		{"reminders as text", "issues: {reminders: 7d}\n", false},
		{"quiet days", "issues: {quiet_days: [saturday, sunday]}\n", true},
		{"quiet days in any case", "issues: {quiet_days: [Friday, SATURDAY]}\n", true},
		{"no quiet days", "issues: {quiet_days: []}\n", true},
		{"six quiet days", "issues: {quiet_days: [monday, tuesday, wednesday, thursday, friday, saturday]}\n", true},
		{"seven quiet days", "issues: {quiet_days: [monday, tuesday, wednesday, thursday, friday, saturday, Sunday]}\n", false},
		{"quiet day unknown", "issues: {quiet_days: [someday]}\n", false},
		{"quiet day abbreviated", "issues: {quiet_days: [sat]}\n", false},
		{"quiet day as a number", "issues: {quiet_days: [6]}\n", false},
		{"group by unit", "issues: {group_by: unit}\n", true},
		{"group by team", "issues: {group_by: team}\n", true},
		{"group by organization", "issues: {group_by: org}\n", false},
		{"min severity error", "issues: {min_severity: error}\n", true},
		{"min severity warning", "issues: {min_severity: warning}\n", true},
		{"min severity info", "issues: {min_severity: info}\n", true},
		{"min severity off", "issues: {min_severity: off}\n", false},
		{"unknown key in issues", "issues: {label: [ownerbot]}\n", false},

		{"review SLA", "reviews: {sla: 3d}\n", true},
		{"review SLA in weeks", "reviews: {sla: 1w}\n", true},
		{"review SLA without unit", "reviews: {sla: \"3\"}\n", false},
		{"unknown key in reviews", "reviews: {sla_days: 3}\n", false},
	}...)
}

// orgCases are documents only an organization's file can hold.
func orgCases(t *testing.T) []schemaCase {
	_, readme := readmeCases(t)
	return append(readme, []schemaCase{
		{"example", config.OrgExample, true},
		{"lock every setting", "locked: [mode, enforce_from, rules, runbooks, exceptions, codeowners, ignore, issues, reviews]\n", true},
		{"lock all", "locked: [all]\n", true},
		{"lock all and one", "locked: [all, mode]\n", true},
		{"lock nothing", "locked: []\n", true},
		{"lock the version", "locked: [version]\n", false},
		{"lock locked", "locked: [locked]\n", false},
		{"lock an unknown setting", "locked: [modes]\n", false},
		{"lock a nested setting", "locked: [issues.labels]\n", false},
		{"lock blank", "locked: [\"\"]\n", false},
		{"locked as text", "locked: mode\n", false},
	}...)
}

// The rule ids of both schemas are the catalogue's, in its order, so that a
// new rule cannot be forgotten here.
func TestSchemaRuleIDsAreTheCatalogue(t *testing.T) {
	var ids []any
	for _, r := range policy.Rules() {
		ids = append(ids, r.ID)
	}
	for _, file := range []string{repoSchema, orgSchema} {
		got := schematest.Lookup(t, schematest.Read(t, file), "$defs", "ruleId", "enum")
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("%s: $defs.ruleId.enum is not the catalogue (-policy.Rules() +schema):\n%s", file, diff)
		}
	}
}

// The keys each mapping of the schemas allows are the keys the parsers know,
// as the parsers list them when a key is unknown.
func TestSchemaKeysAreTheParsers(t *testing.T) {
	repo, org := schematest.Read(t, repoSchema), schematest.Read(t, orgSchema)
	const unknown = "qqqqqqqqqqqq: 1"
	mappings := []struct {
		doc  string // a document with an unknown key in the mapping
		path []string
	}{
		{unknown, nil},
		{"runbooks: {" + unknown + "}", []string{"runbooks"}},
		{"exceptions: {" + unknown + "}", []string{"exceptions"}},
		{"exceptions: {rules: {runbook.missing: {" + unknown + "}}}", []string{"exceptions", "rules", "additionalProperties"}},
		{"codeowners: {" + unknown + "}", []string{"codeowners"}},
		{"issues: {" + unknown + "}", []string{"issues"}},
		{"reviews: {" + unknown + "}", []string{"reviews"}},
	}
	for _, m := range mappings {
		_, problems := config.Parse([]byte(m.doc), known)
		want := knownKeys(t, problems)
		if diff := cmp.Diff(want, propertyNames(t, repo, m.path)); diff != "" {
			t.Errorf("%s: keys at %v (-parser +schema):\n%s", repoSchema, m.path, diff)
		}
		_, orgProblems := config.ParseOrg([]byte(m.doc), known)
		want = knownKeys(t, orgProblems)
		if diff := cmp.Diff(want, propertyNames(t, org, m.path)); diff != "" {
			t.Errorf("%s: keys at %v (-parser +schema):\n%s", orgSchema, m.path, diff)
		}
	}

	// The settings an organization may lock, as ParseOrg names them when
	// asked to lock something else.
	_, problems := config.ParseOrg([]byte("locked: [qqqqqqqqqqqq]\n"), known)
	if len(problems) != 1 {
		t.Fatalf("problems = %v, want one", problems)
	}
	msg := problems[0].Message
	i, j := strings.Index(msg, "lock one of "), strings.LastIndex(msg, ", or all")
	if i < 0 || j < i {
		t.Fatalf("cannot find the settings in %q", msg)
	}
	want := append(strings.Split(msg[i+len("lock one of "):j], ", "), "all")
	sort.Strings(want)
	var got []string
	for _, s := range schematest.Lookup(t, org, "$defs", "setting", "enum").([]any) {
		got = append(got, s.(string))
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: $defs.setting.enum (-parser +schema):\n%s", orgSchema, diff)
	}
}

// The organization's schema repeats the repository's settings and
// definitions exactly.
func TestOrgSchemaRepeatsRepositorySchema(t *testing.T) {
	repo, org := schematest.Read(t, repoSchema), schematest.Read(t, orgSchema)
	for _, part := range []string{"properties", "$defs"} {
		for name, want := range schematest.Lookup(t, repo, part).(map[string]any) {
			got, ok := schematest.Lookup(t, org, part).(map[string]any)[name]
			if !ok {
				t.Errorf("%s: %s.%s is missing; copy it from %s", orgSchema, part, name, repoSchema)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: %s.%s differs from %s; copy it (-repository +organization):\n%s", orgSchema, part, name, repoSchema, diff)
			}
		}
	}
	for _, key := range []string{"$schema", "type", "additionalProperties"} {
		if !cmp.Equal(repo[key], org[key]) {
			t.Errorf("%s: %s is %v, want %v as in %s", orgSchema, key, org[key], repo[key], repoSchema)
		}
	}
}

// The defaults the schema shows an editor are the parser's: a file that
// writes them all out configures what no file does.
func TestSchemaDefaultsAreTheDefaults(t *testing.T) {
	var paths []string
	defaults := collectDefaults(schematest.Lookup(t, schematest.Read(t, repoSchema), "properties").(map[string]any), "", &paths)
	sort.Strings(paths)
	want := []string{
		"codeowners.mode", "exceptions.max_duration",
		"issues.enabled", "issues.group_by", "issues.labels", "issues.min_severity", "issues.quiet_days", "issues.reminders",
		"mode", "reviews.sla", "runbooks.required_tiers", "units.sources",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("settings with a default (-want +got):\n%s", diff)
	}
	doc, err := json.Marshal(defaults) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	got, problems := config.Parse(doc, known)
	if len(problems) > 0 {
		t.Fatalf("%s: %v", doc, problems)
	}
	defaultConfig := config.Default()
	defaultConfig.Configured = true // a file written out configures the repository
	if diff := cmp.Diff(defaultConfig, got); diff != "" {
		t.Errorf("the schema's defaults are not config.Default() (-Default +schema):\n%s", diff)
	}
}

func collectDefaults(props map[string]any, prefix string, paths *[]string) map[string]any {
	out := map[string]any{}
	for name, p := range props {
		p := p.(map[string]any)
		if d, ok := p["default"]; ok {
			out[name] = d
			*paths = append(*paths, prefix+name)
		}
		if sub, ok := p["properties"].(map[string]any); ok {
			if d := collectDefaults(sub, prefix+name+".", paths); len(d) > 0 {
				out[name] = d
			}
		}
	}
	return out
}

// The definitions that stand for the parser's checks of durations, dates
// and blank text accept exactly what the parser does, tried exhaustively
// over the values near every boundary.
func TestSchemaDefinitionsAreTheParsers(t *testing.T) {
	t.Run("duration", func(t *testing.T) {
		s := schematest.Compile(t, repoSchema+"#/$defs/duration")
		var tried int
		for n := 0; n <= 4000; n++ {
			for _, unit := range []string{"d", "w"} {
				if unit == "w" && n > 600 {
					continue
				}
				for _, width := range []int{1, 5, 6} {
					text := fmt.Sprintf("%0*d%s", width, n, unit)
					_, err := strictyaml.ParseDuration(text)
					agree(t, s, text, err == nil)
					tried++
				}
			}
		}
		for _, text := range []string{"", "d", "7", "7D", "7 d", " 7d", "7d ", "-7d", "+7d", "7.5d", "1y", "1m", "７d"} {
			_, err := strictyaml.ParseDuration(text)
			agree(t, s, text, err == nil)
		}
		if tried < 10000 {
			t.Errorf("tried %d durations", tried)
		}
	})
	t.Run("date", func(t *testing.T) {
		s := schematest.Compile(t, repoSchema+"#/$defs/date")
		for _, year := range []string{"0000", "0004", "0100", "1900", "2000", "2023", "2024", "2026", "2028", "2100", "2400", "9996", "9999"} {
			for month := 0; month <= 13; month++ {
				for day := 0; day <= 32; day++ {
					text := fmt.Sprintf("%s-%02d-%02d", year, month, day)
					_, err := time.Parse(strictyaml.DateLayout, text)
					agree(t, s, text, err == nil)
				}
			}
		}
		for _, text := range []string{"", "2027-1-01", "2027-01-1", "27-01-01", "02027-01-01", "2027-01-01T00:00:00Z", "2027/01/01", " 2027-01-01", "2027-01-01 "} {
			_, err := time.Parse(strictyaml.DateLayout, text)
			agree(t, s, text, err == nil)
		}
	})
	t.Run("text", func(t *testing.T) {
		s := schematest.Compile(t, repoSchema+"#/$defs/text")
		for r := rune(0); r <= 0x3100; r++ {
			text := string(r)
			agree(t, s, text, strings.TrimSpace(text) != "")
			agree(t, s, " "+text+"\t", strings.TrimSpace(text) != "")
		}
		for _, r := range []rune{0xfeff, 0xfffd, 0x1f600} {
			agree(t, s, string(r), !unicode.IsSpace(r))
		}
		agree(t, s, "", false)
	})
}

// agree checks that schema s accepts text exactly when the parser does.
func agree(t *testing.T, s *jsonschema.Schema, text string, parserOK bool) {
	t.Helper()
	err := s.Validate(text)
	if parserOK != (err == nil) {
		t.Errorf("%q: parser accepts: %v; schema accepts: %v (%v)", text, parserOK, err == nil, err)
	}
}

const (
	repoSchema = "ownerbot.schema.json"
	orgSchema  = "ownerbot-org.schema.json"
)

func known(id string) bool { _, ok := policy.Lookup(id); return ok }

// check validates c's document against s, as an editor sees it, and checks
// that the schema and the parser both say what the case wants.
func check(t *testing.T, c schemaCase, s *jsonschema.Schema, parserOK bool, problems []config.Problem) {
	t.Helper()
	schemaErr := schematest.ValidateYAML(t, s, c.doc)
	if parserOK != c.valid || (schemaErr == nil) != c.valid {
		t.Errorf("want valid: %v; parser accepts: %v %v; schema accepts: %v (%v)", c.valid, parserOK, problems, schemaErr == nil, schemaErr)
	}
}

// propertyNames returns the sorted property names of the mapping a path of
// settings leads to; "additionalProperties" steps into the values of a map.
func propertyNames(t *testing.T, doc map[string]any, path []string) []string {
	t.Helper()
	node := doc
	for _, k := range path {
		if k == "additionalProperties" {
			node = node[k].(map[string]any)
			continue
		}
		node = schematest.Lookup(t, node, "properties", k).(map[string]any)
	}
	var names []string
	for name := range schematest.Lookup(t, node, "properties").(map[string]any) {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// knownKeys returns the keys a parser lists after an unknown one.
func knownKeys(t *testing.T, problems []config.Problem) []string {
	t.Helper()
	if len(problems) != 1 {
		t.Fatalf("problems = %v, want one", problems)
	}
	return schematest.KnownKeys(t, problems[0].Message)
}
