package enginetest_test

import (
	"os"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/enginetest"
	"github.com/providerportal/portal/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestEveryStoreStartsEmpty fills a store, ends the test, and opens the
// next: on PostgreSQL it gets the same, emptied, schema, in which nothing
// of the first is left and numbering starts again, as in a new database.
func TestEveryStoreStartsEmpty(t *testing.T) {
	enginetest.Each(t, func(t *testing.T, e enginetest.Engine) {
		for round := range 3 {
			t.Run("", func(t *testing.T) {
				s := e.Open(t)
				ctx := t.Context()
				if got, err := s.ListUsers(ctx, store.UserQuery{Limit: 10}); err != nil || len(got) != 0 {
					t.Fatalf("round %d: a new store holds users %v (%v)", round, got, err)
				}
				if got, err := s.ListAudit(ctx, store.AuditQuery{Limit: 10}); err != nil || len(got) != 0 {
					t.Fatalf("round %d: a new store holds audit events %v (%v)", round, got, err)
				}
				if _, ok, err := s.Setting(ctx, "mfa_policy"); err != nil || ok {
					t.Fatalf("round %d: a new store holds a setting (%v)", round, err)
				}
				u := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: t0}
				if err := s.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				if u.ID != 1 {
					t.Errorf("round %d: the first user is number %d, want 1", round, u.ID)
				}
				if err := s.AppendAudit(ctx, &store.AuditEvent{Time: t0, Event: "test", Outcome: "success", SubjectID: u.ID}); err != nil {
					t.Fatal(err)
				}
				if err := s.SetSetting(ctx, "mfa_policy", "required"); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// TestPeakConns shows that calls made at once use several PostgreSQL
// connections at once, and that PeakConns sees it.
func TestPeakConns(t *testing.T) {
	s := enginetest.PostgreSQL.Open(t)
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if p := enginetest.PeakConns(s); p != 1 {
		t.Errorf("after one Ping: peak %d connections, want 1", p)
	}
	if p := enginetest.PeakConns(s); p != 0 {
		t.Errorf("after nothing: peak %d connections, want 0", p)
	}
	storetest.Concurrently(8, func(int) {
		for range 20 {
			s.Ping(ctx)
		}
	})
	if p := enginetest.PeakConns(s); p < 2 {
		t.Errorf("8 goroutines pinging at once: peak %d connections, want more than 1", p)
	}
	if p := enginetest.PeakConns(enginetest.SQLite.Open(t)); p != 0 {
		t.Errorf("SQLite: peak %d, want 0 (not counted)", p)
	}
}
