// Package report renders evaluation results for people and for machines.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// Summary is the figures a report closes with.
type Summary struct {
	Errors     int     `json:"errors"`
	Warnings   int     `json:"warnings"`
	Info       int     `json:"info"`
	Files      int     `json:"files"`
	OwnedFiles int     `json:"owned_files"`
	Coverage   float64 `json:"coverage"` // percent of files with an owner, one decimal
	CODEOWNERS string  `json:"codeowners"`
	Rules      int     `json:"rules"`
	Units      int     `json:"units"`
	Waived     int     `json:"waived"` // findings waived by exceptions, not in the counts above
	Skipped    []Skip  `json:"skipped"`
	// Ownership is the coverage per owner: what each owns, what is shared
	// and what nobody owns.
	Ownership Ownership `json:"ownership"`
}

// Skip is a rule that was not evaluated, and why.
type Skip struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Summarize counts a result's findings and coverage.
func Summarize(res *policy.Result) Summary {
	s := Summary{
		Files:      res.Coverage.Files,
		OwnedFiles: res.Coverage.Owned,
		Coverage:   math.Round(res.Coverage.Percent()*10) / 10,
		CODEOWNERS: res.CODEOWNERS,
		Skipped:    []Skip{},
		Ownership:  OwnershipOf(res),
	}
	if res.Ruleset != nil {
		s.Rules = len(res.Ruleset.Rules)
	}
	if res.Units != nil {
		s.Units = len(res.Units.Units())
	}
	for _, f := range res.Findings {
		if f.ExceptedBy != "" {
			s.Waived++
			continue
		}
		switch f.Severity {
		case policy.Error:
			s.Errors++
		case policy.Warning:
			s.Warnings++
		case policy.Info:
			s.Info++
		}
	}
	for _, sk := range res.Skipped {
		s.Skipped = append(s.Skipped, Skip{sk.Rule, sk.Reason})
	}
	return s
}

type jsonFinding struct {
	Rule       string   `json:"rule"`
	Severity   string   `json:"severity"`
	Path       string   `json:"path"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	Message    string   `json:"message"`
	Remedy     string   `json:"remedy"`
	Unit       string   `json:"unit"`
	Owners     []string `json:"owners"`
	ExceptedBy string   `json:"excepted_by"`
}

// JSON writes the result as one JSON document:
// {"findings":[{rule, severity, path, line, column, message, remedy, unit,
// owners, excepted_by}], "summary":{...}}. Line and column are 0 when a
// finding is not about a line; owners is never null.
func JSON(w io.Writer, res *policy.Result) error {
	doc := struct {
		Findings []jsonFinding `json:"findings"`
		Summary  Summary       `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Summarize(res)}
	for _, f := range res.Findings {
		owners := f.Owners
		if owners == nil {
			owners = []string{}
		}
		doc.Findings = append(doc.Findings, jsonFinding{
			Rule: f.Rule, Severity: f.Severity.String(), Path: f.Path, Line: f.Line, Column: f.Column,
			Message: f.Message, Remedy: f.Remedy, Unit: f.Unit, Owners: owners, ExceptedBy: f.ExceptedBy,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// TextOptions tune the text report.
type TextOptions struct {
	Color bool // ANSI colours, for a terminal
	// MaxUnowned caps how many unowned directories and files are listed;
	// 0 means 20. The JSON report always lists them all.
	MaxUnowned int
}

// Text writes a report for people: findings grouped by unit (its owner
// first), then by file, each with its position, severity, message, rule id
// and fix; then a summary. Without OWNERS.yaml units, groups are files.
func Text(w io.Writer, res *policy.Result, opt TextOptions) error {
	tw := &textWriter{w: w, color: opt.Color}
	maxUnowned := opt.MaxUnowned
	if maxUnowned <= 0 {
		maxUnowned = 20
	}
	unowned, hidden := 0, 0
	for _, g := range groupByUnit(res) {
		if g.unit != "" {
			who := "no owner"
			if g.owner != "" {
				who = "owner " + term(g.owner)
			}
			tw.printf("%s  %s\n", tw.paint(bold, "unit "+term(g.unit)), tw.paint(dim, "("+who+")"))
		}
		indent := ""
		if g.unit != "" {
			indent = "  "
		}
		var file string
		for i, f := range g.findings {
			if f.Rule == policy.CodeownersUnowned {
				if unowned++; unowned > maxUnowned {
					hidden++
					continue
				}
			}
			if i == 0 || f.Path != file {
				if i > 0 && g.unit == "" {
					tw.printf("\n") // without units, files are the groups
				}
				file = f.Path
				who := ""
				if g.unit == "" || !sameOwners(f.Owners, g.owner) {
					who = "  " + tw.paint(dim, "("+ownersText(f.Owners)+")")
				}
				tw.printf("%s%s%s\n", indent, tw.paint(bold, term(f.Path)), who)
			}
			pos := ""
			if f.Line > 0 {
				pos = fmt.Sprintf("%d:%d", f.Line, f.Column)
			}
			tw.printf("%s  %-8s %s  %s %s\n", indent, pos, tw.severity(f.Severity), term(f.Message), tw.paint(dim, "["+term(f.Rule)+"]"))
			if f.Remedy != "" {
				tw.printf("%s  %-8s %-7s  fix: %s\n", indent, "", "", term(f.Remedy))
			}
			if f.ExceptedBy != "" {
				tw.printf("%s  %-8s %-7s  %s\n", indent, "", "", tw.paint(green, "waived by exception "+term(f.ExceptedBy)+" (its approval is verified by the ownerbot App)"))
			}
		}
		tw.printf("\n")
	}
	if hidden > 0 {
		what := "directories and files"
		if hidden == 1 {
			what = "directory or file"
		}
		tw.printf("… and %d more %s without an owner (--format json lists them all)\n\n", hidden, what)
	}
	s := Summarize(res)
	if s.Errors+s.Warnings+s.Info == 0 {
		tw.printf("%s\n", tw.paint(green, "No problems found."))
	} else {
		waived := ""
		if s.Waived > 0 {
			waived = fmt.Sprintf(" (%d more waived by exceptions)", s.Waived)
		}
		tw.printf("%s, %s, %s%s\n",
			tw.paint(red, plural(s.Errors, "error", "errors")),
			tw.paint(yellow, plural(s.Warnings, "warning", "warnings")),
			plural(s.Info, "note", "notes"), waived)
	}
	if s.CODEOWNERS != "" {
		tw.printf("CODEOWNERS: %s, %s; %s, %.1f%% owned", term(s.CODEOWNERS),
			plural(s.Rules, "rule", "rules"), plural(s.Files, "file", "files"), s.Coverage)
	} else {
		tw.printf("CODEOWNERS: none; %s, none owned", plural(s.Files, "file", "files"))
	}
	if s.Units > 0 {
		tw.printf("; %s", plural(s.Units, "unit", "units"))
	}
	tw.printf("\n")
	if line := ownersLine(s.Ownership, 3); line != "" {
		tw.printf("%s\n", line)
	}
	for _, g := range skipGroups(s.Skipped) {
		tw.printf("%s\n", tw.paint(dim, term(g.say(func(id string) string { return id }))))
	}
	return tw.err
}

// A skipGroup is the rules skipped for one reason.
type skipGroup struct {
	ids    []string
	reason string
}

// skipGroups groups skipped rules by their reason, in the order they come.
func skipGroups(skipped []Skip) []skipGroup {
	var groups []skipGroup
	at := map[string]int{}
	for _, sk := range skipped {
		i, ok := at[sk.Reason]
		if !ok {
			i = len(groups)
			at[sk.Reason] = i
			groups = append(groups, skipGroup{reason: sk.Reason})
		}
		groups[i].ids = append(groups[i].ids, sk.Rule)
	}
	return groups
}

// say is the group as one line, each id written by quote.
func (g skipGroup) say(quote func(string) string) string {
	ids := make([]string, len(g.ids))
	for i, id := range g.ids {
		ids[i] = quote(id)
	}
	if g.reason == "needs GitHub" {
		return "not checked without GitHub: " + strings.Join(ids, ", ")
	}
	return strings.Join(ids, ", ") + ": " + g.reason
}

// A unitGroup is the findings of one unit, in report order.
type unitGroup struct {
	unit, owner string
	findings    []policy.Finding
}

// groupByUnit groups findings by unit, units in directory order ("/" first)
// and findings in their order within each. Findings outside every unit come
// first, in a group with no name.
func groupByUnit(res *policy.Result) []unitGroup {
	var groups []unitGroup
	index := map[string]int{}
	for _, f := range res.Findings {
		i, ok := index[f.Unit]
		if !ok {
			g := unitGroup{unit: f.Unit}
			if res.Units != nil && f.Unit != "" {
				for _, u := range res.Units.Units() {
					if u.Name() == f.Unit {
						g.owner = u.Owner
					}
				}
			}
			i = len(groups)
			index[f.Unit] = i
			groups = append(groups, g)
		}
		groups[i].findings = append(groups[i].findings, f)
	}
	slices.SortStableFunc(groups, func(a, b unitGroup) int {
		return strings.Compare(unitKey(a.unit), unitKey(b.unit))
	})
	return groups
}

// unitKey sorts the ungrouped findings first, then "/" before its children.
func unitKey(name string) string {
	switch name {
	case "":
		return ""
	case "/":
		return "\x00"
	}
	return name
}

func sameOwners(owners []string, owner string) bool {
	return len(owners) == 1 && owners[0] == owner
}

func ownersText(owners []string) string {
	if len(owners) == 0 {
		return "no owner"
	}
	return "owners " + term(strings.Join(owners, " "))
}

// term makes text from the repository safe to print on a terminal: escape
// sequences, bells, NULs, bidirectional overrides and bytes that are not
// UTF-8 are written as Go escapes (\x1b, \u202e) instead of acting.
func term(s string) string { return gfm.Printable(s) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

const (
	bold   = "1"
	dim    = "2"
	red    = "31"
	green  = "32"
	yellow = "33"
	cyan   = "36"
)

// textWriter keeps the first write error, so rendering code stays linear.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (t *textWriter) severity(s policy.Severity) string {
	text := fmt.Sprintf("%-7s", s)
	switch s {
	case policy.Error:
		return t.paint(red, text)
	case policy.Warning:
		return t.paint(yellow, text)
	}
	return t.paint(cyan, text)
}

// ownersLine sums up the coverage per owner in one line: the largest owners
// by share, and what is unowned. "" when CODEOWNERS owns nothing.
func ownersLine(o Ownership, top int) string {
	if len(o.Owners) == 0 || o.Files == 0 || o.Owners[0].Files == 0 {
		return ""
	}
	var parts []string
	for _, r := range o.Owners[:min(top, len(o.Owners))] {
		if r.Files > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", term(r.Owner), r.Share))
		}
	}
	line := "Owners: " + strings.Join(parts, ", ")
	if more := len(o.Owners) - len(parts); more > 0 {
		line += fmt.Sprintf(" and %d more", more)
	}
	return line + fmt.Sprintf("; %.1f%% shared, %.1f%% unowned ('ownerbot coverage' lists every owner)",
		share(100*float64(o.SharedFiles)/float64(o.Files)), share(100*float64(o.UnownedFiles)/float64(o.Files)))
}
