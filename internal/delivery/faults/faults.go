// Package faults is the fault injection shared by the local provider
// servers used in tests (twiliotest, webhooktest): answers that come
// slowly, and an outage during which every request is refused. A server
// embeds an Injector, so its Slow, Down and Up are the server's. A Queue
// holds the one-off failures a test asks for (smtptest's too).
package faults

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Injector holds the faults in force. The zero value is not usable: make
// one with New.
type Injector struct {
	mu         sync.Mutex
	delay      time.Duration // Slow
	down       bool          // Down
	retryAfter time.Duration // Retry-After while down; 0 for none

	closeOnce sync.Once
	closing   chan struct{} // closed by Close, to end slow answers at once
}

// New returns an Injector with no faults.
func New() *Injector { return &Injector{closing: make(chan struct{})} }

// Slow makes every answer wait d before it is given, as a slow provider
// would (the request is still handled if the client waits that long).
// Slow(0) restores prompt answers.
func (f *Injector) Slow(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Down makes every request fail as unavailable until Up is called. With a
// positive retryAfter (only the first value is used) the answers carry a
// Retry-After header of that many seconds, rounded up.
func (f *Injector) Down(retryAfter ...time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.retryAfter = true, 0
	if len(retryAfter) > 0 && retryAfter[0] > 0 {
		f.retryAfter = retryAfter[0]
	}
}

// Up ends Down.
func (f *Injector) Up() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.retryAfter = false, 0
}

// Close ends the slow answers under way at once; call it when the server
// closes.
func (f *Injector) Close() { f.closeOnce.Do(func() { close(f.closing) }) }

// Wrap returns next with the faults in force. While down, unavailable
// writes the answer, after the Retry-After header (if any) is set.
func (f *Injector) Wrap(next http.Handler, unavailable func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		delay := f.delay
		f.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			case <-f.closing:
				return
			}
		}
		// Read after the delay, so Up during a slow request is seen.
		f.mu.Lock()
		down, retryAfter := f.down, f.retryAfter
		f.mu.Unlock()
		if down {
			if retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
			}
			unavailable(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Queue holds the failures a test asked for, each to answer one request,
// in order (twiliotest's FailNext, webhooktest's FailNext, smtptest's
// RejectNext). The zero value is empty; it is safe for concurrent use.
type Queue[F any] struct {
	mu   sync.Mutex
	next []F
}

// Push adds f after the failures already queued.
func (q *Queue[F]) Push(f F) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next = append(q.next, f)
}

// Next removes and returns the oldest queued failure; ok is false when
// none is left.
func (q *Queue[F]) Next() (f F, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.next) == 0 {
		return f, false
	}
	f, q.next = q.next[0], q.next[1:]
	return f, true
}
