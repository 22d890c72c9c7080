package ghapp

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// sent is a request as the fake received it, with the fake clock's time.
type sent struct {
	Method, Path string
	Installation int64
	At           time.Duration // since the clock's start
}

// recordSends answers every API request with ok and records when it
// arrived by clock.
func recordSends(f *fakeGitHub, clock interface{ Now() time.Time }) func() []sent {
	var mu sync.Mutex
	var got []sent
	t0 := clock.Now()
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		mu.Lock()
		got = append(got, sent{r.Method, strings.TrimPrefix(r.URL.Path, f.prefix), inst, clock.Now().Sub(t0)})
		mu.Unlock()
		ok(w)
	})
	return func() []sent {
		mu.Lock()
		defer mu.Unlock()
		return append([]sent(nil), got...)
	}
}

// stillTime is a clock that never moves: Sleep only records. Concurrent
// writers then show the slot each one reserved as the wait it slept.
type stillTime struct {
	now    time.Time
	mu     sync.Mutex
	sleeps []time.Duration
}

func (c *stillTime) Now() time.Time { return c.now }

func (c *stillTime) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

func (c *stillTime) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.sleeps))
}

func edit(t *testing.T, c *github.Client) {
	t.Helper()
	if _, _, err := c.Issues.Edit(context.Background(), "o", "r", 5, &github.IssueRequest{Title: github.String("x")}); err != nil {
		t.Fatal(err)
	}
}

func createIssue(t *testing.T, c *github.Client) {
	t.Helper()
	if _, _, err := c.Issues.Create(context.Background(), "o", "r", &github.IssueRequest{Title: github.String("x")}); err != nil {
		t.Fatal(err)
	}
}

func comment(t *testing.T, c *github.Client) {
	t.Helper()
	if _, _, err := c.Issues.CreateComment(context.Background(), "o", "r", 7, &github.IssueComment{Body: github.String("x")}); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *github.Client) {
	t.Helper()
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Fatal(err)
	}
}

func pacing(interval time.Duration, burst int, write time.Duration) func(*Config) {
	return func(c *Config) {
		c.ContentInterval, c.ContentBurst, c.WriteInterval = interval, burst, write
	}
}

func TestWritesAreSpaced(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	sends := recordSends(f, clock)
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	a := newTestApp(t, f, clock, &logs, func(c *Config) { c.Registerer = reg })
	c, _ := a.Client(1)

	edit(t, c)
	read(t, c)
	edit(t, c)
	if _, _, err := c.Repositories.DeleteFile(context.Background(), "o", "r", "f", &github.RepositoryContentFileOptions{Message: github.String("m"), SHA: github.String("s")}); err != nil {
		t.Fatal(err)
	}
	read(t, c)

	want := []sent{
		{"PATCH", "/repos/o/r/issues/5", 1, 0},
		{"GET", "/repos/o/r", 1, 0}, // reads are not paced
		{"PATCH", "/repos/o/r/issues/5", 1, time.Second},
		{"DELETE", "/repos/o/r/contents/f", 1, 2 * time.Second},
		{"GET", "/repos/o/r", 1, 2 * time.Second},
	}
	if d := cmp.Diff(want, sends()); d != "" {
		t.Fatalf("requests (-want +got)\n%s", d)
	}
	if d := cmp.Diff([]time.Duration{time.Second, time.Second}, clock.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}
	if got := testutil.ToFloat64(a.metrics.pacingWaits.WithLabelValues("write")); got != 2 {
		t.Errorf("write pacing waits = %v, want 2", got)
	}
	if got := testutil.ToFloat64(a.metrics.pacingSeconds.WithLabelValues("write")); got != 2 {
		t.Errorf("write pacing seconds = %v, want 2", got)
	}
	n, err := testutil.GatherAndCount(reg, "ownerbot_github_write_pacing_waits_total", "ownerbot_github_write_pacing_seconds_total")
	if err != nil || n != 2 {
		t.Errorf("registered pacing series: %d, %v; want 2", n, err)
	}
	if !strings.Contains(logs.String(), `"kind":"write"`) || !strings.Contains(logs.String(), "pacing GitHub write") {
		t.Errorf("no debug log of the wait:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "ghs_") {
		t.Errorf("a token was logged:\n%s", logs.String())
	}
}

func TestReadsAreNotPaced(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	c, _ := newTestApp(t, f, clock, nil, pacing(time.Hour, 1, time.Hour)).Client(1)
	for range 5 {
		read(t, c)
		if _, _, err := c.Issues.Get(context.Background(), "o", "r", 7); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Fatalf("reads slept %v", got)
	}
}

func TestContentBucket(t *testing.T) {
	for _, prefix := range []string{"", "/api/v3"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			f := newFakeGitHub(t, prefix)
			clock := newFakeTime()
			a := newTestApp(t, f, clock, nil, pacing(10*time.Second, 3, -1))
			c, _ := a.Client(1)
			// Three at once (the burst), then one per interval; issues
			// and comments draw from the same bucket.
			createIssue(t, c)
			comment(t, c)
			createIssue(t, c)
			comment(t, c)
			createIssue(t, c)
			// Other writes, including other POSTs, do not.
			edit(t, c)
			if _, _, err := c.Issues.CreateLabel(context.Background(), "o", "r", &github.Label{Name: github.String("l")}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Checks.CreateCheckRun(context.Background(), "o", "r", github.CreateCheckRunOptions{Name: "n", HeadSHA: "abc"}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]time.Duration{10 * time.Second, 10 * time.Second}, clock.Sleeps()); d != "" {
				t.Fatalf("sleeps (-want +got)\n%s", d)
			}
			if got := testutil.ToFloat64(a.metrics.pacingSeconds.WithLabelValues("content")); got != 20 {
				t.Errorf("content pacing seconds = %v, want 20", got)
			}
			if got := testutil.ToFloat64(a.metrics.pacingWaits.WithLabelValues("content")); got != 2 {
				t.Errorf("content pacing waits = %v, want 2", got)
			}
		})
	}
}

// The defaults: a second between writes, and the bucket of 20 then one per
// 7.2s.
func TestDefaultPacing(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
	for range DefaultContentBurst + 2 {
		comment(t, c)
	}
	want := slices.Repeat([]time.Duration{time.Second}, DefaultContentBurst-1)
	// The bucket refilled by 0.1 of a token a second while the burst was
	// spaced 1s apart: 20 tokens used over 19s leaves 19/7.2 ≈ 2.6 tokens
	// regained, so both extra comments only wait for the 1s gap.
	want = append(want, time.Second, time.Second)
	if d := cmp.Diff(want, clock.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}

	// Without the gap, at one instant: the burst, then one per interval.
	sc := &stillTime{now: clock.Now()}
	c2, _ := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
		c.Clock, c.Sleep, c.WriteInterval = sc.Now, sc.Sleep, -1
	}).Client(1)
	for range DefaultContentBurst + 2 {
		comment(t, c2)
	}
	if d := cmp.Diff([]time.Duration{DefaultContentInterval, 2 * DefaultContentInterval}, sc.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}
}

func TestInstallationsArePacedApart(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	sends := recordSends(f, clock)
	a := newTestApp(t, f, clock, nil, pacing(time.Minute, 1, time.Second))
	c1, _ := a.Client(1)
	c2, _ := a.Client(2)
	comment(t, c1)
	comment(t, c2) // neither the gap nor the bucket of installation 1
	edit(t, c2)
	comment(t, c1)
	want := []sent{
		{"POST", "/repos/o/r/issues/7/comments", 1, 0},
		{"POST", "/repos/o/r/issues/7/comments", 2, 0},
		{"PATCH", "/repos/o/r/issues/5", 2, time.Second},
		{"POST", "/repos/o/r/issues/7/comments", 1, time.Minute},
	}
	if d := cmp.Diff(want, sends()); d != "" {
		t.Fatalf("requests (-want +got)\n%s", d)
	}
}

// The App's own client (a JWT) is not an installation and is not paced.
func TestAppClientIsNotPaced(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	a := newTestApp(t, f, clock, nil, pacing(time.Hour, 1, time.Hour))
	for range 3 {
		if _, _, err := a.AppClient().Apps.CreateInstallationToken(context.Background(), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Fatalf("App client slept %v", got)
	}
}

func TestNegativeIntervalsTurnPacingOff(t *testing.T) {
	f := newFakeGitHub(t, "")
	clock := newFakeTime()
	a := newTestApp(t, f, clock, nil, pacing(-1, 0, -1))
	c, _ := a.Client(1)
	for range 2 * DefaultContentBurst {
		createIssue(t, c)
		edit(t, c)
	}
	if got := clock.Sleeps(); len(got) != 0 {
		t.Fatalf("slept %v with pacing off", got)
	}
	if newPacer(-1, -1, 5) != nil {
		t.Fatal("newPacer with both off is not nil")
	}

	// Only the gap off: the bucket still applies.
	a = newTestApp(t, f, clock, nil, pacing(time.Minute, 1, -1))
	c, _ = a.Client(1)
	edit(t, c)
	edit(t, c)
	createIssue(t, c)
	createIssue(t, c)
	if d := cmp.Diff([]time.Duration{time.Minute}, clock.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}
}

// A writer waiting for a content token does not hold back other writes:
// they take the free seconds before it.
func TestWritesFillGapsBeforeAWaitingContentCreate(t *testing.T) {
	f := newFakeGitHub(t, "")
	sc := &stillTime{now: time.Now().Truncate(time.Second)}
	c, _ := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
		c.Clock, c.Sleep = sc.Now, sc.Sleep
		c.ContentInterval, c.ContentBurst = 10*time.Second, 1
	}).Client(1)
	createIssue(t, c) // t0
	createIssue(t, c) // reserves t0+10s
	edit(t, c)        // t0+1s
	edit(t, c)        // t0+2s
	createIssue(t, c) // t0+20s
	want := []time.Duration{time.Second, 2 * time.Second, 10 * time.Second, 20 * time.Second}
	if d := cmp.Diff(want, sc.Sleeps()); d != "" {
		t.Fatalf("sleeps (-want +got)\n%s", d)
	}
}

func TestConcurrentWritersGetDistinctSlots(t *testing.T) {
	const writers = 16
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		do   func(c *github.Client) error
		step time.Duration
	}{
		{"writes", nil, func(c *github.Client) error {
			_, _, err := c.Issues.Edit(context.Background(), "o", "r", 5, &github.IssueRequest{Title: github.String("x")})
			return err
		}, time.Second},
		{"content", pacing(10*time.Second, 1, -1), func(c *github.Client) error {
			_, _, err := c.Issues.CreateComment(context.Background(), "o", "r", 7, &github.IssueComment{Body: github.String("x")})
			return err
		}, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, "")
			sc := &stillTime{now: time.Now().Truncate(time.Second)}
			c, _ := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
				c.Clock, c.Sleep = sc.Now, sc.Sleep
				if tt.mod != nil {
					tt.mod(c)
				}
			}).Client(1)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					if err := tt.do(c); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			// The clock never moves, so each writer sleeps exactly until
			// its slot: one writes at once, the others at 1…15 steps.
			var want []time.Duration
			for i := 1; i < writers; i++ {
				want = append(want, time.Duration(i)*tt.step)
			}
			if d := cmp.Diff(want, sc.Sleeps()); d != "" {
				t.Fatalf("sleeps (-want +got)\n%s", d)
			}
		})
	}
}

func TestPacingHonoursContext(t *testing.T) {
	t.Run("the real sleep", func(t *testing.T) {
		f := newFakeGitHub(t, "")
		a, err := New(Config{AppID: testAppID, PrivateKey: pemPKCS1(), APIURL: f.apiURL(), WriteInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := a.Client(1)
		edit(t, c)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err = c.Issues.Edit(ctx, "o", "r", 5, &github.IssueRequest{Title: github.String("x")})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("cancelled write returned after %s", took)
		}
		if got := len(f.seen()); got != 1 {
			t.Fatalf("%d requests sent, want 1", got)
		}
	})

	t.Run("a cancelled write gives its slot back", func(t *testing.T) {
		f := newFakeGitHub(t, "")
		sc := &stillTime{now: time.Now().Truncate(time.Second)}
		ctx, cancel := context.WithCancel(context.Background())
		c, _ := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
			c.Clock = sc.Now
			c.ContentBurst = 1
			c.Sleep = func(sctx context.Context, d time.Duration) error {
				if sctx.Value(ctxKey{}) != nil {
					cancel()
					<-sctx.Done()
					return sctx.Err()
				}
				return sc.Sleep(sctx, d)
			}
		}).Client(1)
		comment(t, c)
		_, _, err := c.Issues.CreateComment(context.WithValue(ctx, ctxKey{}, 1), "o", "r", 7, &github.IssueComment{Body: github.String("x")})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// The next comment waits for the slot the cancelled one gave back,
		// not for the one after.
		comment(t, c)
		if d := cmp.Diff([]time.Duration{DefaultContentInterval}, sc.Sleeps()); d != "" {
			t.Fatalf("sleeps (-want +got)\n%s", d)
		}
	})

	t.Run("an already cancelled context", func(t *testing.T) {
		f := newFakeGitHub(t, "")
		clock := newFakeTime()
		c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := c.Issues.Edit(ctx, "o", "r", 5, &github.IssueRequest{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if len(f.seen()) != 0 {
			t.Fatal("a request was sent")
		}
	})
}

type ctxKey struct{}

// A write waits for both its slot and a secondary-limit pause, and is never
// sent during the pause, even when the pause begins while it waits for its
// slot.
func TestPacingComposesWithRateLimits(t *testing.T) {
	t.Run("pause before the write", func(t *testing.T) {
		f := newFakeGitHub(t, "")
		clock := newFakeTime()
		// A 429: go-github does not keep its own (real-clock) pause for
		// it, as it does for a 403 that says "secondary rate limit".
		calls := scripted(f, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		}, ok)
		c, _ := newTestApp(t, f, clock, nil, nil).Client(1)
		edit(t, c) // refused with the 429, sent again once the pause is over; the slot (1s) is long past
		edit(t, c) // then the gap again
		if d := cmp.Diff([]time.Duration{30 * time.Second, time.Second}, clock.Sleeps()); d != "" || calls.Load() != 3 {
			t.Fatalf("%d calls, sleeps (-want +got)\n%s", calls.Load(), d)
		}
	})

	t.Run("pause while waiting for the slot", func(t *testing.T) {
		f := newFakeGitHub(t, "")
		clock := newFakeTime()
		t0 := clock.Now()
		var mu sync.Mutex
		var writeAt time.Duration
		f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
			if r.Method == http.MethodGet {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			mu.Lock()
			writeAt = clock.Now().Sub(t0)
			mu.Unlock()
			ok(w)
		})
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		a := newTestApp(t, f, clock, nil, func(c *Config) {
			c.MaxRetries = -1 // the GET records the pause and returns at once
			c.Sleep = func(ctx context.Context, d time.Duration) error {
				once.Do(func() { close(entered); <-release })
				return clock.Sleep(ctx, d)
			}
		})
		c, _ := a.Client(1)
		edit(t, c)
		done := make(chan struct{})
		go func() { defer close(done); edit(t, c) }() // its slot is t0+1s
		<-entered
		if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err == nil {
			t.Error("want the 429")
		}
		close(release)
		<-done
		mu.Lock()
		defer mu.Unlock()
		if writeAt < 30*time.Second {
			t.Fatalf("the write was sent at +%s, during the pause that ends at +30s", writeAt)
		}
		if d := cmp.Diff([]time.Duration{time.Second, 29 * time.Second}, clock.Sleeps()); d != "" {
			t.Fatalf("sleeps (-want +got)\n%s", d)
		}
	})
}

func TestContentCreating(t *testing.T) {
	tests := []struct {
		method, rel string
		want        bool
	}{
		{"POST", "repos/o/r/issues", true},
		{"POST", "repos/o/r/issues/12/comments", true},
		{"POST", "repos/o/r/issues/", true},
		{"PATCH", "repos/o/r/issues/12", false},
		{"GET", "repos/o/r/issues", false},
		{"PATCH", "repos/o/r/issues/comments/5", false},
		{"POST", "repos/o/r/issues/12/labels", false},
		{"POST", "repos/o/r/issues/x/comments", false},
		{"POST", "repos/o/r/check-runs", false},
		{"POST", "repos/o/r/pulls/3/reviews", false},
		{"POST", "repos//r/issues", false},
		{"POST", "graphql", false},
	}
	for _, tt := range tests {
		if got := contentCreating(tt.method, tt.rel); got != tt.want {
			t.Errorf("contentCreating(%s %s) = %v, want %v", tt.method, tt.rel, got, tt.want)
		}
	}
}

func TestPacerFit(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	p := newPacer(time.Second, 0, 0)
	for _, s := range []float64{0, 3, 4.5} {
		p.slots = append(p.slots, at(s))
	}
	tests := []struct{ from, want float64 }{
		{0, 1},     // after 0; 1 to 2 is free
		{1.5, 1.5}, // fits between 0 and 3
		{2.5, 5.5}, // too close to 3, 3+1 too close to 4.5
		{6, 6},
	}
	for _, tt := range tests {
		if got := p.fit(at(tt.from)); !got.Equal(at(tt.want)) {
			t.Errorf("fit(+%vs) = +%s, want +%vs", tt.from, got.Sub(t0), tt.want)
		}
	}
	p.prune(at(3.9))
	if d := cmp.Diff([]time.Time{at(3), at(4.5)}, p.slots); d != "" {
		t.Errorf("prune (-want +got)\n%s", d)
	}
}

type closeRecorder struct {
	*strings.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// A write that never leaves still has its body closed, as RoundTrip must.
func TestCancelledWriteClosesItsBody(t *testing.T) {
	f := newFakeGitHub(t, "")
	a := newTestApp(t, f, newFakeTime(), nil, func(c *Config) {
		c.Sleep = func(context.Context, time.Duration) error { return context.Canceled }
	})
	c, _ := a.Client(1)
	edit(t, c)
	body := &closeRecorder{Reader: strings.NewReader(`{"title":"x"}`)}
	req, err := http.NewRequest(http.MethodPatch, f.apiURL()+"repos/o/r/issues/5", body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !body.closed {
		t.Fatal("the body of the write that was not sent is still open")
	}
}
