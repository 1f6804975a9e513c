package storetest

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// The administrators' view of the audit log.
var auditListTests = []test{
	{"ListAuditEmpty", testListAuditEmpty},
	{"ListAuditNewestFirst", testListAuditNewestFirst},
	{"ListAuditLimit", testListAuditLimit},
	{"ListAuditBeforeID", testListAuditBeforeID},
	{"ListAuditUser", testListAuditUser},
	{"ListAuditEvent", testListAuditEvent},
	{"ListAuditEventPrefix", testListAuditEventPrefix},
	{"ListAuditTimeRange", testListAuditTimeRange},
	{"ListAuditFilters", testListAuditFilters},
	{"ListAuditMatchesModel", testListAuditMatchesModel},
}

func listAudit(t *testing.T, s store.Store, q store.AuditQuery) []store.AuditEvent {
	t.Helper()
	return mustList(t, "ListAudit", s.ListAudit, q)
}

func eventIDs(events []store.AuditEvent) []int64 {
	return each(events, func(e store.AuditEvent) int64 { return e.ID })
}

// wantAudit checks that ListAudit(q) returns want, in this order.
func wantAudit(t *testing.T, s store.Store, q store.AuditQuery, want ...store.AuditEvent) {
	t.Helper()
	got := listAudit(t, s, q)
	if !slices.Equal(eventIDs(got), eventIDs(want)) {
		t.Errorf("ListAudit(%+v) = events %v, want %v", q, eventIDs(got), eventIDs(want))
		return
	}
	for i := range got {
		checkRecord(t, "listed event", got[i], want[i]) // #nosec G602 -- got and want have the same length, checked above
	}
}

// event appends an event of the name, at at, by actor about subject.
func event(t *testing.T, s store.Store, name string, at time.Time, actor, subject int64) store.AuditEvent {
	t.Helper()
	return appendAudit(t, s, store.AuditEvent{
		Time: at, Event: name, Outcome: "success", ActorID: actor, SubjectID: subject,
		IP: "192.0.2.1", UserAgent: "Test/1.0", Detail: "detail of " + name,
	})
}

func testListAuditEmpty(t *testing.T, s store.Store) {
	wantAudit(t, s, store.AuditQuery{})
	wantAudit(t, s, store.AuditQuery{UserID: 1, Event: "login.", Since: t0, Until: t0.Add(time.Hour)})
}

func testListAuditNewestFirst(t *testing.T, s store.Store) {
	// Newest means last appended, whatever the times say.
	e1 := event(t, s, "login.password", t0.Add(2*time.Minute), 1, 1)
	e2 := event(t, s, "code.sent", t0, 1, 1)
	e3 := event(t, s, "code.verify", t0.Add(time.Minute), 2, 2)
	e4 := event(t, s, "login.password", t0.Add(-time.Hour), 0, 0)
	wantAudit(t, s, store.AuditQuery{}, e4, e3, e2, e1)
}

func testListAuditLimit(t *testing.T, s store.Store) {
	var all []store.AuditEvent
	for i := range 55 {
		all = append(all, event(t, s, "login.password", t0.Add(time.Duration(i)*time.Second), 1, 1))
	}
	slices.Reverse(all)
	wantAudit(t, s, store.AuditQuery{}, all[:50]...) // 0: 50
	wantAudit(t, s, store.AuditQuery{Limit: 5}, all[:5]...)
	wantAudit(t, s, store.AuditQuery{Limit: 100}, all...)
}

func testListAuditBeforeID(t *testing.T, s store.Store) {
	var all []store.AuditEvent
	for i := range 10 {
		all = append(all, event(t, s, "code.sent", t0.Add(time.Duration(i)*time.Second), 1, 1))
	}
	slices.Reverse(all)
	wantAudit(t, s, store.AuditQuery{BeforeID: all[4].ID}, all[5:]...) // strictly below
	wantAudit(t, s, store.AuditQuery{BeforeID: all[4].ID, Limit: 2}, all[5:7]...)
	wantAudit(t, s, store.AuditQuery{BeforeID: all[9].ID})
	wantAudit(t, s, store.AuditQuery{BeforeID: all[0].ID + 1000}, all...)

	// Pages of three follow on without gaps or repeats.
	var paged []int64
	q := store.AuditQuery{Limit: 3}
	for range len(all) {
		page := listAudit(t, s, q)
		if len(page) == 0 {
			break
		}
		paged = append(paged, eventIDs(page)...)
		q.BeforeID = page[len(page)-1].ID
	}
	if !slices.Equal(paged, eventIDs(all)) {
		t.Errorf("pages of 3 = %v, want %v", paged, eventIDs(all))
	}
}

func testListAuditUser(t *testing.T, s store.Store) {
	e1 := event(t, s, "login.password", t0, 1, 1)
	e2 := event(t, s, "admin.user_created", t0, 1, 2) // 1 acted on 2
	e3 := event(t, s, "login.password", t0, 2, 2)
	e4 := event(t, s, "account.locked", t0, 0, 1) // actor unknown
	event(t, s, "login.password", t0, 3, 3)
	e6 := event(t, s, "admin.password_reset_sent", t0, 2, 1) // 2 acted on 1
	e7 := event(t, s, "login.password", t0, 0, 0)

	wantAudit(t, s, store.AuditQuery{UserID: 1}, e6, e4, e2, e1) // e1 once
	wantAudit(t, s, store.AuditQuery{UserID: 2}, e6, e3, e2)
	wantAudit(t, s, store.AuditQuery{UserID: 2, Limit: 2}, e6, e3)
	wantAudit(t, s, store.AuditQuery{UserID: 2, BeforeID: e3.ID}, e2)
	wantAudit(t, s, store.AuditQuery{UserID: 4})
	wantAudit(t, s, store.AuditQuery{UserID: 0, Limit: 1}, e7) // 0: everyone's
}

func testListAuditEvent(t *testing.T, s store.Store) {
	var byName = map[string]store.AuditEvent{}
	for _, name := range []string{"login", "login.password", "login.password.extra", "Login.password", "code.sent", "login.passwords"} {
		byName[name] = event(t, s, name, t0, 1, 1)
	}
	e := event(t, s, "login.password", t0, 2, 2)
	wantAudit(t, s, store.AuditQuery{Event: "login.password"}, e, byName["login.password"])
	wantAudit(t, s, store.AuditQuery{Event: "login"}, byName["login"])
	wantAudit(t, s, store.AuditQuery{Event: "code.sent"}, byName["code.sent"])
	wantAudit(t, s, store.AuditQuery{Event: "login.pass"}) // not a prefix without its "."
	wantAudit(t, s, store.AuditQuery{Event: "code.sent.other"})
}

func testListAuditEventPrefix(t *testing.T, s store.Store) {
	var byName = map[string]store.AuditEvent{}
	for _, name := range []string{
		"login.password", "login", "loginx.step", "login-x", "login/x", "relogin.x", "Login.password",
		"code.sent", "login.code", "login.", "login.password.extra", "a_b.c", "axb.c", "a%.c", "abc.c",
	} {
		byName[name] = event(t, s, name, t0, 1, 1)
	}
	pick := func(names ...string) []store.AuditEvent {
		var es []store.AuditEvent
		for _, n := range names {
			es = append(es, byName[n])
		}
		slices.SortFunc(es, func(a, b store.AuditEvent) int { return int(b.ID - a.ID) })
		return es
	}
	wantAudit(t, s, store.AuditQuery{Event: "login."}, pick("login.password", "login.code", "login.", "login.password.extra")...)
	wantAudit(t, s, store.AuditQuery{Event: "login.password."}, pick("login.password.extra")...)
	wantAudit(t, s, store.AuditQuery{Event: "code."}, pick("code.sent")...)
	wantAudit(t, s, store.AuditQuery{Event: "a_b."}, pick("a_b.c")...) // _ is no wildcard
	wantAudit(t, s, store.AuditQuery{Event: "a%."}, pick("a%.c")...)   // nor is %
	wantAudit(t, s, store.AuditQuery{Event: "phone."})
	wantAudit(t, s, store.AuditQuery{Event: "login.", Limit: 2}, pick("login.password", "login.code", "login.", "login.password.extra")[:2]...)
}

func testListAuditTimeRange(t *testing.T, s store.Store) {
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	e0 := event(t, s, "code.sent", m(-1), 1, 1)
	e1 := event(t, s, "code.sent", m(0), 1, 1)
	e2 := event(t, s, "code.sent", m(1), 1, 1)
	e3 := event(t, s, "code.sent", m(2), 1, 1)
	late := event(t, s, "code.sent", m(0).Add(30*time.Second), 1, 1) // appended last, out of time order

	wantAudit(t, s, store.AuditQuery{Since: m(0)}, late, e3, e2, e1) // inclusive
	wantAudit(t, s, store.AuditQuery{Until: m(1)}, late, e1, e0)     // exclusive
	wantAudit(t, s, store.AuditQuery{Since: m(0), Until: m(1)}, late, e1)
	wantAudit(t, s, store.AuditQuery{Since: m(0), Until: m(1), BeforeID: late.ID}, e1)
	wantAudit(t, s, store.AuditQuery{Since: m(0), Until: m(0)})
	wantAudit(t, s, store.AuditQuery{Since: m(3)})
	wantAudit(t, s, store.AuditQuery{Until: m(-1)})
	wantAudit(t, s, store.AuditQuery{Since: m(-1), Until: m(3), Limit: 2}, late, e3)
}

func testListAuditFilters(t *testing.T, s store.Store) {
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	a := event(t, s, "login.password", m(0), 1, 1)
	other := event(t, s, "login.password", m(1), 2, 2) // other user
	b := event(t, s, "login.code", m(2), 0, 1)
	event(t, s, "code.sent", m(3), 1, 1) // other event
	c := event(t, s, "login.password", m(4), 2, 1)
	late := event(t, s, "login.password", m(10), 1, 1) // too late
	d := event(t, s, "login.step_up", m(5), 1, 1)

	q := store.AuditQuery{UserID: 1, Event: "login.", Since: m(0), Until: m(10)}
	wantAudit(t, s, q, d, c, b, a)
	q.BeforeID = c.ID
	wantAudit(t, s, q, b, a)
	q.Limit = 1
	wantAudit(t, s, q, b)
	wantAudit(t, s, store.AuditQuery{UserID: 1, Event: "login.password", Until: m(10)}, c, a)
	wantAudit(t, s, store.AuditQuery{Event: "login.password", Since: m(1), Until: m(10)}, c, other)
	x := event(t, s, "login.x", m(6), 3, 3)
	wantAudit(t, s, store.AuditQuery{Event: "login.", Since: m(2)}, x, d, late, c, b)
}

// testListAuditMatchesModel compares the pages of random queries on a
// random log, some of it out of time order, with what a plain reading of
// the contract gives.
func testListAuditMatchesModel(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(3, 4)) // #nosec G404 -- a fixed seed on purpose: the same random queries every run
	names := []string{"login.password", "login.code", "login", "code.sent", "code.verify",
		"phone.changed", "admin.user_created", "a_b.c", "axb.c"}
	var log []store.AuditEvent
	for i := range 300 {
		at := t0.Add(time.Duration(i*10+r.IntN(120)-60) * time.Second)
		if r.IntN(20) == 0 {
			at = t0.Add(time.Duration(r.IntN(3000)) * time.Second) // anywhere
		}
		log = append(log, event(t, s, names[r.IntN(len(names))], at, int64(r.IntN(7)), int64(r.IntN(7))))
	}
	slices.Reverse(log)

	events := append([]string{"", "", "", "login.", "code.", "a_b.", "none.", "none"}, names...)
	for range 100 {
		q := store.AuditQuery{
			Event: events[r.IntN(len(events))],
			Since: randomAuditTime(r, log),
			Until: randomAuditTime(r, log),
			Limit: []int{0, 3, 5, 8}[r.IntN(4)], // 0: the page takes in the whole log
		}
		if r.IntN(3) == 0 {
			q.UserID = int64(1 + r.IntN(7))
		}
		var want []int64
		for _, e := range log {
			if auditMatchesModel(e, q) {
				want = append(want, e.ID)
			}
		}
		if got := allAuditPages(t, s, q, len(log)); !slices.Equal(got, want) {
			t.Fatalf("pages of ListAudit(%+v) = %v, want %v", q, got, want)
		}
	}
}

// auditMatchesModel is the contract of an audit query, read plainly.
func auditMatchesModel(e store.AuditEvent, q store.AuditQuery) bool {
	switch {
	case q.UserID != 0 && e.SubjectID != q.UserID && e.ActorID != q.UserID,
		strings.HasSuffix(q.Event, ".") && !strings.HasPrefix(e.Event, q.Event),
		q.Event != "" && !strings.HasSuffix(q.Event, ".") && e.Event != q.Event,
		!q.Since.IsZero() && e.Time.Before(q.Since),
		!q.Until.IsZero() && !e.Time.Before(q.Until):
		return false
	}
	return true
}

// randomAuditTime is, drawn by r, no time, the time of an event of log or
// a time in or just around log's.
func randomAuditTime(r *rand.Rand, log []store.AuditEvent) time.Time {
	if r.IntN(3) == 0 {
		return time.Time{}
	}
	if r.IntN(4) == 0 {
		return log[r.IntN(len(log))].Time // exactly an event's
	}
	return t0.Add(time.Duration(r.IntN(3200)-100) * time.Second)
}

// allAuditPages is the ids of every page of q, each before the last of
// the one before, until a page is short; at most n+1 pages.
func allAuditPages(t *testing.T, s store.Store, q store.AuditQuery, n int) []int64 {
	var got []int64
	for range n + 1 {
		page := listAudit(t, s, q)
		if len(page) > limitOr50(q.Limit) {
			t.Fatalf("ListAudit(%+v) returned %d events", q, len(page))
		}
		got = append(got, eventIDs(page)...)
		if len(page) < limitOr50(q.Limit) {
			break
		}
		q.BeforeID = page[len(page)-1].ID
	}
	return got
}
