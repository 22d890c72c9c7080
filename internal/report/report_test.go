package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/golden"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/schematest"
)

func sample() *policy.Result {
	return &policy.Result{
		CODEOWNERS: ".github/CODEOWNERS",
		Ruleset:    codeowners.Parse([]byte("* @acme/all\n/x/ @acme/x\n")),
		Coverage:   codeowners.Coverage{Files: 8, Owned: 6, Rules: []codeowners.RuleCoverage{{Matched: 8, Decided: 4}, {Matched: 2, Decided: 2}}},
		Skipped:    []policy.Skip{{Rule: policy.CodeownersUnknownOwner, Reason: "needs GitHub"}},
		Findings: []policy.Finding{
			{Rule: policy.CodeownersInvalidOwner, Severity: policy.Error, Path: ".github/CODEOWNERS", Line: 3, Column: 7,
				Message: `Invalid owner: "Lok" is not a valid owner`, Remedy: "write @Lok", Owners: []string{"@acme/all"}},
			{Rule: policy.CodeownersNoMatch, Severity: policy.Warning, Path: ".github/CODEOWNERS", Line: 9, Column: 1,
				Message: "pattern `/gone/` matches no file", Remedy: "delete the line", Owners: []string{"@acme/all"}},
			{Rule: policy.ExceptionExpiring, Severity: policy.Info, Path: "legacy/OWNERS_EXCEPTIONS.yaml", Line: 4, Column: 5,
				Message: "EXC-1 expires in 3 days", Remedy: "renew it", ExceptedBy: "EXC-1"},
			{Rule: policy.CodeownersUnowned, Severity: policy.Warning, Path: "legacy/",
				Message: "no line gives any of the 2 files in this directory an owner", Remedy: "add a line"},
		},
	}
}

func TestText(t *testing.T) {
	var plain, colour bytes.Buffer
	if err := Text(&plain, sample(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "sample.txt", plain.Bytes())
	if err := Text(&colour, sample(), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text has ANSI escapes")
	}
	if !strings.Contains(colour.String(), "\x1b[31merror  \x1b[0m") {
		t.Errorf("coloured text does not paint errors red:\n%q", colour.String())
	}
	stripped := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[2m", "", "\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[36m", "").Replace(colour.String())
	if diff := cmp.Diff(plain.String(), stripped); diff != "" {
		t.Errorf("colour changes more than colour (-plain +stripped):\n%s", diff)
	}
}

func TestTextNoFindings(t *testing.T) {
	var buf bytes.Buffer
	res := &policy.Result{Coverage: codeowners.Coverage{Files: 3}}
	if err := Text(&buf, res, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "No problems found.\nCODEOWNERS: none; 3 files, none owned\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTextCapsUnownedListing(t *testing.T) {
	res := &policy.Result{Coverage: codeowners.Coverage{Files: 100}}
	for i := 0; i < 25; i++ {
		res.Findings = append(res.Findings, policy.Finding{Rule: policy.CodeownersUnowned, Severity: policy.Warning,
			Path: fmt.Sprintf("dir%02d/", i), Message: "unowned", Remedy: "own it"})
	}
	var buf bytes.Buffer
	if err := Text(&buf, res, TextOptions{MaxUnowned: 10}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "dir09/") || strings.Contains(out, "dir10/") {
		t.Errorf("want the first 10 groups only:\n%s", out)
	}
	if !strings.Contains(out, "… and 15 more directories and files without an owner (--format json lists them all)") {
		t.Errorf("want a line saying how many were left out:\n%s", out)
	}
	if !strings.Contains(out, "0 errors, 25 warnings, 0 notes") {
		t.Errorf("the summary counts every finding, listed or not:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "sample.json", buf.Bytes())
	var doc struct {
		Findings []struct {
			Owners []string `json:"owners"`
		} `json:"findings"`
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for i, f := range doc.Findings {
		if f.Owners == nil {
			t.Errorf("finding %d: owners is null, want an array", i)
		}
	}
	// The info finding is waived by EXC-1: counted apart, not as a note.
	want := Summary{Errors: 1, Warnings: 2, Info: 0, Waived: 1, Files: 8, OwnedFiles: 6, Coverage: 75, CODEOWNERS: ".github/CODEOWNERS",
		Rules: 2, Skipped: []Skip{{policy.CodeownersUnknownOwner, "needs GitHub"}},
		Ownership: Ownership{Files: 8, SoleFiles: 6, UnownedFiles: 2, Owners: []OwnerRow{
			{Owner: "@acme/all", Files: 4, Share: 50, Sole: 4},
			{Owner: "@acme/x", Files: 2, Share: 25, Sole: 2},
		}}}
	if diff := cmp.Diff(want, doc.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestSARIFIsValid(t *testing.T) {
	res := sample()
	res.Findings[2].ExceptedBy = "EXC-1"
	res.Paths = []string{"legacy/OWNERS_EXCEPTIONS.yaml", "legacy/batch.sh"}
	var buf bytes.Buffer
	if err := SARIF(&buf, res, SARIFOptions{Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "sample.sarif", buf.Bytes())
	if err := schematest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Errorf("SARIF output does not validate against the OASIS schema: %v", err)
	}
	// The validator must be able to say no, or the check above means nothing.
	if err := schematest.ValidateSARIF(t, []byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[{"level":"fatal"}]}]}`)); err == nil {
		t.Error("an invalid SARIF log validated")
	}

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string `json:"ruleId"`
				RuleIndex    int    `json:"ruleIndex"`
				Level        string `json:"level"`
				Suppressions []any  `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(res.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(res.Findings))
	}
	for i, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex %d names %s, not %s", i, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID, r.RuleID)
		}
		if want := map[policy.Severity]string{policy.Error: "error", policy.Warning: "warning", policy.Info: "note"}[res.Findings[i].Severity]; r.Level != want {
			t.Errorf("result %d: level %q, want %q", i, r.Level, want)
		}
		if (len(r.Suppressions) > 0) != (res.Findings[i].ExceptedBy != "") {
			t.Errorf("result %d: suppressions %v for excepted_by %q", i, r.Suppressions, res.Findings[i].ExceptedBy)
		}
	}
}

func TestSARIFURIs(t *testing.T) {
	for in, want := range map[string]string{".": ".", "a b/c#d.md": "a%20b/c%23d.md", "legacy/": "legacy/", "naïve.go": "na%C3%AFve.go"} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	res := sample()
	res.Findings[1].Message = "pattern `*.go` matches <nothing> in a_b*"
	if err := Markdown(&buf, res); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "sample.md", buf.Bytes())
	if !strings.Contains(buf.String(), "pattern `*.go` matches &lt;nothing&gt; in a\\_b\\*") {
		t.Errorf("text outside code spans must be escaped, inside kept:\n%s", buf.String())
	}
}
