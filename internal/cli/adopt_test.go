package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/golden"
)

// A repository with only CODEOWNERS and no configuration gets the
// CODEOWNERS checks as warnings, and none of the unit rules: adding the
// Action to it never turns a build red on day one.
func TestZeroConfigurationCODEOWNERSOnly(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/CODEOWNERS": "* @acme/all\n/tools/ dev-tools\n/gone/ @acme/x\n",
		"main.go":            "", "tools/lint.sh": "",
	})
	got := run(t, "", "check", "--repo", dir, "--now", today, "--format", "json")
	if got.code != ExitOK {
		t.Fatalf("exit %d, want 0:\n%s%s", got.code, got.stderr, got.stdout)
	}
	var doc jsonReport
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, f := range doc.Findings {
		rules[f.Rule] = f.Severity
	}
	want := map[string]string{"codeowners.invalid_owner": "warning", "codeowners.no_match": "warning"}
	if len(rules) != len(want) {
		t.Errorf("findings by rule = %v, want %v", rules, want)
	}
	for rule, sev := range want {
		if rules[rule] != sev {
			t.Errorf("%s: %q, want %q", rule, rules[rule], sev)
		}
	}
}

// ownershipSource rebuilds one repository of ../shared/ownership-sources as
// a checkout: an empty file for each path of files.txt, the ownership
// files over them. It returns the directory and the repository's
// OWNER/NAME from its SOURCE.md.
func ownershipSource(t *testing.T, root, name string) (dir, repository string) {
	t.Helper()
	src := filepath.Join(root, name)
	dir = filepath.Join(t.TempDir(), name)
	list, err := os.Open(filepath.Join(src, "files.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	sc := bufio.NewScanner(list)
	for sc.Scan() {
		p := filepath.Join(dir, filepath.FromSlash(sc.Text()))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "files.txt" || rel == "SOURCE.md" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile(filepath.Join(src, "SOURCE.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(source), "\n") {
		if rest, ok := strings.CutPrefix(line, "| repository | https://github.com/"); ok {
			repository = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "|"))
		}
	}
	if repository == "" {
		t.Fatalf("%s/SOURCE.md names no repository", name)
	}
	return dir, repository
}

// On the real ownership files of public repositories: units come from the
// files each keeps (explain names them and their owners), `init` writes
// what is missing, and `check` then finds no owners.* error and passes;
// `init` again writes nothing.
func TestAdoptOwnershipSources(t *testing.T) {
	root := datasettest.Shared(t, "ownership-sources")
	// A path of each repository, the file its unit comes from, and the
	// owner that file gives (read by hand from the files).
	samples := map[string][3]string{
		"kubernetes__test-infra":                {"config/jobs/README.md", "config/OWNERS", "@cblecker"},
		"kubernetes-sigs__cluster-api":          {"main.go", "OWNERS", "@fabriziopandini"},
		"kubernetes-sigs__kustomize":            {"kustomize/main.go", "OWNERS", "@knverey"},
		"redhat-developer__rhdh":                {"packages/app/package.json", "packages/app/OWNERS", "@04kash"},
		"janus-idp__backstage-plugins":          {"plugins/web-terminal/package.json", "plugins/web-terminal/catalog-info.yaml", "@janus-idp/maintainers-plugins"},
		"RoadieHQ__roadie-backstage-plugins":    {"plugins/frontend/backstage-plugin-argo-cd/package.json", "plugins/frontend/backstage-plugin-argo-cd/catalog-info.yaml", "@RoadieHQ/"},
		"AxisCommunications__backstage-plugins": {"plugins/readme/package.json", "plugins/readme/catalog-info.yaml", "@AxisCommunications/backstage-plugins-maintainers"},
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			dir, repository := ownershipSource(t, root, name)
			env := map[string]string{"GITHUB_REPOSITORY": repository}
			sample, ok := samples[name]
			if !ok {
				t.Fatalf("no sample path for %s: add one", name)
			}
			got := runEnv(t, env, "explain", "--repo", dir, "--now", today, "--format", "json", sample[0])
			if got.code != ExitOK {
				t.Fatalf("explain: exit %d\n%s", got.code, got.stderr)
			}
			var xs []struct {
				Unit struct {
					Files     []string `json:"files"`
					Owner     string   `json:"owner"`
					OwnerFrom string   `json:"owner_from"`
				} `json:"unit"`
			}
			if err := json.Unmarshal([]byte(got.stdout), &xs); err != nil || len(xs) != 1 {
				t.Fatalf("%v\n%s", err, got.stdout)
			}
			x := xs[0]
			if !strings.Contains(strings.Join(x.Unit.Files, " "), sample[1]) || !strings.HasPrefix(x.Unit.Owner, sample[2]) {
				t.Errorf("explain %s: unit from %v owned by %q (%s); want from %s, owner %s…", sample[0], x.Unit.Files, x.Unit.Owner, x.Unit.OwnerFrom, sample[1], sample[2])
			}

			got = runEnv(t, env, "init", "--repo", dir, "--config", "--now", today)
			if got.code != ExitOK || !strings.Contains(got.stdout, "wrote ") {
				t.Fatalf("init: exit %d\n%s%s", got.code, got.stderr, got.stdout)
			}
			got = runEnv(t, env, "check", "--repo", dir, "--now", today, "--format", "json")
			var doc jsonReport
			if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
				t.Fatalf("%v\n%s", err, got.stderr)
			}
			for _, f := range doc.Findings {
				if strings.HasPrefix(f.Rule, "owners.") && f.Severity == "error" {
					t.Errorf("after init: %s %s:%d: %s", f.Rule, f.Path, f.Line, f.Message)
				}
			}
			if got.code != ExitOK {
				t.Errorf("check after init: exit %d, want 0 (the adopting pull request passes)", got.code)
			}
			got = runEnv(t, env, "init", "--repo", dir, "--config", "--now", today)
			if got.code != ExitOK || strings.Contains(got.stdout, "wrote ") {
				t.Errorf("init a second time writes again:\n%s", got.stdout)
			}
		})
	}
	if seen != len(samples) {
		t.Errorf("%d repositories in %s, %d samples", seen, root, len(samples))
	}
}

// init on a CODEOWNERS-only repository: --dry-run writes nothing, init
// writes what the dry run showed, check then passes, and a second init
// writes nothing.
func TestInitFromCODEOWNERS(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/CODEOWNERS": "* @acme/platform\n/services/payments/ @acme/payments @alice\n/docs/ @acme/docs\n",
		"README.md":          "", "services/payments/api.go": "", "docs/guide.md": "",
	})
	dry := run(t, "", "init", "--repo", dir, "--dry-run", "--now", today)
	if dry.code != ExitOK {
		t.Fatalf("init --dry-run: exit %d\n%s", dry.code, dry.stderr)
	}
	for _, p := range []string{"OWNERS.yaml", "services/payments/OWNERS.yaml", "docs/OWNERS.yaml"} {
		if !strings.Contains(dry.stdout, "would write "+p+":") {
			t.Errorf("the dry run does not show %s:\n%s", p, dry.stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("--dry-run wrote %s", p)
		}
	}
	got := run(t, "", "init", "--repo", dir, "--now", today)
	if got.code != ExitOK || strings.Count(got.stdout, "wrote ") != 3 {
		t.Fatalf("init: exit %d\n%s%s", got.code, got.stderr, got.stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "services/payments/OWNERS.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "init-payments.yaml", data)
	if got := run(t, "", "check", "--repo", dir, "--now", today); got.code != ExitOK {
		t.Errorf("check after init: exit %d\n%s", got.code, got.stdout)
	}
	if again := run(t, "", "init", "--repo", dir, "--now", today); again.stdout != "nothing to write: every unit has its OWNERS.yaml\n" {
		t.Errorf("second init:\n%s", again.stdout)
	}
}

// coverage prints each owner's share; alone, shared and unowned add up to
// the total, in every format.
func TestCoverage(t *testing.T) {
	got := run(t, "", "coverage", "--repo", example)
	if got.code != ExitOK {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	golden.Assert(t, "coverage-example.txt", []byte(got.stdout))

	got = run(t, "", "coverage", "--repo", example, "--format", "tsv")
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if lines[0] != "owner\tfiles\tshare\tsole\tunits\trunbooks" {
		t.Fatalf("header %q", lines[0])
	}
	sum, total := 0, -1
	for _, l := range lines[1:] {
		cols := strings.Split(l, "\t")
		if len(cols) != 6 {
			t.Fatalf("row %q has %d columns", l, len(cols))
		}
		sole, err := strconv.Atoi(cols[3])
		if err != nil {
			t.Fatal(err)
		}
		if cols[0] == "(total)" {
			total = sole
			continue
		}
		sum += sole
	}
	if total <= 0 || sum != total {
		t.Errorf("alone + shared + unowned = %d, total %d:\n%s", sum, total, got.stdout)
	}

	got = run(t, "", "coverage", "--repo", example, "--format", "json")
	var o struct {
		Files, SoleFiles, SharedFiles, UnownedFiles int
	}
	dec := json.NewDecoder(strings.NewReader(strings.NewReplacer(`"sole_files"`, `"SoleFiles"`, `"shared_files"`, `"SharedFiles"`, `"unowned_files"`, `"UnownedFiles"`).Replace(got.stdout)))
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Files != total || o.SoleFiles+o.SharedFiles+o.UnownedFiles != o.Files {
		t.Errorf("JSON: %+v, total %d", o, total)
	}
}
