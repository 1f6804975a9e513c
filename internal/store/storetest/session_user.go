package storetest

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var sessionUserTests = []test{
	{"SessionWithUser", testSessionWithUser},
	{"SessionWithUserNotFound", testSessionWithUserNotFound},
}

func testSessionWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createUser(t, s, "other@example.org") // ids of sessions and users differ
	u, ss := sessionWithEveryField(t, s)

	check := func(what string) {
		t.Helper()
		gotS, gotU, err := s.SessionWithUser(ctx, ss.TokenHash)
		mustNot(t, err, "SessionWithUser")
		wantS, err := s.SessionByHash(ctx, ss.TokenHash)
		mustNot(t, err, "SessionByHash")
		wantU, err := s.UserByID(ctx, u.ID)
		mustNot(t, err, "UserByID")
		checkRecord(t, what+": session", *gotS, *wantS)
		checkRecord(t, what+": user", *gotU, *wantU)
	}
	check("as created")
	gotS, gotU, err := s.SessionWithUser(ctx, ss.TokenHash)
	mustNot(t, err, "SessionWithUser")
	checkRecord(t, "session", *gotS, *ss)
	checkRecord(t, "user", *gotU, *u)

	// It reads the rows as they are now.
	mustNot(t, s.SetPhone(ctx, u.ID, "+15555550123"), "SetPhone")
	mustNot(t, s.SetDeactivated(ctx, u.ID, true), "SetDeactivated")
	mustNot(t, s.TouchSession(ctx, ss.TokenHash, t0.Add(5*time.Minute)), "TouchSession")
	check("after changes")
	_, gotU, err = s.SessionWithUser(ctx, ss.TokenHash)
	mustNot(t, err, "SessionWithUser")
	if gotU.Phone != "+15555550123" || !gotU.Deactivated {
		t.Errorf("after SetPhone and SetDeactivated: phone %q, deactivated %v", gotU.Phone, gotU.Deactivated)
	}
}

func testSessionWithUserNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	createSession(t, s, u.ID, "token", t0, t0)
	_, _, err := s.SessionWithUser(ctx, hash("other"))
	wantNotFound(t, err, "SessionWithUser(unknown)")
	mustNot(t, s.DeleteSession(ctx, hash("token")), "DeleteSession")
	_, _, err = s.SessionWithUser(ctx, hash("token"))
	wantNotFound(t, err, "SessionWithUser(deleted)")
}

// sessionWithEveryField creates an account and a session of it with
// every field set.
func sessionWithEveryField(t *testing.T, s store.Store) (*store.User, *store.Session) {
	ctx := t.Context()
	u := &store.User{ // #nosec G101 -- a test user whose PasswordHash is a placeholder (base64 of "salt" and "hash"), the hash of no password
		Email:            "ann@example.org",
		Name:             "Ann Example",
		PasswordHash:     "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Phone:            "+15555550100",
		MFA:              store.MFARequired,
		MFADisabledUntil: t0.Add(time.Hour),
		CodeFailures:     2,
		CodeLockedUntil:  t0.Add(10 * time.Minute),
		CreatedAt:        t0.Add(-24 * time.Hour),
		LastLoginAt:      t0.Add(-time.Hour),
	}
	mustNot(t, s.CreateUser(ctx, u), "CreateUser")
	ss := everyFieldSession(u.ID, store.StageFull, "+15555550199")
	mustNot(t, s.CreateSession(ctx, ss), "CreateSession")
	return u, ss
}
