package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/settings"
	"github.com/ownerbot/ownerbot/internal/sweep"
	"github.com/ownerbot/ownerbot/internal/webhook"
)

// runServe runs the GitHub App until ctx ends (SIGTERM or SIGINT), then
// stops taking deliveries and drains the work in flight.
func runServe(ctx context.Context, stdio IO, build Build, args []string) error {
	fs := newFlags("serve", "serve   (configured from OWNERBOT_* environment variables; see the README)", stdio.Stdout)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest[0])
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	settings, err := settings.ServerFromEnv(getenv, os.ReadFile)
	if err != nil {
		return oneLine(err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rt, err := newRuntime(settings, stdio, build, registry)
	if err != nil {
		return err
	}
	log, checker := rt.log, rt.checker
	// A restart keeps the conditional-request caches, as `sweep` does.
	etags := filepath.Join(settings.CacheDir, "etags-serve.gob")
	rt.loadETags(etags)
	sweeper := rt.sweeper(settings, sweep.Shard{}, false, IO{Stdout: io.Discard})
	hooks, err := webhook.New(webhook.Config{
		Secrets: settings.WebhookSecrets, Workers: settings.Workers, QueueSize: settings.QueueSize,
		Logger: log, Registerer: registry,
	}, webhook.HandlerFunc(func(ctx context.Context, ev webhook.Event) error { return handleEvent(ctx, checker, sweeper, ev) }))
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/webhook", hooks)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	ready := &readiness{reason: "GitHub has not yet accepted the App's credentials"}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !hooks.Ready() {
			http.Error(w, "not ready: shutting down", http.StatusServiceUnavailable)
			return
		}
		if reason := ready.notReady(); reason != "" {
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a 25 MiB body on a slow link
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", settings.ListenAddr)
	if err != nil {
		return err
	}
	// Jobs outlive the request that queued them, and run until Shutdown
	// cancels them, not until the signal arrives.
	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	hooks.Start(jobs)
	go ready.prove(ctx, rt.app, log, time.After)
	if settings.SweepSchedule != "" {
		go func() {
			err := schedule(jobs, settings.SweepSchedule, settings.SweepTimeZone, time.Now, time.After, log, func(ctx context.Context) {
				sum, err := sweeper.Run(ctx, "")
				ev := log.Info()
				if err != nil {
					ev = log.Warn().Err(err)
				}
				ev.Str("summary", sum.String()).Msg("scheduled sweep done")
			})
			if err != nil {
				log.Error().Err(err).Msg("the sweep scheduler stopped")
			}
		}()
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("api", settings.APIURL).Int64("app_id", settings.AppID).
		Int("workers", settings.Workers).Str("version", build.Version).Msg("listening")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Dur("timeout", settings.ShutdownTimeout).Msg("shutting down: draining work in flight")
	drain, cancel := context.WithTimeout(context.Background(), settings.ShutdownTimeout)
	defer cancel()
	// Deliveries arriving from now on get 503 and GitHub's retry; then the
	// listener closes, and queued work finishes or is cancelled at the
	// deadline.
	hookErr := hooks.Shutdown(drain)
	if err := server.Shutdown(drain); err != nil {
		log.Warn().Err(err).Msg("HTTP server did not close in time")
	}
	if hookErr != nil {
		log.Warn().Err(hookErr).Msg("work was cancelled at the shutdown deadline")
	}
	rt.saveETags(etags)
	log.Info().Msg("stopped")
	return nil
}

// oneLine joins the lines of a joined error, so a refusal to start is one
// line in the log.
func oneLine(err error) error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return err
	}
	msgs := make([]string, 0, len(joined.Unwrap()))
	for _, e := range joined.Unwrap() {
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

// handleEvent turns one delivery into the work it asks for. A pull request
// event of any kind means: look at the pull request again, as it is now.
func handleEvent(ctx context.Context, checker *prcheck.Checker, sweeper *sweep.Sweeper, ev webhook.Event) error {
	log := zerolog.Ctx(ctx)
	switch ev.Name {
	case "push":
		// A push to the default branch may have done the work an issue
		// lists, or made some due: look at the repository again now
		// rather than at the next scheduled sweep.
		push, ok := ev.Parsed.(*github.PushEvent)
		if ev.InstallationID == 0 || !ok || push.GetRef() != "refs/heads/"+push.GetRepo().GetDefaultBranch() || push.GetDeleted() {
			log.Debug().Msg("not a push to a default branch: nothing to do")
			return nil
		}
		_, err := sweeper.Pushed(ctx, ev.InstallationID, ev.Owner, ev.Repo)
		return err
	case "pull_request", "pull_request_review", "check_run", "check_suite":
		if ev.InstallationID == 0 {
			log.Debug().Msg("not from an installation: nothing to do")
			return nil
		}
		numbers := []int{ev.PR}
		if ev.PR == 0 {
			// Only a re-run asks for it: check_suite "requested" comes with
			// every push, most of which head no pull request.
			if ev.HeadSHA == "" || ev.Action != "rerequested" || (ev.Name != "check_run" && ev.Name != "check_suite") {
				log.Debug().Msg("not about a pull request: nothing to do")
				return nil
			}
			// A re-run of a fork's pull request names only its commit.
			var err error
			if numbers, err = checker.PullsWithHead(ctx, ev.InstallationID, ev.Owner, ev.Repo, ev.HeadSHA); err != nil {
				return err
			}
			if len(numbers) == 0 {
				log.Info().Msg("no open pull request has this commit as its head: nothing to check")
				return nil
			}
		}
		var errs []error
		for _, n := range numbers {
			out, err := checker.Check(ctx, prcheck.Target{InstallationID: ev.InstallationID, Owner: ev.Owner, Repo: ev.Repo, Number: n})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if out.Skipped != "" {
				log.Info().Int("pr", n).Str("reason", out.Skipped).Msg("pull request skipped")
			}
		}
		return errors.Join(errs...)
	default:
		// Installations are the scheduled sweep's: it looks at every
		// repository anyway.
		log.Debug().Msg("no pull request work for this event")
		return nil
	}
}

// readiness is whether the App has shown that it can authenticate with
// GitHub: its JWT accepted by GET /app and, when it has installations, an
// installation token minted. Until then /readyz answers 503 with the
// reason, so that a replica with a wrong key or App id never takes
// traffic.
//
// Once proven it stays proven, through GitHub outages too: webhook ingress
// needs no GitHub (a delivery is authenticated by its signature and queued),
// and jobs that fail meanwhile are picked up again by the sweep. Taking
// every replica out of rotation because GitHub is down would only turn
// deliveries GitHub could make into failed ones.
type readiness struct {
	mu     sync.Mutex
	reason string // why not ready; "" once ready
}

func (r *readiness) notReady() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

func (r *readiness) set(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reason = reason
}

// Backoff between attempts to authenticate at start.
const (
	firstReadyRetry = 500 * time.Millisecond
	maxReadyRetry   = 30 * time.Second
)

// prove tries to authenticate until it succeeds or ctx ends, waiting
// longer after each failure (after is time.After outside tests), and logs
// why the replica is not ready after each failure.
func (r *readiness) prove(ctx context.Context, app *ghapp.App, log zerolog.Logger, after func(time.Duration) <-chan time.Time) {
	wait := firstReadyRetry
	for {
		err := authenticate(ctx, app)
		if err == nil {
			r.set("")
			log.Info().Msg("ready: GitHub accepted the App's credentials")
			return
		}
		if ctx.Err() != nil {
			return
		}
		reason := strings.Join(strings.Fields(err.Error()), " ")
		r.set(reason)
		log.Warn().Str("reason", reason).Dur("retry_in", wait).Msg("not ready: cannot authenticate as the GitHub App")
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
		wait = min(2*wait, maxReadyRetry)
	}
}

// authenticate proves the App's credentials with the fewest calls: GET
// /app with the JWT, then a token for one installation that is not
// suspended (GitHub refuses those tokens), which the first job for it then
// uses.
func authenticate(ctx context.Context, app *ghapp.App) error {
	client := app.AppClient()
	if _, _, err := client.Apps.Get(ctx, ""); err != nil {
		var refused *github.ErrorResponse
		if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("GitHub refused the App's JWT: check OWNERBOT_APP_ID and the private key: %w", err)
		}
		return fmt.Errorf("authenticate as the App: %w", err)
	}
	installations, _, err := client.Apps.ListInstallations(ctx, &github.ListOptions{PerPage: 100})
	if err != nil {
		return fmt.Errorf("list the App's installations: %w", err)
	}
	for _, inst := range installations {
		if inst.SuspendedAt != nil {
			continue
		}
		if _, err := app.Token(ctx, inst.GetID()); err != nil {
			return fmt.Errorf("mint an installation token: %w", err)
		}
		return nil
	}
	return nil
}
