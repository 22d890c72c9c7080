package codeowners

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// checkWellFormed asserts what must hold for any input: problems inside the
// file with a position, rules in increasing line order.
func checkWellFormed(t *testing.T, data []byte, rs *Ruleset) {
	t.Helper()
	lines := countLines(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	for _, p := range rs.Problems {
		if p.Line < 1 || p.Line > lines || p.Column < 1 || p.Message == "" {
			t.Fatalf("problem out of place (file has %d lines): %v", lines, p)
		}
	}
	for i, r := range rs.Rules {
		if r.Line < 1 || r.Line > lines || (i > 0 && r.Line <= rs.Rules[i-1].Line) {
			t.Fatalf("rule %d at line %d out of order or outside %d lines", i, r.Line, lines)
		}
	}
}

func TestBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name         string
		data         []byte
		wantRules    int
		wantProblems []problemAt
	}{
		{name: "empty file", data: nil},
		{name: "only a newline", data: []byte("\n")},
		{name: "only a byte order mark", data: []byte("\xef\xbb\xbf")},
		{name: "only CRLFs", data: []byte("\r\n\r\n")},
		{name: "a lone CR", data: []byte("\r")},
		{name: "no final newline", data: []byte("* @a"), wantRules: 1},
		{name: "NUL bytes", data: []byte("\x00 @a\n* @b\x00\n"), wantRules: 1,
			wantProblems: []problemAt{{2, 5, KindInvalidOwner, true}}},
		{name: "Latin-1 file", data: []byte("# caf\xe9\n/caf\xe9 @a\n* @b\n"), wantRules: 1,
			wantProblems: []problemAt{{2, 5, KindInvalidPattern, true}}},
		{name: "a 1 MB comment", data: []byte("#" + strings.Repeat("x", 1<<20) + "\n* @a\n"), wantRules: 1},
		{name: "a 1 MB blank line", data: []byte(strings.Repeat(" \t", 1<<19) + "\n* @a\n"), wantRules: 1},
		{name: "a 1 MB pattern", data: []byte("/" + strings.Repeat("ab/", 1<<18) + " @a\n* @b\n"), wantRules: 1,
			wantProblems: []problemAt{{1, MaxPatternLen + 1, KindInvalidPattern, true}}},
		{name: "a 1 MB star pattern", data: []byte(strings.Repeat("*a", 1<<19) + " @a\n"),
			wantProblems: []problemAt{{1, MaxPatternLen + 1, KindInvalidPattern, true}}},
		{name: "a 1 MB run of stars", data: []byte(strings.Repeat("*", 1<<20) + " @a\n"),
			wantProblems: []problemAt{{1, MaxPatternLen + 1, KindInvalidPattern, true}}},
		{name: "a 1 MB owner list", data: []byte("*" + strings.Repeat(" @a", 1<<18) + " bad\n"),
			wantProblems: []problemAt{{1, 3<<18 + 3, KindInvalidOwner, true}}},
		{name: "a slash alone", data: []byte("/\n/ @a\n"),
			wantProblems: []problemAt{{1, 1, KindInvalidPattern, true}, {2, 1, KindInvalidPattern, true}}},
		{name: "tabs and CRLF and a BOM together", data: []byte("\xef\xbb\xbf*\t@a\r\n\t/b/\t\t@b\t\r\n"), wantRules: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := Parse(tt.data)
			checkWellFormed(t, tt.data, rs)
			if len(rs.Rules) != tt.wantRules {
				t.Errorf("%d rules, want %d", len(rs.Rules), tt.wantRules)
			}
			if diff := cmp.Diff(tt.wantProblems, summarize(rs.Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rs.Size != len(tt.data) || rs.TooLarge {
				t.Errorf("Size %d TooLarge %v, want %d false", rs.Size, rs.TooLarge, len(tt.data))
			}
		})
	}
	t.Run("binary garbage", func(t *testing.T) {
		rs := Parse(garbage)
		checkWellFormed(t, garbage, rs)
		if len(rs.Problems) == 0 {
			t.Errorf("no problems reported for 64 KiB of random bytes")
		}
		for _, p := range []string{"a", "a/b", string(garbage[:100])} {
			if ix, rev := indexLine(rs, p), reverseScan(rs, p); ix != rev {
				t.Errorf("%q: index %d, reverse scan %d", p, ix, rev)
			}
		}
	})
}

// TestOnlyStarsAndSlashes tries every pattern of up to six "*" and "/": each
// is either rejected with a position or agrees with both references.
func TestOnlyStarsAndSlashes(t *testing.T) {
	paths := []string{"a", "a/b", "a/b/c", "a/b/c/d", "ab", "a.b"}
	patterns := []string{""}
	for n := 1; n <= 6; n++ {
		var next []string
		for _, p := range patterns {
			next = append(next, p+"*", p+"/")
		}
		patterns = next
		var file strings.Builder
		for _, p := range patterns {
			fmt.Fprintf(&file, "%s @o\n", p)
		}
		for _, p := range patterns {
			rs := Parse([]byte(p + " @o\n"))
			checkWellFormed(t, []byte(p), rs)
			if len(rs.Rules)+len(rs.Problems) != 1 {
				t.Fatalf("%q: %d rules and %d problems, want exactly one of either", p, len(rs.Rules), len(rs.Problems))
			}
			compareAll(t, p, rs, newOracle(t, rs), paths)
		}
	}
}

// TestLongPaths matches 4 KiB paths, deep and wide, against patterns that
// work hardest on them.
func TestLongPaths(t *testing.T) {
	rs := Parse([]byte(strings.Join([]string{
		"* @all",
		"/a/*/a/*/ @inside",
		"**/a/**/b @ab",
		"a/**/a/**/a/**/z @aaz",
		"*a*a*a*a*a*b @glob",
		"??????????*b @q",
	}, "\n")))
	paths := []struct{ path, want string }{
		{strings.Repeat("a/", 2048) + "b", "@ab"},        // 2049 segments
		{strings.Repeat("a", 4095) + "b", "@q"},          // one 4 KiB name
		{strings.Repeat("a/aaaa/", 585) + "z", "@aaz"},   // "**" with many ways to split
		{strings.Repeat("x/", 2046) + "aaaaab", "@glob"}, // a glob on the last of many
		{strings.Repeat("a/xx/", 820) + "c", "@inside"},  // anchored, strictly inside
		{strings.Repeat("é/", 1366) + "é", "@all"},       // non-ASCII
		{strings.Repeat("a/", 2048) + "b/", "@ab"},       // trailing slash
		{"/" + strings.Repeat("a", 4095) + "b", "@q"},    // leading slash
		{strings.Repeat("/", 4096), ""},                  // no segment at all
	}
	var all []string
	for _, p := range paths {
		if len(p.path) < 4096 {
			t.Fatalf("path of %d bytes, want at least 4 KiB", len(p.path))
		}
		if got := strings.Join(ownerNames(rs, p.path), " "); got != p.want {
			t.Errorf("%d-byte path %.20q…: owners %q, want %q", len(p.path), p.path, got, p.want)
		}
		all = append(all, p.path)
	}
	compareAll(t, "long paths", rs, newOracle(t, rs), all)
}

// ownerNames is Ruleset.Owners as names.
func ownerNames(rs *Ruleset, path string) []string {
	var out []string
	for _, o := range rs.Owners(path) {
		out = append(out, o.Name)
	}
	return out
}

// TestOddPaths pins how paths that are not clean relative paths are read:
// empty segments do not count, and the empty path is no file.
func TestOddPaths(t *testing.T) {
	rs := Parse([]byte("* @all\n/docs/ @docs\n"))
	tests := []struct{ path, want string }{
		{"", ""},
		{"/", ""},
		{"docs//a", "@docs"},
		{"/docs/a", "@docs"},
		{"docs/a/", "@docs"},
		{"docs", "@all"},
		{"docs/", "@all"}, // a path names a file: docs/ is the file docs
	}
	for _, tt := range tests {
		if got := strings.Join(ownerNames(rs, tt.path), " "); got != tt.want {
			t.Errorf("owners of %q = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestHostileFile parses a file of nearly 3 MB made of 50,000 star-heavy
// rules with some broken ones, then matches 4 KiB paths against it. The
// reverse scan over all 50,000 rules takes seconds per such path, so the
// references judge the same paths against the file's first lines only.
func TestHostileFile(t *testing.T) {
	data, broken := hostileFile(50_000)
	if len(data) >= MaxSize || len(data) < MaxSize*9/10 {
		t.Fatalf("hostile file is %d bytes, want just under %d", len(data), MaxSize)
	}
	rs := Parse(data)
	checkWellFormed(t, data, rs)
	if diff := cmp.Diff(broken, summarize(rs.Problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if want := 50_000 - len(broken); len(rs.Rules) != want {
		t.Errorf("%d rules, want %d", len(rs.Rules), want)
	}
	paths := hostilePaths()
	for _, p := range paths {
		if len(p) < 4096 {
			t.Fatalf("hostile path of %d bytes, want 4 KiB", len(p))
		}
		if r := rs.Match(p); r != nil {
			t.Errorf("%d-byte path matched line %d; the hostile rules match none of these paths", len(p), r.Line)
		}
	}
	prefix := 1000
	if raceEnabled {
		prefix = 300
	}
	small := Parse(data[:bytes.IndexByte(data[prefix*60:], '\n')+prefix*60+1])
	if len(small.Rules) < prefix {
		t.Fatalf("prefix has %d rules, want at least %d", len(small.Rules), prefix)
	}
	for _, p := range paths {
		if ix, rev := indexLine(small, p), reverseScan(small, p); ix != rev {
			t.Errorf("%d-byte path: index line %d, reverse scan %d", len(p), ix, rev)
		}
	}
	// Paths built from the rules' own literals, so that some do match; the
	// oracle judges short paths only, as Go's regexp is slow on 4 KiB ones
	// (TestLongPaths has the oracle on long paths).
	short := []string{"xa0b00042cdefghijklmnopqrst", "q/x/y/a/00041/y1z/b/w/wvutsrqpon", "a/b/c"}
	compareAll(t, "hostile prefix", small, newOracle(t, small), short)
	if indexLine(small, short[0]) != 43 || indexLine(small, short[1]) != 42 {
		t.Errorf("the paths built to match lines 43 and 42 are decided by lines %d and %d",
			indexLine(small, short[0]), indexLine(small, short[1]))
	}
}

// hostileFile returns n rules of about 60 bytes each, all globs with many
// stars that the index cannot file under a literal, and every 1000th one
// broken with "***"; it returns the problems the broken ones must raise.
func hostileFile(n int) ([]byte, []problemAt) {
	var b bytes.Buffer
	var broken []problemAt
	for i := range n {
		switch {
		case i%1000 == 999:
			fmt.Fprintf(&b, "*a*b***c%05d*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t*u*v @o%d\n", i, i)
			broken = append(broken, problemAt{i + 1, 5, KindInvalidPattern, true})
		case i%2 == 0:
			fmt.Fprintf(&b, "*a*?*b*%05d*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t* @org/t%d\n", i, i)
		default:
			fmt.Fprintf(&b, "**/*x*/**/*%05d*/*y*z*/**/*w*v*u*t*s*r*q*p*o*n* @u%d\n", i, i)
		}
	}
	return b.Bytes(), broken
}

func hostilePaths() []string {
	return []string{
		strings.Repeat("a/", 2048) + "b",
		strings.Repeat("ab", 2048),
		strings.Repeat("xa?b01234cdefghijklmn/", 187),
		strings.Repeat("x/y/zwvutsr/", 342),
	}
}

// TestSizeLimit checks GitHub's 3 MB limit at the exact boundary, through
// Parse and ReadRuleset.
func TestSizeLimit(t *testing.T) {
	for _, size := range []int{MaxSize - 1, MaxSize, MaxSize + 1} {
		data := sizedFile(size)
		wantTooLarge := size >= MaxSize
		for _, via := range []string{"Parse", "ReadRuleset"} {
			t.Run(fmt.Sprintf("%s/%d", via, size), func(t *testing.T) {
				var rs *Ruleset
				if via == "Parse" {
					rs = Parse(data)
				} else {
					var err error
					if rs, err = ReadRuleset(iotest.HalfReader(bytes.NewReader(data))); err != nil {
						t.Fatal(err)
					}
				}
				if rs.TooLarge != wantTooLarge || rs.Size != size {
					t.Errorf("TooLarge %v Size %d, want %v %d", rs.TooLarge, rs.Size, wantTooLarge, size)
				}
				wantRules := 2
				if wantTooLarge {
					wantRules = 0
				}
				if len(rs.Rules) != wantRules || len(rs.Problems) != 0 {
					t.Errorf("%d rules %d problems, want %d and 0", len(rs.Rules), len(rs.Problems), wantRules)
				}
				// A file GitHub ignores owns nothing, and says so without panicking.
				if got := ownerNames(rs, "x"); wantTooLarge != (len(got) == 0) {
					t.Errorf("owners of x = %v", got)
				}
				if cov := rs.Cover([]string{"x"}); wantTooLarge && (cov.Owned != 0 || len(cov.Unowned) != 1) {
					t.Errorf("coverage of an ignored file: %+v", cov)
				}
			})
		}
	}
	t.Run("ReadRuleset stops reading", func(t *testing.T) {
		// An endless stream is read up to the limit and no further.
		rs, err := ReadRuleset(endless{})
		if err != nil || !rs.TooLarge || rs.Size != MaxSize+1 {
			t.Fatalf("ReadRuleset(endless) = TooLarge %v Size %d err %v", rs.TooLarge, rs.Size, err)
		}
	})
	t.Run("ReadRuleset returns read errors", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := ReadRuleset(iotest.ErrReader(boom)); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		r := iotest.TimeoutReader(bytes.NewReader(sizedFile(100)))
		if _, err := ReadRuleset(r); !errors.Is(err, iotest.ErrTimeout) {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
}

// sizedFile is a valid CODEOWNERS file of exactly size bytes: two rules
// and a long comment.
func sizedFile(size int) []byte {
	head := "* @a\n/docs/ @b\n#"
	return []byte(head + strings.Repeat("x", size-len(head)-1) + "\n")
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	return len(p), nil
}

// TestInvalidUTF8Paths pins how bytes that are not UTF-8 in a path match:
// "?" takes one such byte, and it is never the character U+FFFD.
func TestInvalidUTF8Paths(t *testing.T) {
	rs := Parse([]byte("/a?b @q\n/x?\uFFFD @fffd-atom\n/y*\uFFFD @fffd-star\n"))
	tests := []struct{ path, want string }{
		{"a\xffb", "@q"},
		{"a\xff\xffb", ""},
		{"x1\uFFFD", "@fffd-atom"},
		{"x1\xff", ""},
		{"y\uFFFD", "@fffd-star"},
		{"y\xff", ""},
		{"y\xef\xbf", ""}, // the first two bytes of U+FFFD
	}
	for _, tt := range tests {
		if got := strings.Join(ownerNames(rs, tt.path), " "); got != tt.want {
			t.Errorf("owners of %q = %q, want %q", tt.path, got, tt.want)
		}
		if ix, rev := indexLine(rs, tt.path), reverseScan(rs, tt.path); ix != rev {
			t.Errorf("%q: index line %d, reverse scan %d", tt.path, ix, rev)
		}
	}
}

// TestParseMemory bounds what parsing costs in memory, so that a file of
// blank lines or of many rules cannot make Parse allocate without measure.
// Bytes allocated are deterministic enough to assert; time is not.
func TestParseMemory(t *testing.T) {
	size, rules := MaxSize-1, 50_000
	if raceEnabled {
		size, rules = size/4, rules/4 // the bounds are per byte: a smaller file proves as much
	}
	hostile, _ := hostileFile(rules)
	tests := []struct {
		name   string
		data   []byte
		factor uint64 // at most factor × the file's size
	}{
		{"blank lines", bytes.Repeat([]byte("\n"), size), 2},
		{"comment lines", bytes.Repeat([]byte("#\r\n"), size/3), 2},
		{"star-heavy rules", hostile, 64},
		{"one-byte rules", bytes.Repeat([]byte("a\n"), size/2), 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rs := Parse(tt.data)
			runtime.ReadMemStats(&after)
			if got, limit := after.TotalAlloc-before.TotalAlloc, tt.factor*uint64(len(tt.data)); got > limit {
				t.Errorf("parsing %d bytes allocated %d bytes, more than %d", len(tt.data), got, limit)
			}
			runtime.KeepAlive(rs)
		})
	}
}
