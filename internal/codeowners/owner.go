package codeowners

import (
	"errors"
	"fmt"
	"strings"
)

// OwnerKind says how an owner is written.
type OwnerKind uint8

// The three ways GitHub lets a CODEOWNERS line name an owner.
const (
	User  OwnerKind = iota + 1 // @login
	Team                       // @org/team-slug
	Email                      // someone@example.com
)

func (k OwnerKind) String() string {
	switch k {
	case User:
		return "user"
	case Team:
		return "team"
	case Email:
		return "email"
	}
	return "unknown"
}

// An Owner is one owner of a rule, exactly as written.
type Owner struct {
	Name   string
	Kind   OwnerKind
	Column int // 1-based column of the owner on its line; 0 when not from a file
}

func (o Owner) String() string { return o.Name }

// parseOwner validates the syntax of one owner token. Existence and write
// access need GitHub and are checked elsewhere.
func parseOwner(tok string) (Owner, *syntaxError) {
	switch {
	case strings.HasPrefix(tok, "@"):
		name := tok[1:]
		if org, slug, isTeam := strings.Cut(name, "/"); isTeam {
			if off := badLogin(org); off >= 0 {
				return Owner{}, ownerError(tok, 1+off, "")
			}
			if off := badSlug(slug); off >= 0 {
				return Owner{}, ownerError(tok, 1+len(org)+1+off, "")
			}
			return Owner{Name: tok, Kind: Team}, nil
		}
		if off := badLogin(name); off >= 0 {
			return Owner{}, ownerError(tok, 1+off, "")
		}
		return Owner{Name: tok, Kind: User}, nil
	case strings.Contains(tok, "@"):
		if off := badEmail(tok); off >= 0 {
			return Owner{}, ownerError(tok, off, "")
		}
		return Owner{Name: tok, Kind: Email}, nil
	}
	suggestion := ""
	if badLogin(tok) < 0 {
		suggestion = "write @" + tok + " for a GitHub user, or @org/" + tok + " for a team"
	}
	return Owner{}, ownerError(tok, 0, suggestion)
}

func ownerError(tok string, off int, suggestion string) *syntaxError {
	if off > len(tok) {
		off = len(tok)
	}
	if suggestion == "" {
		suggestion = "write owners as @user, @org/team or an e-mail address"
	}
	return &syntaxError{
		offset:     off,
		msg:        fmt.Sprintf("%q is not a valid owner; GitHub skips the whole line", tok),
		suggestion: suggestion,
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// badLogin returns the offset of the first byte that cannot be part of a
// GitHub login or organization name, or -1 when s is valid. Logins are letters,
// digits and hyphens, not starting with a hyphen; enterprise managed users add
// an underscore and a short code.
func badLogin(s string) int {
	if s == "" {
		return 0
	}
	if s[0] == '-' || s[0] == '_' {
		return 0
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return i
		}
	}
	return -1
}

// badSlug is badLogin for team slugs, which may also hold dots.
func badSlug(s string) int {
	if s == "" {
		return 0
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return i
		}
	}
	return -1
}

// badEmail checks an address against RFC 5322's dot-atom form on both sides of
// the @, with a domain of at least two labels.
func badEmail(s string) int {
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return 0
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' {
			if i == 0 || i == len(local)-1 || local[i-1] == '.' {
				return i
			}
			continue
		}
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
			return i
		}
	}
	base := len(local) + 1
	if domain == "" {
		return base
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return len(s)
	}
	off := base
	for _, label := range labels {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return off
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return off + i
			}
		}
		off += len(label) + 1
	}
	return -1
}

// ParseOwner checks the syntax of one owner as CODEOWNERS accepts it: @user,
// @org/team or an e-mail address. Whether the owner exists needs GitHub.
func ParseOwner(s string) (Owner, error) {
	o, err := parseOwner(s)
	if err != nil {
		return Owner{}, errors.New(err.msg)
	}
	return o, nil
}
