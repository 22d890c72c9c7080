package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
)

// Event is one delivery, translated: what happened and to which pull request.
type Event struct {
	DeliveryID     string // X-GitHub-Delivery
	Name           string // X-GitHub-Event, e.g. "pull_request"
	Action         string // payload "action", "" for push/ping
	InstallationID int64
	Owner, Repo    string
	PR             int    // the pull request the event is about, 0 when none
	HeadSHA        string // the head commit the event names, "" when none
	Payload        []byte // the raw body
	Parsed         any    // what github.ParseWebHook returned (e.g. *github.PullRequestEvent)
	Received       time.Time
}

// Handler does the work for an event, on a worker, after the delivery was
// acknowledged. The context carries the job's logger (zerolog.Ctx) and is
// canceled at the per-job timeout or when Shutdown gives up waiting.
type Handler interface {
	Handle(ctx context.Context, ev Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev Event) error { return f(ctx, ev) }

// DefaultAccept says which events are worth a job: those that can change
// what ownerbot reports on a pull request, plus installation changes and
// pushes (so a later sweep can react). Everything else is acknowledged and
// ignored.
func DefaultAccept(ev Event) bool {
	switch ev.Name {
	case "pull_request":
		switch ev.Action {
		case "opened", "synchronize", "reopened", "ready_for_review", "closed":
			return true
		case "edited":
			// Only a new base branch changes the diff; title and body
			// edits do not.
			if p, ok := ev.Parsed.(*github.PullRequestEvent); ok {
				return p.GetChanges().GetBase() != nil
			}
			var raw struct {
				Changes struct {
					Base json.RawMessage `json:"base"`
				} `json:"changes"`
			}
			return json.Unmarshal(ev.Payload, &raw) == nil && len(raw.Changes.Base) > 0 && string(raw.Changes.Base) != "null"
		}
	case "pull_request_review":
		switch ev.Action {
		case "submitted", "dismissed", "edited":
			return true
		}
	case "check_run":
		return ev.Action == "rerequested"
	case "check_suite":
		return ev.Action == "rerequested" || ev.Action == "requested"
	case "installation", "installation_repositories", "push":
		return true
	}
	return false
}

// envelope is the part of a payload the ingress itself needs. It is
// decoded separately from go-github's typed event so that a payload with a
// field go-github cannot decode (octokit's check_run example has a
// "2018-04-25 20:42:10" timestamp) still reaches the handler: the event is a
// hint to look again, and what matters is which pull request to look at.
// Absent or null objects leave zero values.
type envelope struct {
	Action       string `json:"action"`
	Number       int    `json:"number"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository struct {
		Name  string `json:"name"`
		Owner struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	PullRequest *struct {
		Number    int    `json:"number"`
		UpdatedAt string `json:"updated_at"`
		Head      struct {
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	CheckRun   *checkRef `json:"check_run"`
	CheckSuite *checkRef `json:"check_suite"`
	Issue      *struct {
		Number      int             `json:"number"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
}

// checkRef is what a check_run or check_suite says about its pull requests.
type checkRef struct {
	HeadSHA      string `json:"head_sha"`
	PullRequests []struct {
		Number int `json:"number"`
	} `json:"pull_requests"`
}

// decodeEvent translates a verified body into an Event. It fails only when
// the body is not JSON of the envelope's shape; when go-github cannot decode
// it, Parsed is nil and parseErr says why. occurred is the payload's
// pull_request.updated_at, zero when it has none.
func decodeEvent(name, delivery string, body []byte, received time.Time) (ev Event, occurred time.Time, parseErr, err error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, time.Time{}, nil, fmt.Errorf("decode %s payload: %w", name, err)
	}
	ev = Event{
		DeliveryID:     delivery,
		Name:           name,
		Action:         env.Action,
		InstallationID: env.Installation.ID,
		Owner:          env.Repository.Owner.Login,
		Repo:           env.Repository.Name,
		Payload:        body,
		Received:       received,
	}
	switch {
	case env.PullRequest != nil: // pull_request, pull_request_review
		ev.PR = env.PullRequest.Number
		if ev.PR == 0 {
			ev.PR = env.Number
		}
		ev.HeadSHA = env.PullRequest.Head.SHA
		// Only these carry a timestamp comparable between deliveries.
		occurred, _ = time.Parse(time.RFC3339, env.PullRequest.UpdatedAt)
	case env.CheckRun != nil:
		ev.PR, ev.HeadSHA = env.CheckRun.firstPR(), env.CheckRun.HeadSHA
	case env.CheckSuite != nil:
		ev.PR, ev.HeadSHA = env.CheckSuite.firstPR(), env.CheckSuite.HeadSHA
	case env.Issue != nil && len(env.Issue.PullRequest) > 0 && string(env.Issue.PullRequest) != "null":
		// issue_comment on a pull request: pull requests are issues.
		ev.PR = env.Issue.Number
	}
	ev.Parsed, parseErr = github.ParseWebHook(name, body)
	if parseErr != nil {
		ev.Parsed = nil
	}
	return ev, occurred, parseErr, nil
}

func (c *checkRef) firstPR() int {
	if len(c.PullRequests) == 0 {
		return 0
	}
	return c.PullRequests[0].Number
}

// prKey identifies the pull request an event is about; jobs with the same
// key coalesce and never run concurrently.
type prKey struct {
	installation int64
	owner, repo  string
	pr           int
}

// key returns the event's pull-request key, and false for events that are
// not about one pull request (push, installation, ...), which never coalesce.
func (ev Event) key() (prKey, bool) {
	if ev.PR == 0 || ev.Owner == "" || ev.Repo == "" {
		return prKey{}, false
	}
	return prKey{installation: ev.InstallationID, owner: ev.Owner, repo: ev.Repo, pr: ev.PR}, true
}

// fullName is owner/name for logs, "" when the event names no repository.
func (ev Event) fullName() string {
	if ev.Repo == "" {
		return ""
	}
	return ev.Owner + "/" + ev.Repo
}
