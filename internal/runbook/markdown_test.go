package runbook

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// body parses Markdown as the body of a valid runbook whose front matter
// takes three lines, so the body starts on line 4.
func body(t *testing.T, md string) *Runbook {
	t.Helper()
	r, problems := Parse("docs/r.md", []byte("---\nlast_reviewed: \"2026-01-01\"\n---\n"+md))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	return r
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []Link // Line counts from the body's first line as 1
	}{
		{"inline, with titles of each kind", "[a](a.md) [b](b.md \"B\") [c](c.md 'C') [d](d.md (D))\n",
			[]Link{{1, 5, "a.md", false, ""}, {1, 15, "b.md", false, ""}, {1, 29, "c.md", false, ""}, {1, 43, "d.md", false, ""}}},
		{"image, and an image inside a link", "![diagram](img/d.png)\n[![badge](b.svg)](status.md)\n",
			[]Link{{1, 12, "img/d.png", true, ""}, {2, 11, "b.svg", true, ""}, {2, 19, "status.md", false, ""}}},
		{"external links are extracted too", "[w](https://example.com/x) <https://example.com/auto> [m](mailto:a@b.example)\n",
			[]Link{{1, 5, "https://example.com/x", false, ""}, {1, 59, "mailto:a@b.example", false, ""}}},
		{"autolinks are skipped, even with brackets inside", "<https://example.com/[x](y)>\n", nil},
		{"angle brackets allow spaces", "[a](<my file.md>)\n", []Link{{1, 6, "my file.md", false, ""}}},
		{"balanced parentheses stay in the target", "[a](docs/f(1).md)\n", []Link{{1, 5, "docs/f(1).md", false, ""}}},
		{"escapes are removed", "[a](docs/f\\(1.md) \\[not](x.md)\n", []Link{{1, 5, "docs/f(1.md", false, ""}}},
		{"blanks around the target", "[a](  a.md  )\n", []Link{{1, 7, "a.md", false, ""}}},
		{"nested brackets in the text", "[a [b] c](x.md)\n", []Link{{1, 11, "x.md", false, ""}}},
		{"no links inside links", "[a [b](inner.md) c](outer.md)\n", []Link{{1, 8, "inner.md", false, ""}}},
		{"empty target is no link to check", "[a]() [b](<>)\n", nil},
		{"a link spanning lines", "[two\nlines](x.md)\n", []Link{{2, 8, "x.md", false, ""}}},
		{"not links", "[a] (x.md) [b]x.md) a](x.md) [c](x.md \"unclosed)\n", nil},
		{"reference links use the definition", "[text][id] and [id]\n\n[id]: ref.md#part \"Title\"\n  [other]: <o t.md>\n",
			[]Link{{3, 7, "ref.md#part", false, ""}, {4, 13, "o t.md", false, ""}}},
		{"a footnote is not a definition, but its links are links", "[^1]: See [x](foot.md).\n", []Link{{1, 15, "foot.md", false, ""}}},
		{"a definition cannot interrupt a paragraph", "text\n[id]: x.md\n", nil},
		{"fenced code is skipped", "```bash\n[a](in-code.md)\n```\n~~~~\n[b](x.md)\n```\n~~~~\n[c](after.md)\n",
			[]Link{{8, 5, "after.md", false, ""}}},
		{"a fence closes only with as many markers", "````\n```\n[a](x.md)\n````\n[b](y.md)\n", []Link{{5, 5, "y.md", false, ""}}},
		{"an unclosed fence runs to the end", "```\n[a](x.md)\n", nil},
		{"fences in quotes and lists", "> ```\n> [a](x.md)\n> ```\n- item\n\n    ```\n    [b](y.md)\n    ```\n\n[c](z.md)\n",
			[]Link{{10, 5, "z.md", false, ""}}},
		{"indented code is skipped", "para\n\n    [a](x.md)\n\n[b](y.md)\n", []Link{{5, 5, "y.md", false, ""}}},
		{"a list ends at an unindented block", "- item\n\n# Heading\n\n    [a](x.md)\n", nil},
		{"indented text in a list is not code", "- item\n\n    [a](x.md)\n", []Link{{3, 9, "x.md", false, ""}}},
		{"code spans are skipped", "`[a](x.md)` ``[b](`y.md`)`` [c](z.md)\n", []Link{{1, 33, "z.md", false, ""}}},
		{"a code span may span lines", "`code\n[a](x.md)` [b](y.md)\n", []Link{{2, 16, "y.md", false, ""}}},
		{"an unmatched backtick is text", "`[a](x.md)\n", []Link{{1, 6, "x.md", false, ""}}},
		{"HTML comments are skipped", "<!--\n[a](x.md)\n-->\ntext <!-- [b](y.md) --> [c](z.md)\n",
			[]Link{{4, 29, "z.md", false, ""}}},
		{"HTML blocks hide Markdown until a blank line", "<details>\n<summary>[a](x.md)</summary>\n\n[b](y.md)\n\n</details>\n",
			[]Link{{4, 5, "y.md", false, ""}}},
		{"raw blocks hide Markdown until they close", "<PRE>\n[a](x.md)\n\n[b](x.md)\n</pre>\n[c](z.md)\n", []Link{{6, 5, "z.md", false, ""}}},
		{"a raw block closing on its line", "<pre>[a](x.md)</pre>\n\n[c](z.md)\n", []Link{{3, 5, "z.md", false, ""}}},
		{"inline HTML is no block", "<span>[a](x.md)</span> <a href=\"ignored.md\">b</a>\n", []Link{{1, 11, "x.md", false, ""}}},
		{"headings hold links", "## See [docs](d.md)\n", []Link{{1, 15, "d.md", false, ""}}},
		{"columns count characters", "é ü [a](x.md)\n", []Link{{1, 9, "x.md", false, ""}}},
		{"tables and lists", "| a | [b](b.md) |\n|---|---|\n- [c](c.md)\n1. [d](d.md)\n",
			[]Link{{1, 11, "b.md", false, ""}, {3, 7, "c.md", false, ""}, {4, 8, "d.md", false, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := body(t, tt.md)
			for i := range tt.want {
				tt.want[i].Line += 3
			}
			if diff := cmp.Diff(tt.want, r.Links, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnchors(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []string
	}{
		{"lower case, spaces become hyphens", "# Fail Over\n", []string{"fail-over"}},
		{"punctuation goes except - and _", "## What's up? (v2.0) -- snake_case & more!\n", []string{"whats-up-v20----snake_case--more"}},
		{"duplicates get -1, -2", "# Steps\n## Steps\n### Steps\n", []string{"steps", "steps-1", "steps-2"}},
		{"a duplicate skips a suffix that is taken", "# a\n# a-1\n# a\n", []string{"a", "a-1", "a-2"}},
		{"closing hashes go", "## Rollback ##\n## C# ##\n", []string{"rollback", "c"}},
		{"setext headings", "Overview\n========\n\nDetails\n---\n", []string{"overview", "details"}},
		{"inline markup renders as text", "## The `pg_ctl` [promote](x.md) step ![icon](i.png)\n", []string{"the-pg_ctl-promote-step-"}},
		{"emphasis underscores go, others stay", "## _Really_ __init__ snake_case `_x_`\n", []string{"really-init-snake_case-_x_"}},
		{"HTML tags and entities go", "## <code>kubectl</code> &amp; more\n", []string{"kubectl--more"}},
		{"letters of every script stay", "## Café Ölçü 日本\n", []string{"café-ölçü-日本"}},
		{"explicit anchors", "<a name=\"Custom-Anchor\"></a>\n<div id='box'>x</div>\n", []string{"custom-anchor", "box"}},
		{"not headings", "#hashtag\n    # indented code\n```\n# comment in code\n```\n<!--\n# hidden\n-->\n", nil},
		{"ids in HTML blocks count, headings in them do not", "<div id=\"top\">\n# Not a heading\n</div>\n", []string{"top"}},
		{"a heading in a quote", "> ## Quoted\n", []string{"quoted"}},
		{"emoji go", "## 🚀 Launch\n", []string{"-launch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := body(t, tt.md)
			if diff := cmp.Diff(tt.want, r.Anchors, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnchorSetSkipsFrontMatter(t *testing.T) {
	got := anchorSet([]byte("\uFEFF---\ntitle: x\n# not a heading\n---\n# Real\n"))
	if diff := cmp.Diff(map[string]bool{"real": true}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Without a closing line the first line is a thematic break.
	got = anchorSet([]byte("---\n# Heading\n"))
	if diff := cmp.Diff(map[string]bool{"heading": true}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPositionsOnALongLine(t *testing.T) {
	md := strings.Repeat("é[a](x.md)", 3)
	r := body(t, md)
	want := []Link{{4, 6, "x.md", false, ""}, {4, 16, "x.md", false, ""}, {4, 26, "x.md", false, ""}}
	if diff := cmp.Diff(want, r.Links); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
