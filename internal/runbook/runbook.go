// Package runbook reads runbooks — Markdown files with an owner and a review
// date in their front matter — and says whether they are current and whether
// their relative links resolve.
package runbook

import (
	"bytes"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// MaxSize bounds a runbook, and any Markdown file read to check an anchor.
// Real runbooks are a few kilobytes; a caller may read MaxSize+1 bytes and
// let Parse report a file that is larger.
const MaxSize = 1 << 20

// MaxFrontMatter bounds the front matter: three keys and a docs generator's
// title and tags fit many times over.
const MaxFrontMatter = 64 << 10

// The keys of the front matter ownerbot reads; others belong to other tools.
const (
	KeyOwner          = "owner"
	KeyLastReviewed   = "last_reviewed"
	KeyReviewInterval = "review_interval"
)

// A Runbook is one runbook as written. Fields left out of the front matter
// are zero; the caller applies the unit's owner and interval.
type Runbook struct {
	Path string // repository-relative path of the file

	Owner        string              // "" when not declared: the unit's owner applies
	LastReviewed time.Time           // midnight UTC; zero when missing or invalid
	Interval     strictyaml.Duration // zero when not declared: the caller's default applies

	// LastCommit is the time of the last commit that touched the file. The
	// caller may set it when MissingLastReviewed reports true, so Problems
	// can show it as context; it never counts as a review.
	LastCommit time.Time

	// Lines where front matter keys are written, so findings about a key
	// can point at it.
	Lines map[string]int

	// Links are the Markdown links of the body, in order, external ones
	// included. A file larger than MaxSize has none.
	Links []Link

	// Anchors are the fragment ids the file defines (heading slugs and
	// explicit ids), lower-cased, in order.
	Anchors []string

	problems      []Problem
	missingReview int // index in problems of the missing last_reviewed, or -1
}

// A Problem is something wrong with a runbook, at a position. Line 0 means
// the file as a whole.
type Problem = strictyaml.FileProblem

// Parse reads the runbook at path (repository-relative). It returns what it
// could read and every problem found; a runbook with any problem is Invalid,
// but still yields its valid fields, links and anchors.
func Parse(filePath string, data []byte) (*Runbook, []Problem) {
	r := &Runbook{Path: filePath, Lines: map[string]int{}, missingReview: -1}
	tooLarge := len(data) > MaxSize
	if tooLarge {
		r.errorf(0, 0, "the file is %d bytes, more than the %d a runbook may have; only its front matter is read", len(data), MaxSize)
		// Front matter sits at the top, so it is still read within its own
		// bound; the body, and so its links, are not. Cutting at a line end
		// keeps the last character whole.
		data = data[:MaxSize]
		if nl := bytes.LastIndexByte(data, '\n'); nl >= 0 {
			data = data[:nl+1]
		} else {
			for len(data) > 0 && !utf8.RuneStart(data[len(data)-1]) {
				data = data[:len(data)-1]
			}
			data = data[:max(0, len(data)-1)] // the start of a cut character, or a whole one
		}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	doc := newDocument(data)
	r.checkEncoding(doc)
	bodyLine := r.frontMatter(doc)
	if !tooLarge {
		r.Links, r.Anchors = doc.scan(bodyLine, true)
	}
	return r, r.Problems()
}

func (r *Runbook) errorf(line, column int, format string, args ...any) {
	r.problems = append(r.problems, Problem{Path: r.Path, Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// checkEncoding reports the first byte that is not UTF-8 and the first NUL:
// GitHub shows a file with NUL bytes as binary, not as a page.
func (r *Runbook) checkEncoding(doc *document) {
	if !utf8.Valid(doc.data) {
		at := strictyaml.FirstInvalidUTF8(doc.data)
		line, col := doc.position(at)
		r.errorf(line, col, "the file is not valid UTF-8 (the first bad byte is here); save it as UTF-8")
	}
	if at := bytes.IndexByte(doc.data, 0); at >= 0 {
		line, col := doc.position(at)
		r.errorf(line, col, "the file holds a NUL byte, so GitHub shows it as binary, not as a page")
	}
}

const frontMatterHelp = "start the file with a line `---`, then `last_reviewed: \"YYYY-MM-DD\"` (and optionally owner and review_interval), then a line `---`"

// frontMatter finds, decodes and checks the front matter. It returns the
// index of the first line of the body.
func (r *Runbook) frontMatter(doc *document) int {
	if doc.lineCount() == 0 || !isDelimiter(doc.line(0), false) {
		for i := 0; i < doc.lineCount() && i < 20; i++ {
			if len(bytes.TrimSpace(doc.line(i))) == 0 {
				continue
			}
			if isDelimiter(doc.line(i), false) {
				r.missingReview = len(r.problems)
				r.errorf(i+1, 1, "the front matter must start on the first line of the file, not on line %d", i+1)
				return 0
			}
			break
		}
		r.missingReview = len(r.problems)
		r.errorf(1, 1, "the runbook has no front matter: "+frontMatterHelp)
		return 0
	}
	end := -1
	for i := 1; i < doc.lineCount(); i++ {
		if isDelimiter(doc.line(i), true) {
			end = i
			break
		}
	}
	if end < 0 {
		r.errorf(1, 1, "the front matter that starts here never ends: add a line `---` after its last key")
		return 0
	}
	yamlStart, yamlEnd := doc.starts[1], doc.starts[end]
	if yamlEnd-yamlStart > MaxFrontMatter {
		r.errorf(1, 1, "the front matter is %d bytes, more than the %d it may have", yamlEnd-yamlStart, MaxFrontMatter)
		return end + 1
	}
	// YAML refuses text that is not UTF-8; the encoding is reported once
	// already, so bad bytes become U+FFFD, one character each, which keeps
	// every line and column where it was.
	text := doc.data[yamlStart:yamlEnd]
	if !utf8.Valid(text) {
		text = replaceInvalid(text)
	}
	var d strictyaml.Decoder
	root := d.Parse(text, 2*MaxFrontMatter+len(text))
	if root != nil {
		r.decode(&d, root)
	}
	for _, p := range d.Problems {
		line, col := p.Line+1, p.Column // the YAML starts on the file's second line
		if p.Line == 0 {
			line, col = 1, 1
		}
		r.errorf(line, col, "%s", p.Message)
	}
	switch {
	case root == nil && len(d.Problems) == 0:
		r.missingReview = len(r.problems)
		r.errorf(1, 1, "the front matter is empty: it needs at least `%s: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook", KeyLastReviewed)
	case root != nil && root.Kind == yaml.MappingNode && !strictyaml.Has(root, KeyLastReviewed):
		r.missingReview = len(r.problems)
		r.errorf(root.Line+1, root.Column, "%s is required: add `%s: \"YYYY-MM-DD\"`, the date someone last reviewed this runbook", KeyLastReviewed, KeyLastReviewed)
	}
	return end + 1
}

// isDelimiter reports whether a line is `---` (or `...` where the front
// matter ends), allowing trailing blanks as Jekyll and Hugo do.
func isDelimiter(line []byte, closing bool) bool {
	line = bytes.TrimRight(line, " \t")
	return string(line) == "---" || closing && string(line) == "..."
}

func replaceInvalid(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func (r *Runbook) decode(d *strictyaml.Decoder, root *yaml.Node) {
	d.SharedFields(root, "the front matter", map[string]func(*yaml.Node){
		KeyOwner: func(v *yaml.Node) {
			r.Lines[KeyOwner] = v.Line + 1
			if s, ok := d.NonEmpty(v, KeyOwner); ok && checkHandle(d, v, s) {
				r.Owner = s
			}
		},
		KeyLastReviewed: func(v *yaml.Node) {
			r.Lines[KeyLastReviewed] = v.Line + 1
			r.LastReviewed, _ = d.Date(v, KeyLastReviewed)
		},
		KeyReviewInterval: func(v *yaml.Node) {
			r.Lines[KeyReviewInterval] = v.Line + 1
			r.Interval, _ = d.Duration(v, KeyReviewInterval)
		},
	})
}

// checkHandle accepts a GitHub user or team; an e-mail address cannot be
// mentioned, assigned or asked to review.
func checkHandle(d *strictyaml.Decoder, n *yaml.Node, s string) bool {
	o, err := codeowners.ParseOwner(s)
	switch {
	case err != nil:
		d.Errorf(n, "owner %q is not a GitHub @user or @org/team", s)
		return false
	case o.Kind == codeowners.Email:
		d.Errorf(n, "owner %q is an e-mail address; name a GitHub @user or @org/team", s)
		return false
	}
	return true
}

// MissingLastReviewed reports whether the front matter lacks last_reviewed,
// the one case where the caller may look up LastCommit to show as context.
func (r *Runbook) MissingLastReviewed() bool { return r.missingReview >= 0 }

// Problems returns every problem Parse found, the missing last_reviewed with
// the LastCommit context when the caller has set it.
func (r *Runbook) Problems() []Problem {
	out := slices.Clone(r.problems)
	if r.missingReview >= 0 && !r.LastCommit.IsZero() {
		out[r.missingReview].Message += fmt.Sprintf(" (the last commit to touch the file is from %s, but an edit is not a review)",
			r.LastCommit.UTC().Format(strictyaml.DateLayout))
	}
	return out
}

// Dir is the runbook's directory: "" at the root of the repository.
func (r *Runbook) Dir() string { return strictyaml.Dir(r.Path) }
