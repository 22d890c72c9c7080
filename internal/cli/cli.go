// Package cli implements the ownerbot command line: one options struct and
// one run function per subcommand, and the one place that turns errors into
// exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes, a contract with scripts and CI.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // bad flags, unreadable input, bad configuration
)

// IO is what a command reads and writes; tests pass buffers.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Terminal reports whether Stdout is a terminal, for colour.
	Terminal bool
	// Getenv reads the environment (serve's settings); nil is os.Getenv.
	Getenv func(string) string
}

// Build describes the binary, stamped at link time.
type Build struct {
	Version string
	Commit  string
}

// A usageError is a mistake in how the command was called: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitError carries an exit code other than 0 without a message: the command
// has already said what it had to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, io IO, build Build, args []string) error
}

func commands() []command {
	return []command{
		{"check", "evaluate a checkout and list ownership problems", runCheck},
		{"owners", "print the owners of paths", runOwners},
		{"explain", "explain who owns a path and why", runExplain},
		{"codeowners", "generate CODEOWNERS from OWNERS.yaml (codeowners generate)", runCodeowners},
		{"serve", "run the GitHub App (webhooks, check runs, comments, scheduled sweeps)", runServe},
		{"sweep", "sweep every installed repository once: living issues, stale reviews, missed checks", runSweep},
		{"manifest", "print the GitHub App manifest, or a page that creates the App", runManifest},
		{"doctor", "check a deployment end to end: settings, key, clock, the App on GitHub, installations", runDoctor},
		{"version", "print the version", runVersion},
	}
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, stdio IO, build Build, args []string) int {
	if len(args) == 0 {
		usage(stdio.Stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdio.Stdout)
		return ExitOK
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, stdio, build, args[1:])
		var ue *usageError
		var ee *exitError
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ee):
			return ee.code
		case errors.As(err, &ue):
			fmt.Fprintf(stdio.Stderr, "ownerbot %s: %s (see 'ownerbot %s -h')\n", name, ue.msg, name)
			return ExitUsage
		default:
			fmt.Fprintf(stdio.Stderr, "ownerbot %s: %s\n", name, err)
			return ExitUsage
		}
	}
	fmt.Fprintf(stdio.Stderr, "ownerbot: unknown command %q (see 'ownerbot help')\n", name)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "ownerbot keeps code ownership, runbooks and exceptions current (AWS Well-Architected OPS02).\n\nUsage: ownerbot <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'ownerbot <command> -h' for a command's flags.\n")
}

// A flagSet is a command's flags and its help text.
type flagSet struct {
	*flag.FlagSet
	synopsis string
	stdout   io.Writer
}

// newFlags returns a flag set whose errors become usage errors (one line on
// standard error) and whose -h prints help on standard output.
func newFlags(name, synopsis string, stdout io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every error
	return &flagSet{FlagSet: fs, synopsis: synopsis, stdout: stdout}
}

func (fs *flagSet) printHelp() {
	fmt.Fprintf(fs.stdout, "Usage: ownerbot %s\n\nFlags:\n", fs.synopsis)
	fs.SetOutput(fs.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse parses flags and positional arguments in any order ("explain PATH
// --repo DIR" works); everything after "--" is positional.
func (fs *flagSet) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp()
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// oneOf checks a flag value against its allowed values.
func oneOf(flagName, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usagef("--%s must be one of %s, not %q", flagName, strings.Join(allowed, ", "), value)
}

// IsTerminal reports whether f is a character device, such as a terminal.
func IsTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
