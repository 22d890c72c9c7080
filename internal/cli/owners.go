package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

type ownersOptions struct {
	repo       string
	codeowners string
	format     string
}

func runOwners(ctx context.Context, stdio IO, _ Build, args []string) error {
	var opts ownersOptions
	fs := newFlags("owners", "owners [--repo DIR | --codeowners FILE] [--format tsv|json] [PATH...]\n\nPrints the owners of each PATH, or of each line of standard input when no PATH is given.", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", "", "the repository checkout whose CODEOWNERS applies (default .)")
	fs.StringVar(&opts.codeowners, "codeowners", "", "a CODEOWNERS file to use instead of a repository's")
	fs.StringVar(&opts.format, "format", "tsv", "output format: tsv (path, a tab, the owners) or json")
	paths, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := oneOf("format", opts.format, "tsv", "json"); err != nil {
		return err
	}
	rs, file, err := loadRuleset(opts.repo, opts.codeowners)
	if err != nil {
		return err
	}
	warnSkipped(stdio.Stderr, rs, file)

	out := bufio.NewWriterSize(stdio.Stdout, 64<<10)
	n := 0
	emit := func(p string) error {
		r := rs.Match(cleanPath(p))
		if opts.format == "tsv" {
			out.WriteString(p)
			out.WriteByte('\t')
			if r != nil {
				for i, o := range r.Owners {
					if i > 0 {
						out.WriteByte(' ')
					}
					out.WriteString(o.Name)
				}
			}
			return out.WriteByte('\n')
		}
		entry := ownersEntry{Path: p, Owners: []string{}}
		if r != nil {
			entry.Owners, entry.Line, entry.Pattern = r.OwnerNames(), r.Line, r.Pattern
		}
		b, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		if n++; n == 1 {
			out.WriteString("[\n  ")
		} else {
			out.WriteString(",\n  ")
		}
		_, err = out.Write(b)
		return err
	}
	if err := eachPath(ctx, paths, stdio.Stdin, emit); err != nil {
		return err
	}
	if opts.format == "json" {
		if n == 0 {
			out.WriteString("[]\n")
		} else {
			out.WriteString("\n]\n")
		}
	}
	return out.Flush()
}

type ownersEntry struct {
	Path    string   `json:"path"`
	Owners  []string `json:"owners"`
	Line    int      `json:"line"`    // the deciding line, 0 when no line matches
	Pattern string   `json:"pattern"` // its pattern, "" when no line matches
}

// eachPath calls fn for each path argument, or for each non-empty line of r
// when there is none.
func eachPath(ctx context.Context, paths []string, r io.Reader, fn func(string) error) error {
	if len(paths) > 0 {
		for _, p := range paths {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read paths from standard input: %w", err)
	}
	return nil
}

// cleanPath turns what a person types ("./src/", "/src/a.go") into a
// repository-relative path.
func cleanPath(p string) string {
	p = path.Clean("/" + filepath.ToSlash(p))
	return strings.TrimPrefix(p, "/")
}

// loadRuleset reads the CODEOWNERS file GitHub would use in repo, or file
// when it is set. name is how to refer to it: its repository-relative path,
// or file as given. A repository's file is read through snapshot.DirFS, so a
// CODEOWNERS that is a symbolic link out of the repository is never read.
func loadRuleset(repo, file string) (rs *codeowners.Ruleset, name string, err error) {
	if repo != "" && file != "" {
		return nil, "", usagef("--repo and --codeowners cannot be used together")
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		if rs, err = codeowners.ReadRuleset(f); err != nil {
			return nil, "", fmt.Errorf("read %s: %w", file, err)
		}
		return rs, file, nil
	}
	if repo == "" {
		repo = "."
	}
	fsys, err := snapshot.OpenDir(repo)
	if err != nil {
		return nil, "", err
	}
	defer fsys.Close()
	found, err := codeowners.Locate(fsys)
	if err != nil {
		return nil, "", err
	}
	if len(found) == 0 {
		if links := fsys.OutsideLinks(); len(links) > 0 {
			return nil, "", fmt.Errorf("no CODEOWNERS file in %s that ownerbot reads: the symbolic link %s leads outside the repository, and ownerbot does not follow it (replace the link with the file)", repo, links[0])
		}
		return nil, "", fmt.Errorf("no CODEOWNERS file in %s (looked for %s)", repo, strings.Join(codeowners.Locations, ", "))
	}
	f, err := fsys.Open(found[0])
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if rs, err = codeowners.ReadRuleset(f); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", filepath.Join(repo, found[0]), err)
	}
	return rs, found[0], nil
}

// warnSkipped tells, on standard error, that some lines of the file do not
// count, so answers that look wrong can be explained.
func warnSkipped(w io.Writer, rs *codeowners.Ruleset, file string) {
	switch {
	case rs.TooLarge:
		fmt.Fprintf(w, "warning: %s is %d bytes; GitHub ignores a CODEOWNERS file of 3 MiB or more, so nothing has an owner\n", file, rs.Size)
	case len(rs.Problems) == 1:
		fmt.Fprintf(w, "warning: GitHub skips 1 line of %s (line %d); run 'ownerbot check' for details\n", file, rs.Problems[0].Line)
	case len(rs.Problems) > 1:
		fmt.Fprintf(w, "warning: GitHub skips %d lines of %s; run 'ownerbot check' for details\n", len(rs.Problems), file)
	}
}
