package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

type initOptions struct {
	repo       string
	dryRun     bool
	now        string
	config     bool
	exceptions bool
}

// runInit writes the files that adopt ownerbot in a repository: an
// OWNERS.yaml for each directory that needs one (owners.Propose), and on
// request the configuration and exceptions skeletons. It never overwrites a
// file, so running it again writes nothing new.
func runInit(_ context.Context, stdio IO, _ Build, args []string) error {
	var opts initOptions
	flags := newFlags("init", "init [--repo DIR] [--dry-run] [--config] [--exceptions] [--now YYYY-MM-DD]\n\n"+
		"Writes the OWNERS.yaml files a repository needs, from the ownership it already keeps: CODEOWNERS,\n"+
		"Backstage descriptors, prow OWNERS. Existing files are never changed; run it again at any time.", stdio.Stdout)
	flags.StringVar(&opts.repo, "repo", ".", "the repository checkout to adopt")
	flags.BoolVar(&opts.dryRun, "dry-run", false, "print what would be written, write nothing")
	flags.StringVar(&opts.now, "now", "", "the review date to write, YYYY-MM-DD (default today)")
	flags.BoolVar(&opts.config, "config", false, "also write "+config.Path+", the configuration skeleton")
	flags.BoolVar(&opts.exceptions, "exceptions", false, "also write "+exception.FileName+" at the root, with no exception yet")
	rest, err := flags.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	now, err := parseNow(opts.now)
	if err != nil {
		return err
	}
	if err := checkRepoDir(opts.repo); err != nil {
		return err
	}
	tree, err := snapshot.Open(opts.repo)
	if err != nil {
		return err
	}
	defer tree.Close()
	if tree.Source() == snapshot.GitCommit {
		return fmt.Errorf("%s has no work tree to write to (a bare repository): run init in a checkout", opts.repo)
	}
	res, err := policy.Evaluate(tree, policy.Options{Now: now, Organization: organizationOf(opts.repo, "", stdio.Getenv)})
	if err != nil {
		return err
	}
	props := owners.Propose(owners.ProposeInput{
		Paths: res.Paths, CODEOWNERS: res.Ruleset, Name: res.CODEOWNERS, Units: res.Units, Today: now,
	})
	if opts.config {
		skeleton := configSkeleton
		if res.CODEOWNERS == "" {
			skeleton += codeownersLater
		}
		props = append(props, owners.Proposal{Path: config.Path, Content: []byte(skeleton), Why: "the configuration skeleton (--config)"})
	}
	if opts.exceptions {
		props = append(props, owners.Proposal{Path: exception.FileName, Content: []byte(exceptionsSkeleton), Why: "the exceptions skeleton (--exceptions)"})
	}

	written := 0
	for _, p := range props {
		if _, err := tree.Stat(p.Path); err == nil {
			continue // --config or --exceptions over a file that exists
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if opts.dryRun {
			fmt.Fprintf(stdio.Stdout, "would write %s: %s\n", gfm.Printable(p.Path), gfm.Printable(p.Why))
			for _, line := range splitLines(string(p.Content)) {
				fmt.Fprintf(stdio.Stdout, "  | %s\n", gfm.Printable(line))
			}
			written++
			continue
		}
		if err := writeNew(opts.repo, p.Path, p.Content); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Stdout, "wrote %s: %s\n", gfm.Printable(p.Path), gfm.Printable(p.Why))
		written++
	}
	switch {
	case written == 0:
		fmt.Fprintf(stdio.Stdout, "nothing to write: every unit has its OWNERS.yaml\n")
	case !opts.dryRun:
		fmt.Fprintf(stdio.Stdout, "\nNext: fill in the TODOs with each team, run 'ownerbot check', and open one pull request with these files.\n")
	}
	return nil
}

// writeNew creates a file under repo that must not exist yet, through
// os.Root so no link in the checkout can lead the write elsewhere.
func writeNew(repo, name string, data []byte) error {
	root, err := os.OpenRoot(repo)
	if err != nil {
		return err
	}
	defer root.Close()
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(repo, name), err)
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(repo, name), err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(repo, name), err)
	}
	return nil
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// configSkeleton starts a repository's configuration in the first step of
// adoption that reports errors: warn, with a missing runbook a warning until
// the units have written theirs.
const configSkeleton = `# ownerbot's configuration, written by ` + "`ownerbot init --config`" + `.
# Every key is in the README ("Configuration"); the schema is docs/schema/ownerbot.schema.json.
# Adoption: observe (report only) -> warn (the check passes with warnings) -> enforce.
mode: warn
rules:
  # Raise to error once every production unit of tier 1 and 2 has a runbook.
  runbook.missing: warning
`

// codeownersLater keeps a repository without CODEOWNERS — one whose
// reviews prow assigns from OWNERS, say — passing while it decides.
const codeownersLater = `  # There is no CODEOWNERS file yet, so GitHub requests no reviews from owners;
  # raise to error once there is one (ownerbot codeowners generate can write it).
  codeowners.missing: warning
`

const exceptionsSkeleton = `# Exceptions to ownerbot's rules for the root unit, written by ` + "`ownerbot init --exceptions`" + `.
# Each one is approved by approving the pull request that adds it, and expires:
#   - id: EXC-2027-001
#     rule: runbook.missing
#     paths: ["legacy/**"]
#     reason: "Retired in Q1; on-call uses the migration guide."
#     expires: "2027-03-31"
version: 1
exceptions: []
`
