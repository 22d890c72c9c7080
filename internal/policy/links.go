package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/exception"
	"github.com/ownerbot/ownerbot/internal/owners"
)

// A linkedTree refuses to follow some of its symbolic links: those that lead
// outside the repository and those that loop. Reading through them fails as
// if nothing were there, and it lists them so they can be reported.
// snapshot.Tree is one.
type linkedTree interface {
	OutsideLinks() []string
	LinkLoops() []string
}

// checkLinks reports each symbolic link the tree refused to follow. It runs
// after everything else has read the tree, so that links met while reading
// (a directory of the index replaced by a link) are reported too; the
// findings it adds are waived by exceptions like any other.
func checkLinks(tree Tree, now time.Time, res *Result) {
	lt, ok := tree.(linkedTree)
	if !ok {
		return
	}
	start := len(res.Findings)
	for _, p := range lt.OutsideLinks() {
		res.Findings = append(res.Findings, finding(LinkOutsideRepository, p, 0, 0,
			"the symbolic link "+p+" leads outside the repository: ownerbot does not follow it, so nothing is read from it or through it"+treatedAsAbsent(p), ""))
	}
	for _, p := range lt.LinkLoops() {
		res.Findings = append(res.Findings, finding(LinkOutsideRepository, p, 0, 0,
			"the symbolic link "+p+" never resolves (it loops): ownerbot does not follow it"+treatedAsAbsent(p), ""))
	}
	for i := start; i < len(res.Findings); i++ {
		res.waive(&res.Findings[i], now)
	}
}

// treatedAsAbsent says which file ownerbot reads that the link stands in
// for, so the reader knows why that file's rules found nothing there.
func treatedAsAbsent(p string) string {
	var what string
	switch base := path.Base(p); {
	case slices.Contains(codeowners.Locations, p):
		what = "CODEOWNERS"
	case p == config.Path || p == config.OrgPath:
		what = "configuration"
	case base == owners.FileName || base == exception.FileName:
		what = base
	default:
		return ""
	}
	return fmt.Sprintf("; the %s file here is treated as absent", what)
}

// withoutLinks hides from the file list the links the tree refused, and
// what lies below them, for the checks that take a listed file to be
// readable (runbook links into other Markdown files).
func withoutLinks(tree, orig Tree) Tree {
	lt, ok := orig.(linkedTree)
	if !ok {
		return tree
	}
	refused := map[string]bool{}
	for _, l := range append(lt.OutsideLinks(), lt.LinkLoops()...) {
		refused[l] = true
	}
	if len(refused) == 0 {
		return tree
	}
	var kept []string
paths:
	for _, p := range tree.Paths() {
		// The path itself and each directory above it.
		for q := p; ; q = q[:strings.LastIndexByte(q, '/')] {
			if refused[q] {
				continue paths
			}
			if !strings.Contains(q, "/") {
				break
			}
		}
		kept = append(kept, p)
	}
	return filtered{tree, kept}
}
