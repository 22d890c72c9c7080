package webhook

import (
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
}

func newJob(ev Event, occurred time.Time) *job {
	k, ok := ev.key()
	return &job{ev: ev, key: k, keyed: ok, occurred: occurred}
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
// a worker), running, or running with one pending follow-up; never two
// running at once.
type keyState struct {
	queued  *job
	running bool
	pending *job
}

// queue is the bounded, coalescing work queue between the HTTP handler and
// the workers. One lock guards the delivery cache and the queue together so
// that deduplication, the capacity check and remembering an id are a single
// step: fifty concurrent copies of one delivery make exactly one job, and a
// delivery refused for lack of room is not remembered.
//
// Capacity counts queued jobs plus pending follow-ups, so promoting a
// follow-up never needs room that is not there. ready holds one token per
// queued job; it is buffered to the capacity, so sending never blocks.
type queue struct {
	mu       sync.Mutex
	items    []*job
	keys     map[prKey]*keyState
	pending  int
	running  int
	capacity int
	seen     *deliveryCache
	closed   bool // no more admissions
	aborted  bool // queued and pending jobs were dropped
	idle     chan struct{}
	metrics  queueMetrics
	clock    func() time.Time // the monotonic clock of the wait metric

	ready chan struct{}
}

func newQueue(capacity int, seen *deliveryCache, m queueMetrics) *queue {
	return &queue{
		keys:     make(map[prKey]*keyState),
		capacity: capacity,
		seen:     seen,
		metrics:  m,
		clock:    time.Now,
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
					j.queued = st.queued.queued
					*st.queued = *j
				}
				q.seen.remember(id, now)
				return admitCoalesced
			case st.pending != nil:
				if j.supersedes(st.pending) {
					j.queued = st.pending.queued
					st.pending = j
				}
				q.seen.remember(id, now)
				return admitCoalesced
			case st.running:
				if q.full() {
					return admitFull
				}
				j.queued = q.clock()
				st.pending = j
				q.pending++
				q.seen.remember(id, now)
				q.report()
				return admitted
			}
		}
	}
	if q.full() {
		return admitFull
	}
	q.push(j)
	q.seen.remember(id, now)
	return admitted
}

func (q *queue) full() bool { return len(q.items)+q.pending >= q.capacity }

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
	q.report()
	q.metrics.wait.Observe(q.clock().Sub(j.queued).Seconds())
	return j
}

// done records that j finished and queues its pull request's follow-up, if
// one arrived while it ran.
func (q *queue) done(j *job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	if j.keyed {
		st := q.keys[j.key]
		st.running = false
		if p := st.pending; p != nil {
			st.pending = nil
			q.pending--
			if !q.aborted {
				q.push(p)
			}
		}
		if st.queued == nil && !st.running {
			delete(q.keys, j.key)
		}
	}
	q.report()
	q.signalIdle()
}

// close stops admissions; queued and running jobs carry on.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
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
	q.report()
	q.signalIdle()
	return dropped
}

// report publishes the queue depth: jobs waiting for a worker, including
// pending follow-ups. The caller holds q.mu.
func (q *queue) report() {
	q.metrics.Set(float64(len(q.items) + q.pending))
}
