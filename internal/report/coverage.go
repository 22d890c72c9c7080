package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ownerbot/ownerbot/internal/gfm"
	"github.com/ownerbot/ownerbot/internal/policy"
)

// OwnerRow is one owner's share of a repository, as the reports write it.
type OwnerRow struct {
	Owner    string  `json:"owner"`
	Files    int     `json:"files"`
	Share    float64 `json:"share"` // percent of the repository's files, one decimal
	Sole     int     `json:"sole"`  // files it owns alone
	Units    int     `json:"units"`
	Runbooks int     `json:"runbooks"`
}

// Ownership is the coverage per owner that reports carry: who owns what
// share, and what is shared and unowned. SoleFiles + SharedFiles +
// UnownedFiles = Files.
type Ownership struct {
	Files        int        `json:"files"`
	SoleFiles    int        `json:"sole_files"`
	SharedFiles  int        `json:"shared_files"`
	UnownedFiles int        `json:"unowned_files"`
	Units        int        `json:"units"`
	UnownedUnits int        `json:"unowned_units"`
	Runbooks     int        `json:"runbooks"`
	Owners       []OwnerRow `json:"owners"`
	// TooExpensive: CODEOWNERS was too costly to match, so the file
	// figures are unknown (zero).
	TooExpensive bool `json:"too_expensive,omitempty"`
}

// OwnershipOf turns the result's coverage per owner into report rows.
func OwnershipOf(res *policy.Result) Ownership {
	c := res.ByOwner()
	o := Ownership{
		Files: c.Files, SharedFiles: c.Shared, UnownedFiles: c.Unowned,
		Units: c.Units, UnownedUnits: c.UnitsWithoutOwner, Runbooks: c.Runbooks,
		Owners: make([]OwnerRow, len(c.Owners)), TooExpensive: c.TooExpensive,
	}
	for i, s := range c.Owners {
		o.SoleFiles += s.Sole
		o.Owners[i] = OwnerRow{Owner: s.Owner, Files: s.Files, Share: share(c.Percent(s.Files)), Sole: s.Sole, Units: s.Units, Runbooks: s.Runbooks}
	}
	return o
}

func share(pct float64) float64 { return math.Round(pct*10) / 10 }

// CoverageTSV writes one line per owner, then the shared and unowned
// files: owner, files, share (percent), sole, units, runbooks, tab-separated
// under a header line, ready for a spreadsheet or awk. The sole column of
// every row, (shared) and (unowned) included, adds up to the total row.
func CoverageTSV(w io.Writer, o Ownership) error {
	var b strings.Builder
	b.WriteString("owner\tfiles\tshare\tsole\tunits\trunbooks\n")
	for _, r := range o.Owners {
		fmt.Fprintf(&b, "%s\t%d\t%.1f\t%d\t%d\t%d\n", tsvField(r.Owner), r.Files, r.Share, r.Sole, r.Units, r.Runbooks)
	}
	pct := func(n int) float64 {
		if o.Files == 0 {
			return 0
		}
		return share(100 * float64(n) / float64(o.Files))
	}
	fmt.Fprintf(&b, "(shared)\t%d\t%.1f\t%d\t0\t0\n", o.SharedFiles, pct(o.SharedFiles), o.SharedFiles)
	fmt.Fprintf(&b, "(unowned)\t%d\t%.1f\t%d\t%d\t0\n", o.UnownedFiles, pct(o.UnownedFiles), o.UnownedFiles, o.UnownedUnits)
	fmt.Fprintf(&b, "(total)\t%d\t%.1f\t%d\t%d\t%d\n", o.Files, pct(o.Files), o.Files, o.Units, o.Runbooks)
	_, err := io.WriteString(w, b.String())
	return err
}

// tsvField keeps an owner on its line and in its column: an owner read from
// a file cannot hold a tab or line break, but a report never trusts that.
func tsvField(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, gfm.Printable(s))
}

// CoverageJSON writes the coverage per owner as one JSON document.
func CoverageJSON(w io.Writer, o Ownership) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(o)
}

// CoverageText writes the coverage per owner as a table for people, at
// most limit owners (all when limit ≤ 0), then the shared, unowned and
// total lines. The "alone" column adds up: the owners' files owned alone,
// the shared and the unowned files make the total.
func CoverageText(w io.Writer, o Ownership, limit int) error {
	if o.TooExpensive {
		_, err := fmt.Fprintf(w, "CODEOWNERS is too costly to match against every file (see codeowners.too_expensive): no figures per owner.\n")
		return err
	}
	rows := o.Owners
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	width := len("(shared by several)")
	for _, r := range rows {
		width = max(width, utf8.RuneCountInString(term(r.Owner)))
	}
	pct := func(n int) float64 {
		if o.Files == 0 {
			return 0
		}
		return share(100 * float64(n) / float64(o.Files))
	}
	var b strings.Builder
	line := func(name, files, share, alone, units, runbooks string) {
		fmt.Fprintf(&b, "%s%s  %6s  %6s  %6s  %5s  %8s\n", name, strings.Repeat(" ", width-utf8.RuneCountInString(name)), files, share, alone, units, runbooks)
	}
	itoa := strconv.Itoa
	line("owner", "files", "share", "alone", "units", "runbooks")
	for _, r := range rows {
		line(term(r.Owner), itoa(r.Files), fmt.Sprintf("%.1f%%", r.Share), itoa(r.Sole), itoa(r.Units), itoa(r.Runbooks))
	}
	if hidden := len(o.Owners) - len(rows); hidden > 0 {
		fmt.Fprintf(&b, "… %d more owners (ownerbot coverage lists them all)\n", hidden)
	}
	line("(shared by several)", itoa(o.SharedFiles), fmt.Sprintf("%.1f%%", pct(o.SharedFiles)), itoa(o.SharedFiles), "", "")
	line("(unowned)", itoa(o.UnownedFiles), fmt.Sprintf("%.1f%%", pct(o.UnownedFiles)), itoa(o.UnownedFiles), itoa(o.UnownedUnits), "")
	line("(total)", itoa(o.Files), fmt.Sprintf("%.1f%%", pct(o.Files)), itoa(o.Files), itoa(o.Units), itoa(o.Runbooks))
	_, err := io.WriteString(w, b.String())
	return err
}

// coverageMarkdown writes the table of owners for the Markdown report, at
// most limit rows, with owners as code: a report mentions nobody.
func coverageMarkdown(d *gfm.Doc, q gfm.Quoter, o Ownership, limit int) {
	if o.TooExpensive || len(o.Owners) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n<details><summary>Ownership by owner</summary>\n\n")
	b.WriteString("| owner | files | share | alone | units | runbooks |\n|---|--:|--:|--:|--:|--:|\n")
	rows := o.Owners
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.1f%% | %d | %d | %d |\n", q.InCell().Owner(r.Owner), r.Files, r.Share, r.Sole, r.Units, r.Runbooks)
	}
	if hidden := len(o.Owners) - len(rows); hidden > 0 {
		fmt.Fprintf(&b, "| … %d more (`ownerbot coverage`) | | | | | |\n", hidden)
	}
	fmt.Fprintf(&b, "| *shared by several* | %d | | | | |\n| *unowned* | %d | | | %d | |\n\n</details>\n", o.SharedFiles, o.UnownedFiles, o.UnownedUnits)
	d.Write(b.String())
}
