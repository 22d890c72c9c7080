package cli

import (
	"bufio"
	"context"
	"time"

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
}

// evaluate opens the repository at repo — its checkout, or the commit ref
// names when ref is set — and evaluates it as of the day --now names (today
// when empty), with git history for the dates evaluation needs.
func evaluate(repo, ref, nowFlag string) (*policy.Result, time.Time, error) {
	now, err := parseNow(nowFlag)
	if err != nil {
		return nil, now, err
	}
	var tree *snapshot.Tree
	if ref != "" {
		tree, err = snapshot.OpenRef(repo, ref)
	} else {
		tree, err = snapshot.Open(repo)
	}
	if err != nil {
		return nil, now, err
	}
	defer tree.Close()
	res, err := policy.Evaluate(tree, policy.Options{Now: now, History: tree.ChangeTimes})
	return res, now, err
}

func runCheck(ctx context.Context, stdio IO, build Build, args []string) error {
	var opts checkOptions
	fs := newFlags("check", "check [--repo DIR] [--ref REF] [--format text|json|sarif|markdown] [--fail-on error|warning|never] [--now YYYY-MM-DD]", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", ".", "the repository checkout to evaluate")
	fs.StringVar(&opts.ref, "ref", "", "evaluate this commit, branch or tag as committed, not the working tree")
	fs.StringVar(&opts.format, "format", "text", "output format: text, json, sarif or markdown")
	fs.StringVar(&opts.failOn, "fail-on", "error", "exit 1 when a finding is at least this severe: error, warning or never")
	fs.StringVar(&opts.now, "now", "", "evaluate as of this day, YYYY-MM-DD (default today)")
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

	res, _, err := evaluate(opts.repo, opts.ref, opts.now)
	if err != nil {
		return err
	}

	out := bufio.NewWriter(stdio.Stdout)
	switch opts.format {
	case "json":
		err = report.JSON(out, res)
	case "sarif":
		err = report.SARIF(out, res, report.SARIFOptions{Version: build.Version})
	case "markdown":
		err = report.Markdown(out, res)
	default:
		err = report.Text(out, res, report.TextOptions{Color: stdio.Terminal})
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return err
	}
	if opts.failOn != "never" {
		threshold, _ := policy.ParseSeverity(opts.failOn)
		if res.Count(threshold) > 0 {
			return &exitError{ExitFindings}
		}
	}
	return nil
}
