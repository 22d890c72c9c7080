package cli

// How `ownerbot check` asks GitHub about the owners a checkout names, when it
// has a token: GitHub's own verdict on the CODEOWNERS file of the commit
// (which needs only read access to the repository's contents and covers
// team write access), and the lookups of package resolve for everything
// else, as the App does on pull requests. The answers become the findings
// of codeowners.unknown_owner and owners.unresolvable through
// policy.Result.ResolveOwners; what could not be asked is said, never
// guessed.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/gitrepo"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/resolve"
	"github.com/ownerbot/ownerbot/internal/snapshot"
)

// defaultAPIURL is github.com's REST API.
const defaultAPIURL = "https://api.github.com/"

// githubFlags are check's flags for asking GitHub about owners.
type githubFlags struct {
	token, apiURL, repo string
	offline             bool
}

// A githubConfig is how check asks GitHub: with which token, at which API,
// and about which repository when the flags or the environment name one.
type githubConfig struct {
	token   string
	api     *url.URL
	repo    string // OWNER/NAME from --github-repo, or ""
	envRepo string // OWNER/NAME from $GITHUB_REPOSITORY, or ""
}

// config reads the flags and the environment. It returns nil when check is
// not to ask GitHub: without a token, or offline. Flags and variables that
// are set but wrong are usage errors, even when unused.
func (f githubFlags) config(getenv func(string) string) (*githubConfig, error) {
	offline := f.offline
	if v := getenv("OWNERBOT_OFFLINE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usagef("OWNERBOT_OFFLINE must be 1 or 0 (true or false), not %q", v)
		}
		offline = offline || b
	}
	if f.repo != "" && !validRepo(f.repo) {
		return nil, usagef("--github-repo must be OWNER/NAME, not %q", f.repo)
	}
	var api *url.URL
	if f.apiURL != "" {
		u, err := parseAPIURL(f.apiURL)
		if err != nil {
			return nil, usagef("--github-api-url: %v", err)
		}
		api = u
	}
	token := f.token
	if token == "" {
		token = getenv("GITHUB_TOKEN")
	}
	if offline || token == "" {
		return nil, nil
	}
	if api == nil {
		raw := getenv("GITHUB_API_URL")
		if raw == "" {
			raw = defaultAPIURL
		}
		u, err := parseAPIURL(raw)
		if err != nil {
			return nil, usagef("GITHUB_API_URL: %v", err)
		}
		api = u
	}
	envRepo := getenv("GITHUB_REPOSITORY")
	if envRepo != "" && !validRepo(envRepo) {
		return nil, usagef("GITHUB_REPOSITORY must be OWNER/NAME, not %q", envRepo)
	}
	return &githubConfig{token: token, api: api, repo: f.repo, envRepo: envRepo}, nil
}

// parseAPIURL checks an API root and gives it a trailing slash, which
// go-github needs. The URL is shown in messages, so it may not carry
// credentials.
func parseAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("not a URL: %q", s)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("want an https:// URL, not %q", s)
	case u.Host == "":
		return nil, fmt.Errorf("no host in %q", s)
	case u.User != nil:
		return nil, errors.New("credentials in the URL are not allowed; pass the token with --github-token or GITHUB_TOKEN")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("a query or fragment is not allowed in %q", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

var (
	ownerLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoName   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// validRepo reports whether s is OWNER/NAME as GitHub allows them.
func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && ownerLogin.MatchString(owner) && repoName.MatchString(name) && name != "." && name != ".."
}

// target decides which repository on GitHub the checkout is: --github-repo;
// else its origin remote when that is on the API's host (the checkout is
// what is judged, even in a workflow that checked out another repository);
// else $GITHUB_REPOSITORY. Without one it says why.
func (c *githubConfig) target(co checkout) (string, string) {
	if c.repo != "" {
		return c.repo, ""
	}
	var originHost string
	if co.source != snapshot.Directory {
		if host, repo, ok := originRepo(co.dir); ok {
			if sameGitHub(host, c.api.Hostname()) {
				return repo, ""
			}
			originHost = host
		}
	}
	if c.envRepo != "" {
		return c.envRepo, ""
	}
	if originHost != "" {
		api := "https://" + originHost + "/api/v3/"
		if sameGitHub(originHost, "api.github.com") {
			api = defaultAPIURL
		}
		return "", fmt.Sprintf("the origin remote is on %s, but the API is %s: pass --github-api-url %s, or name the repository with --github-repo OWNER/NAME",
			originHost, c.api, api)
	}
	return "", "cannot tell which GitHub repository this is (no origin remote on GitHub, no GITHUB_REPOSITORY): pass --github-repo OWNER/NAME"
}

// sameGitHub reports whether a git host and an API host are one GitHub:
// github.com and api.github.com, HOST and api.HOST (GitHub Enterprise Cloud
// with data residency), or one host (GitHub Enterprise Server).
func sameGitHub(gitHost, apiHost string) bool {
	gitHost, apiHost = strings.ToLower(gitHost), strings.ToLower(apiHost)
	if gitHost == "ssh.github.com" { // ssh over port 443
		gitHost = "github.com"
	}
	return gitHost == apiHost || "api."+gitHost == apiHost
}

// originRepo reads the URL of the checkout's origin remote and returns its
// host and OWNER/NAME, for GitHub-style https and ssh URLs.
func originRepo(dir string) (host, repo string, ok bool) {
	r, _, err := gitrepo.Open(dir, nil, filesystem.Options{})
	if err != nil {
		return "", "", false
	}
	cfg, err := r.Config()
	if err != nil {
		return "", "", false
	}
	remote := cfg.Remotes["origin"]
	if remote == nil || len(remote.URLs) == 0 {
		return "", "", false
	}
	return parseRemoteURL(remote.URLs[0])
}

// parseRemoteURL reads HOST and OWNER/NAME from a remote URL:
// https://HOST/OWNER/NAME(.git), ssh://git@HOST(:PORT)/OWNER/NAME(.git) or
// git@HOST:OWNER/NAME(.git). Credentials in it are ignored, never shown.
func parseRemoteURL(raw string) (host, repo string, ok bool) {
	var p string
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", false
		}
		switch u.Scheme {
		case "https", "http", "ssh", "git", "git+ssh", "ssh+git":
		default:
			return "", "", false
		}
		host, p = u.Hostname(), u.Path
	} else {
		// scp-like: [user@]host:path, as git reads it when the part before
		// the first colon has no slash.
		hostPart, path, found := strings.Cut(raw, ":")
		if !found || strings.Contains(hostPart, "/") {
			return "", "", false
		}
		if i := strings.LastIndex(hostPart, "@"); i >= 0 {
			hostPart = hostPart[i+1:]
		}
		host, p = hostPart, path
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	if host == "" || !validRepo(p) {
		return "", "", false
	}
	return host, p, true
}

// checkWithGitHub asks GitHub about the owners res names and adds what it
// says to res; the rules it could not check stay in res.Skipped with the
// reason. It returns lines for standard error: what was asked, and what
// could not be. It never fails: local findings stand whatever GitHub does.
func checkWithGitHub(ctx context.Context, cfg *githubConfig, co checkout, res *policy.Result, now time.Time) []string {
	var wanted []string
	for _, s := range res.Skipped {
		if s.Rule == policy.CodeownersUnknownOwner || s.Rule == policy.OwnersUnresolvable {
			wanted = append(wanted, s.Rule)
		}
	}
	if len(wanted) == 0 {
		return nil // the configuration turns both rules off
	}
	target, why := cfg.target(co)
	if target == "" {
		setSkips(res, wanted, map[string][]string{}, "needs GitHub: "+why)
		return []string{why + "; owners were not checked against GitHub"}
	}
	run := newOwnerRun(cfg, target)
	out := run.check(ctx, co, res)
	if out.failed != "" {
		setSkips(res, wanted, map[string][]string{}, "needs GitHub: "+out.failed)
		return out.notes
	}
	res.ResolveOwners(out.problems, now)
	dropFindings(res, out.drop)
	setSkips(res, wanted, out.partial, "")
	return out.notes
}

// dropFindings removes the owner findings at the references drop names.
func dropFindings(res *policy.Result, drop func(policy.OwnerRef) bool) {
	type place struct {
		rule, path   string
		line, column int
	}
	gone := map[place]bool{}
	for _, ref := range res.OwnerRefs() {
		if drop(ref) {
			rule := policy.OwnersUnresolvable
			if ref.InCODEOWNERS() {
				rule = policy.CodeownersUnknownOwner
			}
			gone[place{rule, ref.Path, ref.Line, ref.Column}] = true
		}
	}
	res.Findings = slices.DeleteFunc(res.Findings, func(f policy.Finding) bool {
		return gone[place{f.Rule, f.Path, f.Line, f.Column}]
	})
}

// setSkips lists rules of wanted as skipped: all of them with reason when it
// is not empty, else those that partial names, with its reasons.
func setSkips(res *policy.Result, wanted []string, partial map[string][]string, reason string) {
	res.Skipped = slices.DeleteFunc(res.Skipped, func(s policy.Skip) bool { return slices.Contains(wanted, s.Rule) })
	for _, rule := range wanted {
		switch {
		case reason != "":
			res.Skipped = append(res.Skipped, policy.Skip{Rule: rule, Reason: reason})
		case len(partial[rule]) > 0:
			res.Skipped = append(res.Skipped, policy.Skip{Rule: rule, Reason: "checked in part: " + strings.Join(partial[rule], "; ")})
		}
	}
}

// An ownerRun is one check's conversation with GitHub.
type ownerRun struct {
	gh        *github.Client
	transport *githubTransport
	resolver  *resolve.Resolver
	// userResolver answers for CODEOWNERS users, judged without
	// membership; resolve keys its answers by owner, not by rule.
	userResolver *resolve.Resolver
	owner        string // as --github-repo or the remote spells it, until GitHub says
	name         string
}

func newOwnerRun(cfg *githubConfig, target string) *ownerRun {
	t := &githubTransport{next: http.DefaultTransport, token: cfg.token, api: cfg.api}
	gh := github.NewClient(&http.Client{Transport: t, Timeout: 30 * time.Second})
	base := *cfg.api
	gh.BaseURL = &base
	gh.UserAgent = "ownerbot"
	owner, name, _ := strings.Cut(target, "/")
	return &ownerRun{gh: gh, transport: t, resolver: resolve.New(0, nil), userResolver: resolve.New(0, nil), owner: owner, name: name}
}

// ownerVerdicts is what a run found out.
type ownerVerdicts struct {
	problems map[string]string   // by lower-case owner, for ResolveOwners
	partial  map[string][]string // by rule: why it was checked only in part
	// drop reports whether the finding ResolveOwners makes at ref is to go:
	// the problem it was given is another rule's.
	drop   func(ref policy.OwnerRef) bool
	failed string // why nothing could be checked, "" when something was
	notes  []string
}

// maxLookups is how many owners are looked up at once: enough to hide the
// latency of one request after another, few enough for GitHub's
// secondary rate limits.
const maxLookups = 4

func (r *ownerRun) check(ctx context.Context, co checkout, res *policy.Result) ownerVerdicts {
	var out ownerVerdicts
	repo, _, err := r.gh.Repositories.Get(ctx, r.owner, r.name)
	if err != nil {
		what := failure(err)
		if status(err) == http.StatusNotFound {
			what = fmt.Sprintf("GitHub shows this token no repository %s/%s (a wrong --github-repo, or a token without access to it)", r.owner, r.name)
		}
		out.failed = what
		out.notes = []string{what + "; owners were not checked against GitHub"}
		return out
	}
	r.owner, r.name = repo.GetOwner().GetLogin(), repo.GetName()
	target := resolve.Repo{Owner: r.owner, Name: r.name, OrgOwned: repo.GetOwner().GetType() == "Organization"}
	out.problems = map[string]string{}
	out.partial = map[string][]string{}
	var caveats []string
	partly := func(rule, why string) { out.partial[rule] = append(out.partial[rule], why) }

	// GitHub's verdict on the CODEOWNERS file of the commit settles the
	// owners the file names at that commit.
	covered := map[string]bool{}
	short := shortSHA(co.commit)
	v := r.askVerdict(ctx, target, co, res.CODEOWNERS)
	if v.failed != "" {
		out.failed = v.failed
		out.notes = []string{v.failed + "; owners were not checked against GitHub"}
		return out
	}
	verdict := v.unknown != nil
	maps.Copy(out.problems, v.unknown)
	for _, name := range v.covers {
		covered[name] = true
	}
	caveats = append(caveats, v.caveats...)

	list, codeownersTeams := wantedLookups(res, out.problems, covered)
	if !verdict && len(codeownersTeams) > 0 {
		partly(policy.CodeownersUnknownOwner, fmt.Sprintf("the write access of %s not checked: only GitHub's verdict on a commit it has tells a team's", listOwners(codeownersTeams)))
	}

	found := r.lookUp(ctx, target, list)
	hidden := !r.transport.orgReadable()
	if hidden && slices.ContainsFunc(found, func(l lookup) bool { return l.problem != "" && l.orgNegative }) {
		hidden = !r.probeOrg(ctx, target, covered, out.problems)
	}

	// Problems by the rule they are for; GitHub's verdict counts for both.
	byRule := map[string]map[string]string{
		policy.CodeownersUnknownOwner: maps.Clone(out.problems),
		policy.OwnersUnresolvable:     maps.Clone(out.problems),
	}
	notLooked := map[string][]string{}
	unseen := map[string][]string{}
	var unseenNames []string
	failed := ""
	asked := map[string]bool{}
	for _, l := range found {
		switch {
		case l.err != nil && l.orgNegative && !isRateLimit(l.err) && status(l.err) == http.StatusForbidden,
			l.err == nil && l.problem != "" && l.orgNegative && hidden:
			for _, rule := range l.want.rules {
				unseen[rule] = append(unseen[rule], l.want.name)
			}
			unseenNames = append(unseenNames, l.want.name)
			asked[l.want.name] = true
		case l.err != nil:
			for _, rule := range l.want.rules {
				notLooked[rule] = append(notLooked[rule], l.want.name)
			}
			if failed == "" && !errors.Is(l.err, errNotAsked) {
				failed = failure(l.err)
			}
		default:
			asked[l.want.name] = true
			for _, rule := range l.want.rules {
				if l.problem != "" {
					byRule[rule][l.want.name] = l.problem
				}
			}
		}
	}
	if len(notLooked) > 0 && failed == "" {
		failed = "GitHub could not be asked: interrupted"
	}
	for _, rule := range []string{policy.CodeownersUnknownOwner, policy.OwnersUnresolvable} {
		if names := unseen[rule]; len(names) > 0 {
			partly(rule, fmt.Sprintf("%s not checked: this token may not read the teams and members of %s", listOwners(uniqueSorted(names)), r.owner))
		}
		if names := notLooked[rule]; len(names) > 0 {
			partly(rule, fmt.Sprintf("%s not checked: %s", listOwners(uniqueSorted(names)), failed))
		}
	}
	if len(unseenNames) > 0 {
		caveats = append(caveats, fmt.Sprintf("could not check %s: this token may not see the teams and members of %s (the GITHUB_TOKEN of GitHub Actions cannot), so GitHub's \"not found\" proves nothing. "+
			"A GitHub App token with the organization permission Members: read, or a personal access token with read:org, checks them too",
			listOwners(uniqueSorted(unseenNames)), r.owner))
	}
	if len(notLooked) > 0 {
		var names []string
		for _, n := range notLooked {
			names = append(names, n...)
		}
		caveats = append(caveats, fmt.Sprintf("%s; %s not looked up", failed, listOwners(uniqueSorted(names))))
	}
	out.problems = merge(byRule)
	out.drop = func(ref policy.OwnerRef) bool {
		rule := policy.OwnersUnresolvable
		if ref.InCODEOWNERS() {
			rule = policy.CodeownersUnknownOwner
		}
		return byRule[rule][strings.ToLower(ref.Owner)] == ""
	}

	var parts []string
	if verdict {
		parts = append(parts, "GitHub's verdict on CODEOWNERS")
	}
	if len(asked) > 0 {
		parts = append(parts, plural(len(asked), "owner", "owners")+" looked up")
	}
	if len(parts) == 0 {
		parts = append(parts, "no owners to ask about")
	}
	at := ""
	if short != "" {
		at = " at " + short
	}
	out.notes = append([]string{fmt.Sprintf("owners checked against GitHub (%s/%s%s): %s", r.owner, r.name, at, strings.Join(parts, " and "))}, caveats...)
	return out
}

// wantedLookups lists what GitHub's verdict does not settle, to be looked
// up as the rule that needs it judges: an OWNERS.yaml owner must be a team
// of the organization, or a member with write access (resolve's rules); a
// CODEOWNERS user outside the verdict, as GitHub judges CODEOWNERS owners,
// need only exist and be able to write. A team the verdict accepted exists
// and may write, all that either rule asks of a team. It also returns the
// teams CODEOWNERS names.
func wantedLookups(res *policy.Result, unknown map[string]string, covered map[string]bool) ([]*ownerWant, []string) {
	wants := map[string]*ownerWant{}
	var order []string
	var codeownersTeams []string
	for _, ref := range res.OwnerRefs() {
		name := strings.ToLower(ref.Owner)
		isTeam := strings.Contains(name, "/")
		rule, asCodeowners := policy.OwnersUnresolvable, false
		if ref.InCODEOWNERS() {
			rule, asCodeowners = policy.CodeownersUnknownOwner, !isTeam
			if isTeam {
				codeownersTeams = append(codeownersTeams, name)
			}
		}
		switch {
		case unknown[name] != "":
			continue // GitHub's verdict: a problem for every rule
		case covered[name] && (ref.InCODEOWNERS() || isTeam):
			continue
		}
		key := fmt.Sprintf("%s %t", name, asCodeowners)
		w := wants[key]
		if w == nil {
			w = &ownerWant{name: name, asCodeowners: asCodeowners}
			wants[key] = w
			order = append(order, key)
		}
		if !slices.Contains(w.rules, rule) {
			w.rules = append(w.rules, rule)
		}
	}
	slices.Sort(order)
	list := make([]*ownerWant, len(order))
	for i, k := range order {
		list[i] = wants[k]
	}
	return list, uniqueSorted(codeownersTeams)
}

// merge gives each owner one problem for ResolveOwners, which applies it
// wherever the owner is named; the drop function of the run takes it back
// where the rule of the place found no problem.
func merge(byRule map[string]map[string]string) map[string]string {
	all := map[string]string{}
	for _, rule := range []string{policy.OwnersUnresolvable, policy.CodeownersUnknownOwner} {
		maps.Copy(all, byRule[rule])
	}
	return all
}

func uniqueSorted(names []string) []string {
	names = slices.Clone(names)
	slices.Sort(names)
	return slices.Compact(names)
}

// A codeownersVerdict is what GitHub said of the CODEOWNERS file of a
// commit.
type codeownersVerdict struct {
	unknown map[string]string // the owners GitHub does not know; nil without a verdict
	covers  []string          // the owners the committed file names
	caveats []string          // why there is no verdict, or what it does not cover
	failed  string            // why GitHub could not be asked
}

// askVerdict asks GitHub's verdict on the CODEOWNERS file of the checkout's
// commit, when the checkout has a CODEOWNERS file (at local) and GitHub
// has the commit.
func (r *ownerRun) askVerdict(ctx context.Context, target resolve.Repo, co checkout, local string) codeownersVerdict {
	var v codeownersVerdict
	if local == "" {
		return v
	}
	short := shortSHA(co.commit)
	path, data, err := committedCodeowners(co.dir, co.commit)
	switch {
	case co.commit == "":
		v.caveats = append(v.caveats, "no commit to ask GitHub's verdict on CODEOWNERS about (not a git checkout, or no commits yet); its owners were looked up one by one")
		return v
	case err != nil:
		v.caveats = append(v.caveats, fmt.Sprintf("could not read CODEOWNERS at commit %s (%v); its owners were looked up one by one", short, err))
		return v
	case path == "":
		v.caveats = append(v.caveats, fmt.Sprintf("commit %s has no CODEOWNERS file for GitHub to judge; the owners of yours were looked up one by one", short))
		return v
	}
	known, err := r.commitKnown(ctx, co.commit)
	if err != nil {
		v.failed = failure(err)
		return v
	}
	if !known {
		v.caveats = append(v.caveats, fmt.Sprintf("GitHub does not know commit %s (not pushed yet?), so its verdict on CODEOWNERS is not available: "+
			"the owners were looked up one by one, which does not tell whether a team may write", short))
		return v
	}
	unknown, err := r.resolver.Codeowners(ctx, r.gh, target, co.commit)
	switch {
	case err != nil && isGitHubFailure(err):
		v.failed = failure(err)
		return v
	case err != nil: // GitHub finds no CODEOWNERS file where git has one
		v.caveats = append(v.caveats, err.Error()+"; the owners of CODEOWNERS were looked up one by one")
		return v
	}
	v.unknown = unknown
	if v.unknown == nil {
		v.unknown = map[string]string{}
	}
	v.covers = ownersIn(data)
	if co.source != snapshot.GitCommit {
		mine, err := readInside(co.dir, local)
		if err == nil && (path != local || string(mine) != string(data)) {
			v.caveats = append(v.caveats, fmt.Sprintf("%s differs from commit %s: GitHub's verdict is on the committed file, owners only in yours were looked up one by one", local, short))
		}
	}
	return v
}

// commitKnown asks whether GitHub has the commit.
func (r *ownerRun) commitKnown(ctx context.Context, sha string) (bool, error) {
	_, _, err := r.gh.Repositories.GetCommitSHA1(ctx, r.owner, r.name, sha, "")
	switch s := status(err); {
	case err == nil:
		return true, nil
	case s == http.StatusNotFound || s == http.StatusUnprocessableEntity:
		return false, nil
	}
	return false, err
}

// An ownerWant is an owner to look up, and the rules that need the answer.
type ownerWant struct {
	name string
	// asCodeowners looks a user up as GitHub judges CODEOWNERS owners:
	// the user exists and may write, member of the organization or not.
	asCodeowners bool
	rules        []string
}

// A lookup is what resolve answered for one owner, and whether an answer
// about the organization that it rests on may only mean that the token may
// not look.
type lookup struct {
	want        *ownerWant
	problem     string
	err         error
	orgNegative bool
}

// errNotAsked marks owners left alone after GitHub failed for another.
var errNotAsked = errors.New("not asked")

// lookUp looks owners up a few at a time with resolve, each on its own so
// that every answer can be weighed; the first failure of GitHub stops it.
func (r *ownerRun) lookUp(ctx context.Context, repo resolve.Repo, wants []*ownerWant) []lookup {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := make([]lookup, len(wants))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(maxLookups, len(wants)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				w := wants[i]
				target, resolver := repo, r.resolver
				if w.asCodeowners {
					// resolve asks no membership of a personal account's
					// owners: exactly GitHub's CODEOWNERS rule for users.
					// Its answers are kept apart from the others.
					target.OrgOwned, resolver = false, r.userResolver
				}
				tr := &lookupTrace{}
				problems, err := resolver.Owners(context.WithValue(ctx, traceKey{}, tr), r.gh, target, []string{w.name})
				l := lookup{want: w, problem: problems[w.name], err: err, orgNegative: tr.negative()}
				switch {
				case err != nil && ctx.Err() != nil:
					l.err = errNotAsked // stopped because another failed
				case err != nil && !(l.orgNegative && !isRateLimit(err)):
					cancel()
				}
				found[i] = l
			}
		}()
	}
	for i := range wants {
		if ctx.Err() != nil {
			found[i] = lookup{want: wants[i], err: errNotAsked}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return found
}

// probeOrg looks up a team that GitHub's verdict on CODEOWNERS accepted, so
// exists: when the token sees it, the token sees the organization, and its
// "not found" for other teams and members means what it says.
func (r *ownerRun) probeOrg(ctx context.Context, repo resolve.Repo, covered map[string]bool, problems map[string]string) bool {
	if !repo.OrgOwned {
		return false
	}
	var teams []string
	for name := range covered {
		if org, _, ok := strings.Cut(strings.TrimPrefix(name, "@"), "/"); ok && strings.EqualFold(org, repo.Owner) && problems[name] == "" {
			teams = append(teams, name)
		}
	}
	if len(teams) == 0 {
		return false
	}
	slices.Sort(teams)
	_, slug, _ := strings.Cut(teams[0], "/")
	_, _, err := r.gh.Teams.GetTeamBySlug(ctx, repo.Owner, slug)
	return err == nil
}

// committedCodeowners reads the CODEOWNERS file GitHub uses at commit, as
// git has it: its path and contents, or "" when the commit has none GitHub
// reads.
func committedCodeowners(dir, commit string) (string, []byte, error) {
	if commit == "" {
		return "", nil, nil
	}
	r, _, err := gitrepo.Open(dir, nil, filesystem.Options{})
	if err != nil {
		return "", nil, err
	}
	c, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return "", nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return "", nil, err
	}
	for _, loc := range codeowners.Locations {
		e, err := tree.FindEntry(loc)
		if err != nil || (e.Mode != filemode.Regular && e.Mode != filemode.Executable) {
			continue
		}
		f, err := tree.TreeEntryFile(e)
		if err != nil {
			return "", nil, err
		}
		if f.Size >= codeowners.MaxSize {
			return "", nil, nil // GitHub ignores it
		}
		text, err := f.Contents()
		if err != nil {
			return "", nil, err
		}
		return loc, []byte(text), nil
	}
	return "", nil, nil
}

// ownersIn lists the users and teams a CODEOWNERS file names, lower case.
func ownersIn(data []byte) []string {
	var names []string
	for _, rule := range codeowners.Parse(data).Rules {
		for _, o := range rule.Owners {
			if o.Kind != codeowners.Email {
				names = append(names, strings.ToLower(o.Name))
			}
		}
	}
	return names
}

// A lookupTrace, carried by a request's context, notes GitHub's answers
// about the organization while one owner is looked up.
type lookupTrace struct {
	mu  sync.Mutex
	neg bool
}

func (t *lookupTrace) negative() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.neg
}

type traceKey struct{}

// githubTransport sends the token to the API host only, and watches what
// GitHub answers about the organization's teams and members: a token that
// may not see them gets "404 Not Found" (or a redirect, or 403) for teams
// and members that exist.
type githubTransport struct {
	next  http.RoundTripper
	token string
	api   *url.URL

	mu       sync.Mutex
	positive bool    // GitHub showed this token a team or a member
	scopes   *string // X-OAuth-Scopes, sent for classic tokens only
}

func (t *githubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == t.api.Host {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rel := strings.TrimPrefix(req.URL.Path, t.api.Path)
	segs := strings.Split(rel, "/")
	aboutOrg := len(segs) >= 3 && segs[0] == "orgs" && (segs[2] == "teams" || segs[2] == "members" || segs[2] == "memberships")
	t.mu.Lock()
	if v, ok := resp.Header["X-Oauth-Scopes"]; ok {
		s := strings.Join(v, ",")
		t.scopes = &s
	}
	if aboutOrg && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		t.positive = true
	}
	t.mu.Unlock()
	if tr, ok := req.Context().Value(traceKey{}).(*lookupTrace); ok && aboutOrg {
		if c := resp.StatusCode; c >= 300 && c < 400 || c == http.StatusForbidden || c == http.StatusNotFound {
			tr.mu.Lock()
			tr.neg = true
			tr.mu.Unlock()
		}
	}
	return resp, nil
}

// orgReadable reports whether the token has shown it may read the
// organization's teams and members: GitHub showed it one, or it is a
// classic token with an organization scope.
func (t *githubTransport) orgReadable() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.positive {
		return true
	}
	if t.scopes != nil {
		for _, s := range strings.Split(*t.scopes, ",") {
			switch strings.TrimSpace(s) {
			case "read:org", "write:org", "admin:org":
				return true
			}
		}
	}
	return false
}

// status is the HTTP status of a GitHub error, 0 when there is none.
func status(err error) int {
	var e *github.ErrorResponse
	if errors.As(err, &e) && e.Response != nil {
		return e.Response.StatusCode
	}
	return 0
}

func isRateLimit(err error) bool {
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &ab)
}

// isGitHubFailure reports whether err means GitHub could not be asked or
// answered with an error, as opposed to an answer resolve put in words.
func isGitHubFailure(err error) bool {
	var e *github.ErrorResponse
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &e) || isRateLimit(err) || errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// failure says in a few words why GitHub could not be asked. It never
// contains the token: errors carry URLs, not headers.
func failure(err error) string {
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	var e *github.ErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &rl):
		return fmt.Sprintf("GitHub could not be asked: this token's API rate limit is used up until %s", rl.Rate.Reset.UTC().Format("15:04 UTC"))
	case errors.As(err, &ab):
		return "GitHub could not be asked: its secondary rate limit stopped the requests"
	case errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusUnauthorized:
		return "GitHub refused the token (401 " + e.Message + ")"
	case errors.As(err, &e) && e.Response != nil:
		msg := e.Response.Status
		if e.Message != "" && !strings.HasSuffix(msg, e.Message) {
			msg += ": " + e.Message
		}
		return "GitHub could not be asked: it answered " + msg
	case errors.As(err, &ue):
		return "GitHub could not be asked: " + ue.Err.Error()
	}
	return "GitHub could not be asked: " + err.Error()
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// listOwners names owners, at most ten of them.
func listOwners(names []string) string {
	if len(names) <= 10 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:10], ", "), len(names)-10)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// readInside reads the file at path in the checkout dir by the one rule for
// links (snapshot.DirFS): never through a link that leads outside it.
func readInside(dir, path string) ([]byte, error) {
	d, err := snapshot.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadFile(path)
}
