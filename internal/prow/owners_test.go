package prow

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// ignoreCompiled leaves out the compiled pattern, which Matches covers.
var ignoreCompiled = cmpopts.IgnoreUnexported(Filter{})

// checkProblems compares problems with wants written "line:column: part of
// the message", in order.
func checkProblems(t *testing.T, got []strictyaml.FileProblem, want []string) {
	t.Helper()
	var g []string
	for _, p := range got {
		g = append(g, fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message))
	}
	ok := len(g) == len(want)
	for i := 0; ok && i < len(want); i++ {
		pos, part, _ := strings.Cut(want[i], ": ")
		ok = strings.HasPrefix(g[i], pos+": ") && strings.Contains(g[i], part)
	}
	if !ok {
		t.Errorf("problems:\n got %q\nwant %q", g, want)
	}
}

func n(value string, line, col int) Name { return Name{Value: value, Line: line, Column: col} }

func TestParseOwners(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		in       string
		want     *Owners
		problems []string
	}{
		{
			name: "every key of a simple file",
			path: "pkg/api/OWNERS",
			in: `# comment
approvers:
  - alice
  - Bob
reviewers:
  - carol
required_reviewers:
  - dave
labels:
  - sig/testing
emeritus_approvers:
  - erin
emeritus_reviewers:
  - frank
options:
  no_parent_owners: true
  auto_approve_unowned_subfolders: false
`,
			want: &Owners{
				Path: "pkg/api/OWNERS", Dir: "pkg/api",
				Roles: Roles{
					Approvers:         []Name{n("alice", 3, 5), n("Bob", 4, 5)},
					Reviewers:         []Name{n("carol", 6, 5)},
					RequiredReviewers: []Name{n("dave", 8, 5)},
					Labels:            []string{"sig/testing"},
					EmeritusApprovers: []Name{n("erin", 12, 5)},
					EmeritusReviewers: []Name{n("frank", 14, 5)},
				},
				NoParentOwners: true,
				Lines: map[string]int{
					"approvers": 3, "reviewers": 6, "required_reviewers": 8, "labels": 10,
					"emeritus_approvers": 12, "emeritus_reviewers": 14, "options": 16,
					"options.no_parent_owners": 16, "options.auto_approve_unowned_subfolders": 17,
				},
			},
		},
		{
			name: "an empty file names nobody and is no mistake",
			path: "OWNERS",
			in:   "# See the OWNERS docs\n",
			want: &Owners{Path: "OWNERS", Lines: map[string]int{}},
		},
		{
			name: "an empty document is an empty file",
			path: "OWNERS",
			in:   "---",
			want: &Owners{Path: "OWNERS", Lines: map[string]int{}},
		},
		{
			name: "empty values are empty lists, as in prow",
			path: "OWNERS",
			in:   "approvers:\nreviewers: []\noptions:\nfilters:\n",
			want: &Owners{Path: "OWNERS", Lines: map[string]int{"approvers": 1, "reviewers": 2, "options": 3, "filters": 4}},
		},
		{
			name: "a leading @ is allowed, as prow drops it",
			path: "OWNERS",
			in:   "approvers: ['@alice']\n",
			want: &Owners{Path: "OWNERS", Roles: Roles{Approvers: []Name{n("@alice", 1, 13)}}, Lines: map[string]int{"approvers": 1}},
		},
		{
			name: "wrong types are reported and the rest is kept",
			path: "OWNERS",
			in: `approvers: alice
reviewers:
  - 1234
  - bob
labels: [true]
options: [no_parent_owners]
`,
			want: &Owners{
				Path:  "OWNERS",
				Roles: Roles{Reviewers: []Name{n("bob", 4, 5)}},
				Lines: map[string]int{"approvers": 1, "reviewers": 3, "labels": 5, "options": 6},
			},
			problems: []string{
				"1:12: approvers must be a list",
				"3:5: each entry of reviewers must be text, not a number",
				"5:10: each entry of labels must be text, not true/false",
				"6:10: options must be a mapping",
			},
		},
		{
			name: "names that cannot be logins or aliases",
			path: "OWNERS",
			in:   "approvers:\n  - alice, bob\n  - carol dave\n  - '@'\n  - ok\n",
			want: &Owners{Path: "OWNERS", Roles: Roles{Approvers: []Name{n("ok", 5, 5)}}, Lines: map[string]int{"approvers": 2}},
			problems: []string{
				`2:5: "alice, bob" in approvers has a comma`,
				`3:5: "carol dave" in approvers has a space`,
				`4:5: "@" in approvers is empty`,
			},
		},
		{
			name: "repeated names compare the way prow compares them and count once, without a problem",
			path: "OWNERS",
			in:   "approvers:\n  - Alice\n  - bob\n  - alice\n  - '@BOB'\nlabels: [a, b, a]\n",
			want: &Owners{
				Path:  "OWNERS",
				Roles: Roles{Approvers: []Name{n("Alice", 2, 5), n("bob", 3, 5)}, Labels: []string{"a", "b"}},
				Lines: map[string]int{"approvers": 2, "labels": 6},
			},
		},
		{
			name: "keys of other tools are left alone; a near miss of a known key is not",
			path: "OWNERS",
			in:   "component: storage\naprovers: [alice]\nemeritus_maintainers: [bob]\noptions:\n  no_parent_owner: true\n",
			want: &Owners{Path: "OWNERS", Lines: map[string]int{"options": 5}},
			problems: []string{
				`2:1: unknown key "aprovers" in OWNERS (did you mean "approvers"?)`,
				`5:3: unknown key "no_parent_owner" in options (did you mean "no_parent_owners"?)`,
			},
		},
		{
			name:     "a key written twice keeps the first",
			path:     "OWNERS",
			in:       "approvers: [alice]\napprovers: [bob]\n",
			want:     &Owners{Path: "OWNERS", Roles: Roles{Approvers: []Name{n("alice", 1, 13)}}, Lines: map[string]int{"approvers": 1}},
			problems: []string{`2:1: key "approvers" appears twice in OWNERS`},
		},
		{
			name:     "options are booleans",
			path:     "OWNERS",
			in:       "options:\n  no_parent_owners: yes\n",
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{"options": 2, "options.no_parent_owners": 2}},
			problems: []string{`2:21: options.no_parent_owners must be true or false, not the text "yes"`},
		},
		{
			name:     "the file must be a mapping",
			path:     "OWNERS",
			in:       "- alice\n- bob\n",
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{}},
			problems: []string{"1:1: OWNERS must be a mapping of keys to values, not a list"},
		},
		{
			name:     "YAML syntax",
			path:     "OWNERS",
			in:       "approvers:\n  - alice\n - bob\n",
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{}},
			problems: []string{"2:1: YAML syntax: did not find expected key"},
		},
		{
			name:     "not UTF-8",
			path:     "OWNERS",
			in:       "approvers:\n  - al\xffice\n",
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{}},
			problems: []string{"2:1: not valid UTF-8"},
		},
		{
			name:     "too large",
			path:     "OWNERS",
			in:       "# " + strings.Repeat("x", MaxSize),
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{}},
			problems: []string{"0:0: more than the 262144"},
		},
		{
			name: "filters",
			path: "staging/OWNERS",
			in: `options:
  no_parent_owners: true
emeritus_approvers: [old]
filters:
  ".*":
    approvers: [alice]
    reviewers: [bob]
    emeritus_approvers: [older]
  "go\\.(mod|sum)$":
    approvers: [dep-approvers]
    required_reviewers: [carol]
    labels: [area/deps]
  "^docs/":
`,
			want: &Owners{
				Path: "staging/OWNERS", Dir: "staging",
				Roles:          Roles{EmeritusApprovers: []Name{n("old", 3, 22)}},
				NoParentOwners: true,
				Filters: []Filter{
					{Pattern: ".*", Line: 5, Column: 3, Roles: Roles{
						Approvers: []Name{n("alice", 6, 17)}, Reviewers: []Name{n("bob", 7, 17)},
						EmeritusApprovers: []Name{n("older", 8, 26)},
					}},
					{Pattern: `go\.(mod|sum)$`, Line: 9, Column: 3, Roles: Roles{
						Approvers: []Name{n("dep-approvers", 10, 17)}, RequiredReviewers: []Name{n("carol", 11, 26)},
						Labels: []string{"area/deps"},
					}},
					{Pattern: "^docs/", Line: 13, Column: 3},
				},
				Lines: map[string]int{"options": 2, "options.no_parent_owners": 2, "emeritus_approvers": 3, "filters": 5},
			},
		},
		{
			name: "filters next to top-level roles are ignored, as prow ignores them",
			path: "OWNERS",
			in: `labels: [re/all]
filters:
  "\\.go$":
    labels: [re/go]
`,
			want: &Owners{
				Path:  "OWNERS",
				Roles: Roles{Labels: []string{"re/all"}},
				Lines: map[string]int{"labels": 1, "filters": 3},
			},
			problems: []string{"3:3: prow ignores `filters` when labels is also set outside them"},
		},
		{
			name: "broken filters are dropped with a problem each, the others kept",
			path: "OWNERS",
			in: `filters:
  "(":
    approvers: [alice]
  "ok":
    approvers: [bob]
    options: {no_parent_owners: true}
    reviewrs: [carol]
  "ok":
    approvers: [dave]
  "` + strings.Repeat("a", MaxPatternSize+1) + `": {}
  ? [a, b]
  : {}
  "x": [alice]
`,
			want: &Owners{
				Path:    "OWNERS",
				Filters: []Filter{{Pattern: "ok", Line: 4, Column: 3, Roles: Roles{Approvers: []Name{n("bob", 5, 17)}}}, {Pattern: "x", Line: 13, Column: 3}},
				Lines:   map[string]int{"filters": 2},
			},
			problems: []string{
				`2:3: filter "(" is not a Go regular expression prow can use: error parsing regexp: missing closing )`,
				"6:14: prow ignores options inside a filter",
				`7:5: unknown key "reviewrs" in filter "ok" (did you mean "reviewers"?)`,
				`8:3: filter "ok" appears twice (first on line 4)`,
				"10:3: is 1001 bytes, more than the 1000 ownerbot reads in a pattern",
				"11:5: each key of filters must be a regular expression",
				`13:8: filter "x" must be a mapping`,
			},
		},
		{
			name:     "filters must be a mapping",
			path:     "OWNERS",
			in:       "filters: [.*]\n",
			want:     &Owners{Path: "OWNERS", Lines: map[string]int{"filters": 1}},
			problems: []string{"1:10: filters must map regular expressions"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := ParseOwners(tt.path, []byte(tt.in))
			if diff := cmp.Diff(tt.want, got, ignoreCompiled); diff != "" {
				t.Errorf("ParseOwners (-want +got):\n%s", diff)
			}
			checkProblems(t, problems, tt.problems)
			for _, p := range problems {
				if p.Path != tt.path {
					t.Errorf("problem %v: path %q, want %q", p, p.Path, tt.path)
				}
			}
		})
	}
}

func TestFilterMatches(t *testing.T) {
	parsed := func(pattern string) Filter {
		t.Helper()
		o, problems := ParseOwners("OWNERS", fmt.Appendf(nil, "filters:\n  %q: {}\n", pattern))
		if len(problems) > 0 || len(o.Filters) != 1 {
			t.Fatalf("pattern %q: %v", pattern, problems)
		}
		return o.Filters[0]
	}
	tests := []struct {
		filter Filter
		rel    string
		want   bool
	}{
		{parsed(".*"), "any/file.go", true},
		{parsed(".*"), "with\nnewline", true},
		{parsed(`\.go$`), "a/b.go", true},
		{parsed(`\.go$`), "b.go.txt", false},
		// prow matches anywhere in the path relative to the OWNERS directory
		{parsed(`labels\.yaml`), "labels.yaml", true},
		{parsed(`labels\.yaml`), "sub/labels.yaml", true},
		{parsed(`labels\.yaml`), "labels_example.yaml", false},
		{parsed("^sig-"), "sig-x.yaml", true},
		{parsed("^sig-"), "sub/sig-x.yaml", false},
		{parsed("(?i)readme"), "README.md", true},
		// built by hand rather than parsed: compiled on the spot
		{Filter{Pattern: `\.md$`}, "a.md", true},
		{Filter{Pattern: `\.md$`}, "a.go", false},
		{Filter{Pattern: "("}, "(", false},
		{Filter{Pattern: strings.Repeat("a", MaxPatternSize+1)}, strings.Repeat("a", MaxPatternSize+1), false},
		{Filter{}, "", true}, // the empty pattern matches everything, as in Go
	}
	for _, tt := range tests {
		if got := tt.filter.Matches(tt.rel); got != tt.want {
			t.Errorf("Filter{%q}.Matches(%q) = %v, want %v", tt.filter.Pattern, tt.rel, got, tt.want)
		}
	}
}

func TestOwnersRolesForFiles(t *testing.T) {
	o, problems := ParseOwners("svc/OWNERS", []byte(`filters:
  ".*":
    approvers: [alice, bob]
    labels: [area/svc]
  "\\.go$":
    approvers: [Bob, carol]
    reviewers: [dave]
  "^docs/":
    required_reviewers: [erin]
    labels: [area/svc, area/docs]
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	values := func(r Roles) map[string][]string {
		out := map[string][]string{}
		for what, list := range map[string][]Name{"approvers": r.Approvers, "reviewers": r.Reviewers, "required_reviewers": r.RequiredReviewers} {
			for _, n := range list {
				out[what] = append(out[what], n.Value)
			}
		}
		if r.Labels != nil {
			out["labels"] = r.Labels
		}
		return out
	}
	tests := []struct {
		file string
		want map[string][]string
	}{
		{"svc/main.txt", map[string][]string{"approvers": {"alice", "bob"}, "labels": {"area/svc"}}},
		// Bob repeats bob: the first spelling stays
		{"svc/main.go", map[string][]string{"approvers": {"alice", "bob", "carol"}, "reviewers": {"dave"}, "labels": {"area/svc"}}},
		{"svc/docs/x.go", map[string][]string{
			"approvers": {"alice", "bob", "carol"}, "reviewers": {"dave"}, "required_reviewers": {"erin"}, "labels": {"area/svc", "area/docs"},
		}},
		{"svc/sub/docs/x.md", map[string][]string{"approvers": {"alice", "bob"}, "labels": {"area/svc"}}},
		{"svcx/main.go", map[string][]string{}},
		{"main.go", map[string][]string{}},
		{"svc", map[string][]string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, values(o.For(tt.file))); diff != "" {
			t.Errorf("For(%q) (-want +got):\n%s", tt.file, diff)
		}
	}
	if diff := cmp.Diff(map[string][]string{"approvers": {"alice", "bob"}, "labels": {"area/svc"}}, values(o.Dirwide())); diff != "" {
		t.Errorf("Dirwide (-want +got):\n%s", diff)
	}
}

func TestOwnersRel(t *testing.T) {
	tests := []struct {
		dir, file, want string
		ok              bool
	}{
		{"", "a/b.go", "a/b.go", true},
		{"", "", "", false},
		{"a", "a/b.go", "b.go", true},
		{"a", "ab/c.go", "", false},
		{"a/b", "a/b/c/d.go", "c/d.go", true},
		{"a/b", "a/b/", "", false},
		{"a/b", "a/b", "", false},
	}
	for _, tt := range tests {
		o := &Owners{Dir: tt.dir}
		got, ok := o.Rel(tt.file)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Owners{Dir: %q}.Rel(%q) = %q, %v; want %q, %v", tt.dir, tt.file, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDirwideTopLevelAndDotStarFilter(t *testing.T) {
	// Top-level roles and a ".*" filter cannot both count (prow ignores the
	// filters then), but top-level emeritus lists and options can sit next
	// to filters: Dirwide joins what is there.
	o, problems := ParseOwners("OWNERS", []byte("emeritus_approvers: [old]\nfilters:\n  .*:\n    approvers: [alice]\n    emeritus_approvers: [Old, older]\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := o.Dirwide()
	want := Roles{
		Approvers:         []Name{n("alice", 4, 17)},
		EmeritusApprovers: []Name{n("old", 1, 22), n("older", 5, 31)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dirwide (-want +got):\n%s", diff)
	}
}

// TestPatternSteps checks that the estimate bounds the compiled program from
// above, so the limits hold for what regexp really builds.
func TestPatternSteps(t *testing.T) {
	for _, p := range []string{
		`a`, `abc`, `(config|plugins)\.yaml`, `go\.(mod|sum|work|work\.sum)$`, `^sig-contribex-`, `.*`,
		`[a-z]{1,999}`, `(a|b){3,}`, `(?i)readme\.md`, `((a{2}){3}){4}`, `x{0}`, `x{0,0}y`, `(a*)+$`,
		`\pL+\d?`, `(?:(?:a|bc|def){2,5}[^x]){3}`, `a{1000}`, `(?s).+`, `\b\B^$\A\z`,
	} {
		parsed, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(parsed.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		got, err := patternSteps(p)
		if err != nil {
			t.Fatal(err)
		}
		if got < len(prog.Inst) {
			t.Errorf("%q is %d steps, fewer than the %d instructions it compiles to", p, got, len(prog.Inst))
		}
	}
}

func TestFilterSizeLimits(t *testing.T) {
	big := strings.Repeat("[a-z]{1,999}", 3) // short, but thousands of steps
	o, problems := ParseOwners("OWNERS", []byte("filters:\n  \""+big+"\": {}\n  ok: {}\n"))
	if len(o.Filters) != 1 || o.Filters[0].Pattern != "ok" {
		t.Errorf("filters %+v, want only ok", o.Filters)
	}
	checkProblems(t, problems, []string{"2:3: is too large for ownerbot: its repetitions make it about 6006 steps, more than the 2000"})
	if (Filter{Pattern: big}).Matches("abc") {
		t.Errorf("a hand-built filter beyond the limit matched")
	}

	// Thirty patterns of about a thousand steps each: the file's budget
	// keeps the first ones, and each one after is a problem.
	var many strings.Builder
	many.WriteString("filters:\n")
	var want []string
	total, kept := 0, 0
	for i := range 30 {
		pattern := fmt.Sprintf("f%02d[a-z]{1,499}", i)
		size, _ := patternSteps(pattern)
		if size < 1000 || size > 1010 {
			t.Fatalf("%q is %d steps, want about 1000", pattern, size)
		}
		if total+size > maxFileSteps {
			want = append(want, fmt.Sprintf("%d:3: filter %q is one pattern too many for ownerbot", i+2, pattern))
		} else {
			total += size
			kept++
		}
		fmt.Fprintf(&many, "  %q: {}\n", pattern)
	}
	o, problems = ParseOwners("OWNERS", []byte(many.String()))
	if len(o.Filters) != kept || kept != 19 {
		t.Errorf("%d filters kept, want %d (19)", len(o.Filters), kept)
	}
	checkProblems(t, problems, want)
}

// The roles of a file of tens of thousands of names cost time in proportion
// to the names: prow's comparison through a set, not a scan per name.
func BenchmarkHostileDirwide(b *testing.B) {
	var body strings.Builder
	body.WriteString("approvers:\n")
	for i := range 20_000 {
		fmt.Fprintf(&body, "  - u%d\n", i)
	}
	o, problems := ParseOwners("OWNERS", []byte(body.String()))
	if len(problems) > 0 || len(o.Approvers) != 20_000 {
		b.Fatalf("%d approvers, problems %v", len(o.Approvers), problems[:min(3, len(problems))])
	}
	for b.Loop() {
		if got := len(o.Dirwide().Approvers) + len(o.For("a/b.go").Approvers); got != 40_000 {
			b.Fatalf("%d approvers", got)
		}
	}
}
