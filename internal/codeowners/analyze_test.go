package codeowners

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ownerbot/ownerbot/internal/datasettest"
)

func TestCover(t *testing.T) {
	rs := Parse([]byte(`* @all
/docs/ @docs
/docs/api/ @api
*.md
/never/ @x
/src/ @src
/src/gen/
`))
	files := []string{
		"README.md", // *.md un-owns
		"docs/a.txt",
		"docs/api/b.txt",
		"docs/api/c.md", // *.md un-owns, next to an owned file
		"main.go",
		"src/gen/y.go", // /src/gen/ un-owns the whole directory
		"src/gen/z.go",
		"src/x.go",
		"tools/t.md", // tools/ holds only unowned files
		"tools/u.md",
	}
	want := Coverage{
		Files: 10,
		Owned: 4,
		Unowned: []UnownedGroup{
			{"README.md", 1},
			{"docs/api/c.md", 1},
			{"src/gen/", 2},
			{"tools/", 2},
		},
		Rules: []RuleCoverage{
			{Matched: 10, Decided: 1, Overriders: []int{3, 1, 2}}, // at most three, first seen first
			{Matched: 3, Decided: 1, Overriders: []int{2, 3}},
			{Matched: 2, Decided: 1, Overriders: []int{3}},
			{Matched: 4, Decided: 4},
			{}, // matches nothing
			{Matched: 3, Decided: 1, Overriders: []int{6}},
			{Matched: 2, Decided: 2},
		},
	}
	got := rs.Cover(files)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Cover (-want +got):\n%s", diff)
	}
	if p := got.Percent(); p != 40 {
		t.Errorf("Percent() = %v, want 40", p)
	}
}

func TestCoverEdges(t *testing.T) {
	tests := []struct {
		name       string
		codeowners string
		files      []string
		want       Coverage
	}{
		{
			name:  "no rules: the whole tree is one group",
			files: []string{"a", "b/c", "b/d/e"},
			want:  Coverage{Files: 3, Unowned: []UnownedGroup{{"", 3}}, Rules: []RuleCoverage{}},
		},
		{
			name:       "no files",
			codeowners: "* @a\n",
			want:       Coverage{Rules: []RuleCoverage{{}}},
		},
		{
			name:       "everything owned",
			codeowners: "* @a\n",
			files:      []string{"a", "b/c"},
			want:       Coverage{Files: 2, Owned: 2, Rules: []RuleCoverage{{Matched: 2, Decided: 2}}},
		},
		{
			name:       "a deep directory climbs to the largest unowned one",
			codeowners: "/keep @a\n",
			files:      []string{"keep", "x/y/z/1", "x/y/z/2", "x/y/3"},
			want: Coverage{Files: 4, Owned: 1, Unowned: []UnownedGroup{{"x/", 3}},
				Rules: []RuleCoverage{{Matched: 1, Decided: 1}}},
		},
		{
			name:       "a file and a directory of the same name stay apart",
			codeowners: "/a/b @x\n",
			files:      []string{"a/b", "a/c", "b"},
			want: Coverage{Files: 3, Owned: 1, Unowned: []UnownedGroup{{"a/c", 1}, {"b", 1}},
				Rules: []RuleCoverage{{Matched: 1, Decided: 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse([]byte(tt.codeowners)).Cover(tt.files)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Cover (-want +got):\n%s", diff)
			}
		})
	}
	if p := (Coverage{}).Percent(); p != 100 {
		t.Errorf("Percent of nothing = %v, want 100", p)
	}
}

// TestCoverDatasets checks Cover against Match on real trees: the same
// owned count, every match counted, and groups that add up.
func TestCoverDatasets(t *testing.T) {
	for _, name := range datasettest.Names(t) {
		t.Run(name, func(t *testing.T) {
			ds := datasettest.Load(t, name)
			rs := Parse(ds.CODEOWNERS)
			cov, steps := rs.cover(ds.Files, MaxCoverWork)
			// Real files stay far from the budget that stops hostile ones.
			if cov.TooExpensive || steps > MaxCoverWork/50 {
				t.Errorf("covering %d files took %d steps (too expensive: %v), want at most %d",
					len(ds.Files), steps, cov.TooExpensive, MaxCoverWork/50)
			}
			// A repeated pattern matches the same files as its last copy.
			for i, j := range rs.Duplicates() {
				if cov.Rules[i].Matched != cov.Rules[j].Matched || cov.Rules[i].Decided != 0 {
					t.Errorf("line %d repeats line %d's pattern but covers %+v, not %+v",
						rs.Rules[i].Line, rs.Rules[j].Line, cov.Rules[i], cov.Rules[j])
				}
			}
			owned, decided := 0, map[int]int{}
			for _, f := range ds.Files {
				if r := rs.Match(f); r != nil {
					decided[r.Line]++
					if len(r.Owners) > 0 {
						owned++
					}
				}
			}
			if cov.Files != len(ds.Files) || cov.Owned != owned {
				t.Errorf("Cover says %d files, %d owned; Match says %d, %d", cov.Files, cov.Owned, len(ds.Files), owned)
			}
			grouped := 0
			for _, g := range cov.Unowned {
				grouped += g.Files
			}
			if grouped != cov.Files-cov.Owned {
				t.Errorf("unowned groups hold %d files, want %d", grouped, cov.Files-cov.Owned)
			}
			for i, rc := range cov.Rules {
				if rc.Decided != decided[rs.Rules[i].Line] {
					t.Errorf("rule line %d: Cover says it decides %d files, Match says %d", rs.Rules[i].Line, rc.Decided, decided[rs.Rules[i].Line])
				}
				if rc.Matched < rc.Decided || len(rc.Overriders) > 3 {
					t.Errorf("rule line %d: inconsistent %+v", rs.Rules[i].Line, rc)
				}
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	rs := Parse([]byte("/a @x\n/b @y\n/a @z\n/a\n/b/ @y\n*.go @q\n*.go @q\n"))
	want := map[int]int{0: 2, 2: 3, 5: 6}
	if diff := cmp.Diff(want, rs.Duplicates()); diff != "" {
		t.Errorf("Duplicates (-want +got):\n%s", diff)
	}
	if got := Parse([]byte("/a @x\n/b @x\n")).Duplicates(); len(got) != 0 {
		t.Errorf("Duplicates of distinct patterns = %v, want none", got)
	}
}

func TestLocate(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("* @a\n")}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{"none", fstest.MapFS{"README.md": file}, nil},
		{"all three in GitHub's order", fstest.MapFS{
			"docs/CODEOWNERS": file, "CODEOWNERS": file, ".github/CODEOWNERS": file,
		}, []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}},
		{"root before docs", fstest.MapFS{"docs/CODEOWNERS": file, "CODEOWNERS": file}, []string{"CODEOWNERS", "docs/CODEOWNERS"}},
		{"docs only", fstest.MapFS{"docs/CODEOWNERS": file}, []string{"docs/CODEOWNERS"}},
		{"a directory named CODEOWNERS is not a file", fstest.MapFS{
			".github/CODEOWNERS/x": file, "docs/CODEOWNERS": file,
		}, []string{"docs/CODEOWNERS"}},
		{"other names do not count", fstest.MapFS{
			"codeowners": file, ".github/CODEOWNERS.md": file, "src/CODEOWNERS": file,
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Locate(tt.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Locate (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}, Locations); diff != "" {
		t.Errorf("Locations (-want +got):\n%s", diff)
	}
}

// deniedFS fails to stat one path, as a directory without permission would.
type deniedFS struct {
	fstest.MapFS
	denied string
}

func (d deniedFS) Stat(name string) (fs.FileInfo, error) {
	if name == d.denied {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrPermission}
	}
	return d.MapFS.Stat(name)
}

func TestLocateError(t *testing.T) {
	fsys := deniedFS{fstest.MapFS{".github/CODEOWNERS": &fstest.MapFile{}}, "CODEOWNERS"}
	got, err := Locate(fsys)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Locate error = %v, want a permission error", err)
	}
	// What was found before the failure is still returned.
	if !slices.Equal(got, []string{".github/CODEOWNERS"}) {
		t.Errorf("Locate = %v, want [.github/CODEOWNERS]", got)
	}
}
