package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var userImportTests = []test{
	{"ImportUsers", testImportUsers},
	{"ImportUsersMany", testImportUsersMany},
	{"ImportUsersNone", testImportUsersNone},
	{"ImportUsersEmailTaken", testImportUsersEmailTaken},
	{"ImportUsersEmailTwice", testImportUsersEmailTwice},
}

func testImportUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []*store.User{
		everyFieldUser(),
		{Email: "bob@example.org", CreatedAt: t0}, // zero values stay zero
		{Email: "cy@example.org", Name: "Cy", Phone: "+15555550101", MFA: store.MFAExempt, CreatedAt: t0.Add(time.Second)},
	}
	n, err := s.ImportUsers(ctx, slices.Values(users))
	mustNot(t, err, "ImportUsers")
	if n != len(users) {
		t.Fatalf("ImportUsers = %d, want %d", n, len(users))
	}
	var ids []int64
	for _, want := range users {
		got, err := s.UserByEmail(ctx, want.Email)
		mustNot(t, err, "UserByEmail("+want.Email+")")
		if got.ID == 0 || slices.Contains(ids, got.ID) {
			t.Fatalf("imported %s has ID %d; the others have %v", want.Email, got.ID, ids)
		}
		ids = append(ids, got.ID)
		w := *want
		w.ID = got.ID
		checkRecord(t, "UserByEmail("+want.Email+")", *got, w)
		byID, err := s.UserByID(ctx, got.ID)
		mustNot(t, err, "UserByID")
		checkRecord(t, "UserByID", *byID, w)
	}
	// An account created afterwards gets an ID of its own.
	later := createUser(t, s, "dee@example.org")
	if slices.Contains(ids, later.ID) {
		t.Errorf("CreateUser after ImportUsers gave ID %d, already one of %v", later.ID, ids)
	}
	if c, err := s.CountUsers(ctx); err != nil || c != 4 {
		t.Errorf("CountUsers = %d, %v; want 4", c, err)
	}
}

// testImportUsersMany imports more rows than one statement or batch of an
// engine might hold, reading them from a generator as they go.
func testImportUsersMany(t *testing.T, s store.Store) {
	ctx := t.Context()
	const many = 1500
	gen := func(yield func(*store.User) bool) {
		for i := range many {
			u := &store.User{Email: fmt.Sprintf("user%05d@example.org", i), Name: fmt.Sprint("User ", i),
				Phone: fmt.Sprintf("+4474%08d", i), CreatedAt: t0}
			if !yield(u) {
				return
			}
		}
	}
	n, err := s.ImportUsers(ctx, gen)
	mustNot(t, err, "ImportUsers")
	if n != many {
		t.Errorf("ImportUsers = %d, want %d", n, many)
	}
	if c, err := s.CountUsers(ctx); err != nil || c != many {
		t.Errorf("CountUsers = %d, %v; want %d", c, err, many)
	}
	for _, i := range []int{0, many / 2, many - 1} {
		u, err := s.UserByEmail(ctx, fmt.Sprintf("USER%05d@example.org", i))
		mustNot(t, err, "UserByEmail")
		if want := fmt.Sprintf("+4474%08d", i); u.Phone != want {
			t.Errorf("user %d has phone %q, want %q", i, u.Phone, want)
		}
	}
}

func testImportUsersNone(t *testing.T, s store.Store) {
	ctx := t.Context()
	n, err := s.ImportUsers(ctx, slices.Values([]*store.User(nil)))
	if err != nil || n != 0 {
		t.Errorf("ImportUsers(nothing) = %d, %v; want 0, nil", n, err)
	}
	if c, err := s.CountUsers(ctx); err != nil || c != 0 {
		t.Errorf("CountUsers = %d, %v; want 0", c, err)
	}
}

func testImportUsersEmailTaken(t *testing.T, s store.Store) {
	ctx := t.Context()
	createUser(t, s, "ann@example.org")
	users := []*store.User{
		{Email: "bob@example.org", CreatedAt: t0},
		{Email: "Ann@Example.ORG", CreatedAt: t0},
		{Email: "cy@example.org", CreatedAt: t0},
	}
	// All or none: the users before the clash are gone too.
	wantImportRefused(t, s, "with a stored email", users, 1)
	_, err := s.UserByEmail(ctx, "bob@example.org")
	wantNotFound(t, err, "UserByEmail(bob, imported before the clash)")
}

func testImportUsersEmailTwice(t *testing.T, s store.Store) {
	users := []*store.User{
		{Email: "dup@example.org", CreatedAt: t0},
		{Email: "other@example.org", CreatedAt: t0},
		{Email: "DUP@example.org", CreatedAt: t0},
	}
	wantImportRefused(t, s, "with an email twice", users, 0)
}

// wantImportRefused checks that ImportUsers of users, one of whose emails
// is taken (what says how), is store.ErrEmailTaken and imports none of
// them: the store still holds just its stored users.
func wantImportRefused(t *testing.T, s store.Store, what string, users []*store.User, stored int) {
	t.Helper()
	n, err := s.ImportUsers(t.Context(), slices.Values(users))
	if !errors.Is(err, store.ErrEmailTaken) {
		t.Errorf("ImportUsers %s = %d, %v; want store.ErrEmailTaken", what, n, err)
	}
	if c, err := s.CountUsers(t.Context()); err != nil || c != stored {
		t.Errorf("CountUsers = %d, %v; want %d (nothing imported)", c, err, stored)
	}
}
