package backstage

import (
	"fmt"
	"strings"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A Mapping says how entity references that carry no GitHub annotation
// become GitHub owners. Templates hold the placeholders {org}, {namespace}
// and {name} (the reference's, in lower case as Backstage compares them).
type Mapping struct {
	// GroupTemplate maps a Group, such as "@{org}/{name}". Empty means
	// "@{org}/{name}" when Org is known, and no mapping otherwise.
	GroupTemplate string
	// UserTemplate maps a User. Empty means "@{name}".
	UserTemplate string
	// Org is the GitHub organization that owns the repository, when known.
	Org string
}

// The configuration keys of the templates, named in messages.
const (
	GroupTemplateKey = "units.backstage.group_owner"
	UserTemplateKey  = "units.backstage.user_owner"
)

// How a GitHub owner was found.
const (
	ViaOwnerAnnotation  = "owner-annotation"  // the owning Group's or User's annotation
	ViaEntityAnnotation = "entity-annotation" // the entity's own github.com/team-slug
	ViaTemplate         = "template"          // a Mapping template
)

// An Owner is the GitHub owner of an entity, with how it was found.
type Owner struct {
	Handle string // @login or @org/team
	Ref    Ref    // the spec.owner it stands for; zero when there is none
	Via    string // ViaOwnerAnnotation, ViaEntityAnnotation or ViaTemplate
	// Path and Line are where the handle comes from: an annotation, or the
	// spec.owner a template was applied to.
	Path string
	Line int
	Why  string // a sentence for people
}

// A Catalog is every entity of a repository's descriptors, by reference.
type Catalog struct {
	entities map[string]*Entity
}

// NewCatalog indexes the entities of files. When two entities have the same
// reference, the first one counts.
func NewCatalog(files ...*File) *Catalog {
	c := &Catalog{entities: map[string]*Entity{}}
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, e := range f.Entities {
			if _, dup := c.entities[e.Ref().key()]; !dup {
				c.entities[e.Ref().key()] = e
			}
		}
	}
	return c
}

// Lookup returns the entity a reference names, or nil.
func (c *Catalog) Lookup(r Ref) *Entity {
	if c == nil {
		return nil
	}
	return c.entities[r.key()]
}

// GitHubOwner turns an entity's spec.owner into a GitHub owner, trying in
// order:
//
//  1. the Group (or User) spec.owner names, when the catalog holds it with a
//     github.com/team-slug (github.com/user-login) annotation;
//  2. the entity's own github.com/team-slug annotation;
//  3. the Mapping's template for the reference's kind.
//
// When none applies, or what it gives is not a GitHub @login or @org/team,
// the error (a strictyaml.FileProblem at spec.owner) says what to add.
func (c *Catalog) GitHubOwner(e *Entity, m Mapping) (Owner, error) {
	ownerAt := e.Where("spec.owner")
	fail := func(format string, args ...any) (Owner, error) {
		return Owner{}, strictyaml.FileProblem{Path: e.Path, Line: ownerAt.Line, Column: ownerAt.Column,
			Message: fmt.Sprintf(format, args...)}
	}
	ref := e.OwnerRef
	if ref == (Ref{}) && e.Owner != "" {
		_, err := ParseRef(e.Owner, "group", e.Namespace)
		return fail("spec.owner: %v", err)
	}
	if ref != (Ref{}) && ref.Kind != "group" && ref.Kind != "user" {
		return fail("spec.owner %s names a %s; the owner of an entity is a group or a user", quote(e.Owner), ref.Kind)
	}
	written := fmt.Sprintf("spec.owner %s (%s:%d)", quote(e.Owner), e.Path, ownerAt.Line)

	// 1. The owning Group or User, in this repository's catalog.
	owner := c.Lookup(ref)
	if owner != nil {
		key, kindName := TeamSlug, "Group"
		if ref.Kind == "user" {
			key, kindName = UserLogin, "User"
		}
		if v, ok := owner.Annotations[key]; ok {
			handle, err := annotationHandle(key, v)
			p := owner.Where("metadata.annotations." + key)
			if err != nil {
				return Owner{}, strictyaml.FileProblem{Path: owner.Path, Line: p.Line, Column: p.Column, Message: err.Error()}
			}
			return Owner{Handle: handle, Ref: ref, Via: ViaOwnerAnnotation, Path: owner.Path, Line: p.Line,
				Why: fmt.Sprintf("%s is %s %s, whose annotation %s is %s (%s:%d)", written, kindName, owner.Name, key, quote(v), owner.Path, p.Line)}, nil
		}
	}

	// 2. The entity's own team annotation, as janus-idp writes it.
	if v, ok := e.Annotations[TeamSlug]; ok {
		handle, err := annotationHandle(TeamSlug, v)
		p := e.Where("metadata.annotations." + TeamSlug)
		if err != nil {
			return Owner{}, strictyaml.FileProblem{Path: e.Path, Line: p.Line, Column: p.Column, Message: err.Error()}
		}
		why := fmt.Sprintf("the %s's own annotation %s is %s (%s:%d)", e.Kind, TeamSlug, quote(v), e.Path, p.Line)
		if e.Owner != "" {
			why = fmt.Sprintf("%s has no GitHub annotation in this repository's catalog; %s", written, why)
		}
		return Owner{Handle: handle, Ref: ref, Via: ViaEntityAnnotation, Path: e.Path, Line: p.Line, Why: why}, nil
	}

	if e.Owner == "" {
		return fail("%s %s has no spec.owner and no %s annotation, so it has no owner", e.Kind, e.Name, TeamSlug)
	}

	// 3. The template for the reference's kind.
	tmpl, key, source := m.GroupTemplate, GroupTemplateKey, "set"
	if ref.Kind == "user" {
		tmpl, key = m.UserTemplate, UserTemplateKey
		if tmpl == "" {
			tmpl, source = "@{name}", "default"
		}
	} else if tmpl == "" && m.Org != "" {
		tmpl, source = "@{org}/{name}", "default"
	}
	if tmpl == "" {
		inCatalog := "it is not in this repository's catalog"
		if owner != nil {
			inCatalog = fmt.Sprintf("it is in %s:%d, without that annotation", owner.Path, owner.Pos.Line)
		}
		return fail("no GitHub team for %s: add the annotation %s: <org>/<team> to Group %s (%s), or set %s, such as \"@your-org/{name}\"",
			ref, TeamSlug, ref.Name, inCatalog, GroupTemplateKey)
	}
	handle, err := expand(tmpl, ref, m.Org)
	if err == nil {
		err = checkHandle(handle)
	}
	if err != nil {
		fix := fmt.Sprintf("add the annotation %s to Group %s, or change %s", TeamSlug, ref.Name, key)
		if ref.Kind == "user" {
			fix = fmt.Sprintf("add the annotation %s to User %s, or change %s", UserLogin, ref.Name, key)
		}
		return fail("the %s template %s (%s) gives no GitHub owner for %s: %v; %s", source, quote(tmpl), key, ref, err, fix)
	}
	with := ""
	if strings.Contains(tmpl, "{org}") {
		with = fmt.Sprintf(" with org %s", m.Org)
	}
	return Owner{Handle: handle, Ref: ref, Via: ViaTemplate, Path: e.Path, Line: ownerAt.Line,
		Why: fmt.Sprintf("%s is %s, mapped by the %s template %s (%s)%s", written, ref, source, quote(tmpl), key, with)}, nil
}

// annotationHandle reads a github.com/team-slug ("org/team") or
// github.com/user-login ("login") annotation as a GitHub handle.
func annotationHandle(key, v string) (string, error) {
	handle := "@" + v
	err := checkHandle(handle)
	switch {
	case key == TeamSlug && !strings.Contains(v, "/"):
		return "", fmt.Errorf("annotation %s is %s; write it <org>/<team>, such as acme/payments", key, quote(v))
	case key == UserLogin && strings.Contains(v, "/"):
		return "", fmt.Errorf("annotation %s is %s; write a GitHub login, without @", key, quote(v))
	case err != nil:
		return "", fmt.Errorf("annotation %s: %w", key, err)
	}
	return handle, nil
}

// expand fills a template's placeholders.
func expand(tmpl string, ref Ref, org string) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.Contains(rest, "}") {
				return "", fmt.Errorf("a } without its {")
			}
			b.WriteString(rest)
			return b.String(), nil
		}
		if strings.Contains(rest[:open], "}") {
			return "", fmt.Errorf("a } without its {")
		}
		b.WriteString(rest[:open])
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("a { without its }")
		}
		switch name := rest[open+1 : open+end]; name {
		case "org":
			if org == "" {
				return "", fmt.Errorf("it uses {org}, but the GitHub organization is not known; write the organization out")
			}
			b.WriteString(org)
		case "namespace":
			b.WriteString(strings.ToLower(ref.Namespace))
		case "name":
			b.WriteString(strings.ToLower(ref.Name))
		default:
			return "", fmt.Errorf("unknown placeholder {%s}; the placeholders are {org}, {namespace} and {name}", name)
		}
		rest = rest[open+end+1:]
	}
}

// checkHandle accepts a GitHub @login or @org/team-slug.
func checkHandle(h string) error {
	name, ok := strings.CutPrefix(h, "@")
	if !ok {
		return fmt.Errorf("%s does not start with @", quote(h))
	}
	org, team, isTeam := strings.Cut(name, "/")
	if !validLogin(org) {
		return fmt.Errorf("%s is not a GitHub @login or @org/team: a login or organization is 1 to 39 letters, digits and single '-' between them", quote(h))
	}
	if isTeam && !validSlug(team) {
		return fmt.Errorf("%s is not a GitHub @org/team: a team slug is lower-case letters, digits, '-' and '_'", quote(h))
	}
	return nil
}

func validLogin(s string) bool {
	if len(s) < 1 || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

func validSlug(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
