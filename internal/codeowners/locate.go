package codeowners

import (
	"errors"
	"io/fs"
)

// Locations are where GitHub looks for a CODEOWNERS file, in the order it
// looks: the first one present is used and the others are ignored.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// Locate returns the CODEOWNERS files present in fsys, in GitHub's order of
// precedence: the first is the one GitHub uses. It returns an empty slice when
// there is none, and an error only when a location cannot be inspected.
func Locate(fsys fs.FS) ([]string, error) {
	var found []string
	for _, loc := range Locations {
		info, err := fs.Stat(fsys, loc)
		switch {
		case err == nil && !info.IsDir():
			found = append(found, loc)
		case err == nil, errors.Is(err, fs.ErrNotExist):
		default:
			return found, err
		}
	}
	return found, nil
}
