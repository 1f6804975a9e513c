package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/providerportal/portal/internal/store"
)

// The administrator role and deactivation, and the rule that the portal
// always keeps an active administrator.
var adminsTests = []test{
	{"SetAdmin", testSetAdmin},
	{"SetAdminLastAdmin", testSetAdminLastAdmin},
	{"SetAdminDeactivatedUser", testSetAdminDeactivatedUser},
	{"SetDeactivated", testSetDeactivated},
	{"SetDeactivatedLastAdmin", testSetDeactivatedLastAdmin},
	{"LastAdminIgnoresDeactivated", testLastAdminIgnoresDeactivated},
	{"LastAdminOnlyForAdmins", testLastAdminOnlyForAdmins},
	{"AdminChangesUnknownUser", testAdminChangesUnknownUser},
	{"LastAdminConcurrent", testLastAdminConcurrent},
	{"LastAdminConcurrentMany", testLastAdminConcurrentMany},
}

func createAdmin(t *testing.T, s store.Store, email string) *store.User {
	t.Helper()
	u := newAdmin(email)
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}

func wantLastAdmin(t *testing.T, err error, call string) {
	t.Helper()
	if !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("%s: err = %v, want store.ErrLastAdmin", call, err)
	}
}

func testSetAdmin(t *testing.T, s store.Store) {
	createAdmin(t, s, "admin@example.org")
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")

	setTwice(t, s, "SetAdmin", s.SetAdmin, u, func(want *store.User) { want.Admin = true })
	checkUser(t, s, "other user", *other)
}

// setTwice sets a flag of u with set, named name, twice, then clears it
// twice: none of the four calls is an error, and after each u is as
// flag makes it, or as it was.
func setTwice(t *testing.T, s store.Store, name string, set func(context.Context, int64, bool) error, u *store.User, flag func(*store.User)) {
	t.Helper()
	want := *u
	flag(&want)
	for range 2 { // setting it twice is no error
		mustNot(t, set(t.Context(), u.ID, true), name+"(true)")
		checkUser(t, s, "user after "+name+"(true)", want)
	}
	for range 2 { // nor is clearing it twice
		mustNot(t, set(t.Context(), u.ID, false), name+"(false)")
		checkUser(t, s, "user after "+name+"(false)", *u)
	}
}

// lastAdminRefused makes two administrators, a and b, and demotes both
// with d: a may go, as b is left, but b is refused with
// store.ErrLastAdmin and stays as it was.
func lastAdminRefused(t *testing.T, s store.Store, d demotion) (a, b *store.User) {
	t.Helper()
	a = createAdmin(t, s, "a@example.org")
	b = createAdmin(t, s, "b@example.org")
	mustNot(t, d.f(t, a.ID), d.name+" of a, with b left")
	wantLastAdmin(t, d.f(t, b.ID), d.name+" of the last admin")
	checkUser(t, s, "refused last admin", *b) // unchanged
	return a, b
}

func testSetAdminLastAdmin(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, b := lastAdminRefused(t, s, demotions(s)[0])
	u := createUser(t, s, "ann@example.org")

	// Another administrator, and b may go.
	mustNot(t, s.SetAdmin(ctx, u.ID, true), "SetAdmin(u, true)")
	mustNot(t, s.SetAdmin(ctx, b.ID, false), "SetAdmin(b, false) with u left")
	wantLastAdmin(t, s.SetAdmin(ctx, u.ID, false), "SetAdmin(last admin, false)")
}

func testSetAdminDeactivatedUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createAdmin(t, s, "admin@example.org")
	u := &store.User{Email: "ann@example.org", Deactivated: true, CreatedAt: t0}
	mustNot(t, s.CreateUser(ctx, u), "CreateUser")

	mustNot(t, s.SetAdmin(ctx, u.ID, true), "SetAdmin(deactivated user, true)")
	want := *u
	want.Admin = true
	checkUser(t, s, "deactivated user after SetAdmin(true)", want) // still deactivated

	// A deactivated administrator is not an active one.
	wantLastAdmin(t, s.SetAdmin(ctx, a.ID, false), "SetAdmin(last active admin, false)")
}

func testSetDeactivated(t *testing.T, s store.Store) {
	createAdmin(t, s, "admin@example.org")
	b := createAdmin(t, s, "b@example.org")
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")

	for _, v := range []*store.User{u, b} {
		setTwice(t, s, "SetDeactivated", s.SetDeactivated, v, func(want *store.User) { want.Deactivated = true })
	}
	checkUser(t, s, "other user", *other)
}

func testSetDeactivatedLastAdmin(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := lastAdminRefused(t, s, demotions(s)[1])
	mustNot(t, s.SetDeactivated(ctx, b.ID, false), "SetDeactivated(last admin, false)")

	// Reactivated, a counts again.
	mustNot(t, s.SetDeactivated(ctx, a.ID, false), "SetDeactivated(a, false)")
	mustNot(t, s.SetDeactivated(ctx, b.ID, true), "SetDeactivated(b, true) with a back")
}

func testLastAdminIgnoresDeactivated(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createAdmin(t, s, "a@example.org")
	d := newAdmin("d@example.org")
	d.Deactivated = true
	mustNot(t, s.CreateUser(ctx, d), "CreateUser")

	// d does not count: a is the last active administrator.
	wantLastAdmin(t, s.SetAdmin(ctx, a.ID, false), "SetAdmin(last active admin, false)")
	wantLastAdmin(t, s.SetDeactivated(ctx, a.ID, true), "SetDeactivated(last active admin, true)")
	checkUser(t, s, "refused last admin", *a)

	// d is not active: deactivating it again, or taking its role, leaves a.
	mustNot(t, s.SetDeactivated(ctx, d.ID, true), "SetDeactivated(deactivated admin, true)")
	mustNot(t, s.SetAdmin(ctx, d.ID, false), "SetAdmin(deactivated admin, false)")

	// Back as an active administrator, d lets a go.
	mustNot(t, s.SetAdmin(ctx, d.ID, true), "SetAdmin(d, true)")
	mustNot(t, s.SetDeactivated(ctx, d.ID, false), "SetDeactivated(d, false)")
	mustNot(t, s.SetAdmin(ctx, a.ID, false), "SetAdmin(a, false) with d active")
}

// Taking the role from a user who does not have it, or deactivating one,
// is not taking it from the last administrator, even with none left.
func testLastAdminOnlyForAdmins(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	mustNot(t, s.SetAdmin(ctx, u.ID, false), "SetAdmin(user, false) with no admin")
	mustNot(t, s.SetDeactivated(ctx, u.ID, true), "SetDeactivated(user, true) with no admin")

	createAdmin(t, s, "admin@example.org")
	v := createUser(t, s, "bob@example.org")
	mustNot(t, s.SetAdmin(ctx, v.ID, false), "SetAdmin(user, false) with one admin")
	mustNot(t, s.SetDeactivated(ctx, v.ID, true), "SetDeactivated(user, true) with one admin")
}

func testAdminChangesUnknownUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	check := func(unknown int64) {
		t.Helper()
		for _, v := range []bool{true, false} {
			wantNotFound(t, s.SetAdmin(ctx, unknown, v), fmt.Sprintf("SetAdmin(unknown, %t)", v))
			wantNotFound(t, s.SetDeactivated(ctx, unknown, v), fmt.Sprintf("SetDeactivated(unknown, %t)", v))
		}
	}
	check(1) // no user, no administrator at all
	a := createAdmin(t, s, "admin@example.org")
	check(a.ID + 1000)
	checkUser(t, s, "admin", *a)
}

// demotion is a way of taking away an active administrator: f takes it
// from the user id; name says how.
type demotion struct {
	name string
	f    func(t *testing.T, id int64) error
}

// demotions are the two ways of taking away an active administrator: the
// role, and deactivation.
func demotions(s store.Store) []demotion {
	return []demotion{
		{"SetAdmin(false)", func(t *testing.T, id int64) error { return s.SetAdmin(t.Context(), id, false) }},
		{"SetDeactivated(true)", func(t *testing.T, id int64) error { return s.SetDeactivated(t.Context(), id, true) }},
	}
}

// activeAdmins counts the active administrators among ids.
func activeAdmins(t *testing.T, s store.Store, ids ...int64) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		u, err := s.UserByID(t.Context(), id)
		mustNot(t, err, "UserByID")
		if u.Admin && !u.Deactivated {
			n++
		}
	}
	return n
}

// testLastAdminConcurrent demotes the last two administrators at once, in
// every combination of the two ways, several times: exactly one succeeds.
func testLastAdminConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createAdmin(t, s, "a@example.org")
	b := createAdmin(t, s, "b@example.org")
	ds := demotions(s)
	for round := range 5 {
		for _, pair := range [][2]int{{0, 0}, {1, 1}, {0, 1}, {1, 0}} {
			onA, onB := ds[pair[0]], ds[pair[1]]
			errs := make([]error, 2)
			Concurrently(2, func(i int) {
				if i == 0 {
					errs[0] = onA.f(t, a.ID)
				} else {
					errs[1] = onB.f(t, b.ID)
				}
			})
			what := fmt.Sprintf("round %d: %s of a and %s of b at once", round, onA.name, onB.name)
			if ok, last := CountLastAdmin(t, what, errs); ok != 1 || last != 1 {
				t.Fatalf("%s: %d succeeded and %d got store.ErrLastAdmin, want 1 and 1", what, ok, last)
			}
			if n := activeAdmins(t, s, a.ID, b.ID); n != 1 {
				t.Fatalf("%s: %d active administrators left, want 1", what, n)
			}
			// Both back for the next round.
			for _, id := range []int64{a.ID, b.ID} {
				mustNot(t, s.SetAdmin(ctx, id, true), "SetAdmin(true)")
				mustNot(t, s.SetDeactivated(ctx, id, false), "SetDeactivated(false)")
			}
		}
	}
}

// testLastAdminConcurrentMany demotes n administrators at once: all but
// one succeed.
func testLastAdminConcurrentMany(t *testing.T, s store.Store) {
	const n = 6
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = createAdmin(t, s, fmt.Sprintf("admin%d@example.org", i)).ID
	}
	ds := demotions(s)
	errs := make([]error, n)
	Concurrently(n, func(i int) { errs[i] = ds[i%2].f(t, ids[i]) })
	if _, last := CountLastAdmin(t, "concurrent demotion", errs); last != 1 {
		t.Errorf("%d of %d concurrent demotions got store.ErrLastAdmin, want 1", last, n)
	}
	if got := activeAdmins(t, s, ids...); got != 1 {
		t.Errorf("%d active administrators left, want 1", got)
	}
}
