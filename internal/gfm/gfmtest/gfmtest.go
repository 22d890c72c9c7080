// Package gfmtest reads Markdown the way GitHub does, for tests: it parses
// with goldmark and GitHub's extensions (tables, strikethrough, autolinks,
// task lists) and reports what GitHub would make of it: mentions, raw HTML,
// links, code spans and the shape of the document.
package gfmtest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	xhtml "golang.org/x/net/html"
)

// A Doc is Markdown as GitHub reads it.
type Doc struct {
	src  []byte
	root ast.Node
	html string
}

// Parse reads md.
func Parse(md string) (*Doc, error) {
	src := []byte(md)
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	root := gm.Parser().Parse(text.NewReader(src))
	var out bytes.Buffer
	if err := gm.Renderer().Render(&out, src, root); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return &Doc{src: src, root: root, html: out.String()}, nil
}

// CodeSpans are the contents of the inline code spans, as shown.
func (d *Doc) CodeSpans() []string {
	var out []string
	d.walk(func(n ast.Node) {
		if cs, ok := n.(*ast.CodeSpan); ok {
			var b strings.Builder
			for c := cs.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					b.Write(t.Segment.Value(d.src))
				}
			}
			out = append(out, b.String())
		}
	})
	return out
}

// RawHTML is every piece of HTML the Markdown passes through, as written:
// inline tags and whole HTML blocks.
func (d *Doc) RawHTML() []string {
	var out []string
	d.walk(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.RawHTML:
			var b strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				b.Write(s.Value(d.src))
			}
			out = append(out, b.String())
		case *ast.HTMLBlock:
			var b strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				b.Write(s.Value(d.src))
			}
			if n.HasClosure() {
				b.Write(n.ClosureLine.Value(d.src))
			}
			out = append(out, b.String())
		}
	})
	return out
}

// Shape is the document's structure, one node kind a line with its depth:
// blocks, links, images, emphasis and HTML, but not text or code spans.
// Quoted text that changes it has escaped its place.
func (d *Doc) Shape() string {
	var b strings.Builder
	var visit func(n ast.Node, depth int)
	visit = func(n ast.Node, depth int) {
		switch n.(type) {
		case *ast.Text, *ast.String, *ast.CodeSpan:
			return
		}
		kind := n.Kind().String()
		if h, ok := n.(*ast.Heading); ok {
			kind += fmt.Sprint(h.Level)
		}
		if e, ok := n.(*ast.Emphasis); ok {
			kind += fmt.Sprint(e.Level)
		}
		if _, ok := n.(*east.TaskCheckBox); ok {
			kind = "TaskCheckBox"
		}
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat(" ", depth), kind)
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			visit(c, depth+1)
		}
	}
	visit(d.root, 0)
	return b.String()
}

// Links counts the links, autolinks and images.
func (d *Doc) Links() int {
	n := 0
	d.walk(func(x ast.Node) {
		switch x.(type) {
		case *ast.Link, *ast.AutoLink, *ast.Image:
			n++
		}
	})
	return n
}

func (d *Doc) walk(f func(ast.Node)) {
	_ = ast.Walk(d.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			f(n)
		}
		return ast.WalkContinue, nil
	})
}

// Mentions are the names GitHub could notify, lower case, in order: every
// @login or @org/team in the text of the rendered HTML outside code, pre
// and links, where "@" does not follow a letter or digit. The text of a
// block is read as one, across inline tags, with code read as a space: that
// finds more than GitHub does, never less. Where GitHub might end a name
// early (a name followed by a full stop or other punctuation that may
// continue it), every shorter name it could read is listed too.
func (d *Doc) Mentions() ([]string, error) {
	node, err := xhtml.Parse(strings.NewReader(d.html))
	if err != nil {
		return nil, fmt.Errorf("parse rendered html: %w", err)
	}
	var out []string
	var text strings.Builder
	flush := func() {
		out = append(out, mentionsIn(text.String())...)
		text.Reset()
	}
	var visit func(n *xhtml.Node)
	visit = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			text.WriteString(n.Data)
			return
		case xhtml.CommentNode:
			return
		case xhtml.ElementNode:
			switch n.Data {
			case "code", "pre", "a":
				text.WriteByte(' ')
				return
			case "p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "div", "blockquote", "table", "tr", "ul", "ol", "br", "hr":
				flush()
				defer flush()
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(node)
	flush()
	return out, nil
}

func mentionsIn(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '@' || i > 0 && alnum(s[i-1]) || i+1 >= len(s) || !alnum(s[i+1]) {
			continue
		}
		j := i + 1
		for j < len(s) && (alnum(s[j]) || s[j] == '-') {
			j++
		}
		user := j
		if j+1 < len(s) && s[j] == '/' && alnum(s[j+1]) {
			j++
			for j < len(s) && (alnum(s[j]) || s[j] == '-' || s[j] == '_') {
				j++
			}
		}
		out = append(out, strings.ToLower(s[i:j]))
		if !ends(s[j:]) {
			// GitHub may settle for a shorter name: the login alone, or a
			// team cut before a hyphen or underscore.
			if j != user {
				out = append(out, strings.ToLower(s[i:user]))
			}
			for k := i + 2; k < j; k++ {
				if s[k] == '-' || s[k] == '_' {
					out = append(out, strings.ToLower(s[i:k]))
				}
			}
		}
		i = j - 1
	}
	return out
}

// ends reports whether what follows a name surely ends it.
func ends(s string) bool {
	if s == "" {
		return true
	}
	switch s[0] {
	case ' ', '\n', '\t', ',', ';', ':', '!', '?', ')', '\'', '"':
		return true
	case '.':
		return len(s) == 1 || s[1] == ' ' || s[1] == '\n'
	}
	return false
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// Problems checks md as the App must write it: it notifies no one outside
// mentionable (lower-case "@name"s), holds no HTML but the allowed pieces
// (the App's markers and its own tags, written exactly), and has no
// sequence that opens or closes an HTML comment outside them.
func Problems(md string, mentionable []string, allowedHTML ...string) []string {
	var out []string
	d, err := Parse(md)
	if err != nil {
		return []string{err.Error()}
	}
	ms, err := d.Mentions()
	if err != nil {
		out = append(out, err.Error())
	}
	for _, m := range ms {
		if !slices.Contains(mentionable, m) {
			out = append(out, "mentions "+m)
		}
	}
	for _, h := range d.RawHTML() {
		if !slices.Contains(allowedHTML, strings.TrimRight(h, "\n")) {
			out = append(out, fmt.Sprintf("raw HTML %q", h))
		}
	}
	rest := md
	for _, h := range allowedHTML {
		rest = strings.ReplaceAll(rest, h, "")
	}
	for _, seq := range []string{"<!--", "-->", "--!>"} {
		if strings.Contains(rest, seq) {
			out = append(out, fmt.Sprintf("%q outside the App's markers", seq))
		}
	}
	return out
}
