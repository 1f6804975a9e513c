package delivery

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/testlog"
)

// TestDrain: whole batches are claimed again at once; a short batch, or
// an error, waits for the poll or a kick; the loop ends with ctx.
func TestDrain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	kick := make(chan struct{}, 1)
	var log testlog.Buffer
	turns := make(chan int, 16)
	// Two full batches, then a short one; after the kick an error.
	answers := []struct {
		n   int
		err error
	}{{3, nil}, {3, nil}, {1, nil}, {3, errors.New("database gone")}}
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		Drain(ctx, time.Hour, 3, kick, slog.New(slog.NewTextHandler(&log, nil)), "test queue", func(context.Context) (int, error) {
			a := answers[min(calls, len(answers)-1)]
			calls++
			turns <- calls
			return a.n, a.err
		})
	}()
	next := func(want int) {
		t.Helper()
		select {
		case got := <-turns:
			if got != want {
				t.Fatalf("call %d came instead of %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d did not come", want)
		}
	}
	for want := 1; want <= 3; want++ {
		next(want)
	}
	select {
	case n := <-turns:
		t.Fatalf("claimed again (call %d) after a short batch, before the poll or a kick", n)
	case <-time.After(50 * time.Millisecond):
	}
	kick <- struct{}{}
	next(4) // brought by the kick
	select {
	case n := <-turns:
		t.Fatalf("claimed again (call %d) after an error, before the poll or a kick", n)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	<-done
	if s := log.String(); !strings.Contains(s, "test queue") || !strings.Contains(s, "database gone") {
		t.Fatalf("the error was not logged as the queue's: %q", s)
	}
}
