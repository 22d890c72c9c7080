package policy

import (
	"fmt"
	"strings"

	"github.com/ownerbot/ownerbot/internal/codeowners"
)

func checkCodeowners(tree Tree, cache *ParseCache, budget int64, res *Result) error {
	found, err := codeowners.Locate(tree)
	if err != nil {
		return fmt.Errorf("look for CODEOWNERS: %w", err)
	}
	if len(found) == 0 {
		res.Findings = append(res.Findings, finding(CodeownersMissing, codeowners.Locations[0], 0, 0,
			"no CODEOWNERS file in .github/, the root or docs/: no file has an owner", ""))
		res.Coverage = codeowners.Coverage{Files: len(tree.Paths())}
		return nil
	}
	res.CODEOWNERS = found[0]
	for _, other := range found[1:] {
		res.Findings = append(res.Findings, finding(CodeownersMultiple, other, 0, 0,
			fmt.Sprintf("GitHub reads %s and ignores this file", found[0]),
			fmt.Sprintf("move what this file should say into %s and delete it", found[0])))
	}
	// One byte past the limit is enough to know GitHub ignores the file.
	data, err := readBounded(tree, found[0], codeowners.MaxSize)
	if err != nil {
		return fmt.Errorf("read %s: %w", found[0], err)
	}
	rs := cache.ruleset(data)
	res.Ruleset = rs
	path := found[0]
	if rs.TooLarge {
		res.Findings = append(res.Findings, finding(CodeownersTooLarge, path, 0, 0,
			fmt.Sprintf("the file is %s; GitHub ignores a CODEOWNERS file of 3 MiB or more, so no file has an owner", sizeText(rs.Size)), ""))
	}
	for _, p := range rs.Problems {
		rule := CodeownersSyntax
		if p.Kind == codeowners.KindInvalidOwner {
			rule = CodeownersInvalidOwner
		}
		res.Findings = append(res.Findings, finding(rule, path, p.Line, p.Column, p.Kind+": "+p.Message, p.Suggestion))
	}

	if budget <= 0 {
		budget = codeowners.MaxCoverWork
	}
	cov := rs.CoverWithin(tree.Paths(), budget)
	res.Coverage = cov
	if cov.TooExpensive {
		// Matching stopped at its work budget: nothing is known about any
		// file, so what depends on matching (coverage, unowned files,
		// patterns that match nothing, shadowed lines) is not reported.
		res.Findings = append(res.Findings, finding(CodeownersTooExpensive, path, 0, 0,
			fmt.Sprintf("CODEOWNERS too expensive to evaluate: %d rules × %d paths; coverage, unowned files, patterns that match nothing and shadowed lines are not reported", len(rs.Rules), cov.Files), ""))
	}
	dups := rs.Duplicates()
	for i := range rs.Rules {
		r := &rs.Rules[i]
		rc := cov.Rules[i]
		pattern := "`" + r.Pattern + "`"
		switch j, dup := dups[i]; {
		case dup:
			res.Findings = append(res.Findings, finding(CodeownersDuplicate, path, r.Line, r.Column,
				fmt.Sprintf("pattern %s appears again on line %d, which wins wherever both match, so this line decides nothing", pattern, rs.Rules[j].Line),
				fmt.Sprintf("merge the owners into line %d and delete this line", rs.Rules[j].Line)))
		case cov.TooExpensive:
		case rc.Matched == 0:
			res.Findings = append(res.Findings, finding(CodeownersNoMatch, path, r.Line, r.Column,
				fmt.Sprintf("pattern %s matches no file in the repository", pattern), ""))
		case rc.Decided == 0:
			res.Findings = append(res.Findings, finding(CodeownersShadowed, path, r.Line, r.Column,
				fmt.Sprintf("pattern %s matches %s, but later lines decide all of them (%s)", pattern, plural(rc.Matched, "file"), overriderLines(rs, rc)), ""))
		}
	}
	for _, g := range cov.Unowned {
		gpath, msg := g.Path, "no line gives this file an owner"
		switch {
		case g.Path == "":
			gpath, msg = ".", fmt.Sprintf("no line gives any of the %s an owner", plural(g.Files, "file"))
		case g.Files == 1 && strings.HasSuffix(g.Path, "/"):
			msg = "no line gives the only file in this directory an owner"
		case strings.HasSuffix(g.Path, "/"):
			msg = fmt.Sprintf("no line gives any of the %s in this directory an owner", plural(g.Files, "file"))
		}
		res.Findings = append(res.Findings, finding(CodeownersUnowned, gpath, 0, 0, msg, ""))
	}
	return nil
}

// overriderLines names the lines that override a shadowed rule: "line 7",
// "lines 7, 9, 12", "lines 7, 9, 12 and 4 more".
func overriderLines(rs *codeowners.Ruleset, rc codeowners.RuleCoverage) string {
	lines := make([]string, len(rc.Overriders))
	for k, o := range rc.Overriders {
		lines[k] = fmt.Sprint(rs.Rules[o].Line)
	}
	s := "line " + strings.Join(lines, ", ")
	if len(lines)+rc.MoreOverriders > 1 {
		s = "lines " + strings.Join(lines, ", ")
	}
	switch {
	case rc.MoreUncounted:
		// Counting stopped at a line it had not counted: one more at least.
		s += fmt.Sprintf(" and at least %d more", rc.MoreOverriders+1)
	case rc.MoreOverriders > 0:
		s += fmt.Sprintf(" and %d more", rc.MoreOverriders)
	}
	return s
}
