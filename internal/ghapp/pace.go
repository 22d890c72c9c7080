package ghapp

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Write pacing defaults, from GitHub's guidance on secondary rate limits:
// at least a second between the mutating requests of one installation, and
// no more than 500 content-creating requests an hour (80 a minute).
const (
	DefaultWriteInterval   = time.Second
	DefaultContentInterval = 7200 * time.Millisecond // 500 an hour
	DefaultContentBurst    = 20
)

// Pacing kinds, used in logs and as the metrics' kind label.
const (
	paceWrite   = "write"
	paceContent = "content"
)

// pacer spaces one installation's writes so that they stay under GitHub's
// secondary limits instead of running into them. It never sleeps itself:
// a writer reserves a start time under the mutex and sleeps outside it, so
// concurrent writers get distinct slots.
//
// Two constraints combine:
//   - every mutating request starts at least writeGap after and before any
//     other one (a later writer may take a free gap before an earlier writer
//     that waits for a content token, so ordinary writes do not queue behind
//     the content bucket);
//   - content-creating requests draw from a token bucket of burst tokens
//     refilled one per contentEvery, kept as a theoretical arrival time
//     (GCRA): a request may start once tat-tolerance has passed.
type pacer struct {
	writeGap     time.Duration // 0: off
	contentEvery time.Duration // 0: off
	tolerance    time.Duration // (burst-1) × contentEvery

	mu    sync.Mutex
	slots []time.Time // reserved starts of writes, ascending, pairwise ≥ writeGap apart
	tat   time.Time   // content bucket: when it would be full again, plus one interval
}

// newPacer returns nil when both constraints are off.
func newPacer(writeGap, contentEvery time.Duration, burst int) *pacer {
	if writeGap <= 0 && contentEvery <= 0 {
		return nil
	}
	p := &pacer{writeGap: max(writeGap, 0), contentEvery: max(contentEvery, 0)}
	if p.contentEvery > 0 {
		p.tolerance = time.Duration(max(burst, 1)-1) * p.contentEvery
	}
	return p
}

// reservation is one writer's slot. The waits say why it must wait: for a
// content token first, then for a gap between other writes.
type reservation struct {
	start       time.Time
	contentWait time.Duration
	writeWait   time.Duration

	slotted      bool      // start is in slots
	content      bool      // the bucket was drawn from
	tatBefore    time.Time // to give the token back
	tatAfterward time.Time
}

func (r reservation) wait() time.Duration { return r.contentWait + r.writeWait }

// kind names the constraint that made the writer wait.
func (r reservation) kind() string {
	if r.contentWait > 0 {
		return paceContent
	}
	return paceWrite
}

// reserve takes the earliest start at or after now that satisfies both
// constraints, and records it.
func (p *pacer) reserve(now time.Time, content bool) reservation {
	p.mu.Lock()
	defer p.mu.Unlock()
	content = content && p.contentEvery > 0
	earliest := now
	if content {
		if t := p.tat.Add(-p.tolerance); t.After(earliest) {
			earliest = t
		}
	}
	r := reservation{start: earliest, contentWait: earliest.Sub(now)}
	if p.writeGap > 0 {
		p.prune(now)
		r.start = p.fit(earliest)
		r.writeWait = r.start.Sub(earliest)
		i, _ := slices.BinarySearchFunc(p.slots, r.start, time.Time.Compare)
		p.slots = slices.Insert(p.slots, i, r.start)
		r.slotted = true
	}
	if content {
		r.content, r.tatBefore = true, p.tat
		p.tat = later(p.tat, r.start).Add(p.contentEvery)
		r.tatAfterward = p.tat
	}
	return r
}

// cancel gives back a reservation that was not used: its write slot, and its
// content token unless a later reservation was made on top of it.
func (p *pacer) cancel(r reservation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.slotted {
		if i, ok := slices.BinarySearchFunc(p.slots, r.start, time.Time.Compare); ok {
			p.slots = slices.Delete(p.slots, i, i+1)
		}
	}
	if r.content && p.tat.Equal(r.tatAfterward) {
		p.tat = r.tatBefore
	}
}

// prune forgets slots that can no longer conflict with a start at or after
// now.
func (p *pacer) prune(now time.Time) {
	n := 0
	for n < len(p.slots) && !p.slots[n].Add(p.writeGap).After(now) {
		n++
	}
	p.slots = slices.Delete(p.slots, 0, n)
}

// fit returns the earliest time at or after t that is writeGap away from
// every reserved slot.
func (p *pacer) fit(t time.Time) time.Time {
	for _, s := range p.slots {
		switch {
		case !s.Add(p.writeGap).After(t): // s is far enough before t
		case !t.Add(p.writeGap).After(s): // t fits before s, and before all later slots
			return t
		default:
			t = s.Add(p.writeGap)
		}
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// mutating reports the methods GitHub asks clients to space out.
func mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// contentCreating reports the requests ownerbot makes that GitHub counts as
// creating content: opening an issue and commenting on an issue or pull
// request. rel is relative to the API root.
func contentCreating(method, rel string) bool {
	if method != http.MethodPost {
		return false
	}
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	if len(segs) < 4 || segs[0] != "repos" || segs[1] == "" || segs[2] == "" || segs[3] != "issues" {
		return false
	}
	switch len(segs) {
	case 4: // repos/{owner}/{repo}/issues
		return true
	case 6: // repos/{owner}/{repo}/issues/{number}/comments
		_, err := strconv.ParseUint(segs[4], 10, 64)
		return err == nil && segs[5] == "comments"
	}
	return false
}

// waitWrite holds a mutating request until the installation may send it:
// past any rate-limit reset or secondary-limit pause (waitTurn) and at its
// pacing slot. When a limit is recorded while the write waits for its slot
// (another request was answered 403 or 429), the slot is given back and the
// write waits for the limit and takes a new slot, so nothing is sent during
// a pause and writes stay spaced after it.
func (t *retryTransport) waitWrite(ctx context.Context, method, rel, resource string, content bool) error {
	p := t.policy
	for {
		if err := t.waitTurn(ctx, method, rel, resource); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		before, _ := t.limits.until(resource)
		now := p.clock()
		r := t.pacer.reserve(now, content)
		wait := r.wait()
		if wait <= 0 {
			return nil
		}
		p.metrics.pacingWaits.WithLabelValues(r.kind()).Inc()
		if r.contentWait > 0 {
			p.metrics.pacingSeconds.WithLabelValues(paceContent).Add(r.contentWait.Seconds())
		}
		if r.writeWait > 0 {
			p.metrics.pacingSeconds.WithLabelValues(paceWrite).Add(r.writeWait.Seconds())
		}
		t.logger.Debug().Str("method", method).Str("path", rel).Str("kind", r.kind()).Dur("wait", wait).Msg("pacing GitHub write")
		if err := p.sleep(ctx, wait); err != nil {
			t.pacer.cancel(r)
			return err
		}
		// Compare with the state before the sleep, not with the clock: a
		// limit that waitTurn already honoured does not count twice (an
		// injected Sleep need not move the clock).
		after, _ := t.limits.until(resource)
		if !after.After(before) || !after.After(r.start) {
			return nil
		}
		t.pacer.cancel(r)
	}
}
