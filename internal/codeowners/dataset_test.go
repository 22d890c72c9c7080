package codeowners

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// TestDatasetsIndexReverseOracle runs every file of every dataset through
// the index and the oracle, and through the reverse scan as far as a budget
// allows: the reverse scan costs rules × files, which for apache__nuttx
// (16.7k rules, 27k files) would take most of a minute, so large datasets
// are sampled at a fixed stride there. Under -race or -short, where this
// single-goroutine code gains nothing from the detector, the oracle is
// sampled too, unless the run is exhaustive (OWNERBOT_EXHAUSTIVE=1); the
// index still decides every file of every dataset.
func TestDatasetsIndexReverseOracle(t *testing.T) {
	budget := 40_000_000 // rule matches for the reverse scan per dataset
	oracleFiles := 1 << 30
	if (raceEnabled || testing.Short()) && !datasettest.Exhaustive(t,
		"under -race or -short, the oracle on about 1,500 files of each dataset and the reverse scan on 2,000,000 rule matches") {
		budget, oracleFiles = 2_000_000, 1500
	}
	for _, name := range datasettest.Names(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds := datasettest.Load(t, name)
			rs := Parse(ds.CODEOWNERS)
			o := newOracle(t, rs)
			stride := 1 + len(rs.Rules)*len(ds.Files)/budget
			oracleStride := 1 + len(ds.Files)/oracleFiles
			bad := 0
			for i, f := range ds.Files {
				ix := indexLine(rs, f)
				rev, orc := ix, ix
				if i%stride == 0 {
					rev = reverseScan(rs, f)
				}
				if i%oracleStride == 0 {
					orc = o.decide(f)
				}
				if ix != orc || ix != rev {
					if bad++; bad <= 5 {
						t.Errorf("%q: index line %d, reverse scan %d, oracle %d\n%s",
							f, ix, rev, orc, describeLines(rs, ix, rev, orc))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d files disagree", bad, len(ds.Files))
			}
			t.Logf("%d files, %d rules, reverse scan on every %d. file, oracle on every %d. file",
				len(ds.Files), len(rs.Rules), stride, oracleStride)
		})
	}
}

// A knownDifference is a line where ownerbot and hmarr/codeowners v1.2.1
// (the third-party answer in expected-hmarr.tsv) disagree on purpose.
type knownDifference struct {
	dataset string
	line    int
	class   string
	reason  string
}

var knownDifferences = []knownDifference{
	{
		dataset: "apache__nuttx", line: 246, class: "rfc5322-dot-atom-address",
		reason: "`{ID}+{username}@users.noreply.github.com` is a valid RFC 5322 dot-atom " +
			"address (`{` and `}` are atext), so we keep the line; hmarr rejected the whole line",
	},
	{
		dataset: "apache__nuttx", line: 574, class: "hash-inside-token",
		reason: "`#` inside a token is literal: only `#` at the start of a line or after " +
			"whitespace starts a comment, as in GitHub's inline-comment example; hmarr cut " +
			"the pattern `…/pinephone/#index.rst#` at `#` and read an owner-less rule",
	},
}

func lookupDifference(dataset string, line int) *knownDifference {
	for i := range knownDifferences {
		if d := &knownDifferences[i]; d.dataset == dataset && d.line == line {
			return d
		}
	}
	return nil
}

// wantAgreedRejections is how many lines hmarr rejected and we report too;
// it proves the SOURCE.md list was read.
var wantAgreedRejections = map[string]int{"apache__nuttx": 24}

// TestDatasetsAgainstHmarr compares every file's owners with
// expected-hmarr.tsv. Every difference must be a known, classified one, and
// every line hmarr rejected must be a line we report, or a known difference.
func TestDatasetsAgainstHmarr(t *testing.T) {
	for _, name := range datasettest.Names(t) {
		if _, negative := datasettest.Negative[name]; negative {
			continue // TestGitLabDatasetIsReported
		}
		t.Run(name, func(t *testing.T) {
			ds := datasettest.Load(t, name)
			rs := Parse(ds.CODEOWNERS)
			if rs.TooLarge {
				t.Fatalf("dataset is %d bytes, too large", rs.Size)
			}
			observed := map[int]int{} // known difference line -> files
			for _, f := range ds.Files {
				got, line := "", 0
				if r := rs.Match(f); r != nil {
					got, line = strings.Join(r.OwnerNames(), " "), r.Line
				}
				want := ds.Expected[f]
				if got == want {
					continue
				}
				if d := lookupDifference(name, line); d != nil {
					observed[line]++
					continue
				}
				t.Errorf("unclassified difference: %q: we say %q (line %d), hmarr says %q", f, got, line, want)
			}
			for _, d := range knownDifferences {
				if d.dataset != name {
					continue
				}
				if observed[d.line] == 0 {
					t.Errorf("known difference %s at line %d no longer occurs: remove it", d.class, d.line)
				}
				t.Logf("known difference %s, line %d, %d file(s): %s", d.class, d.line, observed[d.line], d.reason)
			}

			rejected := hmarrRejectedLines(t, ds.Dir)
			problems := map[int]Problem{}
			for _, p := range rs.Problems {
				problems[p.Line] = p
				if !slices.Contains(rejected, p.Line) {
					t.Errorf("we reject line %d, which hmarr accepted: %v", p.Line, p)
				}
			}
			agreed := 0
			for _, line := range rejected {
				switch _, ok := problems[line]; {
				case ok:
					agreed++
				case lookupDifference(name, line) != nil:
				default:
					t.Errorf("hmarr rejected line %d and we neither report it nor classify it", line)
				}
			}
			if agreed != wantAgreedRejections[name] {
				t.Errorf("%d lines rejected by both, want %d", agreed, wantAgreedRejections[name])
			}
		})
	}
}

// hmarrRejectedLines reads the line numbers SOURCE.md lists as rejected.
func hmarrRejectedLines(t *testing.T, dir string) []int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "SOURCE.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, m := range regexp.MustCompile(`(?m)^line (\d+): "`).FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.Atoi(m[1])
		lines = append(lines, n)
	}
	return lines
}

// TestGitLabDatasetIsReported keeps GitLab's CODEOWNERS dialect as a
// negative sample: its section headers and nested-group owners are not
// GitHub syntax, and we must say so on each such line.
func TestGitLabDatasetIsReported(t *testing.T) {
	const name = "gitlabhq__gitlab-runner"
	if !slices.Contains(datasettest.Names(t), name) {
		t.Skipf("dataset %s not present", name)
	}
	ds := datasettest.Load(t, name)
	rs := Parse(ds.CODEOWNERS)

	var want []problemAt
	headers, nested := 0, 0
	for i, line := range strings.Split(string(ds.CODEOWNERS), "\n") {
		if strings.HasPrefix(line, "[") {
			headers++
			want = append(want, problemAt{i + 1, 1, KindInvalidPattern, true})
			continue
		}
		// The first owner with two slashes (@group/subgroup/team) is
		// reported at its second slash. These lines are ASCII: bytes are
		// columns.
		fields := strings.Fields(line)
		for _, f := range fields[min(1, len(fields)):] {
			if !strings.HasPrefix(f, "@") || strings.Count(f, "/") < 2 {
				continue
			}
			first := strings.IndexByte(f, '/')
			second := first + 1 + strings.IndexByte(f[first+1:], '/')
			nested++
			want = append(want, problemAt{i + 1, strings.Index(line, f) + second + 1, KindInvalidOwner, true})
			break
		}
	}
	if headers != 4 || nested != 11 {
		t.Fatalf("found %d section headers and %d nested-group lines, want 4 and 11", headers, nested)
	}
	if diff := cmp.Diff(want, summarize(rs.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(hmarrRejectedLines(t, ds.Dir), problemLines(rs)); diff != "" {
		t.Errorf("lines we reject vs lines hmarr rejected (-hmarr +ours):\n%s", diff)
	}
}

func problemLines(rs *Ruleset) []int {
	var out []int
	for _, p := range rs.Problems {
		out = append(out, p.Line)
	}
	return out
}
