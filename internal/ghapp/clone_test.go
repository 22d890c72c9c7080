package ghapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rs/zerolog"
)

const gitToken = "ghs_clonetoken_0123456789"

// gitEnv makes the git CLI deterministic and blind to the user's config.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"HOME="+home,
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_AUTHOR_DATE=2024-01-02T03:04:05Z",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
	)
}

// gitServer serves bare repositories under root over smart HTTP with
// git http-backend, behind basic auth that wants gitToken.
type gitServer struct {
	t        *testing.T
	root     string // server repositories: root/<owner>/<repo>.git
	work     string // scratch clones
	srv      *httptest.Server
	requests atomic.Int32
	fetches  atomic.Int32 // POST …/git-upload-pack
}

func newGitServer(t *testing.T) *gitServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the clone cache tests need the git CLI and git http-backend")
	}
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git http-backend not found at %s", backend)
	}
	tmp := t.TempDir()
	g := &gitServer{t: t, root: filepath.Join(tmp, "srv"), work: filepath.Join(tmp, "work")}
	cgiHandler := &cgi.Handler{
		Path:   backend,
		Stderr: io.Discard, // "Not a git repository" for the removed one
		Env: []string{
			"GIT_PROJECT_ROOT=" + g.root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "HOME=" + tmp,
		},
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		user, pass, ok := r.BasicAuth()
		if !ok || user != "x-access-token" || pass != gitToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			g.fetches.Add(1)
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gitServer) git(dir string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(filepath.Dir(g.root))
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo creates owner/name with a main branch and refs/pull/1/head one
// commit ahead, and returns their SHAs.
func (g *gitServer) newRepo(owner, name string) (base, head string) {
	g.t.Helper()
	bare := filepath.Join(g.root, owner, name+".git")
	if err := os.MkdirAll(bare, 0o755); err != nil {
		g.t.Fatal(err)
	}
	g.git(bare, "init", "--bare", "-q", "-b", "main")
	work := filepath.Join(g.work, owner, name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		g.t.Fatal(err)
	}
	g.git(work, "init", "-q", "-b", "main")
	g.write(work, "CODEOWNERS", "* @acme/"+name+"\n")
	g.git(work, "add", ".")
	g.git(work, "commit", "-q", "-m", "base")
	base = g.git(work, "rev-parse", "HEAD")
	g.git(work, "push", "-q", bare, "main:refs/heads/main")
	head = g.commitPR(owner, name, "first change")
	return base, head
}

// commitPR adds a commit to refs/pull/1/head and returns it.
func (g *gitServer) commitPR(owner, name, msg string) string {
	g.t.Helper()
	work := filepath.Join(g.work, owner, name)
	g.write(work, "OWNERS.yaml", msg+"\n")
	g.git(work, "add", ".")
	g.git(work, "commit", "-q", "-m", msg)
	g.git(work, "push", "-q", "-f", filepath.Join(g.root, owner, name+".git"), "HEAD:refs/pull/1/head")
	return g.git(work, "rev-parse", "HEAD")
}

func (g *gitServer) write(dir, name, content string) {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitServer) request(owner, name string, want ...string) FetchRequest {
	return FetchRequest{
		InstallationID: 9,
		Owner:          owner,
		Repo:           name,
		CloneURL:       g.srv.URL + "/" + owner + "/" + name + ".git",
		Token:          gitToken,
		Refs:           []string{"refs/heads/main", "refs/pull/1/head"},
		Want:           want,
	}
}

func TestCloneCache(t *testing.T) {
	g := newGitServer(t)
	base, head := g.newRepo("acme", "web")
	var logs bytes.Buffer
	dir := t.TempDir()
	cc, err := NewCloneCache(dir, 1<<30, zerolog.New(&logs).Level(zerolog.DebugLevel))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("first fetch clones base and PR head", func(t *testing.T) {
		co, err := cc.Fetch(ctx, g.request("acme", "web", base, head))
		if err != nil {
			t.Fatal(err)
		}
		defer co.Close()
		repo, err := co.Open()
		if err != nil {
			t.Fatal(err)
		}
		ref, err := repo.Reference("refs/pull/1/head", true)
		if err != nil || ref.Hash().String() != head {
			t.Fatalf("refs/pull/1/head = %v, %v; want %s", ref, err, head)
		}
		for _, sha := range []string{base, head} {
			if _, err := repo.CommitObject(plumbing.NewHash(sha)); err != nil {
				t.Fatalf("commit %s: %v", sha, err)
			}
		}
		if !strings.HasPrefix(co.Dir, dir) {
			t.Fatalf("checkout %s outside the cache %s", co.Dir, dir)
		}
	})

	t.Run("warm cache makes no request", func(t *testing.T) {
		before := g.requests.Load()
		co, err := cc.Fetch(ctx, g.request("acme", "web", base, head))
		if err != nil {
			t.Fatal(err)
		}
		co.Close()
		if n := g.requests.Load() - before; n != 0 {
			t.Fatalf("%d requests to the git server, want 0", n)
		}
	})

	t.Run("new commit on the PR ref is fetched", func(t *testing.T) {
		head2 := g.commitPR("acme", "web", "second change")
		co, err := cc.Fetch(ctx, g.request("acme", "web", base, head2))
		if err != nil {
			t.Fatal(err)
		}
		defer co.Close()
		repo, _ := co.Open()
		if _, err := repo.CommitObject(plumbing.NewHash(head2)); err != nil {
			t.Fatalf("new head: %v", err)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		req := g.request("acme", "web")
		req.Token = "ghs_wrong_token_secret"
		_, err := cc.Fetch(ctx, req)
		if !errors.Is(err, ErrGitAuth) || strings.Contains(err.Error(), req.Token) {
			t.Fatalf("err = %v; want ErrGitAuth without the token", err)
		}
	})

	t.Run("missing commit", func(t *testing.T) {
		gone := strings.Repeat("ab", 20)
		_, err := cc.Fetch(ctx, g.request("acme", "web", base, gone))
		if !errors.Is(err, ErrMissingCommit) || !strings.Contains(err.Error(), gone) {
			t.Fatalf("err = %v; want ErrMissingCommit naming %s", err, gone)
		}
	})

	t.Run("repository removed on the server", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(g.root, "acme", "web.git")); err != nil {
			t.Fatal(err)
		}
		_, err := cc.Fetch(ctx, g.request("acme", "web"))
		if !errors.Is(err, ErrRepositoryNotFound) {
			t.Fatalf("err = %v; want ErrRepositoryNotFound", err)
		}
	})

	t.Run("the token is nowhere on disk or in logs", func(t *testing.T) {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(gitToken)) {
				t.Errorf("%s contains the token", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), gitToken) {
			t.Errorf("logs contain the token")
		}
		cfg, err := os.ReadFile(filepath.Join(dir, "9", "acme", "web.git", "config"))
		if err != nil || !strings.Contains(string(cfg), g.srv.URL) {
			t.Fatalf("remote config: %q, %v", cfg, err)
		}
	})
}

func TestCloneCacheRejectsBadRequests(t *testing.T) {
	cc, err := NewCloneCache(t.TempDir(), 1<<20, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	good := FetchRequest{InstallationID: 1, Owner: "o", Repo: ".github", CloneURL: "https://example.com/o/.github.git", Refs: []string{"refs/heads/main"}}
	if _, err := cc.repoDir(good); err != nil {
		t.Fatalf("good request: %v", err)
	}
	tests := map[string]func(*FetchRequest){
		"owner traversal":  func(r *FetchRequest) { r.Owner = ".." },
		"repo with slash":  func(r *FetchRequest) { r.Repo = "../../etc" },
		"no installation":  func(r *FetchRequest) { r.InstallationID = 0 },
		"token in URL":     func(r *FetchRequest) { r.CloneURL = "https://x-access-token:secret@example.com/o/r.git" },
		"ssh URL":          func(r *FetchRequest) { r.CloneURL = "git@example.com:o/r.git" },
		"refspec injected": func(r *FetchRequest) { r.Refs = []string{"refs/heads/*:refs/heads/*"} },
		"short sha":        func(r *FetchRequest) { r.Want = []string{"abc"} },
	}
	for name, mod := range tests {
		req := good
		mod(&req)
		_, err := cc.Fetch(context.Background(), req)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error leaks the credential: %v", name, err)
		}
	}
}

func TestCloneCacheConcurrentFetchesShareOne(t *testing.T) {
	g := newGitServer(t)
	base, head := g.newRepo("acme", "api")
	cc, err := NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			co, err := cc.Fetch(context.Background(), g.request("acme", "api", base, head))
			if err != nil {
				errs <- err
				return
			}
			co.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := g.fetches.Load(); n != 1 {
		t.Fatalf("%d upload-pack requests, want 1", n)
	}
}

func TestCloneCacheEviction(t *testing.T) {
	g := newGitServer(t)
	rb, rh := g.newRepo("acme", "one")
	sb, sh := g.newRepo("acme", "two")
	ctx := context.Background()

	// Measure one repository to size the cache for about one and a half.
	probe, err := NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	co, err := probe.Fetch(ctx, g.request("acme", "one", rb, rh))
	if err != nil {
		t.Fatal(err)
	}
	size, _ := dirSize(co.Dir)
	co.Close()

	cc, err := NewCloneCache(t.TempDir(), size*3/2, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	exists := func(dir string) bool { _, err := os.Stat(dir); return err == nil }

	one, err := cc.Fetch(ctx, g.request("acme", "one", rb, rh))
	if err != nil {
		t.Fatal(err)
	}
	two, err := cc.Fetch(ctx, g.request("acme", "two", sb, sh))
	if err != nil {
		t.Fatal(err)
	}
	if !exists(one.Dir) || !exists(two.Dir) {
		t.Fatal("a held repository was evicted")
	}
	one.Close() // now unheld and least recently used: evicted
	if exists(one.Dir) || !exists(two.Dir) {
		t.Fatalf("after releasing one: one exists %v, two exists %v; want false, true", exists(one.Dir), exists(two.Dir))
	}
	two.Close()
	if !exists(two.Dir) {
		t.Fatal("two evicted although the cache fits it alone")
	}

	// The bound holds across restarts: a new cache adopts what is on disk.
	root := filepath.Dir(filepath.Dir(filepath.Dir(two.Dir)))
	if _, err := NewCloneCache(root, 1, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if exists(two.Dir) {
		t.Fatal("a cache over its bound at start-up kept an unheld repository")
	}
}

// A fetch remembers the commits it found, a few per repository, so that
// asking again for an unchanged branch opens nothing.
func TestCloneCacheRemembersPresentCommits(t *testing.T) {
	sha := func(i int) string { return fmt.Sprintf("%040x", i) }
	var r cachedRepo
	if r.has(nil) {
		t.Error("a fetch by refs alone must always ask the server")
	}
	if r.has([]string{sha(1)}) {
		t.Error("an unknown commit is present")
	}
	for i := range maxPresent + 4 {
		r.remember([]string{sha(i)})
	}
	r.remember([]string{sha(4)}) // seen again: the newest
	if len(r.present) != maxPresent {
		t.Fatalf("%d remembered, want at most %d", len(r.present), maxPresent)
	}
	if r.has([]string{sha(0)}) || r.has([]string{sha(3)}) {
		t.Error("the oldest commits are still remembered")
	}
	if !r.has([]string{sha(4), sha(maxPresent + 3)}) || r.present[len(r.present)-1] != sha(4) {
		t.Errorf("present = %v", r.present)
	}

	// End to end: after a fetch, the same commits need no git request;
	// a commit the server has not got yet still fails.
	g := newGitServer(t)
	base, head := g.newRepo("acme", "api")
	cc, err := NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		co, err := cc.Fetch(ctx, g.request("acme", "api", base, head))
		if err != nil {
			t.Fatal(err)
		}
		co.Close()
	}
	if n := g.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for one set of commits, want 1", n)
	}
	if _, err := cc.Fetch(ctx, g.request("acme", "api", strings.Repeat("cd", 20))); !errors.Is(err, ErrMissingCommit) {
		t.Errorf("a commit nobody has: %v", err)
	}
}
