package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

// A schemaNode is the part of a JSON Schema the values check reads.
type schemaNode struct {
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties any                    `json:"additionalProperties"`
}

// closed reports whether the node is an object whose keys the schema lists
// in full: each of its keys is a value of its own. Any other node (a
// scalar, a list, an open object such as resources or affinity) is one
// value, documented in one row.
func (n *schemaNode) closed() bool {
	return len(n.Properties) > 0 && n.AdditionalProperties == false
}

// Values the schema may name without a default in values.yaml.
var schemaOnly = map[string]bool{
	"global": true, // Helm's, for parent charts; the chart uses none
}

// readmeRow is a row of the README's values table.
var readmeRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|(.*)\\|(.*)\\|\\s*$")

// checkValuesDoc checks that values.yaml, values.schema.json and the
// README's "Values" table describe the same values: every value of
// values.yaml has a schema and a row, every row is a value, every value
// the schema knows has a default, and a default the table shows as code is
// the one values.yaml sets. A value is a leaf, or an object the schema
// leaves open (resources, affinity): one row each.
func checkValuesDoc(valuesName string, values []byte, schemaName string, schema []byte, readmeName string, readme []byte) []Problem {
	var ps problems
	var root schemaNode
	if err := json.Unmarshal(schema, &root); err != nil {
		ps.add(schemaName, "does not parse: %v", err)
		return ps
	}
	var vals map[string]any
	if err := yaml.Unmarshal(values, &vals); err != nil {
		ps.add(valuesName, "does not parse: %v", err)
		return ps
	}
	lines := valueLines(values)

	// The rows the schema implies, and what values.yaml holds for each.
	want := map[string]bool{}
	var walkSchema func(prefix string, n *schemaNode)
	walkSchema = func(prefix string, n *schemaNode) {
		if !n.closed() {
			want[prefix] = true
			return
		}
		for k, child := range n.Properties {
			walkSchema(join(prefix, k), child)
		}
	}
	for k, child := range root.Properties {
		walkSchema(k, child)
	}
	defaults := map[string]any{}
	var walkValues func(prefix string, v any, n *schemaNode)
	walkValues = func(prefix string, v any, n *schemaNode) {
		m, isMap := v.(map[string]any)
		if n == nil {
			ps.add(at(valuesName, lines[prefix]), "%s is not in %s: helm would reject it", prefix, schemaName)
			return
		}
		if !n.closed() || !isMap {
			defaults[prefix] = v
			return
		}
		for _, k := range sortedKeys(m) {
			walkValues(join(prefix, k), m[k], n.Properties[k])
		}
	}
	for _, k := range sortedKeys(vals) {
		walkValues(k, vals[k], root.Properties[k])
	}

	rows := map[string]int{}
	inTable := false
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inTable = strings.TrimSpace(line) == "## Values"
			continue
		}
		m := readmeRow.FindStringSubmatch(line)
		if !inTable || m == nil {
			continue
		}
		key, def := m[1], strings.TrimSpace(m[2])
		if first, dup := rows[key]; dup {
			ps.add(at(readmeName, n), "%s has a second row (first on line %d)", key, first)
			continue
		}
		rows[key] = n
		if !want[key] {
			ps.add(at(readmeName, n), "%s is not a value of the chart", key)
			continue
		}
		if code, ok := codeSpan(def); ok {
			got, has := defaults[key]
			var shown any
			if err := yaml.Unmarshal([]byte(code), &shown); err != nil {
				ps.add(at(readmeName, n), "%s: the default `%s` is not YAML: %v", key, code, err)
			} else if has && !sameValue(shown, got) {
				ps.add(at(readmeName, n), "%s: the table says the default is `%s`, %s says %s", key, code, valuesName, flow(got))
			}
		}
	}
	if len(rows) == 0 {
		ps.add(readmeName, "no table of values under \"## Values\"")
	}
	for _, key := range sortedKeys(want) {
		_, hasDefault := defaults[key]
		if !hasDefault && !schemaOnly[key] {
			ps.add(schemaName, "%s has no default in %s", key, valuesName)
		}
		if _, ok := rows[key]; !ok && !schemaOnly[key] {
			ps.add(at(valuesName, lines[key]), "%s is not in the table of %s", key, readmeName)
		}
	}
	return ps
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func at(name string, line int) string {
	if line == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d", name, line)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// codeSpan returns the text of a table cell that is one code span.
func codeSpan(cell string) (string, bool) {
	if len(cell) < 2 || cell[0] != '`' || cell[len(cell)-1] != '`' || strings.Count(cell, "`") != 2 {
		return "", false
	}
	return cell[1 : len(cell)-1], true
}

// sameValue compares two values as Helm sees them (through JSON).
func sameValue(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

// flow writes a value as the table would show it.
func flow(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "`" + string(b) + "`"
}

// valueLines maps each dotted key of a YAML document to its line.
func valueLines(data []byte) map[string]int {
	out := map[string]int{}
	var doc yamlv3.Node
	if yamlv3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	var walk func(prefix string, n *yamlv3.Node)
	walk = func(prefix string, n *yamlv3.Node) {
		if n.Kind != yamlv3.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := join(prefix, n.Content[i].Value)
			out[key] = n.Content[i].Line
			walk(key, n.Content[i+1])
		}
	}
	walk("", doc.Content[0])
	return out
}
