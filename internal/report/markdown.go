package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ownerbot/ownerbot/internal/policy"
)

// Markdown writes the result as the Markdown body the App posts: a headline
// with the counts, then the findings grouped by unit with their owners, each
// with its place, message and fix.
func Markdown(w io.Writer, res *policy.Result) error {
	tw := &textWriter{w: w}
	s := Summarize(res)
	tw.printf("### ownerbot\n\n")
	if s.Errors+s.Warnings+s.Info == 0 {
		tw.printf("No ownership problems found.")
	} else {
		tw.printf("**%s**, **%s**, %s", plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings"), plural(s.Info, "note", "notes"))
		if s.Waived > 0 {
			tw.printf(" (%d more waived by exceptions)", s.Waived)
		}
		tw.printf(".")
	}
	if s.CODEOWNERS != "" {
		tw.printf(" CODEOWNERS owns %.1f%% of %s", s.Coverage, plural(s.Files, "file", "files"))
	} else {
		tw.printf(" There is no CODEOWNERS file")
	}
	if s.Units > 0 {
		tw.printf(" in %s", plural(s.Units, "unit", "units"))
	}
	tw.printf(".\n")
	for _, g := range groupByUnit(res) {
		switch {
		case g.unit == "":
			tw.printf("\n#### Outside any unit\n\n")
		case g.owner == "":
			tw.printf("\n#### Unit `%s`\n\n", g.unit)
		default:
			tw.printf("\n#### Unit `%s` — %s\n\n", g.unit, g.owner)
		}
		for _, f := range g.findings {
			where := "`" + f.Path + "`"
			if f.Line > 0 {
				where = fmt.Sprintf("`%s:%d`", f.Path, f.Line)
			}
			tw.printf("- %s **%s** %s: %s  \n  Fix: %s", mdIcon(f), f.Severity, where, mdText(f.Message), mdText(f.Remedy))
			if f.ExceptedBy != "" {
				tw.printf("  \n  Waived by exception `%s`.", f.ExceptedBy)
			}
			tw.printf(" <sub>`%s`</sub>\n", f.Rule)
		}
	}
	for i, g := range skipGroups(s.Skipped) {
		if i == 0 {
			tw.printf("\n")
		}
		line := g.say(func(id string) string { return "`" + id + "`" })
		tw.printf("<sub>%s%s.</sub>\n", strings.ToUpper(line[:1]), mdText(line[1:]))
	}
	return tw.err
}

func mdIcon(f policy.Finding) string {
	switch {
	case f.ExceptedBy != "":
		return "✅"
	case f.Severity == policy.Error:
		return "❌"
	case f.Severity == policy.Warning:
		return "⚠️"
	}
	return "ℹ️"
}

// mdText keeps text written by people from turning into Markdown or HTML
// (a pattern's `*` would start emphasis, `<` a tag). Backticks are kept:
// messages quote patterns in them on purpose.
var mdEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "|", "\\|")

func mdText(s string) string {
	// Inside backticks nothing is interpreted, so escape only outside them.
	parts := strings.Split(s, "`")
	for i := range parts {
		// Even parts are outside code spans; so is an unpaired last one.
		if i%2 == 0 || i == len(parts)-1 && len(parts)%2 == 0 {
			parts[i] = mdEscaper.Replace(parts[i])
		}
	}
	return strings.Join(parts, "`")
}
