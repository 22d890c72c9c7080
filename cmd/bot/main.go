// Command ownerbot is the ownerbot command line and GitHub App.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ownerbot/ownerbot/internal/cli"
)

// Stamped at link time: -ldflags "-X main.version=... -X main.commit=...".
// Left empty, they come from the build information (cli.ResolveBuild).
var (
	version = ""
	commit  = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// What -ldflags did not stamp comes from what go build recorded.
	info, _ := debug.ReadBuildInfo()
	build := cli.ResolveBuild(cli.Build{Version: version, Commit: commit}, info)
	code := cli.Main(ctx, cli.IO{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: cli.IsTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "",
	}, build, os.Args[1:])
	stop()
	os.Exit(code)
}
