package ghapp_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// leaseFixture is a fake GitHub with one pull request, and a way to make
// Apps as separate processes would have them: nothing shared but GitHub.
func leaseFixture(t *testing.T) (*ghtest.GitHub, func() *ghapp.App) {
	t.Helper()
	gh := ghtest.NewGitHub(t)
	gh.AddInstallation(1, "acme")
	gh.AddRepo(1, "acme", "widgets", ghtest.RepoOptions{})
	gh.AddPull("acme", "widgets", ghtest.Pull{Number: 7, Title: "A change", User: "alice"})
	return gh, func() *ghapp.App {
		app, err := ghapp.New(ghapp.Config{AppID: gh.App.ID, PrivateKey: gh.App.PrivateKeyPEM(), APIURL: gh.URL(),
			Transport: gh.Client().Transport, Logger: zerolog.Nop(), WriteInterval: -1, ContentInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
}

// acquireFunc takes one of the two kinds of lease.
type acquireFunc func(context.Context, *github.Client, ghapp.LeasePolicy) (*ghapp.Lease, error)

var leaseKinds = map[string]acquireFunc{
	"pull request": func(ctx context.Context, c *github.Client, p ghapp.LeasePolicy) (*ghapp.Lease, error) {
		return ghapp.AcquireLease(ctx, c, "acme", "widgets", 7, p)
	},
	"repository": func(ctx context.Context, c *github.Client, p ghapp.LeasePolicy) (*ghapp.Lease, error) {
		return ghapp.AcquireRepoLease(ctx, c, "acme", "widgets", p)
	},
}

// Three processes that want the same pull request, or the same
// repository, at once hold it one after another, never two at a time, and
// each gets its turn.
func TestLeaseIsHeldByOneProcessAtATime(t *testing.T) {
	for kind, acquire := range leaseKinds {
		t.Run(kind, func(t *testing.T) { testOneAtATime(t, acquire) })
	}
}

func testOneAtATime(t *testing.T, acquire acquireFunc) {
	gh, newApp := leaseFixture(t)
	var inside, most, turns atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		app := newApp()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := app.Client(1)
			if err != nil {
				t.Error(err)
				return
			}
			for range 3 {
				l, err := acquire(context.Background(), c, ghapp.LeasePolicy{})
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(5 * time.Millisecond) // the writes a holder makes
				inside.Add(-1)
				turns.Add(1)
				if err := l.Release(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 || turns.Load() != 9 {
		t.Errorf("at most %d holders at once over %d turns, want 1 over 9", most.Load(), turns.Load())
	}
	if r, l := gh.Reactions("acme", "widgets", 7), gh.RepoLabels("acme", "widgets"); len(r)+len(l) != 0 {
		t.Errorf("leases left behind: reactions %+v, labels %q", r, l)
	}
}

// A process that died holding the lease leaves its reaction or label; the
// next one breaks it once it has seen it, unchanged, for the stale limit.
func TestLeaseOfADeadHolderIsBroken(t *testing.T) {
	for kind, acquire := range leaseKinds {
		t.Run(kind, func(t *testing.T) { testDeadHolder(t, acquire) })
	}
}

func testDeadHolder(t *testing.T, acquire acquireFunc) {
	_, newApp := leaseFixture(t)
	dead, _ := newApp().Client(1)
	if _, err := acquire(context.Background(), dead, ghapp.LeasePolicy{}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var waited time.Duration
	policy := ghapp.LeasePolicy{Stale: time.Minute, Now: func() time.Time { return now.Add(waited) },
		Sleep: func(_ context.Context, d time.Duration) error { waited += d; return nil }}
	live, _ := newApp().Client(1)
	l, err := acquire(context.Background(), live, policy)
	if err != nil {
		t.Fatal(err)
	}
	if waited < time.Minute || waited > time.Minute+3*time.Second {
		t.Errorf("waited %v for a dead holder, want the stale limit (1m) and a poll at most", waited)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Releasing twice (the lease was broken meanwhile) is no error.
	if err := l.Release(context.Background()); err != nil {
		t.Errorf("releasing a lease that is gone: %v", err)
	}
}

func TestLeaseOnAMissingPullRequest(t *testing.T) {
	_, newApp := leaseFixture(t)
	c, _ := newApp().Client(1)
	if _, err := ghapp.AcquireLease(context.Background(), c, "acme", "widgets", 99, ghapp.LeasePolicy{}); !errors.Is(err, ghapp.ErrLeaseGone) {
		t.Errorf("err = %v, want ErrLeaseGone", err)
	}
	if _, err := ghapp.AcquireRepoLease(context.Background(), c, "acme", "gone", ghapp.LeasePolicy{}); !errors.Is(err, ghapp.ErrLeaseGone) {
		t.Errorf("repository: err = %v, want ErrLeaseGone", err)
	}
}

// A lease left behind (its holder died, or its release was lost) is broken
// even when every wait for it is cut short, as a webhook job's timeout
// cuts it: the process remembers when it first saw the lease, so the
// job's retry keeps counting instead of starting over.
func TestLeaseLeftBehindIsBrokenAcrossShortWaits(t *testing.T) {
	for kind, acquire := range leaseKinds {
		t.Run(kind, func(t *testing.T) {
			_, newApp := leaseFixture(t)
			dead, _ := newApp().Client(1)
			if _, err := acquire(context.Background(), dead, ghapp.LeasePolicy{}); err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			now := start
			memory := ghapp.NewLeaseMemory()
			live, _ := newApp().Client(1)
			// Each wait may last 50 s at most: shorter than the stale limit.
			for attempt := 1; ; attempt++ {
				waited := time.Duration(0)
				policy := ghapp.LeasePolicy{Stale: 2 * time.Minute, Memory: memory, Now: func() time.Time { return now },
					Sleep: func(_ context.Context, d time.Duration) error {
						if waited+d > 50*time.Second {
							return context.DeadlineExceeded
						}
						waited += d
						now = now.Add(d)
						return nil
					}}
				l, err := acquire(context.Background(), live, policy)
				if err == nil {
					if held := now.Sub(start); held < 2*time.Minute {
						t.Errorf("the lease was broken after %v, before it had been seen for the stale limit", held)
					}
					if err := l.Release(context.Background()); err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, context.DeadlineExceeded) || attempt == 5 {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				now = now.Add(30 * time.Second) // the job's retry comes later
			}
		})
	}
}

// A lease is given back even when the work it guarded was cancelled:
// otherwise every other process would wait for it to go stale.
func TestLeaseReleasedAfterCancel(t *testing.T) {
	for kind, acquire := range leaseKinds {
		t.Run(kind, func(t *testing.T) {
			gh, newApp := leaseFixture(t)
			c, _ := newApp().Client(1)
			ctx, cancel := context.WithCancel(context.Background())
			l, err := acquire(ctx, c, ghapp.LeasePolicy{})
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := l.Release(ctx); err != nil {
				t.Fatalf("release after cancel: %v", err)
			}
			if r, labels := gh.Reactions("acme", "widgets", 7), gh.RepoLabels("acme", "widgets"); len(r)+len(labels) != 0 {
				t.Errorf("the lease is still there: reactions %+v, labels %q", r, labels)
			}
		})
	}
}
