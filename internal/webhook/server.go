// Package webhook is the App's HTTP ingress: it authenticates GitHub
// deliveries, acknowledges them at once, and hands the events worth acting
// on to a bounded, coalescing pool of workers.
//
// Every event is a hint to look again (DESIGN §1.3), which is what makes the
// shortcuts here safe: a delivery id seen in the last hour is dropped (a
// manual redelivery of it too), events for one pull request collapse into
// the newest, and a delivery refused with 503 or lost in a crash is picked
// up by the sweep. A job that fails for a reason that may pass is retried
// a few times with growing delays, and only then left to the sweep. Within
// one pull request a later arrival supersedes an earlier one (a waiting
// retry too), except that a payload whose pull_request.updated_at is older
// than the queued one's never replaces it.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Defaults for the zero values in Config.
const (
	DefaultMaxBody    = 25 << 20 // GitHub caps payloads at 25 MB
	DefaultQueueSize  = 1000
	DefaultQueueBytes = 128 << 20
	DefaultBodyReads  = 4
	DefaultWorkers    = 4
	DefaultJobTimeout = 5 * time.Minute
	DefaultRetryAfter = 30 * time.Second
	DefaultDedupSize  = 10000
	DefaultDedupTTL   = time.Hour
	// DefaultBodyReadTimeout is GitHub's own: it gives up on a delivery not
	// answered within 10 s, so a body still arriving after that has failed
	// already.
	DefaultBodyReadTimeout = 10 * time.Second

	// DefaultRetries and DefaultRetryDelay make a failed job wait about
	// 30 s, 2 min and 8 min before its three retries (each delay is 4×
	// the one before, plus up to a quarter for jitter). A job fails only
	// after the GitHub client's own retries and rate-limit waits gave up,
	// so the first retry is not immediate; 30 s outlasts a blip, and the
	// later ones a short incident. What still fails 10 to 13 minutes
	// after the first failure is an outage, and the sweep is the recovery
	// for it, not more retries.
	DefaultRetries    = 3
	DefaultRetryDelay = 30 * time.Second
	// NoRetries in Config.Retries turns retries off.
	NoRetries = -1
	// MaxRetryDelay caps one wait, whatever the backoff or a rate limit's
	// reset ask for.
	MaxRetryDelay = time.Hour
	retryGrowth   = 4
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	Secrets    [][]byte              // accepted secrets (two during rotation); New refuses none or an empty one
	MaxBody    int64                 // default 25 MiB
	QueueSize  int                   // jobs queued; default 1000
	QueueBytes int64                 // payload bytes queued; default 128 MiB (an empty queue takes any one job)
	BodyReads  int                   // bodies over 64 KiB read at once; default 4
	Workers    int                   // default 4
	Logger     zerolog.Logger        // never receives bodies, signatures or secrets
	Registerer prometheus.Registerer // metrics registered here; nil = none
	Accept     func(ev Event) bool   // which events become jobs; nil = DefaultAccept
	Clock      func() time.Time      // stamps Event.Received and ages delivery ids; nil = time.Now

	JobTimeout      time.Duration // per job; default 5m
	RetryAfter      time.Duration // sent with 503 answers; default 30s
	DedupSize       int           // delivery ids remembered; default 10,000
	DedupTTL        time.Duration // how long an id is remembered; default 1h
	BodyReadTimeout time.Duration // how long a body over 64 KiB may take to arrive once it has a slot; default 10s

	Retries    int           // times a failed job is tried again; default 3; NoRetries for none
	RetryDelay time.Duration // wait before the first retry, 4× longer before each next; default 30s
	// Retryable says whether a job that failed with err may succeed when
	// tried again, and the least time to wait before that (a rate limit's
	// reset; 0: the backoff decides). nil: every error is worth a retry.
	Retryable func(err error) (retry bool, atLeast time.Duration)
}

// Server is the POST /webhook endpoint and the worker pool behind it.
type Server struct {
	cfg     Config
	handler Handler
	log     zerolog.Logger
	m       *metrics
	q       *queue
	reads   *bodyReads
	// jitter lengthens a retry's delay by a random part, so that the jobs
	// one outage failed together do not all come back at once.
	jitter func(time.Duration) time.Duration

	closing   atomic.Bool
	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	workers   sync.WaitGroup

	mu     sync.Mutex
	cancel context.CancelFunc // cancels every job context; set by Start
}

// New checks cfg and builds a Server; call Start to run its workers.
func New(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("webhook: nil handler")
	}
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("webhook: no webhook secret configured")
	}
	secrets := make([][]byte, len(cfg.Secrets))
	for i, s := range cfg.Secrets {
		if len(s) == 0 {
			return nil, fmt.Errorf("webhook: secret %d is empty", i+1)
		}
		secrets[i] = append([]byte(nil), s...)
	}
	cfg.Secrets = secrets
	if cfg.MaxBody < 0 || cfg.QueueSize < 0 || cfg.QueueBytes < 0 || cfg.BodyReads < 0 || cfg.BodyReadTimeout < 0 || cfg.Workers < 0 ||
		cfg.JobTimeout < 0 || cfg.RetryAfter < 0 || cfg.DedupSize < 0 || cfg.DedupTTL < 0 || cfg.RetryDelay < 0 || cfg.Retries < NoRetries {
		return nil, errors.New("webhook: negative size, count or duration in config")
	}
	cfg.MaxBody = orDefault(cfg.MaxBody, DefaultMaxBody)
	cfg.QueueSize = orDefault(cfg.QueueSize, DefaultQueueSize)
	cfg.QueueBytes = orDefault(cfg.QueueBytes, DefaultQueueBytes)
	cfg.BodyReads = orDefault(cfg.BodyReads, DefaultBodyReads)
	cfg.BodyReadTimeout = orDefault(cfg.BodyReadTimeout, DefaultBodyReadTimeout)
	cfg.Workers = orDefault(cfg.Workers, DefaultWorkers)
	cfg.JobTimeout = orDefault(cfg.JobTimeout, DefaultJobTimeout)
	cfg.RetryAfter = orDefault(cfg.RetryAfter, DefaultRetryAfter)
	cfg.DedupSize = orDefault(cfg.DedupSize, DefaultDedupSize)
	cfg.DedupTTL = orDefault(cfg.DedupTTL, DefaultDedupTTL)
	cfg.Retries = max(orDefault(cfg.Retries, DefaultRetries), 0)
	cfg.RetryDelay = min(orDefault(cfg.RetryDelay, DefaultRetryDelay), MaxRetryDelay)
	if cfg.Retryable == nil {
		cfg.Retryable = func(error) (bool, time.Duration) { return true, 0 }
	}
	if cfg.Accept == nil {
		cfg.Accept = DefaultAccept
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:     cfg,
		handler: h,
		log:     cfg.Logger,
		m:       m,
		q:       newQueue(cfg.QueueSize, cfg.QueueBytes, newDeliveryCache(cfg.DedupSize, cfg.DedupTTL), m.queue),
		reads:   newBodyReads(cfg.BodyReads, cfg.BodyReadTimeout),
		jitter:  quarterJitter,
		stop:    make(chan struct{}),
	}, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Ready reports whether the server takes deliveries; false once Shutdown
// has begun, so /readyz takes the replica out of rotation.
func (s *Server) Ready() bool { return !s.closing.Load() }

// ServeHTTP answers one delivery. It never waits for a handler, for GitHub
// or for room in the queue: the answer depends only on the request and on
// the queue's state at that moment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { s.m.ack.Observe(time.Since(start).Seconds()) }()

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, r, http.StatusMethodNotAllowed, outcomeBadRequest, "method not allowed")
		return
	}
	if s.closing.Load() {
		s.unavailable(w, "", "", outcomeShuttingDown)
		return
	}
	// The signature is checked while the body is read, before anything
	// the sender controls is looked at.
	body, refused := s.reads.receive(w, r, s.cfg.MaxBody, s.cfg.Secrets)
	if refused != notRefused {
		status, outcome, reason := refused.answer()
		switch refused {
		case refusedBusy, refusedTooLarge, refusedUnsigned:
			// The rest of the body is not worth reading to keep the
			// connection.
			w.Header().Set("Connection", "close")
		}
		if refused == refusedBusy {
			s.setRetryAfter(w)
		}
		s.refuse(w, r, status, outcome, reason)
		return
	}
	name := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	if name == "" || delivery == "" {
		s.refuse(w, r, http.StatusBadRequest, outcomeBadRequest, "missing X-GitHub-Event or X-GitHub-Delivery")
		return
	}
	if name == "ping" {
		s.m.deliveries.WithLabelValues(name, "", outcomeIgnored).Inc()
		answer(w, http.StatusOK, "pong")
		return
	}
	if github.EventForType(name) == nil {
		// An event go-github does not know: acknowledge so that GitHub
		// does not report a failure for something the App subscribed to.
		// The label is fixed so that header values cannot grow the metric.
		s.m.deliveries.WithLabelValues("unknown", "", outcomeIgnored).Inc()
		answer(w, http.StatusAccepted, "ignored")
		return
	}
	if isForm(r.Header.Get("Content-Type")) {
		payload, err := formPayload(body)
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, outcomeBadRequest, "form-encoded delivery without one payload field ("+err.Error()+"): set the webhook's content type to application/json")
			return
		}
		body = payload
	}
	ev, occurred, parseErr, err := decodeEvent(name, delivery, body, s.cfg.Clock())
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, outcomeBadRequest, "invalid JSON payload")
		return
	}
	if parseErr != nil {
		// Not logged with the error: its text quotes the payload.
		log := eventLogger(s.log, ev)
		log.Warn().Msg("webhook payload does not decode into go-github's type; handling it with Parsed nil")
	}
	action := actionLabel(ev.Name, ev.Action)
	if !s.cfg.Accept(ev) {
		s.m.deliveries.WithLabelValues(ev.Name, action, outcomeIgnored).Inc()
		answer(w, http.StatusAccepted, "ignored")
		return
	}
	switch s.q.admit(newJob(ev, occurred), ev.Received) {
	case admitted:
		s.m.deliveries.WithLabelValues(ev.Name, action, outcomeAccepted).Inc()
		answer(w, http.StatusAccepted, "accepted")
	case admitDuplicate:
		s.m.deliveries.WithLabelValues(ev.Name, action, outcomeDuplicate).Inc()
		answer(w, http.StatusAccepted, "duplicate")
	case admitCoalesced:
		s.m.deliveries.WithLabelValues(ev.Name, action, outcomeCoalesced).Inc()
		answer(w, http.StatusAccepted, "coalesced")
	case admitFull:
		log := eventLogger(s.log, ev)
		log.Warn().Msg("webhook queue full, delivery refused")
		s.unavailable(w, ev.Name, action, outcomeQueueFull)
	case admitClosed:
		s.unavailable(w, ev.Name, action, outcomeShuttingDown)
	}
}

// refuse answers a delivery that will not become a job. Nothing from the
// request but its remote address is logged: before authentication every
// header is the sender's choice.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, outcome, reason string) {
	s.m.deliveries.WithLabelValues("", "", outcome).Inc()
	s.log.Warn().Int("status", status).Str("reason", reason).Str("remote", r.RemoteAddr).Msg("webhook delivery refused")
	answer(w, status, reason)
}

// unavailable answers 503 with Retry-After. GitHub itself does not retry
// failed deliveries; the header is for whoever redelivers (a person, or a
// job using the redeliver API), and the sweep recovers what is never
// redelivered.
func (s *Server) unavailable(w http.ResponseWriter, event, action, outcome string) {
	s.m.deliveries.WithLabelValues(event, action, outcome).Inc()
	s.setRetryAfter(w)
	answer(w, http.StatusServiceUnavailable, "unavailable, retry later")
}

func (s *Server) setRetryAfter(w http.ResponseWriter) {
	secs := int((s.cfg.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
}

func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// eventLogger adds the fields every line about an event carries.
func eventLogger(l zerolog.Logger, ev Event) zerolog.Logger {
	return l.With().
		Str("delivery", ev.DeliveryID).
		Str("event", ev.Name).
		Str("action", ev.Action).
		Int64("installation", ev.InstallationID).
		Str("repo", ev.fullName()).
		Int("pr", ev.PR).
		Str("head_sha", ev.HeadSHA).
		Logger()
}

// Start runs the workers. Job contexts derive from ctx; Shutdown cancels
// them when it stops waiting. Pass a context that outlives the start of
// shutdown (not the signal context), or canceling it cuts the drain short.
// Calls after the first do nothing.
func (s *Server) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		base, cancel := context.WithCancel(ctx)
		s.mu.Lock()
		s.cancel = cancel
		s.mu.Unlock()
		for range s.cfg.Workers {
			s.workers.Add(1)
			go s.work(base)
		}
	})
}

// Shutdown stops taking deliveries (they get 503 and Retry-After), then
// waits for queued and running jobs to finish. When ctx ends first it drops
// the queued jobs, cancels the running ones' contexts and returns ctx.Err()
// without waiting further: a handler that ignores its context keeps its
// worker until it returns.
//
// Retries waiting for their timers are dropped at once, and a job that
// fails from then on is not retried; each is logged with its delivery id.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.dropped(s.q.close())
	select {
	case <-s.q.drained():
		s.stopOnce.Do(func() { close(s.stop) })
		s.workers.Wait() // idle workers see stop at once
		s.cancelJobs()
		return nil
	case <-ctx.Done():
	}
	dropped := s.q.abort()
	s.dropped(dropped)
	s.cancelJobs()
	s.stopOnce.Do(func() { close(s.stop) })
	s.log.Warn().Int("dropped", len(dropped)).Msg("webhook shutdown deadline reached, canceled remaining jobs")
	return ctx.Err()
}

// dropped counts and logs jobs that will not run because the server is
// shutting down. GitHub does not retry; whoever wants the event handled
// before the next sweep redelivers it by this id (the webhook's Recent
// Deliveries, on the App's Advanced tab).
func (s *Server) dropped(jobs []*job) {
	for _, j := range jobs {
		s.m.jobs.WithLabelValues(jobCanceled).Inc()
		log := eventLogger(s.log, j.ev)
		log.Warn().Msg("webhook delivery dropped at shutdown: redeliver it from the App's Advanced tab")
	}
}

func (s *Server) cancelJobs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *Server) work(ctx context.Context) {
	defer s.workers.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-ctx.Done():
			return
		case <-s.q.ready:
		}
		if j := s.q.pop(); j != nil {
			s.run(ctx, j)
		}
	}
}

// run handles one job with its own timeout and logger, hands it back to
// the queue (to be retried when it failed for a reason that may pass), and
// records how it ended. Errors and panics are logged here and nowhere else.
//
// Which failures are retried: every job is an idempotent re-evaluation of
// the pull request or repository as it is now, so trying again is always
// safe. It is worth it unless it cannot succeed: a panic (a bug that the
// same input hits again), a job canceled because the server is shutting
// down, or an error Config.Retryable refuses (serve refuses GitHub's
// answers that waiting does not change, such as 404 or 422). A job that
// ran out of time is retried: what takes that long is mostly waiting for
// GitHub (a rate limit, another replica's lease).
func (s *Server) run(base context.Context, j *job) {
	ev := j.ev
	log := eventLogger(s.log, ev)
	if j.attempt > 0 {
		log = log.With().Int("retry", j.attempt).Logger()
	}
	ctx, cancel := context.WithTimeout(base, s.cfg.JobTimeout)
	defer cancel()
	ctx = log.WithContext(ctx)

	s.m.inFlight.Inc()
	start := time.Now()
	panicked, err := s.call(ctx, &log, ev)
	elapsed := time.Since(start)
	s.m.inFlight.Dec()
	s.m.jobDuration.WithLabelValues(ev.Name).Observe(elapsed.Seconds())

	var outcome string
	var retryIn time.Duration
	retry, next := false, j.attempt+1 // j is the queue's again once done returns
	switch {
	case panicked:
		outcome = jobPanic
	case err == nil:
		outcome = jobOK
	case base.Err() != nil:
		log.Warn().Err(err).Msg("webhook job canceled")
		outcome = jobCanceled
	default:
		var atLeast time.Duration
		if retry, atLeast = s.cfg.Retryable(err); retry && j.attempt < s.cfg.Retries {
			retryIn = s.retryDelay(next, atLeast)
		}
	}
	switch s.q.done(j, retryIn) {
	case retryNone:
		switch {
		case outcome != "":
		case !retry:
			log.Error().Err(err).Msg("webhook job failed")
			outcome = jobError
		default:
			log.Error().Err(err).Int("retries", next-1).
				Msg("webhook job failed and was retried as often as allowed: the next sweep will pick it up")
			outcome = jobGaveUp
		}
	case retryScheduled:
		log.Warn().Err(err).Dur("retry_in", retryIn).Int("next_retry", next).Msg("webhook job failed: retrying later")
		outcome = jobRetry
	case retrySuperseded:
		log.Warn().Err(err).Msg("webhook job failed: a newer event for the pull request runs next instead of a retry")
		outcome = jobRetry
	case retryNoRoom:
		log.Error().Err(err).Msg("webhook job failed and the queue has no room to retry it: the next sweep will pick it up")
		outcome = jobGaveUp
	case retryClosed:
		// Counted as a retry that shutdown then drops, as if it had
		// been scheduled a moment before.
		log.Error().Err(err).Msg("webhook job failed")
		outcome = jobRetry
		s.dropped([]*job{j})
	}
	s.m.jobs.WithLabelValues(outcome).Inc()
	log.Debug().Str("outcome", outcome).Dur("elapsed", elapsed).Msg("webhook job finished")
}

// retryDelay is the wait before retry n (1 for the first): RetryDelay,
// growing 4× per retry, no shorter than atLeast, capped at MaxRetryDelay,
// then lengthened by the jitter.
func (s *Server) retryDelay(n int, atLeast time.Duration) time.Duration {
	d := s.cfg.RetryDelay
	for i := 1; i < n && d < MaxRetryDelay; i++ {
		d *= retryGrowth
	}
	return s.jitter(min(max(d, atLeast), MaxRetryDelay))
}

// quarterJitter adds up to a quarter of d: never shorter than asked (a
// rate limit's reset stays respected), and jobs failed together spread
// over a quarter of their delay.
func quarterJitter(d time.Duration) time.Duration {
	if d < 4 {
		return d
	}
	return d + rand.N(d/4)
}

func (s *Server) call(ctx context.Context, log *zerolog.Logger, ev Event) (panicked bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("webhook handler panicked")
			panicked = true
		}
	}()
	return false, s.handler.Handle(ctx, ev)
}
