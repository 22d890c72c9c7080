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
		QueueBytes: settings.QueueMaxBytes, BodyReads: settings.WebhookReads,
		Retries: jobRetries(settings.JobRetries), RetryDelay: settings.JobRetryDelay,
		Retryable: func(err error) (bool, time.Duration) { return retryableJobError(err, time.Now()) },
		Logger:    log, Registerer: registry,
	}, webhook.HandlerFunc(func(ctx context.Context, ev webhook.Event) error { return handleEvent(ctx, checker, sweeper, ev) }))
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/webhook", hooks)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	ready := &readiness{reason: "GitHub has not yet accepted the App's credentials"}
	cache := &cacheProbe{dir: settings.CacheDir, every: cacheProbeEvery, now: time.Now, log: log}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !hooks.Ready() {
			http.Error(w, "not ready: shutting down", http.StatusServiceUnavailable)
			return
		}
		if reason := ready.notReady(); reason != "" {
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return
		}
		if reason := cache.notReady(); reason != "" {
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
		// GitHub's headers are a few KB; Go's default lets every
		// connection send a megabyte before anything is authenticated.
		MaxHeaderBytes: maxHeaderBytes,
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

// jobRetries is webhook.Config.Retries for OWNERBOT_JOB_RETRIES, where 0
// means none rather than the default.
func jobRetries(n int) int {
	if n == 0 {
		return webhook.NoRetries
	}
	return n
}

// retryableJobError says whether a job that failed with err is worth trying
// again later, and the least wait before that (webhook.Config.Retryable).
//
// Every job re-reads the pull request or repository as it is now, so a
// retry is always safe; it is refused only where waiting cannot change the
// answer: GitHub said the request is invalid (400, 422), not allowed (401,
// and 403 other than a rate limit: the installation lacks a permission or
// access), or about something that is not there (404, 410); or git
// refused the installation's token. Everything else is taken to be
// transient: 5xx and network errors that outlasted the client's own
// retries, a rate limit longer than it may wait (retried no sooner than
// its reset), a job that ran out of time, a lease wait that failed. An
// error this does not know is retried too: a few wasted attempts cost less
// than a pull request left unchecked until the next sweep. A joined error
// (a re-run of several pull requests) is retried when any part is.
func retryableJobError(err error, now time.Time) (retry bool, atLeast time.Duration) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if r, wait := retryableJobError(e, now); r {
				retry, atLeast = true, max(atLeast, wait)
			}
		}
		return retry, atLeast
	}
	var waitTooLong *ghapp.RateLimitError
	var primary *github.RateLimitError
	var secondary *github.AbuseRateLimitError
	var refused *github.ErrorResponse
	switch {
	case errors.As(err, &waitTooLong):
		return true, waitTooLong.Wait
	case errors.As(err, &primary):
		return true, max(primary.Rate.Reset.Sub(now), 0)
	case errors.As(err, &secondary):
		if d := secondary.RetryAfter; d != nil {
			return true, max(*d, 0)
		}
		return true, 0
	case errors.Is(err, ghapp.ErrGitAuth), errors.Is(err, prcheck.ErrEvaluation):
		// Git refusing the token, or the commits failing to evaluate: the
		// same again gives the same answer.
		return false, 0
	case errors.As(err, &refused) && refused.Response != nil:
		switch refused.Response.StatusCode {
		case http.StatusForbidden:
			return strings.Contains(strings.ToLower(refused.Message), "rate limit"), 0
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity:
			return false, 0
		}
	}
	return true, 0
}

// readiness is whether the App has shown that it can authenticate with
// GitHub: its JWT accepted by GET /app and, when it has installations, an
// installation token minted. Until then /readyz answers 503 with the
// reason, so that a replica with a wrong key or App id never takes
// traffic.
//
// Once proven it stays proven, through GitHub outages too: webhook ingress
// needs no GitHub (a delivery is authenticated by its signature and queued),
// and jobs that fail meanwhile are retried with backoff, then picked up
// again by the sweep. Taking
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

// maxHeaderBytes bounds a request's headers, before authentication.
const maxHeaderBytes = 64 << 10

// cacheProbeEvery is how long a verdict on the cache directory is kept:
// /readyz is unauthenticated, and each look creates and removes a file.
const cacheProbeEvery = 5 * time.Second

// cacheProbe is whether the cache directory can be written. A replica that
// cannot write its clones fails every job it takes (an existing read-only
// directory once reported ready while every fetch failed), so it is not
// ready until it can; it looks again at most every cacheProbeEvery.
type cacheProbe struct {
	dir   string
	every time.Duration
	now   func() time.Time
	// log hears when the verdict changes, so `kubectl logs` says why a pod
	// is not ready, as it does for credentials.
	log zerolog.Logger

	mu     sync.Mutex
	at     time.Time // of the last look; zero before the first
	reason string    // why not ready at the last look; "" when writable
}

func (p *cacheProbe) notReady() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); p.at.IsZero() || now.Sub(p.at) >= p.every {
		first, before := p.at.IsZero(), p.reason
		p.at = now
		p.reason = ""
		if err := writeProbe(p.dir); err != nil {
			p.reason = fmt.Sprintf("cannot write in the cache directory %s (%v): mount a writable volume there or set OWNERBOT_CACHE_DIR", p.dir, unwrapPath(err))
		}
		switch {
		case p.reason != "" && p.reason != before:
			p.log.Error().Str("reason", p.reason).Msg("not ready")
		case p.reason == "" && before != "" && !first:
			p.log.Info().Str("cache_dir", p.dir).Msg("the cache directory can be written again")
		}
	}
	return p.reason
}

// writeProbe creates, writes and removes a file in dir.
func writeProbe(dir string) error {
	f, err := os.CreateTemp(dir, ".ownerbot-readyz-*")
	if err != nil {
		return err
	}
	_, err = f.Write([]byte("ownerbot readyz\n"))
	return errors.Join(err, f.Close(), os.Remove(f.Name()))
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
