package runbook

import (
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A LinkChecker checks the relative links of runbooks against one tree of a
// repository. The list of paths says what exists — git's list, so a file
// present on disk but not committed is still a broken link on GitHub — and
// the file system is read only for the anchors of Markdown files that links
// point into, each file once, at most MaxSize bytes of it. Make one per tree
// and evaluation; it is safe for concurrent use.
type LinkChecker struct {
	fsys  fs.FS
	paths []string // sorted bytewise

	mu      sync.Mutex
	anchors map[string]map[string]bool // by path; nil for a file too large to check
	lower   map[string]string          // lower-cased path → path, built on the first miss
}

// NewLinkChecker makes a checker for the repository tree whose files are
// paths (repository-relative, slash-separated) and whose contents fsys
// holds under the same names. It keeps paths when they are sorted, as
// snapshot and policy trees give them, and a sorted copy otherwise; the
// caller must not change them while the checker is in use.
func NewLinkChecker(fsys fs.FS, paths []string) *LinkChecker {
	if !slices.IsSorted(paths) {
		paths = slices.Sorted(slices.Values(paths))
	}
	return &LinkChecker{fsys: fsys, paths: paths, anchors: map[string]map[string]bool{}}
}

// BrokenLinks returns the links of r that do not resolve, each with its
// Reason, in the order they are written. External links (a scheme such as
// https: or mailto:, or //host) are not checked. Relative targets resolve
// against the runbook's directory, and ones starting with "/" against the
// root of the repository, as GitHub does. A target may name a file or a
// directory that holds files; an anchor must match a heading or an HTML
// id or name of the Markdown file it points into (or of the runbook itself,
// for "#anchor" alone), compared without regard to case as GitHub does.
// Anchors into directories, non-Markdown files, files larger than MaxSize
// and "?plain=1" views are not checked. The error is for a listed file that
// cannot be read.
func (c *LinkChecker) BrokenLinks(r *Runbook) ([]Link, error) {
	var own map[string]bool
	var broken []Link
	for _, l := range r.Links {
		if !isRelative(l.Target) {
			continue
		}
		if own == nil {
			own = make(map[string]bool, len(r.Anchors))
			for _, a := range r.Anchors {
				own[a] = true
			}
		}
		reason, err := c.check(r, own, l.Target)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			l.Reason = reason
			broken = append(broken, l)
		}
	}
	return broken, nil
}

// isRelative reports whether a target points into the repository: not empty,
// no scheme (https:, mailto:, …) and no //host.
func isRelative(target string) bool {
	if target == "" || strings.HasPrefix(target, "//") {
		return false
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return false
		default:
			return true
		}
	}
	return true
}

func (c *LinkChecker) check(r *Runbook, own map[string]bool, target string) (string, error) {
	p, frag, hasFrag := strings.Cut(target, "#")
	p, query, _ := strings.Cut(p, "?")
	checkAnchor := hasFrag && frag != "" && !strings.Contains(query, "plain=1")
	if p == "" {
		if checkAnchor && !own[anchorKey(frag)] {
			return fmt.Sprintf("this runbook has no heading or anchor #%s%s", frag, suggestAnchor(anchorKey(frag), own)), nil
		}
		return "", nil
	}
	decoded, err := url.PathUnescape(p)
	if err != nil {
		return fmt.Sprintf("%q is not valid percent-encoding: write %% as %%25", p), nil
	}
	resolved, ok := resolve(r.Dir(), decoded)
	if !ok {
		return "the target leaves the repository: its `..` climb above the root", nil
	}
	wantDir := strings.HasSuffix(decoded, "/")
	switch {
	case resolved == "":
		return "", nil // the root of the repository
	case c.hasFile(resolved) && wantDir:
		return fmt.Sprintf("%s is a file, not a directory", resolved), nil
	case c.hasFile(resolved):
		if !checkAnchor || !isMarkdown(resolved) {
			return "", nil
		}
		anchors := own
		if resolved != r.Path {
			var err error
			if anchors, err = c.anchorsOf(resolved); err != nil {
				return "", err
			}
		}
		if anchors != nil && !anchors[anchorKey(frag)] {
			return fmt.Sprintf("%s has no heading or anchor #%s%s", resolved, frag, suggestAnchor(anchorKey(frag), anchors)), nil
		}
		return "", nil
	case c.hasDir(resolved):
		return "", nil
	}
	return fmt.Sprintf("%s does not exist in the repository%s", resolved, c.suggestPath(resolved)), nil
}

// resolve joins a target to the directory it is relative to ("" for the
// root), or to the root when it starts with "/". It reports false when the
// target climbs above the root.
func resolve(dir, target string) (string, bool) {
	joined := strings.TrimLeft(target, "/")
	if !strings.HasPrefix(target, "/") && dir != "" {
		joined = dir + "/" + joined
	}
	p := path.Clean(joined)
	switch {
	case p == ".." || strings.HasPrefix(p, "../"):
		return "", false
	case p == ".":
		return "", true
	}
	return p, true
}

func (c *LinkChecker) hasFile(p string) bool {
	_, found := slices.BinarySearch(c.paths, p)
	return found
}

// hasDir reports whether any file lies below directory p.
func (c *LinkChecker) hasDir(p string) bool {
	prefix := p + "/"
	i := sort.SearchStrings(c.paths, prefix)
	return i < len(c.paths) && strings.HasPrefix(c.paths[i], prefix)
}

// markdownExts are the extensions GitHub renders as Markdown.
var markdownExts = []string{".md", ".markdown", ".mdown", ".mkdn", ".mkd", ".mdwn"}

func isMarkdown(p string) bool {
	return slices.Contains(markdownExts, strings.ToLower(path.Ext(p)))
}

// anchorKey is how a fragment compares with anchors: percent-decoded,
// without GitHub's "user-content-" prefix, normalized like the anchors.
func anchorKey(frag string) string {
	if d, err := url.PathUnescape(frag); err == nil {
		frag = d
	}
	return normalizeAnchor(strings.TrimPrefix(strings.ToLower(frag), "user-content-"))
}

// anchorsOf returns the anchors of a Markdown file of the tree, read once;
// nil when the file is too large to check.
func (c *LinkChecker) anchorsOf(p string) (map[string]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.anchors[p]; ok {
		return a, nil
	}
	f, err := c.fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var a map[string]bool
	if len(data) <= MaxSize {
		a = anchorSet(data)
	}
	c.anchors[p] = a
	return a, nil
}

// suggestPath names a file or directory that differs only in case: GitHub
// paths are case-sensitive, and a link written on macOS may not be.
func (c *LinkChecker) suggestPath(p string) string {
	c.mu.Lock()
	if c.lower == nil {
		c.lower = make(map[string]string, len(c.paths))
		for _, q := range c.paths {
			for {
				key := strings.ToLower(q)
				if _, dup := c.lower[key]; dup {
					// The first path to claim this name (case folded) keeps
					// it, and its directories are in already: the lower case
					// of a prefix is the prefix of the lower case.
					break
				}
				c.lower[key] = q
				i := strings.LastIndexByte(q, '/')
				if i < 0 {
					break
				}
				q = q[:i]
			}
		}
	}
	match, ok := c.lower[strings.ToLower(p)]
	c.mu.Unlock()
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s? paths are case-sensitive)", match)
}

// suggestAnchor names the closest anchor a fragment may have meant.
func suggestAnchor(key string, anchors map[string]bool) string {
	if len(key) > 100 {
		return ""
	}
	best, bestDist := "", 4 // a few edits: a typo or punctuation kept
	for _, a := range slices.Sorted(maps.Keys(anchors)) {
		if len(a) > 100 {
			continue
		}
		if d := strictyaml.EditDistance(key, a); d < bestDist {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean #%s?)", best)
}
