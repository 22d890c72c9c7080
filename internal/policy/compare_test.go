package policy

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// evaluate evaluates files for today and fails the test on error.
func evaluate(t *testing.T, files map[string]string) *Result {
	t.Helper()
	res, err := Evaluate(tree(files), Options{Now: today, Org: adopted()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// with returns a copy of files with changes applied; an empty body deletes.
func with(files map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(files)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

var baseRepo = map[string]string{
	"OWNERS.yaml":        rootOwners,
	".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\n/web/ @acme/web\n",
	"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\ntier: 3\napprovers: [\"@alice\", \"@bob\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
	"pay/api/main.go":    "package main",
	"pay/api/handler.go": "package main",
	"pay/batch/job.go":   "package batch",
	"web/index.html":     "<html>",
	"README.md":          "# acme",
}

func TestCompareRatchet(t *testing.T) {
	base := evaluate(t, baseRepo)
	tests := []struct {
		name      string
		changes   map[string]string
		wantNew   []brief
		wantFixed []brief
	}{
		{name: "no change", wantNew: nil},
		{
			name:    "a new bad CODEOWNERS line is new; lines moving below it are not",
			changes: map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\nbad[ @x\n/web/ @acme/web\n/nothing/ @acme/web\n"},
			wantNew: []brief{
				{"codeowners.syntax", ".github/CODEOWNERS", 3, 4, Error},
				{"codeowners.no_match", ".github/CODEOWNERS", 5, 1, Warning},
			},
		},
		{
			name:      "removing a unit's review date is a new problem",
			changes:   map[string]string{"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\ntier: 3\napprovers: [\"@alice\", \"@bob\"]\n"},
			wantNew:   []brief{{"owners.review_overdue", "pay/OWNERS.yaml", 1, 1, Warning}},
			wantFixed: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := evaluate(t, with(baseRepo, tt.changes))
			c := Compare(base, head)
			if diff := cmp.Diff(tt.wantNew, nilIfEmpty(briefs(c.New, ""))); diff != "" {
				t.Errorf("new (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFixed, nilIfEmpty(briefs(c.Fixed, ""))); diff != "" {
				t.Errorf("fixed (-want +got):\n%s", diff)
			}
			// The reverse change fixes exactly what this one introduced.
			back := Compare(head, base)
			if diff := cmp.Diff(briefs(c.New, ""), briefs(back.Fixed, "")); diff != "" {
				t.Errorf("reverse: fixed differs from new (-new +fixed):\n%s", diff)
			}
		})
	}
}

func nilIfEmpty(b []brief) []brief {
	if len(b) == 0 {
		return nil
	}
	return b
}

func TestCompareRatchetIgnoresNumbersAndCounts(t *testing.T) {
	// The same duplicate, moved two lines down, with its "line N" text
	// changed: not new.
	base := evaluate(t, with(baseRepo, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\n/web/ @acme/web\n/web/ @acme/web\n"}))
	head := evaluate(t, with(baseRepo, map[string]string{".github/CODEOWNERS": "# moved\n\n* @acme/all\n/pay/ @acme/pay\n/web/ @acme/web\n/web/ @acme/web\n"}))
	if c := Compare(base, head); len(c.New) != 0 || len(c.Fixed) != 0 {
		t.Errorf("moving lines: new %v, fixed %v; want none", c.New, c.Fixed)
	}
	// The same finding once more is one new finding.
	head = evaluate(t, with(baseRepo, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\n/web/ @acme/web\n/web/ @acme/web\n/web/ @acme/web\n"}))
	c := Compare(base, head)
	if got := briefs(c.New, "codeowners.duplicate"); len(got) != 1 {
		t.Errorf("a third duplicate: new duplicates %v, want one", got)
	}
}

func TestCompareWaivedFindings(t *testing.T) {
	exc := "version: 1\nexceptions:\n  - id: EXC-1\n    rule: owners.review_overdue\n    paths: [\"OWNERS.yaml\"]\n    reason: \"the team is being reorganised\"\n    expires: \"2026-12-20\"\n"
	stale := "version: 1\nowner: \"@acme/pay\"\ntier: 3\napprovers: [\"@alice\", \"@bob\"]\nreview: {last_reviewed: \"2024-01-01\"}\n"
	base := evaluate(t, with(baseRepo, map[string]string{"pay/OWNERS.yaml": stale, "pay/OWNERS_EXCEPTIONS.yaml": exc}))
	head := evaluate(t, with(baseRepo, map[string]string{"pay/OWNERS.yaml": stale}))
	c := Compare(base, head)
	if diff := cmp.Diff([]brief{{"owners.review_overdue", "pay/OWNERS.yaml", 5, 1, Warning}}, briefs(c.New, "")); diff != "" {
		t.Errorf("removing the exception: the finding it waived returns as new (-want +got):\n%s", diff)
	}
	if len(c.Exceptions) != 0 {
		t.Errorf("removing an entry asks for no approval, got %+v", c.Exceptions)
	}
	c = Compare(head, base)
	if len(c.New) != 0 {
		t.Errorf("adding the exception: new %v, want none", c.New)
	}
	if len(c.Exceptions) != 1 || c.Exceptions[0].Entry.ID != "EXC-1" || !c.Exceptions[0].Added {
		t.Fatalf("adding the exception: changes %+v, want EXC-1 added", c.Exceptions)
	}
	// The unit's effective approvers: its own, then those it inherits.
	if diff := cmp.Diff([]string{"@alice", "@bob", "@acme/all"}, c.Exceptions[0].Approvers); diff != "" {
		t.Errorf("approvers (-want +got):\n%s", diff)
	}
	// Changing only the reason is a change; rewriting the file the same way is not.
	changed := evaluate(t, with(baseRepo, map[string]string{"pay/OWNERS.yaml": stale,
		"pay/OWNERS_EXCEPTIONS.yaml": "# reformatted\n" + exc[:len(exc)-len("    expires: \"2026-12-20\"\n")] + "    expires: \"2026-12-21\"\n"}))
	if c := Compare(base, changed); len(c.Exceptions) != 1 || c.Exceptions[0].Added {
		t.Errorf("a later expiry: changes %+v, want one changed entry", c.Exceptions)
	}
	same := evaluate(t, with(baseRepo, map[string]string{"pay/OWNERS.yaml": stale, "pay/OWNERS_EXCEPTIONS.yaml": "# a comment\n" + exc}))
	if c := Compare(base, same); len(c.Exceptions) != 0 {
		t.Errorf("the same entry moved down a line: changes %+v, want none", c.Exceptions)
	}
}

func TestCompareTransfers(t *testing.T) {
	base := evaluate(t, baseRepo)
	tests := []struct {
		name    string
		changes map[string]string
		want    []Transfer
	}{
		{name: "no change"},
		{
			name:    "a whole directory to another team",
			changes: map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/web\n/web/ @acme/web\n"},
			want: []Transfer{{Via: ViaCODEOWNERS, Paths: []string{"pay/"}, Files: 4,
				From: []string{"@acme/pay"}, To: []string{"@acme/web"}, Parties: []string{"@acme/pay", "@acme/web"}}},
		},
		{
			name:    "part of a directory, and a co-owner added",
			changes: map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay\n/pay/batch/ @acme/data\n/web/ @acme/web @Carol\n"},
			want: []Transfer{
				{Via: ViaCODEOWNERS, Paths: []string{"pay/batch/"}, Files: 1,
					From: []string{"@acme/pay"}, To: []string{"@acme/data"}, Parties: []string{"@acme/pay", "@acme/data"}},
				{Via: ViaCODEOWNERS, Paths: []string{"web/"}, Files: 1,
					From: []string{"@acme/web"}, To: []string{"@acme/web", "@Carol"}, Parties: []string{"@Carol"}},
			},
		},
		{
			name:    "case does not make a transfer; new files are not transfers",
			changes: map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @ACME/Pay\n/web/ @acme/web\n/new/ @acme/new\n", "new/x.go": "package x"},
		},
		{
			name:    "a unit's owner changes in OWNERS.yaml",
			changes: map[string]string{"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/payments\"\ntier: 3\napprovers: [\"@alice\", \"@bob\"]\nreview: {last_reviewed: \"2026-11-01\"}\n"},
			want: []Transfer{{Via: ViaOWNERS, Paths: []string{"pay/"}, Files: 1,
				From: []string{"@acme/pay"}, To: []string{"@acme/payments"}, Parties: []string{"@acme/pay", "@acme/payments"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(base, evaluate(t, with(baseRepo, tt.changes)))
			if diff := cmp.Diff(tt.want, c.Transfers); diff != "" {
				t.Errorf("transfers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFold(t *testing.T) {
	// "a/b-x/" sorts before "a/b/": siblings with a common prefix fold apart.
	all := []string{"a/x", "a/y", "a/b/z", "a/b/zz", "a/b-x/q", "a/c/w", "c/d", "e"}
	tests := []struct {
		files []string
		want  []string
	}{
		{[]string{"a/b/z", "a/b/zz"}, []string{"a/b/"}},
		{[]string{"a/b-x/q", "a/b/z", "a/b/zz"}, []string{"a/b-x/", "a/b/"}},
		{[]string{"a/b-x/q", "a/b/z", "a/b/zz", "a/c/w", "a/x", "a/y"}, []string{"a/"}},
		{[]string{"a/x"}, []string{"a/x"}},
		{all, []string{"/"}},
		{[]string{"a/b-x/q", "a/b/z", "a/b/zz", "a/c/w", "a/x", "a/y", "c/d"}, []string{"a/", "c/"}},
	}
	perDir := filesPerDir(all)
	for _, tt := range tests {
		slices.Sort(tt.files)
		if diff := cmp.Diff(tt.want, fold(tt.files, perDir)); diff != "" {
			t.Errorf("fold(%v) (-want +got):\n%s", tt.files, diff)
		}
	}
}
