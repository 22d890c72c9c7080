package ghtest_test

import (
	"encoding/json"
	"testing"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

func TestSignGitHubVector(t *testing.T) {
	// From GitHub's "Validating webhook deliveries" documentation.
	got := ghtest.Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestDeliveryRetargetAndRequest(t *testing.T) {
	body := ghtest.Delivery(t, "pull_request", "opened")
	body = ghtest.Retarget(t, body, ghtest.Target{
		Installation: 9, Owner: "acme", Repo: "widgets", CloneURL: "http://git.test/acme/widgets.git",
		Number: 7, HeadSHA: "abc", BaseSHA: "def",
	})
	var ev struct {
		Number       int
		Installation struct{ ID int64 }
		Repository   struct {
			FullName string `json:"full_name"`
			CloneURL string `json:"clone_url"`
		}
		PullRequest struct {
			Number int
			Head   struct{ SHA string }
			Base   struct{ SHA string }
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Number != 7 || ev.Installation.ID != 9 || ev.Repository.FullName != "acme/widgets" || ev.Repository.CloneURL != "http://git.test/acme/widgets.git" ||
		ev.PullRequest.Number != 7 || ev.PullRequest.Head.SHA != "abc" || ev.PullRequest.Base.SHA != "def" {
		t.Errorf("retargeted delivery = %+v", ev)
	}

	req := ghtest.NewRequest("http://bot.test/webhook", "pull_request", "d-1", body, []byte("s3cret"))
	for h, want := range map[string]string{
		"X-GitHub-Event":      "pull_request",
		"X-GitHub-Delivery":   "d-1",
		"X-Hub-Signature-256": ghtest.Sign([]byte("s3cret"), body),
		"Content-Type":        "application/json",
	} {
		if got := req.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}
