package main

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	docValues = `image:
  repository: ghcr.io/ownerbot/ownerbot
  tag: ""
replicas: 2
resources:
  limits: {memory: 1Gi}
mode: "off"
`
	docSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "global": {"type": "object"},
    "image": {
      "type": "object",
      "additionalProperties": false,
      "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}}
    },
    "replicas": {"type": "integer"},
    "resources": {"type": "object", "properties": {"limits": {"type": "object"}}},
    "mode": {"enum": ["on", "off"]}
  }
}`
	docReadme = "# chart\n\n## Values\n\n" +
		"| value | default | meaning |\n|---|---|---|\n" +
		"| `image.repository` | `ghcr.io/ownerbot/ownerbot` | where the image is |\n" +
		"| `image.tag` | `\"\"` | the tag |\n" +
		"| `replicas` | `2` | pods |\n" +
		"| `resources` | see values.yaml | requests and limits |\n" +
		"| `mode` | `\"off\"` | on or off |\n" +
		"\n## Next\n\n| `ignored` | outside the section | |\n"
)

func TestCheckValuesDocGood(t *testing.T) {
	if got := lines(checkValuesDoc("values.yaml", []byte(docValues), "values.schema.json", []byte(docSchema), "README.md", []byte(docReadme))); len(got) > 0 {
		t.Errorf("problems: %q", got)
	}
}

func TestCheckValuesDoc(t *testing.T) {
	tests := []struct {
		name                  string
		values, schema, readm [2]string // old, new edits of each fixture
		want                  []string
	}{
		{
			name:   "value without a row",
			values: [2]string{"replicas: 2\n", "replicas: 2\nextra: 1\n"},
			schema: [2]string{`"replicas": {"type": "integer"},`, `"replicas": {"type": "integer"}, "extra": {"type": "integer"},`},
			want:   []string{"values.yaml:5: extra is not in the table of README.md"},
		},
		{
			name:  "row without a value",
			readm: [2]string{"| `replicas` | `2` | pods |\n", "| `replicas` | `2` | pods |\n| `replica` | `2` | a typo |\n"},
			want:  []string{"README.md:10: replica is not a value of the chart"},
		},
		{
			name:  "row for a key inside a closed object",
			readm: [2]string{"| `replicas` | `2` | pods |\n", "| `replicas` | `2` | pods |\n| `image` | | the image |\n"},
			want:  []string{"README.md:10: image is not a value of the chart"},
		},
		{
			name:  "row for a key inside an open object",
			readm: [2]string{"| `resources` | see values.yaml | requests and limits |\n", "| `resources.limits` | | limits |\n"},
			want: []string{
				"README.md:10: resources.limits is not a value of the chart",
				"values.yaml:5: resources is not in the table of README.md",
			},
		},
		{
			name:   "value without a schema",
			values: [2]string{"replicas: 2\n", "replicas: 2\nextra: 1\n"},
			want:   []string{"values.yaml:5: extra is not in values.schema.json: helm would reject it"},
		},
		{
			name:   "schema without a default",
			schema: [2]string{`"replicas": {"type": "integer"},`, `"replicas": {"type": "integer"}, "extra": {"type": "integer"},`},
			readm:  [2]string{"| `replicas` | `2` | pods |\n", "| `replicas` | `2` | pods |\n| `extra` | | more |\n"},
			want:   []string{"values.schema.json: extra has no default in values.yaml"},
		},
		{
			name:  "default drifted",
			readm: [2]string{"| `replicas` | `2` | pods |", "| `replicas` | `3` | pods |"},
			want:  []string{"README.md:9: replicas: the table says the default is `3`, values.yaml says `2`"},
		},
		{
			name:  "string default read as YAML 1.1, as Helm does",
			readm: [2]string{"| `mode` | `\"off\"` | on or off |", "| `mode` | `off` | on or off |"},
			want:  []string{"README.md:11: mode: the table says the default is `off`, values.yaml says `\"off\"`"},
		},
		{
			name:  "row twice",
			readm: [2]string{"| `replicas` | `2` | pods |\n", "| `replicas` | `2` | pods |\n| `replicas` | `2` | again |\n"},
			want:  []string{"README.md:10: replicas has a second row (first on line 9)"},
		},
		{
			name:  "no table",
			readm: [2]string{"## Values", "## Settings"},
			want: []string{
				"README.md: no table of values under \"## Values\"",
				"values.yaml:2: image.repository is not in the table of README.md",
				"values.yaml:3: image.tag is not in the table of README.md",
				"values.yaml:7: mode is not in the table of README.md",
				"values.yaml:4: replicas is not in the table of README.md",
				"values.yaml:5: resources is not in the table of README.md",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apply := func(s string, e [2]string) string {
				if e[0] == "" {
					return s
				}
				return edit(t, s, e[0], e[1])
			}
			values, schema, readme := apply(docValues, tt.values), apply(docSchema, tt.schema), apply(docReadme, tt.readm)
			got := problemLinesKeep(checkValuesDoc("values.yaml", []byte(values), "values.schema.json", []byte(schema), "README.md", []byte(readme)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// problemLinesKeep renders problems with their line numbers.
func problemLinesKeep(ps []Problem) []string {
	if len(ps) == 0 {
		return nil
	}
	return lines(ps)
}

// TestValuesDocShipped checks the chart's own values.yaml, schema and
// README.
func TestValuesDocShipped(t *testing.T) {
	var data [3][]byte
	for i, name := range []string{"values.yaml", "values.schema.json", "README.md"} {
		b, err := os.ReadFile("../helm/ownerbot/" + name)
		if err != nil {
			t.Fatal(err)
		}
		data[i] = b
	}
	for _, p := range checkValuesDoc("values.yaml", data[0], "values.schema.json", data[1], "README.md", data[2]) {
		t.Error(p)
	}
}
