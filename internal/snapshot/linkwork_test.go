package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostileLinks is the shape a pull request can push cheaply: a chain of
// links, each with a long x/../x/.. target, and many links into its head.
type hostileLinks struct {
	chain, links, pairs int
	kindCalls, reads    int // the resolver's steps: entries looked at, links read
}

func (h *hostileLinks) resolver() *linkResolver {
	links := map[string]string{}
	pad := strings.Repeat("x/../", h.pairs)
	for i := range h.chain {
		next := fmt.Sprintf("c%d", i+1)
		if i == h.chain-1 {
			next = "f"
		}
		links[fmt.Sprintf("c%d", i)] = pad + next
	}
	for i := range h.links {
		links[fmt.Sprintf("l/%d", i)] = "../c0"
	}
	files := map[string]bool{"f": true, "x/y": true}
	dirs := map[string]bool{"x": true, "l": true}
	return &linkResolver{
		kind: func(p string) (entryKind, error) {
			h.kindCalls++
			switch {
			case links[p] != "":
				return kindLink, nil
			case files[p]:
				return kindFile, nil
			case dirs[p]:
				return kindDir, nil
			}
			return 0, fs.ErrNotExist
		},
		readLink: func(p string) (string, error) { h.reads++; return links[p], nil },
		hideGit:  true,
		log:      &linkLog{},
	}
}

// TestLinkResolutionWorkIsLinear: resolving every link of a tree, as
// opening one does, costs steps linear in the links plus the chain's target
// elements, not their product: a chain is resolved once, not once per link
// that reaches it.
func TestLinkResolutionWorkIsLinear(t *testing.T) {
	h := &hostileLinks{chain: 30, links: 2000, pairs: 100}
	r := h.resolver()
	for i := range h.links {
		got, err := r.resolve(fmt.Sprintf("l/%d", i), true)
		if err != nil || got != "f" {
			t.Fatalf("resolve(l/%d) = %q, %v, want f", i, got, err)
		}
	}
	steps := h.kindCalls + h.reads
	chainElems := h.chain * (2*h.pairs + 1)
	bound := 4 * (h.links*3 + chainElems)
	t.Logf("%d links into a chain of %d links of %d elements each: %d steps (%d entries looked at, %d links read), bound %d",
		h.links, h.chain, 2*h.pairs+1, steps, h.kindCalls, h.reads, bound)
	if steps > bound {
		t.Errorf("resolving took %d steps, want at most %d (linear in links + chain elements)", steps, bound)
	}
}

// TestLinkResolutionBudget: past the tree's work budget, the links not yet
// resolved are refused as leading outside, without being read, the error
// says the budget was spent, and the rest of the tree is still usable:
// files, and links resolved before.
func TestLinkResolutionBudget(t *testing.T) {
	h := &hostileLinks{chain: 30, links: 50, pairs: 100}
	r := h.resolver()
	r.memo = &linkMemo{limit: 3000} // the chain needs ~6,000
	for i := range h.links {
		got, err := r.resolve(fmt.Sprintf("l/%d", i), true)
		le, ok := err.(*LinkError)
		if !ok || !le.Spent || le.Loop || !strings.Contains(err.Error(), "budget") {
			t.Fatalf("resolve(l/%d) = %q, %v, want a LinkError saying the budget is spent", i, got, err)
		}
	}
	reads := h.reads
	if _, err := r.resolve("l/7", true); err == nil || h.reads != reads {
		t.Errorf("a refused link again: err %v, %d more reads, want an error and none", err, h.reads-reads)
	}
	if got, err := r.resolve("x/y", true); err != nil || got != "x/y" {
		t.Errorf("resolve(x/y) past the budget = %q, %v, want x/y", got, err)
	}
	if got := len(r.log.list(false)); got == 0 || got > h.links+h.chain {
		t.Errorf("%d links logged as outside, want between 1 and %d", got, h.links+h.chain)
	}
	if loops := r.log.list(true); len(loops) != 0 {
		t.Errorf("LinkLoops = %q, want none: the budget is not a loop", loops)
	}

	// A budget that holds for the chain: later links past it are refused,
	// links already resolved still resolve.
	h = &hostileLinks{chain: 5, links: 50, pairs: 10}
	r = h.resolver()
	r.memo = &linkMemo{limit: 5*(1+21) + 10}
	var refused int
	for i := range h.links {
		if _, err := r.resolve(fmt.Sprintf("l/%d", i), true); err != nil {
			refused++
		}
	}
	if refused == 0 || refused == h.links {
		t.Errorf("%d of %d links refused, want some but not all", refused, h.links)
	}
	if got, err := r.resolve("l/0", true); err != nil || got != "f" {
		t.Errorf("resolve(l/0), resolved before the budget was spent = %q, %v, want f", got, err)
	}
}

// TestLinkTargetTooLong: a target of more elements than any real link is
// refused as leading outside, and says why.
func TestLinkTargetTooLong(t *testing.T) {
	m := memTree{files: map[string]bool{"x/f": true}, links: map[string]string{
		"long": strings.Repeat("x/../", maxLinkElems) + "x/f",
		"ok":   strings.Repeat("x/../", maxLinkElems/4) + "x/f",
	}}
	r := m.resolver()
	if _, err := r.resolve("long", true); !strings.Contains(fmt.Sprint(err), "more than") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("resolve(long) = %v, want a LinkError for too many elements", err)
	}
	if got, err := r.resolve("ok", true); err != nil || got != "x/f" {
		t.Errorf("resolve(ok) = %q, %v, want x/f", got, err)
	}
	if diff := cmp.Diff([]string{"long"}, r.log.list(false)); diff != "" {
		t.Errorf("outside links (-want +got):\n%s", diff)
	}
}
