package backstage

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, kind, ns string
		want         string // the full reference, or the error
	}{
		{"payments", "group", "default", "group:default/payments"},
		{"user:jane", "group", "default", "user:default/jane"},
		{"Group:finance/payments", "", "", "group:finance/payments"},
		{"GROUP:Finance/Payments.Team_2", "", "", "group:Finance/Payments.Team_2"},
		{"ops/payments", "group", "default", "group:ops/payments"},
		{"payments", "group", "ops", "group:ops/payments"},
		{"a", "user", "default", "user:default/a"},
		{strings.Repeat("a", 63), "group", "default", "group:default/" + strings.Repeat("a", 63)},

		{"", "group", "default", "an entity reference is written [kind:][namespace/]name, not an empty text"},
		{"payments", "", "default", `entity reference "payments" names no kind; write it kind:name, such as group:payments`},
		{"payments", "group", "", `entity reference "payments" names no namespace; write it namespace/name, such as default/payments`},
		{"a:b:c", "group", "default", `entity reference "a:b:c" is not written [kind:][namespace/]name`},
		{"a/b/c", "group", "default", `entity reference "a/b/c" is not written [kind:][namespace/]name`},
		{"ns/kind:name", "group", "default", `entity reference "ns/kind:name": kind "ns/kind" is not a kind: a letter, then letters and digits, at most 63`},
		{"1group:x", "", "default", `entity reference "1group:x": kind "1group" is not a kind: a letter, then letters and digits, at most 63`},
		{":x", "group", "default", `entity reference ":x" names no kind; write it kind:name, such as group:x`},
		{"group:/x", "", "default", `entity reference "group:/x" names no namespace; write it namespace/name, such as default/x`},
		{"group:-ns/x", "", "", `entity reference "group:-ns/x": namespace "-ns" is not a namespace: 1 to 63 lower-case letters, digits and single '-' between them`},
		{"group:a--b/x", "", "", `entity reference "group:a--b/x": namespace "a--b" is not a namespace: 1 to 63 lower-case letters, digits and single '-' between them`},
		{"group:a_b/x", "", "", `entity reference "group:a_b/x": namespace "a_b" is not a namespace: 1 to 63 lower-case letters, digits and single '-' between them`},
		{"john@example.com", "group", "default", `entity reference "john@example.com": "john@example.com" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{"group:", "", "default", `entity reference "group:": "" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{"a b", "group", "default", `entity reference "a b": "a b" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{"-a", "group", "default", `entity reference "-a": "-a" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{"a.", "group", "default", `entity reference "a.": "a." is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{strings.Repeat("a", 64), "group", "default", `entity reference "` + strings.Repeat("a", 64) + `": "` + strings.Repeat("a", 64) + `" is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
		{strings.Repeat("é", 100), "group", "default", `entity reference "` + strings.Repeat("é", 40) + `"…: "` + strings.Repeat("é", 40) + `"… is not an entity name: 1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`},
	}
	for _, tt := range tests {
		r, err := ParseRef(tt.in, tt.kind, tt.ns)
		got := r.String()
		if err != nil {
			got = err.Error()
			if r != (Ref{}) {
				t.Errorf("ParseRef(%q) = %v with error %v", tt.in, r, err)
			}
		}
		if got != tt.want {
			t.Errorf("ParseRef(%q, %q, %q) = %s\nwant %s", tt.in, tt.kind, tt.ns, got, tt.want)
		}
		if err == nil {
			back, err := ParseRef(r.String(), "", "")
			if err != nil || back != r {
				t.Errorf("ParseRef(%q) = %v, %v; want %v", r.String(), back, err, r)
			}
		}
	}
}
