package runbook

import (
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

const front = "---\nowner: \"@acme/a\"\nlast_reviewed: \"2026-01-01\"\n---\n"

// Hostile files must give a clear problem, in bounded time and memory, and
// never a panic. (No timing assertions: benchmarks measure speed.)
func TestHostileInput(t *testing.T) {
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	tests := []struct {
		name  string
		data  string
		want  []problem
		owner string // still read
	}{
		{"front matter that never closes, a megabyte long", "---\n" + strings.Repeat("key: value\n", (1<<20)/11-1),
			[]problem{{1, 1, "the front matter that starts here never ends: add a line `---` after its last key"}}, ""},
		{"a runbook over a megabyte: the front matter is still read", front + strings.Repeat("[a](b.md)\n", 1<<17),
			[]problem{{0, 0, "the file is 1310773 bytes, more than the 1048576 a runbook may have; only its front matter is read"}}, "@acme/a"},
		{"front matter over 64 KiB", "---\nlast_reviewed: \"2026-01-01\"\n# " + strings.Repeat("x", 64<<10) + "\n---\n",
			[]problem{{1, 1, "the front matter is 65567 bytes, more than the 65536 it may have"}}, ""},
		{"a megabyte on the first line, cut at a character", strings.Repeat("é", MaxSize),
			[]problem{{0, 0, "the file is 2097152 bytes, more than the 1048576 a runbook may have; only its front matter is read"},
				{1, 1, "the runbook has no front matter: " + help}}, ""},
		{"invalid UTF-8 everywhere", front + strings.Repeat("\xff\xfe", 1000),
			[]problem{{5, 1, "the file is not valid UTF-8 (the first bad byte is here); save it as UTF-8"}}, "@acme/a"},
		{"deeply nested brackets in front matter: refused by depth", "---\nlast_reviewed: \"2026-01-01\"\ntitle: " + strings.Repeat("[", 60<<10) + "\n---\n",
			[]problem{{3, 1, "YAML syntax: exceeded max depth of 10000"}}, ""},
		{"nesting within the parser's limits", "---\nlast_reviewed: \"2026-01-01\"\ntitle: " + strings.Repeat("{a: ", 30) + "1" + strings.Repeat("}", 30) + "\n---\n",
			[]problem{{3, 85, "nested more than 20 levels deep"}}, ""},
		{"an alias bomb", "---\nlast_reviewed: \"2026-01-01\"\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n---\n",
			[]problem{{3, 4, "anchors (&a) are not allowed; write the value out"}, {4, 4, "anchors (&b) are not allowed; write the value out"}}, ""},
		{"binary garbage", string(garbage), []problem{
			{1, 3, "the file is not valid UTF-8 (the first bad byte is here); save it as UTF-8"},
			{1, 78, "the file holds a NUL byte, so GitHub shows it as binary, not as a page"},
			{1, 1, "the runbook has no front matter: " + help}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("x.md", []byte(tt.data))
			if diff := cmp.Diff(tt.want, problemsOf(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if r.Owner != tt.owner {
				t.Errorf("owner = %q, want %q", r.Owner, tt.owner)
			}
		})
	}
}

// Bodies built to make a naive scanner quadratic or deeply recursive must
// be read in one pass and find what is there.
func TestHostileMarkdown(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name  string
		md    string
		links int
	}{
		{"a line of nearly a megabyte full of links", strings.Repeat("é[a](x.md)", 90_000), 90_000},
		{"brackets nested a hundred thousand deep", strings.Repeat("[", n) + "a" + strings.Repeat("](x.md)", n), 1},
		{"openers that never close", strings.Repeat("[![", n) + "](x.md)", 1},
		{"destinations that never close", strings.Repeat("[a](x.md \"", n), 0},
		{"parentheses that never balance", "[a](" + strings.Repeat("(", n) + ")", 0},
		{"backtick runs of every length, none closed", func() string {
			var sb strings.Builder
			for i := 1; i <= 980; i++ { // about half a megabyte
				sb.WriteString(strings.Repeat("`", i) + " [a](x.md) ")
			}
			return sb.String()
		}(), 980},
		{"angle brackets without end", strings.Repeat("<http://a", n) + " [a](x.md)", 1},
		{"comments without end", "text " + strings.Repeat("<!--", n) + " [a](x.md)", 1},
		{"a comment block without end hides the rest", strings.Repeat("<!--", n) + "\n\n[a](x.md)", 0},
		{"a megabyte of headings", strings.Repeat("# a\n", n), 0},
		{"a heading of every kind of markup", "# " + strings.Repeat("_a_ `b` [c](d.md) ![e](f.png) <g> &amp; ", n/40), 2 * n / 40},
		{"fences that open and close", strings.Repeat("```\n[a](x.md)\n```\n", n/10), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("x.md", []byte(front+tt.md))
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if len(r.Links) != tt.links {
				t.Errorf("%d links, want %d", len(r.Links), tt.links)
			}
			checkPositions(t, []byte(front+tt.md), r)
			if _, err := NewLinkChecker(fstest.MapFS{}, nil).BrokenLinks(r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestHostileHeadings(t *testing.T) {
	many := strings.Repeat("# Same\n", 20_000)
	set := anchorSet([]byte(many))
	if len(set) != 20_000 || !set["same-19999"] {
		t.Errorf("%d anchors; want same … same-19999", len(set))
	}
}

func TestSizeLimitIsInclusive(t *testing.T) {
	data := front + strings.Repeat("x", MaxSize-len(front))
	if _, problems := Parse("x.md", []byte(data)); len(problems) > 0 {
		t.Errorf("a runbook of exactly MaxSize bytes: %v", problems)
	}
}

// checkPositions holds every problem, link and anchor position to the file:
// lines exist and columns are within their line (one past its end at most).
func checkPositions(t *testing.T, data []byte, r *Runbook) {
	t.Helper()
	doc := newDocument(trimBOM(data))
	widths := map[int]int{}
	width := func(line int) int {
		if w, ok := widths[line]; ok {
			return w
		}
		widths[line] = utf8.RuneCount(doc.line(line-1)) + 1
		return widths[line]
	}
	for _, p := range r.Problems() {
		if p.Message == "" || p.Path != r.Path {
			t.Fatalf("problem without message or path: %+v", p)
		}
		if p.Line == 0 && p.Column == 0 {
			continue
		}
		if p.Line < 1 || p.Line > max(doc.lineCount(), 1) || p.Column < 1 || doc.lineCount() > 0 && p.Column > width(p.Line) {
			t.Fatalf("problem outside the file (%d lines): %+v", doc.lineCount(), p)
		}
	}
	for _, l := range r.Links {
		if l.Line < 1 || l.Line > doc.lineCount() || l.Column < 1 || l.Column > width(l.Line) {
			t.Fatalf("link outside the file (%d lines): %+v", doc.lineCount(), l)
		}
	}
}

func trimBOM(b []byte) []byte {
	if strings.HasPrefix(string(b[:min(3, len(b))]), "\uFEFF") {
		return b[3:]
	}
	return b
}

func FuzzRunbook(f *testing.F) {
	f.Add([]byte(realistic))
	f.Add([]byte(front + "[a](../b.md#c) ![i](i.png)\n\n[r]: <x y.md> \"t\"\n# H\n## H\n"))
	f.Add([]byte("---\r\nlast_reviewed: 2026-01-01\r\n...\r\n`[a](b)` <!-- [c](d) -->\r\n"))
	f.Add([]byte("\uFEFF---\nowner: [\n---\n```\n[a](b)\n"))
	f.Add([]byte("---\nlast_reviewd: \"2026-01-01\"\nowner: a@b.example\n---\n> ## Q\n    [x](y)\n- [z](w)\nT\n===\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, problems := Parse("dir/x.md", data)
		if r == nil {
			t.Fatal("Parse returned no runbook")
		}
		if len(problems) == 0 && r.LastReviewed.IsZero() {
			t.Fatal("a runbook without problems has no last_reviewed")
		}
		if len(data) <= MaxSize {
			checkPositions(t, data, r)
		}
		st := r.Status(date("2026-06-01"), strictyaml.Duration{Days: 90})
		if len(problems) > 0 && st.State != Invalid || st.State == Invalid && st.Reason == "" {
			t.Fatalf("status %+v with problems %v", st, problems)
		}
		repo := fstest.MapFS{"dir/x.md": {Data: data}, "dir/y.md": {Data: data}, "z.md": {Data: data}}
		broken, err := NewLinkChecker(repo, []string{"dir/x.md", "dir/y.md", "z.md"}).BrokenLinks(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range broken {
			if l.Reason == "" {
				t.Fatalf("broken link without a reason: %+v", l)
			}
		}
	})
}
