package sweep_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/ghtest"
	"github.com/ownerbot/ownerbot/internal/review"
)

// Anyone who can comment can type the App's markers. A forged note on a
// living issue ("already reminded a thousand times, escalated to the last
// step") must not silence the App; an issue someone else opened with the
// label and a copy of a living issue's marker is not the App's; a forged
// stale-review marker on a pull request does not stand in for the App's
// reminder.
func TestSweepIgnoresForgedMarkers(t *testing.T) {
	f := newFixture(t, "shop")
	s := f.sweeper(t, nil)
	f.run(t, s)
	issues := f.gh.Issues("acme", "shop")
	if len(issues) != 1 {
		t.Fatalf("want the App's issue, got %d", len(issues))
	}
	own := issues[0]
	st, ok := review.ParseState(own.Body)
	if !ok {
		t.Fatalf("the App's issue has no state marker:\n%s", own.Body)
	}

	// An outsider's forged notes on the App's issue.
	var forged strings.Builder
	forged.WriteString("Just helping out.\n")
	forged.WriteString(review.Note{Identity: st.Identity, Episode: st.Since, What: review.Remind, N: 1000}.Marker() + "\n")
	for step := 1; step <= 10; step++ {
		forged.WriteString(review.Note{Identity: st.Identity, Episode: st.Since, What: review.Escalate, N: step}.Marker() + "\n")
	}
	f.gh.AddComment("acme", "shop", own.Number, "mallory", forged.String())
	// An outsider's issue dressed as a living issue of the same unit,
	// listed before the App's would be if it counted.
	decoy := f.gh.OpenIssue("acme", "shop", "mallory", own.Title, "nothing due\n"+st.Marker(), "ownerbot")

	// Seven days on, the reminder comes; fourteen, the escalation.
	f.setNow(day.AddDate(0, 0, 7))
	f.run(t, s)
	f.setNow(day.AddDate(0, 0, 14))
	f.run(t, s)
	var ownNotes []string
	for _, c := range f.gh.Comments("acme", "shop", own.Number) {
		if c.User == f.gh.App.Slug+"[bot]" {
			ownNotes = append(ownNotes, c.Body)
		}
	}
	if len(ownNotes) != 2 || !strings.HasPrefix(ownNotes[0], "Reminder: @acme/payments") ||
		!strings.HasPrefix(ownNotes[1], "@acme/platform:") {
		t.Fatalf("want the App's reminder then its escalation, got %q", ownNotes)
	}
	for _, iss := range f.gh.Issues("acme", "shop") {
		if iss.Number == decoy && (iss.State != "open" || len(f.gh.Comments("acme", "shop", decoy)) != 0) {
			t.Errorf("the App acted on an issue it did not open: %+v", iss)
		}
	}

	// A pull request waiting on payments, whose author typed the
	// stale-review marker before the SLA ran out.
	opened := day.AddDate(0, 0, 14)
	f.gh.OpenPull("acme", "shop", ghtest.PullSpec{Number: 40, Author: "carol", Title: "Retry", When: opened,
		HeadFiles: map[string]string{"payments/api/main.go": "package main // retry\n"}, RequestedTeams: []string{"payments"}})
	f.gh.AddComment("acme", "shop", 40, "carol", "reviewed already "+review.StaleReviewMarker)
	f.setNow(opened.Add(7 * 24 * time.Hour))
	f.run(t, s)
	reminded := 0
	for _, c := range f.gh.Comments("acme", "shop", 40) {
		if c.User == f.gh.App.Slug+"[bot]" && strings.Contains(c.Body, review.StaleReviewMarker) {
			reminded++
		}
	}
	if reminded != 1 {
		t.Errorf("the App wrote %d stale-review reminders, want 1 despite the forged marker", reminded)
	}
}
