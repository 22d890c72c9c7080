package resolve_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/resolve"
)

// people is an organization acme with its repository acme/mono and a
// personal repository of sam's.
func people(t *testing.T) (*ghtest.GitHub, *github.Client) {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(1, "acme")
	gh.AddRepo(1, "acme", "mono", ghtest.RepoOptions{})
	gh.AddRepo(1, "sam", "dotfiles", ghtest.RepoOptions{})
	gh.AddTeam("acme", "pay", []string{"alice"}, map[string]string{"mono": "push"})
	gh.AddTeam("acme", "readers", []string{"rita"}, map[string]string{"mono": "pull"})
	gh.AddTeam("other", "pay", []string{"oscar"}, nil)
	gh.AddOrgMember("acme", "carol")                      // a member without access
	gh.AddCollaborator("acme", "mono", "carol", "triage") // triage reads
	gh.AddOrgMember("acme", "maya")
	gh.AddCollaborator("acme", "mono", "maya", "maintain") // maintain writes
	gh.AddUser("olga")
	gh.AddCollaborator("acme", "mono", "olga", "write") // an outside collaborator
	c := github.NewClient(gh.Client()).WithAuthToken(gh.InstallationToken(1))
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return gh, c
}

var (
	mono     = resolve.Repo{InstallationID: 1, Owner: "acme", Name: "mono", OrgOwned: true}
	dotfiles = resolve.Repo{InstallationID: 1, Owner: "sam", Name: "dotfiles"}
	monday   = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

func TestOwners(t *testing.T) {
	_, c := people(t)
	r := resolve.New(0, func() time.Time { return monday })
	got, err := r.Owners(context.Background(), c, mono, []string{
		"@acme/pay", "@ACME/Ghost", "@other/pay", "@alice", "@Maya", "@carol", "@nobody", "@olga", "@other", "ops@acme.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for owner, why := range got {
		kinds[owner] = why
	}
	want := map[string]string{
		"@acme/ghost": "is not a team of acme",
		"@other/pay":  "is a team of other; only teams of acme",
		"@carol":      "has read access to the repository",
		"@nobody":     "is not a GitHub user",
		"@olga":       "is not a member of acme",
		"@other":      "is an organization",
	}
	if len(got) != len(want) {
		t.Errorf("problems = %q, want owners %q", got, want)
	}
	for owner, prefix := range want {
		if !strings.HasPrefix(got[owner], prefix) {
			t.Errorf("%s: %q, want it to start %q", owner, got[owner], prefix)
		}
	}
}

func TestOwnersOfAPersonalRepository(t *testing.T) {
	gh, c := people(t)
	gh.AddCollaborator("sam", "dotfiles", "olga", "write")
	r := resolve.New(0, func() time.Time { return monday })
	got, err := r.Owners(context.Background(), c, dotfiles, []string{"@acme/pay", "@olga", "@sam", "@carol"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(got["@acme/pay"], "personal account") || !strings.HasPrefix(got["@carol"], "has no access") {
		t.Errorf("problems = %q; want the team refused and carol without access", got)
	}
}

func TestAnswersAreRememberedForTheTTL(t *testing.T) {
	gh, c := people(t)
	now := monday
	r := resolve.New(10*time.Minute, func() time.Time { return now })
	ask := func() map[string]string {
		t.Helper()
		got, err := r.Owners(context.Background(), c, mono, []string{"@alice", "@acme/pay", "@nobody"})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := ask()
	calls := gh.CountCalls(nil)
	if calls != 5 { // alice: user, membership, permission; the team; nobody
		t.Errorf("first lookup made %d calls, want 5", calls)
	}
	now = now.Add(9 * time.Minute)
	if diff := cmp.Diff(first, ask()); diff != "" {
		t.Errorf("remembered answers differ (-first +second):\n%s", diff)
	}
	if n := gh.CountCalls(nil); n != calls {
		t.Errorf("a remembered answer cost %d calls", n-calls)
	}
	gh.AddUser("nobody") // created meanwhile, still without access
	now = now.Add(2 * time.Minute)
	again := ask()
	if n := gh.CountCalls(nil); n != 2*calls+1 { // nobody now exists: membership is asked too
		t.Errorf("after the TTL, %d calls, want %d", n-calls, calls+1)
	}
	if !strings.HasPrefix(again["@nobody"], "is not a member of acme") {
		t.Errorf("after the TTL the answer is not fresh: %q", again["@nobody"])
	}
}

func TestOwnersFailsWhenGitHubCannotBeAsked(t *testing.T) {
	gh, c := people(t)
	gh.Fail(ghtest.FaultMatch{Operation: "teams/get-by-name", Count: 1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: 502})
	r := resolve.New(0, func() time.Time { return monday })
	if _, err := r.Owners(context.Background(), c, mono, []string{"@acme/pay"}); err == nil || !strings.Contains(err.Error(), "@acme/pay") {
		t.Fatalf("err = %v, want an error naming the owner", err)
	}
	// A failure is not remembered.
	got, err := r.Owners(context.Background(), c, mono, []string{"@acme/pay"})
	if err != nil || len(got) != 0 {
		t.Errorf("after the failure: %q, %v; want no problem", got, err)
	}
}

func TestCodeowners(t *testing.T) {
	gh, c := people(t)
	gh.SetFile("acme", "mono", "main", ".github/CODEOWNERS",
		"* @acme/pay\n/docs/ @acme/readers @Carol ops@acme.example\n/web/ @acme/ghost @maya\n")
	r := resolve.New(0, func() time.Time { return monday })
	got, err := r.Codeowners(context.Background(), c, mono, "main")
	if err != nil {
		t.Fatal(err)
	}
	var owners []string
	for o := range got {
		owners = append(owners, o)
	}
	if diff := cmp.Diff([]string{"@acme/ghost", "@acme/readers", "@carol"}, owners, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("unknown owners (-want +got):\n%s", diff)
	}
	// GitHub's verdict on a commit is remembered for the TTL.
	calls := gh.CountCalls(nil)
	if again, err := r.Codeowners(context.Background(), c, mono, "main"); err != nil || len(again) != 3 || gh.CountCalls(nil) != calls {
		t.Errorf("asking again: %q, %v, %d more calls", again, err, gh.CountCalls(nil)-calls)
	}
	// Asked where GitHub finds no file, it is an error, not a clean file:
	// the rules then stay skipped instead of passing unchecked.
	if none, err := r.Codeowners(context.Background(), c, dotfiles, "main"); err == nil || none != nil {
		t.Errorf("a repository without CODEOWNERS: %q, %v; want an error", none, err)
	}
}
