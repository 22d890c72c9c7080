// Package backstage reads Backstage catalog descriptors (catalog-info.yaml)
// strictly, with a position for every problem, and turns the owner an entity
// names into a GitHub owner through a documented mapping.
package backstage

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// MaxSize bounds a descriptor file; real ones are a few kilobytes.
const MaxSize = 256 << 10

// maxDepth bounds nesting: deeper than OWNERS.yaml needs, for the JSON
// schemas some entities carry, and still bounded.
const maxDepth = 64

// APIVersionPrefix starts the apiVersion of every Backstage entity; other
// documents in a descriptor belong to other tools and are left alone.
const APIVersionPrefix = "backstage.io/"

// Annotations ownerbot reads.
const (
	TeamSlug  = "github.com/team-slug"  // "org/team", on a Group or any entity
	UserLogin = "github.com/user-login" // "login", on a User
)

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// IsDescriptor reports whether a repository path is a descriptor ownerbot
// reads by default: catalog-info.yaml, catalog-info.yml, or
// catalog-info-<anything>.yaml/.yml (such as catalog-info-teams.yaml).
func IsDescriptor(p string) bool {
	base := path.Base(p)
	stem, ok := strings.CutSuffix(base, ".yaml")
	if !ok {
		stem, ok = strings.CutSuffix(base, ".yml")
	}
	return ok && (stem == "catalog-info" || strings.HasPrefix(stem, "catalog-info-"))
}

// A Pos is a 1-based line and column in a file.
type Pos struct {
	Line, Column int
}

// A File is one descriptor: the Backstage entities it holds, in order.
type File struct {
	Path     string // repository-relative
	Dir      string // its directory: "" for the root
	Entities []*Entity
}

// An Entity is one document of a descriptor, with the fields ownerbot
// reads. Fields left out are empty.
type Entity struct {
	Path string // the file that holds it
	Pos  Pos    // where its document starts

	APIVersion  string
	Kind        string // as written, such as Component; compare with Is
	Name        string
	Namespace   string // DefaultNamespace when not written
	Title       string
	Annotations map[string]string

	// Owner is spec.owner as written; OwnerRef is it read as a reference
	// (kind group and the entity's namespace by default), zero when Owner
	// is empty or not a valid reference (a problem Parse reports).
	Owner     string
	OwnerRef  Ref
	Lifecycle string // spec.lifecycle as written
	System    string
	Type      string
	Parent    string
	Children  []string
	Members   []string

	// At holds where fields are written, by path: "metadata.name",
	// "metadata.annotations", "metadata.annotations.<key>", "spec.owner",
	// "spec.lifecycle", "spec.system" and the others read above.
	At map[string]Pos
}

// Is reports whether the entity is of a kind, compared without regard to
// case as Backstage does.
func (e *Entity) Is(kind string) bool { return strings.EqualFold(e.Kind, kind) }

// Ref returns the entity's own reference.
func (e *Entity) Ref() Ref {
	return Ref{Kind: strings.ToLower(e.Kind), Namespace: e.Namespace, Name: e.Name}
}

// Where returns the position of a field (see At), or of the document when
// the field is not written.
func (e *Entity) Where(field string) Pos {
	if p, ok := e.At[field]; ok {
		return p
	}
	return e.Pos
}

// owningKinds are the kinds whose descriptor makes its directory a unit, in
// the order one is chosen when a file holds several.
var owningKinds = [...]string{"component", "resource", "api", "system", "domain"}

// Owning returns the entity that makes the descriptor's directory a unit:
// the first Component with a spec.owner, else the first such Resource, API,
// System or Domain; nil when there is none (a file of Groups is not a unit).
func (f *File) Owning() *Entity {
	for _, kind := range owningKinds {
		for _, e := range f.Entities {
			if e.Is(kind) && e.Owner != "" {
				return e
			}
		}
	}
	return nil
}

// Parse reads the descriptor at filePath (repository-relative): a stream of
// YAML documents, each one entity. It returns the Backstage entities it
// could identify (a kind and a valid name) and every problem found; a
// document with problems keeps the fields that were right, and the other
// documents still count. Documents whose apiVersion does not start with
// backstage.io/ belong to other tools and are skipped without a word, and
// keys ownerbot does not read are never problems.
func Parse(filePath string, data []byte) (*File, []strictyaml.FileProblem) {
	f := &File{Path: filePath, Dir: strictyaml.Dir(filePath)}
	if IsSkeleton(data) {
		return f, nil
	}
	d := strictyaml.Decoder{MaxDepth: maxDepth}
	for _, root := range d.ParseAll(data, MaxSize) {
		if e := decodeEntity(&d, filePath, root); e != nil {
			f.Entities = append(f.Entities, e)
		}
	}
	return f, d.In(filePath)
}

// IsSkeleton reports whether a descriptor is a scaffolder template's
// skeleton: the catalog-info.yaml a software template writes into each new
// project, with ${{ values.name }} where the project's values will go. The
// catalog never reads it, so neither does ownerbot.
func IsSkeleton(data []byte) bool { return bytes.Contains(data, []byte("${{")) }

func at(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// value returns the value of key in mapping n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func decodeEntity(d *strictyaml.Decoder, filePath string, root *yaml.Node) *Entity {
	const what = "a document of a Backstage descriptor"
	if root.Kind != yaml.MappingNode {
		d.Pick(root, what, nil) // says it must be a mapping
		return nil
	}
	av := value(root, "apiVersion")
	if av == nil {
		d.Errorf(root, "this document has no apiVersion; a Backstage entity starts with apiVersion: backstage.io/v1alpha1")
		return nil
	}
	apiVersion, ok := d.String(av, "apiVersion")
	if !ok {
		return nil
	}
	if !strings.HasPrefix(apiVersion, APIVersionPrefix) {
		return nil // another tool's document
	}
	e := &Entity{Path: filePath, Pos: at(root), APIVersion: apiVersion, Namespace: DefaultNamespace,
		At: map[string]Pos{}}
	var ownerNode *yaml.Node
	d.Pick(root, what, map[string]func(*yaml.Node){
		"apiVersion": func(*yaml.Node) {},
		"kind": func(v *yaml.Node) {
			e.At["kind"] = at(v)
			if s, ok := d.NonEmpty(v, "kind"); ok {
				if !validKind(s) {
					d.Errorf(v, "kind %s is not a Backstage kind (such as Component, API, Resource, System, Group or User)", quote(s))
					return
				}
				e.Kind = s
			}
		},
		"metadata": func(v *yaml.Node) {
			e.At["metadata"] = at(v)
			e.decodeMetadata(d, v)
		},
		"spec": func(v *yaml.Node) {
			e.At["spec"] = at(v)
			ownerNode = e.decodeSpec(d, v)
		},
	})
	if ownerNode != nil {
		// Read after the whole document: the namespace is the default.
		ref, err := ParseRef(e.Owner, "group", e.Namespace)
		if err != nil {
			d.Errorf(ownerNode, "spec.owner: %v", err)
		} else {
			e.OwnerRef = ref
		}
	}
	if !strictyaml.Has(root, "kind") {
		d.Errorf(root, "this entity has no kind (such as kind: Component)")
	}
	if md := value(root, "metadata"); md == nil || md.Kind == yaml.MappingNode && !strictyaml.Has(md, "name") {
		d.Errorf(orNode(md, root), "this entity has no metadata.name, so nothing can refer to it")
	}
	if e.Kind == "" || e.Name == "" {
		return nil
	}
	return e
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// checked decodes a text field whose value must pass valid: it is kept in
// dst, or reported with the rule it breaks.
func (e *Entity) checked(d *strictyaml.Decoder, field, noun, rule string, valid func(string) bool, dst *string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		e.At[field] = at(v)
		if s, ok := d.NonEmpty(v, field); ok {
			if !valid(s) {
				d.Errorf(v, "%s %s is not %s: %s", field, quote(s), noun, rule)
				return
			}
			*dst = s
		}
	}
}

func (e *Entity) decodeMetadata(d *strictyaml.Decoder, n *yaml.Node) {
	d.Pick(n, "metadata", map[string]func(*yaml.Node){
		"name":      e.checked(d, "metadata.name", "an entity name", nameRule, validName, &e.Name),
		"namespace": e.checked(d, "metadata.namespace", "a namespace", namespaceRule, validNamespace, &e.Namespace),
		"title": func(v *yaml.Node) {
			e.At["metadata.title"] = at(v)
			e.Title, _ = d.String(v, "metadata.title")
		},
		"annotations": func(v *yaml.Node) {
			e.At["metadata.annotations"] = at(v)
			e.decodeAnnotations(d, v)
		},
	})
}

func (e *Entity) decodeAnnotations(d *strictyaml.Decoder, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "metadata.annotations must be a mapping of keys to text, not %s", describe(n))
		return
	}
	e.Annotations = map[string]string{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.NonEmpty(k, "an annotation's key")
		if !ok {
			continue
		}
		if seen[key] {
			d.Errorf(k, "annotation %s appears twice", quote(key))
			continue
		}
		seen[key] = true
		s, ok := d.String(v, fmt.Sprintf("annotation %s", quote(key)))
		if !ok {
			continue
		}
		e.Annotations[key] = s
		e.At["metadata.annotations."+key] = at(v)
	}
}

// decodeSpec reads spec and returns the node of spec.owner when it is text.
func (e *Entity) decodeSpec(d *strictyaml.Decoder, n *yaml.Node) *yaml.Node {
	var owner *yaml.Node
	text := func(field string, dst *string) func(*yaml.Node) {
		return func(v *yaml.Node) {
			e.At["spec."+field] = at(v)
			if s, ok := d.NonEmpty(v, "spec."+field); ok {
				*dst = s
				if field == "owner" {
					owner = v
				}
			}
		}
	}
	list := func(field string, dst *[]string) func(*yaml.Node) {
		return func(v *yaml.Node) {
			e.At["spec."+field] = at(v)
			*dst, _ = d.Strings(v, "spec."+field)
		}
	}
	d.Pick(n, "spec", map[string]func(*yaml.Node){
		"owner":     text("owner", &e.Owner),
		"lifecycle": text("lifecycle", &e.Lifecycle),
		"system":    text("system", &e.System),
		"type":      text("type", &e.Type),
		"parent":    text("parent", &e.Parent),
		"children":  list("children", &e.Children),
		"members":   list("members", &e.Members),
	})
	return owner
}

// describe names what a node is, for messages about the wrong kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return "the value " + quote(n.Value)
}
