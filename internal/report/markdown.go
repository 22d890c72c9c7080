package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// MaxMarkdown bounds `ownerbot check --format markdown`: the size GitHub
// Actions accepts for one step's job summary (1 MiB).
const MaxMarkdown = 1 << 20

// Markdown writes the result as Markdown for people to read on GitHub (a
// job summary, a pasted report): a headline with the counts, then the
// findings grouped by unit with their owners, each with its place, message
// and fix. It mentions nobody: owners are written as code.
func Markdown(w io.Writer, res *policy.Result) error {
	q := gfm.NewQuoter()
	var d gfm.Doc
	s := Summarize(res)
	d.Write("### ownerbot\n\n")
	if s.Errors+s.Warnings+s.Info == 0 {
		d.Write("No ownership problems found.")
	} else {
		d.Write(fmt.Sprintf("**%s**, **%s**, %s", plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings"), plural(s.Info, "note", "notes")))
		if s.Waived > 0 {
			d.Write(fmt.Sprintf(" (%d more waived by exceptions)", s.Waived))
		}
		d.Write(".")
	}
	if s.CODEOWNERS != "" {
		d.Write(fmt.Sprintf(" CODEOWNERS owns %.1f%% of %s", s.Coverage, plural(s.Files, "file", "files")))
	} else {
		d.Write(" There is no CODEOWNERS file")
	}
	if s.Units > 0 {
		d.Write(" in " + plural(s.Units, "unit", "units"))
	}
	d.Write(".\n")
	coverageMarkdown(&d, q, s.Ownership, 10)
	for _, g := range groupByUnit(res) {
		switch {
		case g.unit == "":
			d.Write("\n#### Outside any unit\n\n")
		case g.owner == "":
			d.Write("\n#### Unit " + q.Code(g.unit) + "\n\n")
		default:
			d.Write("\n#### Unit " + q.Code(g.unit) + " — " + q.Owner(g.owner) + "\n\n")
		}
		items := make([]string, len(g.findings))
		for i, f := range g.findings {
			var b strings.Builder
			fmt.Fprintf(&b, "- %s **%s** %s: %s  \n  Fix: %s", mdIcon(f), f.Severity, where(q, f), q.Text(f.Message), q.Text(f.Remedy))
			if f.ExceptedBy != "" {
				b.WriteString("  \n  Waived by exception " + q.Code(f.ExceptedBy) + ".")
			}
			b.WriteString(" <sub>" + q.Code(f.Rule) + "</sub>\n")
			items[i] = b.String()
		}
		d.List(items, len(items), moreFindings)
	}
	for i, g := range skipGroups(s.Skipped) {
		if i == 0 {
			d.Write("\n")
		}
		// say quotes the ids as code spans, which Text keeps.
		line := g.say(q.Code)
		d.Write("<sub>" + q.Text(strings.ToUpper(line[:1])+line[1:]) + ".</sub>\n")
	}
	out, _ := d.Render(MaxMarkdown)
	_, err := io.WriteString(w, out)
	return err
}

// moreFindings says how many findings a list leaves out and where they all are.
func moreFindings(left int) string {
	return fmt.Sprintf("- … and %d more; run `ownerbot check` for all of them.\n", left)
}

// where is a finding's place as code: its path, and line when known.
func where(q gfm.Quoter, f policy.Finding) string {
	if f.Line > 0 {
		return q.Code(fmt.Sprintf("%s:%d", f.Path, f.Line))
	}
	return q.Code(f.Path)
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

// mdOwners writes owners separated by spaces, "nobody" when there are none.
func mdOwners(q gfm.Quoter, names []string) string {
	if len(names) == 0 {
		return "nobody"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = q.Owner(n)
	}
	return strings.Join(out, " ")
}
