package cli

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

// The scheduler waits for each time the expression names, in its zone, and
// sweeps then; a sweep that overruns the next time is not doubled up.
func TestSchedule(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	clock := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC) // 05:00 in Berlin
	var waits []time.Duration
	var sweeps []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := func() time.Time { return clock }
	after := func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		clock = clock.Add(d)
		ch := make(chan time.Time, 1)
		ch <- clock
		return ch
	}
	run := func(context.Context) {
		sweeps = append(sweeps, clock.In(berlin).Format("Mon 15:04"))
		if len(sweeps) == 1 {
			clock = clock.Add(25 * time.Hour) // this sweep overran Friday's
		}
		if len(sweeps) == 3 {
			cancel()
		}
	}
	if err := schedule(ctx, "30 6 * * 1-5", berlin, now, after, zerolog.Nop(), run); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Thu 06:30", "Mon 06:30", "Tue 06:30"}, sweeps); diff != "" {
		t.Errorf("sweeps (-want +got):\n%s", diff)
	}
	if waits[0] != 90*time.Minute {
		t.Errorf("first wait %s, want 1h30m", waits[0])
	}
	if err := schedule(context.Background(), "0 0 30 2 *", time.UTC, now, after, zerolog.Nop(), run); err == nil {
		t.Error("a schedule that never fires is accepted")
	}
}
