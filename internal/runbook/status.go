package runbook

import (
	"fmt"
	"time"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// A State is where a runbook stands in its review cycle.
type State string

// The states of a runbook (DESIGN §2.3).
const (
	Current State = "current"
	DueSoon State = "due_soon"
	Overdue State = "overdue"
	Invalid State = "invalid"
)

// DueSoonDays is how far ahead a review shows as due: the due day itself and
// the 14 days before it.
const DueSoonDays = 14

// futureSlack is how far past today (UTC) last_reviewed may be: a reviewer
// east of UTC may already live in tomorrow.
const futureSlack = 1

// A Status is a runbook's state on a given day.
type Status struct {
	State State
	// Due is the last day the review is on time (midnight UTC):
	// last_reviewed plus the interval. Zero when Invalid.
	Due time.Time
	// DaysLeft counts the days from today to Due: 0 on the due day,
	// negative once overdue.
	DaysLeft int
	Interval strictyaml.Duration // the interval that applied; zero when Invalid
	Reason   string              // for Invalid, what is wrong in one sentence
}

// Status returns the runbook's state on the calendar day (in UTC) of now.
// The interval is the runbook's own, else defaultInterval (the unit's or
// its tier's; a zero default counts as zero days). A review is due on
// last_reviewed + interval; it is Overdue from the day after, DueSoon from
// DueSoonDays before through the due day, and Current before that. A
// runbook with problems, or whose last_reviewed is after tomorrow, is
// Invalid.
func (r *Runbook) Status(now time.Time, defaultInterval strictyaml.Duration) Status {
	if problems := r.Problems(); len(problems) > 0 {
		return Status{State: Invalid, Reason: problems[0].Message}
	}
	if r.LastReviewed.IsZero() { // only when a caller built the Runbook by hand
		return Status{State: Invalid, Reason: "there is no valid " + KeyLastReviewed}
	}
	today, reviewed := day(now), day(r.LastReviewed)
	if days(today, reviewed) > futureSlack {
		return Status{State: Invalid, Reason: fmt.Sprintf("%s %s is in the future (today is %s): write the date the review happened",
			KeyLastReviewed, reviewed.Format(strictyaml.DateLayout), today.Format(strictyaml.DateLayout))}
	}
	interval := r.Interval
	if interval.Days <= 0 {
		interval = defaultInterval
	}
	due := reviewed.AddDate(0, 0, interval.Days)
	left := days(today, due)
	st := Status{State: Current, Due: due, DaysLeft: left, Interval: interval}
	switch {
	case left < 0:
		st.State = Overdue
	case left <= DueSoonDays:
		st.State = DueSoon
	}
	return st
}

// day is the calendar day of t in UTC, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// days counts the days from one midnight UTC to another; through Unix
// seconds, so dates centuries apart do not overflow a time.Duration.
func days(from, to time.Time) int {
	return int((to.Unix() - from.Unix()) / (24 * 60 * 60))
}
