package prow

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A realRepo is the prow files of one repository in
// ../shared/ownership-sources, read with this package.
type realRepo struct {
	files    []string           // every path of the commit
	owners   map[string]*Owners // by path of the OWNERS file
	aliases  *Aliases           // nil without OWNERS_ALIASES
	problems []strictyaml.FileProblem
	data     map[string][]byte // the raw files, for benchmarks
}

func loadReal(tb testing.TB, name string) *realRepo {
	tb.Helper()
	dir := filepath.Join(datasettest.Shared(tb, "ownership-sources"), name)
	list, err := os.ReadFile(filepath.Join(dir, "files.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	r := &realRepo{owners: map[string]*Owners{}, data: map[string][]byte{}}
	read := func(p string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			tb.Fatalf("%s lists %s, which the snapshot lacks: %v", name, p, err)
		}
		r.data[p] = data
		return data
	}
	for _, p := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		r.files = append(r.files, p)
		if p == AliasesFile {
			var problems []strictyaml.FileProblem
			r.aliases, problems = ParseAliases(p, read(p))
			r.problems = append(r.problems, problems...)
		}
	}
	for _, p := range r.files {
		if path.Base(p) == OwnersFile {
			o, problems := ParseOwners(p, read(p))
			r.owners[p] = o
			r.problems = append(r.problems, problems...)
			r.problems = append(r.problems, r.aliases.Check(o)...)
		}
	}
	return r
}

func values(names []Name) []string {
	var out []string
	for _, n := range names {
		out = append(out, n.Value)
	}
	return out
}

// TestRealFilesParse reads every OWNERS and OWNERS_ALIASES of the real
// repositories: each one parses, and the only problems are the true ones.
func TestRealFilesParse(t *testing.T) {
	tests := []struct {
		repo     string
		owners   int
		aliases  int // aliases defined; -1 without OWNERS_ALIASES
		problems []string
	}{
		// gcsweb/OWNERS lists thockin twice in reviewers: harmless in prow
		// (it keeps a set), so no problem either.
		{repo: "kubernetes__test-infra", owners: 239, aliases: 55},
		{repo: "kubernetes-sigs__cluster-api", owners: 16, aliases: 28},
		{repo: "kubernetes-sigs__kustomize", owners: 3, aliases: 7},
		{repo: "redhat-developer__rhdh", owners: 13, aliases: 8},
		{repo: "janus-idp__backstage-plugins", owners: 1, aliases: -1},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			r := loadReal(t, tt.repo)
			if len(r.owners) != tt.owners {
				t.Errorf("%d OWNERS files, want %d", len(r.owners), tt.owners)
			}
			switch {
			case tt.aliases < 0 && r.aliases != nil:
				t.Errorf("found an OWNERS_ALIASES, want none")
			case tt.aliases >= 0 && r.aliases == nil:
				t.Errorf("no OWNERS_ALIASES, want %d aliases", tt.aliases)
			case tt.aliases >= 0 && len(r.aliases.List) != tt.aliases:
				t.Errorf("%d aliases, want %d", len(r.aliases.List), tt.aliases)
			}
			var got []string
			for _, p := range r.problems {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tt.problems, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRealFacts asserts what the real files say, read by hand from them.
func TestRealFacts(t *testing.T) {
	t.Run("test-infra root", func(t *testing.T) {
		r := loadReal(t, "kubernetes__test-infra")
		o := r.owners["OWNERS"]
		if diff := cmp.Diff([]string{"aojea", "BenTheElder", "dims", "michelle192837", "upodroid"}, values(r.aliases.Expand(o.Dirwide().Approvers))); diff != "" {
			t.Errorf("root approvers (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"sig/testing"}, o.Labels); diff != "" {
			t.Errorf("root labels (-want +got):\n%s", diff)
		}
		if len(o.EmeritusApprovers) != 9 || o.EmeritusApprovers[0].Value != "amwat" || o.NoParentOwners {
			t.Errorf("root emeritus %v, no_parent_owners %v", values(o.EmeritusApprovers), o.NoParentOwners)
		}
	})

	t.Run("test-infra options and filters", func(t *testing.T) {
		r := loadReal(t, "kubernetes__test-infra")
		var noParent, filtered, emeritus, labelled []string
		for p, o := range r.owners {
			if o.NoParentOwners {
				noParent = append(noParent, p)
			}
			if len(o.Filters) > 0 {
				filtered = append(filtered, p)
			}
			if len(o.EmeritusApprovers) > 0 || slices.ContainsFunc(o.Filters, func(f Filter) bool { return len(f.EmeritusApprovers) > 0 }) {
				emeritus = append(emeritus, p)
			}
			if len(o.Labels) > 0 || slices.ContainsFunc(o.Filters, func(f Filter) bool { return len(f.Labels) > 0 }) {
				labelled = append(labelled, p)
			}
		}
		slices.Sort(noParent)
		slices.Sort(filtered)
		if diff := cmp.Diff([]string{
			"config/jobs/image-pushing/OWNERS",
			"config/jobs/kubernetes/sig-k8s-infra/trusted/OWNERS",
			"config/tests/jobs/OWNERS",
			"config/tests/jobs/policy/OWNERS",
		}, noParent); diff != "" {
			t.Errorf("no_parent_owners (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{
			"config/jobs/kubernetes/sig-k8s-infra/trusted/OWNERS",
			"config/prow/OWNERS",
			"label_sync/OWNERS",
		}, filtered); diff != "" {
			t.Errorf("files with filters (-want +got):\n%s", diff)
		}
		// 74 files have a top-level emeritus_approvers and 113 top-level
		// labels; label_sync keeps both inside its ".*" filter, and the
		// trusted jobs' labels are in a filter.
		if len(emeritus) != 75 || len(labelled) != 115 {
			t.Errorf("%d files with emeritus approvers, %d with labels; want 75 and 115", len(emeritus), len(labelled))
		}
	})

	t.Run("test-infra trusted jobs: no_parent_owners, a .* filter and a prefix filter", func(t *testing.T) {
		r := loadReal(t, "kubernetes__test-infra")
		o := r.owners["config/jobs/kubernetes/sig-k8s-infra/trusted/OWNERS"]
		if !o.NoParentOwners || o.Lines["options.no_parent_owners"] != 3 {
			t.Errorf("no_parent_owners %v on line %d, want true on line 3", o.NoParentOwners, o.Lines["options.no_parent_owners"])
		}
		if diff := cmp.Diff([]string{"ameukam", "GenPage", "hakman", "upodroid", "xmudrii"}, values(r.aliases.Expand(o.Dirwide().Approvers))); diff != "" {
			t.Errorf("directory approvers (-want +got):\n%s", diff)
		}
		// Which files of the commit the "^sig-contribex-" filter gives to
		// the contributor-experience technical leads.
		var matched []string
		for _, f := range r.files {
			if rel, ok := o.Rel(f); ok && o.Filters[1].Matches(rel) {
				matched = append(matched, rel)
			}
		}
		if diff := cmp.Diff([]string{
			"sig-contribex-k8s-triage-robot.yaml",
			"sig-contribex-peribolos.yaml",
			"sig-contribex-tempelis.yaml",
			"sig-contribex-triage-robot-retester.yaml",
		}, matched); diff != "" {
			t.Errorf("^sig-contribex- matches (-want +got):\n%s", diff)
		}
		roles := o.For("config/jobs/kubernetes/sig-k8s-infra/trusted/sig-contribex-peribolos.yaml")
		if diff := cmp.Diff([]string{"MadhavJivrajani", "Priyankasaggu11929"}, values(r.aliases.Expand(roles.RequiredReviewers))); diff != "" {
			t.Errorf("required reviewers of peribolos (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"sig/contributor-experience"}, roles.Labels); diff != "" {
			t.Errorf("labels of peribolos (-want +got):\n%s", diff)
		}
		if got := o.For("config/jobs/kubernetes/sig-k8s-infra/trusted/sig-k8s-infra-dns.yaml").RequiredReviewers; got != nil {
			t.Errorf("required reviewers of sig-k8s-infra-dns.yaml: %v, want none", got)
		}
	})

	t.Run("test-infra config/prow: an unanchored filter with no approvers", func(t *testing.T) {
		r := loadReal(t, "kubernetes__test-infra")
		o := r.owners["config/prow/OWNERS"]
		var matched []string
		for _, f := range r.files {
			if rel, ok := o.Rel(f); ok && o.Filters[0].Matches(rel) {
				matched = append(matched, rel)
			}
		}
		// "(config|plugins)\.yaml" matches anywhere in the relative path,
		// so the autobump configurations count too.
		if diff := cmp.Diff([]string{
			"autobump-config/prow-component-autobump-config.yaml",
			"autobump-config/prow-job-autobump-config.yaml",
			"config.yaml",
			"plugins.yaml",
		}, matched); diff != "" {
			t.Errorf("matches (-want +got):\n%s", diff)
		}
		// Only required reviewers: approval of config/prow is the parent's.
		if d := o.Dirwide(); d.Approvers != nil || d.Reviewers != nil {
			t.Errorf("config/prow names approvers %v and reviewers %v, want none", d.Approvers, d.Reviewers)
		}
		got := values(r.aliases.Expand(o.For("config/prow/plugins.yaml").RequiredReviewers))
		if diff := cmp.Diff([]string{"cblecker", "MadhavJivrajani", "Priyankasaggu11929"}, got); diff != "" {
			t.Errorf("required reviewers of plugins.yaml (-want +got):\n%s", diff)
		}
	})

	t.Run("test-infra label_sync: roles under .*, emeritus inside a filter", func(t *testing.T) {
		r := loadReal(t, "kubernetes__test-infra")
		o := r.owners["label_sync/OWNERS"]
		d := o.Dirwide()
		if diff := cmp.Diff([]string{"MadhavJivrajani", "Priyankasaggu11929", "cblecker"}, values(r.aliases.Expand(d.Approvers))); diff != "" {
			t.Errorf("approvers (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"fejta", "spiffxp"}, values(d.EmeritusApprovers)); diff != "" {
			t.Errorf("emeritus (-want +got):\n%s", diff)
		}
		for file, want := range map[string]bool{"label_sync/labels.yaml": true, "label_sync/labels_example.yaml": false, "label_sync/labels.md": false} {
			if got := len(o.For(file).RequiredReviewers) > 0; got != want {
				t.Errorf("%s has required reviewers: %v, want %v", file, got, want)
			}
		}
	})

	t.Run("cluster-api: aliases, and aliases with no members", func(t *testing.T) {
		r := loadReal(t, "kubernetes-sigs__cluster-api")
		root := r.owners["OWNERS"]
		if diff := cmp.Diff([]string{"fabriziopandini", "justinsb", "neolit123", "vincepri", "sbueringer", "chrischdi", "enxebre", "JoelSpeed"},
			values(r.aliases.Expand(root.Approvers))); diff != "" {
			t.Errorf("root approvers (-want +got):\n%s", diff)
		}
		// cluster-api-docs-maintainers: [] — prow finds no approver in
		// docs/OWNERS and asks the root's.
		docs := r.owners["docs/OWNERS"]
		if got := r.aliases.Expand(docs.Approvers); got != nil {
			t.Errorf("docs approvers expand to %v, want nobody", got)
		}
		if diff := cmp.Diff([]string{"karthik-k-n", "richardcase", "sivchari", "elmiko"}, values(r.aliases.Expand(docs.Reviewers))); diff != "" {
			t.Errorf("docs reviewers (-want +got):\n%s", diff)
		}
		if members, ok := r.aliases.Members("cluster-api-topology-maintainers"); !ok || members != nil {
			t.Errorf("an alias written with no value: %v, %v; want defined and empty", members, ok)
		}
	})

	t.Run("kustomize and rhdh: aliases only", func(t *testing.T) {
		k := loadReal(t, "kubernetes-sigs__kustomize")
		if diff := cmp.Diff([]string{"knverey", "koba1t", "varshaprasad96"}, values(k.aliases.Expand(k.owners["OWNERS"].Approvers))); diff != "" {
			t.Errorf("kustomize approvers (-want +got):\n%s", diff)
		}
		rh := loadReal(t, "redhat-developer__rhdh")
		root := rh.owners["OWNERS"]
		if diff := cmp.Diff([]string{"rhdh-cope", "rhdh-security", "rhdh-administrators"}, values(root.Approvers)); diff != "" {
			t.Errorf("rhdh approvers as written (-want +got):\n%s", diff)
		}
		got := values(rh.aliases.Expand(root.Approvers))
		// the first approver as written is an alias: its first member
		if len(got) == 0 || got[0] != "04kash" || !slices.Contains(got, "albarbaro") || !slices.Contains(got, "durandom") {
			t.Errorf("rhdh approvers expand to %v", got)
		}
		if diff := cmp.Diff([]string{"psrna"}, values(rh.aliases.Expand(rh.owners[".ci/OWNERS"].Approvers))[:1]); diff != "" {
			t.Errorf(".ci approvers (-want +got):\n%s", diff)
		}
	})

	t.Run("janus-idp: no OWNERS_ALIASES, every name a login", func(t *testing.T) {
		r := loadReal(t, "janus-idp__backstage-plugins")
		o := r.owners["OWNERS"]
		got := r.aliases.Expand(o.Approvers)
		if len(got) != 17 || got[0] != n("04kash", 2, 4) || got[10].Value != "JessicaJHee" {
			t.Errorf("approvers %v", got)
		}
	})
}
