package cli

// Tests of what ships at the repository root for CI: the GitHub Action
// (action.yml and its script, .github/action/run.sh) and the pre-commit
// hooks (.pre-commit-hooks.yaml).

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/schematest"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// root is the repository root, where GitHub and pre-commit look.
const root = "../.."

// decodeStrict decodes YAML into v, refusing keys v does not declare.
func decodeStrict(t *testing.T, file string, v any) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return data
}

// actionFile is the subset of GitHub's action metadata syntax that a
// composite action uses; any other key is a mistake.
type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name             string            `yaml:"name"`
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
}

// text is everything in the step that expressions may appear in.
func (s actionStep) text() string {
	parts := []string{s.If, s.Uses, s.Run, s.WorkingDirectory}
	for _, m := range []map[string]string{s.With, s.Env} {
		for k, v := range m {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, "\n")
}

const actionScript = ".github/action/run.sh"

func TestActionMetadata(t *testing.T) {
	var action actionFile
	decodeStrict(t, "action.yml", &action)
	script, err := os.ReadFile(filepath.Join(root, actionScript))
	if err != nil {
		t.Fatal(err)
	}
	if action.Name == "" || action.Description == "" || action.Runs.Using != "composite" {
		t.Errorf("name %q, description %q, runs.using %q: want a named, described composite action", action.Name, action.Description, action.Runs.Using)
	}

	// Every input a step or output refers to is declared, and every
	// declared input is used.
	inputRef := regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)
	used := map[string]bool{}
	var all []string
	steps := map[string]actionStep{}
	for _, s := range action.Runs.Steps {
		all = append(all, s.text())
		if s.ID != "" {
			steps[s.ID] = s
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %q: want either run or uses", s.Name)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q: a run step of a composite action must name its shell", s.Name)
		}
	}
	for _, o := range action.Outputs {
		all = append(all, o.Value)
	}
	for _, m := range inputRef.FindAllStringSubmatch(strings.Join(all, "\n"), -1) {
		used[m[1]] = true
		if _, ok := action.Inputs[m[1]]; !ok {
			t.Errorf("input %q is used but not declared", m[1])
		}
	}
	for name, in := range action.Inputs {
		if !used[name] {
			t.Errorf("input %q is declared but no step uses it", name)
		}
		if in.Description == "" {
			t.Errorf("input %q has no description", name)
		}
	}
	for _, name := range []string{"path", "fail-on", "upload-sarif", "sarif-category", "github-token"} {
		if _, ok := action.Inputs[name]; !ok {
			t.Errorf("input %q is missing", name)
		}
	}
	if got := action.Inputs["github-token"].Default; got != "${{ github.token }}" {
		t.Errorf("github-token defaults to %q, want the job's token", got)
	}

	// The check step hands the script the INPUT_ variables it reads, no
	// more and no fewer.
	check, ok := steps["check"]
	if !ok {
		t.Fatal("no step with id check")
	}
	if !strings.Contains(check.Run, "$GITHUB_ACTION_PATH/"+actionScript) {
		t.Errorf("the check step runs %q, want %s from the action's directory", check.Run, actionScript)
	}
	var passed, read []string
	for k := range check.Env {
		if strings.HasPrefix(k, "INPUT_") {
			passed = append(passed, k)
		}
	}
	for _, v := range regexp.MustCompile(`\bINPUT_[A-Z0-9_]+`).FindAllString(string(script), -1) {
		if !slices.Contains(read, v) {
			read = append(read, v)
		}
	}
	sort.Strings(passed)
	sort.Strings(read)
	if diff := cmp.Diff(read, passed); diff != "" {
		t.Errorf("INPUT_ variables (-read by the script +passed by the step):\n%s", diff)
	}
	if check.Env["GITHUB_TOKEN"] != "${{ inputs.github-token }}" {
		t.Errorf("the check step's GITHUB_TOKEN is %q, want the github-token input", check.Env["GITHUB_TOKEN"])
	}

	// Outputs that steps and the action read are ones the script writes.
	written := map[string]bool{}
	for _, m := range regexp.MustCompile(`echo "([a-z-]+)=`).FindAllStringSubmatch(string(script), -1) {
		written[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`steps\.([a-z-]+)\.outputs\.([a-z-]+)`).FindAllStringSubmatch(strings.Join(all, "\n"), -1) {
		if _, ok := steps[m[1]]; !ok {
			t.Errorf("%s refers to a step that does not exist", m[0])
		}
		if m[1] == "check" && !written[m[2]] {
			t.Errorf("%s: the script never writes %s", m[0], m[2])
		}
	}

	// Go comes from this repository's go.mod; the binary is built from
	// cmd/bot where the check step runs it.
	var setupGo, build, upload *actionStep
	for i, s := range action.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = &action.Runs.Steps[i]
		case strings.Contains(s.Run, "go build"):
			build = &action.Runs.Steps[i]
		case strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@"):
			upload = &action.Runs.Steps[i]
		}
	}
	if setupGo == nil || build == nil || upload == nil {
		t.Fatalf("want steps that set up Go, build and upload; setup-go %v, build %v, upload %v", setupGo != nil, build != nil, upload != nil)
	}
	if got := setupGo.With["go-version-file"]; got != "${{ github.action_path }}/go.mod" {
		t.Errorf("setup-go reads the Go version from %q, want the action's go.mod", got)
	}
	if build.WorkingDirectory != "${{ github.action_path }}" || !strings.Contains(build.Run, `-o "$RUNNER_TEMP/ownerbot" ./cmd/bot`) {
		t.Errorf("the build step runs %q in %q, want ./cmd/bot built to $RUNNER_TEMP/ownerbot in the action's directory", build.Run, build.WorkingDirectory)
	}
	if !strings.Contains(check.Env["OWNERBOT"], "format('{0}/ownerbot', runner.temp)") {
		t.Errorf("the check step runs %q, not the binary the build step writes", check.Env["OWNERBOT"])
	}
	if !strings.Contains(upload.If, "!cancelled()") || !strings.Contains(upload.If, "inputs.upload-sarif == 'true'") {
		t.Errorf("the upload runs if %q; want it after a failed check too, when enabled", upload.If)
	}
	if upload.With["sarif_file"] != "${{ steps.check.outputs.sarif-file }}" || upload.With["category"] != "${{ inputs.sarif-category }}" {
		t.Errorf("the upload's inputs are %v", upload.With)
	}
}

// buildOwnerbot builds the binary as the action does.
func buildOwnerbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ownerbot")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-action", "-o", bin, "github.com/ownerbot/ownerbot/cmd/bot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build ownerbot: %v\n%s", err, out)
	}
	return bin
}

// actionRun is one run of the action's script, with what it left behind.
type actionRun struct {
	code            int
	stdout, summary string
	outputs         map[string]string
	sarif           []byte // nil when the script named no SARIF file
}

// runActionScript runs the script with bash as the runner would, with env
// added to what the runner sets.
func runActionScript(t *testing.T, bin, workspace string, env map[string]string) actionRun {
	t.Helper()
	tmp := t.TempDir()
	files := map[string]string{"GITHUB_OUTPUT": filepath.Join(tmp, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(tmp, "summary.md")}
	for _, f := range files {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", filepath.Join(root, actionScript))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + tmp,
		"OWNERBOT=" + bin, "GITHUB_WORKSPACE=" + workspace, "RUNNER_TEMP=" + tmp,
		"GITHUB_OUTPUT=" + files["GITHUB_OUTPUT"], "GITHUB_STEP_SUMMARY=" + files["GITHUB_STEP_SUMMARY"],
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	r := actionRun{stdout: stdout.String(), outputs: map[string]string{}}
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Errorf("the script wrote to standard error: %s", stderr.String())
	}
	out, _ := os.ReadFile(files["GITHUB_OUTPUT"])
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			r.outputs[k] = v
		}
	}
	summary, _ := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	r.summary = string(summary)
	if f := r.outputs["sarif-file"]; f != "" {
		if r.sarif, err = os.ReadFile(f); err != nil {
			t.Errorf("sarif-file %s: %v", f, err)
		}
	}
	return r
}

// gitRepo makes a real git repository of files in dir, with one commit.
func gitRepo(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "init", "--quiet", "--initial-branch=main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "--quiet", "-m", "Add files")
	return dir
}

func TestActionScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildOwnerbot(t)
	// Review dates that stay current: the script runs check as of today.
	reviewed := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	rootOwners := "version: 1\nowner: \"@acme/all\"\ntier: 3\nreview: {last_reviewed: \"" + reviewed + "\"}\n"
	clean := map[string]string{".github/CODEOWNERS": "* @acme/all\n", "OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured}
	warnings := map[string]string{".github/CODEOWNERS": "* @acme/all\n/gone/ @acme/x\n", "OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured}
	errorsOnly := map[string]string{"OWNERS.yaml": rootOwners, "a.go": "", ".github/ownerbot.yaml": configured} // no CODEOWNERS

	for _, tt := range []struct {
		name   string
		files  map[string]string
		failOn string
		want   int
	}{
		{"clean", clean, "error", 0},
		{"warnings, fail-on error", warnings, "error", 0},
		{"warnings, fail-on warning", warnings, "warning", 1},
		{"errors, fail-on error", errorsOnly, "error", 1},
		{"errors, fail-on never", errorsOnly, "never", 0},
		{"errors, fail-on not given", errorsOnly, "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws := gitRepo(t, t.TempDir(), tt.files)
			r := runActionScript(t, bin, ws, map[string]string{"INPUT_PATH": ".", "INPUT_FAIL_ON": tt.failOn})
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.want, r.stdout)
			}
			if r.outputs["exit-code"] != string(rune('0'+tt.want)) {
				t.Errorf("exit-code output %q, want %d", r.outputs["exit-code"], tt.want)
			}
			if want, _ := filepath.EvalSymlinks(ws); r.outputs["checkout-path"] != want {
				t.Errorf("checkout-path %q, want %q", r.outputs["checkout-path"], want)
			}
			// The report goes to the log with workflow commands stopped.
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			token, ok := strings.CutPrefix(lines[0], "::stop-commands::")
			if !ok || len(token) < 32 || !slices.Contains(lines, "::"+token+"::") || !strings.Contains(r.stdout, "CODEOWNERS") {
				t.Errorf("the log does not hold the report between ::stop-commands:: and its resume:\n%s", r.stdout)
			}
			if !strings.HasPrefix(r.summary, "### ownerbot\n") {
				t.Errorf("summary:\n%s", r.summary)
			}
			if r.sarif == nil {
				t.Fatal("no SARIF file")
			}
			var sarif struct {
				Runs []struct {
					Results []struct {
						Level string `json:"level"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(r.sarif, &sarif); err != nil {
				t.Fatal(err)
			}
			levels := map[string]int{}
			for _, res := range sarif.Runs[0].Results {
				levels[res.Level]++
			}
			if wantErrors := tt.files[".github/CODEOWNERS"] == ""; (levels["error"] > 0) != wantErrors {
				t.Errorf("SARIF results by level %v", levels)
			}
			t.Run("SARIF validates", func(t *testing.T) {
				if err := schematest.ValidateSARIF(t, r.sarif); err != nil {
					t.Errorf("SARIF does not validate against the 2.1.0 schema: %v", err)
				}
			})
		})
	}

	t.Run("a checkout in a directory of the workspace", func(t *testing.T) {
		ws := t.TempDir()
		gitRepo(t, filepath.Join(ws, "src"), clean)
		r := runActionScript(t, bin, ws, map[string]string{"INPUT_PATH": "src"})
		if r.code != 0 || !strings.HasSuffix(r.outputs["checkout-path"], string(filepath.Separator)+"src") {
			t.Errorf("exit %d, outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})

	for _, tt := range []struct {
		name  string
		setup func(ws string) map[string]string
		want  string // the error annotation
	}{
		{"bad fail-on", func(string) map[string]string { return map[string]string{"INPUT_FAIL_ON": "sometimes"} },
			"::error title=ownerbot::fail-on must be error, warning or never, not 'sometimes'"},
		{"no such path", func(string) map[string]string { return map[string]string{"INPUT_PATH": "nope"} },
			"::error title=ownerbot::path 'nope' is not a directory of the workspace; did actions/checkout run first?"},
		{"a broken checkout", func(ws string) map[string]string {
			if err := os.WriteFile(filepath.Join(ws, ".git"), []byte("gitdir: /nonexistent\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "::error title=ownerbot::"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws := t.TempDir()
			r := runActionScript(t, bin, ws, tt.setup(ws))
			if r.code != 2 || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, want 2 and %q in the log:\n%s", r.code, tt.want, r.stdout)
			}
			if r.outputs["sarif-file"] != "" || r.outputs["exit-code"] != "2" {
				t.Errorf("outputs %v, want exit-code 2 and no SARIF file", r.outputs)
			}
			if !strings.Contains(r.summary, "ownerbot check could not run") {
				t.Errorf("summary:\n%s", r.summary)
			}
		})
	}

	// With a token, the job finds what only GitHub knows; what ownerbot
	// says about it becomes notices in the log and lines of the summary.
	t.Run("with GitHub", func(t *testing.T) {
		_, dir, env := widgets(t, widgetFiles)
		r := runActionScript(t, bin, dir, env)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stdout)
		}
		if !strings.Contains(r.stdout, "::notice title=ownerbot::owners checked against GitHub (acme/widgets at ") {
			t.Errorf("no notice of what was asked in the log:\n%s", r.stdout)
		}
		if !strings.Contains(r.summary, "\n- owners checked against GitHub (acme/widgets at ") {
			t.Errorf("the summary does not say what was asked:\n%s", r.summary)
		}
		if strings.Contains(r.stdout+r.summary+string(r.sarif), env["GITHUB_TOKEN"]) {
			t.Error("the token appears in the output")
		}
		var rules []string
		var sarif struct {
			Runs []struct {
				Results []struct {
					RuleID string `json:"ruleId"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(r.sarif, &sarif); err != nil {
			t.Fatal(err)
		}
		for _, res := range sarif.Runs[0].Results {
			rules = append(rules, res.RuleID)
		}
		if n := strings.Count(strings.Join(rules, " "), "codeowners.unknown_owner"); n != 2 {
			t.Errorf("%d codeowners.unknown_owner results, want 2: %v", n, rules)
		}
	})
}

// hookFile is the subset of pre-commit's hook definition that ours use.
type hookFile []struct {
	ID            string `yaml:"id"`
	Name          string `yaml:"name"`
	Description   string `yaml:"description"`
	Language      string `yaml:"language"`
	Entry         string `yaml:"entry"`
	PassFilenames *bool  `yaml:"pass_filenames"`
	Files         string `yaml:"files"`
}

func TestPreCommitHooks(t *testing.T) {
	var hooks hookFile
	decodeStrict(t, ".pre-commit-hooks.yaml", &hooks)
	byID := map[string]int{}
	for i, h := range hooks {
		byID[h.ID] = i
		if h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("%s: pass_filenames must be false: ownerbot checks the whole tree", h.ID)
		}
		if !strings.Contains(h.Entry, " check ") || !strings.HasSuffix(h.Entry, "--offline") {
			t.Errorf("%s: entry %q, want check, offline", h.ID, h.Entry)
		}
	}
	wantLang := map[string]string{"ownerbot-check": "golang", "ownerbot-check-system": "system"}
	for id, lang := range wantLang {
		i, ok := byID[id]
		if !ok {
			t.Errorf("no hook %s", id)
			continue
		}
		if hooks[i].Language != lang {
			t.Errorf("%s: language %q, want %q", id, hooks[i].Language, lang)
		}
	}
	if i, ok := byID["ownerbot-check-system"]; ok && strings.Fields(hooks[i].Entry)[0] != "ownerbot" {
		t.Errorf("the system hook runs %q, want the installed ownerbot", hooks[i].Entry)
	}

	// pre-commit builds a golang hook with `go install ./...`, which names
	// each binary after its package's directory: the entry must be that name.
	if i, ok := byID["ownerbot-check"]; ok {
		out, err := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "github.com/ownerbot/ownerbot/...").Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		mains := strings.Fields(string(out))
		if len(mains) != 1 {
			t.Fatalf("main packages %v, want one for `go install ./...` to build", mains)
		}
		if got, want := strings.Fields(hooks[i].Entry)[0], path.Base(mains[0]); got != want {
			t.Errorf("the golang hook runs %q, but `go install ./...` builds %q", got, want)
		}
	}

	// The files ownerbot reads, named by the code that reads them, start
	// the hook; other files do not.
	res := evaluateExample(t)
	want := append([]string{config.Path}, codeowners.Locations...)
	for _, dir := range []string{"", "services/payments/"} {
		want = append(want, dir+owners.FileName, dir+exception.FileName)
	}
	for _, rbs := range res.Runbooks {
		for _, rb := range rbs {
			want = append(want, rb.Path)
		}
	}
	if len(res.Runbooks) == 0 {
		t.Fatal("the example has no runbooks to match")
	}
	notWanted := []string{
		"main.go", "go.mod", "README.txt", "internal/codeowners/codeowners.go", "src/CODEOWNERS", "CODEOWNERS.bak",
		"OWNERS.yml", "MY_OWNERS.yaml", "services/OWNERS.yaml.orig", "ownerbot.yaml", "config/.github/ownerbot.yaml",
	}
	for _, h := range hooks {
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Errorf("%s: files: %v", h.ID, err)
			continue
		}
		for _, p := range want {
			if !re.MatchString(p) {
				t.Errorf("%s: files does not match %s", h.ID, p)
			}
		}
		for _, p := range notWanted {
			if re.MatchString(p) {
				t.Errorf("%s: files matches %s, which ownerbot does not read", h.ID, p)
			}
		}
	}
}

// evaluateExample evaluates the example monorepo, for the runbooks its
// units select.
func evaluateExample(t *testing.T) *policy.Result {
	t.Helper()
	tree, err := snapshot.Open(example)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	res, err := policy.Evaluate(tree, policy.Options{Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
