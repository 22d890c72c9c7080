package snapshot

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// epoch is the date of a test repository's first commit; each later commit
// is an hour on, so hashes and times are the same on every run.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testRepo is a git repository in a temporary directory, driven by the git
// command with no user or system configuration.
type testRepo struct {
	tb      testing.TB
	dir     string
	ticks   int                  // commits made, which dates the next one
	commits map[string]string    // label → hash
	labels  map[string]string    // hash → label
	dates   map[string]time.Time // label → commit date
}

func requireGit(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed")
	}
}

func newTestRepo(tb testing.TB) *testRepo {
	tb.Helper()
	requireGit(tb)
	r := &testRepo{tb: tb, dir: tb.TempDir(), commits: map[string]string{}, labels: map[string]string{}, dates: map[string]time.Time{}}
	r.git("init", "-q", "-b", "main")
	return r
}

// gitCommand prepares git to run in dir with commits dated when.
func gitCommand(dir string, when time.Time, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	date := fmt.Sprintf("%d +0000", when.Unix())
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE="+date)
	return cmd
}

// runGitIn runs git in dir, dated when, with stdin, and returns its standard output.
func runGitIn(tb testing.TB, dir string, when time.Time, stdin []byte, args ...string) string {
	tb.Helper()
	cmd := gitCommand(dir, when, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.String()
}

func (r *testRepo) git(args ...string) string {
	r.tb.Helper()
	return strings.TrimSpace(runGitIn(r.tb, r.dir, r.next(), nil, args...))
}

// next is the date the next commit gets.
func (r *testRepo) next() time.Time { return epoch.Add(time.Duration(r.ticks) * time.Hour) }

// record runs a git command that makes a commit, dated one hour after the
// previous one, and names the new HEAD label.
func (r *testRepo) record(label string, args ...string) string {
	r.tb.Helper()
	r.dates[label] = r.next()
	r.git(args...)
	r.ticks++
	hash := r.git("rev-parse", "HEAD")
	r.commits[label], r.labels[hash] = hash, label
	return hash
}

// commit stages everything and commits it (possibly nothing) as label.
func (r *testRepo) commit(label string) string {
	r.tb.Helper()
	r.git("add", "-A")
	return r.record(label, "commit", "-q", "--allow-empty", "-m", label)
}

func (r *testRepo) write(files map[string]string) {
	r.tb.Helper()
	for name, body := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.tb.Fatal(err)
		}
	}
}

func (r *testRepo) remove(names ...string) {
	r.tb.Helper()
	for _, name := range names {
		if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(name))); err != nil {
			r.tb.Fatal(err)
		}
	}
}

// symlink makes name a link to target, replacing what was there.
func (r *testRepo) symlink(name, target string) {
	r.tb.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	_ = os.Remove(p)
	if err := os.Symlink(target, p); err != nil {
		r.tb.Fatal(err)
	}
}

func (r *testRepo) chmod(name string, mode os.FileMode) {
	r.tb.Helper()
	if err := os.Chmod(filepath.Join(r.dir, filepath.FromSlash(name)), mode); err != nil {
		r.tb.Fatal(err)
	}
}

// gitLastChange is what git says LastChanged should return for path, as a
// commit label ("" when git finds no commit).
func (r *testRepo) gitLastChange(rev, path string) string {
	r.tb.Helper()
	hash := r.git("--literal-pathspecs", "log", "--first-parent", "-1", "--format=%H", rev, "--", path)
	if hash == "" {
		return ""
	}
	if label, ok := r.labels[hash]; ok {
		return label
	}
	return hash
}

// generatedRepo describes a repository made by generateRepo.
type generatedRepo struct {
	dir   string
	paths []string // the files at HEAD, sorted
}

// generateRepo writes, with git fast-import (fast enough for benchmarks),
// a repository of dirs top-level directories each holding two
// subdirectories of perDir/2 files, then commits more commits, each
// modifying one to five files and now and then adding or deleting one.
// Commits are a minute apart from epoch; the history is linear.
func generateRepo(tb testing.TB, dirs, perDir, commits int) generatedRepo {
	tb.Helper()
	requireGit(tb)
	dir := tb.TempDir()
	runGitIn(tb, dir, epoch, nil, "init", "-q", "-b", "main")

	rng := rand.New(rand.NewPCG(1, 2))
	var files []string
	for d := range dirs {
		for f := range perDir {
			files = append(files, fmt.Sprintf("svc%03d/sub%d/file%03d.txt", d, f%2, f))
		}
	}
	var s bytes.Buffer
	data := func(body string) { fmt.Fprintf(&s, "data %d\n%s\n", len(body), body) }
	header := func(i int, msg string) {
		unix := epoch.Add(time.Duration(i) * time.Minute).Unix()
		fmt.Fprintf(&s, "commit refs/heads/main\nauthor t <t@example.com> %d +0000\ncommitter t <t@example.com> %d +0000\n", unix, unix)
		data(msg)
	}
	header(0, "initial")
	for _, f := range files {
		fmt.Fprintf(&s, "M 100644 inline %s\n", f)
		data(f + " v0\n")
	}
	s.WriteString("\n")
	for i := 1; i <= commits; i++ {
		header(i, fmt.Sprintf("change %d", i))
		for range 1 + rng.IntN(5) {
			f := files[rng.IntN(len(files))]
			fmt.Fprintf(&s, "M 100644 inline %s\n", f)
			data(fmt.Sprintf("%s v%d\n", f, i))
		}
		switch i % 50 {
		case 0:
			f := fmt.Sprintf("svc%03d/added%04d.txt", rng.IntN(dirs), i)
			files = append(files, f)
			fmt.Fprintf(&s, "M 100644 inline %s\n", f)
			data(f)
		case 25:
			j := rng.IntN(len(files))
			fmt.Fprintf(&s, "D %s\n", files[j])
			files = append(files[:j], files[j+1:]...)
		}
		s.WriteString("\n")
	}
	runGitIn(tb, dir, epoch, s.Bytes(), "fast-import", "--quiet")
	// Like a real repository after gc: one pack, with deltas.
	runGitIn(tb, dir, epoch, nil, "repack", "-a", "-d", "-q")
	list := runGitIn(tb, dir, epoch, nil, "ls-tree", "-r", "-z", "--name-only", "HEAD")
	paths := strings.Split(strings.TrimSuffix(list, "\x00"), "\x00")
	return generatedRepo{dir: dir, paths: paths}
}
