package webhook

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// How a body is held before its signature is checked. Memory follows the
// bytes that arrived, never the Content-Length announced: a connection that
// sends headers and nothing else costs one chunk.
const (
	// bodyChunk is the unit a body is read into and held in until its
	// signature is checked.
	bodyChunk = 16 << 10
	// freeBody is how much of a body is read without a read slot. Most
	// deliveries (a pull_request event is about 30 KB) fit. A body whose
	// bytes actually go past it needs one of Config.BodyReads slots, or is
	// answered 503 at once; announcing a large Content-Length takes none, so
	// connections that announce large bodies and send nothing cannot keep a
	// genuine large delivery out.
	freeBody = 4 * bodyChunk
)

// refusal is why a delivery is answered without becoming an event.
type refusal int

const (
	notRefused refusal = iota
	refusedTooLarge
	refusedIncomplete
	refusedSignature
	refusedUnsigned // no signature header, or not sha256=<64 hex digits>
	refusedBusy
)

// answer is what a refusal is answered with and counted as.
func (r refusal) answer() (status int, outcome, reason string) {
	switch r {
	case refusedTooLarge:
		return http.StatusRequestEntityTooLarge, outcomeTooLarge, "body too large"
	case refusedIncomplete:
		return http.StatusBadRequest, outcomeBadRequest, "incomplete body"
	case refusedSignature, refusedUnsigned:
		return http.StatusUnauthorized, outcomeRejectedSignature, "invalid signature"
	default: // refusedBusy
		return http.StatusServiceUnavailable, outcomeBusy, "too many large deliveries being read"
	}
}

// bodyReads holds the chunks of bodies being read and the slots that let a
// body grow past freeBody.
type bodyReads struct {
	chunks sync.Pool // of *[]byte, each bodyChunk long
	slots  chan struct{}
	// slotTimeout is how long a body may take to arrive once it holds a
	// slot, so that a connection that announces a large body and sends it
	// slowly, or not at all, gives its slot back.
	slotTimeout time.Duration
}

func newBodyReads(slots int, slotTimeout time.Duration) *bodyReads {
	b := &bodyReads{slots: make(chan struct{}, slots), slotTimeout: slotTimeout}
	b.chunks.New = func() any {
		c := make([]byte, bodyChunk)
		return &c
	}
	return b
}

// tryAcquire takes a slot if one is free, and gives the rest of the body
// until slotTimeout to arrive; it never waits.
func (b *bodyReads) tryAcquire(w http.ResponseWriter) bool {
	select {
	case b.slots <- struct{}{}:
		// A ResponseWriter that cannot set deadlines (a test's recorder)
		// leaves the server's read timeout in force.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(b.slotTimeout))
		return true
	default:
		return false
	}
}

func (b *bodyReads) release() { <-b.slots }

// receive reads r's body, at most max bytes, in chunks, computing its
// signature as the bytes arrive, and returns it in one slice of its exact
// length once the signature holds. Nothing is parsed, and nothing larger
// than a chunk is allocated, before then: a body that is refused never
// costs more than the chunks that held what was sent.
//
// A read slot is taken only once more than freeBody bytes have arrived,
// whatever Content-Length announces: a connection that announces a large
// body and sends nothing holds one chunk and no slot, so such connections
// cannot keep a genuine large delivery out. A missing or malformed
// signature header is refused before a byte is read.
func (b *bodyReads) receive(w http.ResponseWriter, r *http.Request, max int64, secrets [][]byte) ([]byte, refusal) {
	if r.ContentLength > max {
		return nil, refusedTooLarge
	}
	sig := newSignatureCheck(r.Header.Get("X-Hub-Signature-256"), secrets)
	if !sig.wellFormed() {
		return nil, refusedUnsigned
	}
	slot := false
	defer func() {
		if slot {
			b.release()
		}
	}()
	body := http.MaxBytesReader(w, r.Body, max)
	var chunks []*[]byte
	defer func() {
		for _, c := range chunks {
			b.chunks.Put(c)
		}
	}()
	var n int64
	fill := bodyChunk // of the last chunk; full when there is none
	for r.ContentLength < 0 || n < r.ContentLength {
		if fill == bodyChunk {
			var first []byte // a byte read to learn that the body goes on
			if n >= freeBody && !slot {
				// One byte past freeBody, read before the slot and the next
				// chunk, proves the body is larger; a chunked body that
				// ends here needs no slot.
				var probe [1]byte
				k, err := body.Read(probe[:])
				if k == 0 {
					if errors.Is(err, io.EOF) {
						break
					}
					if refused := readRefusal(err); refused != notRefused {
						return nil, refused
					}
					continue // a reader may return 0, nil
				}
				if slot = b.tryAcquire(w); !slot {
					return nil, refusedBusy
				}
				first = probe[:k]
			}
			chunks = append(chunks, b.chunks.Get().(*[]byte))
			fill = copy(*chunks[len(chunks)-1], first)
			sig.Write(first)
			n += int64(fill)
			if r.ContentLength >= 0 && n >= r.ContentLength {
				break
			}
		}
		cur := (*chunks[len(chunks)-1])[fill:]
		k, err := body.Read(cur)
		sig.Write(cur[:k])
		fill += k
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if refused := readRefusal(err); refused != notRefused {
			return nil, refused
		}
	}
	if r.ContentLength >= 0 && n != r.ContentLength {
		return nil, refusedIncomplete
	}
	if !sig.valid() {
		return nil, refusedSignature
	}
	payload := make([]byte, n)
	off := 0
	for _, c := range chunks {
		off += copy(payload[off:], *c)
	}
	return payload, notRefused
}

// readRefusal is what a failed read of a body is answered with; notRefused
// when err is nil.
func readRefusal(err error) refusal {
	if err == nil {
		return notRefused
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return refusedTooLarge
	}
	return refusedIncomplete
}
