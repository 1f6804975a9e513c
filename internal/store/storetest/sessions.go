package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var sessionsTests = []test{
	{"SessionRoundTrip", testSessionRoundTrip},
	{"SessionNotFound", testSessionNotFound},
	{"CreateSessionDuplicate", testCreateSessionDuplicate},
	{"UpdateSession", testUpdateSession},
	{"TouchSession", testTouchSession},
	{"DeleteSession", testDeleteSession},
	{"DeleteUserSessions", testDeleteUserSessions},
	{"DeleteExpiredSessions", testDeleteExpiredSessions},
	{"ReplaceSession", testReplaceSession},
	{"ReplaceSessionAtomic", testReplaceSessionAtomic},
	{"ReplaceSessionConcurrent", testReplaceSessionConcurrent},
	{"StartLogin", testStartLogin},
	{"StartLoginAllOrNothing", testStartLoginAllOrNothing},
}

func sessionExists(t *testing.T, s store.Store, tokenHash []byte) bool {
	t.Helper()
	_, err := s.SessionByHash(t.Context(), tokenHash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SessionByHash: %v", err)
	}
	return err == nil
}

// checkSession checks that the store holds the session of
// want.TokenHash as want, field by field (checkRecord); what says which
// session it is.
func checkSession(t *testing.T, s store.Store, what string, want store.Session) {
	t.Helper()
	got, err := s.SessionByHash(t.Context(), want.TokenHash)
	mustNot(t, err, "SessionByHash("+what+")")
	checkRecord(t, what, *got, want)
}

// everyFieldSession is the session "token" of user id at stage, with
// pendingPhone and every other field set.
func everyFieldSession(id int64, stage store.Stage, pendingPhone string) *store.Session {
	return &store.Session{
		TokenHash:       hash("token"),
		UserID:          id,
		Stage:           stage,
		AttemptID:       "attempt-1",
		PendingPhone:    pendingPhone,
		CreatedAt:       t0,
		LastSeenAt:      t0.Add(time.Minute),
		AuthenticatedAt: t0.Add(30 * time.Second),
		CodeAt:          t0.Add(40 * time.Second),
		PreviousLoginAt: t0.Add(-25 * time.Hour),
		MFA:             true,
		IP:              "2001:db8::1",
		UserAgent:       "Mozilla/5.0",
	}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	ss := everyFieldSession(u.ID, store.StageRegisterPhone, "+15555550100")
	mustNot(t, s.CreateSession(ctx, ss), "CreateSession")
	checkSession(t, s, "session", *ss)

	// AuthenticatedAt and CodeAt are zero before the password and a code
	// were proven.
	bare := createSession(t, s, u.ID, "bare", t0, t0)
	checkSession(t, s, "session", *bare)
}

func testSessionNotFound(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	createSession(t, s, u.ID, "token", t0, t0)
	_, err := s.SessionByHash(t.Context(), hash("other"))
	wantNotFound(t, err, "SessionByHash(unknown)")
}

func testCreateSessionDuplicate(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	ss := createSession(t, s, u.ID, "token", t0, t0)
	dup := *ss
	dup.Stage = store.StageFull
	if err := s.CreateSession(t.Context(), &dup); err == nil {
		t.Error("CreateSession accepted a token hash already in use")
	}
	got, err := s.SessionByHash(t.Context(), ss.TokenHash)
	mustNot(t, err, "SessionByHash")
	checkRecord(t, "session", *got, *ss)
}

func testUpdateSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")
	ss := createSession(t, s, u.ID, "token", t0, t0)

	upd := store.Session{
		TokenHash:    ss.TokenHash,
		Stage:        store.StageFull,
		AttemptID:    "attempt-2",
		PendingPhone: "+15555550199",
		LastSeenAt:   t0.Add(2 * time.Minute),
		// Not written by UpdateSession: what a session proved changes
		// only with its token.
		AuthenticatedAt: t0.Add(time.Minute),
		CodeAt:          t0.Add(time.Minute),
		MFA:             true,
		UserID:          other.ID,
		CreatedAt:       t0.Add(time.Hour),
		IP:              "198.51.100.7",
		UserAgent:       "Other/2.0",
	}
	mustNot(t, s.UpdateSession(ctx, &upd), "UpdateSession")
	want := *ss
	want.Stage, want.AttemptID, want.PendingPhone = upd.Stage, upd.AttemptID, upd.PendingPhone
	want.LastSeenAt = upd.LastSeenAt
	checkSession(t, s, "session after UpdateSession", want)

	gone := upd
	gone.TokenHash = hash("gone")
	refusedWithoutSession(t, s, s.UpdateSession(ctx, &gone), "UpdateSession(gone)", gone.TokenHash)
}

// refusedWithoutSession checks that call, whose error is err, was refused
// with store.ErrNotFound and left no session of tokenHash behind.
func refusedWithoutSession(t *testing.T, s store.Store, err error, call string, tokenHash []byte) {
	t.Helper()
	wantNotFound(t, err, call)
	if sessionExists(t, s, tokenHash) {
		t.Errorf("%s, refused, wrote the session", call)
	}
}

func testTouchSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	ss := createSession(t, s, u.ID, "token", t0, t0)
	at := t0.Add(7 * time.Minute)
	mustNot(t, s.TouchSession(ctx, ss.TokenHash, at), "TouchSession")
	want := *ss
	want.LastSeenAt = at
	checkSession(t, s, "session after TouchSession", want)

	wantNotFound(t, s.TouchSession(ctx, hash("gone"), at), "TouchSession(gone)")
}

func testDeleteSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	ss := createSession(t, s, u.ID, "token", t0, t0)
	keep := createSession(t, s, u.ID, "keep", t0, t0)
	mustNot(t, s.DeleteSession(ctx, ss.TokenHash), "DeleteSession")
	if sessionExists(t, s, ss.TokenHash) {
		t.Error("session still there after DeleteSession")
	}
	if !sessionExists(t, s, keep.TokenHash) {
		t.Error("DeleteSession deleted another session")
	}
	// Deleting what is gone (a second logout) is not an error.
	mustNot(t, s.DeleteSession(ctx, ss.TokenHash), "DeleteSession again")
}

func testDeleteUserSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ann := createUser(t, s, "ann@example.org")
	bob := createSession(t, s, createUser(t, s, "bob@example.org").ID, "bob", t0, t0)
	a1 := createSession(t, s, ann.ID, "a1", t0, t0)
	a2 := createSession(t, s, ann.ID, "a2", t0, t0)
	a3 := createSession(t, s, ann.ID, "a3", t0, t0)

	n, err := s.DeleteUserSessions(ctx, ann.ID, a1.TokenHash)
	mustNot(t, err, "DeleteUserSessions")
	if n != 2 {
		t.Errorf("DeleteUserSessions(except a1) = %d, want 2", n)
	}
	if !sessionExists(t, s, a1.TokenHash) || sessionExists(t, s, a2.TokenHash) || sessionExists(t, s, a3.TokenHash) {
		t.Error("DeleteUserSessions(except a1) did not keep exactly a1")
	}

	n, err = s.DeleteUserSessions(ctx, ann.ID, nil)
	mustNot(t, err, "DeleteUserSessions")
	if n != 1 || sessionExists(t, s, a1.TokenHash) {
		t.Errorf("DeleteUserSessions(nil) = %d, want 1 (a1)", n)
	}
	if !sessionExists(t, s, bob.TokenHash) {
		t.Error("DeleteUserSessions deleted another user's session")
	}
	n, err = s.DeleteUserSessions(ctx, ann.ID, nil)
	if err != nil || n != 0 {
		t.Errorf("DeleteUserSessions with none left = %d, %v; want 0", n, err)
	}
}

func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org").ID
	idleBefore := t0.Add(30 * time.Minute)
	createdBefore := t0.Add(-12 * time.Hour)
	keep := []*store.Session{
		createSession(t, s, u, "fresh", t0, t0.Add(50*time.Minute)),
		// "Before" is strict: exactly at the limits is not expired.
		createSession(t, s, u, "idle-limit", t0, idleBefore),
		createSession(t, s, u, "created-limit", createdBefore, t0.Add(50*time.Minute)),
	}
	gone := []*store.Session{
		createSession(t, s, u, "idle", t0, idleBefore.Add(-time.Millisecond)),
		createSession(t, s, u, "old", createdBefore.Add(-time.Millisecond), t0.Add(55*time.Minute)),
		createSession(t, s, u, "both", t0.Add(-24*time.Hour), t0.Add(-23*time.Hour)),
	}
	n, err := s.DeleteExpiredSessions(ctx, idleBefore, createdBefore)
	mustNot(t, err, "DeleteExpiredSessions")
	if n != len(gone) {
		t.Errorf("DeleteExpiredSessions = %d, want %d", n, len(gone))
	}
	for _, ss := range keep {
		if !sessionExists(t, s, ss.TokenHash) {
			t.Errorf("session %s was deleted", ss.AttemptID)
		}
	}
	for _, ss := range gone {
		if sessionExists(t, s, ss.TokenHash) {
			t.Errorf("session %s was kept", ss.AttemptID)
		}
	}
}

func testReplaceSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	old := createSession(t, s, u.ID, "old", t0, t0)
	next := &store.Session{
		TokenHash: hash("new"), UserID: u.ID, Stage: store.StageFull, AttemptID: "attempt-2",
		CreatedAt: t0, LastSeenAt: t0.Add(time.Minute), AuthenticatedAt: t0.Add(time.Minute),
		CodeAt: t0.Add(50 * time.Second), PreviousLoginAt: t0.Add(-time.Hour), MFA: true, IP: "192.0.2.1", UserAgent: "Test/1.0",
	}
	mustNot(t, s.ReplaceSession(ctx, old.TokenHash, next), "ReplaceSession")
	if sessionExists(t, s, old.TokenHash) {
		t.Error("old session still there after ReplaceSession")
	}
	checkSession(t, s, "new session", *next)

	// The same old session cannot be stepped up twice.
	again := *next
	again.TokenHash = hash("again")
	refusedWithoutSession(t, s, s.ReplaceSession(ctx, old.TokenHash, &again), "ReplaceSession a second time", again.TokenHash)
}

func testReplaceSessionAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	old := createSession(t, s, u.ID, "old", t0, t0)
	taken := createSession(t, s, u.ID, "taken", t0, t0)
	// The insert fails (the hash is in use), so the delete must not stick.
	clash := *taken
	clash.Stage = store.StageFull
	if err := s.ReplaceSession(ctx, old.TokenHash, &clash); err == nil {
		t.Fatal("ReplaceSession inserted a session whose hash is in use")
	}
	if !sessionExists(t, s, old.TokenHash) {
		t.Error("failed ReplaceSession deleted the old session")
	}
	checkSession(t, s, "untouched session", *taken)
}

func testReplaceSessionConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	old := createSession(t, s, u.ID, "old", t0, t0)
	const n = 20
	next := make([]*store.Session, n)
	errs := make([]error, n)
	for i := range next {
		next[i] = &store.Session{
			TokenHash: hash(fmt.Sprint("new ", i)), UserID: u.ID, Stage: store.StageFull,
			CreatedAt: t0, LastSeenAt: t0,
		}
	}
	Concurrently(n, func(i int) { errs[i] = s.ReplaceSession(ctx, old.TokenHash, next[i]) })
	won := 0
	for i, err := range errs {
		exists := sessionExists(t, s, next[i].TokenHash)
		switch {
		case err == nil:
			won++
			if !exists {
				t.Errorf("replacement %d succeeded but is not stored", i)
			}
		case errors.Is(err, store.ErrNotFound):
			if exists {
				t.Errorf("replacement %d was refused but is stored", i)
			}
		default:
			t.Errorf("ReplaceSession %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent ReplaceSession calls succeeded, want 1", won, n)
	}
	if sessionExists(t, s, old.TokenHash) {
		t.Error("old session still there")
	}
}

// loginStart is a StartLogin of user u with a new session token at at,
// clearing the throttle key.
func loginStart(u *store.User, key, token string, at time.Time) store.LoginStart {
	return store.LoginStart{
		ClearThrottle: key,
		Session: &store.Session{TokenHash: hash(token), UserID: u.ID, Stage: store.StageCode,
			AttemptID: "attempt-" + token, CreatedAt: at, LastSeenAt: at, IP: "192.0.2.1", UserAgent: "Test/1.0"},
		Audit: []*store.AuditEvent{
			{Time: at, Event: "login.password", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "code"},
		},
	}
}

func testStartLogin(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	lock := func(int) time.Time { return time.Time{} }
	fail(t, s, "password:account:ann@example.org", t0, lock)
	fail(t, s, "password:ip:192.0.2.1", t0, lock)
	wrongCodes(t, s, u.ID, 1, nil)
	at := t0.Add(time.Minute)

	// A login that goes on to the code step.
	l := loginStart(u, "password:account:ann@example.org", "code-step", at)
	mustNot(t, s.StartLogin(ctx, l), "StartLogin")
	if th, err := s.Throttle(ctx, "password:account:ann@example.org"); err != nil || th.Failures != 0 {
		t.Errorf("account throttle after StartLogin: %+v, %v; want cleared", th, err)
	}
	if th, err := s.Throttle(ctx, "password:ip:192.0.2.1"); err != nil || th.Failures != 1 {
		t.Errorf("another throttle after StartLogin: %+v, %v; want it as it was", th, err)
	}
	checkSession(t, s, "session", *l.Session)
	if got, err := s.UserByID(ctx, u.ID); err != nil || !got.LastLoginAt.IsZero() || got.CodeFailures != 1 {
		t.Errorf("user after a login that needs a code: LastLoginAt %v, CodeFailures %d (%v); want no login recorded yet", got.LastLoginAt, got.CodeFailures, err)
	}
	if l.Audit[0].ID == 0 {
		t.Error("the audit event has no id")
	}

	// A login complete at once (no code needed).
	full := loginStart(u, "password:account:ann@example.org", "full", at)
	full.Session.Stage, full.Session.AuthenticatedAt, full.LoginAt = store.StageFull, at, at
	full.Audit = append(full.Audit, &store.AuditEvent{Time: at, Event: "login", Outcome: "success", ActorID: u.ID, SubjectID: u.ID})
	mustNot(t, s.StartLogin(ctx, full), "StartLogin")
	checkLoggedIn(t, s, "user after a complete login", u.ID, at, 3, full.Audit)
}

// When a part cannot be written, none is: the throttle cleared before it
// stays, and no login or audit row appears.
func testStartLoginAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	key := "password:account:ann@example.org"
	fail(t, s, key, t0, nil)
	existing := createSession(t, s, u.ID, "taken", t0, t0)
	at := t0.Add(time.Minute)
	unchanged := func(what string) {
		t.Helper()
		if th, err := s.Throttle(ctx, key); err != nil || th.Failures != 1 {
			t.Errorf("%s: throttle %+v (%v), want it as it was", what, th, err)
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || !got.LastLoginAt.IsZero() {
			t.Errorf("%s: login recorded (%v, %v)", what, got.LastLoginAt, err)
		}
		if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
			t.Errorf("%s: %d audit events written (%v)", what, len(events), err)
		}
	}

	// The token is taken.
	dup := loginStart(u, key, "taken", at)
	dup.LoginAt = at
	if err := s.StartLogin(ctx, dup); err == nil {
		t.Error("StartLogin accepted a token hash already in use")
	}
	unchanged("token taken")
	checkSession(t, s, "the session already there", *existing)
}
