package snapshot

import (
	"fmt"
	"os"
)

// MergeBase returns the best common ancestor of two commits of the
// repository at dir (a checkout or a bare repository): what a pull request
// from b into a is compared with, as GitHub compares it. When there are
// several, it returns the first go-git finds; when there is none, an error.
func MergeBase(dir, a, b string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	repo, err := openRepository(dir)
	if err != nil {
		return "", err
	}
	defer repo.close()
	ca, err := repo.resolve(a)
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	cb, err := repo.resolve(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	bases, err := ca.MergeBase(cb)
	if err != nil {
		return "", fmt.Errorf("%s: merge base of %s and %s: %w", dir, a, b, err)
	}
	if len(bases) == 0 {
		return "", fmt.Errorf("%s: %s and %s have no common history", dir, a, b)
	}
	return bases[0].Hash.String(), nil
}
