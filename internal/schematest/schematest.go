// Package schematest holds what the tests of the JSON Schemas need: the
// schemas of docs/schema, read and compiled; YAML documents checked against
// them as an editor checks them; the YAML examples of the README; and SARIF
// logs checked against the OASIS schema in ../shared/schemas.
package schematest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// Read returns the schema docs/schema/<name> as a JSON document.
func Read(tb testing.TB, name string) map[string]any {
	tb.Helper()
	doc := readJSON(tb, filepath.Join(datasettest.ModuleRoot(tb), "docs", "schema", name))
	m, ok := doc.(map[string]any)
	if !ok {
		tb.Fatalf("docs/schema/%s is not a JSON object", name)
	}
	return m
}

// Compile compiles a schema of docs/schema, or a part of one
// ("name.json#/$defs/x"), with every schema there added as a resource under
// its file name. Nothing is fetched from the network: the compiler's only
// loader reads files.
func Compile(tb testing.TB, loc string) *jsonschema.Schema {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join(datasettest.ModuleRoot(tb), "docs", "schema", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	for _, path := range names {
		name := filepath.Base(path)
		if err := c.AddResource(name, Read(tb, name)); err != nil {
			tb.Fatal(err)
		}
	}
	s, err := c.Compile(loc)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// ValidateYAML checks a YAML document against s as an editor sees it:
// through JSON, where an unquoted date is a timestamp string that a
// schema's date refuses.
func ValidateYAML(tb testing.TB, s *jsonschema.Schema, doc string) error {
	tb.Helper()
	var value any
	if err := yaml.Unmarshal([]byte(doc), &value); err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(value)
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return s.Validate(inst)
}

// ValidateSARIF checks a SARIF log against the OASIS SARIF 2.1.0 schema in
// ../shared/schemas, or skips tb where that is absent. A log that is not
// JSON is an error too.
func ValidateSARIF(tb testing.TB, log []byte) error {
	tb.Helper()
	schema := readJSON(tb, filepath.Join(datasettest.Shared(tb, "schemas"), "sarif-schema-2.1.0.json"))
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schema); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(log))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func readJSON(tb testing.TB, path string) any {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return doc
}

// Lookup returns the value at a path of keys in a schema document.
func Lookup(tb testing.TB, doc map[string]any, path ...string) any {
	tb.Helper()
	var v any = doc
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			tb.Fatalf("no %s in the schema", strings.Join(path, "."))
		}
		v = m[k]
	}
	return v
}

// KnownKeys returns, sorted, the keys a parser's message about an unknown
// key lists: "unknown key … (known keys: a, b, c)".
func KnownKeys(tb testing.TB, msg string) []string {
	tb.Helper()
	const intro = "(known keys: "
	i := strings.Index(msg, intro)
	if i < 0 || !strings.HasSuffix(msg, ")") {
		tb.Fatalf("cannot find the known keys in %q", msg)
	}
	keys := strings.Split(strings.TrimSuffix(msg[i+len(intro):], ")"), ", ")
	sort.Strings(keys)
	return keys
}

// ReadmeYAML returns the YAML examples (```yaml blocks) of a section of
// README.md, which runs from its heading, of any level, to the next heading.
// A section without one fails tb.
func ReadmeYAML(tb testing.TB, title string) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(datasettest.ModuleRoot(tb), "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	start := regexp.MustCompile(`(?m)^#{2,4} ` + regexp.QuoteMeta(title) + `\n`).FindIndex(data)
	if start == nil {
		tb.Fatalf("README.md has no section %s", title)
	}
	text := string(data[start[1]:])
	if end := regexp.MustCompile(`(?m)^#{2,4} `).FindStringIndex(text); end != nil {
		text = text[:end[0]]
	}
	const fence = "```yaml\n"
	var blocks []string
	for {
		j := strings.Index(text, fence)
		if j < 0 {
			break
		}
		text = text[j+len(fence):]
		k := strings.Index(text, "```")
		if k < 0 {
			tb.Fatalf("README.md section %s: a YAML example does not end", title)
		}
		blocks, text = append(blocks, text[:k]), text[k:]
	}
	if len(blocks) == 0 {
		tb.Fatalf("README.md section %s has no YAML example", title)
	}
	return blocks
}
