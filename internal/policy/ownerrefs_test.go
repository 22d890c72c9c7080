package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOwnerRefs(t *testing.T) {
	res := evaluate(t, map[string]string{
		".github/CODEOWNERS": "* @acme/all ops@acme.example\n/pay/  @acme/pay @Alice\n",
		"OWNERS.yaml":        rootOwners,
		"pay/OWNERS.yaml": "version: 1\nowner: \"@acme/pay\"\ntier: 3\n" +
			"approvers:\n  - \"@alice\"\n  - \"@bob\"\n" +
			"escalation:\n  - {after: 7d, to: parent}\n  - {after: 14d, to: \"@acme/leads\"}\n" +
			"review: {last_reviewed: \"2026-11-01\"}\n",
	})
	want := []OwnerRef{
		{"@acme/all", ".github/CODEOWNERS", 1, 3, "CODEOWNERS"},
		{"@acme/pay", ".github/CODEOWNERS", 2, 8, "CODEOWNERS"},
		{"@Alice", ".github/CODEOWNERS", 2, 18, "CODEOWNERS"},
		{"@acme/all", "OWNERS.yaml", 2, 8, "owner"},
		{"@acme/pay", "pay/OWNERS.yaml", 2, 8, "owner"},
		{"@alice", "pay/OWNERS.yaml", 5, 5, "approvers"},
		{"@bob", "pay/OWNERS.yaml", 6, 5, "approvers"},
		{"@acme/leads", "pay/OWNERS.yaml", 9, 22, "escalation.to"},
	}
	got := res.OwnerRefs()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OwnerRefs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"@acme/all", "@acme/leads", "@acme/pay", "@alice", "@bob"}, OwnerNames(got)); diff != "" {
		t.Errorf("OwnerNames (-want +got):\n%s", diff)
	}
}

func TestResolveOwners(t *testing.T) {
	files := map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/ghost @acme/pay\n",
		"OWNERS.yaml":        rootOwners,
		"pay/OWNERS.yaml":    "version: 1\nowner: \"@acme/pay\"\ntier: 3\napprovers: [\"@Gone\", \"@acme/ghost\"]\nreview: {last_reviewed: \"2026-11-01\"}\n",
		"pay/main.go":        "package main",
	}
	res := evaluate(t, files)
	if !slices.ContainsFunc(res.Skipped, func(s Skip) bool { return s.Rule == CodeownersUnknownOwner }) {
		t.Fatal("before resolution, codeowners.unknown_owner should be listed as skipped")
	}
	before := len(res.Findings)
	res.ResolveOwners(map[string]string{
		"@acme/ghost": "is not a team with write access to the repository",
		"@gone":       "is not a GitHub user",
	}, today)

	want := []brief{
		{CodeownersUnknownOwner, ".github/CODEOWNERS", 2, 7, Error},
		{OwnersUnresolvable, "pay/OWNERS.yaml", 4, 13, Error},
		{OwnersUnresolvable, "pay/OWNERS.yaml", 4, 22, Error},
	}
	var got []brief
	for _, f := range res.Findings {
		if f.Rule == CodeownersUnknownOwner || f.Rule == OwnersUnresolvable {
			got = append(got, brief{f.Rule, f.Path, f.Line, f.Column, f.Severity})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(res.Findings) != before+3 {
		t.Errorf("%d findings after resolution, want %d before + 3", len(res.Findings), before)
	}
	for _, f := range res.Findings {
		switch f.Rule {
		case CodeownersUnknownOwner:
			if !strings.Contains(f.Message, "@acme/ghost is not a team") || f.Unit != "/" {
				t.Errorf("unknown owner finding: %+v", f)
			}
		case OwnersUnresolvable:
			if f.Unit != "pay/" || !strings.HasPrefix(f.Message, "approver @") {
				t.Errorf("unresolvable finding lacks its unit or field: %+v", f)
			}
		}
	}
	if slices.ContainsFunc(res.Skipped, func(s Skip) bool {
		return s.Rule == CodeownersUnknownOwner || s.Rule == OwnersUnresolvable
	}) {
		t.Errorf("resolved rules still listed as skipped: %v", res.Skipped)
	}
	if !slices.IsSortedFunc(res.Findings, func(a, b Finding) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("findings are no longer sorted by path")
	}
}

// The findings GitHub's answers add obey exceptions and configuration like
// any other, and the ratchet sees only the owners a change adds.
func TestResolveOwnersExceptionsConfigAndRatchet(t *testing.T) {
	problems := map[string]string{"@acme/ghost": "is not a team with write access to the repository"}
	base := with(baseRepo, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay @acme/ghost\n/web/ @acme/web\n"})

	t.Run("waived", func(t *testing.T) {
		files := with(base, map[string]string{"OWNERS_EXCEPTIONS.yaml": "version: 1\nexceptions:\n" +
			"  - {id: GHOST-1, rule: codeowners.unknown_owner, paths: [\".github/CODEOWNERS\"], reason: \"team being recreated\", expires: \"2026-12-20\"}\n"})
		res := evaluate(t, files)
		res.ResolveOwners(problems, today)
		i := slices.IndexFunc(res.Findings, func(f Finding) bool { return f.Rule == CodeownersUnknownOwner })
		if i < 0 || res.Findings[i].ExceptedBy != "GHOST-1" {
			t.Fatalf("the exception does not waive the unknown owner: %+v", res.Findings)
		}
	})
	t.Run("turned off", func(t *testing.T) {
		files := with(base, map[string]string{".github/ownerbot.yaml": "version: 1\nrules:\n  codeowners.unknown_owner: \"off\"\n"})
		res := evaluate(t, files)
		res.ResolveOwners(problems, today)
		if slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Rule == CodeownersUnknownOwner }) {
			t.Error("a rule turned off still finds")
		}
	})
	t.Run("ratchet", func(t *testing.T) {
		head := with(base, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay @acme/ghost\n/web/ @acme/web @acme/ghost\n"})
		b, h := evaluate(t, base), evaluate(t, head)
		b.ResolveOwners(problems, today)
		h.ResolveOwners(problems, today)
		cmpr := Compare(b, h)
		var fresh []brief
		for _, f := range cmpr.New {
			if f.Rule != CodeownersUnknownOwner {
				continue // the mismatch of @acme/web's unit is beside the point
			}
			fresh = append(fresh, brief{f.Rule, f.Path, f.Line, f.Column, f.Severity})
		}
		want := []brief{{CodeownersUnknownOwner, ".github/CODEOWNERS", 3, 17, Error}}
		// Writing an unknown owner in other case is not a new problem.
		recased := evaluate(t, with(base, map[string]string{".github/CODEOWNERS": "* @acme/all\n/pay/ @acme/pay @ACME/Ghost\n/web/ @acme/web\n"}))
		recased.ResolveOwners(problems, today)
		for _, f := range Compare(b, recased).New {
			if f.Rule == CodeownersUnknownOwner {
				t.Errorf("a change of case counts as new: %+v", f)
			}
		}
		if diff := cmp.Diff(want, fresh); diff != "" {
			t.Errorf("new findings (-want +got):\n%s", diff)
		}
	})
}
