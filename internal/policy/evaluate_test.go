package policy

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// tree builds a snapshot from file names to contents.
func tree(files map[string]string) *snapshot.Tree {
	fsys := fstest.MapFS{}
	var paths []string
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
		paths = append(paths, name)
	}
	return snapshot.FromPaths(fsys, paths)
}

// brief is the part of a finding the tables compare.
type brief struct {
	Rule     string
	Path     string
	Line     int
	Col      int
	Severity Severity
}

// briefs keeps the findings of rules whose id starts with prefix.
func briefs(fs []Finding, prefix string) []brief {
	out := []brief{}
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, prefix) {
			out = append(out, brief{f.Rule, f.Path, f.Line, f.Column, f.Severity})
		}
	}
	return out
}

var today = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// rootOwners is a root OWNERS.yaml reviewed recently enough for today.
// Tier 3, so it needs no runbook.
const rootOwners = "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n"

func TestEvaluateCodeowners(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []brief
	}{
		{
			name:  "no CODEOWNERS anywhere",
			files: map[string]string{"main.go": ""},
			want:  []brief{{CodeownersMissing, ".github/CODEOWNERS", 0, 0, Error}},
		},
		{
			name: "clean file, everything owned",
			files: map[string]string{
				".github/CODEOWNERS": "* @acme/all\n/src/ @acme/src\n",
				"main.go":            "", "src/a.go": "",
			},
			want: []brief{},
		},
		{
			name: "second and third locations are ignored by GitHub",
			files: map[string]string{
				".github/CODEOWNERS": "* @a\n", "CODEOWNERS": "* @b\n", "docs/CODEOWNERS": "* @c\n",
			},
			want: []brief{
				{CodeownersMultiple, "CODEOWNERS", 0, 0, Warning},
				{CodeownersMultiple, "docs/CODEOWNERS", 0, 0, Warning},
			},
		},
		{
			name: "root CODEOWNERS wins over docs/",
			files: map[string]string{
				"CODEOWNERS": "* @a\n", "docs/CODEOWNERS": "* @c\n",
			},
			want: []brief{{CodeownersMultiple, "docs/CODEOWNERS", 0, 0, Warning}},
		},
		{
			name: "bad lines are reported and skipped, the rest counts",
			files: map[string]string{
				"CODEOWNERS": "* @a\n!x @b\n/src/ Lok\n[ab].go @c\n",
				"src/a.go":   "",
			},
			want: []brief{
				{CodeownersSyntax, "CODEOWNERS", 2, 1, Error},
				{CodeownersInvalidOwner, "CODEOWNERS", 3, 7, Error},
				{CodeownersSyntax, "CODEOWNERS", 4, 1, Error},
			},
		},
		{
			name: "dead lines: no match, shadowed, duplicate",
			files: map[string]string{
				"CODEOWNERS": "*.go @go\n/gone/ @x\n/src/ @src\n/src/ @src2\n* @all\n/lib/ @lib\n",
				"src/a.go":   "", "lib/b.go": "", "README": "",
			},
			want: []brief{
				{CodeownersShadowed, "CODEOWNERS", 1, 1, Warning},
				{CodeownersNoMatch, "CODEOWNERS", 2, 1, Warning},
				{CodeownersDuplicate, "CODEOWNERS", 3, 1, Warning},
				{CodeownersShadowed, "CODEOWNERS", 4, 1, Warning},
			},
		},
		{
			name: "unowned files fold into the largest unowned directories",
			files: map[string]string{
				"CODEOWNERS":     "/src/ @src\n/src/gen/\n/CODEOWNERS @src\n",
				"src/a.go":       "",
				"src/gen/x.go":   "",
				"src/gen/y/z.go": "",
				"legacy/a/b.sh":  "",
				"legacy/c.sh":    "",
				"README.md":      "",
				"tools/only.sh":  "",
			},
			want: []brief{
				{CodeownersUnowned, "README.md", 0, 0, Warning},
				{CodeownersUnowned, "legacy/", 0, 0, Warning},
				{CodeownersUnowned, "src/gen/", 0, 0, Warning},
				{CodeownersUnowned, "tools/", 0, 0, Warning},
			},
		},
		{
			name: "a file with only comments owns nothing",
			files: map[string]string{
				"CODEOWNERS": "# nobody yet\n", "a": "", "b/c": "",
			},
			want: []brief{{CodeownersUnowned, ".", 0, 0, Warning}},
		},
		{
			name: "too large: GitHub ignores the file",
			files: map[string]string{
				".github/CODEOWNERS": strings.Repeat("#", codeowners.MaxSize),
			},
			want: []brief{
				{CodeownersUnowned, ".", 0, 0, Warning},
				{CodeownersTooLarge, ".github/CODEOWNERS", 0, 0, Error},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Evaluate(tree(tt.files), Options{Now: today, Org: adopted()})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, briefs(res.Findings, "codeowners.")); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range res.Findings {
				if f.Message == "" || f.Remedy == "" {
					t.Errorf("%s at %s:%d has no message or no remedy: %+v", f.Rule, f.Path, f.Line, f)
				}
			}
		})
	}
}

func TestEvaluateFillsOwnersAndCoverage(t *testing.T) {
	res, err := Evaluate(tree(map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/.github/ @acme/all @alice\n/gone/ @x\n",
		"OWNERS.yaml":        rootOwners,
		"a.go":               "", "b.go": "",
	}), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("want one no_match finding, got %+v", res.Findings)
	}
	if diff := cmp.Diff([]string{"@acme/all", "@alice"}, res.Findings[0].Owners); diff != "" {
		t.Errorf("a finding on CODEOWNERS names the owners of CODEOWNERS (-want +got):\n%s", diff)
	}
	if res.Coverage.Files != 4 || res.Coverage.Owned != 4 || res.CODEOWNERS != ".github/CODEOWNERS" {
		t.Errorf("coverage = %+v, file %q", res.Coverage, res.CODEOWNERS)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Rule)
	}
	want := []string{CodeownersUnknownOwner, OwnersUnresolvable, ExceptionUnapproved, TransferUnapproved, ReviewStalePR}
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if res.Count(Error) != 0 || res.Count(Warning) != 1 || res.Count(Info) != 1 {
		t.Errorf("counts: error %d, warning %d, info %d", res.Count(Error), res.Count(Warning), res.Count(Info))
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Remedy == "" || r.Practice == "" || r.Severity < Info || r.Severity > Error {
			t.Errorf("incomplete catalogue entry %+v", r)
		}
		if got, ok := Lookup(r.ID); !ok || got.ID != r.ID {
			t.Errorf("Lookup(%q) = %+v, %v", r.ID, got, ok)
		}
	}
	// The ids are a contract (DESIGN §3): every one must be there.
	for _, id := range []string{
		CodeownersMissing, CodeownersMultiple, CodeownersTooLarge, CodeownersSyntax, CodeownersInvalidOwner,
		CodeownersUnknownOwner, CodeownersNoMatch, CodeownersShadowed, CodeownersDuplicate, CodeownersUnowned,
		CodeownersDrift, OwnersMissingRoot, OwnersSchema, OwnersUnresolvable, OwnersMismatch, OwnersSingleApprover,
		OwnersReviewOverdue, RunbookMissing, RunbookInvalid, RunbookOverdue, RunbookBrokenLink, ExceptionInvalid,
		ExceptionTooLong, ExceptionUnapproved, ExceptionExpiring, TransferUnapproved, ReviewStalePR,
	} {
		if !seen[id] {
			t.Errorf("rule %s missing from the catalogue", id)
		}
	}
	// DESIGN §3 has 27 rules; config.invalid, link.outside_repository and
	// codeowners.too_expensive are ours.
	if len(seen) != 30 {
		t.Errorf("catalogue has %d rules, want DESIGN §3's 27, config.invalid, link.outside_repository and codeowners.too_expensive", len(seen))
	}
	rules := Rules()
	rules[0].ID = "mutated"
	if Rules()[0].ID == "mutated" {
		t.Error("Rules() exposes the catalogue to mutation")
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []Severity{Info, Warning, Error} {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity accepted an unknown severity")
	}
}

func TestEvaluateExceptions(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n",
		"OWNERS.yaml":        rootOwners,
		"old/OWNERS.yaml":    "version: 1\n", // never reviewed; tier 3 from the root
		"new/OWNERS.yaml":    "version: 1\n",
		"mid/OWNERS.yaml":    "version: 1\n",
		"soon/OWNERS.yaml":   "version: 1\n",
		"old/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: OLD-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"moving to the data team\", expires: \"2026-10-31\"}\n",
		"new/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: NEW-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"reviewed with the reorg\", expires: \"2027-01-31\"}\n",
		"mid/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: MID-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"reviewed with the reorg\", expires: \"2027-12-31\"}\n" +
			"  - {id: MID-2, rule: no.such_rule, paths: [\"**\"], reason: \"a rule that does not exist\", expires: \"2027-01-01\"}\n",
		"soon/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: SOON-1, rule: owners.review_overdue, paths: [\"**\"], reason: \"reviewed with the reorg\", expires: \"2026-12-01\"}\n",
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Rule, Path, ExceptedBy string
		Expired                bool
	}
	var all []got
	for _, f := range res.Findings {
		all = append(all, got{f.Rule, f.Path, f.ExceptedBy, strings.Contains(f.Message, "expired on")})
	}
	want := []got{
		{ExceptionTooLong, "mid/OWNERS_EXCEPTIONS.yaml", "", false},   // 400 days from today
		{ExceptionInvalid, "mid/OWNERS_EXCEPTIONS.yaml", "", false},   // unknown rule
		{OwnersReviewOverdue, "mid/OWNERS.yaml", "", false},           // too long: waives nothing
		{OwnersReviewOverdue, "new/OWNERS.yaml", "NEW-1", false},      // waived
		{OwnersReviewOverdue, "old/OWNERS.yaml", "", true},            // expired: back, and says so
		{ExceptionExpiring, "soon/OWNERS_EXCEPTIONS.yaml", "", false}, // 5 days left
		{OwnersReviewOverdue, "soon/OWNERS.yaml", "SOON-1", false},    // still waived until then
	}
	less := func(a, b got) int { return strings.Compare(a.Path+a.Rule, b.Path+b.Rule) }
	slices.SortFunc(all, less)
	slices.SortFunc(want, less)
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := res.Count(Info); n != 5 {
		t.Errorf("Count leaves waived findings out: got %d, want 5", n)
	}
}

func TestEvaluateRunbooks(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS":   "* @acme/all\n",
		"OWNERS.yaml":          rootOwners,
		"pay/OWNERS.yaml":      "version: 1\nowner: \"@acme/pay\"\ntier: 1\nrunbooks: [\"runbooks/*.md\", \"*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"search/OWNERS.yaml":   "version: 1\nowner: \"@acme/search\"\ntier: 2\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"lab/OWNERS.yaml":      "version: 1\nowner: \"@acme/lab\"\ntier: 1\nlifecycle: experimental\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/runbooks/ok.md":   "---\nlast_reviewed: \"2026-11-01\"\n---\n# OK\n\nSee [the other one](old.md#steps) and [the README](../README.md).\n",
		"pay/runbooks/old.md":  "---\nowner: \"@acme/sre\"\nlast_reviewed: \"2026-05-01\"\n---\n# Old\n\n## Steps\n\n[gone](gone.md)\n",
		"pay/runbooks/bad.md":  "# No front matter\n",
		"pay/README.md":        "---\nlast_reviewed: \"2026-11-20\"\n---\n# Pay\n",
		"pay/notes/skip.md":    "not a runbook: no glob selects it\n",
		"search/docs/howto.md": "not a runbook either\n",
	}
	history := func(paths []string) (map[string]time.Time, error) {
		if diff := cmp.Diff([]string{"pay/runbooks/bad.md"}, paths); diff != "" {
			t.Errorf("history asked for (-want +got):\n%s", diff)
		}
		return map[string]time.Time{"pay/runbooks/bad.md": time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)}, nil
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted(), History: history})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Rule, Path string
		Line       int
		Owners     string
	}
	var all []got
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, "runbook.") {
			all = append(all, got{f.Rule, f.Path, f.Line, strings.Join(f.Owners, " ")})
		}
	}
	want := []got{
		{RunbookInvalid, "pay/runbooks/bad.md", 1, "@acme/pay"},
		{RunbookOverdue, "pay/runbooks/old.md", 3, "@acme/sre"}, // the runbook's own owner
		{RunbookBrokenLink, "pay/runbooks/old.md", 9, "@acme/sre"},
		{RunbookMissing, "search/OWNERS.yaml", 4, "@acme/all"}, // its glob matches nothing; CODEOWNERS owns the file
		// lab/ is experimental: no runbook needed.
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range res.Findings {
		if f.Rule == RunbookInvalid && !strings.Contains(f.Message, "2026-10-02") {
			t.Errorf("a runbook without a review date shows its last commit as context: %q", f.Message)
		}
	}
	var states []string
	for _, r := range res.Runbooks[res.Units.UnitOf("pay/x")] {
		states = append(states, r.Path+" "+string(r.Status.State))
	}
	slices.Sort(states)
	wantStates := []string{"pay/README.md current", "pay/runbooks/bad.md invalid", "pay/runbooks/ok.md current", "pay/runbooks/old.md overdue"}
	if diff := cmp.Diff(wantStates, states); diff != "" {
		t.Errorf("runbooks of pay/ (-want +got):\n%s", diff)
	}
}

func TestEvaluateIgnores(t *testing.T) {
	res, err := Evaluate(tree(map[string]string{
		".github/CODEOWNERS":              "/src/ @acme/src @acme/all\n/OWNERS.yaml @acme/all\n/.github/ @acme/all\n",
		".github/ownerbot.yaml":           "version: 1\nignore: [\"/fixtures/\", \"*.gen.go\"]\n",
		"OWNERS.yaml":                     rootOwners,
		"src/a.go":                        "",
		"src/a.gen.go":                    "", // ignored too: the pattern floats
		"fixtures/OWNERS.yaml":            "not: [valid",
		"fixtures/unowned/x.txt":          "",
		"lib/b.gen.go":                    "", // unowned, but ignored
		"fixtures/OWNERS_EXCEPTIONS.yaml": "garbage",
	}), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Errorf("ignored paths are not judged, got %v", briefs(res.Findings, ""))
	}
	if res.Coverage.Files != 4 {
		t.Errorf("coverage counts %d files, want the 4 not ignored", res.Coverage.Files)
	}
}

// The sweep writes dated work into issues: what it is about and when it is
// due, in words that do not change from one day to the next.
func TestDatedFindings(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n",
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {interval: 30d, last_reviewed: \"2026-09-01\"}\n",
		"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\nrunbooks: [\"rb.md\"]\n",
		"pay/rb.md":          "---\nlast_reviewed: \"2026-01-10\"\nreview_interval: 90d\n---\n# Pay\n",
		"old/OWNERS.yaml":    "version: 1\nreview: {last_reviewed: \"2026-01-01\"}\n",
		"old/README.md":      "no runbook\n",
		"pay/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: PAY-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"reorganised in the autumn\", expires: \"2026-12-01\"}\n",
		"old/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: OLD-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"moving to the archive\", expires: \"2026-10-01\"}\n",
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	type dated struct{ Rule, Path, Subject, Due, Excepted string }
	var got []dated
	for _, f := range res.Findings {
		if f.Subject != "" || !f.Due.IsZero() {
			due := ""
			if !f.Due.IsZero() {
				due = f.Due.Format("2006-01-02")
			}
			got = append(got, dated{f.Rule, f.Path, f.Subject, due, f.ExceptedBy})
		}
	}
	want := []dated{
		{OwnersReviewOverdue, "OWNERS.yaml", "the ownership review of /", "2026-10-01", ""},
		{OwnersReviewOverdue, "old/OWNERS.yaml", "the ownership review of old/", "2026-01-31", ""},
		{OwnersReviewOverdue, "pay/OWNERS.yaml", "the ownership review of pay/", "", "PAY-1"}, // never reviewed: no date
		{ExceptionExpiring, "pay/OWNERS_EXCEPTIONS.yaml", "PAY-1 (owners.review_overdue)", "2026-12-01", ""},
		{RunbookOverdue, "pay/rb.md", "the review of this runbook", "2026-04-10", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range res.Findings {
		if f.Lapsed != "" && f.Lapsed != "OLD-1" {
			t.Errorf("%s: lapsed %q", f.Path, f.Lapsed)
		}
	}
	if !slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Lapsed == "OLD-1" }) {
		t.Errorf("no finding says its exception lapsed: %+v", res.Findings)
	}
}

func TestRevoke(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n",
		"OWNERS.yaml":        rootOwners,
		"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\n",
		"pay/OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: PAY-1, rule: owners.review_overdue, paths: [\"OWNERS.yaml\"], reason: \"reorganised in the autumn\", expires: \"2027-01-01\"}\n" +
			"  - {id: PAY-2, rule: owners.review_overdue, paths: [\"**\"], reason: \"reorganised in the autumn\", expires: \"2027-01-02\"}\n",
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	entries := res.Exceptions.Entries()
	excepted := func() string {
		for _, f := range res.Findings {
			if f.Rule == OwnersReviewOverdue && f.Path == "pay/OWNERS.yaml" {
				return f.ExceptedBy
			}
		}
		return "missing"
	}
	if got := excepted(); got != "PAY-1" {
		t.Fatalf("before: excepted by %q", got)
	}
	res.Revoke(entries[0], "PAY-1 was merged without an eligible approval", "", today)
	if got := excepted(); got != "PAY-2" {
		t.Errorf("after revoking PAY-1 the other entry still waives it: got %q", got)
	}
	res.Revoke(entries[1], "PAY-2 was merged without an eligible approval", "", today)
	res.Revoke(entries[1], "PAY-2 was merged without an eligible approval", "", today)
	if got := excepted(); got != "" {
		t.Errorf("after revoking both, the finding counts again: got %q", got)
	}
	var unapproved []string
	for _, f := range res.Findings {
		if f.Rule == ExceptionUnapproved {
			unapproved = append(unapproved, f.Subject+" "+f.Unit)
		}
	}
	want := []string{"PAY-1 (owners.review_overdue) pay/", "PAY-2 (owners.review_overdue) pay/"}
	if diff := cmp.Diff(want, unapproved); diff != "" {
		t.Errorf("exception.unapproved findings (-want +got):\n%s", diff)
	}
}

// An organization's configuration is the default under a repository's own
// file, and its locked settings stay the organization's.
func TestEvaluateWithOrganizationConfig(t *testing.T) {
	org, problems := config.ParseOrg([]byte("version: 1\nmode: enforce\nrules: {codeowners.unowned: error}\nlocked: [mode]\n"), func(id string) bool { _, ok := Lookup(id); return ok })
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	files := map[string]string{
		".github/CODEOWNERS": "/src/ @acme/src\n", "OWNERS.yaml": rootOwners, "src/a.go": "", "main.go": "",
	}
	res, err := Evaluate(tree(files), Options{Now: today, Org: &org})
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.Mode != config.Enforce {
		t.Errorf("without a file of its own, the repository's mode is %s, want the organization's enforce", res.Config.Mode)
	}
	want := []brief{{CodeownersUnowned, ".github/", 0, 0, Error}, {CodeownersUnowned, "OWNERS.yaml", 0, 0, Error}, {CodeownersUnowned, "main.go", 0, 0, Error}}
	if diff := cmp.Diff(want, briefs(res.Findings, "codeowners.")); diff != "" {
		t.Errorf("the organization's severity does not apply (-want +got):\n%s", diff)
	}

	files[".github/ownerbot.yaml"] = "version: 1\nmode: observe\nrules: {codeowners.unowned: off}\n"
	res, err = Evaluate(tree(files), Options{Now: today, Org: &org})
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.Mode != config.Enforce {
		t.Errorf("a repository changed the locked mode to %s", res.Config.Mode)
	}
	if got := briefs(res.Findings, "codeowners."); len(got) != 0 {
		t.Errorf("the repository's own rule severity does not apply: %v", got)
	}
	if diff := cmp.Diff([]brief{{ConfigInvalid, ".github/ownerbot.yaml", 2, 7, Error}}, briefs(res.Findings, "config.")); diff != "" {
		t.Errorf("the locked setting is not reported (-want +got):\n%s", diff)
	}
}

// The organization's own file is checked in the repository that holds it.
func TestEvaluateChecksAnOrganizationFile(t *testing.T) {
	res, err := Evaluate(tree(map[string]string{
		".github/CODEOWNERS": "* @acme/all\n", "OWNERS.yaml": rootOwners,
		"ownerbot.yaml": "version: 1\nmode: enforce\nlocked: [colour]\n",
	}), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]brief{{ConfigInvalid, "ownerbot.yaml", 3, 10, Error}}, briefs(res.Findings, "config.")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Config.Mode != config.Warn {
		t.Errorf("an organization file applied to the repository that holds it: mode %s", res.Config.Mode)
	}
}

// adopted is an organization's configuration that changes nothing: the
// repository counts as configured, so each rule has its catalogue severity
// (without any configuration, ownerbot only warns).
func adopted() *config.Org {
	o := config.Org{Config: config.Default()}
	o.Config.Configured = true
	return &o
}
