package prcheck_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/report"
	"github.com/rs/zerolog"
)

// The organization's ownerbot.yaml is read from its .github repository and
// applies under the repository's own file; what it locks, the repository
// cannot change, whatever its file says.
func TestCheckAppliesTheOrganizationConfig(t *testing.T) {
	f := newFixture(t)
	f.gh.AddRepo(installation, "acme", ".github", ghtest.RepoOptions{})
	f.gh.SetFile("acme", ".github", "main", "ownerbot.yaml", "version: 1\nmode: observe\nlocked: [mode]\n")
	pr := f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 8, Author: "bob",
		HeadFiles: map[string]string{".github/CODEOWNERS": "* @acme/platform\n/pay/ @acme/pay\n/old/ @acme/pay\n/web/[ @acme/web\n"}, When: day})

	c := f.newChecker(t)
	clones, err := ghapp.NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	withOrg := prcheck.New(prcheck.Config{Client: f.app.Client, Token: f.app.Token, Clones: clones,
		Now: func() time.Time { return day }, AppID: f.gh.App.ID, Identity: f.app.Identity, OrgConfig: orgconfig.New(0, nil)})

	// Without the organization's file, the repository enforces.
	if out := f.check(t, c, 8); out.Conclusion != report.Failure {
		t.Fatalf("without the organization's file: conclusion %q, want failure", out.Conclusion)
	}
	out := f.check(t, withOrg, 8)
	if out.Conclusion != report.Neutral {
		t.Errorf("the organization locks mode to observe: conclusion %q, want neutral", out.Conclusion)
	}
	_, comment := f.one(t, 8, pr.HeadSHA)
	if !strings.Contains(comment.Body, "codeowners.syntax") {
		t.Errorf("observe still reports the problem:\n%s", comment.Body)
	}
	// The base's own mode: enforce is debt of the base, reported there, not
	// a problem this pull request adds.
	for _, f := range out.Report.Comparison.New {
		if f.Rule == "config.invalid" {
			t.Errorf("the base's locked setting is reported as new: %+v", f)
		}
	}

	// Read once for the organization, then remembered.
	f.gh.ResetRecording()
	f.check(t, withOrg, 8)
	if n := f.gh.CountCalls(func(r ghtest.Request) bool { return strings.Contains(r.Path, "/.github/contents/") }); n != 0 {
		t.Errorf("a second check read the organization's file %d more times", n)
	}
}
