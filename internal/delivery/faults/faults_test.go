package faults_test

import (
	"testing"

	"github.com/providerportal/portal/internal/delivery/faults"
)

func TestQueueGivesEachFailureOnceInOrder(t *testing.T) {
	var q faults.Queue[int]
	if f, ok := q.Next(); ok {
		t.Fatalf("an empty queue gave %d", f)
	}
	q.Push(503)
	q.Push(429)
	for _, want := range []int{503, 429} {
		if f, ok := q.Next(); !ok || f != want {
			t.Fatalf("Next = %d, %v; want %d", f, ok, want)
		}
	}
	if f, ok := q.Next(); ok {
		t.Fatalf("after both were used the queue gave %d", f)
	}
}
