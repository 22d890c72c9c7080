package policy

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/golden"
)

// The README's rule table is the catalogue, so the two never disagree: the
// table between the markers is generated, and this test fails when it is
// stale (`go test ./internal/policy -update` rewrites it).
func TestReadmeRuleTable(t *testing.T) {
	const path = "../../README.md"
	const begin, end = "<!-- rules: generated from internal/policy/catalogue.go -->\n", "<!-- end of rules -->\n"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no rule table between %q and %q", strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	var b bytes.Buffer
	b.WriteString("| id | default | finds | fix |\n|---|---|---|---|\n")
	for _, r := range Rules() {
		id := "`" + r.ID + "`"
		if r.NeedsGitHub {
			id += " ‡"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", id, r.Severity, cell(r.Title), cell(r.Remedy))
	}
	golden.AssertFile(t, path, []byte(text[:i+len(begin)]+b.String()+text[j:]))
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
