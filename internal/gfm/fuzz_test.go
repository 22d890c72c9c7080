package gfm

import (
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/gfm/gfmtest"
)

// ownTags is the HTML the App writes itself.
var ownTags = []string{"<!-- ownerbot:test -->", "<sub>", "</sub>", "<br>"}

// page renders quoted values in every position the App's documents use:
// a heading, a task list, a list with continuation lines, a table, and a
// hidden marker, so a value can be tried against each.
func page(q Quoter, path, owner, message string) string {
	c := q.InCell()
	return "<!-- ownerbot:test -->\n### ownerbot: " + q.Text(message) + "\n\n" +
		q.Text(message) + "\n\n" +
		"- [ ] " + q.Text(message) + " (" + q.Code(path) + ")\n  owner " + q.Owner(owner) + " · rule `x`.\n" +
		"- ❌ **error** " + q.Code(path+":3") + ": " + q.Text(message) + "  \n  Fix: " + q.Text(message) + " <sub>`rule`</sub>\n\n" +
		"| paths | from | approvals |\n|---|---|---|\n" +
		"| " + c.Code(path) + " | " + c.Owner(owner) + " | ✅ " + c.Text(message) + "<br>⏳ " + c.Owner(owner) + " |\n\n" +
		"Owners: " + q.Owner(owner) + " " + q.Owner(owner) + "\n"
}

// FuzzQuote checks that no path, owner or message, quoted anywhere in a
// document, can change what the document is: its shape (headings, lists,
// tables, links, emphasis) is the one it has with harmless values; a code
// span holds the whole value and nothing else; nobody outside the
// mentionable owner is mentioned; and there is no HTML but the App's own.
func FuzzQuote(f *testing.F) {
	for _, seed := range [][4]string{
		{"pay/api/main.go", "@acme/pay", "pattern `/gone/` matches no file", "@acme/pay"},
		{"a`b\n# heading", "@victim-user", "x\n# heading\n- item", "@acme/pay"},
		{"<!-- ownerbot:merged -->", "@org/everyone", "<!-- ownerbot:pull-request --> @org/everyone", "@org/every"},
		{"x|y\\|z", "@acme/data_eng", "ping @acme/data_eng. and @acme/data_eng-x", "@acme/data_eng"},
		{"``", "me@example.com", "see http://evil.example/@bob www.evil.example bob@evil.example", "@bob"},
		{"\x1b[31m\a\x00", "@bob", "&#64;bob &commat;bob \\@bob [@bob](x) <a>@bob</a>", ""},
		{" `x` ", "Lok", "1. x | y *z* _w_ ~~v~~ $m$ ![i](u)", "@lok"},
		{"\u202eevil", "@a/b.c", "@a/b.c @a/b_ @a-", "@a/b"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	// An empty message leaves its paragraph out, harmlessly.
	shapes := map[bool]string{}
	for _, empty := range []bool{false, true} {
		m := "m"
		if empty {
			m = ""
		}
		d, err := gfmtest.Parse(page(NewQuoter(), "p", "@o", m))
		if err != nil {
			f.Fatal(err)
		}
		shapes[empty] = d.Shape()
	}
	f.Fuzz(func(t *testing.T, path, owner, message, mentionable string) {
		var allowed []string
		if mentionable != "" {
			allowed = []string{strings.ToLower(mentionable)}
		}
		md := page(NewQuoter(mentionable), path, owner, message)
		for _, p := range gfmtest.Problems(md, allowed, ownTags...) {
			t.Errorf("%s in:\n%s", p, md)
		}
		doc, err := gfmtest.Parse(md)
		if err != nil {
			t.Fatal(err)
		}
		if got, wantShape := doc.Shape(), shapes[NewQuoter().Text(message) == ""]; got != wantShape {
			t.Errorf("the quoted values change the document's shape:\n%s\nwant:\n%s\nin:\n%s", got, wantShape, md)
		}
		for _, tt := range []struct {
			md, want string
		}{
			{"x " + Code(path) + " y\n", codeContent(path)},
			{"- " + Code(path) + "\n", codeContent(path)},
			{"| a |\n|---|\n| " + CellCode(path) + " |\n", strings.ReplaceAll(codeContent(path), `\|`, `\x5c|`)},
		} {
			d, err := gfmtest.Parse(tt.md)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				tt.want = " " // an empty value is shown as a space: "``" would not be a code span
			}
			if got := d.CodeSpans(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("code spans %q, want just %q, in:\n%s", got, tt.want, tt.md)
			}
		}
		if !needsEscape(path) && !strings.Contains(path, "<!") && !strings.Contains(path, "->") && !strings.Contains(path, "!>") && codeContent(path) != path {
			t.Errorf("a plain path is not shown as it is: %q", codeContent(path))
		}
	})
}
