package ghtest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The identities gitEnv gives git, spelled out for fast-import, which takes
// them from its input rather than from the environment.
const (
	bulkAuthor    = "Ghtest Author <author@example.com>"
	bulkCommitter = "Ghtest Committer <committer@example.com>"
)

// CommitBulk is Commit for large trees: it writes all files through one
// `git fast-import` instead of starting one git process per file, so a
// commit of tens of thousands of files (a dataset-sized repository) takes
// well under a second rather than minutes. Semantics are Commit's (the
// branch starts from HEAD when it does not exist, Deleted removes a path,
// the zero when means a fixed date) and so is the result: the same files,
// message and time on the same parent give the same commit SHA.
func (f *FixtureRepo) CommitBulk(branch string, files map[string]string, message string, when time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	sha, err := f.commitBulk(branch, files, message, when)
	if err != nil {
		f.t.Fatalf("ghtest: bulk commit on %s: %v", branch, err)
	}
	return sha
}

func (f *FixtureRepo) commitBulk(branch string, files map[string]string, message string, when time.Time) (string, error) {
	ref := "refs/heads/" + branch
	parent, err := f.revParse(ref)
	if err != nil {
		parent, _ = f.revParse("HEAD")
	}
	if when.IsZero() {
		when = defaultWhen
	}
	// commit-tree -m ends the message with a newline unless it has one.
	if message != "" && !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	date := strconv.FormatInt(when.Unix(), 10) + " +0000"

	var in bytes.Buffer
	// Each distinct content is one blob, however many paths share it.
	marks := map[string]int{}
	paths := sortedKeys(files)
	for _, path := range paths {
		content := files[path]
		if content == Deleted {
			continue
		}
		if _, ok := marks[content]; ok {
			continue
		}
		marks[content] = len(marks) + 1
		fmt.Fprintf(&in, "blob\nmark :%d\ndata %d\n%s\n", marks[content], len(content), content)
	}
	fmt.Fprintf(&in, "commit %s\nauthor %s %s\ncommitter %s %s\ndata %d\n%s\n", ref, bulkAuthor, date, bulkCommitter, date, len(message), message)
	if parent != "" {
		fmt.Fprintf(&in, "from %s\n", parent)
	}
	for _, path := range paths {
		if strings.ContainsRune(path, 0) {
			return "", fmt.Errorf("path %q contains a NUL byte", path)
		}
		if content := files[path]; content == Deleted {
			fmt.Fprintf(&in, "D %s\n", fastImportPath(path))
		} else {
			fmt.Fprintf(&in, "M 100644 :%d %s\n", marks[content], fastImportPath(path))
		}
	}
	in.WriteString("\ndone\n")
	if _, err := f.gitStdin(in.Bytes(), nil, "fast-import", "--quiet", "--done", "--date-format=raw"); err != nil {
		return "", err
	}
	return f.revParse(ref)
}

// fastImportPath writes path as fast-import reads it: as is, unless it
// starts with a double quote or holds a character that would end the line,
// in which case it is C-quoted.
func fastImportPath(path string) string {
	if !strings.HasPrefix(path, `"`) && !strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return path
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
