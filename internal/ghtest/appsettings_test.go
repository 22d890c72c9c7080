package ghtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// The App's settings and what each installation granted are separate, as on
// GitHub: raising the App's permissions leaves installations behind until
// their owners accept, and a suspended installation gets no token.
func TestAppAndInstallationSettings(t *testing.T) {
	ctx := context.Background()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(1, "acme")
	gh.AddInstallation(2, "widgets")
	app := client(t, gh, gh.App.JWT(time.Now()))

	a, _, err := app.Apps.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.GetPermissions().GetChecks(); got != "write" {
		t.Errorf("default App permission checks = %q, want write", got)
	}
	if diff := cmp.Diff([]string{"check_run", "check_suite", "pull_request", "pull_request_review", "push"}, a.Events); diff != "" {
		t.Errorf("default App events (-want +got):\n%s", diff)
	}

	gh.SetAppPermissions(map[string]string{"checks": "write", "administration": "write"})
	gh.SetAppEvents("push")
	gh.SetInstallationPermissions(1, map[string]string{"checks": "read"}, "push")
	suspended := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gh.SuspendInstallation(2, suspended)

	a, _, err = app.Apps.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.GetPermissions().GetAdministration() != "write" || a.GetPermissions().GetContents() != "" || len(a.Events) != 1 {
		t.Errorf("App after SetAppPermissions/SetAppEvents: %+v, events %v", a.GetPermissions(), a.Events)
	}
	installs, _, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil || len(installs) != 2 {
		t.Fatalf("ListInstallations = %v, %v", installs, err)
	}
	if got := installs[0].GetPermissions().GetChecks(); got != "read" || installs[0].SuspendedAt != nil {
		t.Errorf("installation 1: checks %q, suspended %v", got, installs[0].SuspendedAt)
	}
	if got := installs[1].GetSuspendedAt().Time; !got.Equal(suspended) {
		t.Errorf("installation 2 suspended at %v, want %v", got, suspended)
	}
	if installs[1].GetPermissions().GetContents() != "read" {
		t.Errorf("installation 2 lost what it granted at install time: %+v", installs[1].GetPermissions())
	}

	tok, _, err := app.Apps.CreateInstallationToken(ctx, 1, nil)
	if err != nil || tok.GetPermissions().GetChecks() != "read" {
		t.Errorf("token of installation 1: %+v, %v; want its granted checks: read", tok.GetPermissions(), err)
	}
	if _, _, err := app.Apps.CreateInstallationToken(ctx, 2, nil); status(err) != http.StatusForbidden {
		t.Errorf("token of a suspended installation: %v, want 403", err)
	}
}
