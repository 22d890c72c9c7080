package exception_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/schematest"
)

// The JSON Schema in docs/schema/exceptions.schema.json lets editors check
// OWNERS_EXCEPTIONS.yaml as people type. It must agree with the parser: what
// one accepts, the other accepts.
//
// Left to the parser and out of the table:
//   - paths must be CODEOWNERS patterns that stay inside the unit (no `..`,
//     no `.` segment, no unescaped space, no leading `#`, no `**/**`); the
//     schema only asks for text that is not blank;
//   - a ticket's address must be one Go's net/url can read: a valid port,
//     valid %-escapes, no control characters; the schema checks the scheme
//     and that there is a host;
//   - reasons near the limit with characters beyond the Basic Multilingual
//     Plane (emoji), which an editor's JavaScript may count twice;
//   - numbers JSON cannot tell apart, such as version 1.0 or 0x1.
//
// Beyond one file, and so beyond both: ids unique in the repository, and
// expiry no later than the configured maximum after the commit that last
// changed the file.
func TestSchemaAgreesWithParser(t *testing.T) {
	schema := schematest.Compile(t, schemaFile)
	acme, err := os.ReadFile(filepath.Join("..", "..", "examples", "acme", "legacy", "OWNERS_EXCEPTIONS.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	entry := func(fields string) string {
		return "version: 1\nexceptions:\n  - " + strings.ReplaceAll(strings.TrimSuffix(fields, "\n"), "\n", "\n    ") + "\n"
	}
	// valid is an entry with every key; with replaces or removes one.
	valid := map[string]string{
		"id":      "EXC-2026-014",
		"rule":    "runbook.overdue",
		"paths":   `["runbooks/nightly-batch.md"]`,
		"reason":  `"The batch retires with the Q1 migration."`,
		"expires": `"2027-01-15"`,
		"ticket":  `"https://tracker.acme.example/LEG-52"`,
	}
	with := func(key, value string) string {
		var b strings.Builder
		for _, k := range []string{"id", "rule", "paths", "reason", "expires", "ticket", "approved_by"} {
			v, ok := valid[k]
			if k == key {
				v, ok = value, value != "-"
			}
			if ok {
				b.WriteString(k + ": " + v + "\n")
			}
		}
		return entry(b.String())
	}
	cases := []schemaCase{
		{"example monorepo", string(acme), true},
		{"every key", with("", ""), true},
		{"no exceptions", "version: 1\nexceptions: []\n", true},
		{"empty file", "", false},
		{"not a mapping", "- id: EXC-1\n", false},
		{"missing version", "exceptions: []\n", false},
		{"version 2", "version: 2\nexceptions: []\n", false},
		{"version as text", "version: \"1\"\nexceptions: []\n", false},
		{"missing exceptions", "version: 1\n", false},
		{"exceptions as a mapping", "version: 1\nexceptions: {id: EXC-1}\n", false},
		{"exceptions empty", "version: 1\nexceptions:\n", false},
		{"unknown key", "version: 1\nexceptions: []\nexception: []\n", false},
		{"entry as text", "version: 1\nexceptions: [EXC-1]\n", false},
		{"entry as a list", "version: 1\nexceptions: [[EXC-1]]\n", false},
		{"unknown key in an entry", with("approved_by", "\"@alice\""), false},
		{"two entries", "version: 1\nexceptions:\n" +
			strings.TrimPrefix(with("", ""), "version: 1\nexceptions:\n") +
			strings.TrimPrefix(with("id", "PAY-7"), "version: 1\nexceptions:\n"), true},

		{"missing id", with("id", "-"), false},
		{"id of two parts", with("id", "PAY-7"), true},
		{"id of many parts", with("id", "A1-B2-C3-4"), true},
		{"id of one part", with("id", "EXC"), false},
		{"id in lower case", with("id", "exc-2026-014"), false},
		{"id starting with a digit", with("id", "2026-014"), false},
		{"id with an underscore", with("id", "EXC_2026"), false},
		{"id with an empty part", with("id", "EXC--1"), false},
		{"id ending with a dash", with("id", "EXC-1-"), false},
		{"id of 64 characters", with("id", "EXC-"+strings.Repeat("9", 60)), true},
		{"id of 65 characters", with("id", "EXC-"+strings.Repeat("9", 61)), false},
		{"id as a number", with("id", "14"), false},
		{"id blank", with("id", `""`), false},

		{"missing rule", with("rule", "-"), false},
		{"rule config.invalid", with("rule", "config.invalid"), true},
		{"rule codeowners.unowned", with("rule", "codeowners.unowned"), true},
		{"rule unknown", with("rule", "runbook.nope"), false},
		{"rule exception.invalid", with("rule", "exception.invalid"), false},
		{"rule exception.too_long", with("rule", "exception.too_long"), false},
		{"rule exception.unapproved", with("rule", "exception.unapproved"), false},
		{"rule exception.expiring", with("rule", "exception.expiring"), false},
		{"rule as a list", with("rule", "[runbook.overdue]"), false},

		{"missing paths", with("paths", "-"), false},
		{"paths empty", with("paths", "[]"), false},
		{"paths as text", with("paths", `"legacy/**"`), false},
		{"several paths", with("paths", `["legacy/**", "*.sh", OWNERS.yaml, /runbooks/]`), true},
		{"path blank", with("paths", `[" "]`), false},
		{"path as a number", with("paths", "[1]"), false},

		{"missing reason", with("reason", "-"), false},
		{"reason of 10 characters", with("reason", `"Retires Q1"`), true},
		{"reason of 9 characters", with("reason", `"Retire Q1"`), false},
		{"reason TODO", with("reason", "TODO"), false},
		{"reason short between spaces", with("reason", `"   Retire Q1     "`), false},
		{"reason of 10 characters between spaces", with("reason", `"  Retires Q1  "`), true},
		{"reason of 9 characters in 10 bytes", with("reason", `"Läuft ab."`), false},
		{"reason as a number", with("reason", "12345678901"), false},

		{"missing expires", with("expires", "-"), false},
		{"expires unquoted", with("expires", "2027-01-15"), false},
		{"expires month 13", with("expires", `"2027-13-01"`), false},
		{"expires 31 April", with("expires", `"2027-04-31"`), false},
		{"expires 29 February, leap year", with("expires", `"2028-02-29"`), true},
		{"expires 29 February, common year", with("expires", `"2027-02-29"`), false},
		{"expires one digit", with("expires", `"2027-1-15"`), false},
		{"expires with a time", with("expires", `"2027-01-15T00:00:00Z"`), false},
		{"expires in words", with("expires", `"end of Q1"`), false},

		{"no ticket", with("ticket", "-"), true},
		{"ticket http", with("ticket", `"http://tracker.example/PAY-812"`), true},
		{"ticket with a capital scheme", with("ticket", `"HTTPS://tracker.example/PAY-812"`), true},
		{"ticket with a query", with("ticket", `"https://tracker.example?id=812"`), true},
		{"ticket with a user", with("ticket", `"https://me@tracker.example/PAY-812"`), true},
		{"ticket ftp", with("ticket", `"ftp://tracker.example/PAY-812"`), false},
		{"ticket without a scheme", with("ticket", `"tracker.example/PAY-812"`), false},
		{"ticket without a host", with("ticket", `"https:///PAY-812"`), false},
		{"ticket with a user and no host", with("ticket", `"https://me@/PAY-812"`), false},
		{"ticket with a space in the host", with("ticket", `"https://tracker example/PAY-812"`), false},
		{"ticket as an id", with("ticket", "PAY-812"), false},
		{"ticket blank", with("ticket", `""`), false},
	}
	for i, doc := range schematest.ReadmeYAML(t, "Exceptions") {
		cases = append(cases, schemaCase{fmt.Sprintf("README example %d", i+1), doc, true})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, problems := exception.Parse("legacy/OWNERS_EXCEPTIONS.yaml", []byte(c.doc), known)
			parserOK := len(problems) == 0
			schemaErr := schematest.ValidateYAML(t, schema, c.doc)
			if parserOK != c.valid || (schemaErr == nil) != c.valid {
				t.Errorf("want valid: %v; parser accepts: %v %v; schema accepts: %v (%v)\n%s", c.valid, parserOK, problems, schemaErr == nil, schemaErr, c.doc)
			}
		})
	}
}

type schemaCase struct {
	name  string
	doc   string
	valid bool
}

// The rules an exception may name are the catalogue's, in its order, but
// for the rules about exceptions themselves.
func TestSchemaRuleIDsAreTheCatalogue(t *testing.T) {
	var ids []any
	for _, r := range policy.Rules() {
		if !strings.HasPrefix(r.ID, "exception.") {
			ids = append(ids, r.ID)
		}
	}
	got := schematest.Lookup(t, schematest.Read(t, schemaFile), "$defs", "ruleId", "enum")
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("$defs.ruleId.enum is not the catalogue without exception.* (-policy.Rules() +schema):\n%s", diff)
	}
}

// The keys the schema allows are the keys the parser knows, as it lists
// them when a key is unknown.
func TestSchemaKeysAreTheParsers(t *testing.T) {
	doc := schematest.Read(t, schemaFile)
	const unknown = "qqqqqqqqqqqq: 1\n"
	for _, m := range []struct {
		doc  string // a document with an unknown key in the mapping
		path []string
	}{
		{"version: 1\nexceptions: []\n" + unknown, []string{"properties"}},
		{"version: 1\nexceptions:\n  - id: EXC-1\n    rule: runbook.overdue\n    paths: [x]\n    reason: \"Retires in Q1.\"\n    expires: \"2027-01-15\"\n    " + unknown,
			[]string{"$defs", "exception", "properties"}},
	} {
		_, problems := exception.Parse("OWNERS_EXCEPTIONS.yaml", []byte(m.doc), known)
		if len(problems) != 1 {
			t.Fatalf("problems = %v, want one", problems)
		}
		want := schematest.KnownKeys(t, problems[0].Message)
		var got []string
		for k := range schematest.Lookup(t, doc, m.path...).(map[string]any) {
			got = append(got, k)
		}
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys at %s (-parser +schema):\n%s", strings.Join(m.path, "."), diff)
		}
	}
}

// Dates and text mean what they mean in the configuration's schema, whose
// tests try them against the parser exhaustively.
func TestSchemaSharesDefinitions(t *testing.T) {
	ours, theirs := schematest.Read(t, schemaFile), schematest.Read(t, "ownerbot.schema.json")
	for _, name := range []string{"date", "text"} {
		if diff := cmp.Diff(schematest.Lookup(t, theirs, "$defs", name), schematest.Lookup(t, ours, "$defs", name)); diff != "" {
			t.Errorf("$defs.%s differs from ownerbot.schema.json's; copy it (-ownerbot +exceptions):\n%s", name, diff)
		}
	}
}

// A reason is at least MinReason characters once the spaces around it are
// trimmed; tried over lengths around the limit, with every kind of space.
func TestSchemaReasonIsTheParsers(t *testing.T) {
	s := schematest.Compile(t, schemaFile+"#/$defs/exception/properties/reason")
	spaces := []string{"", " ", "\t", "\n", "\u00a0", "\u3000", " \u2028 "}
	var tried int
	for _, left := range spaces {
		for _, right := range spaces {
			for n := 0; n <= exception.MinReason+1; n++ {
				for _, core := range []string{strings.Repeat("a", n), middle(n, " "), middle(n, "é")} {
					text := left + core + right
					want := utf8.RuneCountInString(strings.TrimSpace(text)) >= exception.MinReason
					if err := s.Validate(text); (err == nil) != want {
						t.Errorf("%q: parser accepts: %v; schema accepts: %v (%v)", text, want, err == nil, err)
					}
					tried++
				}
			}
		}
	}
	if tried < 1000 {
		t.Errorf("tried %d reasons", tried)
	}
}

// middle returns n characters: fill between two letters (fewer when n < 2).
func middle(n int, fill string) string {
	if n < 2 {
		return strings.Repeat("a", n)
	}
	return "a" + strings.Repeat(fill, n-2) + "a"
}

const schemaFile = "exceptions.schema.json"

func known(id string) bool { _, ok := policy.Lookup(id); return ok }
