package prow

import (
	"bytes"
	"testing"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// yamlLines counts the lines of data the way YAML does, which positions
// follow: a line ends at \n, \r\n, a lone \r, U+0085, U+2028 or U+2029.
func yamlLines(data []byte) int {
	lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n"))
	for _, sep := range []string{"\u0085", "\u2028", "\u2029"} {
		lines += bytes.Count(data, []byte(sep))
	}
	return lines
}

// checkPositions fails unless every problem is in the file at path and at a
// line of data (line 0 only for a file too large to read).
func checkPositions(t *testing.T, path string, data []byte, problems []strictyaml.FileProblem) {
	t.Helper()
	lines := yamlLines(data)
	for _, p := range problems {
		switch {
		case p.Path != path:
			t.Errorf("problem %v names %q, want %q", p, p.Path, path)
		case p.Line == 0 && (p.Column != 0 || len(data) <= MaxSize):
			t.Errorf("problem %v has no position", p)
		case p.Line != 0 && (p.Line > lines || p.Column < 1):
			t.Errorf("problem %v is outside the file's %d lines", p, lines)
		}
	}
}

func checkNames(t *testing.T, data []byte, names []Name) {
	t.Helper()
	lines := yamlLines(data)
	for _, n := range names {
		if n.Line < 1 || n.Line > lines || n.Column < 1 || n.Value == "" {
			t.Errorf("name %+v is not at a position of the file", n)
		}
	}
}

func FuzzOwners(f *testing.F) {
	f.Add([]byte("approvers:\n- alice\nreviewers: [bob]\noptions: {no_parent_owners: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "a/OWNERS"
		o, problems := ParseOwners(path, data)
		checkPositions(t, path, data, problems)
		checkPositions(t, path, data, (*Aliases)(nil).Check(o))
		all := []Roles{o.Roles, o.Dirwide(), o.For("a/b.go")}
		for _, fl := range o.Filters {
			if !fl.Dirwide() && fl.re == nil {
				t.Errorf("filter %q kept without its compiled pattern", fl.Pattern)
			}
			for _, rel := range []string{"", "b.go", "docs/x/README.md", fl.Pattern, string(data)} {
				fl.Matches(rel)
			}
			all = append(all, fl.Roles)
		}
		for _, r := range all {
			for _, list := range [][]Name{r.Approvers, r.Reviewers, r.RequiredReviewers, r.EmeritusApprovers, r.EmeritusReviewers} {
				checkNames(t, data, list)
			}
		}
	})
}

func FuzzAliases(f *testing.F) {
	f.Add([]byte("aliases:\n  leads: [alice, bob]\n  empty: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "OWNERS_ALIASES"
		a, problems := ParseAliases(path, data)
		checkPositions(t, path, data, problems)
		for _, al := range a.List {
			checkNames(t, data, []Name{al.Name})
			checkNames(t, data, al.Members)
			if !a.IsAlias(al.Name.Value) {
				t.Errorf("alias %q is not found by its own name", al.Name.Value)
			}
			// Members are logins, so expanding the alias gives them back.
			if got := a.Expand([]Name{al.Name}); len(got) != len(al.Members) {
				t.Errorf("alias %q expands to %v, want its members %v", al.Name.Value, got, al.Members)
			}
			for _, m := range al.Members {
				if !ValidLogin(m.Value) {
					t.Errorf("alias %q keeps %q, not a login", al.Name.Value, m.Value)
				}
			}
		}
	})
}
