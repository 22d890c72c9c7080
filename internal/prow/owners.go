package prow

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// Roles are the people an OWNERS file names, at the top level or in one
// filter. Emeritus lists record former approvers and reviewers: prow never
// reads them and ownerbot never counts them as owners.
type Roles struct {
	Approvers         []Name
	Reviewers         []Name
	RequiredReviewers []Name
	Labels            []string
	EmeritusApprovers []Name
	EmeritusReviewers []Name
}

// An Owners is one OWNERS file as written. Names are as written: aliases are
// expanded by Aliases.Expand.
type Owners struct {
	Path string // repository-relative path of the file
	Dir  string // its directory: "" for the root, else "a/b"
	Roles
	// NoParentOwners ends inheritance: the OWNERS files above do not apply
	// to this directory.
	NoParentOwners bool
	// AutoApproveUnownedSubfolders lets prow approve changes in
	// subdirectories that have no OWNERS file of their own.
	AutoApproveUnownedSubfolders bool
	// Filters give roles to the files whose path relative to Dir matches a
	// pattern, in file order. Empty when the file also sets roles outside
	// `filters`, as prow then ignores them.
	Filters []Filter
	// Lines where keys are written ("approvers", "options.no_parent_owners",
	// "filters"), so findings about a field can point at it.
	Lines map[string]int
}

// A Filter gives roles to the files matching a Go regular expression.
type Filter struct {
	Pattern string
	Roles
	Line, Column int // where the pattern is written
	re           *regexp.Regexp
}

// DirPattern is the filter pattern prow reads as "every file in the
// directory": its roles are the directory's.
const DirPattern = ".*"

// Dirwide reports whether the filter applies to every file of the directory.
func (f Filter) Dirwide() bool { return f.Pattern == DirPattern }

// Matches reports whether the filter applies to the file at rel, a path
// relative to the directory of the OWNERS file. As in prow, the pattern may
// match anywhere in rel: "labels\\.yaml" matches "sub/labels.yaml"; anchor it
// with ^ and $ to mean less.
func (f Filter) Matches(rel string) bool {
	if f.Dirwide() {
		return true
	}
	re := f.re
	if re == nil { // a Filter built by hand rather than parsed
		var err error
		if re, err = compilePattern(f.Pattern); err != nil {
			return false
		}
	}
	return re.MatchString(rel)
}

func compilePattern(p string) (*regexp.Regexp, error) {
	if len(p) > MaxPatternSize {
		return nil, fmt.Errorf("the pattern is %d bytes, more than the %d a filter may have", len(p), MaxPatternSize)
	}
	size, err := patternSteps(p)
	if err != nil {
		return nil, err
	}
	if size > maxPatternSteps {
		return nil, fmt.Errorf("the pattern is about %d steps, more than the %d a filter may have", size, maxPatternSteps)
	}
	return regexp.Compile(p)
}

// A pattern's size in steps bounds what compiling it and matching a path
// against it cost. Counted repetition is what makes a short pattern large
// ("[a-z]{1,999}" is a thousand steps), so the bounds are on steps, not bytes.
// Real filters are a few dozen steps.
const (
	maxPatternSteps = 2000
	maxFileSteps    = 20000
)

// patternSteps parses p and measures it without compiling it.
func patternSteps(p string) (int, error) {
	parsed, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return 0, err
	}
	return steps(parsed) + 2, nil // a program starts with a fail and ends with a match
}

// steps estimates from above the instructions parsed compiles to, saturating
// far beyond any bound so nested repetitions cannot overflow.
func steps(re *syntax.Regexp) int {
	const ceiling = 1 << 30
	sum := 0
	for _, sub := range re.Sub {
		sum = min(sum+steps(sub), ceiling)
	}
	switch re.Op {
	case syntax.OpLiteral:
		return max(len(re.Rune), 1)
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		return min(sum+2, ceiling)
	case syntax.OpRepeat:
		copies := re.Max
		if copies < 0 { // {n,}: n copies and a star
			copies = re.Min + 1
		}
		copies = max(copies, 1) + 1
		if sum+1 > ceiling/copies {
			return ceiling
		}
		return copies * (sum + 1)
	default:
		return min(sum+len(re.Sub)+1, ceiling)
	}
}

// Rel returns file, a repository path, relative to the directory of the
// OWNERS file, or false when the file is not under it.
func (o *Owners) Rel(file string) (string, bool) {
	if o.Dir == "" {
		return file, file != ""
	}

	rel, ok := strings.CutPrefix(file, o.Dir+"/")
	if !ok || rel == "" {
		return "", false
	}
	return rel, true
}

// Dirwide returns the roles that apply to every file under the directory:
// the top-level ones and those of the ".*" filter, without repeats.
func (o *Owners) Dirwide() Roles {
	var r Roles
	r.add(o.Roles)
	for _, f := range o.Filters {
		if f.Dirwide() {
			r.add(f.Roles)
		}
	}
	return r
}

// For returns the roles this file gives to file, a repository path: the
// top-level ones and those of every filter that matches it, without repeats.
// A file outside the directory gets none.
func (o *Owners) For(file string) Roles {
	rel, ok := o.Rel(file)
	if !ok {
		return Roles{}
	}
	var r Roles
	r.add(o.Roles)
	for _, f := range o.Filters {
		if f.Matches(rel) {
			r.add(f.Roles)
		}
	}
	return r
}

// add appends the names and labels of s that r does not have yet.
func (r *Roles) add(s Roles) {
	r.Approvers = addNames(r.Approvers, s.Approvers)
	r.Reviewers = addNames(r.Reviewers, s.Reviewers)
	r.RequiredReviewers = addNames(r.RequiredReviewers, s.RequiredReviewers)
	r.EmeritusApprovers = addNames(r.EmeritusApprovers, s.EmeritusApprovers)
	r.EmeritusReviewers = addNames(r.EmeritusReviewers, s.EmeritusReviewers)
	if len(s.Labels) > 0 {
		have := make(map[string]bool, len(r.Labels))
		for _, l := range r.Labels {
			have[l] = true
		}
		for _, l := range s.Labels {
			if !have[l] {
				have[l] = true
				r.Labels = append(r.Labels, l)
			}
		}
	}
}

// addNames appends the names of src that dst lacks, compared as prow
// compares them. A set of dst's keys keeps it linear: a hostile file of
// tens of thousands of names must not cost their square.
func addNames(dst, src []Name) []Name {
	if len(src) == 0 {
		return dst
	}
	have := make(map[string]bool, len(dst)+len(src))
	for _, n := range dst {
		have[Key(n.Value)] = true
	}
	for _, n := range src {
		if k := Key(n.Value); !have[k] {
			have[k] = true
			dst = append(dst, n)
		}
	}
	return dst
}

// ParseOwners reads the OWNERS file at path (repository-relative). It returns
// what it could read and every problem found; a file with problems still
// yields the fields that were right. Names are checked for shape here and
// against the aliases by Aliases.Check.
func ParseOwners(path string, data []byte) (*Owners, []strictyaml.FileProblem) {
	o := &Owners{Path: path, Dir: strictyaml.Dir(path), Lines: map[string]int{}}
	var d strictyaml.Decoder
	// A document that is only "---" is empty too, as for prow.
	if root := d.Parse(data, MaxSize); root != nil && !isNull(root) {
		o.decode(&d, root)
	}
	return o, d.In(path)
}

// roleKeys are the keys that make up prow's simple configuration: a file that
// sets any of them outside `filters` has its filters ignored.
var roleKeys = []string{"approvers", "reviewers", "required_reviewers", "labels"}

func (o *Owners) decode(d *strictyaml.Decoder, root *yaml.Node) {
	var filtersKey *yaml.Node
	fields := o.Roles.fields(d, "", func(key string, v *yaml.Node) { o.Lines[key] = v.Line })
	fields["options"] = func(v *yaml.Node) {
		o.Lines["options"] = v.Line
		if isNull(v) {
			return
		}
		d.SharedFields(v, "options", map[string]func(*yaml.Node){
			"no_parent_owners": func(v *yaml.Node) {
				o.Lines["options.no_parent_owners"] = v.Line
				o.NoParentOwners, _ = d.Bool(v, "options.no_parent_owners")
			},
			"auto_approve_unowned_subfolders": func(v *yaml.Node) {
				o.Lines["options.auto_approve_unowned_subfolders"] = v.Line
				o.AutoApproveUnownedSubfolders, _ = d.Bool(v, "options.auto_approve_unowned_subfolders")
			},
		})
	}
	fields["filters"] = func(v *yaml.Node) {
		o.Lines["filters"] = v.Line
		filtersKey = v
		o.decodeFilters(d, v)
	}
	// Other tools keep their own keys in OWNERS files and prow ignores what
	// it does not know, so only a near miss of a known key is a problem.
	d.SharedFields(root, "OWNERS", fields)

	if filtersKey != nil && len(o.Filters) > 0 {
		for _, k := range roleKeys {
			if hasItems(root, k) {
				d.Errorf(filtersKey, "prow ignores `filters` when %s is also set outside them; move the top-level %s under filters: {%q: ...}",
					k, strings.Join(roleKeys, ", "), DirPattern)
				o.Filters = nil
				break
			}
		}
	}
}

// fields returns the decoders of the role keys, which the top level and
// every filter share. mark records where a key is written.
func (r *Roles) fields(d *strictyaml.Decoder, where string, mark func(key string, v *yaml.Node)) map[string]func(*yaml.Node) {
	list := func(key string, dst *[]Name) func(*yaml.Node) {
		return func(v *yaml.Node) {
			mark(key, v)
			*dst = names(d, v, where+key)
		}
	}
	return map[string]func(*yaml.Node){
		"approvers":          list("approvers", &r.Approvers),
		"reviewers":          list("reviewers", &r.Reviewers),
		"required_reviewers": list("required_reviewers", &r.RequiredReviewers),
		"emeritus_approvers": list("emeritus_approvers", &r.EmeritusApprovers),
		"emeritus_reviewers": list("emeritus_reviewers", &r.EmeritusReviewers),
		"labels": func(v *yaml.Node) {
			mark("labels", v)
			r.Labels = labels(d, v, where+"labels")
		},
	}
}

// names reads a list of logins and aliases. An empty value is an empty list,
// as in prow; a name listed twice counts once.
func names(d *strictyaml.Decoder, v *yaml.Node, what string) []Name {
	if isNull(v) {
		return nil
	}
	var out []Name
	first := map[string]int{}
	d.Each(v, what, func(item *yaml.Node) {
		s, ok := d.NonEmpty(item, "each entry of "+what)
		if !ok {
			return
		}
		if flaw := nameFlaw(s); flaw != "" {
			d.Errorf(item, "%q in %s %s", s, what, flaw)
			return
		}
		// A name listed twice is harmless: prow reads it once, and so
		// does ownerbot, without a finding nobody needs to act on.
		if _, dup := first[Key(s)]; dup {
			return
		}
		first[Key(s)] = item.Line
		out = append(out, Name{Value: s, Line: item.Line, Column: item.Column})
	})
	return out
}

func labels(d *strictyaml.Decoder, v *yaml.Node, what string) []string {
	if isNull(v) {
		return nil
	}
	var out []string
	first := map[string]int{}
	d.Each(v, what, func(item *yaml.Node) {
		s, ok := d.NonEmpty(item, "each entry of "+what)
		if !ok {
			return
		}
		if _, dup := first[s]; dup {
			return // harmless, as a name listed twice
		}
		first[s] = item.Line
		out = append(out, s)
	})
	return out
}

func (o *Owners) decodeFilters(d *strictyaml.Decoder, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.Errorf(v, "filters must map regular expressions to approvers, reviewers and labels")
		return
	}
	first := map[string]int{}
	steps := 0 // the size of the patterns kept so far
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "each key of filters must be a regular expression in quotes")
			continue
		}
		f := Filter{Pattern: k.Value, Line: k.Line, Column: k.Column}
		where := fmt.Sprintf("filter %q ", truncate(f.Pattern))
		ok := true
		if line, dup := first[f.Pattern]; dup {
			d.Errorf(k, "filter %q appears twice (first on line %d)", truncate(f.Pattern), line)
			ok = false
		}
		first[f.Pattern] = k.Line
		if ok && len(f.Pattern) > MaxPatternSize {
			d.Errorf(k, "filter %q is %d bytes, more than the %d ownerbot reads in a pattern", truncate(f.Pattern), len(f.Pattern), MaxPatternSize)
			ok = false
		}
		if ok && !f.Dirwide() {
			size, err := patternSteps(f.Pattern)
			switch {
			case err != nil:
				d.Errorf(k, "filter %q is not a Go regular expression prow can use: %v", truncate(f.Pattern), err)
				ok = false
			case size > maxPatternSteps:
				d.Errorf(k, "filter %q is too large for ownerbot: its repetitions make it about %d steps, more than the %d it reads in a pattern", truncate(f.Pattern), size, maxPatternSteps)
				ok = false
			case steps+size > maxFileSteps:
				d.Errorf(k, "filter %q is one pattern too many for ownerbot: the file's patterns together are more than the %d steps it reads in one file", truncate(f.Pattern), maxFileSteps)
				ok = false
			default:
				re, err := regexp.Compile(f.Pattern)
				if err != nil {
					d.Errorf(k, "filter %q is not a Go regular expression prow can use: %v", truncate(f.Pattern), err)
					ok = false
					break
				}
				steps += size
				f.re = re
			}
		}
		// The roles are read even for a filter that is dropped, so every
		// mistake in the file is reported at once.
		if !isNull(val) {
			fields := f.Roles.fields(d, where, func(string, *yaml.Node) {})
			fields["options"] = func(v *yaml.Node) {
				d.Errorf(v, "prow ignores options inside a filter; move them to the top level of the file")
			}
			d.SharedFields(val, "filter "+fmt.Sprintf("%q", truncate(f.Pattern)), fields)
		}
		if ok {
			o.Filters = append(o.Filters, f)
		}
	}
}

// truncate keeps messages about long patterns short.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// hasItems reports whether mapping n has key with a non-empty list.
func hasItems(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			return v.Kind == yaml.SequenceNode && len(v.Content) > 0
		}
	}
	return false
}
