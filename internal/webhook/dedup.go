package webhook

import (
	"container/list"
	"time"
)

// deliveryCache remembers recently accepted delivery ids: at most size of
// them, each for at most ttl. It is not safe for concurrent use; the queue
// guards it with its own lock so that "seen?" and "remember" are one step.
//
// GitHub's "Redeliver" button and API reuse the original delivery id, so a
// redelivery inside the window is acknowledged and dropped. That is
// acceptable because ownerbot is level-triggered: the job that ran for the
// first delivery read the pull request's current state, and the sweep finds
// any pull request whose head has no current check run. A delivery refused
// with 503 is never remembered, so its redelivery is accepted.
type deliveryCache struct {
	size  int
	ttl   time.Duration
	order *list.List // of seenDelivery, newest first
	byID  map[string]*list.Element
}

type seenDelivery struct {
	id string
	at time.Time
}

func newDeliveryCache(size int, ttl time.Duration) *deliveryCache {
	return &deliveryCache{size: size, ttl: ttl, order: list.New(), byID: make(map[string]*list.Element)}
}

// seen reports whether id was remembered less than ttl before now.
func (c *deliveryCache) seen(id string, now time.Time) bool {
	e, ok := c.byID[id]
	if !ok {
		return false
	}
	if now.Sub(e.Value.(seenDelivery).at) >= c.ttl {
		c.order.Remove(e)
		delete(c.byID, id)
		return false
	}
	return true
}

// remember records id at now, evicting expired ids and then the oldest ones
// beyond size.
func (c *deliveryCache) remember(id string, now time.Time) {
	if e, ok := c.byID[id]; ok {
		e.Value = seenDelivery{id: id, at: now}
		c.order.MoveToFront(e)
	} else {
		c.byID[id] = c.order.PushFront(seenDelivery{id: id, at: now})
	}
	for e := c.order.Back(); e != nil; e = c.order.Back() {
		d := e.Value.(seenDelivery)
		if c.order.Len() <= c.size && now.Sub(d.at) < c.ttl {
			break
		}
		c.order.Remove(e)
		delete(c.byID, d.id)
	}
}

func (c *deliveryCache) len() int { return c.order.Len() }
