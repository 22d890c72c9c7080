package gfm

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pay/api/main.go", "pay/api/main.go"},
		{"naïve/日本.md", "naïve/日本.md"},
		{`back\slash`, `back\slash`},
		{"a\x1b[31mred", `a\x1b[31mred`},
		{"bell\a nul\x00 del\x7f", `bell\x07 nul\x00 del\x7f`},
		{"line\nbreak\r\ttab", `line\nbreak\r\ttab`},
		{"c1\u009b2J", `c1\u009b2J`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"sep\u2028para\u2029", `sep\u2028para\u2029`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"tag\U000E0041", `tag\U000e0041`},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want, cell string }{
		{"pay/api/main.go", "`pay/api/main.go`", "`pay/api/main.go`"},
		{"a`b", "``a`b``", "``a`b``"},
		{"a``b`", "``` a``b` ```", "``` a``b` ```"},
		{"`x", "`` `x ``", "`` `x ``"},
		{" x ", "`  x  `", "`  x  `"},
		{" x", "` x`", "` x`"},
		{"   ", "`   `", "`   `"},
		{"", "` `", "` `"},
		{"x\n# heading", "`x\\n# heading`", "`x\\n# heading`"},
		{"a|b", "`a|b`", "`a\\|b`"},
		{`a\|b`, "`a\\|b`", "`a\\x5c\\|b`"},
		{"<!-- ownerbot:merged -->", "`<\\x21-- ownerbot:merged --\\x3e`", "`<\\x21-- ownerbot:merged --\\x3e`"},
		{"x--!>y", "`x--!\\x3ey`", "`x--!\\x3ey`"},
		{"@org/everyone", "`@org/everyone`", "`@org/everyone`"},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := CellCode(tt.in); got != tt.cell {
			t.Errorf("CellCode(%q) = %q, want %q", tt.in, got, tt.cell)
		}
	}
}

func TestText(t *testing.T) {
	q := NewQuoter("@acme/pay", "@Alice", "@acme/data_eng")
	tests := []struct{ in, want string }{
		{"pattern `/gone/` matches no file", "pattern `/gone/` matches no file"},
		{`Invalid owner: "Lok" is not a valid owner`, `Invalid owner: "Lok" is not a valid owner`},
		{"the unit's owner @acme/pay is not an owner", "the unit's owner @acme/pay is not an owner"},
		{"ask @alice.", "ask @alice."},
		{"ask @acme/data_eng, then", `ask @acme/data\_eng, then`},
		{"@victim-user and @org/everyone", "`@victim-user` and `@org/everyone`"},
		{"@acme/pay-x", "`@acme/pay-x`"},
		{"@acme/pay.x", "`@acme/pay`.x"},
		{"mail pay@acme.example", `mail pay\@acme.example`},
		{"a_b* [x](y) <b> &amp; |c| ~~d~~ $x$", `a\_b\* \[x\](y) &lt;b&gt; &amp;amp; \|c\| &#126;&#126;d&#126;&#126; \$x\$`},
		{"<!-- ownerbot:pull-request -->", "&lt;!-- ownerbot:pull-request --&gt;"},
		{"see http://evil.example and www.evil.example", `see http\://evil.example and www\.evil.example`},
		{"x\n# heading\n\n- item", `x # heading - item`},
		{"# heading", `\# heading`},
		{"  - item", `\- item`},
		{"12. item", `12\. item`},
		{"3) item", `3\) item`},
		{"+ item", `\+ item`},
		{"=== under", `\=== under`},
		{"unpaired ` tick", "unpaired \\` tick"},
		{"``double `tick` span``", "``double `tick` span``"},
		{"esc\x1b[2J bell\a", `esc\\x1b\[2J bell\\x07`},
		{`trailing\`, `trailing\\`},
		{"path `a\nb` here", "path `a b` here"},
	}
	for _, tt := range tests {
		if got := q.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	if got := q.Withheld(); got != nil {
		t.Errorf("prose records withheld owners: %v", got)
	}
}

func TestOwner(t *testing.T) {
	q := NewQuoter("@acme/pay", "@bob")
	tests := []struct{ in, want string }{
		{"@acme/pay", "@acme/pay"},
		{"@ACME/Pay", "@ACME/Pay"},
		{"@bob", "@bob"},
		{"@eve", "`@eve`"},
		{"@org/everyone", "`@org/everyone`"},
		{"pay@acme.example", "`pay@acme.example`"},
		{"Lok", "`Lok`"},
		{"@bob\n# x", "`@bob\\n# x`"},
	}
	for _, tt := range tests {
		if got := q.Owner(tt.in); got != tt.want {
			t.Errorf("Owner(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if diff := cmp.Diff([]string{"@eve", "@org/everyone"}, q.Withheld()); diff != "" {
		t.Errorf("withheld (-want +got):\n%s", diff)
	}
	var zero Quoter
	if got := zero.Owner("@bob"); got != "`@bob`" {
		t.Errorf("the zero Quoter mentions: %q", got)
	}
	if got := zero.Withheld(); got != nil {
		t.Errorf("the zero Quoter records %v", got)
	}
	if got := q.InCell().Owner("@x|y"); got != "`@x\\|y`" {
		t.Errorf("in a cell: %q", got)
	}
	if got := q.Login("dana"); got != "`@dana`" {
		t.Errorf("Login: %q", got)
	}
}

func TestDocRender(t *testing.T) {
	item := func(name string) string { return "- item " + name + " with some words in it\n" }
	doc := func() *Doc {
		d := &Doc{}
		d.Keep("<!-- marker -->\n")
		d.Write("# head\n\n")
		d.List([]string{item("a1"), item("a2"), item("a3")}, 3, func(n int) string { return "- " + strconv.Itoa(n) + " more a\n" })
		d.Write("\n")
		d.List([]string{item("b1"), item("b2")}, 2, func(n int) string { return "- " + strconv.Itoa(n) + " more b\n" })
		d.Write("tail\n")
		return d
	}
	full := "<!-- marker -->\n# head\n\n" + item("a1") + item("a2") + item("a3") + "\n" + item("b1") + item("b2") + "tail\n"
	if got := doc().Len(); got != len(full) {
		t.Fatalf("Len = %d, want %d", got, len(full))
	}
	tests := []struct {
		limit   int
		want    string
		omitted int
	}{
		{len(full), full, 0},
		{len(full) - 1, "<!-- marker -->\n# head\n\n" + item("a1") + item("a2") + item("a3") + "\n" + item("b1") + "- 1 more b\n" + "tail\n", 1},
		{len(full) - len(item("b1")) - 1, "<!-- marker -->\n# head\n\n" + item("a1") + item("a2") + item("a3") + "\n- 2 more b\n" + "tail\n", 2},
		{len(full) - 2*len(item("b1")), "<!-- marker -->\n# head\n\n" + item("a1") + item("a2") + "- 1 more a\n\n- 2 more b\n" + "tail\n", 3},
		{52, "<!-- marker -->\n# head\n\n- 3 more a\n\n- 2 more b\ntail\n", 5},
	}
	for _, tt := range tests {
		got, omitted := doc().Render(tt.limit)
		if len(got) > tt.limit {
			t.Errorf("limit %d: %d bytes", tt.limit, len(got))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tt.limit, diff)
		}
		if omitted != tt.omitted {
			t.Errorf("limit %d: omitted %d, want %d", tt.limit, omitted, tt.omitted)
		}
	}
	// A list the caller shows only part of says how many more there are,
	// and counts them with any it has to leave out.
	part := &Doc{}
	part.List([]string{item("a1"), item("a2")}, 5, func(n int) string { return "- " + strconv.Itoa(n) + " more a\n" })
	if got, _ := part.Render(1000); got != item("a1")+item("a2")+"- 3 more a\n" {
		t.Errorf("part of a list:\n%s", got)
	}
	if got, omitted := part.Render(len(item("a1")) + 11); got != item("a1")+"- 4 more a\n" || omitted != 1 {
		t.Errorf("part of a list, cut (omitted %d):\n%s", omitted, got)
	}

	// Even the fixed text does not fit: it is cut at a line's end, and the
	// marker survives.
	long := &Doc{}
	long.Write("# head\n\n" + strings.Repeat("a line of fixed text\n", 10))
	long.List([]string{item("a1")}, 1, func(n int) string { return "- " + strconv.Itoa(n) + " more a\n" })
	long.Keep("<!-- marker -->")
	limit := 8 + 3*21 + 10 + 16 + len(CutNote)
	got, omitted := long.Render(limit)
	want := "# head\n\n" + strings.Repeat("a line of fixed text\n", 3) + CutNote + "<!-- marker -->"
	if diff := cmp.Diff(want, got); diff != "" || omitted != 1 {
		t.Errorf("fixed text too long: omitted %d (-want +got):\n%s", omitted, diff)
	}
	for limit := 16 + len(CutNote) + 1; limit <= len(full)+1; limit++ {
		got, _ := doc().Render(limit)
		if len(got) > limit || !strings.Contains(got, "<!-- marker -->\n") {
			t.Errorf("limit %d: %d bytes, marker kept %v:\n%s", limit, len(got), strings.Contains(got, "<!-- marker -->\n"), got)
		}
	}
}
