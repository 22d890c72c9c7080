package backstage

import (
	"fmt"
	"strings"
)

// A Ref names a catalog entity: kind, namespace and name. Kind is lower
// case; namespace and name are as written (the catalog compares them
// without regard to case).
type Ref struct {
	Kind, Namespace, Name string
}

// String returns the full form, kind:namespace/name.
func (r Ref) String() string {
	return r.Kind + ":" + r.Namespace + "/" + r.Name
}

// key is how the catalog finds an entity: Backstage names are unique
// without regard to case.
func (r Ref) key() string { return strings.ToLower(r.String()) }

// ParseRef reads an entity reference written [kind:][namespace/]name. The
// defaults fill in what is left out; a reference that leaves out a part
// with no default is an error, as is a part Backstage would not accept.
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	rest := s
	kind, ns := defaultKind, defaultNamespace
	if k, after, ok := strings.Cut(rest, ":"); ok {
		kind, rest = k, after
	}
	if n, after, ok := strings.Cut(rest, "/"); ok {
		ns, rest = n, after
	}
	switch {
	case s == "":
		return Ref{}, fmt.Errorf("an entity reference is written [kind:][namespace/]name, not an empty text")
	case strings.ContainsAny(rest, ":/"):
		return Ref{}, fmt.Errorf("entity reference %s is not written [kind:][namespace/]name", quote(s))
	case kind == "":
		return Ref{}, fmt.Errorf("entity reference %s names no kind; write it kind:name, such as group:%s", quote(s), rest)
	case !validKind(kind):
		return Ref{}, fmt.Errorf("entity reference %s: kind %s is not a kind: a letter, then letters and digits, at most 63", quote(s), quote(kind))
	case ns == "":
		return Ref{}, fmt.Errorf("entity reference %s names no namespace; write it namespace/name, such as default/%s", quote(s), rest)
	case !validNamespace(strings.ToLower(ns)):
		return Ref{}, fmt.Errorf("entity reference %s: namespace %s is not a namespace: %s", quote(s), quote(ns), namespaceRule)
	case !validName(rest):
		return Ref{}, fmt.Errorf("entity reference %s: %s is not an entity name: %s", quote(s), quote(rest), nameRule)
	}
	return Ref{Kind: strings.ToLower(kind), Namespace: ns, Name: rest}, nil
}

const (
	nameRule      = "1 to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	namespaceRule = "1 to 63 lower-case letters, digits and single '-' between them"
)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validName is Backstage's rule for metadata.name (Kubernetes' object
// names, with upper case allowed).
func validName(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// validNamespace is a DNS label, as Backstage requires of
// metadata.namespace.
func validNamespace(s string) bool {
	if len(s) < 1 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validKind is Backstage's rule for kind: a letter, then letters and
// digits, at most 63.
func validKind(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) || i == 0 && c >= '0' && c <= '9' {
			return false
		}
	}
	return true
}

// quote quotes a value for a message, shortened when it is long: the text
// is hostile and may be a quarter of a megabyte.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}
