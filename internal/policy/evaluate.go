package policy

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/owners"
	"github.com/ownerbot/ownerbot/internal/prow"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A Finding is one problem: which rule, how bad, where, and what to do.
type Finding struct {
	Rule     string
	Severity Severity
	Path     string // repository-relative; a directory ends in "/", "." is the whole tree
	Line     int    // 1-based, 0 when the finding is not about a line
	Column   int    // 1-based, 0 when unknown
	Message  string
	Remedy   string
	// Unit is the ownership unit holding Path (from OWNERS.yaml), when known.
	Unit string
	// Owners are who is expected to act: the CODEOWNERS owners of Path, or
	// the owner of its unit when CODEOWNERS names none.
	Owners []string
	// ExceptedBy is the id of the exception that waives the finding, if any.
	ExceptedBy string
	// Due is when the work a dated finding asks for fell or falls due: the
	// unit's next ownership review, a runbook's next review, an exception's
	// expiry. Zero when the finding is not about a date, or when nothing was
	// ever dated (a unit never reviewed).
	Due time.Time
	// Subject names what a dated finding is about, in words that do not
	// change from day to day: "the ownership review of payments/", "the
	// review of this runbook", "EXC-2026-014 (runbook.missing)".
	Subject string
	// Lapsed is the id of an exception that waived the finding until it
	// expired: the finding counts again.
	Lapsed string
}

// A Tree is what evaluation needs of a repository: its file paths, sorted, and
// a way to read them.
type Tree interface {
	fs.FS
	Paths() []string
}

// A Skip is a rule that was not evaluated, and why.
type Skip struct {
	Rule   string
	Reason string
}

// Options are the inputs of an evaluation besides the tree.
type Options struct {
	// Now is the day the evaluation is for: reviews and exceptions are due
	// or expired relative to it. The pure core never reads the clock.
	Now time.Time
	// Config, when set, applies instead of the tree's .github/ownerbot.yaml
	// (whose problems are still findings): a pull request is judged by the
	// configuration of its base, so it cannot relax the rules it is judged by.
	Config *config.Config
	// Org is the organization's configuration (ownerbot.yaml in its .github
	// repository): the defaults under the tree's own file, and the settings
	// that file may not change. Nil: the built-in defaults.
	Org *config.Org
	// History returns when each of paths was last changed (from git), for
	// the paths that need it: an exception's length runs from its merge, and
	// a runbook without a review date shows its last commit as context. It
	// is called at most once. Without it, lengths run from Now.
	History func(paths []string) (map[string]time.Time, error)
	// Parsed, when set, keeps parsed CODEOWNERS files between evaluations.
	Parsed *ParseCache
	// Organization is the GitHub organization (or user) that holds the
	// repository, when known: the {org} of a Backstage owner template.
	Organization string
	// MatchBudget bounds the work of matching every file against
	// CODEOWNERS (codeowners.MaxCoverWork when zero); past it the file is
	// codeowners.too_expensive.
	MatchBudget int64
}

// A Result is the evaluation of one tree.
type Result struct {
	Findings []Finding // sorted by path, line, column, rule
	// CODEOWNERS is the path of the file GitHub uses, "" when there is none.
	CODEOWNERS string
	Ruleset    *codeowners.Ruleset // nil when there is no CODEOWNERS file
	Coverage   codeowners.Coverage
	Units      *owners.Tree
	Runbooks   map[*owners.Unit][]*UnitRunbook
	Exceptions *exception.Set // nil when the repository has none
	// Prow holds the prow OWNERS files read, by path, and ProwAliases the
	// root's OWNERS_ALIASES (nil without one): a file's own approvers
	// (filters) are answered from them.
	Prow        map[string]*prow.Owners
	ProwAliases *prow.Aliases
	Config      config.Config
	Skipped     []Skip
	// Paths are the files that were judged: the tree's paths less ignored ones.
	Paths []string

	voided map[*exception.Entry]bool // exception entries that waive nothing
}

// Count returns how many findings are at or above a severity and not waived
// by an exception.
func (r *Result) Count(atLeast Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= atLeast && f.ExceptedBy == "" {
			n++
		}
	}
	return n
}

// Evaluate checks a tree against the rule catalogue. Rules that need GitHub
// are listed in Skipped. It fails only when the tree cannot be read; every
// problem with the files themselves is a finding. A listed file that turns
// out not to exist when read (a link the tree refuses to follow, or one that
// points at nothing) is taken as absent.
func Evaluate(tree Tree, opts Options) (*Result, error) {
	res := &Result{}
	if err := loadConfig(tree, opts, res); err != nil {
		return nil, err
	}
	orig := tree
	tree = ignoring(tree, res.Config.Ignore)
	res.Paths = tree.Paths()
	if err := checkCodeowners(tree, opts.Parsed, opts.MatchBudget, res); err != nil {
		return nil, err
	}
	if err := checkUnits(tree, opts, res); err != nil {
		return nil, err
	}
	if err := findRunbooks(tree, res); err != nil {
		return nil, err
	}
	// One question to history for every path that needs a date.
	var lastChanged map[string]time.Time
	if wanted := historyWanted(tree, res); opts.History != nil && len(wanted) > 0 {
		var err error
		if lastChanged, err = opts.History(wanted); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
	}
	if err := checkRunbooks(withoutLinks(tree, orig), opts.Now, lastChanged, res); err != nil {
		return nil, err
	}
	// Exceptions come last: they waive what the other checks found.
	if err := checkExceptions(tree, opts.Now, lastChanged, res); err != nil {
		return nil, err
	}
	// Links last: every read above may have met one.
	checkLinks(orig, opts.Now, res)
	for _, r := range catalogue {
		if r.NeedsGitHub && res.Config.Severities[r.ID] != config.Off {
			res.Skipped = append(res.Skipped, Skip{r.ID, "needs GitHub"})
		}
	}
	res.finish()
	return res, nil
}

// finish applies configured severities and names the unit and owners of
// every finding, then sorts them.
func (res *Result) finish() {
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if res.complete(&f) {
			kept = append(kept, f)
		}
	}
	res.Findings = kept
	res.sort()
}

// complete applies the configured severity of a finding and names its unit
// and owners. It reports false for a finding whose rule is turned off.
func (res *Result) complete(f *Finding) bool {
	switch sev := res.Config.Severities[f.Rule]; sev {
	case "":
	case config.Off:
		return false
	default:
		f.Severity, _ = ParseSeverity(sev)
	}
	if !res.Config.Configured && f.Severity > Warning {
		f.Severity = Warning // no configuration: ownerbot only warns
	}
	var unit *owners.Unit
	if res.Units != nil {
		unit = res.Units.UnitOf(f.Path)
	}
	if unit != nil {
		f.Unit = unit.Name()
	}
	if f.Owners == nil && res.Ruleset != nil && f.Path != "." && !strings.HasSuffix(f.Path, "/") {
		if r := res.Ruleset.Match(f.Path); r != nil {
			f.Owners = r.OwnerNames()
		}
	}
	if len(f.Owners) == 0 && unit != nil && unit.Owner != "" {
		f.Owners = []string{unit.Owner}
	}
	return true
}

func (res *Result) sort() {
	slices.SortStableFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), strings.Compare(a.Rule, b.Rule))
	})
}

// ignoring hides the paths that match the configured ignore patterns.
func ignoring(tree Tree, patterns []string) Tree {
	if len(patterns) == 0 {
		return tree
	}
	var lines strings.Builder
	for _, p := range patterns {
		lines.WriteString(p + " @ignored\n")
	}
	rs := codeowners.Parse([]byte(lines.String()))
	var kept []string
	for _, p := range tree.Paths() {
		if rs.Match(p) == nil {
			kept = append(kept, p)
		}
	}
	return filtered{tree, kept}
}

// filtered is a tree with fewer paths; reading is unchanged.
type filtered struct {
	Tree
	paths []string
}

func (f filtered) Paths() []string { return f.paths }

// loadConfig reads the tree's configuration. With opts.Config set, the
// tree's file is still checked for problems, but opts.Config applies.
func loadConfig(tree Tree, opts Options, res *Result) error {
	known := func(id string) bool { _, ok := Lookup(id); return ok }
	data, err := fs.ReadFile(tree, config.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Config = opts.Org.Defaults()
		data = nil
	case err != nil:
		return fmt.Errorf("read %s: %w", config.Path, err)
	}
	var problems []config.Problem
	if data != nil {
		res.Config, problems = opts.Org.Parse(data, known, ConfigOptions())
	}
	if opts.Config != nil {
		res.Config = *opts.Config
	}
	for _, p := range problems {
		res.Findings = append(res.Findings, finding(ConfigInvalid, config.Path, p.Line, p.Column, p.Message, ""))
	}
	// An organization's file is checked in the repository that holds it,
	// so a pull request that breaks it fails there, before it applies.
	data, err = fs.ReadFile(tree, config.OrgPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s: %w", config.OrgPath, err)
	default:
		_, problems = config.ParseOrg(data, known, ConfigOptions())
		for _, p := range problems {
			res.Findings = append(res.Findings, finding(ConfigInvalid, config.OrgPath, p.Line, p.Column, p.Message, ""))
		}
	}
	return nil
}

// finding fills in a finding's severity and remedy from the catalogue.
func finding(rule, path string, line, col int, msg, remedy string) Finding {
	r, ok := Lookup(rule)
	if !ok {
		panic("policy: rule missing from the catalogue: " + rule)
	}
	if remedy == "" {
		remedy = r.Remedy
	}
	return Finding{Rule: rule, Severity: r.Severity, Path: path, Line: line, Column: col, Message: msg, Remedy: remedy}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sizeText(n int) string {
	return fmt.Sprintf("%.2f MiB (%d bytes)", float64(n)/(1<<20), n)
}

// ProwApprovers returns who prow asks to approve a file: the approvers
// the nearest prow OWNERS file at or above it gives that very path — its
// top-level approvers plus those of every filter that matches — aliases
// expanded, as @logins, and that file's path. A file naming no approver
// for the path defers to the one above, as prow does, unless it ends
// inheritance. ok is false when no prow OWNERS file gives the path one.
func (res *Result) ProwApprovers(file string) (approvers []string, from string, ok bool) {
	for dir := strictyaml.Dir(file); ; dir = strictyaml.Dir(dir) {
		name := prow.OwnersFile
		if dir != "" {
			name = dir + "/" + prow.OwnersFile
		}
		if o := res.Prow[name]; o != nil {
			for _, n := range res.ProwAliases.Expand(o.For(file).Approvers) {
				approvers = append(approvers, prow.GitHubHandle(n.Value))
			}
			if len(approvers) > 0 {
				return approvers, name, true
			}
			if o.NoParentOwners {
				return nil, "", false
			}
		}
		if dir == "" {
			return nil, "", false
		}
	}
}
