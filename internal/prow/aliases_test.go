package prow

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAliases(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []Alias
		problems []string
	}{
		{
			name: "lists in file order, spelled as written",
			in:   "# generated\naliases:\n  sig-leads:\n    - Alice\n    - bob\n  Approvers:\n  - carol\n",
			want: []Alias{
				{Name: n("sig-leads", 3, 3), Members: []Name{n("Alice", 4, 7), n("bob", 5, 7)}},
				{Name: n("Approvers", 6, 3), Members: []Name{n("carol", 7, 5)}},
			},
		},
		{
			name: "an empty alias has no members, as in prow",
			in:   "aliases:\n  a: []\n  b:\n  c: {alice, bob}\n",
			want: []Alias{
				{Name: n("a", 2, 3)},
				{Name: n("b", 3, 3)},
				{Name: n("c", 4, 3), Members: []Name{n("alice", 4, 7), n("bob", 4, 14)}},
			},
		},
		{
			name: "an empty file or empty aliases define nothing",
			in:   "aliases:\n",
		},
		{
			name: "an empty document defines nothing",
			in:   "---",
		},
		{
			name: "wrong shapes",
			in:   "aliases:\n  a: alice\n  b: {alice: bob}\n  c: [1234, 'x y', bad_name, ok]\n  ? [d]\n  : [alice]\n",
			want: []Alias{
				{Name: n("a", 2, 3)},
				{Name: n("b", 3, 3), Members: []Name{n("alice", 3, 7)}},
				{Name: n("c", 4, 3), Members: []Name{n("ok", 4, 30)}},
			},
			problems: []string{
				`5:5: each alias name must be a plain word`,
				`2:6: alias "a" must be a list of GitHub logins`,
				`3:14: alias "b": prow reads only the keys of a mapping as members`,
				`4:7: each member of alias "c" must be text, not a number`,
				`4:13: "x y" in alias "c" has a space`,
				`4:20: "bad_name" in alias "c" is not a GitHub login`,
			},
		},
		{
			name: "names compare without regard to case",
			in:   "aliases:\n  team: [alice, Alice]\n  TEAM: [bob]\n",
			want: []Alias{{Name: n("team", 2, 3), Members: []Name{n("alice", 2, 10)}}},
			problems: []string{
				`3:3: alias "TEAM" is defined twice (first on line 2)`,
			},
		},
		{
			name: "aliases do not nest; an alias listing its own name means that login",
			in:   "aliases:\n  leads: [alice, Reviewers]\n  reviewers: [bob]\n  bob: [bob]\n",
			want: []Alias{
				{Name: n("leads", 2, 3), Members: []Name{n("alice", 2, 11)}},
				{Name: n("reviewers", 3, 3)},
				{Name: n("bob", 4, 3), Members: []Name{n("bob", 4, 9)}},
			},
			problems: []string{
				`2:18: "Reviewers" in alias "leads" is an alias (line 3), but aliases do not nest`,
				`3:15: "bob" in alias "reviewers" is an alias (line 4), but aliases do not nest`,
			},
		},
		{
			name:     "other keys are prow's business, a near miss is not",
			in:       "aliass:\n  a: [alice]\nowners: x\n",
			problems: []string{`1:1: unknown key "aliass" in OWNERS_ALIASES (did you mean "aliases"?)`},
		},
		{
			name:     "aliases must be a mapping",
			in:       "aliases: [alice]\n",
			problems: []string{"1:10: aliases must map each alias name to a list of GitHub logins"},
		},
		{
			name:     "YAML syntax",
			in:       "aliases:\n  a: [alice\n",
			problems: []string{"1:1: YAML syntax"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := ParseAliases("OWNERS_ALIASES", []byte(tt.in))
			if diff := cmp.Diff(tt.want, got.List); diff != "" {
				t.Errorf("ParseAliases (-want +got):\n%s", diff)
			}
			if got.Path != "OWNERS_ALIASES" {
				t.Errorf("Path = %q", got.Path)
			}
			checkProblems(t, problems, tt.problems)
		})
	}
}

func TestAliasesLookup(t *testing.T) {
	a, problems := ParseAliases("OWNERS_ALIASES", []byte("aliases:\n  Sig-Leads: [alice, bob]\n  empty: []\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	tests := []struct {
		name    string
		isAlias bool
		members []Name
	}{
		{"Sig-Leads", true, []Name{n("alice", 2, 15), n("bob", 2, 22)}},
		{"sig-leads", true, []Name{n("alice", 2, 15), n("bob", 2, 22)}},
		{"@SIG-LEADS", true, []Name{n("alice", 2, 15), n("bob", 2, 22)}},
		{"empty", true, nil},
		{"alice", false, nil},
		{"", false, nil},
	}
	for _, tt := range tests {
		members, ok := a.Members(tt.name)
		if ok != tt.isAlias || a.IsAlias(tt.name) != tt.isAlias {
			t.Errorf("%q: alias %v, want %v", tt.name, ok, tt.isAlias)
		}
		if diff := cmp.Diff(tt.members, members); diff != "" {
			t.Errorf("Members(%q) (-want +got):\n%s", tt.name, diff)
		}
	}
	var none *Aliases
	if members, ok := none.Members("sig-leads"); ok || members != nil || none.IsAlias("sig-leads") {
		t.Errorf("a nil *Aliases knows an alias: %v %v", members, ok)
	}
}

func TestExpand(t *testing.T) {
	a, problems := ParseAliases("OWNERS_ALIASES", []byte("aliases:\n  leads: [Alice, bob]\n  reviewers: [bob, carol]\n  empty: []\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	tests := []struct {
		name    string
		aliases *Aliases
		in, out []Name
	}{
		{
			name:    "members take the alias's place and position",
			aliases: a,
			in:      []Name{n("dave", 1, 3), n("LEADS", 2, 3)},
			out:     []Name{n("dave", 1, 3), n("Alice", 2, 3), n("bob", 2, 3)},
		},
		{
			name:    "repeats are dropped, the first kept",
			aliases: a,
			in:      []Name{n("alice", 1, 3), n("leads", 2, 3), n("reviewers", 3, 3), n("@Carol", 4, 3)},
			out:     []Name{n("alice", 1, 3), n("bob", 2, 3), n("carol", 3, 3)},
		},
		{
			name:    "an alias without members expands to nobody",
			aliases: a,
			in:      []Name{n("empty", 1, 3)},
		},
		{
			name: "without OWNERS_ALIASES every name is a login",
			in:   []Name{n("leads", 1, 3), n("Leads", 2, 3), n("eve", 3, 3)},
			out:  []Name{n("leads", 1, 3), n("eve", 3, 3)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.out, tt.aliases.Expand(tt.in)); diff != "" {
				t.Errorf("Expand (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	o, problems := ParseOwners("a/OWNERS", []byte(`filters:
  ".*":
    approvers: [leads, alice, bad_login]
    reviewers: [-bob]
    emeritus_approvers: [old_name]
  "\\.go$":
    required_reviewers: [Leads, carol--x]
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	a, problems := ParseAliases("OWNERS_ALIASES", []byte("aliases:\n  leads: [alice]\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	checkProblems(t, a.Check(o), []string{
		`3:31: "bad_login" in filter ".*" approvers is not a GitHub login (letters, digits and single hyphens, at most 39) nor an alias in OWNERS_ALIASES`,
		`4:17: "-bob" in filter ".*" reviewers is not a GitHub login`,
		`7:33: "carol--x" in filter "\\.go$" required_reviewers is not a GitHub login`,
	})
	// Without OWNERS_ALIASES, "leads" is a login and its shape is fine.
	var none *Aliases
	checkProblems(t, none.Check(o), []string{
		`3:31: "bad_login" in filter ".*" approvers is not a GitHub login (letters, digits and single hyphens, at most 39) and there is no OWNERS_ALIASES`,
		`4:17: "-bob"`,
		`7:33: "carol--x"`,
	})
	for _, p := range a.Check(o) {
		if p.Path != "a/OWNERS" {
			t.Errorf("problem %v is not in the OWNERS file", p)
		}
	}
}

func TestValidLogin(t *testing.T) {
	tests := map[string]bool{
		"alice": true, "Alice-Bob": true, "a": true, "04kash": true, "@alice": true,
		strings.Repeat("a", 39): true, strings.Repeat("a", 40): false,
		"": false, "@": false, "-alice": false, "alice-": false, "al--ice": false,
		"al_ice": false, "al.ice": false, "org/team": false, "@@alice": false, "ålice": false,
	}
	for login, want := range tests {
		if got := ValidLogin(login); got != want {
			t.Errorf("ValidLogin(%q) = %v, want %v", login, got, want)
		}
	}
}

func TestKeyAndHandle(t *testing.T) {
	tests := []struct{ in, key, handle string }{
		{"BenTheElder", "bentheelder", "@BenTheElder"},
		{"@BenTheElder", "bentheelder", "@BenTheElder"},
		{"sig-Testing-leads", "sig-testing-leads", "@sig-Testing-leads"},
	}
	for _, tt := range tests {
		if got := Key(tt.in); got != tt.key {
			t.Errorf("Key(%q) = %q, want %q", tt.in, got, tt.key)
		}
		if got := GitHubHandle(tt.in); got != tt.handle {
			t.Errorf("GitHubHandle(%q) = %q, want %q", tt.in, got, tt.handle)
		}
	}
}
