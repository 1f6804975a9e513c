package received_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/received"
)

func TestTakeReturnsEachMatchingMessageOnceInOrder(t *testing.T) {
	var l received.Log[string]
	for _, m := range []string{"a1", "b1", "a2"} {
		l.Add(m)
	}
	isA := func(m string) bool { return m[0] == 'a' }
	ctx := context.Background()
	for _, want := range []string{"a1", "a2"} {
		if got, err := l.Take(ctx, isA); err != nil || got != want {
			t.Fatalf("Take = %q, %v; want %q", got, err, want)
		}
	}
	if got, err := l.Take(ctx, func(string) bool { return true }); err != nil || got != "b1" {
		t.Fatalf("Take of any = %q, %v; want b1, the one not taken", got, err)
	}
	if got := l.All(); len(got) != 3 || got[0] != "a1" || got[2] != "a2" {
		t.Fatalf("All = %q; want every message in order, taken or not", got)
	}
}

func TestTakeWaitsForAMessageToArrive(t *testing.T) {
	var l received.Log[string]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		time.Sleep(20 * time.Millisecond)
		l.Add("other")
		l.Add("late")
	}()
	if got, err := l.Take(ctx, func(m string) bool { return m == "late" }); err != nil || got != "late" {
		t.Fatalf("Take = %q, %v; want late", got, err)
	}
}

func TestTakeEndsWithTheContext(t *testing.T) {
	var l received.Log[string]
	l.Add("not this one")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Take(ctx, func(m string) bool { return m == "never" }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Take = %v; want the context's deadline", err)
	}
}
