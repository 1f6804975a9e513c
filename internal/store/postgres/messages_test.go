package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/storetest"
)

func TestMessagesConformance(t *testing.T) {
	d := pgtest.Shared(t)
	storetest.RunMessages(t, func(t *testing.T) storetest.MessageStore {
		return open(t, d.ReusedSchema(t))
	})
}

// TestTwoInstancesClaimMessages claims messages through two DBs on one
// schema, as two portal processes' dispatchers would: each message goes to
// exactly one claimer.
func TestTwoInstancesClaimMessages(t *testing.T) {
	ctx := t.Context()
	dbs := twoInstances(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		const n = 100
		var ids []int64
		for i := range n {
			m := &store.Message{UserID: u.ID, Channel: store.ChannelSMS, To: fmt.Sprintf("+155555501%02d", i),
				Sealed: []byte("sealed"), CreatedAt: at.Add(time.Duration(i) * time.Millisecond)}
			if err := dbs[i%2].EnqueueMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		now := at.Add(time.Duration(round+1) * time.Hour)
		storetest.ClaimEachOnce(t, []store.Messages{dbs[0], dbs[1]}, 20, now, ids)
		for _, id := range ids { // out of the way of the next round
			if err := dbs[round%2].CompleteMessage(ctx, id, store.MessageUpdate{Status: store.MessageSent, At: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
