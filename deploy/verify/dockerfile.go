package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// The runtime image: distroless static (no libc, no shell) as its nonroot
// user, by tag and optionally pinned by digest.
var distrolessNonroot = regexp.MustCompile(`^gcr\.io/distroless/static(-debian[0-9]+)?:nonroot(@sha256:[0-9a-f]{64})?$`)

// The build image: the official Go image at a full release, x.y.z.
var goImage = regexp.MustCompile(`^(docker\.io/(library/)?)?golang:([0-9]+\.[0-9]+\.[0-9]+)(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?$`)

var (
	ldflagsArg = regexp.MustCompile(`-ldflags[= ]("([^"]*)"|'([^']*)'|(\S+))`)
	goLine     = regexp.MustCompile(`(?m)^go[ \t]+([0-9][0-9.]*)[ \t]*$`)
)

// The OCI labels the image must carry.
var ociLabels = []string{
	"org.opencontainers.image.source",
	"org.opencontainers.image.version",
	"org.opencontainers.image.revision",
	"org.opencontainers.image.licenses",
}

// checkDockerfile checks the invariants of deploy/Dockerfile, parsed by
// BuildKit's own parser: a build stage on a pinned Go image that builds a
// static, trimmed, stamped binary with its modules in a layer of their own,
// and a distroless runtime stage that runs it as a numeric non-root user
// without a shell. goModGo is go.mod's go directive ("" skips that check).
// The warnings BuildKit's parser gives (part of what docker build --check
// reports) are problems too.
func checkDockerfile(name string, src []byte, goModGo string) []Problem {
	var ps problems
	at := func(loc []parser.Range) string {
		if len(loc) == 0 {
			return name
		}
		return fmt.Sprintf("%s:%d", name, loc[0].Start.Line)
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		ps.add(name, "does not parse: %v", err)
		return ps
	}
	for _, w := range res.Warnings {
		where := name
		if w.Location != nil {
			where = fmt.Sprintf("%s:%d", name, w.Location.Start.Line)
		}
		ps.add(where, "BuildKit: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		ps.add(at(loc), "BuildKit check %s: %s", rule, msg)
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		ps.add(name, "does not parse: %v", err)
		return ps
	}
	args := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				args[kv.Key] = *kv.Value
			}
		}
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string { return args[k] })
	}

	if len(stages) < 2 {
		ps.add(name+":1", "one stage only: build in a stage of its own and copy only the binary into the runtime stage")
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			if add, ok := c.(*instructions.AddCommand); ok {
				for _, src := range add.SourcePaths {
					if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
						ps.add(at(add.Location()), "ADD fetches %s at build time: the build is then neither reproducible nor reviewable; vendor the file and COPY it", src)
					}
				}
			}
		}
	}
	if len(stages) == 0 {
		return ps
	}

	build := -1
	for i, st := range stages[:len(stages)-1] {
		if slices.ContainsFunc(st.Commands, func(c instructions.Command) bool {
			run, ok := c.(*instructions.RunCommand)
			return ok && strings.Contains(strings.Join(run.CmdLine, " "), "go build")
		}) {
			build = i
		}
	}
	if build < 0 {
		ps.add(name, "no stage before the last runs `go build`: the binary must be built in a stage of its own")
	} else {
		checkBuildStage(&ps, stages[build], expand(stages[build].BaseName), goModGo, at)
	}
	final := stages[len(stages)-1]
	checkFinalStage(&ps, final, expand(final.BaseName), at)
	return ps
}

func checkBuildStage(ps *problems, st instructions.Stage, base, goModGo string, at func([]parser.Range) string) {
	where := at(st.Location)
	if m := goImage.FindStringSubmatch(base); m == nil {
		ps.add(where, "the build stage starts from %q: want the official Go image at a full release (golang:1.x.y)", base)
	} else if goModGo != "" && compareVersions(m[3], goModGo) < 0 {
		ps.add(where, "the build stage's Go %s is older than go.mod's go %s", m[3], goModGo)
	}
	cgoOff := false
	modDownload, copyAll := -1, -1
	var goBuild *instructions.RunCommand
	for i, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "CGO_ENABLED" {
					cgoOff = kv.Value == "0"
				}
			}
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			if strings.Contains(line, "go mod download") && modDownload < 0 {
				modDownload = i
			}
			if strings.Contains(line, "go build") {
				goBuild = c
				if strings.Contains(line, "CGO_ENABLED=0") {
					cgoOff = true
				}
			}
		case *instructions.CopyCommand:
			if c.From == "" && slices.Contains(c.SourcePaths, ".") && copyAll < 0 {
				copyAll = i
			}
		}
	}
	if !cgoOff {
		ps.add(where, "the build stage does not set CGO_ENABLED=0: the binary would link libc, which distroless static lacks")
	}
	switch {
	case modDownload < 0:
		ps.add(where, "the build stage never runs `go mod download`: modules would be fetched again on every source change")
	case copyAll >= 0 && modDownload > copyAll:
		ps.add(at(st.Commands[modDownload].Location()), "`go mod download` runs after COPY of the whole context: its layer is rebuilt on every source change; copy go.mod and go.sum first")
	}
	if goBuild == nil {
		return
	}
	line := strings.Join(goBuild.CmdLine, " ")
	if !strings.Contains(line, "-trimpath") {
		ps.add(at(goBuild.Location()), "`go build` without -trimpath: the binary would carry the builder's paths")
	}
	ldflags := ldflagsOf(line)
	for _, want := range []string{"-s", "-w"} {
		if !slices.Contains(ldflags, want) {
			ps.add(at(goBuild.Location()), "-ldflags lacks %s: the binary would keep its symbol table and debug data", want)
		}
	}
	for _, want := range []string{"main.version=", "main.commit="} {
		if !slices.ContainsFunc(ldflags, func(f string) bool { return strings.HasPrefix(f, want) }) {
			ps.add(at(goBuild.Location()), "-ldflags does not stamp %s…: `ownerbot version` would not say what it is", want)
		}
	}
}

// ldflagsOf returns the words of the -ldflags argument of a go build
// command line.
func ldflagsOf(line string) []string {
	m := ldflagsArg.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	return strings.Fields(m[2] + m[3] + m[4])
}

func checkFinalStage(ps *problems, st instructions.Stage, base string, at func([]parser.Range) string) {
	where := at(st.Location)
	if !distrolessNonroot.MatchString(base) {
		ps.add(where, "the final stage starts from %q: want gcr.io/distroless/static-debian12:nonroot (static, non-root, no shell)", base)
	}
	var (
		user       *instructions.UserCommand
		entrypoint *instructions.EntrypointCommand
		copied     []string
		exposed    bool
		labels     = map[string]bool{}
	)
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			ps.add(at(c.Location()), "RUN in the final stage: the runtime image has no shell; do the work in the build stage")
		case *instructions.UserCommand:
			user = c
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.CmdCommand:
			if c.PrependShell {
				ps.add(at(c.Location()), "CMD in shell form needs /bin/sh, which the runtime image lacks: write it as a JSON array")
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				dst := c.DestPath
				if strings.HasSuffix(dst, "/") {
					dst += src[strings.LastIndex(src, "/")+1:]
				}
				copied = append(copied, dst)
			}
		case *instructions.ExposeCommand:
			for _, p := range c.Ports {
				if p == "8080" || p == "8080/tcp" {
					exposed = true
				}
			}
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = true
			}
		}
	}
	switch {
	case user == nil:
		ps.add(where, "no USER in the final stage: the binary would run as root")
	default:
		uid, gid, hasGID := strings.Cut(user.User, ":")
		u, err := strconv.Atoi(uid)
		switch {
		case err != nil:
			ps.add(at(user.Location()), "USER %s is not numeric: Kubernetes can only verify runAsNonRoot for a numeric uid", user.User)
		case u == 0:
			ps.add(at(user.Location()), "USER %s is root", user.User)
		}
		if _, err := strconv.Atoi(gid); hasGID && err != nil {
			ps.add(at(user.Location()), "USER %s: the group is not numeric", user.User)
		}
	}
	switch {
	case entrypoint == nil:
		ps.add(where, "no ENTRYPOINT in the final stage")
	case entrypoint.PrependShell:
		ps.add(at(entrypoint.Location()), "ENTRYPOINT in shell form needs /bin/sh, which the runtime image lacks, and would not pass signals on: write it as a JSON array")
	case len(entrypoint.CmdLine) == 0 || !slices.Contains(copied, entrypoint.CmdLine[0]):
		ps.add(at(entrypoint.Location()), "ENTRYPOINT runs %q, which no COPY in the final stage puts there", strings.Join(entrypoint.CmdLine, " "))
	}
	if !exposed {
		ps.add(where, "the final stage does not EXPOSE 8080, serve's port")
	}
	for _, l := range ociLabels {
		if !labels[l] {
			ps.add(where, "the final stage has no LABEL %s", l)
		}
	}
}

// compareVersions compares dotted Go versions numerically: "1.26.8" is
// newer than "1.26.0", and "1.26" equals "1.26.0".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// goDirective returns the go directive of a go.mod file.
func goDirective(gomod []byte) (string, error) {
	m := goLine.FindSubmatch(gomod)
	if m == nil {
		return "", fmt.Errorf("no go directive")
	}
	return string(m[1]), nil
}
