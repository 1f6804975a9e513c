package storetest

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var auditTests = []test{
	{"AppendAudit", testAppendAudit},
	{"AuditForUser", testAuditForUser},
}

func appendAudit(t *testing.T, s store.Store, e store.AuditEvent) store.AuditEvent {
	t.Helper()
	mustCreate(t, s.AppendAudit(t.Context(), &e), "AppendAudit", &e.ID)
	return e
}

func testAppendAudit(t *testing.T, s store.Store) {
	e := appendAudit(t, s, store.AuditEvent{
		Time: t0, Event: "code.sent", Outcome: "success", ActorID: 7, SubjectID: 7,
		IP: "192.0.2.1", UserAgent: "Test/1.0", Detail: "sms to +1555555••00",
	})
	f := appendAudit(t, s, store.AuditEvent{Time: t0, Event: "login.password", Outcome: "no such user"})
	if e.ID == f.ID {
		t.Errorf("two events have ID %d", e.ID)
	}
	got, err := s.AuditForUser(t.Context(), 7, 10)
	mustNot(t, err, "AuditForUser")
	if len(got) != 1 {
		t.Fatalf("AuditForUser returned %d events, want 1", len(got))
	}
	checkRecord(t, "audit event", got[0], e)
}

func testAuditForUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	ev := func(at time.Time, actor, subject int64) store.AuditEvent {
		return appendAudit(t, s, store.AuditEvent{Time: at, Event: "test", Outcome: "success", ActorID: actor, SubjectID: subject})
	}
	e1 := ev(t0, 1, 1)
	e2 := ev(t0.Add(time.Minute), 1, 2) // user 1 acted on user 2
	e3 := ev(t0.Add(2*time.Minute), 2, 2)
	e4 := ev(t0.Add(3*time.Minute), 0, 1) // actor unknown
	e5 := ev(t0.Add(3*time.Minute), 1, 1) // same time as e4, appended later
	e0 := ev(t0.Add(-time.Hour), 1, 1)    // appended last, but the oldest
	ev(t0.Add(4*time.Minute), 3, 3)

	ids := func(es []store.AuditEvent) []int64 {
		var ids []int64
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		user  int64
		limit int
		want  []store.AuditEvent
	}{
		{1, 10, []store.AuditEvent{e5, e4, e2, e1, e0}},
		{1, 2, []store.AuditEvent{e5, e4}},
		{1, 0, []store.AuditEvent{e5, e4, e2, e1, e0}}, // no limit
		{2, 10, []store.AuditEvent{e3, e2}},
		{4, 10, nil},
	} {
		got, err := s.AuditForUser(ctx, tc.user, tc.limit)
		mustNot(t, err, "AuditForUser")
		if len(got) != len(tc.want) {
			t.Errorf("AuditForUser(%d, %d) = events %v, want %v", tc.user, tc.limit, ids(got), ids(tc.want))
			continue
		}
		for i := range got {
			checkRecord(t, "audit event", got[i], tc.want[i])
		}
	}
}
