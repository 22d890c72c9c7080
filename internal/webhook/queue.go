package webhook

import (
	"slices"
	"sync"
	"time"
)

// job is one event waiting for, or getting, a worker.
type job struct {
	ev       Event
	key      prKey
	keyed    bool
	occurred time.Time // from the payload; zero when it has none
	queued   time.Time // when it entered the queue, for the wait metric
	size     int64     // payload bytes, what the queue's byte bound counts
	attempt  int       // retries so far: 0 on the first run

	stopTimer func() bool // of the retry this job waits for; nil otherwise
}

func newJob(ev Event, occurred time.Time) *job {
	k, ok := ev.key()
	return &job{ev: ev, key: k, keyed: ok, occurred: occurred, size: int64(len(ev.Payload))}
}

// supersedes reports whether j should replace old. A later arrival wins
// unless both payloads carry pull_request.updated_at and j's is strictly
// older: that is a late delivery of an earlier change, and the newer event
// already queued describes a later state. Equal timestamps (GitHub's have
// one-second precision) fall back to arrival order.
func (j *job) supersedes(old *job) bool {
	if !j.occurred.IsZero() && !old.occurred.IsZero() && j.occurred.Before(old.occurred) {
		return false
	}
	return true
}

// admission is what the queue did with a delivery.
type admission int

const (
	admitted       admission = iota // a new job, queued or held as a follow-up
	admitDuplicate                  // delivery id seen within the window
	admitCoalesced                  // merged into a job for the same pull request
	admitFull                       // no room; not remembered
	admitClosed                     // shutting down; not remembered
)

// keyState is where a pull request's jobs are. A key is queued (waiting for
// a worker), running, running with one pending follow-up, or waiting to be
// retried after a failure; never two running at once.
type keyState struct {
	queued  *job
	running bool
	pending *job
	retry   *job // a failed job waiting for its timer; only while nothing else is
}

// retryResult is what the queue did with a failed job the server asked it
// to retry.
type retryResult int

const (
	retryNone       retryResult = iota // no retry was asked for
	retryScheduled                     // waiting for its timer
	retrySuperseded                    // a follow-up for the same pull request runs instead
	retryNoRoom                        // the queue's bounds leave no room for it
	retryClosed                        // shutting down: dropped
)

// queue is the bounded, coalescing work queue between the HTTP handler and
// the workers. One lock guards the delivery cache and the queue together so
// that deduplication, the capacity check and remembering an id are a single
// step: fifty concurrent copies of one delivery make exactly one job, and a
// delivery refused for lack of room is not remembered.
//
// Capacity counts queued jobs plus pending follow-ups, so promoting a
// follow-up never needs room that is not there. ready holds one token per
// queued job; it is buffered to the capacity, so sending never blocks.
// The payload bytes of the same jobs are bounded too (maxBytes): a
// thousand jobs of 25 KB and a thousand of 25 MB are not the same queue.
// Running jobs are not counted: there are only as many as workers.
//
// A failed job waiting to be retried counts in both bounds like a queued
// one (retrying), but holds no worker and no token: a timer puts it back in
// the queue. While it waits, a newer event for its pull request takes its
// place and runs at once: one check of a pull request at a time, newest
// state wins.
type queue struct {
	mu       sync.Mutex
	items    []*job
	keys     map[prKey]*keyState
	pending  int
	running  int
	retrying map[*job]struct{} // failed jobs waiting for their timers
	capacity int
	maxBytes int64
	bytes    int64 // payload bytes of queued, pending and retrying jobs
	seen     *deliveryCache
	closed   bool // no more admissions
	aborted  bool // queued and pending jobs were dropped
	idle     chan struct{}
	metrics  queueMetrics
	clock    func() time.Time // the monotonic clock of the wait metric
	// after runs f once d has passed, and returns a function that stops
	// it; time.AfterFunc outside tests.
	after func(d time.Duration, f func()) (stop func() bool)

	ready chan struct{}
}

func realAfter(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

func newQueue(capacity int, maxBytes int64, seen *deliveryCache, m queueMetrics) *queue {
	return &queue{
		keys:     make(map[prKey]*keyState),
		retrying: make(map[*job]struct{}),
		capacity: capacity,
		maxBytes: maxBytes,
		seen:     seen,
		metrics:  m,
		clock:    time.Now,
		after:    realAfter,
		ready:    make(chan struct{}, capacity),
	}
}

// admit deduplicates, coalesces and queues j without ever blocking.
func (q *queue) admit(j *job, now time.Time) admission {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return admitClosed
	}
	id := j.ev.DeliveryID
	if q.seen.seen(id, now) {
		return admitDuplicate
	}
	if j.keyed {
		if st := q.keys[j.key]; st != nil {
			switch {
			case st.queued != nil:
				// Replace in place: the pull request keeps its slot,
				// and its place in the queue keeps its wait.
				if j.supersedes(st.queued) {
					if !q.fits(j.size, st.queued.size) {
						return admitFull
					}
					q.bytes += j.size - st.queued.size
					j.queued = st.queued.queued
					*st.queued = *j
					q.report()
				}
				q.seen.remember(id, now)
				return admitCoalesced
			case st.pending != nil:
				if j.supersedes(st.pending) {
					if !q.fits(j.size, st.pending.size) {
						return admitFull
					}
					q.bytes += j.size - st.pending.size
					j.queued = st.pending.queued
					st.pending = j
					q.report()
				}
				q.seen.remember(id, now)
				return admitCoalesced
			case st.retry != nil:
				// A newer event looks at the pull request again now,
				// which is what the retry was waiting to do. A late
				// copy of an older change leaves the retry waiting.
				if j.supersedes(st.retry) {
					if !q.fits(j.size, st.retry.size) {
						return admitFull
					}
					q.unretry(st.retry)
					st.retry = nil
					q.bytes += j.size
					q.push(j)
				}
				q.seen.remember(id, now)
				return admitCoalesced
			case st.running:
				if q.full() || !q.fits(j.size, 0) {
					return admitFull
				}
				j.queued = q.clock()
				st.pending = j
				q.pending++
				q.bytes += j.size
				q.seen.remember(id, now)
				q.report()
				return admitted
			}
		}
	}
	if q.full() || !q.fits(j.size, 0) {
		return admitFull
	}
	q.bytes += j.size
	q.push(j)
	q.seen.remember(id, now)
	return admitted
}

func (q *queue) full() bool { return len(q.items)+q.pending+len(q.retrying) >= q.capacity }

// fits reports whether replacing a job of size out by one of size in stays
// within maxBytes (out is 0 for a new job). A queue with nothing else in it
// takes any one job, so a lone large delivery is never refused for lack of
// room it could never have.
func (q *queue) fits(in, out int64) bool {
	others := q.bytes - out
	return others+in <= q.maxBytes || others == 0
}

// push appends j and hands out its token; the caller holds q.mu. A
// follow-up promoted from pending keeps the time it was first queued.
func (q *queue) push(j *job) {
	if j.queued.IsZero() {
		j.queued = q.clock()
	}
	q.items = append(q.items, j)
	if j.keyed {
		st := q.keys[j.key]
		if st == nil {
			st = &keyState{}
			q.keys[j.key] = st
		}
		st.queued = j
	}
	select {
	case q.ready <- struct{}{}:
	default: // cannot happen: tokens never outnumber queued jobs
	}
	q.report()
}

// pop takes the oldest queued job and marks its pull request running, or
// returns nil when there is nothing to run.
func (q *queue) pop() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 || q.aborted {
		return nil
	}
	j := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	if j.keyed {
		st := q.keys[j.key]
		st.queued = nil
		st.running = true
	}
	q.running++
	q.bytes -= j.size
	q.report()
	q.metrics.wait.Observe(q.clock().Sub(j.queued).Seconds())
	return j
}

// done records that j finished and queues its pull request's follow-up, if
// one arrived while it ran. When retryIn is positive, j failed and the
// server wants it run again after retryIn: unless the follow-up supersedes
// it, j waits for a timer, in the queue's bounds, or is dropped when there
// is no room or the queue is closed.
func (q *queue) done(j *job, retryIn time.Duration) retryResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	result := retryNone
	if retryIn > 0 {
		result = retryScheduled
	}
	var st *keyState
	if j.keyed {
		st = q.keys[j.key]
		st.running = false
		if p := st.pending; p != nil {
			st.pending = nil
			q.pending--
			if !q.aborted {
				q.push(p)
			}
			if result == retryScheduled {
				result = retrySuperseded
			}
		}
	}
	switch {
	case result != retryScheduled:
	case q.closed:
		result = retryClosed
	case q.full() || !q.fits(j.size, 0):
		result = retryNoRoom
	default:
		j.attempt++
		q.retrying[j] = struct{}{}
		q.bytes += j.size
		if st != nil {
			st.retry = j
		}
		j.stopTimer = q.after(retryIn, func() { q.fire(j) })
	}
	if st != nil && st.queued == nil && st.retry == nil && !st.running {
		delete(q.keys, j.key)
	}
	q.report()
	q.signalIdle()
	return result
}

// fire puts a retry whose timer ran out back in the queue, unless a newer
// event or the shutdown took it out meanwhile.
func (q *queue) fire(j *job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.retrying[j]; !ok {
		return
	}
	delete(q.retrying, j)
	j.stopTimer = nil
	if j.keyed {
		q.keys[j.key].retry = nil
	}
	// Its wait for a worker starts now, not when it first arrived.
	j.queued = time.Time{}
	q.push(j) // its slot and bytes move from retrying to queued
}

// unretry takes j out of the retries and stops its timer; the caller holds
// q.mu and clears the key's retry.
func (q *queue) unretry(j *job) {
	delete(q.retrying, j)
	q.bytes -= j.size
	if j.stopTimer != nil {
		j.stopTimer()
		j.stopTimer = nil
	}
}

// close stops admissions and drops the retries waiting for their timers,
// returning them: a retry is minutes away, longer than a shutdown waits.
// Queued and running jobs carry on.
func (q *queue) close() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	dropped := q.dropRetries()
	q.report()
	return dropped
}

// dropRetries stops every retry's timer and returns the retries, oldest
// delivery first; the caller holds q.mu.
func (q *queue) dropRetries() []*job {
	dropped := make([]*job, 0, len(q.retrying))
	for j := range q.retrying {
		dropped = append(dropped, j)
	}
	slices.SortFunc(dropped, func(a, b *job) int { return a.ev.Received.Compare(b.ev.Received) })
	for _, j := range dropped {
		q.unretry(j)
		if j.keyed {
			st := q.keys[j.key]
			st.retry = nil
			if st.queued == nil && st.pending == nil && !st.running {
				delete(q.keys, j.key)
			}
		}
	}
	return dropped
}

// drained returns a channel closed once nothing is queued, pending or
// running.
func (q *queue) drained() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.idle == nil {
		q.idle = make(chan struct{})
	}
	ch := q.idle
	q.signalIdle()
	return ch
}

func (q *queue) signalIdle() {
	if q.idle != nil && len(q.items) == 0 && q.pending == 0 && q.running == 0 {
		close(q.idle)
		q.idle = nil
	}
}

// abort drops every queued and pending job and returns them; running jobs
// finish on their own (their contexts are canceled by the caller).
func (q *queue) abort() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed, q.aborted = true, true
	dropped := q.items
	q.items = nil
	dropped = append(dropped, q.dropRetries()...)
	for k, st := range q.keys {
		if st.pending != nil {
			dropped = append(dropped, st.pending)
		}
		st.queued, st.pending = nil, nil
		if !st.running {
			delete(q.keys, k)
		}
	}
	q.pending = 0
	q.bytes = 0
	q.report()
	q.signalIdle()
	return dropped
}

// report publishes the queue depth (jobs waiting for a worker, including
// pending follow-ups and retries waiting for their timers) and their
// payload bytes. The caller holds q.mu.
func (q *queue) report() {
	q.metrics.Set(float64(len(q.items) + q.pending + len(q.retrying)))
	q.metrics.bytes.Set(float64(q.bytes))
}
