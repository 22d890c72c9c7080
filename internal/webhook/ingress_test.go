package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ownerbot/ownerbot/internal/datasettest"
	"github.com/ownerbot/ownerbot/internal/ghtest"
)

// allocated returns the bytes the process allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// stalledBody sends a few bytes and then fails, as a connection that
// announced a large body and went quiet does when the server's read
// timeout ends it.
type stalledBody struct{ sent bool }

func (b *stalledBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, errors.New("read timeout")
	}
	b.sent = true
	return copy(p, `{"action":"opened"`), nil
}

// repeatedBody is n bytes of a JSON object, produced on the fly so the test
// itself holds none of it.
type repeatedBody struct{ n, off int64 }

func (b *repeatedBody) Read(p []byte) (int, error) {
	if b.off >= b.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), b.n-b.off))
	p = p[:k]
	// Spaces by doubling copies, not byte by byte: under -race every
	// byte written in a loop is checked, and these bodies are 25 MiB.
	p[0] = ' '
	for filled := 1; filled < k; filled *= 2 {
		copy(p[filled:], p[:filled])
	}
	if b.off+int64(k) == b.n {
		p[k-1] = '}'
	}
	if b.off == 0 {
		p[0] = '{'
	}
	b.off += int64(k)
	return k, nil
}

// TestRepeatedBody: the body is "{", spaces and "}", whatever the reads.
func TestRepeatedBody(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		read int
	}{{2, 1}, {3, 1}, {5, 2}, {100, 7}, {100, 100}, {100, 4096}, {1 << 16, 1000}} {
		want := "{" + strings.Repeat(" ", int(tt.n-2)) + "}"
		var got []byte
		b := &repeatedBody{n: tt.n}
		buf := make([]byte, tt.read)
		for {
			k, err := b.Read(buf)
			got = append(got, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil || k == 0 {
				t.Fatalf("n %d: read %d, %v", tt.n, k, err)
			}
		}
		if string(got) != want {
			t.Errorf("n %d in reads of %d: got %q, want %q", tt.n, tt.read, got, want)
		}
	}
}

func signRepeated(n int64) string {
	c := newSignatureCheck("", [][]byte{[]byte(testSecret)})
	io.Copy(c, &repeatedBody{n: n})
	return "sha256=" + fmt.Sprintf("%x", c.macs[0].Sum(nil))
}

// Memory before the signature is checked follows the bytes that arrived,
// never the Content-Length announced, and a body grows in chunks, not by
// doubling: a refused body never gets a buffer of its size, an accepted
// one gets exactly its size.
func TestBodyMemoryFollowsBytesReceived(t *testing.T) {
	const mib = 1 << 20
	h := newHarness(t, recorder(make(chan Event, 1)), nil)

	t.Run("announced 25 MiB, sent 18 bytes", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhook", &stalledBody{})
		r.ContentLength = 25 * mib
		r.Header.Set("X-Hub-Signature-256", sign(testSecret, []byte("x")))
		w := httptest.NewRecorder()
		got := allocated(func() { h.ServeHTTP(w, r) })
		if w.Code != http.StatusBadRequest {
			t.Errorf("status %d, want 400", w.Code)
		}
		if got > 64<<10 {
			t.Errorf("allocated %d KiB for 18 bytes received, want at most 64 KiB whatever Content-Length says", got>>10)
		}
	})

	t.Run("chunked 25 MiB with a wrong signature", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhook", &repeatedBody{n: 25 * mib})
		r.ContentLength = -1
		r.Header.Set("X-Hub-Signature-256", sign("wrong", nil))
		w := httptest.NewRecorder()
		got := allocated(func() { h.ServeHTTP(w, r) })
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", w.Code)
		}
		// The chunks that held what was sent, and nothing else: doubling
		// growth allocates about 64 MiB for it.
		if got > 26*mib {
			t.Errorf("allocated %d MiB to refuse a 25 MiB body, want at most 26", got/mib)
		}
	})

	t.Run("chunked 25 MiB signed", func(t *testing.T) {
		var payload []byte
		h := newHarness(t, recorder(make(chan Event, 1)), func(c *Config) {
			c.Accept = func(ev Event) bool { payload = ev.Payload; return false }
		})
		const n = 25 * mib
		r := httptest.NewRequest(http.MethodPost, "/webhook", &repeatedBody{n: n})
		r.ContentLength = -1
		r.Header.Set("X-Hub-Signature-256", signRepeated(n))
		r.Header.Set("X-GitHub-Event", "push")
		r.Header.Set("X-GitHub-Delivery", "big")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			t.Fatalf("status %d, want 202 (%s)", w.Code, w.Body)
		}
		if len(payload) != n || cap(payload) != n {
			t.Errorf("payload len %d cap %d, want both %d: a body is held in a buffer of its size", len(payload), cap(payload), n)
		}
	})
}

// stallAfter opens a connection to srv that sends the headers of a delivery
// announcing 25 MiB, with a well-formed signature that is not the body's,
// then sent bytes of its body, and nothing more.
func stallAfter(t *testing.T, srv *httptest.Server, sent int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 26214400\r\nX-Hub-Signature-256: sha256=%s\r\n\r\n%s",
		strings.Repeat("0", 64), strings.Repeat(" ", sent))
	return conn
}

// Bodies whose bytes go past 64 KiB need a read slot. With every slot held
// by connections that sent a little more than 64 KiB of a 25 MiB body and
// went quiet, another large body is answered 503 with Retry-After at once
// (announced or growing), while an ordinary delivery is still accepted;
// once the slots are free, large bodies are read again.
func TestLargeBodyReadsAreCapped(t *testing.T) {
	handled := make(chan Event, 10)
	h := newHarness(t, recorder(handled), func(c *Config) { c.BodyReads = 2 })
	h.start(t)
	srv := httptest.NewServer(h)
	defer srv.Close()

	silent := []net.Conn{stallAfter(t, srv, freeBody+1), stallAfter(t, srv, freeBody+1)}
	waitFor(t, func() bool { return len(h.reads.slots) == 2 })

	large := append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), 100<<10)...)
	large = append(large, `"}`...)
	// A chunked body that ends at 64 KiB exactly is read without a slot.
	exact := append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), freeBody-len(`{"ref":"refs/heads/main","pad":""}`))...)
	exact = append(exact, `"}`...)
	post := func(delivery string, body []byte, chunked bool) *http.Response {
		t.Helper()
		var rd io.Reader = bytes.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", delivery)
		req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	type answer struct {
		Status     int
		RetryAfter string
	}
	got := map[string]answer{}
	for _, tc := range []struct {
		name    string
		body    []byte
		chunked bool
	}{
		{"small", []byte(`{"ref":"refs/heads/main"}`), false},
		{"large", large, false},
		{"large-chunked", large, true},
		{"64KiB-chunked", exact, true},
	} {
		resp := post(tc.name, tc.body, tc.chunked)
		got[tc.name] = answer{resp.StatusCode, resp.Header.Get("Retry-After")}
	}
	want := map[string]answer{
		"small":         {http.StatusAccepted, ""},
		"large":         {http.StatusServiceUnavailable, "30"},
		"large-chunked": {http.StatusServiceUnavailable, "30"},
		"64KiB-chunked": {http.StatusAccepted, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers with every read slot held (-want +got):\n%s", diff)
	}
	if n := h.deliveries("", "", outcomeBusy); n != 2 {
		t.Errorf("deliveries{outcome=busy} = %d, want 2", n)
	}

	for _, conn := range silent {
		conn.Close()
	}
	waitFor(t, func() bool { return len(h.reads.slots) == 0 })
	if resp := post("large-later", large, false); resp.StatusCode != http.StatusAccepted {
		t.Errorf("large delivery with the slots free: %d, want 202", resp.StatusCode)
	}
}

// A connection that takes a read slot and then sends its body slowly, or
// not at all, gives the slot back at BodyReadTimeout (GitHub's 10 s by
// default, after which the delivery has failed anyway), answered 400,
// rather than at the server's read timeout.
func TestSlotOfASilentBodyIsFreed(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), func(c *Config) {
		c.BodyReads = 1
		c.BodyReadTimeout = 100 * time.Millisecond
	})
	srv := httptest.NewServer(h) // no read timeout of its own
	defer srv.Close()
	for _, trickle := range []bool{false, true} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A slot is taken only past 64 KiB received.
		fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 26214400\r\nX-Hub-Signature-256: %s\r\n\r\n{%s",
			sign(testSecret, nil), strings.Repeat(" ", freeBody))
		stop := make(chan struct{})
		if trickle {
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
						conn.Write([]byte(" "))
					}
				}
			}()
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		close(stop)
		if err != nil {
			t.Fatalf("trickle %v: no answer: %v", trickle, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("trickle %v: %d, want 400", trickle, resp.StatusCode)
		}
		waitFor(t, func() bool { return len(h.reads.slots) == 0 })
	}
}

// noticingBody tells when the handler asks for more of a body than the
// client sent: the handler is then waiting on the client.
type noticingBody struct {
	io.ReadCloser
	sent, got int64
	waiting   func()
}

func (b *noticingBody) Read(p []byte) (int, error) {
	if b.got == b.sent && b.waiting != nil {
		b.waiting()
		b.waiting = nil
	}
	k, err := b.ReadCloser.Read(p)
	b.got += int64(k)
	return k, err
}

// Announcing a large body takes no read slot; sending 64 KiB of it takes
// none either. With as many such connections as there are slots (the
// default four), all waiting for their bodies, a genuine signed delivery of
// 100 KiB is still read and accepted.
func TestAnnouncedLengthTakesNoSlot(t *testing.T) {
	handled := make(chan Event, 1)
	h := newHarness(t, recorder(handled), nil)
	h.start(t)
	var waiting atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sent, err := strconv.ParseInt(r.Header.Get("X-Test-Sent"), 10, 64); err == nil {
			r.Body = &noticingBody{ReadCloser: r.Body, sent: sent, waiting: func() { waiting.Add(1) }}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	sent := []int{0, 0, freeBody, freeBody}
	if len(sent) != DefaultBodyReads {
		t.Fatalf("%d connections for %d slots", len(sent), DefaultBodyReads)
	}
	for _, n := range sent {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 26214400\r\nX-Hub-Signature-256: sha256=%s\r\nX-Test-Sent: %d\r\n\r\n%s",
			strings.Repeat("0", 64), n, strings.Repeat(" ", n))
	}
	waitFor(t, func() bool { return waiting.Load() == int32(len(sent)) })

	body := append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), 100<<10)...)
	body = append(body, `"}`...)
	resp, err := http.DefaultClient.Do(ghtest.NewRequest(srv.URL, "push", "genuine", body, []byte(testSecret)))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("signed 100 KiB delivery beside %d connections announcing 25 MiB: %d %q, want 202", len(sent), resp.StatusCode, text)
	}
	if got := receive(t, handled); len(got.Payload) != len(body) {
		t.Errorf("handled a payload of %d bytes, want %d", len(got.Payload), len(body))
	}
	if n := h.deliveries("", "", outcomeBusy); n != 0 {
		t.Errorf("deliveries{outcome=busy} = %d, want 0", n)
	}
}

// Without a signature header, or with one that is not sha256=<64 hex
// digits>, the answer is known before the body: 401 at once, not a byte of
// the body read, no slot taken, and the connection closed rather than
// drained.
func TestUnsignedBodyIsNotRead(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 1)), nil)
	for _, tc := range []struct {
		name, signature string
		length          int64
	}{
		{"no header, announced 25 MiB", "", 25 << 20},
		{"no header, chunked", "", -1},
		{"no header, small", "", 1000},
		{"not hex", "sha256=" + strings.Repeat("z", 64), 25 << 20},
		{"short", "sha256=00", -1},
		{"sha1", "sha1=" + strings.Repeat("0", 40), 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read atomic.Int64
			r := httptest.NewRequest(http.MethodPost, "/webhook", countingReader{&repeatedBody{n: 25 << 20}, &read})
			r.ContentLength = tc.length
			r.Header.Set("X-GitHub-Event", "push")
			r.Header.Set("X-GitHub-Delivery", "d")
			if tc.signature != "" {
				r.Header.Set("X-Hub-Signature-256", tc.signature)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := []any{w.Code, w.Body.String(), w.Header().Get("Connection"), read.Load(), len(h.reads.slots)}
			want := []any{http.StatusUnauthorized, "invalid signature\n", "close", int64(0), 0}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status, answer, Connection, bytes read, slots held (-want +got):\n%s", diff)
			}
		})
	}
	if n := h.deliveries("", "", outcomeRejectedSignature); n != 6 {
		t.Errorf("deliveries{outcome=rejected_signature} = %d, want 6", n)
	}
}

// The queue is bounded in payload bytes as well as in jobs: with the
// workers busy, deliveries beyond QueueBytes are refused 503 and not
// remembered, a coalesced replacement that would not fit too; the gauge
// says what is held; a queue with nothing else in it takes one delivery of
// any size.
func TestQueueIsBoundedInBytes(t *testing.T) {
	gate := make(chan struct{}) // one token lets one job finish
	started := make(chan Event, 10)
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		started <- ev
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return nil
	}), func(c *Config) { c.Workers = 1; c.QueueBytes = 10000 })
	h.Start(context.Background())
	defer func() {
		close(gate)
		h.Shutdown(context.Background())
	}()
	padded := func(pr int, updated time.Time, size int) []byte {
		b := prPayload("synchronize", pr, "sha", updated)
		return append(b[:len(b)-1], fmt.Sprintf(`,"pad":%q}`, strings.Repeat("x", size-len(b)-9))...)
	}
	code := func(delivery string, body []byte) int { return h.post("pull_request", delivery, body).Code }

	// Running jobs are not counted.
	if c := code("run", padded(1, t0, 9000)); c != http.StatusAccepted {
		t.Fatalf("first: %d", c)
	}
	receive(t, started)
	got := []int{
		code("a", padded(2, t0, 4000)),                         // 4,000 held
		code("b", padded(3, t0, 4000)),                         // 8,000 held
		code("c", padded(4, t0, 4000)),                         // 12,000: over
		code("b-newer", padded(3, t0.Add(time.Second), 7000)),  // replaces 4,000 by 7,000: 11,000, over
		code("b-newer2", padded(3, t0.Add(time.Second), 5000)), // replaces 4,000 by 5,000: 9,000
		code("c", padded(4, t0, 1000)),                         // c was not remembered: 10,000
	}
	want := []int{202, 202, 503, 503, 202, 202}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if g := testutil.ToFloat64(h.m.queue.bytes); g != 10000 {
		t.Errorf("queue bytes gauge = %v, want 10000", g)
	}
	if n := h.deliveries("pull_request", "synchronize", outcomeQueueFull); n != 2 {
		t.Errorf("queue_full = %d, want 2", n)
	}

	// Free the worker: the queue empties, and then takes one delivery of
	// any size.
	for range 4 {
		gate <- struct{}{}
	}
	waitFor(t, func() bool { return testutil.ToFloat64(h.m.queue.bytes) == 0 })
	if c := code("big", padded(9, t0, 50000)); c != http.StatusAccepted {
		t.Errorf("a 50,000-byte delivery into an empty queue bounded at 10,000 bytes: %d, want 202", c)
	}
}

// The action label takes its values from a fixed set: a payload's action
// is text the sender chose.
func TestActionLabelIsBounded(t *testing.T) {
	h := newHarness(t, recorder(make(chan Event, 10)), nil)
	huge := strings.Repeat("a", 1<<20)
	for i, action := range []string{huge, "opened", "labeled", "Opened", "opened\n"} {
		h.post("pull_request", fmt.Sprint("d", i), fmt.Appendf(nil, `{"action":%q}`, action))
	}
	h.post("issues", "d-issue", []byte(`{"action":"opened"}`))
	h.post("push", "d-push", []byte(`{}`))

	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "ownerbot_webhook_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["event"]+"/"+labels["action"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"pull_request/opened/accepted": 1,
		"pull_request/labeled/ignored": 1,
		"pull_request/other/ignored":   3,
		"issues/other/ignored":         1,
		"push//accepted":               1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries by event/action/outcome (-want +got):\n%s", diff)
	}
}

// The actions that become labels are GitHub's own, for every event the
// App receives: each documented action of those events is its own label.
func TestActionLabelsAreGitHubs(t *testing.T) {
	path := filepath.Join(datasettest.Shared(t, filepath.Join("github", "rest")), "webhooks.api.github.com.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Webhooks map[string]struct {
			Post struct {
				OperationID string `json:"operationId"`
			} `json:"post"`
		} `json:"webhooks"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	// Every event deploy/app.yml subscribes to, and those every App gets.
	events := map[string]bool{"pull_request": true, "pull_request_review": true, "check_run": true, "check_suite": true,
		"push": true, "installation": true, "installation_repositories": true}
	checked := 0
	for _, hook := range spec.Webhooks {
		event, action, _ := strings.Cut(strings.ReplaceAll(hook.Post.OperationID, "-", "_"), "/")
		if !events[event] {
			continue
		}
		checked++
		if got := actionLabel(event, action); got != action {
			t.Errorf("actionLabel(%q, %q) = %q, want the action itself: GitHub documents it", event, action, got)
		}
	}
	if checked < 30 {
		t.Errorf("only %d documented actions of the App's events found in %s", checked, path)
	}
	for _, tc := range [][2]string{{"pull_request", "created"}, {"issues", "opened"}, {"check_run", "rerequested "}, {"push", "x"}} {
		if got := actionLabel(tc[0], tc[1]); got != actionOther {
			t.Errorf("actionLabel(%q, %q) = %q, want %q", tc[0], tc[1], got, actionOther)
		}
	}
}

// Deliveries dropped at the shutdown deadline are logged one by one, with
// their id and event, so that an operator can redeliver them.
func TestShutdownLogsDroppedDeliveries(t *testing.T) {
	started := make(chan struct{})
	h := newHarness(t, HandlerFunc(func(ctx context.Context, ev Event) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}), func(c *Config) { c.Workers = 1 })
	h.Start(context.Background())
	h.post("pull_request", "d-running", prPayload("opened", 1, "a", t0))
	<-started
	h.post("pull_request", "d-queued", prPayload("opened", 2, "b", t0))
	h.post("pull_request", "d-pending", prPayload("synchronize", 1, "c", t0))
	h.post("push", "d-push", []byte(`{}`))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want context.Canceled", err)
	}
	type line struct{ Level, Message, Delivery, Event, Action string }
	var got []line
	sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l.Message, "webhook delivery dropped at shutdown") {
			got = append(got, l)
		}
	}
	const msg = "webhook delivery dropped at shutdown: redeliver it from the App's Advanced tab"
	want := []line{
		{"warn", msg, "d-queued", "pull_request", "opened"},
		{"warn", msg, "d-push", "push", ""},
		{"warn", msg, "d-pending", "pull_request", "synchronize"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dropped deliveries logged (-want +got):\n%s", diff)
	}
}

// A webhook set to application/x-www-form-urlencoded sends payload=<the
// JSON, escaped>, signed as sent: it is checked over the raw form, then
// decoded, and handled like the JSON delivery.
func TestFormEncodedDeliveries(t *testing.T) {
	original := ghtest.Delivery(t, "pull_request", "opened")
	form := []byte("payload=" + url.QueryEscape(string(original)))
	formRequest := func(body []byte, signature string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-GitHub-Event", "pull_request")
		r.Header.Set("X-GitHub-Delivery", "form-1")
		r.Header.Set("X-Hub-Signature-256", signature)
		return r
	}
	secret := []byte(testSecret)
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"signed form", formRequest(form, ghtest.Sign(secret, form)), http.StatusAccepted, "accepted\n"},
		{"signature of the JSON inside", formRequest(form, ghtest.Sign(secret, original)), http.StatusUnauthorized, "invalid signature\n"},
		{"no payload field", formRequest([]byte("other=1"), ghtest.Sign(secret, []byte("other=1"))), http.StatusBadRequest,
			"form-encoded delivery without one payload field (no payload field): set the webhook's content type to application/json\n"},
		{"bad escape", formRequest([]byte("payload=%zz"), ghtest.Sign(secret, []byte("payload=%zz"))), http.StatusBadRequest,
			"form-encoded delivery without one payload field (payload field: invalid escape at byte 0): set the webhook's content type to application/json\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled := make(chan Event, 1)
			h := newHarness(t, recorder(handled), nil)
			h.start(t)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if diff := cmp.Diff([]any{tt.wantStatus, tt.wantBody}, []any{w.Code, w.Body.String()}); diff != "" {
				t.Fatalf("answer (-want +got):\n%s", diff)
			}
			if tt.wantStatus != http.StatusAccepted {
				return
			}
			ev := receive(t, handled)
			type fields struct {
				Action         string
				InstallationID int64
				Owner, Repo    string
				PR             int
				HeadSHA        string
				Parsed         string
			}
			got := fields{ev.Action, ev.InstallationID, ev.Owner, ev.Repo, ev.PR, ev.HeadSHA, fmt.Sprintf("%T", ev.Parsed)}
			want := fields{"opened", 1, "Codertocat", "Hello-World", 2, "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "*github.PullRequestEvent"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if !bytes.Equal(ev.Payload, original) {
				t.Errorf("Payload is not the JSON the form carried (%d bytes, want %d)", len(ev.Payload), len(original))
			}
		})
	}
}

// FuzzFormPayload holds formPayload to url.ParseQuery wherever the latter
// accepts the body: the same payload, or an error where there is not
// exactly one; and never a result longer than the body.
func FuzzFormPayload(f *testing.F) {
	for _, seed := range []string{"payload=%7B%7D", "payload=a+b&x=1", "x=1", "payload=1&payload=2", "payloa%64=x", "payload=%zz", "", "&&payload", "payload;=1"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := formPayload(body)
		if len(got) > len(body) {
			t.Fatalf("payload of %d bytes from a body of %d", len(got), len(body))
		}
		values, qerr := url.ParseQuery(string(body))
		if qerr != nil {
			return
		}
		switch payloads := values["payload"]; {
		case len(payloads) == 1:
			if err != nil || string(got) != payloads[0] {
				t.Fatalf("formPayload(%q) = %q, %v; url.ParseQuery says %q", body, got, err, payloads[0])
			}
		case err == nil:
			t.Fatalf("formPayload(%q) = %q with %d payload fields", body, got, len(payloads))
		}
	})
}
