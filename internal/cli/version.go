package cli

import (
	"context"
	"fmt"
	"runtime"
)

func runVersion(_ context.Context, stdio IO, build Build, args []string) error {
	fs := newFlags("version", "version", stdio.Stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	version, commit := build.Version, build.Commit
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	_, err = fmt.Fprintf(stdio.Stdout, "ownerbot %s (commit %s, %s %s/%s)\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
