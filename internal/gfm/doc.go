package gfm

import "strings"

// A Doc is a Markdown document built from fixed parts and lists. Rendered
// within a size limit, it leaves list items out, last list first and each
// from its end, and puts in their place the line its list writes to say how
// many are left out and where the rest are. Items are whole lines, so a cut
// never falls inside a code span or a marker.
type Doc struct {
	parts []docPart
}

type docPart struct {
	text  string
	keep  bool // never cut, even when the fixed text alone is too long
	list  bool
	items []string
	extra int // items of the list that were never offered
	more  func(left int) string
}

// Write adds fixed text.
func (d *Doc) Write(s ...string) {
	for _, p := range s {
		d.parts = append(d.parts, docPart{text: p})
	}
}

// Keep adds fixed text that survives any cut, such as a hidden marker.
func (d *Doc) Keep(s string) { d.parts = append(d.parts, docPart{text: s, keep: true}) }

// List adds items, each a whole line or block ending in a newline, of a
// list of total (at least len(items); the caller may show only the first
// few). When some are left out, more(left) is written after the rest; it
// must end in a newline too.
func (d *Doc) List(items []string, total int, more func(left int) string) {
	d.parts = append(d.parts, docPart{list: true, items: items, extra: max(total-len(items), 0), more: more})
}

// Len is the size of the whole document, nothing left out.
func (d *Doc) Len() int {
	n := 0
	for _, p := range d.parts {
		n += len(p.text)
		for _, it := range p.items {
			n += len(it)
		}
		if p.extra > 0 {
			n += len(p.more(p.extra))
		}
	}
	return n
}

// CutNote ends a document cut short because even its fixed text was too
// long.
const CutNote = "\n\n… cut here: GitHub limits the size of this text. Run `ownerbot check` for everything.\n"

// Render writes the document in at most limit bytes. It reports how many
// list items it left out.
func (d *Doc) Render(limit int) (string, int) {
	kept := make([]int, len(d.parts))
	moreLen := func(i int) int {
		if left := len(d.parts[i].items) + d.parts[i].extra - kept[i]; left > 0 {
			return len(d.parts[i].more(left))
		}
		return 0
	}
	size := 0
	for i, p := range d.parts {
		kept[i] = len(p.items)
		size += len(p.text)
		for _, it := range p.items {
			size += len(it)
		}
		size += moreLen(i)
	}
	omitted := 0
	for i := len(d.parts) - 1; i >= 0 && size > limit; i-- {
		for kept[i] > 0 && size > limit {
			before := moreLen(i)
			kept[i]--
			omitted++
			size += moreLen(i) - before - len(d.parts[i].items[kept[i]])
		}
	}
	var b strings.Builder
	b.Grow(min(size, limit))
	if size <= limit {
		for i, p := range d.parts {
			b.WriteString(p.text)
			for _, it := range p.items[:kept[i]] {
				b.WriteString(it)
			}
			if left := len(p.items) + p.extra - kept[i]; left > 0 {
				b.WriteString(p.more(left))
			}
		}
		return b.String(), omitted
	}
	// Even the fixed text is too long: keep what must be kept, and as much
	// of the rest as fits, cut at a line's end. Each kept part may need a
	// newline before it.
	keep := 0
	for _, p := range d.parts {
		if p.keep {
			keep += len(p.text) + 1
		}
	}
	budget := max(limit-keep-len(CutNote), 0)
	cut := false
	for _, p := range d.parts {
		switch {
		case p.keep:
			if out := b.String(); out != "" && !strings.HasSuffix(out, "\n") {
				b.WriteByte('\n')
			}
			b.WriteString(p.text)
			continue
		case cut, p.list && len(p.items)+p.extra == 0:
			continue
		case p.list:
			if more := p.more(len(p.items) + p.extra); len(more) <= budget {
				b.WriteString(more)
				budget -= len(more)
				continue
			}
			b.WriteString(CutNote)
			cut = true
			continue
		}
		if len(p.text) <= budget {
			b.WriteString(p.text)
			budget -= len(p.text)
			continue
		}
		part := p.text[:budget]
		if j := strings.LastIndexByte(part, '\n'); j >= 0 {
			b.WriteString(part[:j+1])
		}
		b.WriteString(CutNote)
		cut = true
	}
	return b.String(), omitted
}
