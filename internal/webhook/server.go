// Package webhook is the App's HTTP ingress: it authenticates GitHub
// deliveries, acknowledges them at once, and hands the events worth acting
// on to a bounded, coalescing pool of workers.
//
// Every event is a hint to look again (DESIGN §1.3), which is what makes the
// shortcuts here safe: a delivery id seen in the last hour is dropped (a
// manual redelivery of it too), events for one pull request collapse into
// the newest, and a delivery refused with 503 or lost in a crash is picked
// up by the sweep. Within one pull request a later arrival supersedes an
// earlier one, except that a payload whose pull_request.updated_at is older
// than the queued one's never replaces it.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	DefaultWorkers    = 4
	DefaultJobTimeout = 5 * time.Minute
	DefaultRetryAfter = 30 * time.Second
	DefaultDedupSize  = 10000
	DefaultDedupTTL   = time.Hour
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	Secrets    [][]byte              // accepted secrets (two during rotation); New refuses none or an empty one
	MaxBody    int64                 // default 25 MiB
	QueueSize  int                   // default 1000
	Workers    int                   // default 4
	Logger     zerolog.Logger        // never receives bodies, signatures or secrets
	Registerer prometheus.Registerer // metrics registered here; nil = none
	Accept     func(ev Event) bool   // which events become jobs; nil = DefaultAccept
	Clock      func() time.Time      // stamps Event.Received and ages delivery ids; nil = time.Now

	JobTimeout time.Duration // per job; default 5m
	RetryAfter time.Duration // sent with 503 answers; default 30s
	DedupSize  int           // delivery ids remembered; default 10,000
	DedupTTL   time.Duration // how long an id is remembered; default 1h
}

// Server is the POST /webhook endpoint and the worker pool behind it.
type Server struct {
	cfg     Config
	handler Handler
	log     zerolog.Logger
	m       *metrics
	q       *queue

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
	if cfg.MaxBody < 0 || cfg.QueueSize < 0 || cfg.Workers < 0 || cfg.JobTimeout < 0 ||
		cfg.RetryAfter < 0 || cfg.DedupSize < 0 || cfg.DedupTTL < 0 {
		return nil, errors.New("webhook: negative size, count or duration in config")
	}
	cfg.MaxBody = orDefault(cfg.MaxBody, DefaultMaxBody)
	cfg.QueueSize = orDefault(cfg.QueueSize, DefaultQueueSize)
	cfg.Workers = orDefault(cfg.Workers, DefaultWorkers)
	cfg.JobTimeout = orDefault(cfg.JobTimeout, DefaultJobTimeout)
	cfg.RetryAfter = orDefault(cfg.RetryAfter, DefaultRetryAfter)
	cfg.DedupSize = orDefault(cfg.DedupSize, DefaultDedupSize)
	cfg.DedupTTL = orDefault(cfg.DedupTTL, DefaultDedupTTL)
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
		q:       newQueue(cfg.QueueSize, newDeliveryCache(cfg.DedupSize, cfg.DedupTTL), m.queue),
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
	body, status := readBody(w, r, s.cfg.MaxBody)
	switch status {
	case http.StatusRequestEntityTooLarge:
		s.refuse(w, r, status, outcomeTooLarge, "body too large")
		return
	case http.StatusBadRequest:
		s.refuse(w, r, status, outcomeBadRequest, "incomplete body")
		return
	}
	// Authenticate before looking at anything the sender controls.
	if !validSignature(r.Header.Get("X-Hub-Signature-256"), body, s.cfg.Secrets) {
		s.refuse(w, r, http.StatusUnauthorized, outcomeRejectedSignature, "invalid signature")
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
	if !s.cfg.Accept(ev) {
		s.m.deliveries.WithLabelValues(ev.Name, ev.Action, outcomeIgnored).Inc()
		answer(w, http.StatusAccepted, "ignored")
		return
	}
	switch s.q.admit(newJob(ev, occurred), ev.Received) {
	case admitted:
		s.m.deliveries.WithLabelValues(ev.Name, ev.Action, outcomeAccepted).Inc()
		answer(w, http.StatusAccepted, "accepted")
	case admitDuplicate:
		s.m.deliveries.WithLabelValues(ev.Name, ev.Action, outcomeDuplicate).Inc()
		answer(w, http.StatusAccepted, "duplicate")
	case admitCoalesced:
		s.m.deliveries.WithLabelValues(ev.Name, ev.Action, outcomeCoalesced).Inc()
		answer(w, http.StatusAccepted, "coalesced")
	case admitFull:
		log := eventLogger(s.log, ev)
		log.Warn().Msg("webhook queue full, delivery refused")
		s.unavailable(w, ev.Name, ev.Action, outcomeQueueFull)
	case admitClosed:
		s.unavailable(w, ev.Name, ev.Action, outcomeShuttingDown)
	}
}

// readBody reads at most max+1 bytes of the body and returns it with 0, or
// with the status to answer: 413 when it is longer than max, 400 when it is
// shorter than its Content-Length or the read fails.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, int) {
	if r.ContentLength > max {
		return nil, http.StatusRequestEntityTooLarge
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, size)
	body := http.MaxBytesReader(w, r.Body, max)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, http.StatusRequestEntityTooLarge
			}
			return nil, http.StatusBadRequest
		}
	}
	if r.ContentLength >= 0 && int64(len(buf)) != r.ContentLength {
		return nil, http.StatusBadRequest
	}
	return buf, 0
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
	secs := int((s.cfg.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	answer(w, http.StatusServiceUnavailable, "unavailable, retry later")
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
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.q.close()
	select {
	case <-s.q.drained():
		s.stopOnce.Do(func() { close(s.stop) })
		s.workers.Wait() // idle workers see stop at once
		s.cancelJobs()
		return nil
	case <-ctx.Done():
	}
	dropped := s.q.abort()
	for range dropped {
		s.m.jobs.WithLabelValues(jobCanceled).Inc()
	}
	s.cancelJobs()
	s.stopOnce.Do(func() { close(s.stop) })
	s.log.Warn().Int("dropped", len(dropped)).Msg("webhook shutdown deadline reached, canceled remaining jobs")
	return ctx.Err()
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
			s.q.done(j)
		}
	}
}

// run handles one job with its own timeout and logger, and records how it
// ended. Errors and panics are logged here and nowhere else.
func (s *Server) run(base context.Context, j *job) {
	ev := j.ev
	log := eventLogger(s.log, ev)
	ctx, cancel := context.WithTimeout(base, s.cfg.JobTimeout)
	defer cancel()
	ctx = log.WithContext(ctx)

	s.m.inFlight.Inc()
	start := time.Now()
	outcome := s.call(ctx, &log, ev)
	elapsed := time.Since(start)
	s.m.inFlight.Dec()
	s.m.jobDuration.WithLabelValues(ev.Name).Observe(elapsed.Seconds())
	s.m.jobs.WithLabelValues(outcome).Inc()
	log.Debug().Str("outcome", outcome).Dur("elapsed", elapsed).Msg("webhook job finished")
}

func (s *Server) call(ctx context.Context, log *zerolog.Logger, ev Event) (outcome string) {
	defer func() {
		if v := recover(); v != nil {
			log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("webhook handler panicked")
			outcome = jobPanic
		}
	}()
	err := s.handler.Handle(ctx, ev)
	switch {
	case err == nil:
		return jobOK
	case ctx.Err() != nil:
		log.Warn().Err(err).Msg("webhook job canceled")
		return jobCanceled
	default:
		log.Error().Err(err).Msg("webhook job failed")
		return jobError
	}
}
