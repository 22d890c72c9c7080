package snapshot

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/google/go-cmp/cmp"
)

// TestOpenReadsEveryKindOfIndex lists indexes of each version and with the
// flags and extensions git writes, checking against git ls-files and
// against go-git's decoder.
func TestOpenReadsEveryKindOfIndex(t *testing.T) {
	long := strings.Repeat("d/", 2500) + "long.txt" // a name of 0xfff bytes or more
	tests := []struct {
		name  string
		setup func(r *testRepo)
		skip  []string // in ls-files but not listed: intent-to-add entries
	}{
		{"version 2 with a cache tree", func(r *testRepo) {}, nil},
		{"intent to add (version 3)", func(r *testRepo) {
			r.write(map[string]string{"later.txt": "l"})
			r.git("add", "-N", "later.txt")
		}, []string{"later.txt"}},
		{"skip-worktree", func(r *testRepo) {
			r.git("update-index", "--skip-worktree", "src/b.go")
		}, nil},
		{"version 4", func(r *testRepo) {
			r.write(map[string]string{"src/a2.go": "x", "src/sub/deeper/c.go": "y"})
			r.git("add", "-A")
			r.git("update-index", "--index-version", "4")
		}, nil},
		{"version 4 with intent to add", func(r *testRepo) {
			r.git("update-index", "--index-version", "4")
			r.write(map[string]string{"src/later.go": "l"})
			r.git("add", "-N", "src/later.go")
		}, []string{"src/later.go"}},
		{"long name", func(r *testRepo) {
			empty := r.git("hash-object", "-w", "--stdin")
			runGitIn(t, r.dir, epoch, []byte("100644 "+empty+"\t"+long+"\n"), "update-index", "--index-info")
		}, nil},
		{"long name, version 4", func(r *testRepo) {
			empty := r.git("hash-object", "-w", "--stdin")
			runGitIn(t, r.dir, epoch, []byte("100644 "+empty+"\t"+long+"\n"), "update-index", "--index-info")
			r.git("update-index", "--index-version", "4")
		}, nil},
		{"merge conflict", func(r *testRepo) {
			r.git("checkout", "-q", "-b", "other")
			r.write(map[string]string{"README.md": "other\n"})
			r.commit("o1")
			r.git("checkout", "-q", "main")
			r.write(map[string]string{"README.md": "main\n"})
			r.commit("m1")
			// Fails, leaving README.md at stages 1, 2 and 3.
			_ = gitCommand(r.dir, r.next(), "merge", "-q", "other").Run()
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t)
			r.write(map[string]string{"README.md": "r\n", "src/a.go": "a", "src/b.go": "b", "src/a.go.orig": "o", "src-x": "x"})
			r.commit("c1")
			tt.setup(r)
			var want []string
			for p := range strings.SplitSeq(strings.TrimSuffix(r.git("ls-files", "-z"), "\x00"), "\x00") {
				if !slices.Contains(tt.skip, p) {
					want = append(want, p)
				}
			}
			want = slices.Compact(want)
			tree, err := Open(r.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, tree.Paths()); diff != "" {
				t.Errorf("Open (-ls-files +got):\n%s", diff)
			}
			// Where both read the index, they agree.
			data, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			ours, ourLinks, err := parseIndexPaths(data)
			if err != nil {
				t.Fatal(err)
			}
			repo, err := openRepository(r.dir)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := repo.store.Index()
			if err != nil {
				t.Fatal(err)
			}
			var theirs, theirLinks []string
			for _, e := range idx.Entries {
				if !e.IntentToAdd {
					theirs = append(theirs, e.Name)
					if e.Mode == filemode.Symlink {
						theirLinks = append(theirLinks, e.Name)
					}
				}
			}
			if diff := cmp.Diff(theirs, ours); diff != "" {
				t.Errorf("parseIndexPaths (-go-git +got):\n%s", diff)
			}
			if diff := cmp.Diff(theirLinks, ourLinks); diff != "" {
				t.Errorf("parseIndexPaths links (-go-git +got):\n%s", diff)
			}
		})
	}
}

func TestOpenRejectsIndexesItCannotRead(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *testRepo)
		want  error
	}{
		{"split index", func(r *testRepo) {
			r.git("update-index", "--split-index")
			r.write(map[string]string{"new.go": "n"})
			r.git("add", "new.go")
		}, errIndexUnsupported},
		{"sparse index", func(r *testRepo) {
			// go-git refuses the worktreeConfig extension this turns on, before
			// the index is read.
			r.git("sparse-checkout", "init", "--cone", "--sparse-index")
			r.git("sparse-checkout", "set", "src")
		}, nil},
		{"corrupt", func(r *testRepo) {
			p := filepath.Join(r.dir, ".git", "index")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[20] ^= 1
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t)
			r.write(map[string]string{"README.md": "r", "src/a.go": "a", "docs/x.md": "x"})
			r.commit("c1")
			tt.setup(r)
			tree, err := Open(r.dir)
			if err == nil {
				t.Fatalf("Open = %v, want an error", tree.Paths())
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseIndexPathsOfTruncatedIndexes(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"README.md": "r", "src/a.go": "a"})
	r.commit("c1")
	data, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	// Every prefix, with the checksum recomputed so that parsing gets past
	// it: never a panic, always an error or a prefix of the paths.
	for n := range len(data) - hashSize {
		body := slices.Clone(data[:n])
		sum := sha1.Sum(body)
		paths, _, err := parseIndexPaths(append(body, sum[:]...))
		if err == nil && !slices.Equal(paths, []string{"README.md", "src/a.go"}[:len(paths)]) {
			t.Errorf("%d bytes: %v", n, paths)
		}
	}
}

// encodeIndex writes a version 2 or 3 index of entries with the given
// modes and extended flags, followed by extensions given by signature.
func encodeIndex(version uint32, entries []indexEntry, extensions ...string) []byte {
	var b []byte
	b = append(b, "DIRC"...)
	b = binary.BigEndian.AppendUint32(b, version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		start := len(b)
		b = append(b, make([]byte, 24)...) // times, dev, ino
		b = binary.BigEndian.AppendUint32(b, e.mode)
		b = append(b, make([]byte, 12+hashSize)...) // uid, gid, size, hash
		flags := uint16(min(len(e.name), indexNameMask))
		if e.extended != 0 {
			flags |= indexFlagExtended
		}
		b = binary.BigEndian.AppendUint16(b, flags)
		if e.extended != 0 {
			b = binary.BigEndian.AppendUint16(b, e.extended)
		}
		b = append(b, e.name...)
		b = append(b, make([]byte, (len(b)-start+8)&^7-(len(b)-start))...)
	}
	for _, sig := range extensions {
		b = append(b, sig...)
		b = binary.BigEndian.AppendUint32(b, 4)
		b = append(b, 0, 0, 0, 0)
	}
	sum := sha1.Sum(b)
	return append(b, sum[:]...)
}

type indexEntry struct {
	name     string
	mode     uint32
	extended uint16
}

func TestParseIndexPaths(t *testing.T) {
	file := func(name string) indexEntry { return indexEntry{name: name, mode: 0o100644} }
	tests := []struct {
		name      string
		index     []byte
		want      []string
		wantLinks []string
		err       error // nil with want nil: any error
	}{
		{"plain", encodeIndex(2, []indexEntry{file("a"), file("b/c")}), []string{"a", "b/c"}, nil, nil},
		{"extensions skipped", encodeIndex(2, []indexEntry{file("a")}, "TREE", "REUC"), []string{"a"}, nil, nil},
		{"intent to add", encodeIndex(3, []indexEntry{file("a"), {name: "b", mode: 0o100644, extended: indexExtIntentToAdd}}), []string{"a"}, nil, nil},
		{"gitlink and symlink", encodeIndex(2, []indexEntry{{name: "sub", mode: 0o160000}, {name: "ln", mode: 0o120000}}), []string{"sub", "ln"}, []string{"ln"}, nil},
		{"intent-to-add symlink", encodeIndex(3, []indexEntry{{name: "ln", mode: 0o120000, extended: indexExtIntentToAdd}}), []string{}, nil, nil},
		{"directory entry", encodeIndex(3, []indexEntry{file("a"), {name: "dir/", mode: 0o040000, extended: 0x4000}}), nil, nil, errIndexUnsupported},
		{"split index", encodeIndex(2, []indexEntry{file("a")}, "link"), nil, nil, errIndexUnsupported},
		{"sparse index", encodeIndex(2, []indexEntry{file("a")}, "sdir"), nil, nil, errIndexUnsupported},
		{"version 5", encodeIndex(5, nil), nil, nil, errIndexUnsupported},
		{"not an index", append([]byte("JUNK"), make([]byte, 40)...), nil, nil, nil},
		{"empty", nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, links, err := parseIndexPaths(tt.index)
			if tt.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("paths (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantLinks, links); diff != "" {
					t.Errorf("links (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("parseIndexPaths = %v, %v, want error %v", got, err, tt.err)
			}
		})
	}
}

func FuzzParseIndexPaths(f *testing.F) {
	f.Add(encodeIndex(2, []indexEntry{{name: "a", mode: 0o100644}, {name: "b/c", mode: 0o100755}}, "TREE"))
	f.Add(encodeIndex(3, []indexEntry{{name: strings.Repeat("x", 5000), mode: 0o100644, extended: indexExtIntentToAdd}}))
	f.Add(encodeIndex(2, []indexEntry{{name: "a", mode: 0o120000}, {name: "b", mode: 0o100644}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Fuzzed bytes rarely carry a valid checksum; give them one half the
		// time so that the entries get parsed.
		if len(data) > hashSize && data[len(data)-1]&1 == 1 {
			body := data[:len(data)-hashSize]
			sum := sha1.Sum(body)
			data = append(slices.Clone(body), sum[:]...)
		}
		paths, links, err := parseIndexPaths(data)
		if err == nil && len(paths) > len(data)/indexEntryFixedSize {
			t.Errorf("%d paths from %d bytes", len(paths), len(data))
		}
		// Every link is a listed path.
		for _, l := range links {
			if !slices.Contains(paths, l) {
				t.Errorf("link %q is not among the paths %q", l, paths)
			}
		}
	})
}
