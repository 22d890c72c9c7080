// Command ownerbot is the ownerbot command line and GitHub App.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ownerbot/ownerbot/internal/cli"
)

// Stamped at link time: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = ""
	commit  = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.IO{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: cli.IsTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "",
	}, cli.Build{Version: version, Commit: commit}, os.Args[1:])
	stop()
	os.Exit(code)
}
