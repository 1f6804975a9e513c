package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var usersTests = []test{
	{"CreateUser", testCreateUser},
	{"CreateUserEmailTaken", testCreateUserEmailTaken},
	{"UserNotFound", testUserNotFound},
	{"UserByEmailIgnoresCase", testUserByEmailIgnoresCase},
	{"CountUsers", testCountUsers},
	{"SetPhone", testSetPhone},
	{"SetMFA", testSetMFA},
	{"SetMFADisabledUntil", testSetMFADisabledUntil},
	{"SetPassword", testSetPassword},
	{"ClearCodeLock", testClearCodeLock},
	{"RecordLogin", testRecordLogin},
	{"CreateFirstAdmin", testCreateFirstAdmin},
	{"CreateFirstAdminReplacedToken", testCreateFirstAdminReplacedToken},
	{"CreateFirstAdminUserExists", testCreateFirstAdminUserExists},
	{"CreateFirstAdminNotAdmin", testCreateFirstAdminNotAdmin},
	{"CreateFirstAdminConcurrent", testCreateFirstAdminConcurrent},
	{"SetupTokenMatches", testSetupTokenMatches},
	{"TimesRoundTrip", testTimesRoundTrip},
	{"Ping", testPing},
}

func testCreateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := everyFieldUser()
	mustCreate(t, s.CreateUser(ctx, u), "CreateUser", &u.ID)
	got, err := s.UserByID(ctx, u.ID)
	mustNot(t, err, "UserByID")
	checkRecord(t, "UserByID", *got, *u)
	got, err = s.UserByEmail(ctx, u.Email)
	mustNot(t, err, "UserByEmail")
	checkRecord(t, "UserByEmail", *got, *u)

	// Zero values stay zero.
	v := &store.User{Email: "bob@example.org", CreatedAt: t0}
	mustNot(t, s.CreateUser(ctx, v), "CreateUser")
	if v.ID == 0 || v.ID == u.ID {
		t.Fatalf("second user ID = %d, first %d", v.ID, u.ID)
	}
	got, err = s.UserByID(ctx, v.ID)
	mustNot(t, err, "UserByID")
	checkRecord(t, "UserByID", *got, *v)
}

func testCreateUserEmailTaken(t *testing.T, s store.Store) {
	ctx := t.Context()
	createUser(t, s, "ann@example.org")
	for _, email := range []string{"ann@example.org", "Ann@Example.ORG"} {
		err := s.CreateUser(ctx, &store.User{Email: email, CreatedAt: t0})
		if !errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser(%q) again: err = %v, want store.ErrEmailTaken", email, err)
		}
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
}

func testUserNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	_, err := s.UserByID(ctx, u.ID+1000)
	wantNotFound(t, err, "UserByID(unknown)")
	_, err = s.UserByEmail(ctx, "nobody@example.org")
	wantNotFound(t, err, "UserByEmail(unknown)")
}

func testUserByEmailIgnoresCase(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	got, err := s.UserByEmail(t.Context(), "ANN@example.org")
	mustNot(t, err, "UserByEmail")
	if got.ID != u.ID {
		t.Errorf("UserByEmail found user %d, want %d", got.ID, u.ID)
	}
}

func testCountUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Errorf("CountUsers on an empty store = %d, %v; want 0", n, err)
	}
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		createUser(t, s, e)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 3 {
		t.Errorf("CountUsers = %d, %v; want 3", n, err)
	}
}

// setsOnlyItsUser checks a method setting one field of a user, name,
// called by set with the user's id: on Ann it makes her as change makes
// her, Bob stays as he was, and on an unknown id it is
// store.ErrNotFound. It returns Ann as she was before.
func setsOnlyItsUser(t *testing.T, s store.Store, name string, set func(id int64) error, change func(*store.User)) *store.User {
	t.Helper()
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")
	mustNot(t, set(u.ID), name)
	want := *u
	change(&want)
	checkUser(t, s, "user after "+name, want)
	checkUser(t, s, "other user", *other)
	wantNotFound(t, set(other.ID+1000), name+"(unknown)")
	return u
}

func testSetPhone(t *testing.T, s store.Store) {
	const phone = "+15555550123"
	setsOnlyItsUser(t, s, "SetPhone", func(id int64) error { return s.SetPhone(t.Context(), id, phone) },
		func(u *store.User) { u.Phone = phone })
}

func testSetMFA(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	for _, o := range []store.MFAOverride{store.MFAExempt, store.MFARequired, store.MFAFollowPolicy} {
		mustNot(t, s.SetMFA(ctx, u.ID, o), "SetMFA")
		want := *u
		want.MFA = o
		checkUser(t, s, "user after SetMFA", want)
	}
	wantNotFound(t, s.SetMFA(ctx, u.ID+1000, store.MFAExempt), "SetMFA(unknown)")
}

// checkUser compares the stored user want.ID with want.
func checkUser(t *testing.T, s store.Store, what string, want store.User) {
	t.Helper()
	got, err := s.UserByID(t.Context(), want.ID)
	mustNot(t, err, "UserByID")
	checkRecord(t, what, *got, want)
}

func testSetMFADisabledUntil(t *testing.T, s store.Store) {
	ctx := t.Context()
	until := t0.Add(24 * time.Hour)
	u := setsOnlyItsUser(t, s, "SetMFADisabledUntil", func(id int64) error { return s.SetMFADisabledUntil(ctx, id, until) },
		func(u *store.User) { u.MFADisabledUntil = until })

	// The zero time clears it.
	mustNot(t, s.SetMFADisabledUntil(ctx, u.ID, time.Time{}), "SetMFADisabledUntil(zero time)")
	checkUser(t, s, "user after SetMFADisabledUntil(zero time)", *u)
}

func testSetPassword(t *testing.T, s store.Store) {
	const hash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA"
	setsOnlyItsUser(t, s, "SetPassword", func(id int64) error { return s.SetPassword(t.Context(), id, hash) },
		func(u *store.User) { u.PasswordHash = hash })
}

func testClearCodeLock(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")
	login := t0.Add(-time.Hour)
	mustNot(t, s.RecordLogin(ctx, u.ID, login), "RecordLogin")
	lock := func(int) time.Time { return t0.Add(time.Hour) }
	wrongCodes(t, s, u.ID, 3, lock)
	wrongCodes(t, s, other.ID, 1, lock)

	mustNot(t, s.ClearCodeLock(ctx, u.ID), "ClearCodeLock")
	want := *u
	want.LastLoginAt = login // unlike RecordLogin, left alone
	checkUser(t, s, "user after ClearCodeLock", want)
	c := issue(t, s, newChallenge(u.ID, "after-clear", store.PurposeLogin, t0))
	if r := wrongCode(t, s, c, 5, t0); r.InARow != 1 {
		t.Errorf("CountWrongCode after ClearCodeLock = %+v, want 1 in a row", r)
	}

	wantOther := *other
	wantOther.CodeFailures, wantOther.CodeLockedUntil = 1, t0.Add(time.Hour)
	checkUser(t, s, "other user", wantOther)
	wantNotFound(t, s.ClearCodeLock(ctx, other.ID+1000), "ClearCodeLock(unknown)")
}

func testRecordLogin(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	wrongCodes(t, s, u.ID, 3, func(int) time.Time { return t0.Add(time.Hour) })
	at := t0.Add(2 * time.Hour)
	mustNot(t, s.RecordLogin(ctx, u.ID, at), "RecordLogin")
	want := *u
	want.LastLoginAt = at
	checkUser(t, s, "user after RecordLogin", want)

	wantNotFound(t, s.RecordLogin(ctx, u.ID+1000, at), "RecordLogin(unknown)")
}

func newAdmin(email string) *store.User {
	return &store.User{Email: email, Name: "Admin", PasswordHash: "$argon2id$x", Admin: true, CreatedAt: t0} // #nosec G101 -- the placeholder "$argon2id$x", no password's hash
}

func wantUsers(t *testing.T, s store.Store, want int) {
	t.Helper()
	if n, err := s.CountUsers(t.Context()); err != nil || n != want {
		t.Errorf("CountUsers = %d, %v; want %d", n, err, want)
	}
}

func testCreateFirstAdmin(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantNotFound(t, s.CreateFirstAdmin(ctx, hash("setup"), newAdmin("a@example.org")), "CreateFirstAdmin without a token")
	wantUsers(t, s, 0)

	mustNot(t, s.SetSetupToken(ctx, hash("setup")), "SetSetupToken")
	wantNotFound(t, s.CreateFirstAdmin(ctx, hash("wrong"), newAdmin("a@example.org")), "CreateFirstAdmin(wrong token)")
	wantUsers(t, s, 0)

	u := newAdmin("a@example.org")
	mustCreate(t, s.CreateFirstAdmin(ctx, hash("setup"), u), "CreateFirstAdmin", &u.ID)
	got, err := s.UserByID(ctx, u.ID)
	mustNot(t, err, "UserByID")
	checkRecord(t, "first admin", *got, *u)

	// The token is gone with its first use.
	wantNotFound(t, s.CreateFirstAdmin(ctx, hash("setup"), newAdmin("b@example.org")), "CreateFirstAdmin a second time")
	wantUsers(t, s, 1)
}

// testSetupTokenMatches: the set-up form's check of its link, made before
// a password is hashed, matches the stored token only, and uses nothing.
func testSetupTokenMatches(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := func(token string, match bool) {
		t.Helper()
		got, err := s.SetupTokenMatches(ctx, hash(token))
		mustNot(t, err, "SetupTokenMatches")
		if got != match {
			t.Errorf("SetupTokenMatches(%q) = %v, want %v", token, got, match)
		}
	}
	want("setup", false) // no token stored
	mustNot(t, s.SetSetupToken(ctx, hash("old")), "SetSetupToken")
	mustNot(t, s.SetSetupToken(ctx, hash("setup")), "SetSetupToken")
	want("old", false)
	want("bogus", false)
	want("setup", true)
	want("setup", true) // asking twice uses nothing
	mustNot(t, s.CreateFirstAdmin(ctx, hash("setup"), newAdmin("a@example.org")), "CreateFirstAdmin")
	want("setup", false)
}

func testCreateFirstAdminReplacedToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustNot(t, s.SetSetupToken(ctx, hash("old")), "SetSetupToken")
	mustNot(t, s.SetSetupToken(ctx, hash("new")), "SetSetupToken")
	wantNotFound(t, s.CreateFirstAdmin(ctx, hash("old"), newAdmin("a@example.org")), "CreateFirstAdmin(replaced token)")
	mustNot(t, s.CreateFirstAdmin(ctx, hash("new"), newAdmin("a@example.org")), "CreateFirstAdmin(new token)")
	wantUsers(t, s, 1)
}

func testCreateFirstAdminUserExists(t *testing.T, s store.Store) {
	ctx := t.Context()
	createUser(t, s, "someone@example.org")
	mustNot(t, s.SetSetupToken(ctx, hash("setup")), "SetSetupToken")
	wantNotFound(t, s.CreateFirstAdmin(ctx, hash("setup"), newAdmin("a@example.org")), "CreateFirstAdmin with a user present")
	wantUsers(t, s, 1)
	if _, err := s.UserByEmail(ctx, "a@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused admin was created (err %v)", err)
	}
}

func testCreateFirstAdminNotAdmin(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustNot(t, s.SetSetupToken(ctx, hash("setup")), "SetSetupToken")
	u := newAdmin("a@example.org")
	u.Admin = false
	if err := s.CreateFirstAdmin(ctx, hash("setup"), u); err == nil {
		t.Error("CreateFirstAdmin accepted a user who is not an administrator")
	}
	wantUsers(t, s, 0)
	// The refusal did not use up the token.
	mustNot(t, s.CreateFirstAdmin(ctx, hash("setup"), newAdmin("a@example.org")), "CreateFirstAdmin after a refusal")
}

func testCreateFirstAdminConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustNot(t, s.SetSetupToken(ctx, hash("setup")), "SetSetupToken")
	const n = 10
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		errs[i] = s.CreateFirstAdmin(ctx, hash("setup"), newAdmin(string(rune('a'+i))+"@example.org")) // #nosec G115 -- i < n = 10
	})
	oneSucceeded(t, "CreateFirstAdmin", errs)
	wantUsers(t, s, 1)
}

func testTimesRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	// An instant off the millisecond grid, in a zone other than UTC.
	zone := time.FixedZone("UTC+5:30", 5*3600+30*60)
	at := time.Date(2026, 1, 2, 8, 34, 5, 123456789, zone)
	u := &store.User{Email: "ann@example.org", CreatedAt: at, MFADisabledUntil: at.Add(time.Hour)}
	mustNot(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.UserByID(ctx, u.ID)
	mustNot(t, err, "UserByID")
	checkRecord(t, "user", *got, *u) // same instant to the millisecond, in UTC
	if !got.LastLoginAt.IsZero() || !got.CodeLockedUntil.IsZero() {
		t.Errorf("zero times came back as %v, %v", got.LastLoginAt, got.CodeLockedUntil)
	}

	ss := createSession(t, s, u.ID, "tok", at, at.Add(time.Minute))
	checkSession(t, s, "session", *ss)
}

func testPing(t *testing.T, s store.Store) {
	mustNot(t, s.Ping(t.Context()), "Ping")
}

// everyFieldUser is an account with every field set to something other
// than its zero value, to show each one is stored and read back.
func everyFieldUser() *store.User {
	return &store.User{ // #nosec G101 -- a test user whose PasswordHash is a placeholder (base64 of "salt" and "hash"), the hash of no password
		Email:            "ann@example.org",
		Name:             "Ann Example",
		PasswordHash:     "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Admin:            true,
		Phone:            "+15555550100",
		MFA:              store.MFARequired,
		MFADisabledUntil: t0.Add(time.Hour),
		CodeFailures:     2,
		CodeLockedUntil:  t0.Add(10 * time.Minute),
		Deactivated:      true,
		CreatedAt:        t0,
		LastLoginAt:      t0.Add(-time.Hour),
	}
}
