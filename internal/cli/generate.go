package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

type generateOptions struct {
	repo  string
	check bool
}

// runCodeowners dispatches `ownerbot codeowners SUBCOMMAND`.
func runCodeowners(ctx context.Context, stdio IO, build Build, args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		return usagef("the only subcommand is generate: ownerbot codeowners generate [--repo DIR] [--check]")
	}
	return runGenerate(ctx, stdio, build, args[1:])
}

func runGenerate(_ context.Context, stdio IO, _ Build, args []string) error {
	var opts generateOptions
	fs := newFlags("codeowners generate", "codeowners generate [--repo DIR] [--check]\n\nWrites .github/CODEOWNERS from the OWNERS.yaml files, giving each unit's files to its owner.", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", ".", "the repository checkout")
	fs.BoolVar(&opts.check, "check", false, "write nothing; exit 1 when CODEOWNERS is not what generate would write")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	// A bare repository is read at HEAD, but it has no working tree to
	// write CODEOWNERS to, nor one whose file --check could compare.
	if snapshot.IsBare(opts.repo) {
		return fmt.Errorf("--repo %s is a bare repository: it has no working tree to write %s to; run codeowners generate in a checkout", opts.repo, codeowners.Locations[0])
	}
	// The units are what evaluation resolves; their mistakes are check's to
	// report, so a file with problems still generates from what is valid.
	res, _, err := evaluate(opts.repo, "", "", nil, organizationOf(opts.repo, "", stdio.Getenv))
	if err != nil {
		return err
	}
	if res.Units.Root() == nil {
		return fmt.Errorf("no OWNERS.yaml at the root of %s: there is nothing to generate from", opts.repo)
	}
	want := res.Units.GenerateCODEOWNERS()
	target := codeowners.Locations[0]
	if res.CODEOWNERS != "" {
		target = res.CODEOWNERS
	}
	path := filepath.Join(opts.repo, filepath.FromSlash(target))
	got, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if bytes.Equal(got, want) {
		fmt.Fprintf(stdio.Stdout, "%s is up to date (%d units)\n", target, len(res.Units.Units()))
		return nil
	}
	if opts.check {
		fmt.Fprintf(stdio.Stdout, "%s is not what the OWNERS.yaml files generate; run 'ownerbot codeowners generate'\n", target)
		return &exitError{ExitFindings}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, want, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Stdout, "wrote %s (%d units)\n", target, len(res.Units.Units()))
	return nil
}
