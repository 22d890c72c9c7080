package codeowners

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// A synthetic repository: a deterministic tree of files and a CODEOWNERS file
// of realistic mixed shapes drawn from that tree, for benchmarks at sizes the
// datasets do not reach and for checking the index on many rule shapes.
type synthetic struct {
	files      []string
	codeowners []byte
}

var (
	synthTop  = []string{"services", "libs", "docs", "tools", "web", "infra", "api", "cmd", "internal", "pkg", "scripts", "test", "vendor", "third_party", "config"}
	synthExts = []string{".go", ".go", ".go", "_test.go", ".ts", ".tsx", ".md", ".py", ".yaml", ".json", ".java", ".c", ".h", ".proto", ".sql", ".sh", ".txt"}
	synthName = []string{"Makefile", "README.md", "Dockerfile", "OWNERS.yaml", "go.mod", "package.json", "BUILD", "LICENSE"}
	synthSyl  = []string{"al", "be", "cor", "dat", "en", "fo", "gri", "hu", "io", "ja", "ka", "lo", "mi", "no", "ox", "pa", "qu", "ra", "si", "tu", "ur", "ve", "wo", "xe", "yo", "ze"}
)

func synthWord(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(3) {
		b.WriteString(synthSyl[rng.IntN(len(synthSyl))])
	}
	return b.String()
}

// newSynthetic builds nfiles files in about nfiles/10 directories and nrules
// rules, all from seed.
func newSynthetic(nfiles, nrules int, seed uint64) synthetic {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dirs := slices.Clone(synthTop)
	for len(dirs) < nfiles/10 {
		// New directories hang mostly below shallow ones, so the tree is
		// bushy near the root and deep in places, as real trees are.
		parent := dirs[rng.IntN(len(dirs))]
		if strings.Count(parent, "/") > 2+rng.IntN(6) {
			parent = dirs[rng.IntN(len(synthTop))]
		}
		dirs = append(dirs, parent+"/"+synthWord(rng))
	}
	seen := map[string]bool{}
	var files []string
	for len(files) < nfiles {
		dir := dirs[rng.IntN(len(dirs))]
		name := synthWord(rng) + synthExts[rng.IntN(len(synthExts))]
		if rng.IntN(12) == 0 {
			name = synthName[rng.IntN(len(synthName))]
		}
		if f := dir + "/" + name; !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	slices.Sort(files)

	var b strings.Builder
	b.WriteString("# synthetic CODEOWNERS\n* @org/everyone\n")
	for i := range nrules {
		dir := dirs[rng.IntN(len(dirs))]
		file := files[rng.IntN(len(files))]
		ext := synthExts[rng.IntN(len(synthExts))]
		var pat string
		switch k := rng.IntN(100); {
		case k < 35: // an anchored directory
			pat = "/" + dir + "/"
		case k < 50: // an anchored file
			pat = "/" + file
		case k < 60: // a file the nuttx way: anchored by its middle slash
			pat = file
		case k < 66: // a directory's files of one kind
			pat = "/" + dir + "/*" + ext
		case k < 70: // a directory's direct children
			pat = "/" + dir + "/*"
		case k < 73: // a kind of file anywhere
			pat = "*" + ext
		case k < 77: // a name anywhere
			pat = synthName[rng.IntN(len(synthName))]
		case k < 81: // a directory name anywhere
			pat = dir[strings.LastIndexByte(dir, '/')+1:] + "/"
		case k < 85: // everything below a directory, at any depth
			pat = "**/" + dir[strings.LastIndexByte(dir, '/')+1:] + "/**"
		case k < 89: // a kind of file below a directory, at any depth
			pat = "/" + dir + "/**/*" + ext
		case k < 93: // a wildcard in the middle
			segs := strings.Split(dir, "/")
			segs[rng.IntN(len(segs))] = "*"
			pat = "/" + strings.Join(segs, "/") + "/"
		default: // a glob on names
			pat = "/" + dir + "/" + synthWord(rng)[:2] + "*"
		}
		switch o := rng.IntN(20); {
		case o == 0: // no owners: un-owns
			fmt.Fprintf(&b, "%s\n", pat)
		case o < 12:
			fmt.Fprintf(&b, "%s @org/team-%d\n", pat, i%500)
		case o < 17:
			fmt.Fprintf(&b, "%s @user-%d @org/team-%d\n", pat, i%3000, i%500)
		default:
			fmt.Fprintf(&b, "%s dev%d@example.com\n", pat, i%2000)
		}
	}
	return synthetic{files: files, codeowners: []byte(b.String())}
}

// TestSyntheticAgainstReferences checks the index on a synthetic tree, whose
// rule shapes are more varied than any one dataset's; under -race or
// -short on a smaller tree, unless the run is exhaustive.
func TestSyntheticAgainstReferences(t *testing.T) {
	nfiles, nrules := 4000, 1200
	if (raceEnabled || testing.Short()) && !datasettest.Exhaustive(t,
		"under -race or -short, 700 files and 250 rules instead of 4,000 and 1,200") {
		nfiles, nrules = 700, 250
	}
	s := newSynthetic(nfiles, nrules, 1)
	rs := Parse(s.codeowners)
	if len(rs.Problems) != 0 || len(rs.Rules) != nrules+1 {
		t.Fatalf("synthetic file: %d rules, problems %v", len(rs.Rules), rs.Problems)
	}
	compareAll(t, "synthetic", rs, newOracle(t, rs), s.files)
	// The shapes must actually decide files, or the comparison proves little.
	deciders := map[int]bool{}
	for _, f := range s.files {
		deciders[indexLine(rs, f)] = true
	}
	if len(deciders) < nrules/10 {
		t.Errorf("only %d distinct lines decide %d files", len(deciders), nfiles)
	}
}
