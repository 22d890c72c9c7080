package runbook

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/strictyaml"
)

func TestStatus(t *testing.T) {
	// Reviewed on 2026-01-01 every 90 days: due on 2026-04-01.
	own := "---\nlast_reviewed: \"2026-01-01\"\nreview_interval: 90d\n---\n"
	inherited := "---\nlast_reviewed: \"2026-01-01\"\n---\n"
	due := date("2026-04-01")
	d90, d180 := strictyaml.Duration{Days: 90}, strictyaml.Duration{Days: 180}
	at := func(s string, hour int) time.Time { return date(s).Add(time.Duration(hour) * time.Hour) }
	tests := []struct {
		name string
		data string
		now  time.Time
		def  strictyaml.Duration
		want Status
	}{
		{"reviewed today", own, at("2026-01-01", 9), d180, Status{Current, due, 90, d90, ""}},
		{"15 days before the due day", own, at("2026-03-17", 23), d180, Status{Current, due, 15, d90, ""}},
		{"14 days before the due day", own, at("2026-03-18", 0), d180, Status{DueSoon, due, 14, d90, ""}},
		{"due today, first second", own, at("2026-04-01", 0), d180, Status{DueSoon, due, 0, d90, ""}},
		{"due today, last second", own, date("2026-04-02").Add(-time.Second), d180, Status{DueSoon, due, 0, d90, ""}},
		{"the day after the due day", own, at("2026-04-02", 0), d180, Status{Overdue, due, -1, d90, ""}},
		{"a year late", own, at("2027-04-01", 12), d180, Status{Overdue, due, -365, d90, ""}},
		{"the default applies when the runbook sets none", inherited, at("2026-06-15", 0), d180,
			Status{Current, date("2026-06-30"), 15, d180, ""}},
		{"a tier-1 default", inherited, at("2026-04-02", 0), d90, Status{Overdue, due, -1, d90, ""}},
		{"now in another zone is read in UTC", own,
			time.Date(2026, 4, 1, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), d180, Status{Overdue, due, -1, d90, ""}},
		{"reviewed tomorrow: a reviewer east of UTC", own, at("2025-12-31", 0), d180, Status{Current, due, 91, d90, ""}},
		{"reviewed in two days: not a review yet", own, at("2025-12-30", 0), d180, Status{State: Invalid,
			Reason: "last_reviewed 2026-01-01 is in the future (today is 2025-12-30): write the date the review happened"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, problems := Parse("r.md", []byte(tt.data))
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if diff := cmp.Diff(tt.want, r.Status(tt.now, tt.def)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusFarDates(t *testing.T) {
	r, problems := Parse("r.md", []byte("---\nlast_reviewed: \"1700-01-01\"\n---\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := r.Status(date("2026-01-01"), strictyaml.Duration{Days: 365})
	want := Status{State: Overdue, Due: date("1701-01-01"), DaysLeft: -118704, Interval: strictyaml.Duration{Days: 365}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
