package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// Three `serve` replicas, each with its own cache directory as the chart
// runs them, behind one webhook URL. A redelivery storm (one delivery sent
// fifty times, spread over the replicas) and different events for one head
// arriving at different replicas at once still make exactly one check run
// per head and one sticky comment per pull request, and leave no lease.
func TestServeReplicasWriteOnce(t *testing.T) {
	gh, _ := newMonorepo(t)
	var replicas []*server
	for range 3 {
		s := startServe(t, gh)
		replicas = append(replicas, s)
	}
	for _, s := range replicas {
		s.waitReady(t)
	}
	allLogs := func() string {
		var out string
		for i, s := range replicas {
			out += fmt.Sprintf("--- replica %d\n%s", i, s.log())
		}
		return out
	}

	target := func(number int, pr ghtest.Pull) ghtest.Target {
		return ghtest.Target{Installation: e2eInstallation, Owner: "acme", Repo: "mono",
			CloneURL: gh.Git.CloneURL("acme", "mono"), Number: number, HeadSHA: pr.HeadSHA, BaseSHA: pr.BaseSHA}
	}
	// #51: one delivery, fifty times, round-robin over the replicas.
	storm := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 51, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // storm\n"}})
	opened := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", "opened"), target(51, storm))
	// #52: opened, reopened and synchronize for the same head, each at
	// another replica, at once.
	mixed := gh.OpenPull("acme", "mono", ghtest.PullSpec{Number: 52, Author: "bob", When: e2eDay.Add(time.Hour),
		HeadFiles: map[string]string{"pay/api/main.go": "package main // mixed\n"}})
	events := []string{"opened", "reopened", "synchronize"}

	var wg sync.WaitGroup
	send := func(s *server, event, id string, body []byte) {
		defer wg.Done()
		if code := s.deliver(t, event, id, body); code != http.StatusAccepted {
			t.Errorf("delivery %s: status %d", id, code)
		}
	}
	for i := range 50 {
		wg.Add(1)
		go send(replicas[i%len(replicas)], "pull_request", "storm-51", opened)
	}
	for i, action := range events {
		body := ghtest.Retarget(t, ghtest.Delivery(t, "pull_request", action), target(52, mixed))
		wg.Add(1)
		go send(replicas[i], "pull_request", "mixed-52-"+action, body)
	}
	wg.Wait()

	bot := gh.App.Slug + "[bot]"
	settled := func(number int, head string) bool {
		own := 0
		for _, c := range gh.Comments("acme", "mono", number) {
			if c.User == bot {
				own++
			}
		}
		return own >= 1 && len(runsOn(gh, head)) >= 1 && len(gh.Reactions("acme", "mono", number)) == 0
	}
	deadline := time.Now().Add(90 * time.Second)
	for !(settled(51, storm.HeadSHA) && settled(52, mixed.HeadSHA)) {
		if time.Now().After(deadline) {
			t.Fatalf("the replicas did not check both pull requests\n%s", allLogs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every replica has had its turn once no job is left in any queue.
	for _, s := range replicas {
		eventually(t, s, "an idle queue", func() bool { return s.idle(t) })
	}
	for _, pr := range []struct {
		number int
		head   string
	}{{51, storm.HeadSHA}, {52, mixed.HeadSHA}} {
		if runs := runsOn(gh, pr.head); len(runs) != 1 {
			t.Errorf("#%d: %d check runs on its head, want 1\n%s", pr.number, len(runs), allLogs())
		}
		if comments := gh.Comments("acme", "mono", pr.number); len(comments) != 1 {
			t.Errorf("#%d: %d comments, want 1: %+v", pr.number, len(comments), comments)
		}
		if r := gh.Reactions("acme", "mono", pr.number); len(r) != 0 {
			t.Errorf("#%d: a lease was left behind: %+v", pr.number, r)
		}
	}
}
