package exception

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// known is the part of the catalogue the tests use.
func known(id string) bool {
	switch id {
	case "runbook.missing", "runbook.overdue", "codeowners.unowned", "owners.review_overdue", "exception.too_long":
		return true
	}
	return false
}

const example = `version: 1
exceptions:
  - id: EXC-2026-014              # unique in the repository, never reused
    rule: runbook.missing         # a rule id from the catalogue
    paths: ["legacy/**"]          # relative to the unit; CODEOWNERS pattern syntax
    reason: "Legacy batch jobs retire in Q1; on-call uses the migration guide."
    expires: "2027-01-31"         # required; at most max_duration after the merge
    ticket: "https://tracker.example/PAY-812"   # optional
  - id: PAY-7
    rule: codeowners.unowned
    paths:
      - "*.sh"
      - OWNERS.yaml
    reason: Generated scripts, owned by whoever regenerates them.
    expires: "2026-12-01"
`

// ignoreCompiled leaves out what Parse compiles; the pattern tests check it.
var ignoreCompiled = cmpopts.IgnoreUnexported(Entry{})

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseExample(t *testing.T) {
	f, problems := Parse("services/payments/OWNERS_EXCEPTIONS.yaml", []byte(example), known)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	const path = "services/payments/OWNERS_EXCEPTIONS.yaml"
	want := &File{Path: path, Dir: "services/payments", Version: 1, Entries: []*Entry{
		{
			ID: "EXC-2026-014", Rule: "runbook.missing", Paths: []string{"legacy/**"},
			Reason:  "Legacy batch jobs retire in Q1; on-call uses the migration guide.",
			Expires: day("2027-01-31"), Ticket: "https://tracker.example/PAY-812",
			File: path, Dir: "services/payments", Line: 3, Column: 5,
			Lines: map[string]int{"id": 3, "rule": 4, "paths": 5, "reason": 6, "expires": 7, "ticket": 8},
			Valid: true,
		},
		{
			ID: "PAY-7", Rule: "codeowners.unowned", Paths: []string{"*.sh", "OWNERS.yaml"},
			Reason:  "Generated scripts, owned by whoever regenerates them.",
			Expires: day("2026-12-01"),
			File:    path, Dir: "services/payments", Line: 9, Column: 5,
			Lines: map[string]int{"id": 9, "rule": 10, "paths": 12, "reason": 14, "expires": 15},
			Valid: true,
		},
	}}
	if diff := cmp.Diff(want, f, ignoreCompiled); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, e := range f.Entries {
		if len(e.patterns) != len(e.Paths) {
			t.Errorf("%s: %d patterns compiled for %d paths", e.ID, len(e.patterns), len(e.Paths))
		}
	}
}

func TestParseAtTheRoot(t *testing.T) {
	f, problems := Parse("OWNERS_EXCEPTIONS.yaml", []byte(example), known)
	if len(problems) > 0 || f.Dir != "" || f.Entries[0].Dir != "" {
		t.Errorf("dir = %q, entry dir = %q, problems %v; want the root", f.Dir, f.Entries[0].Dir, problems)
	}
}

// entry is a valid exception with one line replaced, for the problem table.
func entry(replace, with string) string {
	const valid = `version: 1
exceptions:
  - id: EXC-1
    rule: runbook.missing
    paths: ["legacy/**"]
    reason: "Retired in Q1; see the migration guide."
    expires: "2027-01-31"
`
	if replace == "" {
		return valid + with
	}
	out := strings.Replace(valid, replace, with, 1)
	if out == valid {
		panic("entry: " + replace + " not found")
	}
	return out
}

func TestParseProblems(t *testing.T) {
	const reason = `    reason: "Retired in Q1; see the migration guide."` + "\n"
	tests := []struct {
		name string
		yaml string
		want []at
	}{
		{"empty file", "", []at{{0, 0, "the file is empty; it needs `version: 1` and a list of `exceptions`, or should be deleted"}}},
		{"only a comment", "# nothing yet\n", []at{{0, 0, "the file is empty; it needs `version: 1` and a list of `exceptions`, or should be deleted"}}},
		{"missing version", "exceptions: []\n", []at{{1, 1, "version is required: add `version: 1`"}}},
		{"unsupported version", "version: 2\nexceptions: []\n", []at{{1, 10, "version 2 is not supported; this ownerbot reads version 1"}}},
		{"version as text", "version: \"1\"\nexceptions: []\n", []at{{1, 10, `version must be a whole number, not the text "1"`}}},
		{"missing exceptions", "version: 1\n", []at{{1, 1, "exceptions is required: list the exceptions, or delete the file"}}},
		{"exceptions not a list", "version: 1\nexceptions: {id: EXC-1}\n", []at{{2, 13, "exceptions must be a list, not a mapping"}}},
		{"exceptions empty", "version: 1\nexceptions:\n", []at{{2, 12, "exceptions must be a list, not empty"}}},
		{"not a mapping", "- version: 1\n", []at{{1, 1, "OWNERS_EXCEPTIONS.yaml must be a mapping of keys to values, not a list"}}},
		{"unknown top-level key", entry("", "approved_by: \"@alice\"\n"), []at{{8, 1, `unknown key "approved_by" in OWNERS_EXCEPTIONS.yaml (known keys: exceptions, version)`}}},
		{"duplicate top-level key", entry("", "version: 1\n"), []at{{8, 1, `key "version" appears twice in OWNERS_EXCEPTIONS.yaml`}}},
		{"entry not a mapping", "version: 1\nexceptions:\n  - EXC-1\n", []at{{3, 5, `each exception must be a mapping with id, rule, paths, reason, expires and optionally ticket, not "EXC-1"`}}},
		{"entry empty", "version: 1\nexceptions:\n  -\n", []at{{3, 4, "each exception must be a mapping with id, rule, paths, reason, expires and optionally ticket, not empty"}}},
		{"entry lacks keys", "version: 1\nexceptions:\n  - {id: EXC-1, rule: runbook.missing}\n", []at{{3, 5, "the exception lacks paths, reason, expires (each needs id, rule, paths, reason, expires)"}}},
		{"unknown key, with suggestion", entry("", "    exipres: \"2027-01-31\"\n"), []at{{8, 5, `unknown key "exipres" in an exception (did you mean "expires"?)`}}},
		{"approved_by is not a key", entry("", "    approved_by: \"@alice\"\n"), []at{{8, 5, `unknown key "approved_by" in an exception (known keys: expires, id, paths, reason, rule, ticket)`}}},
		{"duplicate key", entry("", "    expires: \"2028-01-31\"\n"), []at{{8, 5, `key "expires" appears twice in an exception`}}},
		{"id lower case", entry("id: EXC-1", "id: exc-1"), []at{{3, 9, `id "exc-1" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`}}},
		{"id of one part", entry("id: EXC-1", "id: EXC"), []at{{3, 9, `id "EXC" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`}}},
		{"id starting with a digit", entry("id: EXC-1", "id: 2026-14"), []at{{3, 9, `id "2026-14" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`}}},
		{"id with a trailing dash", entry("id: EXC-1", "id: EXC-1-"), []at{{3, 9, `id "EXC-1-" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`}}},
		{"id too long", entry("id: EXC-1", "id: EXC-"+strings.Repeat("1", 61)), []at{{3, 9, `id "EXC-` + strings.Repeat("1", 61) + `" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`}}},
		{"id as a number", entry("id: EXC-1", "id: 14"), []at{{3, 9, "id must be text, not a number"}}},
		{"id empty", entry("id: EXC-1", `id: ""`), []at{{3, 9, "id must not be empty"}}},
		{"unknown rule", entry("rule: runbook.missing", "rule: runbook.absent"), []at{{4, 11, `rule "runbook.absent" is not in the rule catalogue; name a rule id such as runbook.missing`}}},
		{"rule about exceptions", entry("rule: runbook.missing", "rule: exception.too_long"), []at{{4, 11, `rule "exception.too_long" cannot be waived: findings about exceptions themselves always stand`}}},
		{"rule as a list", entry("rule: runbook.missing", "rule: [runbook.missing]"), []at{{4, 11, "rule must be text, not a list"}}},
		{"paths empty", entry(`paths: ["legacy/**"]`, "paths: []"), []at{{5, 12, `paths must list at least one pattern, such as "legacy/**" or "OWNERS.yaml"`}}},
		{"paths as text", entry(`paths: ["legacy/**"]`, `paths: "legacy/**"`), []at{{5, 12, "paths must be a list, not the text \"legacy/**\""}}},
		{"paths with an empty pattern", entry(`paths: ["legacy/**"]`, `paths: ["legacy/**", " "]`), []at{{5, 26, "each entry of paths must not be empty"}}},
		{"pattern leaves the unit", entry(`paths: ["legacy/**"]`, `paths: ["../billing/**"]`), []at{{5, 13, "pattern \"../billing/**\" leaves the unit: `..` is not allowed; patterns are relative to the directory of this file and cannot reach outside it"}}},
		{"pattern leaves the unit later", entry(`paths: ["legacy/**"]`, `paths: ["legacy/../../x"]`), []at{{5, 13, "pattern \"legacy/../../x\" leaves the unit: `..` is not allowed; patterns are relative to the directory of this file and cannot reach outside it"}}},
		{"escaped dots still leave", entry(`paths: ["legacy/**"]`, `paths: ['\.\./x']`), []at{{5, 13, "pattern \"\\\\.\\\\./x\" leaves the unit: `..` is not allowed; patterns are relative to the directory of this file and cannot reach outside it"}}},
		{"dot segment", entry(`paths: ["legacy/**"]`, `paths: ["./legacy"]`), []at{{5, 13, "pattern \"./legacy\" has a `.` segment, which never matches; write the path without it"}}},
		{"repeated double star", entry(`paths: ["legacy/**"]`, `paths: ["**/**/**/**"]`), []at{{5, 13, "pattern \"**/**/**/**\" repeats `**`; a single `**` already matches any number of directories"}}},
		{"negation", entry(`paths: ["legacy/**"]`, `paths: ["!legacy"]`), []at{{5, 13, "pattern \"!legacy\" is not a valid CODEOWNERS pattern: negation with `!` is not supported in CODEOWNERS (write a later line for the path with the owners it should have, or with none)"}}},
		{"character range", entry(`paths: ["legacy/**"]`, `paths: ["*.[ch]"]`), []at{{5, 13, "pattern \"*.[ch]\" is not a valid CODEOWNERS pattern: character ranges with `[ ]` are not supported in CODEOWNERS (write one line per name, or use `?` or `*`)"}}},
		{"triple star", entry(`paths: ["legacy/**"]`, `paths: ["legacy/***"]`), []at{{5, 13, "pattern \"legacy/***\" is not a valid CODEOWNERS pattern: three or more `*` in a row have no meaning (use `**` to match any number of directories)"}}},
		{"empty segment", entry(`paths: ["legacy/**"]`, `paths: ["legacy//x"]`), []at{{5, 13, "pattern \"legacy//x\" is not a valid CODEOWNERS pattern: the pattern has an empty path segment (`//`) (use a single `/`)"}}},
		{"just a slash", entry(`paths: ["legacy/**"]`, `paths: ["/"]`), []at{{5, 13, "pattern \"/\" is not a valid CODEOWNERS pattern: the pattern `/` never matches anything (use `*` to match every file)"}}},
		{"comment", entry(`paths: ["legacy/**"]`, `paths: ["#notes.md"]`), []at{{5, 13, "pattern \"#notes.md\" starts with `#`, which CODEOWNERS reads as a comment; match the name with `?` instead, such as \"?notes.md\""}}},
		{"unescaped space", entry(`paths: ["legacy/**"]`, `paths: ["my file.txt"]`), []at{{5, 13, "pattern \"my file.txt\" has a space, where CODEOWNERS ends a pattern; escape it as `\\ `"}}},
		{"pattern with an owner", entry(`paths: ["legacy/**"]`, `paths: ["legacy @alice"]`), []at{{5, 13, "pattern \"legacy @alice\" has a space, where CODEOWNERS ends a pattern; escape it as `\\ `"}}},
		{"spaces around", entry(`paths: ["legacy/**"]`, `paths: [" legacy"]`), []at{{5, 13, "pattern \" legacy\" has spaces around it; remove them"}}},
		{"control character", entry(`paths: ["legacy/**"]`, `paths: ["legacy\n/x"]`), []at{{5, 13, "pattern \"legacy\\n/x\" has a control character; paths are plain text"}}},
		{"byte order mark", entry(`paths: ["legacy/**"]`, `paths: ["\ufefflegacy"]`), []at{{5, 13, "pattern \"\\ufefflegacy\" is not a single CODEOWNERS pattern"}}},
		{"too long a pattern", entry(`paths: ["legacy/**"]`, `paths: ["`+strings.Repeat("a", 5000)+`"]`), []at{{5, 13, `pattern "` + strings.Repeat("a", 5000) + `" is not a valid CODEOWNERS pattern: the pattern is longer than any path can be (shorten it to a directory or a glob)`}}},
		{"reason too short", entry(reason, "    reason: \"legacy  \"\n"), []at{{6, 13, `reason "legacy  " is too short: say in at least 10 characters why the finding may stand and what replaces it`}}},
		{"reason blank", entry(reason, "    reason: \"   \"\n"), []at{{6, 13, "reason must not be empty"}}},
		{"unquoted date", entry(`expires: "2027-01-31"`, "expires: 2027-01-31"), []at{{7, 14, `expires must be quoted ("2027-01-31"): unquoted, YAML reads a date as a timestamp`}}},
		{"not a date", entry(`expires: "2027-01-31"`, `expires: "end of Q1"`), []at{{7, 14, `expires must be a date written YYYY-MM-DD, not "end of Q1"`}}},
		{"impossible date", entry(`expires: "2027-01-31"`, `expires: "2027-02-30"`), []at{{7, 14, `expires must be a date written YYYY-MM-DD, not "2027-02-30"`}}},
		{"duration instead of a date", entry(`expires: "2027-01-31"`, "expires: 90d"), []at{{7, 14, `expires must be a date written YYYY-MM-DD, not "90d"`}}},
		{"ticket not a URL", entry("", "    ticket: PAY-812\n"), []at{{8, 13, `ticket must be an http or https address, not "PAY-812"`}}},
		{"ticket of another scheme", entry("", "    ticket: \"ftp://tracker.example/PAY-812\"\n"), []at{{8, 13, `ticket must be an http or https address, not "ftp://tracker.example/PAY-812"`}}},
		{"ticket empty", entry("", "    ticket: \"\"\n"), []at{{8, 13, "ticket must not be empty"}}},
		{"anchors are refused", entry(`paths: ["legacy/**"]`, `paths: &p ["legacy/**"]`), []at{{5, 12, "anchors (&p) are not allowed; write the value out"}}},
		{"explicit tags are refused", entry(`expires: "2027-01-31"`, `expires: !!str 2027-01-31`), []at{{7, 14, "explicit tags (!!str) are not allowed"}}},
		{"YAML syntax", "version: 1\nexceptions: [\n", []at{{2, 1, "YAML syntax: did not find expected node content"}}},
		{"two documents", entry("", "---\nversion: 1\n"), []at{{8, 1, "only one YAML document is allowed; remove the `---` that starts a second one"}}},
		{"every problem is reported", entry(`paths: ["legacy/**"]`, `paths: ["../x", "a/**/**"]`+"\n    ticket: nope") + "  - id: x\n", []at{
			{5, 13, "pattern \"../x\" leaves the unit: `..` is not allowed; patterns are relative to the directory of this file and cannot reach outside it"},
			{5, 21, "pattern \"a/**/**\" repeats `**`; a single `**` already matches any number of directories"},
			{6, 13, `ticket must be an http or https address, not "nope"`},
			{9, 9, `id "x" must be at most 64 upper-case letters and digits in dash-separated parts, such as EXC-2026-014`},
			{9, 5, "the exception lacks rule, paths, reason, expires (each needs id, rule, paths, reason, expires)"},
		}},
	}
	const path = "payments/OWNERS_EXCEPTIONS.yaml"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Parse(path, []byte(tt.yaml), known)
			if diff := cmp.Diff(tt.want, positions(t, path, problems), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// at is a problem without its path, which positions checks.
type at struct {
	Line, Column int
	Message      string
}

func positions(t *testing.T, path string, problems []Problem) []at {
	t.Helper()
	var out []at
	for _, p := range problems {
		if p.Path != path {
			t.Errorf("problem %v is about %q, want %q", p, p.Path, path)
		}
		out = append(out, at{p.Line, p.Column, p.Message})
	}
	return out
}

// validity is what TestParseValidity compares of each entry.
type validity struct {
	ID       string
	Valid    bool
	Compiled int // patterns compiled: none on an invalid entry
}

func validities(f *File) []validity {
	var out []validity
	for _, e := range f.Entries {
		out = append(out, validity{e.ID, e.Valid, len(e.patterns)})
	}
	return out
}

func TestParseValidity(t *testing.T) {
	const two = `exceptions:
  - {id: EXC-1, rule: runbook.missing, paths: ["a/**", "b"], reason: "Retired in Q1, see PAY-1.", expires: "2027-01-31"}
  - {id: EXC-2, rule: runbook.missing, paths: ["a/**", "../b"], reason: "Retired in Q1, see PAY-1.", expires: "2027-01-31"}
  - {id: EXC-3, rule: runbook.missing, paths: ["c"], reason: "Retired in Q1, see PAY-1.", expires: "2027-01-31", extra: 1}
  - {id: EXC-4, rule: runbook.missing, paths: ["c"], reason: "Retired in Q1, see PAY-1."}
`
	tests := []struct {
		name  string
		yaml  string
		known func(string) bool
		want  []validity
	}{
		{"valid entries are kept beside invalid ones", "version: 1\n" + two, known, []validity{
			{"EXC-1", true, 2}, {"EXC-2", false, 0}, {"EXC-3", false, 0}, {"EXC-4", false, 0}}},
		{"a missing version invalidates every entry", two, known, []validity{
			{"EXC-1", false, 0}, {"EXC-2", false, 0}, {"EXC-3", false, 0}, {"EXC-4", false, 0}}},
		{"an unknown version invalidates every entry, even one written first", two + "version: 2\n", known, []validity{
			{"EXC-1", false, 0}, {"EXC-2", false, 0}, {"EXC-3", false, 0}, {"EXC-4", false, 0}}},
		{"an unknown top-level key leaves entries valid", "version: 1\nnotes: x\n" + two, known, []validity{
			{"EXC-1", true, 2}, {"EXC-2", false, 0}, {"EXC-3", false, 0}, {"EXC-4", false, 0}}},
		{"a nil catalogue knows no rule", "version: 1\n" + two, nil, []validity{
			{"EXC-1", false, 0}, {"EXC-2", false, 0}, {"EXC-3", false, 0}, {"EXC-4", false, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Parse("OWNERS_EXCEPTIONS.yaml", []byte(tt.yaml), tt.known)
			if diff := cmp.Diff(tt.want, validities(f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Path: "a/OWNERS_EXCEPTIONS.yaml", Line: 3, Column: 9, Message: "id must not be empty"}, "a/OWNERS_EXCEPTIONS.yaml:3:9: id must not be empty"},
		{Problem{Path: "a/OWNERS_EXCEPTIONS.yaml", Line: 0, Column: 0, Message: "the file is empty"}, "a/OWNERS_EXCEPTIONS.yaml: the file is empty"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.p.Error()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
