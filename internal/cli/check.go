package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/report"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

type checkOptions struct {
	repo   string
	ref    string
	format string
	failOn string
	now    string
	org    string
	writes reportFiles
	github githubFlags
}

// A checkout is what check knows of the tree it evaluated besides the
// result: where it is and which commit it is, for asking GitHub.
type checkout struct {
	dir    string
	commit string          // "" for a plain directory or a repository without commits
	source snapshot.Source // the index, a commit, or a directory
	files  []string        // every file of the tree, ignored ones included
}

// evaluate opens the repository at repo — its checkout, or the commit ref
// names when ref is set — and evaluates it as of the day --now names (today
// when empty), with git history for the dates evaluation needs.
func evaluate(repo, ref, nowFlag string, org *config.Org, organization string) (*policy.Result, time.Time, error) {
	res, now, _, err := evaluateCheckout(repo, ref, nowFlag, org, organization)
	return res, now, err
}

// organizationOf names the GitHub organization (or user) that holds the
// checkout, for the {org} of owner templates: the OWNER of --github-repo,
// else of the origin remote, else of $GITHUB_REPOSITORY; "" when none says.
func organizationOf(dir, repoFlag string, getenv func(string) string) string {
	repo := repoFlag
	if repo == "" {
		if _, origin, ok := originRepo(dir); ok {
			repo = origin
		}
	}
	if repo == "" {
		if getenv == nil {
			getenv = os.Getenv
		}
		repo = getenv("GITHUB_REPOSITORY")
	}
	if !validRepo(repo) {
		return ""
	}
	owner, _, _ := strings.Cut(repo, "/")
	return owner
}

// readOrgConfig reads an organization's ownerbot.yaml for --org-config; ""
// is none. A file with mistakes is refused, each mistake on its own line.
func readOrgConfig(path string) (*config.Org, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	org, problems := config.ParseOrg(data, func(id string) bool { _, ok := policy.Lookup(id); return ok }, policy.ConfigOptions())
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = fmt.Sprintf("%s:%d:%d: %s", path, p.Line, p.Column, p.Message)
		}
		return nil, usagef("--org-config: %s", strings.Join(lines, "\n"))
	}
	return &org, nil
}

// evaluateCheckout is evaluate, also saying which checkout and commit it
// evaluated.
func evaluateCheckout(repo, ref, nowFlag string, org *config.Org, organization string) (*policy.Result, time.Time, checkout, error) {
	now, err := parseNow(nowFlag)
	if err != nil {
		return nil, now, checkout{}, err
	}
	if err := checkRepoDir(repo); err != nil {
		return nil, now, checkout{}, err
	}
	var tree *snapshot.Tree
	if ref != "" {
		tree, err = snapshot.OpenRef(repo, ref)
	} else {
		tree, err = snapshot.Open(repo)
	}
	if err != nil {
		return nil, now, checkout{}, err
	}
	defer tree.Close()
	co := checkout{dir: repo, commit: tree.Commit(), source: tree.Source(), files: tree.Paths()}
	res, err := policy.Evaluate(tree, policy.Options{Now: now, Org: org, History: tree.ChangeTimes, Organization: organization})
	return res, now, co, err
}

// checkRepoDir checks that --repo names a directory, so that a mistyped
// path is an error naming it rather than a remark on what it lacks.
func checkRepoDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--repo %s: no such directory", dir)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("--repo %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("--repo %s: not a directory", dir)
	}
	return nil
}

func runCheck(ctx context.Context, stdio IO, build Build, args []string) error {
	var opts checkOptions
	fs := newFlags("check", "check [--repo DIR] [--ref REF] [--format text|json|sarif|markdown] [--fail-on error|warning|never] [--now YYYY-MM-DD] "+
		"[--org-config FILE] [--write FORMAT=FILE]... [--github-token TOKEN] [--github-api-url URL] [--github-repo OWNER/NAME] [--offline]", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", ".", "the repository checkout to evaluate")
	fs.StringVar(&opts.ref, "ref", "", "evaluate this commit, branch or tag as committed, not the working tree")
	fs.StringVar(&opts.format, "format", "text", "output format: text, json, sarif or markdown")
	fs.StringVar(&opts.failOn, "fail-on", "error", "exit 1 when a finding is at this `LEVEL` or worse: error, warning or never")
	fs.StringVar(&opts.now, "now", "", "evaluate as of this day, YYYY-MM-DD (default today)")
	fs.StringVar(&opts.org, "org-config", "", "judge under this organization `FILE` (the ownerbot.yaml of the organization's .github repository), as the App does")
	fs.Var(&opts.writes, "write", "also write the report in another format to a file, as `FORMAT=FILE` such as sarif=ownerbot.sarif (repeatable)")
	// No defaults from the environment here: -h prints defaults, and a
	// token must never be printed.
	fs.StringVar(&opts.github.token, "github-token", "", "check owners against GitHub with this `TOKEN` (default $GITHUB_TOKEN; prefer the variable: a flag shows in process lists)")
	fs.StringVar(&opts.github.apiURL, "github-api-url", "", "GitHub's REST API at `URL` (default $GITHUB_API_URL, else https://api.github.com/; GitHub Enterprise Server: https://HOST/api/v3/)")
	fs.StringVar(&opts.github.repo, "github-repo", "", "the repository on GitHub, as `OWNER/NAME` (default: the checkout's origin remote, else $GITHUB_REPOSITORY)")
	fs.BoolVar(&opts.github.offline, "offline", false, "never ask GitHub, even with a token (also OWNERBOT_OFFLINE=1)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if err := oneOf("format", opts.format, "text", "json", "sarif", "markdown"); err != nil {
		return err
	}
	if err := oneOf("fail-on", opts.failOn, "error", "warning", "never"); err != nil {
		return err
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	ghCfg, err := opts.github.config(getenv)
	if err != nil {
		return err
	}

	org, err := readOrgConfig(opts.org)
	if err != nil {
		return err
	}
	res, now, co, err := evaluateCheckout(opts.repo, opts.ref, opts.now, org, organizationOf(opts.repo, opts.github.repo, getenv))
	if err != nil {
		return err
	}
	if ghCfg != nil {
		notes := checkWithGitHub(ctx, ghCfg, co, res, now)
		for _, n := range notes {
			fmt.Fprintf(stdio.Stderr, "ownerbot check: %s\n", n)
		}
	}

	out := bufio.NewWriter(stdio.Stdout)
	err = writeReport(out, opts.format, res, co.files, build, stdio.Terminal)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return err
	}
	for _, f := range opts.writes {
		if err := writeReportFile(f, res, co.files, build); err != nil {
			return err
		}
	}
	if opts.failOn != "never" {
		threshold, _ := policy.ParseSeverity(opts.failOn)
		if res.Count(threshold) > 0 {
			return &exitError{ExitFindings}
		}
	}
	return nil
}

// writeReport renders res in one of check's formats; files are the tree's,
// which SARIF results point at.
func writeReport(w io.Writer, format string, res *policy.Result, files []string, build Build, color bool) error {
	switch format {
	case "json":
		return report.JSON(w, res)
	case "sarif":
		return report.SARIF(w, res, report.SARIFOptions{Version: build.Version, Files: files})
	case "markdown":
		return report.Markdown(w, res)
	}
	return report.Text(w, res, report.TextOptions{Color: color})
}

// A reportFile is one --write: a format and the file it goes to.
type reportFile struct{ format, path string }

// reportFiles is the repeatable --write flag.
type reportFiles []reportFile

func (r *reportFiles) String() string {
	if r == nil {
		return ""
	}
	var parts []string
	for _, f := range *r {
		parts = append(parts, f.format+"="+f.path)
	}
	return strings.Join(parts, " ")
}

func (r *reportFiles) Set(v string) error {
	format, path, ok := strings.Cut(v, "=")
	if !ok || path == "" {
		return fmt.Errorf("want FORMAT=FILE, such as sarif=ownerbot.sarif")
	}
	switch format {
	case "text", "json", "sarif", "markdown":
	default:
		return fmt.Errorf("the format must be one of text, json, sarif, markdown, not %q", format)
	}
	*r = append(*r, reportFile{format, path})
	return nil
}

// writeReportFile writes one --write file.
func writeReportFile(f reportFile, res *policy.Result, files []string, build Build) error {
	file, err := os.Create(f.path)
	if err != nil {
		return fmt.Errorf("write the %s report: %w", f.format, err)
	}
	w := bufio.NewWriter(file)
	err = writeReport(w, f.format, res, files, build, false)
	if err == nil {
		err = w.Flush()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write the %s report to %s: %w", f.format, f.path, err)
	}
	return nil
}
