package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// generate never writes into a bare repository, which has no working tree.
func TestGenerateRefusesABareRepository(t *testing.T) {
	_, bare := bareFixture(t)
	for _, args := range [][]string{{"codeowners", "generate", "--repo", bare}, {"codeowners", "generate", "--check", "--repo", bare}} {
		got := run(t, "", args...)
		want := "ownerbot codeowners: --repo " + bare + " is a bare repository: it has no working tree to write .github/CODEOWNERS to; run codeowners generate in a checkout\n"
		if got.code != ExitUsage || got.stderr != want {
			t.Errorf("%v: exit %d, stderr %q; want %q", args, got.code, got.stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(bare, ".github")); !os.IsNotExist(err) {
		t.Errorf("generate wrote into the bare repository: %v", err)
	}
}
