package orgconfig_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/ownerbot/ownerbot/internal/config"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
)

// acme is an organization whose .github repository holds its defaults.
func acme(t *testing.T, file string) (*ghtest.GitHub, *github.Client) {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(1, "acme")
	gh.AddRepo(1, "acme", "mono", ghtest.RepoOptions{})
	gh.AddRepo(1, "acme", ".github", ghtest.RepoOptions{})
	if file != "" {
		gh.SetFile("acme", ".github", "main", "ownerbot.yaml", file)
	}
	c := github.NewClient(gh.Client()).WithAuthToken(gh.InstallationToken(1))
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return gh, c
}

func contentReads(gh *ghtest.GitHub) int {
	n := 0
	for _, r := range gh.Requests() {
		if strings.HasPrefix(strings.ToLower(r.Path), "/repos/acme/.github/contents/") {
			n++
		}
	}
	return n
}

func TestReadsAndRemembers(t *testing.T) {
	gh, c := acme(t, "version: 1\nmode: enforce\nlocked: [mode]\n")
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	cache := orgconfig.New(time.Minute, func() time.Time { return now })
	for range 3 {
		org, err := cache.Get(context.Background(), c, 1, "ACME")
		if err != nil {
			t.Fatal(err)
		}
		if org == nil || org.Config.Mode != config.Enforce || len(org.Locked) != 1 {
			t.Fatalf("org = %+v", org)
		}
	}
	if n := contentReads(gh); n != 1 {
		t.Errorf("three checks within the TTL read the file %d times, want 1", n)
	}
	gh.SetFile("acme", ".github", "main", "ownerbot.yaml", "version: 1\nmode: observe\n")
	now = now.Add(time.Minute)
	org, err := cache.Get(context.Background(), c, 1, "acme")
	if err != nil || org.Config.Mode != config.Observe {
		t.Errorf("after the TTL: %+v, %v; want the new file's mode", org, err)
	}
}

func TestNoFileIsTheDefaults(t *testing.T) {
	_, c := acme(t, "")
	org, err := orgconfig.New(0, nil).Get(context.Background(), c, 1, "acme")
	if err != nil || org != nil {
		t.Errorf("no ownerbot.yaml: %+v, %v; want nil and no error", org, err)
	}
	// Nor a .github repository the App can see.
	org, err = orgconfig.Read(context.Background(), c, "nobody")
	if err != nil || org != nil {
		t.Errorf("no .github repository: %+v, %v; want nil and no error", org, err)
	}
}

// A file with mistakes applies where it is right (its mistakes are findings
// of the .github repository's own checks).
func TestAFileWithMistakesStillApplies(t *testing.T) {
	_, c := acme(t, "version: 1\nmode: enforce\ncolour: blue\n")
	org, err := orgconfig.Read(context.Background(), c, "acme")
	if err != nil || org == nil || org.Config.Mode != config.Enforce {
		t.Errorf("%+v, %v", org, err)
	}
}

// When GitHub cannot be asked, the last file read applies, however old:
// an outage does not turn an organization's enforce into the default warn.
func TestOutageKeepsTheLastRead(t *testing.T) {
	gh, c := acme(t, "version: 1\nmode: enforce\n")
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	cache := orgconfig.New(time.Minute, func() time.Time { return now })
	fresh := orgconfig.New(time.Minute, func() time.Time { return now })
	if _, err := cache.Get(context.Background(), c, 1, "acme"); err != nil {
		t.Fatal(err)
	}
	gh.Fail(ghtest.FaultMatch{PathPrefix: "/repos/acme/.github/", Count: -1}, ghtest.Fault{Kind: ghtest.FaultStatus, Status: 502})
	now = now.Add(time.Hour)
	org, err := cache.Get(context.Background(), c, 1, "acme")
	if err != nil || org == nil || org.Config.Mode != config.Enforce {
		t.Errorf("during an outage: %+v, %v; want the last read", org, err)
	}
	if org, err := fresh.Get(context.Background(), c, 1, "acme"); err == nil || org != nil {
		t.Errorf("nothing read yet during an outage: %+v, %v; want the error", org, err)
	}
}

func TestNilCacheReadsNothing(t *testing.T) {
	gh, c := acme(t, "version: 1\nmode: enforce\n")
	var cache *orgconfig.Cache
	if org, err := cache.Get(context.Background(), c, 1, "acme"); org != nil || err != nil || contentReads(gh) != 0 {
		t.Errorf("%+v, %v, %d reads", org, err, contentReads(gh))
	}
}
