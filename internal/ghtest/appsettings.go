package ghtest

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/google/go-github/v60/github"
)

// What the fake's App has and its installations grant unless a test says
// otherwise: what ownerbot's manifest (deploy/app.yml) asks for.
var (
	defaultPermissions = map[string]string{
		"checks": "write", "contents": "read", "issues": "write",
		"members": "read", "metadata": "read", "pull_requests": "write",
	}
	defaultEvents = []string{"check_run", "check_suite", "pull_request", "pull_request_review", "push"}
)

// SetAppPermissions replaces the App's permissions, as editing "Permissions
// & events" in its settings does, for example {"checks": "write"}.
// Installations keep what they granted until SetInstallationPermissions:
// on GitHub, each one accepts an increase separately.
func (gh *GitHub) SetAppPermissions(perms map[string]string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.App.permissions = maps.Clone(perms)
	if gh.App.permissions == nil {
		gh.App.permissions = map[string]string{}
	}
}

// SetAppEvents replaces the events the App subscribes to.
func (gh *GitHub) SetAppEvents(events ...string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.App.events = append([]string{}, events...)
}

// SetInstallationPermissions replaces what an installation granted: less
// than the App asks for is an installation whose owner has not accepted
// the App's new permissions yet.
func (gh *GitHub) SetInstallationPermissions(installationID int64, perms map[string]string, events ...string) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	inst := gh.installations[installationID]
	if inst == nil {
		gh.t.Fatalf("ghtest: no installation %d", installationID)
	}
	inst.permissions = maps.Clone(perms)
	inst.events = append([]string{}, events...)
}

// SuspendInstallation suspends an installation at the given time: GitHub
// then lists it with suspended_at and refuses it tokens.
func (gh *GitHub) SuspendInstallation(installationID int64, at time.Time) {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	inst := gh.installations[installationID]
	if inst == nil {
		gh.t.Fatalf("ghtest: no installation %d", installationID)
	}
	inst.suspendedAt = at.UTC().Truncate(time.Second)
}

// appPermissions is a copy of the App's permissions. Callers hold gh.mu.
func (gh *GitHub) appPermissions() map[string]string {
	if gh.App.permissions == nil {
		return maps.Clone(defaultPermissions)
	}
	return maps.Clone(gh.App.permissions)
}

// appEvents is a copy of the App's events. Callers hold gh.mu.
func (gh *GitHub) appEvents() []string {
	if gh.App.events == nil {
		return slices.Clone(defaultEvents)
	}
	return slices.Clone(gh.App.events)
}

// permissionsJSON renders a permission map in go-github's type, whose
// JSON names are GitHub's. Permissions go-github does not know are lost.
func permissionsJSON(perms map[string]string) *github.InstallationPermissions {
	out := &github.InstallationPermissions{}
	data, err := json.Marshal(perms)
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		panic("ghtest: permissions: " + err.Error())
	}
	return out
}
