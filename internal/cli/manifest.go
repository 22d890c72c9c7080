package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ownerbot/ownerbot/deploy"
)

// runManifest prints the App manifest for GitHub's manifest flow, with the
// webhook URL filled in: as JSON, or as a page whose one button posts it to
// GitHub, which then creates the App.
func runManifest(_ context.Context, stdio IO, _ Build, args []string) error {
	fs := newFlags("manifest", "manifest --webhook-url URL [--org ORG] [--github-url URL] [--format html|json]", stdio.Stdout)
	webhookURL := fs.String("webhook-url", "", "where ownerbot serve receives webhooks, e.g. https://ownerbot.example.com/webhook (required)")
	org := fs.String("org", "", "create the App in this organization; your personal account when empty")
	githubURL := fs.String("github-url", "https://github.com", "GitHub's web address; for GitHub Enterprise Server https://HOST")
	format := fs.String("format", "html", "html (a page with a button that creates the App) or json (the manifest)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if err := oneOf("format", *format, "html", "json"); err != nil {
		return err
	}
	hook, err := url.Parse(*webhookURL)
	if *webhookURL == "" || err != nil || hook.Host == "" || (hook.Scheme != "https" && hook.Scheme != "http") {
		return usagef("--webhook-url must be the http(s) address GitHub delivers webhooks to, not %q", *webhookURL)
	}
	manifest, err := appManifest(hook)
	if err != nil {
		return err
	}
	if *format == "json" {
		_, err := fmt.Fprintf(stdio.Stdout, "%s\n", manifest)
		return err
	}
	target := strings.TrimSuffix(*githubURL, "/") + "/settings/apps/new"
	if *org != "" {
		target = strings.TrimSuffix(*githubURL, "/") + "/organizations/" + url.PathEscape(*org) + "/settings/apps/new"
	}
	return writeManifestPage(stdio.Stdout, target, hook, string(manifest))
}

// appManifest is deploy/app.yml as JSON, pointed at the webhook URL. The
// redirect after creation goes to the same host: it only carries the code
// that is exchanged for the App's id, key and secret.
func appManifest(hook *url.URL) ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(deploy.AppManifest, &m); err != nil {
		return nil, fmt.Errorf("the embedded deploy/app.yml: %w", err)
	}
	attrs, _ := m["hook_attributes"].(map[string]any)
	if attrs == nil {
		return nil, fmt.Errorf("the embedded deploy/app.yml has no hook_attributes")
	}
	attrs["url"] = hook.String()
	m["redirect_url"] = (&url.URL{Scheme: hook.Scheme, Host: hook.Host, Path: "/"}).String()
	return json.MarshalIndent(m, "", "  ")
}

var manifestPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Create the ownerbot GitHub App</title>
<h1>Create the ownerbot GitHub App</h1>
<p>The button sends this manifest to {{.Target}}. GitHub shows the App it will create; confirm
there. GitHub then sends your browser to {{.Redirect}} with <code>?code=…</code> in the address:
copy the code (it is valid for one hour) and exchange it for the App's id, private key and
webhook secret:</p>
<pre>curl -sX POST -H 'Accept: application/vnd.github+json' {{.Conversions}}</pre>
<form action="{{.Target}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Create the GitHub App</button>
</form>
<h2>Manifest</h2>
<pre>{{.Manifest}}</pre>
</html>
`))

func writeManifestPage(w io.Writer, target string, hook *url.URL, manifest string) error {
	api := "https://api.github.com"
	if u, err := url.Parse(target); err == nil && u.Host != "github.com" {
		api = u.Scheme + "://" + u.Host + "/api/v3"
	}
	return manifestPage.Execute(w, map[string]string{
		"Target":      target,
		"Redirect":    (&url.URL{Scheme: hook.Scheme, Host: hook.Host, Path: "/"}).String(),
		"Conversions": api + "/app-manifests/CODE/conversions",
		"Manifest":    manifest,
	})
}
