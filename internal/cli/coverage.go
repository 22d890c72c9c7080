package cli

import (
	"bufio"
	"context"

	"github.com/ownerbot/ownerbot/internal/report"
)

type coverageOptions struct {
	repo   string
	ref    string
	format string
	org    string
}

// runCoverage prints what each owner holds of a repository: files (and the
// share of all files), files owned alone, units and runbooks, then the
// shared and unowned files, which with the owners' sole files add up to the
// repository's total.
func runCoverage(_ context.Context, stdio IO, _ Build, args []string) error {
	var opts coverageOptions
	flags := newFlags("coverage", "coverage [--repo DIR] [--ref REF] [--format text|tsv|json] [--org-config FILE]\n\n"+
		"Prints each owner's files, share, files owned alone, units and runbooks, then the files shared by\n"+
		"several owners and the unowned ones: the alone, shared and unowned figures add up to the total.", stdio.Stdout)
	flags.StringVar(&opts.repo, "repo", ".", "the repository checkout to measure")
	flags.StringVar(&opts.ref, "ref", "", "measure this commit, branch or tag as committed, not the working tree")
	flags.StringVar(&opts.format, "format", "text", "output format: text, tsv or json")
	flags.StringVar(&opts.org, "org-config", "", "judge under this organization `FILE`, as the App does")
	rest, err := flags.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if err := oneOf("format", opts.format, "text", "tsv", "json"); err != nil {
		return err
	}
	org, err := readOrgConfig(opts.org)
	if err != nil {
		return err
	}
	res, _, err := evaluate(opts.repo, opts.ref, "", org, organizationOf(opts.repo, "", stdio.Getenv))
	if err != nil {
		return err
	}
	o := report.OwnershipOf(res)
	out := bufio.NewWriter(stdio.Stdout)
	switch opts.format {
	case "tsv":
		err = report.CoverageTSV(out, o)
	case "json":
		err = report.CoverageJSON(out, o)
	default:
		err = report.CoverageText(out, o, 0)
	}
	if err == nil {
		err = out.Flush()
	}
	return err
}
