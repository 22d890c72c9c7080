package strictyaml

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// read decodes a small OWNERS-like mapping the way ownerbot's files are
// read, and returns what it kept.
func read(d *Decoder, root *yaml.Node) map[string]any {
	got := map[string]any{}
	d.Fields(root, "the file", map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) {
			if s, ok := d.NonEmpty(v, "name"); ok {
				got["name"] = s
			}
		},
		"tier": func(v *yaml.Node) {
			if n, ok := d.Int(v, "tier"); ok {
				got["tier"] = n
			}
		},
		"list": func(v *yaml.Node) {
			if s, ok := d.Strings(v, "list"); ok || len(s) > 0 {
				got["list"] = s
			}
		},
		"nested": func(v *yaml.Node) {
			d.Fields(v, "nested", map[string]func(*yaml.Node){
				"a": func(v *yaml.Node) {
					if s, ok := d.String(v, "nested.a"); ok {
						got["nested.a"] = s
					}
				},
			})
		},
		"items": func(v *yaml.Node) {
			items := []string{}
			d.Each(v, "items", func(item *yaml.Node) {
				if s, ok := d.String(item, "an item"); ok {
					items = append(items, s)
				}
			})
			got["items"] = items
		},
	})
	return got
}

// An anchor, alias, merge key, tag or nesting too deep is one problem at its
// own position; that node reads as having no value and everything else in
// the document is still read, mistakes and correct fields alike.
func TestRefusedNodesKeepTheRest(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // problems, line:col: message
		kept map[string]any
	}{
		{"an anchor on a value",
			"name: &n x\ntier: 2\n",
			[]string{"1:7: anchors (&n) are not allowed; write the value out"},
			map[string]any{"tier": 2}},
		{"an alias, with its anchor, and another mistake",
			"name: &n x\ntier: *n\nlist: [a, 7]\n",
			[]string{"1:7: anchors (&n) are not allowed; write the value out", "2:7: aliases (*n) are not allowed; write the value out",
				"3:11: each entry of list must be text, not a number"},
			map[string]any{"list": []string{"a"}}},
		{"an alias in a list: the other entries stay",
			"name: &n x\nlist: [a, *n, b]\n",
			[]string{"1:7: anchors (&n) are not allowed; write the value out", "2:11: aliases (*n) are not allowed; write the value out"},
			map[string]any{"list": []string{"a", "b"}}},
		{"an anchored key drops its pair without a knock-on",
			"&k name: x\ntier: 1\n",
			[]string{"1:1: anchors (&k) are not allowed; write the value out"},
			map[string]any{"tier": 1}},
		{"an alias as a key",
			"name: &k tier\n*k : 3\nlist: [a]\n",
			[]string{"1:7: anchors (&k) are not allowed; write the value out", "2:1: aliases (*k) are not allowed; write the value out"},
			map[string]any{"list": []string{"a"}}},
		{"a merge key is one problem, at the key",
			"nested: &base {a: x}\ncombined:\n  <<: *base\nname: y\n",
			[]string{"1:9: anchors (&base) are not allowed; write the value out", "2:1: unknown key \"combined\" in the file (known keys: items, list, name, nested, tier)",
				"3:3: merge keys (<<) are not allowed; write the keys out"},
			map[string]any{"name": "y"}},
		{"an explicit tag",
			"name: !!str x\ntier: 1\n",
			[]string{"1:7: explicit tags (!!str) are not allowed"},
			map[string]any{"tier": 1}},
		{"a refused mapping reads as empty, without `must be a mapping`",
			"nested: &m {a: x}\nname: y\n",
			[]string{"1:9: anchors (&m) are not allowed; write the value out"},
			map[string]any{"name": "y"}},
		{"Each skips a refused item and reads the others",
			"name: &n x\nitems: [a, *n, c]\n",
			[]string{"1:7: anchors (&n) are not allowed; write the value out", "2:12: aliases (*n) are not allowed; write the value out"},
			map[string]any{"items": []string{"a", "c"}}},
		{"a refusal under an unknown key is still reported",
			"unknown: {deep: &x 1}\nname: y\n",
			[]string{"1:1: unknown key \"unknown\" in the file (known keys: items, list, name, nested, tier)",
				"1:17: anchors (&x) are not allowed; write the value out"},
			map[string]any{"name": "y"}},
		{"the alias bomb: nothing expands, every anchor is reported",
			"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nname: ok\n",
			[]string{
				"1:1: unknown key \"a\" in the file (known keys: items, list, name, nested, tier)",
				"2:1: unknown key \"b\" in the file (known keys: items, list, name, nested, tier)",
				"3:1: unknown key \"c\" in the file (known keys: items, list, name, nested, tier)",
				"1:4: anchors (&a) are not allowed; write the value out",
				"2:4: anchors (&b) are not allowed; write the value out",
				"3:4: anchors (&c) are not allowed; write the value out"},
			map[string]any{"name": "ok"}},
		{"nesting too deep: the deepest allowed mapping reads as empty",
			"nested: " + strings.Repeat("{a: ", 21) + "x" + strings.Repeat("}", 21) + "\nname: y\n",
			[]string{"1:13: nested.a must be text, not a mapping", fmt.Sprintf("1:%d: nested more than 20 levels deep", 9+19*4+1)},
			map[string]any{"name": "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			root := d.Parse([]byte(tt.yaml), 1<<10)
			if root == nil {
				t.Fatalf("Parse returned nil: %v", d.Problems)
			}
			kept := read(&d, root)
			if diff := cmp.Diff(tt.want, strs(d.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.kept, kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
		})
	}
}

func strs(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// A caller that counts problems while it reads one entry (exceptions do, to
// tell valid entries from invalid ones) sees the refusals inside that entry.
func TestRefusalLandsWhileItsEntryIsRead(t *testing.T) {
	var d Decoder
	root := d.Parse([]byte("- {name: ok}\n- {name: ok, other: &x 1}\n- {name: *x}\n- {name: fine}\n"), 1<<10)
	if len(d.Problems) != 0 {
		t.Fatalf("problems before reading: %v", d.Problems)
	}
	var valid []bool
	d.Each(root, "entries", func(item *yaml.Node) {
		before := len(d.Problems)
		d.SharedFields(item, "an entry", map[string]func(*yaml.Node){
			"name": func(v *yaml.Node) { d.NonEmpty(v, "name") },
		})
		valid = append(valid, len(d.Problems) == before)
	})
	if diff := cmp.Diff([]bool{true, false, false, true}, valid); diff != "" {
		t.Errorf("valid entries (-want +got):\n%s", diff)
	}
	want := []string{"2:21: anchors (&x) are not allowed; write the value out", "3:10: aliases (*x) are not allowed; write the value out"}
	if diff := cmp.Diff(want, strs(d.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// Reading a refused node twice, or reporting about it, records its problem
// once and nothing else.
func TestRefusedNodeHasOneProblem(t *testing.T) {
	var d Decoder
	root := d.Parse([]byte("a: &x 1\n"), 1<<10)
	v := root.Content[1]
	if !d.Refused(v) {
		t.Fatal("the anchored value is not refused")
	}
	d.String(v, "a")
	d.Int(v, "a")
	d.Fields(v, "a", nil)
	d.Errorf(v, "a caller's knock-on")
	want := []string{"1:4: anchors (&x) are not allowed; write the value out"}
	if diff := cmp.Diff(want, strs(d.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// A refused top-level node leaves nothing to read.
func TestParseRefusedRoot(t *testing.T) {
	var d Decoder
	if root := d.Parse([]byte("&r {a: 1}\n"), 1<<10); root != nil {
		t.Errorf("root = %v, want nil", root)
	}
	want := []string{"1:1: anchors (&r) are not allowed; write the value out"}
	if diff := cmp.Diff(want, strs(d.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// Pick reads the keys it knows and ignores the rest without guessing at
// typos; a repeated known key is still a problem.
func TestPick(t *testing.T) {
	var d Decoder
	root := d.Parse([]byte("memberOf: [x]\nmembers: [a]\nmembers: [b]\nfoo: &y 1\n"), 1<<10)
	var got []string
	d.Pick(root, "spec", map[string]func(*yaml.Node){
		"members": func(v *yaml.Node) { s, _ := d.Strings(v, "members"); got = append(got, s...) },
	})
	if diff := cmp.Diff([]string{"a"}, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	want := []string{`3:1: key "members" appears twice in spec`, "4:6: anchors (&y) are not allowed; write the value out"}
	if diff := cmp.Diff(want, strs(d.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// MaxDepth raises the nesting bound for files that need more.
func TestMaxDepth(t *testing.T) {
	doc := "a: " + strings.Repeat("[", 30) + strings.Repeat("]", 30) + "\n"
	d := Decoder{MaxDepth: 40}
	if d.Parse([]byte(doc), 1<<10); len(d.Problems) != 0 {
		t.Errorf("problems with MaxDepth 40: %v", d.Problems)
	}
	var strict Decoder
	root := strict.Parse([]byte(doc), 1<<10)
	strict.flush(root)
	want := []string{"1:24: nested more than 20 levels deep"}
	if diff := cmp.Diff(want, strs(strict.Problems)); diff != "" {
		t.Errorf("problems with the default depth (-want +got):\n%s", diff)
	}
}

func TestParseAll(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		docs     []string // each document's top-level node, as line:col kind
		problems []string
	}{
		{"one document", "a: 1\n", []string{"1:1 map"}, nil},
		{"three documents, positions in the whole file",
			"a: 1\n---\nb: 2\n--- # comment\n\nc: [x]\n", []string{"1:1 map", "3:1 map", "6:1 map"}, nil},
		{"empty documents are skipped", "---\n---\n# only a comment\n---\na: 1\n---\n", []string{"5:1 map"}, nil},
		{"an explicit null is a document", "--- ~\n", []string{"1:5 scalar"}, nil},
		{"a leading --- and a trailing ...", "---\na: 1\n...\n---\nb: 1\n", []string{"2:1 map", "5:1 map"}, nil},
		{"a syntax error loses only its document",
			"a: 1\n---\nb: [1, 2\n---\nc: 3\n", []string{"1:1 map", "5:1 map"},
			// yaml.v3 gives the line where the list's context starts, here
			// the document's first.
			[]string{"2:1: YAML syntax: did not find expected ',' or ']'"}},
		{"a syntax error in the first document",
			"a: : :\n---\nc: 3\n", []string{"3:1 map"},
			[]string{"1:1: YAML syntax: mapping values are not allowed in this context"}},
		{"an anchor in the second document, at its place in the file",
			"a: 1\n---\nb: &x 2\nc: *x\n", []string{"1:1 map", "3:1 map"},
			[]string{"3:4: anchors (&x) are not allowed; write the value out", "4:4: aliases (*x) are not allowed; write the value out"}},
		{"a refused document is left out", "a: 1\n---\n&r {b: 1}\n", []string{"1:1 map"},
			[]string{"3:1: anchors (&r) are not allowed; write the value out"}},
		{"--- inside a line is not a separator", "a: \"x --- y\"\nb: |\n  ---\n", []string{"1:1 map"}, nil},
		{"a block scalar document", "--- |\n  text\n---\na: 1\n", []string{"1:5 scalar", "4:1 map"}, nil},
		{"a directive goes with the document after it", "a: 1\n...\n%YAML 1.1\n---\nb: 2\n", []string{"1:1 map", "5:1 map"}, nil},
		{"---word is not a separator", "a: 1\n---x: 2\n", []string{"1:1 map"}, nil},
		{"CRLF line ends", "a: 1\r\n---\r\nb: 2\r\n", []string{"1:1 map", "3:1 map"}, nil},
		{"not UTF-8", "a: 1\n---\nb: \xff\n", nil, []string{"3:1: the file is not valid UTF-8"}},
		{"too big", strings.Repeat("#", 2000), nil, []string{"the file is 2000 bytes, more than the 1024 this file may have"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			roots := d.ParseAll([]byte(tt.yaml), 1<<10)
			var docs []string
			for _, r := range roots {
				docs = append(docs, fmt.Sprintf("%d:%d %s", r.Line, r.Column, kindName(r)))
			}
			if diff := cmp.Diff(tt.docs, docs); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
			for _, r := range roots {
				d.flush(r) // as reading the document would
			}
			if diff := cmp.Diff(tt.problems, strs(d.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
}

// Past MaxDocuments documents, the rest of the file is one problem.
func TestParseAllBoundsDocuments(t *testing.T) {
	var b bytes.Buffer
	for i := range MaxDocuments + 5 {
		fmt.Fprintf(&b, "---\na: %d\n", i)
	}
	var d Decoder
	roots := d.ParseAll(b.Bytes(), b.Len())
	if len(roots) != MaxDocuments {
		t.Errorf("%d documents, want %d", len(roots), MaxDocuments)
	}
	want := []string{fmt.Sprintf("%d:1: the file has more than %d YAML documents; the rest are not read", 2*MaxDocuments+1, MaxDocuments)}
	if diff := cmp.Diff(want, strs(d.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// ParseAll never panics, and every problem and node it returns lies within
// the file.
func FuzzParseAll(f *testing.F) {
	for _, s := range []string{"a: 1\n---\nb: [1\n---\nc: &x 3\nd: *x\n", "%YAML 1.1\n---\n- x\n...\n", "--- |\n  x\n---\n<<: *a\n", "---\n---\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		roots := d.ParseAll(data, 1<<16)
		// YAML 1.1 also breaks lines at CR, NEL, LS and PS.
		lines := 1
		for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(data, []byte(brk))
		}
		for _, p := range d.Problems {
			if p.Line < 0 || p.Line > lines+1 {
				t.Errorf("problem %v outside the file's %d lines", p, lines)
			}
		}
		for _, r := range roots {
			if r.Line < 1 || r.Line > lines {
				t.Errorf("document at line %d outside the file's %d lines", r.Line, lines)
			}
			d.flush(r)
		}
	})
}
