package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/gfm/gfmtest"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// ownHTML is the HTML the App itself writes in a pull request comment.
var ownHTML = []string{CommentMarker, MergeMarker, "<sub>", "</sub>", "<br>"}

// hostile is a pull request as an attacker writes it (row 5 of issue 14):
// files whose names break out of code spans and start headings, and a head
// CODEOWNERS and runbook that name people the base never named.
func hostilePullRequest(t *testing.T) (*PullRequest, []string) {
	evil := "docs/a`b\n# pwned <!-- ownerbot:merged --> @victim-user.md"
	base := map[string]string{
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"2026-11-01\"}\n",
		".github/CODEOWNERS": "* @acme/all\n",
		"docs/readme.md":     "x",
	}
	head := map[string]string{
		"OWNERS.yaml":        "version: 1\nowner: \"@acme/all\"\ntier: 3\nrunbooks: [\"rb/*.md\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		".github/CODEOWNERS": "* @acme/all\n/docs/ @victim-user @org/everyone\n",
		"docs/readme.md":     "x",
		evil:                 "x",
		"rb/x.md":            "---\nowner: \"@org/runbook-victims\"\nlast_reviewed: \"2026-11-01\"\n---\n# x\n",
	}
	b, h := evaluateFiles(t, base), evaluateFiles(t, head)
	pr := &PullRequest{Head: h, Comparison: policy.Compare(b, h), Mode: "enforce", Enforcing: true,
		Changed: []string{".github/CODEOWNERS", evil, "rb/x.md"}, Mentionable: MentionableOwners(b)}
	for _, tr := range pr.Comparison.Transfers {
		pr.Transfers = append(pr.Transfers, TransferApproval{Transfer: tr, Missing: tr.Parties})
	}
	var mentionable []string
	for m := range pr.Mentionable {
		mentionable = append(mentionable, m)
	}
	return pr, mentionable
}

func TestPullRequestQuotesHostileText(t *testing.T) {
	pr, mentionable := hostilePullRequest(t)
	if diff := cmp.Diff([]string{"@acme/all"}, mentionable); diff != "" {
		t.Fatalf("the base names (-want +got):\n%s", diff)
	}
	var comment, summary bytes.Buffer
	if err := PullRequestComment(&comment, pr); err != nil {
		t.Fatal(err)
	}
	if err := PullRequestSummary(&summary, pr); err != nil {
		t.Fatal(err)
	}
	for name, md := range map[string]string{"comment": comment.String(), "summary": summary.String()} {
		for _, p := range gfmtest.Problems(md, mentionable, ownHTML...) {
			t.Errorf("%s: %s", name, p)
		}
		doc, err := gfmtest.Parse(md)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(doc.Shape(), "Heading1") {
			t.Errorf("%s: a path starts a heading:\n%s", name, md)
		}
		want := "docs/a`b\\n# pwned <\\x21-- ownerbot:merged --\\x3e @victim-user.md"
		if !slices.Contains(doc.CodeSpans(), want) {
			t.Errorf("%s: no code span shows the path whole; spans: %q", name, doc.CodeSpans())
		}
		if !strings.Contains(md, "<sub>Not notified: `@org/everyone`, `@org/runbook-victims`, `@victim-user`, named only by this pull request.") {
			t.Errorf("%s: does not say whom it did not notify:\n%s", name, md)
		}
		if strings.Count(md, "Not notified") != 1 {
			t.Errorf("%s: says more than once whom it did not notify", name)
		}
	}
	if n := strings.Count(comment.String(), "<!--"); n != 1 {
		t.Errorf("the comment holds %d HTML comment openings, want its marker's alone", n)
	}

	// Without the base's owners, nobody at all is mentioned.
	pr.Mentionable = nil
	comment.Reset()
	if err := PullRequestComment(&comment, pr); err != nil {
		t.Fatal(err)
	}
	for _, p := range gfmtest.Problems(comment.String(), nil, ownHTML...) {
		t.Errorf("no mentionable owners: %s", p)
	}
}

// bigPullRequest has 50 new findings on long paths: far more than a
// comment holds. pad lengthens the first finding's message.
func bigPullRequest(pad int) *PullRequest {
	pr := &PullRequest{Mode: "enforce", Enforcing: true, Mentionable: map[string]bool{"@acme/pay": true}}
	for i := range 50 {
		msg := "a problem"
		if i == 0 {
			msg += strings.Repeat("!", pad)
		}
		pr.Comparison.New = append(pr.Comparison.New, policy.Finding{Rule: policy.CodeownersNoMatch, Severity: policy.Error,
			Path: fmt.Sprintf("deep/%03d/%s.go", i, strings.Repeat("x", 1500)), Line: 3, Message: msg,
			Remedy: "fix it", Owners: []string{"@acme/pay"}})
	}
	return pr
}

func render(t *testing.T, f func(*bytes.Buffer, *PullRequest) error, pr *PullRequest) string {
	t.Helper()
	var buf bytes.Buffer
	if err := f(&buf, pr); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestPullRequestSizeLimits renders a comment and a summary at exactly
// GitHub's limit, which comes out whole, and one byte past it, which leaves
// the last finding out and says so, keeping the marker.
func TestPullRequestSizeLimits(t *testing.T) {
	comment := func(b *bytes.Buffer, pr *PullRequest) error { return PullRequestComment(b, pr) }
	summary := func(b *bytes.Buffer, pr *PullRequest) error { return PullRequestSummary(b, pr) }
	for _, tt := range []struct {
		name   string
		render func(*bytes.Buffer, *PullRequest) error
		limit  int
	}{
		{"comment", comment, gfm.MaxBody},
		{"summary", summary, gfm.MaxCheckRunText},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The whole text grows a byte with each byte of padding; find
			// the padding that makes it exactly the limit.
			small := bigPullRequest(0)
			small.Comparison.New = small.Comparison.New[:40]
			whole := len(render(t, tt.render, small))
			if whole >= tt.limit {
				t.Fatalf("40 findings already take %d bytes", whole)
			}
			full := func(pad int) *PullRequest {
				pr := bigPullRequest(0)
				pr.Comparison.New = pr.Comparison.New[:40]
				pr.Comparison.New[0].Message += strings.Repeat("!", pad)
				return pr
			}
			pad := tt.limit - whole
			at := render(t, tt.render, full(pad))
			if len(at) != tt.limit {
				t.Fatalf("at the limit: %d bytes, want %d", len(at), tt.limit)
			}
			if strings.Contains(at, "more; run `ownerbot check`") {
				t.Errorf("at the limit, something was left out")
			}
			past := render(t, tt.render, full(pad+1))
			if len(past) > tt.limit {
				t.Errorf("one past the limit: %d bytes", len(past))
			}
			if !strings.Contains(past, "- … and 1 more; run `ownerbot check` for all of them.\n") {
				t.Errorf("one past the limit, it does not say what it left out:\n%s", past[len(past)-400:])
			}
			if tt.name == "comment" && !strings.HasPrefix(past, CommentMarker+"\n") {
				t.Error("the marker did not survive")
			}
			for _, p := range gfmtest.Problems(past, []string{"@acme/pay"}, ownHTML...) {
				t.Error(p)
			}

			// Far past it: 50 findings of 1.5 KB.
			big := render(t, tt.render, bigPullRequest(0))
			if len(big) > tt.limit {
				t.Errorf("50 long findings: %d bytes", len(big))
			}
			if !strings.Contains(big, "more; run `ownerbot check` for all of them.\n") {
				t.Errorf("50 long findings: it does not say what it left out")
			}
		})
	}
}

// A pull request whose own fixed text is too long (a reason of a megabyte)
// is cut at a line's end, and the comment keeps its marker.
func TestPullRequestCommentCut(t *testing.T) {
	pr := bigPullRequest(0)
	pr.Incomplete = strings.Repeat("why ", 1<<18)
	got := render(t, func(b *bytes.Buffer, pr *PullRequest) error { return PullRequestComment(b, pr) }, pr)
	if len(got) > gfm.MaxBody || !strings.HasPrefix(got, CommentMarker) || !strings.Contains(got, "cut here") {
		t.Errorf("%d bytes, marker %v:\n%s", len(got), strings.HasPrefix(got, CommentMarker), got[len(got)-300:])
	}
}

func TestPullRequestTitleLimit(t *testing.T) {
	pr := &PullRequest{Incomplete: strings.Repeat("é", 300) + "\x1b"}
	got := pr.Title()
	if len(got) > MaxTitle || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, 0x1b) {
		t.Errorf("title of %d bytes: %q", len(got), got)
	}
}

func TestAnnotationsLimits(t *testing.T) {
	long := strings.Repeat("é", MaxAnnotationText)
	got := Annotations([]policy.Finding{{Rule: "r\x1b", Severity: policy.Error, Path: "a\x1b.go", Line: 2, Message: "bad\x07" + long, Remedy: "fix"}})
	if len(got) != 1 {
		t.Fatalf("%d annotations", len(got))
	}
	a := got[0]
	if len(a.Message) > MaxAnnotationText || !strings.HasPrefix(a.Message, `bad\x07éé`) || !strings.HasSuffix(a.Message, "…") {
		t.Errorf("message of %d bytes: %q…", len(a.Message), a.Message[:20])
	}
	if a.Title != `r\x1b` || a.Path != "a\x1b.go" {
		t.Errorf("title %q, path %q: the title is escaped, the path is the file's own", a.Title, a.Path)
	}
}

func TestAnnotationBatches(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want []int
	}{{0, nil}, {1, []int{1}}, {50, []int{50}}, {51, []int{50, 1}}, {100, []int{50, 50}}, {101, []int{50, 50, 1}}} {
		as := make([]Annotation, tt.n)
		for i := range as {
			as[i].Line = i
		}
		var sizes []int
		next := 0
		for _, b := range AnnotationBatches(as) {
			sizes = append(sizes, len(b))
			for _, a := range b {
				if a.Line != next {
					t.Errorf("%d annotations: out of order at %d", tt.n, next)
				}
				next++
			}
		}
		if diff := cmp.Diff(tt.want, sizes); diff != "" {
			t.Errorf("%d annotations (-want +got):\n%s", tt.n, diff)
		}
	}
}

// Row 10 of issue 14: control characters in file names and messages reach
// the terminal as escapes, never raw.
func TestTextEscapesControlCharacters(t *testing.T) {
	res := &policy.Result{
		CODEOWNERS: ".github/CODEOWNERS\x1b[2J",
		Ruleset:    codeowners.Parse([]byte("* @a\n")),
		Coverage:   codeowners.Coverage{Files: 1, Owned: 1},
		Findings: []policy.Finding{{Rule: policy.RunbookInvalid, Severity: policy.Warning,
			Path: "run\x1b]0;owned\a\x00/x\u202e.md", Line: 1, Column: 1, Unit: "u\u009b/",
			Message: "front matter: \x1b[31mred\x7f", Remedy: "fix\rit", Owners: []string{"@a\x1b"}, ExceptedBy: "E\x07"}},
	}
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Text(&buf, res, TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		// Colour is the report's own ESC [ n m; nothing else may be raw.
		own := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[2m", "", "\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[36m", "").Replace(out)
		for _, r := range own {
			if r != '\n' && (r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 || r == 0x202e) {
				t.Errorf("colour %v: %U reaches the terminal raw:\n%q", color, r, out)
			}
		}
		for _, want := range []string{`run\x1b]0;owned\x07\x00/x\u202e.md`, `front matter: \x1b[31mred\x7f`, `fix\rit`, `u\u009b/`, `@a\x1b`, `E\x07`, `.github/CODEOWNERS\x1b[2J`} {
			if !strings.Contains(own, want) {
				t.Errorf("colour %v: %s is not shown escaped:\n%s", color, want, own)
			}
		}
	}
}

// FuzzPullRequestComment renders a whole comment with a hostile path,
// owner and message in every place they can appear, and checks it the way
// GitHub reads it: nobody but the base's owner is mentioned, there is no
// HTML but the App's, and the quoted text changes nothing of the
// document's shape.
func FuzzPullRequestComment(f *testing.F) {
	f.Add("pay/api/main.go", "@acme/data", "pattern `/gone/` matches no file", "EXC-1")
	f.Add("a`b\n# pwned", "@victim-user", "<!-- ownerbot:merged --> @org/everyone", "x|y")
	f.Add("x|y\\|z", "@acme/pay", "ping @acme/pay. and @acme/pay-x www.evil.example", "``")
	f.Add("", "me@example.com", "1. list\n- item\n> quote", "")
	shape := func(md string) string {
		// The note on owners not notified comes and goes with the owner.
		if i := strings.Index(md, "<sub>Not notified:"); i >= 0 {
			md = md[:i]
		}
		d, err := gfmtest.Parse(md)
		if err != nil {
			f.Fatal(err)
		}
		return d.Shape()
	}
	comment := func(path, owner, message, id string) string {
		var buf bytes.Buffer
		if err := PullRequestComment(&buf, fuzzPullRequest(path, owner, message, id)); err != nil {
			f.Fatal(err)
		}
		return buf.String()
	}
	benign := map[bool]string{false: shape(comment("p", "@o", "m", "i")), true: shape(comment("p", "@o", "", "i"))}
	f.Fuzz(func(t *testing.T, path, owner, message, id string) {
		md := comment(path, owner, message, id)
		if len(md) > gfm.MaxBody {
			t.Errorf("%d bytes", len(md))
		}
		for _, p := range gfmtest.Problems(md, []string{"@acme/pay"}, ownHTML...) {
			t.Errorf("%s in:\n%s", p, md)
		}
		// A comment too long for GitHub leaves items out and counts them
		// ("… and 3 more"), which changes its shape by design
		// (TestPullRequestSizeLimits).
		shortened := strings.Contains(md, "… and ") || strings.Contains(md, gfm.CutNote)
		if got, want := shape(md), benign[gfm.NewQuoter().Text(message) == ""]; !shortened && got != want {
			t.Errorf("the quoted text changes the comment's shape:\n%s\nwant:\n%s\nin:\n%s", got, want, md)
		}
	})
}

func fuzzPullRequest(path, owner, message, id string) *PullRequest {
	owners := []string{owner, "@acme/pay"}
	f := policy.Finding{Rule: policy.CodeownersNoMatch, Severity: policy.Error, Path: path, Line: 2, Message: message, Remedy: message, Owners: owners}
	return &PullRequest{
		Mode: "enforce", Enforcing: true, Mentionable: map[string]bool{"@acme/pay": true},
		Comparison: policy.Comparison{New: []policy.Finding{f}, Fixed: []policy.Finding{f}},
		Changed:    []string{path},
		Transfers: []TransferApproval{{
			Transfer:   policy.Transfer{Via: policy.ViaCODEOWNERS, Paths: []string{path, path}, Files: 7, From: owners, To: []string{owner}, Parties: owners},
			ApprovedBy: map[string]string{owner: message}, Missing: []string{"@acme/pay"},
		}},
		Exceptions: []ExceptionApproval{{ExceptionChange: policy.ExceptionChange{
			Entry: &exception.Entry{ID: id, Rule: message, Paths: []string{path}, Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
			Added: true, Approvers: owners,
		}, ApprovedBy: id}},
	}
}
