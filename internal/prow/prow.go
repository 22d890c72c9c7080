// Package prow reads the ownership files of prow, the Kubernetes project's CI
// and review bot: OWNERS in any directory and OWNERS_ALIASES at the root of a
// repository, strictly, with every problem at its file, line and column.
//
// It follows prow's own reader (sigs.k8s.io/prow, pkg/repoowners): logins and
// alias names compare in lower case with a leading "@" dropped, aliases expand
// one level, filters are Go regular expressions matched anywhere in a path
// relative to the OWNERS file's directory, and a file that sets approvers,
// reviewers, required_reviewers or labels outside `filters` has its filters
// ignored.
package prow

import (
	"strings"
	"unicode"
)

// File names prow reads: OwnersFile in any directory, AliasesFile only at the
// root of the repository.
const (
	OwnersFile  = "OWNERS"
	AliasesFile = "OWNERS_ALIASES"
)

// MaxSize bounds an OWNERS or OWNERS_ALIASES file: real ones are a few
// hundred bytes, the largest aliases files a few kilobytes.
const MaxSize = 256 << 10

// MaxPatternSize bounds a filter's regular expression, so compiling the
// patterns of one file stays cheap whatever it holds.
const MaxPatternSize = 1000

// maxNameSize bounds a login or alias name: GitHub logins have at most 39
// characters and real alias names a few dozen.
const maxNameSize = 100

// A Name is a GitHub login or an alias as written, and where.
type Name struct {
	Value        string
	Line, Column int
}

// Key is how prow compares names: lower case, without a leading "@".
func Key(name string) string {
	return strings.TrimPrefix(strings.ToLower(name), "@")
}

// ValidLogin reports whether s (after an optional leading "@") has the shape
// of a GitHub login: letters, digits and single hyphens, neither first nor
// last, at most 39 characters.
func ValidLogin(s string) bool {
	s = strings.TrimPrefix(s, "@")
	if len(s) == 0 || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// GitHubHandle is how ownerbot writes a login: "@login", spelled as written
// (GitHub and ownerbot compare logins without regard to case; prow's lower
// case is only how it compares).
func GitHubHandle(login string) string {
	return "@" + strings.TrimPrefix(login, "@")
}

// nameFlaw says why s cannot be a login or an alias name ownerbot accepts, or
// "" when it can be either. Prow itself would take any text as an alias
// name; a space or comma is always a mistake in practice ("alice, bob" read
// as one name), so ownerbot refuses it in both files.
func nameFlaw(s string) string {
	switch {
	case strings.TrimPrefix(s, "@") == "":
		return "is empty"
	case len(s) > maxNameSize:
		return "is longer than any login or alias name"
	}
	for _, r := range s {
		switch {
		case r == ',':
			return "has a comma (write one name per list entry)"
		case unicode.IsSpace(r):
			return "has a space (write one name per list entry)"
		case !unicode.IsPrint(r):
			return "has a control character"
		}
	}
	return ""
}
