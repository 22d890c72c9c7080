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

// Build describes the binary: stamped at link time, else read from the
// build information Go records (see [ResolveBuild]).
type Build struct {
	Version string // "dev" when nothing says which
	Commit  string // "" when unknown; "-dirty" when built with local changes
	Time    string // when Commit was made, RFC 3339; "" when unknown
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
		{"coverage", "what each owner holds: files, share, units, runbooks; and what nobody owns", runCoverage},
		{"init", "write the OWNERS.yaml files a repository needs, from the ownership files it has", runInit},
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
	if build.Version == "" {
		// One value for version, serve's log and the SARIF driver.
		build.Version = devVersion
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

// printHelp prints the synopsis and, when the command has flags, each flag
// with its placeholder, its description and its default. A command without
// flags gets no Flags heading.
func (fs *flagSet) printHelp() {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: ownerbot %s\n", fs.synopsis)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			b.WriteString("\nFlags:\n")
			first = false
		}
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		name, usage := fs.placeholder(f)
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(&b, "  %s%s%s\n        %s%s\n", dash, f.Name, name,
			strings.ReplaceAll(usage, "\n", "\n        "), defaultNote(f))
	})
	io.WriteString(fs.stdout, b.String())
}

// placeholder returns the word that stands for a flag's value in the help,
// and its description: the word in backquotes in the description, else the
// one after the flag in the synopsis ("--repo DIR"), else the flag's name
// in capitals. Never a type name such as "string": it says nothing.
func (fs *flagSet) placeholder(f *flag.Flag) (name, usage string) {
	name, usage = flag.UnquoteUsage(f)
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "", usage
	}
	if strings.Contains(f.Usage, "`") {
		return name, usage
	}
	fields := strings.Fields(fs.synopsis)
	for i, field := range fields[:max(len(fields)-1, 0)] {
		field = strings.TrimLeft(field, "[")
		if field != "--"+f.Name && field != "-"+f.Name {
			continue
		}
		if word := strings.TrimRight(fields[i+1], "].|"); isPlaceholder(word) {
			return word, usage
		}
	}
	return strings.ToUpper(f.Name), usage
}

// isPlaceholder reports whether word can stand for a value in the help: a
// word in capitals, or a few joined by = or / (FORMAT=FILE, OWNER/NAME).
func isPlaceholder(word string) bool {
	for _, part := range strings.Split(strings.ReplaceAll(word, "/", "="), "=") {
		if part == "" || part[0] < 'A' || part[0] > 'Z' || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return false
		}
	}
	return true
}

// defaultNote says a flag's default when it is not the zero value, as the
// flag package does.
func defaultNote(f *flag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return ""
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if _, isString := g.Get().(string); isString {
			return fmt.Sprintf(" (default %q)", f.DefValue)
		}
	}
	return fmt.Sprintf(" (default %s)", f.DefValue)
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
