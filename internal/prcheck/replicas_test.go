package prcheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/report"
)

// beforeCreate runs hook once, just before the first request that creates
// a comment goes out.
type beforeCreate struct {
	next http.RoundTripper
	hook func()
}

func (b *beforeCreate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comments") && b.hook != nil {
		hook := b.hook
		b.hook = nil
		hook()
	}
	return b.next.RoundTrip(r)
}

// Two replicas check the same new pull request at the same moment, and
// the lease fails them: the first takes the second, which holds it, for
// dead (as it would a replica slower than the stale limit) and breaks it,
// so both find no comment and both create one. The pull request still ends
// with one sticky comment, the oldest, carrying the report.
func TestCheckTwoReplicasCreatingTheCommentAtOnce(t *testing.T) {
	f := newFixture(t)
	f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 7, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: day})
	first := f.newChecker(t, func(c *prcheck.Config) { c.Lease.Stale = time.Nanosecond })

	race := &beforeCreate{next: f.gh.Client().Transport, hook: func() { f.check(t, first, 7) }}
	app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
		Transport: race, Logger: zerolog.Nop(), Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	clones, err := ghapp.NewCloneCache(t.TempDir(), 1<<30, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	second := prcheck.New(prcheck.Config{Client: app.Client, Token: app.Token, Clones: clones,
		Now: func() time.Time { return day }, AppID: f.gh.App.ID, Identity: app.Identity})
	f.check(t, second, 7)

	comments := f.gh.Comments("acme", "mono", 7)
	if len(comments) != 2 {
		t.Fatalf("%d comments, want the two the replicas created", len(comments))
	}
	var sticky []ghtest.Comment
	for _, c := range comments {
		if strings.HasPrefix(c.Body, report.CommentMarker) {
			sticky = append(sticky, c)
		}
	}
	if len(sticky) != 1 || sticky[0].ID != comments[0].ID {
		t.Fatalf("sticky comments %+v, want only the oldest", sticky)
	}
	if !strings.Contains(sticky[0].Body, "`pay/api/main.go`") || !strings.Contains(comments[1].Body, "the comment above") {
		t.Errorf("comments:\n%s\n---\n%s", comments[0].Body, comments[1].Body)
	}
	// Both replicas now edit the oldest, and neither writes again when
	// nothing changed.
	f.gh.ResetRecording()
	f.check(t, first, 7)
	f.check(t, second, 7)
	if writes := f.gh.CountCalls(func(r ghtest.Request) bool { return r.Method != "GET" }); writes != 0 {
		t.Errorf("%d writes after the race settled", writes)
	}
}

// Three replicas get the events of the same pull requests at the same
// moment (a redelivery storm, or "opened" and "reopened" on different
// replicas), and are lined up to create the comment and the check run
// together. The lease makes them take turns: each pull request ends with
// one comment and each head with one check run, and no lease is left.
func TestCheckReplicasAtOnceWriteOnce(t *testing.T) {
	f := newFixture(t)
	const pulls = 3
	heads := map[int]string{}
	for n := 1; n <= pulls; n++ {
		heads[40+n] = f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 40 + n, Author: "bob",
			HeadFiles: map[string]string{"pay/api/main.go": fmt.Sprintf("package main // v%d\n", n)}, When: day}).HeadSHA
	}
	const replicas = 3
	// Each request that creates a comment or a check run waits for the
	// other replicas' requests for the same pull request or head.
	lineUp := ghtest.NewLineUp(f.gh.Client().Transport, replicas, func(r *http.Request) (string, bool) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/comments") && !strings.HasSuffix(r.URL.Path, "/check-runs") {
			return "", false
		}
		key := r.URL.Path
		if r.GetBody == nil {
			return key, true
		}
		if b, err := r.GetBody(); err == nil { // check runs of different heads share a path
			var body struct {
				HeadSHA string `json:"head_sha"`
			}
			_ = json.NewDecoder(b).Decode(&body)
			key += "@" + body.HeadSHA
		}
		return key, true
	})
	var checkers []*prcheck.Checker
	for range replicas {
		// A process of its own: its own App, caches and memory.
		app, err := ghapp.New(ghapp.Config{AppID: f.gh.App.ID, PrivateKey: f.gh.App.PrivateKeyPEM(), APIURL: f.gh.URL(),
			Transport: lineUp, Logger: zerolog.Nop(), WriteInterval: -1, ContentInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		f.app = app
		checkers = append(checkers, f.newChecker(t))
	}
	var wg sync.WaitGroup
	for _, c := range checkers {
		for n := 1; n <= pulls; n++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Check(context.Background(), prcheck.Target{InstallationID: installation, Owner: "acme", Repo: "mono", Number: 40 + n}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	for n := 1; n <= pulls; n++ {
		f.one(t, 40+n, heads[40+n])
		if r := f.gh.Reactions("acme", "mono", 40+n); len(r) != 0 {
			t.Errorf("#%d: a lease was left behind: %+v", 40+n, r)
		}
	}
}
