package ghtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Deleted, as the content of a path in Commit's files, removes the path.
// A sentinel rather than "" because empty files are legitimate.
const Deleted = "\x00ghtest:deleted\x00"

// symlinkPrefix starts the content of a path that Commit writes as a
// symbolic link.
const symlinkPrefix = "\x00ghtest:symlink\x00"

// Symlink, as the content of a path in Commit's files, makes the path a
// symbolic link to target: git's blob of mode 120000 that holds the target.
func Symlink(target string) string { return symlinkPrefix + target }

// defaultWhen is the commit time when a test passes the zero time, so SHAs
// are reproducible across runs.
var defaultWhen = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// GitServer serves fixture repositories over git's smart-HTTP protocol,
// through the real `git http-backend`, with GitHub's token-as-password
// basic auth.
type GitServer struct {
	t         testing.TB
	root      string
	srv       *httptest.Server
	authorize func(owner, name, password string) bool

	mu    sync.Mutex
	repos map[string]*FixtureRepo
	// gone are the repositories DeleteRepo removed, by repoKey.
	gone map[string]bool
}

func newGitServer(t testing.TB, authorize func(owner, name, password string) bool) *GitServer {
	g := &GitServer{t: t, root: t.TempDir(), authorize: authorize, repos: map[string]*FixtureRepo{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// URL is the git server's base URL.
func (g *GitServer) URL() string { return g.srv.URL + "/" }

// CloneURL is what the API reports as owner/name's clone_url.
func (g *GitServer) CloneURL(owner, name string) string {
	return g.srv.URL + "/" + owner + "/" + name + ".git"
}

// serve checks basic auth, then hands over to git http-backend.
func (g *GitServer) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) < 3 || !strings.HasSuffix(parts[1], ".git") {
		http.NotFound(w, r)
		return
	}
	owner, name := parts[0], strings.TrimSuffix(parts[1], ".git")
	_, password, ok := r.BasicAuth()
	if ok && g.deleted(owner, name) {
		http.Error(w, "Repository not found.", http.StatusNotFound)
		return
	}
	if !ok || !g.authorize(owner, name, password) {
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token. Password authentication is not supported for Git operations.", http.StatusUnauthorized)
		return
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, "git not installed", http.StatusInternalServerError)
		return
	}
	h := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Root: "/",
		Env: append(gitEnv(),
			"GIT_PROJECT_ROOT="+g.root,
			"GIT_HTTP_EXPORT_ALL=1",
		),
	}
	h.ServeHTTP(w, r)
}

// gitEnv isolates git from the machine's configuration and fixes identity
// and dates, so fixtures hash the same everywhere.
func gitEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=/nonexistent",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Ghtest Author",
		"GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Ghtest Committer",
		"GIT_COMMITTER_EMAIL=committer@example.com",
		"LC_ALL=C",
	}
}

// FixtureRepo is a bare repository behind the git server.
type FixtureRepo struct {
	t   testing.TB
	dir string
	// mu serialises writes, which share the repository's refs.
	mu sync.Mutex
	// revs remembers what revisions resolved to since the last git command
	// that could move a ref, so that polling a branch (as every sweep
	// does) does not start a git process per request.
	revsMu  sync.Mutex
	revs    map[string]string
	revsGen uint64 // bumped around every such command
}

// CreateRepo creates an empty bare repository owner/name whose HEAD is
// refs/heads/main. It skips the test when git is not installed.
func (g *GitServer) CreateRepo(owner, name string) *FixtureRepo {
	g.t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		g.t.Skip("ghtest: git is not installed; fixture repositories need the git CLI")
	}
	dir := filepath.Join(g.root, owner, name+".git")
	repo := &FixtureRepo{t: g.t, dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		g.t.Fatalf("ghtest: %v", err)
	}
	if _, err := repo.git(nil, "init", "--quiet", "--bare", "--initial-branch=main"); err != nil {
		g.t.Fatalf("ghtest: %v", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.repos[repoKey(owner, name)] = repo
	return repo
}

// repo returns the fixture for owner/name, or nil.
func (g *GitServer) repo(owner, name string) *FixtureRepo {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.repos[repoKey(owner, name)]
}

// DeleteRepo removes owner/name's fixture from disk. From then on a request
// for its git URL that carries credentials gets 404, as GitHub answers for a
// deleted repository (one without credentials still gets the 401 challenge).
// GitHub.DeleteRepo calls it; calling it alone leaves the API answering for
// the repository, as in the moment between a deletion reaching git and
// reaching the API. CreateRepo of the same name brings it back.
func (g *GitServer) DeleteRepo(owner, name string) {
	g.t.Helper()
	k := repoKey(owner, name)
	g.mu.Lock()
	repo := g.repos[k]
	delete(g.repos, k)
	if g.gone == nil {
		g.gone = map[string]bool{}
	}
	g.gone[k] = true
	g.mu.Unlock()
	if repo == nil {
		return
	}
	repo.mu.Lock()
	defer repo.mu.Unlock()
	if err := os.RemoveAll(repo.dir); err != nil {
		g.t.Fatalf("ghtest: delete %s/%s: %v", owner, name, err)
	}
}

// deleted reports whether owner/name was deleted and not created again.
func (g *GitServer) deleted(owner, name string) bool {
	k := repoKey(owner, name)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gone[k] && g.repos[k] == nil
}

// Dir is the bare repository's directory.
func (f *FixtureRepo) Dir() string { return f.dir }

// git runs a git command in the repository with the isolated environment.
func (f *FixtureRepo) git(extraEnv []string, args ...string) ([]byte, error) {
	return f.gitStdin(nil, extraEnv, args...)
}

func (f *FixtureRepo) gitStdin(stdin []byte, extraEnv []string, args ...string) ([]byte, error) {
	if len(args) == 0 || args[0] != "rev-parse" {
		f.forgetRevs()
		defer f.forgetRevs()
	}
	cmd := exec.Command("git", append([]string{"--git-dir=" + f.dir}, args...)...)
	cmd.Env = append(gitEnv(), extraEnv...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// forgetRevs drops remembered revisions, and any resolution under way
// that started before.
func (f *FixtureRepo) forgetRevs() {
	f.revsMu.Lock()
	defer f.revsMu.Unlock()
	clear(f.revs)
	f.revsGen++
}

func (f *FixtureRepo) revParse(rev string) (string, error) {
	f.revsMu.Lock()
	sha, ok := f.revs[rev]
	gen := f.revsGen
	f.revsMu.Unlock()
	if ok {
		return sha, nil
	}
	out, err := f.git(nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return "", err
	}
	sha = strings.TrimSpace(string(out))
	f.revsMu.Lock()
	defer f.revsMu.Unlock()
	if f.revsGen == gen {
		if f.revs == nil {
			f.revs = map[string]string{}
		}
		f.revs[rev] = sha
	}
	return sha, nil
}

// Commit writes files onto branch's tip and returns the new commit's SHA.
// A branch that does not exist yet starts from HEAD's branch (or as a root
// commit in an empty repository). A path whose content is Deleted is
// removed, and one whose content is Symlink(target) becomes a symbolic
// link. The zero when means a fixed date.
func (f *FixtureRepo) Commit(branch string, files map[string]string, message string, when time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	sha, err := f.commit(branch, files, message, when)
	if err != nil {
		f.t.Fatalf("ghtest: commit on %s: %v", branch, err)
	}
	return sha
}

func (f *FixtureRepo) commit(branch string, files map[string]string, message string, when time.Time) (string, error) {
	parent, err := f.revParse("refs/heads/" + branch)
	if err != nil {
		parent, _ = f.revParse("HEAD")
	}
	index := filepath.Join(f.t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + index}
	if parent != "" {
		if _, err := f.git(env, "read-tree", parent); err != nil {
			return "", err
		}
	}
	var info bytes.Buffer
	for _, path := range sortedKeys(files) {
		content := files[path]
		if content == Deleted {
			fmt.Fprintf(&info, "0 %s\t%s\n", strings.Repeat("0", 40), path)
			continue
		}
		mode := "100644"
		if target, ok := strings.CutPrefix(content, symlinkPrefix); ok {
			mode, content = "120000", target
		}
		out, err := f.gitStdin([]byte(content), nil, "hash-object", "-w", "--stdin")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&info, "%s %s\t%s\n", mode, strings.TrimSpace(string(out)), path)
	}
	if _, err := f.gitStdin(info.Bytes(), env, "update-index", "--index-info"); err != nil {
		return "", err
	}
	tree, err := f.git(env, "write-tree")
	if err != nil {
		return "", err
	}
	if when.IsZero() {
		when = defaultWhen
	}
	date := strconv.FormatInt(when.Unix(), 10) + " +0000"
	args := []string{"commit-tree", strings.TrimSpace(string(tree)), "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	out, err := f.git([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args...)
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if _, err := f.git(nil, "update-ref", "refs/heads/"+branch, sha); err != nil {
		return "", err
	}
	return sha, nil
}

// SetRef points ref (for example refs/pull/7/head) at sha.
func (f *FixtureRepo) SetRef(ref, sha string) {
	f.t.Helper()
	if _, err := f.git(nil, "update-ref", ref, sha); err != nil {
		f.t.Fatalf("ghtest: %v", err)
	}
}

// SetHead makes branch the repository's default (HEAD).
func (f *FixtureRepo) SetHead(branch string) {
	f.t.Helper()
	if _, err := f.git(nil, "symbolic-ref", "HEAD", "refs/heads/"+branch); err != nil {
		f.t.Fatalf("ghtest: %v", err)
	}
}

// Rev resolves a branch, tag or SHA to a commit SHA.
func (f *FixtureRepo) Rev(rev string) string {
	f.t.Helper()
	sha, err := f.revParse(rev)
	if err != nil {
		f.t.Fatalf("ghtest: resolve %s: %v", rev, err)
	}
	return sha
}

// Merge merges commit into branch with a merge commit, as GitHub's merge
// button does, and returns it. A conflict fails the test.
func (f *FixtureRepo) Merge(branch, commit, message string, when time.Time) string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	base, err := f.revParse("refs/heads/" + branch)
	if err != nil {
		f.t.Fatalf("ghtest: merge into %s: %v", branch, err)
	}
	tree, err := f.git(nil, "merge-tree", "--write-tree", base, commit)
	if err != nil {
		f.t.Fatalf("ghtest: merge %s into %s: %v", commit, branch, err)
	}
	if when.IsZero() {
		when = defaultWhen
	}
	date := strconv.FormatInt(when.Unix(), 10) + " +0000"
	out, err := f.git([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
		"commit-tree", strings.Fields(string(tree))[0], "-p", base, "-p", commit, "-m", message)
	if err != nil {
		f.t.Fatalf("ghtest: %v", err)
	}
	sha := strings.TrimSpace(string(out))
	if _, err := f.git(nil, "update-ref", "refs/heads/"+branch, sha); err != nil {
		f.t.Fatalf("ghtest: %v", err)
	}
	return sha
}
