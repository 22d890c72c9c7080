package owners

import (
	"strings"
	"testing"
)

// Hostile files must give a clear problem, in bounded time and memory, and
// never a panic. (No timing assertions: benchmarks measure speed.)
func TestHostileInput(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i, prev := 'b', 'a'; i <= 'i'; i, prev = i+1, i {
		bomb.WriteString(string(i) + ": &" + string(i) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				bomb.WriteString(",")
			}
			bomb.WriteString("*" + string(prev))
		}
		bomb.WriteString("]\n")
	}
	tests := []struct {
		name, data, want string
	}{
		{"alias bomb", bomb.String(), "anchors (&a) are not allowed"},
		{"1 MB of nested brackets: refused by size", strings.Repeat("[", 1<<20), "more than the 262144"},
		{"200 KB of nested brackets: refused by depth", strings.Repeat("[", 200<<10), "YAML syntax: exceeded max depth"},
		{"10 MB file", "version: 1\n# " + strings.Repeat("x", 10<<20) + "\n", "more than the 262144 this file may have"},
		{"invalid UTF-8", "version: 1\nowner: \"\xff\xfe\"\n", "not valid UTF-8"},
		{"deep nesting within the parser's limits", "version: 1\ncontact: " + strings.Repeat("{a: ", 50) + "1" + strings.Repeat("}", 50) + "\n", "nested more than 20 levels"},
		{"binary garbage", "\x00\x01\x02\x03version", "YAML syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Parse("OWNERS.yaml", []byte(tt.data))
			if len(problems) == 0 {
				t.Fatal("no problem reported")
			}
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p.Message, tt.want)
			}
			if !found {
				t.Errorf("problems %v do not mention %q", problems, tt.want)
			}
		})
	}
}

func FuzzOwnersYAML(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte("version: 1\nowner: &o \"@a\"\napprovers: [*o]\n"))
	f.Add([]byte("version: 1\nreview: {last_reviewed: 2026-09-01, interval: 3w}\n"))
	f.Add([]byte("- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, problems := Parse("x/OWNERS.yaml", data)
		if file == nil {
			t.Fatal("Parse returned no file")
		}
		// YAML, like editors, also breaks lines at a lone "\r".
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 2
		for _, p := range problems {
			if p.Line < 0 || p.Column < 0 || p.Line > lines || p.Message == "" {
				t.Fatalf("problem out of range: %+v", p)
			}
		}
		tree := Build([]*File{file})
		if u := tree.UnitOf("x/y/z"); u == nil || u.Tier < 1 || u.Tier > 3 || u.ReviewInterval.Days <= 0 {
			t.Fatalf("unit not resolved: %+v", u)
		}
	})
}
