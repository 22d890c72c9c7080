package report

import (
	"bytes"
	"github.com/ownerbot/ownerbot/internal/config"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/golden"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

var prDay = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func evaluateFiles(t *testing.T, files map[string]string) *policy.Result {
	t.Helper()
	fsys := fstest.MapFS{}
	var paths []string
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
		paths = append(paths, name)
	}
	// Configured, so each rule has its catalogue severity (without any
	// configuration ownerbot only warns).
	org := config.Org{Config: config.Default()}
	org.Config.Configured = true
	res, err := policy.Evaluate(snapshot.FromPaths(fsys, paths), policy.Options{Now: prDay, Org: &org})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// samplePullRequest is a pull request that moves pay/batch to another team,
// adds an exception, introduces a CODEOWNERS mistake and fixes another.
func samplePullRequest(t *testing.T) *PullRequest {
	base := map[string]string{
		"OWNERS.yaml":            "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		".github/CODEOWNERS":     "* @acme/all\n/pay/ @acme/pay\n/gone/ @acme/pay\n",
		"pay/OWNERS.yaml":        "version: 1\nowner: \"@acme/pay\"\ntier: 2\napprovers: [\"@alice\", \"@bob\"]\nrunbooks: [\"runbooks/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/runbooks/outage.md": "---\nlast_reviewed: \"2026-10-01\"\n---\n# Outage\n",
		"pay/api/main.go":        "package main",
		"pay/batch/job.go":       "package batch",
		"web/index.html":         "<html>",
	}
	head := map[string]string{}
	for k, v := range base {
		head[k] = v
	}
	head[".github/CODEOWNERS"] = "* @acme/all\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/web/ Lok\n"
	head["pay/OWNERS_EXCEPTIONS.yaml"] = "version: 1\nexceptions:\n  - id: EXC-2026-001\n    rule: runbook.overdue\n    paths: [\"runbooks/**\"]\n    reason: \"The runbook is rewritten with the new queue in Q1.\"\n    expires: \"2027-01-31\"\n"
	head["pay/batch/job.go"] = "package batch // v2"
	b, h := evaluateFiles(t, base), evaluateFiles(t, head)
	c := policy.Compare(b, h)
	pr := &PullRequest{Head: h, Comparison: c, Mode: "enforce", Enforcing: true,
		Changed:     []string{".github/CODEOWNERS", "pay/OWNERS_EXCEPTIONS.yaml", "pay/batch/job.go"},
		Mentionable: MentionableOwners(b)}
	for _, tr := range c.Transfers {
		pr.Transfers = append(pr.Transfers, TransferApproval{Transfer: tr, ApprovedBy: map[string]string{"@acme/pay": "alice"}, Missing: []string{"@acme/data"}})
	}
	for _, x := range c.Exceptions {
		pr.Exceptions = append(pr.Exceptions, ExceptionApproval{ExceptionChange: x})
	}
	return pr
}

func TestPullRequestGolden(t *testing.T) {
	pr := samplePullRequest(t)
	var summary, comment bytes.Buffer
	if err := PullRequestSummary(&summary, pr); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "pullrequest-summary.md", summary.Bytes())
	if err := PullRequestComment(&comment, pr); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "pullrequest-comment.md", comment.Bytes())
	if !strings.HasPrefix(comment.String(), CommentMarker+"\n") {
		t.Error("the comment does not start with its marker")
	}
	if got, want := pr.Conclusion(), Failure; got != want {
		t.Errorf("conclusion %q, want %q", got, want)
	}
}

// After a merge the comment is the record: who approved what, and a plain
// warning for what merged without its approval.
func TestPullRequestMergeRecordGolden(t *testing.T) {
	pr := samplePullRequest(t)
	pr.Merged = &Merge{By: "pat", At: time.Date(2026, 11, 26, 15, 4, 0, 0, time.UTC), Commit: "0123456789abcdef0123456789abcdef01234567"}
	var comment bytes.Buffer
	if err := PullRequestComment(&comment, pr); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "pullrequest-merged.md", comment.Bytes())
	if !strings.HasPrefix(comment.String(), CommentMarker+"\n") {
		t.Error("the record does not start with the marker, so the sticky comment would be duplicated")
	}

	for i := range pr.Transfers {
		pr.Transfers[i].Missing = nil
	}
	for i := range pr.Exceptions {
		pr.Exceptions[i].ApprovedBy = "dana"
	}
	comment.Reset()
	if err := PullRequestComment(&comment, pr); err != nil {
		t.Fatal(err)
	}
	if got := comment.String(); !strings.Contains(got, "merged with every approval it needed") || strings.Contains(got, "CAUTION") {
		t.Errorf("a fully approved merge:\n%s", got)
	}
}

func TestPullRequestConclusion(t *testing.T) {
	pr := samplePullRequest(t)
	blocking := pr.Blocking()
	if blocking != 3 { // the invalid owner, the transfer, the exception
		t.Errorf("blocking = %d, want 3", blocking)
	}
	tests := []struct {
		name       string
		mode       string
		enforcing  bool
		incomplete string
		approved   bool
		want       string
	}{
		{"enforced", "enforce", true, "", false, Failure},
		{"enforce_from still ahead", "enforce", false, "", false, Success},
		{"warn passes", "warn", false, "", false, Success},
		{"observe is neutral", "observe", false, "", false, Neutral},
		{"incomplete is never a pass", "enforce", true, "too many files", false, Neutral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := *pr
			p.Mode, p.Enforcing, p.Incomplete = tt.mode, tt.enforcing, tt.incomplete
			if got := p.Conclusion(); got != tt.want {
				t.Errorf("conclusion %q, want %q", got, tt.want)
			}
		})
	}
	// Approvals and the fix clear the way.
	p := *pr
	p.Comparison.New = nil
	p.Transfers = []TransferApproval{{Transfer: pr.Transfers[0].Transfer, ApprovedBy: map[string]string{"@acme/pay": "alice", "@acme/data": "dan"}}}
	p.Exceptions = []ExceptionApproval{{ExceptionChange: pr.Exceptions[0].ExceptionChange, ApprovedBy: "bob"}}
	if got := p.Conclusion(); got != Success {
		t.Errorf("everything approved: conclusion %q, want success", got)
	}
	if got, want := p.Title(), "No new ownership problems, 1 fixed"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

func TestAnnotations(t *testing.T) {
	got := Annotations([]policy.Finding{
		{Rule: "codeowners.syntax", Severity: policy.Error, Path: ".github/CODEOWNERS", Line: 3, Message: "bad", Remedy: "fix it", Owners: []string{"@a"}},
		{Rule: "runbook.invalid", Severity: policy.Warning, Path: "r.md", Message: "no front matter"},
		{Rule: "codeowners.unowned", Severity: policy.Warning, Path: "legacy/", Message: "unowned"},
		{Rule: "codeowners.missing", Severity: policy.Error, Path: ".", Message: "none"},
		{Rule: "exception.expiring", Severity: policy.Info, Path: "x/OWNERS_EXCEPTIONS.yaml", Line: 4, Message: "soon"},
	})
	want := []Annotation{
		{Path: ".github/CODEOWNERS", Line: 3, Level: "failure", Title: "codeowners.syntax", Message: "bad\nFix: fix it", RawDetail: "@a"},
		{Path: "r.md", Line: 1, Level: "warning", Title: "runbook.invalid", Message: "no front matter", RawDetail: "nobody"},
		{Path: "x/OWNERS_EXCEPTIONS.yaml", Line: 4, Level: "notice", Title: "exception.expiring", Message: "soon", RawDetail: "nobody"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}
