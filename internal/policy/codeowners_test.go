package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestShadowedMessageCountsTheRest: the message names the first overriding
// lines and says how many it leaves out, instead of dropping them silently.
func TestShadowedMessageCountsTheRest(t *testing.T) {
	tests := []struct {
		name string
		dirs []string // each gets a line "/d/ @d" after "*.go @a", and a file d/a.go
		want string
	}{
		{"one", []string{"v"},
			"pattern `*.go` matches 1 file, but later lines decide all of them (line 2)"},
		{"three", []string{"v", "w", "x"},
			"pattern `*.go` matches 3 files, but later lines decide all of them (lines 2, 3, 4)"},
		{"four: the fourth is counted", []string{"v", "w", "x", "y"},
			"pattern `*.go` matches 4 files, but later lines decide all of them (lines 2, 3, 4 and 1 more)"},
		{"six", []string{"u", "v", "w", "x", "y", "z"},
			"pattern `*.go` matches 6 files, but later lines decide all of them (lines 2, 3, 4 and 3 more)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			co := "*.go @a\n"
			files := map[string]string{}
			for _, d := range tt.dirs {
				co += "/" + d + "/ @" + d + "\n"
				files[d+"/a.go"] = ""
			}
			files["CODEOWNERS"] = co + "/CODEOWNERS @a\n"
			res, err := Evaluate(tree(files), Options{Now: today, Org: adopted()})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Rule == CodeownersShadowed {
					got = append(got, f.Message)
				}
			}
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("shadowed messages (-want +got):\n%s", diff)
			}
		})
	}
}
