package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// devVersion is the version of a binary nothing says the version of.
const devVersion = "dev"

// ResolveBuild completes what -ldflags stamped with what Go recorded in the
// binary (info, from debug.ReadBuildInfo; nil when there is none): the main
// module's version when it is not "(devel)" (go install module@version, or
// go build in a git checkout since Go 1.24), and the commit, whether the
// tree had changes, and the commit's time from the vcs.* settings. So a
// plain go build says which commit it is.
func ResolveBuild(stamped Build, info *debug.BuildInfo) Build {
	b := stamped
	if info != nil {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		var revision, modified, when string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			case "vcs.time":
				when = s.Value
			}
		}
		if b.Commit == "" && revision != "" {
			// As long as a pseudo-version's, which names the same commit.
			b.Commit = revision[:min(len(revision), 12)]
			if modified == "true" {
				b.Commit += "-dirty"
			}
		}
		// The time is the commit's: only when the commit is the one
		// recorded (make stamps git rev-parse --short, a prefix of it).
		if b.Time == "" && revision != "" && strings.HasPrefix(revision, strings.TrimSuffix(b.Commit, "-dirty")) {
			b.Time = when
		}
	}
	if b.Version == "" {
		b.Version = devVersion
	}
	return b
}

func runVersion(_ context.Context, stdio IO, build Build, args []string) error {
	fs := newFlags("version", "version", stdio.Stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	_, err = fmt.Fprintf(stdio.Stdout, "ownerbot %s (%s, %s %s/%s)\n", build.Version, describeCommit(build), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// describeCommit says which commit the binary was built from, and when
// that commit was made when known.
func describeCommit(b Build) string {
	if b.Commit == "" {
		return "commit unknown"
	}
	if b.Time == "" {
		return "commit " + b.Commit
	}
	return fmt.Sprintf("commit %s of %s", b.Commit, b.Time)
}
