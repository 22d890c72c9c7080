// Command verify checks what ownerbot ships with: the Dockerfile, the image
// build context, the Helm chart's rendered manifests and the chart's values
// documentation. `make chart` (.ci/chart) runs it; each problem is printed
// as one line, "where: what", and the exit code is 1 when there is any.
//
//	verify dockerfile [--gomod go.mod] deploy/Dockerfile
//	verify context [--dockerignore .dockerignore] [--pkg ./cmd/bot] ROOT
//	verify manifests [--shards N] RENDERED.yaml...
//	verify values --values values.yaml --schema values.schema.json --readme README.md
//
// It is a module of its own so that the project's module does not depend
// on Kubernetes or BuildKit.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Exit codes.
const (
	exitOK       = 0
	exitProblems = 1
	exitUsage    = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  verify dockerfile [--gomod go.mod] DOCKERFILE
  verify context [--dockerignore FILE] [--pkg ./cmd/bot] ROOT
  verify manifests [--shards N] RENDERED.yaml...
  verify values --values FILE --schema FILE --readme FILE`

// errUsage marks a command line the command cannot run.
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	var (
		ps      []Problem
		summary string
		err     error
	)
	switch args[0] {
	case "dockerfile":
		ps, summary, err = runDockerfile(args[1:], stderr)
	case "context":
		ps, summary, err = runContext(args[1:], stderr)
	case "manifests":
		ps, summary, err = runManifests(args[1:], stderr)
	case "values":
		ps, summary, err = runValues(args[1:], stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "verify: %v\n%s\n", err, usage)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "verify %s: %v\n", args[0], err)
		return exitProblems
	}
	for _, p := range ps {
		fmt.Fprintln(stdout, p)
	}
	if len(ps) > 0 {
		fmt.Fprintf(stdout, "%s: %d problem(s)\n", args[0], len(ps))
		return exitProblems
	}
	fmt.Fprintln(stdout, summary)
	return exitOK
}

// newFlags returns a flag set that reports errors as usage errors, not by
// exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func runDockerfile(args []string, stderr io.Writer) ([]Problem, string, error) {
	fs := newFlags("dockerfile", stderr)
	gomod := fs.String("gomod", "", "go.mod whose go directive the build image must satisfy")
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		return nil, "", fmt.Errorf("%w: dockerfile takes one file", errUsage)
	}
	name := fs.Arg(0)
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, "", err
	}
	goVersion := ""
	if *gomod != "" {
		data, err := os.ReadFile(*gomod)
		if err != nil {
			return nil, "", err
		}
		if goVersion, err = goDirective(data); err != nil {
			return nil, "", fmt.Errorf("%s: %w", *gomod, err)
		}
	}
	return checkDockerfile(name, src, goVersion), fmt.Sprintf("%s: multi-stage, static trimmed stamped build, distroless nonroot runtime, numeric USER, exec-form ENTRYPOINT: ok", name), nil
}

func runContext(args []string, stderr io.Writer) ([]Problem, string, error) {
	fs := newFlags("context", stderr)
	ignore := fs.String("dockerignore", "", "the .dockerignore to apply (default ROOT/.dockerignore)")
	pkg := fs.String("pkg", "./cmd/bot", "the package the image builds")
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		return nil, "", fmt.Errorf("%w: context takes the root of the build context", errUsage)
	}
	root := fs.Arg(0)
	if *ignore == "" {
		*ignore = filepath.Join(root, ".dockerignore")
	}
	data, err := os.ReadFile(*ignore)
	if err != nil {
		return nil, "", err
	}
	needed, err := neededFiles(root, *pkg)
	if err != nil {
		return nil, "", err
	}
	ps, stats, err := checkBuildContext(os.DirFS(root), data, *ignore, needed)
	if err != nil {
		return nil, "", err
	}
	return ps, fmt.Sprintf("%s: build context of %d files, %.1f MB, holds all %d files that build %s and no credentials: ok",
		*ignore, stats.Files, float64(stats.Bytes)/1e6, len(needed), *pkg), nil
}

func runManifests(args []string, stderr io.Writer) ([]Problem, string, error) {
	fs := newFlags("manifests", stderr)
	var opts manifestOptions
	fs.IntVar(&opts.Shards, "shards", 0, "the number of sweep shards the CronJob must run (0: any)")
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() == 0 {
		return nil, "", fmt.Errorf("%w: manifests takes one or more rendered files", errUsage)
	}
	var all []Problem
	var kinds []string
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, "", err
		}
		objs, ps := decodeManifests(name, data)
		all = append(all, ps...)
		all = append(all, checkManifests(objs, opts)...)
		var names []string
		for _, o := range objs {
			names = append(names, o.Kind)
		}
		kinds = append(kinds, fmt.Sprintf("%s (%d objects: %s)", name, len(objs), strings.Join(names, ", ")))
	}
	return all, "manifests: " + strings.Join(kinds, "; ") + ": ok", nil
}

func runValues(args []string, stderr io.Writer) ([]Problem, string, error) {
	fs := newFlags("values", stderr)
	values := fs.String("values", "", "the chart's values.yaml")
	schema := fs.String("schema", "", "the chart's values.schema.json")
	readme := fs.String("readme", "", "the chart's README.md")
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if *values == "" || *schema == "" || *readme == "" || fs.NArg() != 0 {
		return nil, "", fmt.Errorf("%w: values needs --values, --schema and --readme", errUsage)
	}
	var data [3][]byte
	for i, name := range []string{*values, *schema, *readme} {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, "", err
		}
		data[i] = b
	}
	return checkValuesDoc(*values, data[0], *schema, data[1], *readme, data[2]),
		fmt.Sprintf("values: every value of %s has a schema, a default and a row in %s: ok", *values, *readme), nil
}
