package exception

import (
	"fmt"
	"time"

	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

// ExpiringWithin is how many days before its last day an entry counts as
// expiring, so its owners hear about it while there is time to act.
const ExpiringWithin = 14

// DefaultMaxDays is the longest, in days, that an entry may run from its
// merge when the configuration sets nothing for its rule.
const DefaultMaxDays = 90

// Status is where an entry stands on a given day.
type Status int

// Statuses; an Expiring entry still applies.
const (
	Active   Status = iota + 1 // applies, and expires in more than ExpiringWithin days
	Expiring                   // applies, and its last day is within ExpiringWithin days
	Expired                    // its last day has passed: it no longer applies
)

func (s Status) String() string {
	switch s {
	case Active:
		return "active"
	case Expiring:
		return "expiring"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Status says where the entry stands on now's date. Days are UTC days, so a
// laptop, CI and the App agree on the same instant whatever their time zone.
//
// With Expires on day E: Active up to E-15, Expiring from E-14 through E
// (E itself is the last day the entry applies), Expired from E+1.
func (e *Entry) Status(now time.Time) Status {
	switch left := e.DaysLeft(now); {
	case left < 0:
		return Expired
	case left <= ExpiringWithin:
		return Expiring
	}
	return Active
}

// DaysLeft is the number of days from now's date to the last day the entry
// applies: 0 on that day, negative once it has passed.
func (e *Entry) DaysLeft(now time.Time) int { return days(now, e.Expires) }

// TooLong reports whether the entry expires more than max after since, the
// day it was merged (or, when that is unknown, the day its file last
// changed, or today). Exactly max after since is allowed. A zero max means
// DefaultMaxDays.
func (e *Entry) TooLong(since time.Time, max strictyaml.Duration) bool {
	if max.Days <= 0 {
		max = strictyaml.Duration{Days: DefaultMaxDays}
	}
	return days(since, e.Expires) > max.Days
}

// days counts the UTC calendar days from a's date to b's. Unix seconds
// avoid time.Duration, which overflows beyond 292 years, and midnights UTC
// are always a whole number of days apart.
func days(a, b time.Time) int {
	return int((date(b).Unix() - date(a).Unix()) / (24 * 60 * 60))
}

func date(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
