package ghtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// Sign returns the X-Hub-Signature-256 value GitHub sends for body.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Delivery loads a recorded delivery body,
// ../shared/github/webhooks/<event>/<file>.json, skipping the test when the
// shared material is absent.
func Delivery(t testing.TB, event, file string) []byte {
	t.Helper()
	path, err := sharedPath("../shared/github/webhooks/" + event + "/" + file + ".json")
	if err != nil {
		t.Skipf("ghtest: %v", err)
	}
	body, err := os.ReadFile(filepath.Clean(path))
	if os.IsNotExist(err) {
		t.Skipf("ghtest: %s not found: webhook deliveries are shared material; see README", path)
	}
	if err != nil {
		t.Fatalf("ghtest: %v", err)
	}
	return body
}

// Rewrite decodes body, lets edit change it and encodes it again; use it to
// point a recorded delivery at a fixture.
func Rewrite(t testing.TB, body []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("ghtest: rewrite delivery: %v", err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("ghtest: rewrite delivery: %v", err)
	}
	return out
}

// Target says what a rewritten delivery points at; zero fields are left
// unchanged.
type Target struct {
	Installation int64
	Owner, Repo  string
	CloneURL     string
	Number       int
	HeadSHA      string
	BaseSHA      string
}

// Retarget rewrites the installation, repository and pull request of a
// delivery, the fields the bot routes on.
func Retarget(t testing.TB, body []byte, to Target) []byte {
	t.Helper()
	return Rewrite(t, body, func(m map[string]any) {
		obj := func(parent map[string]any, key string) map[string]any {
			child, _ := parent[key].(map[string]any)
			if child == nil {
				child = map[string]any{}
				parent[key] = child
			}
			return child
		}
		if to.Installation != 0 {
			obj(m, "installation")["id"] = to.Installation
		}
		repo := obj(m, "repository")
		if to.Owner != "" {
			obj(repo, "owner")["login"] = to.Owner
		}
		if to.Repo != "" {
			repo["name"] = to.Repo
		}
		if to.Owner != "" || to.Repo != "" {
			owner, _ := obj(repo, "owner")["login"].(string)
			name, _ := repo["name"].(string)
			repo["full_name"] = owner + "/" + name
		}
		if to.CloneURL != "" {
			repo["clone_url"] = to.CloneURL
		}
		pr, isPull := m["pull_request"].(map[string]any)
		if !isPull {
			return
		}
		if to.Number != 0 {
			pr["number"] = to.Number
			if _, ok := m["number"]; ok {
				m["number"] = to.Number
			}
		}
		if to.HeadSHA != "" {
			obj(pr, "head")["sha"] = to.HeadSHA
		}
		if to.BaseSHA != "" {
			obj(pr, "base")["sha"] = to.BaseSHA
		}
	})
}

// NewRequest builds a signed webhook delivery as GitHub would POST it.
func NewRequest(url, event, deliveryID string, body, secret []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic("ghtest: webhook request: " + err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/ghtest")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", deliveryID)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	req.Header.Set("X-Hub-Signature-256", Sign(secret, body))
	return req
}
