package schematest

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// draft2020 is the dialect every schema of docs/schema declares.
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// TestSchemasDeclareTheReadmesDraft: the README names one draft for the
// schemas of docs/schema; each declares it, compiles under it (the compiler
// checks each against the draft's metaschema and resolves every $ref), and
// uses none of the older drafts' keywords, which 2020-12 ignores silently.
func TestSchemasDeclareTheReadmesDraft(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(datasettest.ModuleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`JSON Schema \(draft ([0-9-]+)\)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md does not say which JSON Schema draft docs/schema uses")
	}
	if got := "https://json-schema.org/draft/" + string(m[1]) + "/schema"; got != draft2020 {
		t.Errorf("README.md names draft %s; the schemas and this test use 2020-12", m[1])
	}

	names, err := filepath.Glob(filepath.Join(datasettest.ModuleRoot(t), "docs", "schema", "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no schema in docs/schema: %v", err)
	}
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			doc := Read(t, name)
			if got := doc["$schema"]; got != draft2020 {
				t.Errorf("$schema = %v, want %s", got, draft2020)
			}
			for _, where := range olderKeywords(doc, "#") {
				t.Errorf("%s: a keyword of an older draft, which 2020-12 ignores", where)
			}
			Compile(t, name)
		})
	}
}

// TestOlderKeywordsFound: the walk finds what it must, and leaves alone the
// names of properties and definitions, and values that are data.
func TestOlderKeywordsFound(t *testing.T) {
	doc := map[string]any{
		"definitions": map[string]any{},
		"properties": map[string]any{
			"definitions":  map[string]any{"type": "string"}, // a property's name
			"dependencies": map[string]any{"items": []any{map[string]any{}}},
		},
		"$defs": map[string]any{
			"id": map[string]any{"enum": []any{map[string]any{"definitions": 1}}}, // data
			"x":  map[string]any{"anyOf": []any{map[string]any{"additionalItems": false}}},
		},
	}
	want := []string{
		"#/$defs/x/anyOf/0/additionalItems",
		"#/definitions",
		"#/properties/dependencies/items",
	}
	got := olderKeywords(doc, "#")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("olderKeywords = %q, want %q", got, want)
	}
}

// olderKeywords returns where schema s, at JSON pointer at, uses a keyword
// that draft 2020-12 dropped or changed: definitions (now $defs),
// dependencies (dependentRequired, dependentSchemas), additionalItems and an
// array of items (prefixItems, items), $recursiveRef and $recursiveAnchor.
func olderKeywords(s map[string]any, at string) []string {
	var found []string
	for _, k := range slices.Sorted(maps.Keys(s)) {
		v := s[k]
		here := at + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
		switch k {
		case "definitions", "dependencies", "additionalItems", "$recursiveRef", "$recursiveAnchor":
			found = append(found, here)
			continue
		case "items":
			if _, isArray := v.([]any); isArray {
				found = append(found, here)
				continue
			}
		case "enum", "const", "default", "examples":
			continue // data, not schemas
		}
		switch k {
		case "properties", "patternProperties", "$defs", "dependentSchemas":
			// Maps of names to schemas: the names are not keywords.
			if m, ok := v.(map[string]any); ok {
				for _, name := range slices.Sorted(maps.Keys(m)) {
					if sub, ok := m[name].(map[string]any); ok {
						found = append(found, olderKeywords(sub, here+"/"+name)...)
					}
				}
			}
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			found = append(found, olderKeywords(v, here)...)
		case []any:
			for i, item := range v {
				if sub, ok := item.(map[string]any); ok {
					found = append(found, olderKeywords(sub, here+"/"+strconv.Itoa(i))...)
				}
			}
		}
	}
	return found
}
