package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

type ownersOptions struct {
	repo       string
	codeowners string
	format     string
	nul        bool
}

func runOwners(ctx context.Context, stdio IO, _ Build, args []string) error {
	var opts ownersOptions
	fs := newFlags("owners", "owners [--repo DIR | --codeowners FILE] [--format tsv|json] [-z] [PATH...]\n\n"+
		"Prints the owners of each PATH, or of each line of standard input when no PATH is given. A line that git\n"+
		"quoted (\"\\303\\274n\\303\\257.go\", as git ls-files writes unusual names) is read unquoted; in TSV a path\n"+
		"holding a tab, a newline or another control character, or starting with a double quote, is printed quoted\n"+
		"the same way. With -z nothing is quoted: git ls-files -z | ownerbot owners -z.", stdio.Stdout)
	fs.StringVar(&opts.repo, "repo", "", "the repository checkout whose CODEOWNERS applies (default .)")
	fs.StringVar(&opts.codeowners, "codeowners", "", "a CODEOWNERS file to use instead of a repository's")
	fs.StringVar(&opts.format, "format", "tsv", "output `FORMAT`: tsv (path, a tab, the owners) or json")
	fs.BoolVar(&opts.nul, "z", false, "paths on standard input end in a NUL byte, as git ls-files -z writes them, and each TSV record ends in a NUL; paths are never quoted")
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
			if opts.nul {
				out.WriteString(p)
			} else {
				out.WriteString(quoteTSVPath(p))
			}
			out.WriteByte('\t')
			if r != nil {
				for i, o := range r.Owners {
					if i > 0 {
						out.WriteByte(' ')
					}
					out.WriteString(o.Name)
				}
			}
			if opts.nul {
				return out.WriteByte(0)
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
	if err := eachPath(ctx, paths, stdio.Stdin, opts.nul, emit); err != nil {
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

// eachPath calls fn for each path argument, or for each path on r when
// there is none: each non-empty line, unquoted when git quoted it, or with
// nul each non-empty NUL-terminated record, exactly as it is.
func eachPath(ctx context.Context, paths []string, r io.Reader, nul bool, fn func(string) error) error {
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
	if nul {
		sc.Split(scanNULRecords)
	}
	for n := 0; sc.Scan(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		p := sc.Text()
		if !nul {
			p = strings.TrimSuffix(p, "\r")
			if unquoted, ok := unquoteGitPath(p); ok {
				p = unquoted
			}
		}
		if p == "" {
			continue
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if nul && errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("read paths from standard input: a record of more than 1 MiB without a NUL byte; -z reads NUL-separated paths, as git ls-files -z writes them")
		}
		return fmt.Errorf("read paths from standard input: %w", err)
	}
	return nil
}

// scanNULRecords is a bufio.SplitFunc for records that each end in a NUL
// byte; the last may end at the end of the input instead.
func scanNULRecords(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
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
	if err := checkRepoDir(repo); err != nil {
		return nil, "", err
	}
	fsys, err := openCODEOWNERSFiles(repo)
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

// repoFiles is what loadRuleset reads a repository's CODEOWNERS through.
type repoFiles interface {
	fs.FS
	OutsideLinks() []string
	Close() error
}

// openCODEOWNERSFiles opens the files of repo that decide its CODEOWNERS:
// the working tree of a checkout or plain directory, or HEAD of a bare
// repository, which has no working tree.
func openCODEOWNERSFiles(repo string) (repoFiles, error) {
	if snapshot.IsBare(repo) {
		return snapshot.Open(repo)
	}
	return snapshot.OpenDir(repo)
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

// unquoteGitPath undoes the quoting git applies to unusual path names (see
// core.quotePath in git-config(1)): "\303\274n\303\257.go" is ünï.go. It
// reports false when s is not one double-quoted string in git's syntax, so a
// name that merely starts and ends with a quote, or holds a backslash, stays
// as it is.
func unquoteGitPath(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case '"':
			return "", false // an unescaped quote ends git's string early
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		if i++; i == len(body) {
			return "", false
		}
		switch c = body[i]; c {
		case '\\', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3':
			// Three octal digits, one byte: git writes every byte of a
			// multi-byte character so.
			if i+2 >= len(body) || !isOctal(body[i+1]) || !isOctal(body[i+2]) {
				return "", false
			}
			b.WriteByte((c-'0')<<6 | (body[i+1]-'0')<<3 | (body[i+2] - '0'))
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), true
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// quoteTSVPath returns p as one TSV field: as it is, or quoted as git
// quotes names when it holds what would break the record (a tab, a newline
// or another control character), bytes that are not UTF-8, or starts with a
// double quote, which would read as quoted. Letters outside ASCII stay as
// they are, so a field is quoted exactly when it starts with a quote, and
// unquoteGitPath gives p back.
func quoteTSVPath(p string) string {
	if !needsQuoting(p) {
		return p
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	b.WriteByte('"')
	for i := 0; i < len(p); {
		c := p[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(p[i:])
			if r == utf8.RuneError && size == 1 {
				writeOctal(&b, c)
			} else {
				b.WriteString(p[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			if c < 0x20 || c == 0x7f {
				writeOctal(&b, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

func needsQuoting(p string) bool {
	if strings.HasPrefix(p, `"`) || !utf8.ValidString(p) {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return true
		}
	}
	return false
}

func writeOctal(b *strings.Builder, c byte) {
	b.WriteByte('\\')
	b.WriteByte('0' + c>>6)
	b.WriteByte('0' + c>>3&7)
	b.WriteByte('0' + c&7)
}
