package exception

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

func instant(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStatus(t *testing.T) {
	e := &Entry{Expires: day("2027-01-31")}
	type result struct {
		Status   Status
		DaysLeft int
	}
	tests := []struct {
		now  string
		want result
	}{
		{"2026-11-01T12:00:00Z", result{Active, 91}},
		{"2027-01-16T23:59:59Z", result{Active, 15}},   // the last day before the window
		{"2027-01-17T00:00:00Z", result{Expiring, 14}}, // 14 days left: the window opens
		{"2027-01-30T08:00:00Z", result{Expiring, 1}},
		{"2027-01-31T00:00:00Z", result{Expiring, 0}}, // the last day still applies
		{"2027-01-31T23:59:59Z", result{Expiring, 0}},
		{"2027-02-01T00:00:00Z", result{Expired, -1}},
		{"2028-01-31T00:00:00Z", result{Expired, -365}},
		// Days are UTC days, whatever the zone now is given in.
		{"2027-02-01T01:00:00+02:00", result{Expiring, 0}},  // still Jan 31 in UTC
		{"2027-01-31T20:00:00-05:00", result{Expired, -1}},  // already Feb 1 in UTC
		{"2027-01-16T20:00:00-05:00", result{Expiring, 14}}, // already Jan 17 in UTC
	}
	for _, tt := range tests {
		now := instant(t, tt.now)
		got := result{e.Status(now), e.DaysLeft(now)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("at %s (-want +got):\n%s", tt.now, diff)
		}
	}
}

func TestStatusAcrossCenturies(t *testing.T) {
	// time.Duration overflows after 292 years; days must not.
	e := &Entry{Expires: day("9999-12-31")}
	if got := e.DaysLeft(day("0001-01-01")); got != 3652058 {
		t.Errorf("DaysLeft = %d, want 3652058", got)
	}
	if got := e.Status(day("0001-01-01")); got != Active {
		t.Errorf("Status = %v, want active", got)
	}
}

func TestStatusString(t *testing.T) {
	got := []string{Active.String(), Expiring.String(), Expired.String(), Status(0).String()}
	if diff := cmp.Diff([]string{"active", "expiring", "expired", "status(0)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTooLong(t *testing.T) {
	e := &Entry{Expires: day("2027-04-01")} // 90 days after 2027-01-01
	tests := []struct {
		since string
		max   strictyaml.Duration
		want  bool
	}{
		{"2027-01-01T00:00:00Z", strictyaml.Duration{Days: 90}, false}, // exactly the maximum
		{"2027-01-01T23:59:59Z", strictyaml.Duration{Days: 90}, false}, // the time of day does not count
		{"2026-12-31T00:00:00Z", strictyaml.Duration{Days: 90}, true},  // one day more
		{"2027-01-01T00:00:00Z", strictyaml.Duration{Days: 89}, true},
		{"2027-01-01T00:00:00Z", strictyaml.Duration{}, false},         // zero: the default, 90 days
		{"2026-12-31T00:00:00Z", strictyaml.Duration{}, true},          // one day beyond the default
		{"2027-03-18T00:00:00Z", strictyaml.Duration{Days: 14}, false}, // 2w after the merge
		{"2027-03-17T00:00:00Z", strictyaml.Duration{Days: 14}, true},
		{"2027-05-01T00:00:00Z", strictyaml.Duration{Days: 1}, false}, // merged after it expired: expired, not too long
		// since is a UTC day too.
		{"2026-12-31T22:00:00-05:00", strictyaml.Duration{Days: 90}, false}, // Jan 1 in UTC
	}
	for _, tt := range tests {
		if got := e.TooLong(instant(t, tt.since), tt.max); got != tt.want {
			t.Errorf("TooLong(%s, %s) = %v, want %v", tt.since, tt.max, got, tt.want)
		}
	}
}
