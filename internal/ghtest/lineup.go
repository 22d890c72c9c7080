package ghtest

import (
	"net/http"
	"sync"
	"time"
)

// LineUp is a client transport that holds each request that key selects
// until n requests with the same key have been sent, or a second passes.
// It lines separate processes (each with its own client) up at the moment
// a race between them would do harm, such as two creating the same comment:
// without whatever keeps them apart, all n go at once.
type LineUp struct {
	next    http.RoundTripper
	n       int
	key     func(*http.Request) (string, bool)
	mu      sync.Mutex
	waiting map[string]chan struct{}
	arrived map[string]int
}

// NewLineUp lines up n requests at a time of those key selects, sending
// them on through next.
func NewLineUp(next http.RoundTripper, n int, key func(*http.Request) (string, bool)) *LineUp {
	return &LineUp{next: next, n: n, key: key, waiting: map[string]chan struct{}{}, arrived: map[string]int{}}
}

func (l *LineUp) RoundTrip(r *http.Request) (*http.Response, error) {
	if k, ok := l.key(r); ok {
		l.mu.Lock()
		ch := l.waiting[k]
		if ch == nil {
			ch = make(chan struct{})
			l.waiting[k] = ch
		}
		l.arrived[k]++
		if l.arrived[k] == l.n {
			close(ch)
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	}
	return l.next.RoundTrip(r)
}
