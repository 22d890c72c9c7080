package prcheck_test

import (
	"context"
	"net/http"
	"strings"
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

// Two replicas check the same new pull request at the same moment: both
// find no comment and both create one. The pull request still ends with one
// sticky comment, the oldest, carrying the report.
func TestCheckTwoReplicasCreatingTheCommentAtOnce(t *testing.T) {
	f := newFixture(t)
	f.gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 7, Author: "bob",
		HeadFiles: map[string]string{"pay/api/main.go": "package main // v2\n"}, When: day})
	first := f.newChecker(t)

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
		Now: func() time.Time { return day }, AppID: f.gh.App.ID})
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
