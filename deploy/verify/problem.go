package main

import "fmt"

// A Problem is one broken invariant and where it is: a file and line
// ("deploy/Dockerfile:12") or a rendered object
// ("full.yaml:40: Deployment/ownerbot").
type Problem struct {
	Where string
	Msg   string
}

func (p Problem) String() string { return p.Where + ": " + p.Msg }

// problems collects Problems in the order they are found, which is the
// order of the file they are about.
type problems []Problem

func (ps *problems) add(where, format string, args ...any) {
	*ps = append(*ps, Problem{Where: where, Msg: fmt.Sprintf(format, args...)})
}

// lines renders problems one per line.
func lines(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
