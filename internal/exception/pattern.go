package exception

import (
	"fmt"
	"strings"

	"github.com/ownerbot/ownerbot/internal/codeowners"
)

// A pattern is one of an entry's paths, compiled with CODEOWNERS semantics
// as if the unit's directory were the repository root: a leading "/" or a
// "/" in the middle anchors it to the unit's directory, and a pattern
// without one matches at any depth inside the unit. Nothing it matches can
// lie outside the unit, because it is only ever asked about paths inside.
type pattern struct {
	raw string
	// file matches a path of a file (or of anything not known to be a
	// directory), relative to the unit, exactly as CODEOWNERS would.
	file *codeowners.Rule
	// dir matches a directory, relative to the unit, when the pattern covers
	// everything inside it; nil when the pattern covers no directory whole
	// ("legacy/*" names only the direct children of legacy/).
	dir *codeowners.Rule
	// all: the pattern covers every path of the unit, its directory included.
	all bool
}

// compile checks and compiles one pattern; it returns a message when the
// pattern cannot be used.
func compile(raw string) (pattern, string) {
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return pattern{}, fmt.Sprintf("pattern %q has a control character; paths are plain text", raw)
		}
	}
	switch {
	case strings.TrimSpace(raw) != raw:
		return pattern{}, fmt.Sprintf("pattern %q has spaces around it; remove them", raw)
	case unescapedSpace(raw):
		return pattern{}, fmt.Sprintf("pattern %q has a space, where CODEOWNERS ends a pattern; escape it as `\\ `", raw)
	case strings.HasPrefix(raw, "#"):
		return pattern{}, fmt.Sprintf("pattern %q starts with `#`, which CODEOWNERS reads as a comment; match the name with `?` instead, such as \"?%s\"", raw, raw[1:])
	}
	prevDeep := false
	for _, seg := range strings.Split(raw, "/") {
		// A backslash only escapes; "\.\." is still "..".
		switch plain := strings.ReplaceAll(seg, `\`, ""); {
		case plain == "..":
			return pattern{}, fmt.Sprintf("pattern %q leaves the unit: `..` is not allowed; patterns are relative to the directory of this file and cannot reach outside it", raw)
		case plain == ".":
			return pattern{}, fmt.Sprintf("pattern %q has a `.` segment, which never matches; write the path without it", raw)
		}
		if seg == "**" && prevDeep {
			return pattern{}, fmt.Sprintf("pattern %q repeats `**`; a single `**` already matches any number of directories", raw)
		}
		prevDeep = seg == "**"
	}
	file, msg := parseRule(raw)
	if msg != "" {
		return pattern{}, msg
	}
	p := pattern{raw: raw, file: file}
	form, all, ok := dirForm(raw)
	switch {
	case all:
		p.all = true
	case !ok:
	case form == raw:
		p.dir = file
	default:
		// The form is built from a pattern that parsed, so it parses; if it
		// ever did not, the pattern would just cover no directory.
		p.dir, _ = parseRule(form)
	}
	return p, ""
}

// parseRule compiles a pattern by parsing it as a one-line CODEOWNERS file,
// so exceptions match exactly as CODEOWNERS does.
func parseRule(raw string) (*codeowners.Rule, string) {
	rs := codeowners.Parse([]byte(raw))
	if len(rs.Problems) > 0 {
		p := rs.Problems[0]
		msg := fmt.Sprintf("pattern %q is not a valid CODEOWNERS pattern: %s", raw, p.Message)
		if p.Suggestion != "" {
			msg += " (" + p.Suggestion + ")"
		}
		return nil, msg
	}
	if len(rs.Rules) != 1 || rs.Rules[0].Pattern != raw || len(rs.Rules[0].Owners) > 0 {
		return nil, fmt.Sprintf("pattern %q is not a single CODEOWNERS pattern", raw)
	}
	return &rs.Rules[0], ""
}

// unescapedSpace reports a space or tab that no backslash escapes.
func unescapedSpace(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case ' ', '\t':
			return true
		}
	}
	return false
}

// dirForm derives from a pattern one that matches a directory exactly when
// the pattern covers everything inside that directory. CODEOWNERS treats a
// path as a file: "legacy/" and "legacy/**" match only what is inside
// legacy/, never the path "legacy" itself, and "legacy/*" matches legacy/x
// but not legacy/x/y. A finding on a directory stands for everything inside
// it, so it may only be waived by a pattern that covers all of that:
//
//   - all: "**", "/**", "*" and "**/*" cover every path, the unit's own
//     directory included;
//   - "x/", "x/**" and "x/**/*" cover a directory when "x" matches it or a
//     directory above it, anchored as the original was ("*/" covers every
//     directory but not the unit's, whose top-level files it leaves out);
//   - "x/*" and "/*" cover no directory whole (ok is false);
//   - any other pattern ("legacy", "*.sh", "a/b") covers a directory it
//     matches, as CODEOWNERS owns a directory's contents through its name.
func dirForm(raw string) (form string, all, ok bool) {
	body := strings.TrimPrefix(raw, "/")
	anchored := body != raw
	inside := strings.HasSuffix(body, "/")
	body = strings.TrimSuffix(body, "/")
	segs := strings.Split(body, "/")
	if len(segs) > 1 {
		anchored = true // a "/" in the middle anchors, as in CODEOWNERS
	}
	for {
		n := len(segs)
		if n > 0 && segs[n-1] == "**" {
			segs, inside = segs[:n-1], true
			continue
		}
		if n > 1 && !inside && segs[n-1] == "*" && segs[n-2] == "**" {
			// "x/**/*" is everything at any depth below x.
			segs, inside = segs[:n-2], true
			continue
		}
		break
	}
	n := len(segs)
	switch {
	case n == 0:
		return "", true, true
	case n == 1 && !anchored && !inside && segs[0] == "*":
		return "", true, true
	case !inside && segs[n-1] == "*":
		return "", false, false
	case !inside:
		return raw, false, true
	}
	if segs[n-1] == "*" {
		// A lone "*" last would match only the directories it names, not
		// what lies below them; "?*" matches the same names (path segments
		// are never empty) without that restriction.
		segs[n-1] = "?*"
	}
	form = strings.Join(segs, "/")
	if anchored && n == 1 {
		form = "/" + form
	}
	return form, false, true
}

// matches reports whether the pattern covers rel, a path relative to the
// unit's directory: "" is that directory itself, and isDir says rel is a
// directory, which is covered only when everything inside it is.
func (p *pattern) matches(rel string, isDir bool) bool {
	switch {
	case p.all:
		return true
	case rel == "":
		return false
	case isDir:
		return p.dir != nil && p.dir.Matches(rel)
	}
	return p.file.Matches(rel)
}
