package cli

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/deploy"
	"github.com/ownerbot/ownerbot/internal/golden"
)

func TestManifestPage(t *testing.T) {
	r := run(t, "", "manifest", "--webhook-url", "https://bot.acme.example/webhook", "--org", "acme")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden.Assert(t, "manifest-acme.html", []byte(r.stdout))

	// The form posts exactly deploy/app.yml, with the webhook URL filled in.
	m := regexp.MustCompile(`name="manifest" value="([^"]*)"`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatal("no manifest field in the page")
	}
	var posted, want map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &posted); err != nil {
		t.Fatalf("the posted manifest is not JSON: %v", err)
	}
	if err := yaml.Unmarshal(deploy.AppManifest, &want); err != nil {
		t.Fatal(err)
	}
	want["hook_attributes"].(map[string]any)["url"] = "https://bot.acme.example/webhook"
	want["redirect_url"] = "https://bot.acme.example/"
	if diff := cmp.Diff(want, posted); diff != "" {
		t.Errorf("posted manifest (-app.yml +posted):\n%s", diff)
	}
	if !strings.Contains(r.stdout, `action="https://github.com/organizations/acme/settings/apps/new"`) {
		t.Error("the form does not post to the organization's new-App page")
	}
}

func TestManifestEnterpriseAndJSON(t *testing.T) {
	r := run(t, "", "manifest", "--webhook-url", "https://bot.corp.example/webhook", "--github-url", "https://git.corp.example/")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{`action="https://git.corp.example/settings/apps/new"`, "https://git.corp.example/api/v3/app-manifests/CODE/conversions"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	r = run(t, "", "manifest", "--webhook-url", "https://bot.corp.example/webhook", "--format", "json")
	var m struct {
		Hook        struct{ URL string } `json:"hook_attributes"`
		Permissions map[string]string    `json:"default_permissions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Hook.URL != "https://bot.corp.example/webhook" || m.Permissions["checks"] != "write" {
		t.Errorf("json: %+v, %v\n%s", m, err, r.stdout)
	}
}

func TestManifestNeedsAWebhookURL(t *testing.T) {
	for _, args := range [][]string{{}, {"--webhook-url", "bot.example/webhook"}, {"--webhook-url", "ftp://bot.example/"}, {"--webhook-url", "https://x.example/", "--format", "yaml"}} {
		r := run(t, "", append([]string{"manifest"}, args...)...)
		if r.code != ExitUsage || !strings.HasPrefix(r.stderr, "ownerbot manifest: --") {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}
