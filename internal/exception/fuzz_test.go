package exception

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// FuzzExceptions parses anything, then checks that what Parse accepts is
// what the package promises, and that no entry ever waives outside its
// unit or waives a directory without covering what is inside it. Seeds are
// in testdata/fuzz/FuzzExceptions.
func FuzzExceptions(f *testing.F) {
	f.Add([]byte(example))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "u/OWNERS_EXCEPTIONS.yaml"
		file, problems := Parse(path, data, known)
		if file == nil {
			t.Fatal("Parse returned no file")
		}
		// YAML, like editors, also breaks lines at a lone "\r".
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 2
		for _, p := range problems {
			if p.Path != path || p.Line < 0 || p.Column < 0 || p.Line > lines || p.Message == "" {
				t.Fatalf("problem out of range: %+v", p)
			}
		}
		for _, e := range file.Entries {
			if !e.Valid {
				if len(e.patterns) > 0 {
					t.Fatalf("invalid entry %q has compiled patterns", e.ID)
				}
				if len(problems) == 0 {
					t.Fatalf("entry %q is invalid without a problem", e.ID)
				}
				continue
			}
			switch {
			case file.Version != 1, e.Dir != "u", e.File != path:
				t.Fatalf("valid entry %q in file version %d, dir %q, file %q", e.ID, file.Version, e.Dir, e.File)
			case !idFormat.MatchString(e.ID) || len(e.ID) > maxID:
				t.Fatalf("valid entry with id %q", e.ID)
			case !known(e.Rule) || strings.HasPrefix(e.Rule, "exception."):
				t.Fatalf("valid entry %q with rule %q", e.ID, e.Rule)
			case len(e.Paths) == 0 || len(e.patterns) != len(e.Paths):
				t.Fatalf("valid entry %q with paths %q and %d patterns", e.ID, e.Paths, len(e.patterns))
			case utf8.RuneCountInString(strings.TrimSpace(e.Reason)) < MinReason:
				t.Fatalf("valid entry %q with reason %q", e.ID, e.Reason)
			case e.Expires.IsZero():
				t.Fatalf("valid entry %q without an expiry", e.ID)
			}
		}
		now := day("2026-06-01")
		for _, e := range file.Entries {
			e.Status(now)
			e.TooLong(now, strictyaml.Duration{})
		}
		set, _ := NewSet([]*File{file}, []string{"u"})
		// Probing is quadratic in the number of patterns; a few entries and
		// patterns are enough to find a wrong one, and keep runs fast.
		for _, e := range file.Entries[:min(len(file.Entries), 8)] {
			for i, raw := range e.Paths[:min(len(e.Paths), 8)] {
				probe := strings.NewReplacer("**", "m", "*", "x", "?", "q", `\`, "").Replace(strings.Trim(raw, "/"))
				for _, outside := range []string{probe, "v/" + probe, "u-v/" + probe, "ux/" + probe, "../u/" + probe, "/u/" + probe, ".", ""} {
					if clean, _, ok := locate(outside); ok && (clean == "u" || strings.HasPrefix(clean, "u/")) {
						continue // the probe itself may start with u/
					}
					if got := set.Applying(outside, now); len(got) > 0 {
						t.Fatalf("%q waived outside unit u by %q", outside, got[0].ID)
					}
				}
				set.Applying("u/"+probe, now)
				set.Applying("u/"+probe+"/", now)
				if !e.Valid {
					continue
				}
				p := &e.patterns[i]
				for _, d := range []string{probe, probe + "/m", "m/" + probe, "", "m"} {
					if !p.matches(d, true) {
						continue
					}
					for _, f := range []string{"f", "g/h.sh", probe, "m/" + probe} {
						if file := strings.TrimPrefix(d+"/"+f, "/"); !p.matches(file, false) {
							t.Fatalf("%q covers directory %q/ but not %q inside it", raw, d, file)
						}
					}
				}
			}
		}
	})
}
