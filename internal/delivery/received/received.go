// Package received keeps the messages that a local provider server used
// in tests (twiliotest, webhooktest, smtptest) has accepted, in order,
// and hands each to a test once, waiting for it when it has not come yet.
package received

import (
	"context"
	"slices"
	"sync"
)

// Log is the messages a server accepted, oldest first. The zero value is
// an empty log; its methods are safe for concurrent use.
type Log[M any] struct {
	mu       sync.Mutex
	messages []M
	taken    []bool        // taken[i]: messages[i] was returned by Take
	arrived  chan struct{} // closed and replaced whenever a message arrives
}

// Add keeps m and wakes those waiting in Take.
func (l *Log[M]) Add(m M) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.messages = append(l.messages, m)
	l.taken = append(l.taken, false)
	if l.arrived != nil {
		close(l.arrived)
		l.arrived = nil
	}
}

// All returns every message, oldest first, taken or not.
func (l *Log[M]) All() []M {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.messages)
}

// Take returns the oldest message that match accepts and that Take did
// not return before, blocking until one arrives or ctx is done.
func (l *Log[M]) Take(ctx context.Context, match func(M) bool) (M, error) {
	for {
		l.mu.Lock()
		for i, m := range l.messages {
			if !l.taken[i] && match(m) {
				l.taken[i] = true
				l.mu.Unlock()
				return m, nil
			}
		}
		if l.arrived == nil {
			l.arrived = make(chan struct{})
		}
		arrived := l.arrived
		l.mu.Unlock()
		select {
		case <-arrived:
		case <-ctx.Done():
			var none M
			return none, ctx.Err()
		}
	}
}
