package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var challengesTests = []test{
	{"IssueChallenge", testIssueChallenge},
	{"LatestChallengeNotFound", testLatestChallengeNotFound},
	{"LatestChallengeNewest", testLatestChallengeNewest},
	{"IssueChallengeVoidsPredecessors", testIssueChallengeVoidsPredecessors},
	{"IssueChallengeCarriesFailures", testIssueChallengeCarriesFailures},
	{"IssueChallengeConcurrent", testIssueChallengeConcurrent},
	{"ConsumeChallenge", testConsumeChallenge},
	{"ConsumeChallengeExpired", testConsumeChallengeExpired},
	{"ConsumeChallengeVoided", testConsumeChallengeVoided},
	{"ConsumeChallengeConcurrent", testConsumeChallengeConcurrent},
	{"CompleteLogin", testCompleteLogin},
	{"CompleteLoginAllOrNothing", testCompleteLoginAllOrNothing},
	{"CompleteLoginConcurrent", testCompleteLoginConcurrent},
	{"CountWrongCode", testCountWrongCode},
	{"CountWrongCodeNotActive", testCountWrongCodeNotActive},
	{"CountWrongCodeConcurrent", testCountWrongCodeConcurrent},
	{"CountWrongCodeConcurrentCodes", testCountWrongCodeConcurrentCodes},
	{"CountChallenges", testCountChallenges},
	{"NewestChallenge", testNewestChallenge},
	{"TakeOverChallenge", testTakeOverChallenge},
	{"TakeOverChallengeRefused", testTakeOverChallengeRefused},
	{"TakeOverChallengeConcurrent", testTakeOverChallengeConcurrent},
	{"MarkChallengeUndelivered", testMarkChallengeUndelivered},
}

func testMarkChallengeUndelivered(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := &store.Challenge{UserID: u.ID, AttemptID: "a", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: "+447546123456", CodeHash: []byte{1}, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	if err := s.IssueChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, s, c); !got.UndeliveredAt.IsZero() {
		t.Fatalf("a new challenge is undelivered: %v", got.UndeliveredAt)
	}
	if err := s.MarkChallengeUndelivered(ctx, c.ID, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := latest(t, s, c)
	if !got.UndeliveredAt.Equal(t0.Add(time.Second)) || !got.Active(t0.Add(2*time.Second)) {
		t.Fatalf("after MarkChallengeUndelivered: %+v", got)
	}
	// The code still works if the message arrives after all.
	if !consume(t, s, c.ID, t0.Add(time.Minute)) {
		t.Fatal("an undelivered challenge could not be used")
	}
	wantNotFound(t, s.MarkChallengeUndelivered(ctx, c.ID+1000, t0), "MarkChallengeUndelivered(unknown)")
}

func latest(t *testing.T, s store.Store, c *store.Challenge) *store.Challenge {
	t.Helper()
	got, err := s.LatestChallenge(t.Context(), c.UserID, c.AttemptID, c.Purpose)
	if err != nil {
		t.Fatalf("LatestChallenge: %v", err)
	}
	return got
}

func consume(t *testing.T, s store.Store, id int64, at time.Time) bool {
	t.Helper()
	ok, err := s.ConsumeChallenge(t.Context(), id, at)
	if err != nil {
		t.Fatalf("ConsumeChallenge: %v", err)
	}
	return ok
}

func testIssueChallenge(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	c := newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0)
	c.Channel, c.Destination = store.ChannelEmail, "ann@example.org"
	issue(t, s, c)
	if c.Failures != 0 {
		t.Errorf("first challenge Failures = %d, want 0", c.Failures)
	}
	checkRecord(t, "challenge", *latest(t, s, c), *c)

	d := issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeChangePhone, t0))
	if d.ID == c.ID {
		t.Errorf("two challenges have ID %d", d.ID)
	}
	checkRecord(t, "challenge", *latest(t, s, d), *d)
}

func testLatestChallengeNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	_, err := s.LatestChallenge(ctx, u.ID, "attempt-1", store.PurposeLogin)
	wantNotFound(t, err, "LatestChallenge with none issued")

	issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	_, err = s.LatestChallenge(ctx, u.ID, "attempt-2", store.PurposeLogin)
	wantNotFound(t, err, "LatestChallenge(other attempt)")
	_, err = s.LatestChallenge(ctx, u.ID, "attempt-1", store.PurposeRegisterPhone)
	wantNotFound(t, err, "LatestChallenge(other purpose)")
	_, err = s.LatestChallenge(ctx, u.ID+1000, "attempt-1", store.PurposeLogin)
	wantNotFound(t, err, "LatestChallenge(other user)")
}

func testLatestChallengeNewest(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	c2 := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Minute)))
	if got := latest(t, s, c2); got.ID != c2.ID {
		t.Fatalf("LatestChallenge = %d, want the newer %d", got.ID, c2.ID)
	}
	// Used or not.
	at := t0.Add(2 * time.Minute)
	if !consume(t, s, c2.ID, at) {
		t.Fatal("ConsumeChallenge = false")
	}
	got := latest(t, s, c2)
	want := *c2
	want.ConsumedAt = at
	checkRecord(t, "used challenge", *got, want)
}

func testIssueChallengeVoidsPredecessors(t *testing.T, s store.Store) {
	ann := createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	first := issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0))
	// Same user, attempt and purpose: voided by the next one.
	prev := issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Second)))
	// Not the same user, attempt and purpose: left alone.
	others := []*store.Challenge{
		issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeChangePhone, t0)),
		issue(t, s, newChallenge(ann.ID, "attempt-2", store.PurposeLogin, t0)),
		issue(t, s, newChallenge(bob.ID, "attempt-1", store.PurposeLogin, t0)),
	}
	next := issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Minute)))

	at := t0.Add(90 * time.Second)
	for _, c := range []*store.Challenge{first, prev} {
		if consume(t, s, c.ID, at) {
			t.Errorf("challenge %d, replaced by a new one, could still be used", c.ID)
		}
		if r := wrongCode(t, s, c, 5, at); r.Counted || !r.Voided {
			t.Errorf("CountWrongCode(replaced) = %+v; want not counted, void", r)
		}
	}
	for _, c := range others {
		if got := latest(t, s, c); !got.VoidedAt.IsZero() {
			t.Errorf("challenge %s/%s of user %d was voided", c.AttemptID, c.Purpose, c.UserID)
		}
		if !consume(t, s, c.ID, at) {
			t.Errorf("challenge %s/%s of user %d could not be used", c.AttemptID, c.Purpose, c.UserID)
		}
	}
	got := latest(t, s, next)
	checkRecord(t, "new challenge", *got, *next)
	if !consume(t, s, next.ID, at) {
		t.Error("the new challenge could not be used")
	}
}

func testIssueChallengeCarriesFailures(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	fail := func(c *store.Challenge, max int) {
		t.Helper()
		if r := wrongCode(t, s, c, max, t0); !r.Counted {
			t.Fatalf("CountWrongCode = %+v, not counted", r)
		}
	}
	c1 := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	fail(c1, 5)
	fail(c1, 5)
	c2 := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Minute)))
	if c2.Failures != 2 {
		t.Errorf("resent challenge Failures = %d, want 2 carried over", c2.Failures)
	}
	if got := latest(t, s, c2); got.Failures != 2 {
		t.Errorf("stored resent challenge Failures = %d, want 2", got.Failures)
	}
	fail(c2, 5)
	fail(c2, 5)
	fail(c2, 5) // the fifth: voided
	c3 := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0.Add(2*time.Minute)))
	if c3.Failures != 5 {
		t.Errorf("challenge after a voided one Failures = %d, want 5", c3.Failures)
	}

	// A new attempt, or another purpose, starts from 0.
	for _, c := range []*store.Challenge{
		newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0.Add(3*time.Minute)),
		newChallenge(u.ID, "attempt-1", store.PurposeChangePhone, t0.Add(3*time.Minute)),
	} {
		if issue(t, s, c); c.Failures != 0 {
			t.Errorf("challenge %s/%s Failures = %d, want 0", c.AttemptID, c.Purpose, c.Failures)
		}
	}
}

func testIssueChallengeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	const n = 10
	cs := make([]*store.Challenge, n)
	Concurrently(n, func(i int) {
		c := newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Duration(i)*time.Second))
		if err := s.IssueChallenge(ctx, c); err != nil {
			t.Errorf("IssueChallenge: %v", err)
		}
		cs[i] = c
	})
	usable := 0
	for _, c := range cs {
		if consume(t, s, c.ID, t0.Add(time.Minute)) {
			usable++
		}
	}
	if usable != 1 {
		t.Errorf("after %d concurrent IssueChallenge calls %d challenges were usable, want 1", n, usable)
	}
}

func testConsumeChallenge(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	at := t0.Add(time.Minute)
	if !consume(t, s, c.ID, at) {
		t.Fatal("ConsumeChallenge of a fresh challenge = false")
	}
	if consume(t, s, c.ID, at.Add(time.Second)) {
		t.Error("a challenge could be used twice")
	}
	got := latest(t, s, c)
	if !sameTime(got.ConsumedAt, at) || got.Active(at) {
		t.Errorf("used challenge ConsumedAt = %v, want %v", got.ConsumedAt, at)
	}
	if consume(t, s, c.ID+1000, at) {
		t.Error("ConsumeChallenge of an unknown id = true")
	}
}

func testConsumeChallengeExpired(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	if consume(t, s, c.ID, c.ExpiresAt) {
		t.Error("a challenge could be used at its expiry")
	}
	if consume(t, s, c.ID, c.ExpiresAt.Add(time.Hour)) {
		t.Error("a challenge could be used after its expiry")
	}
	if got := latest(t, s, c); !got.ConsumedAt.IsZero() {
		t.Errorf("refused ConsumeChallenge set ConsumedAt %v", got.ConsumedAt)
	}
	if !consume(t, s, c.ID, c.ExpiresAt.Add(-time.Millisecond)) {
		t.Error("a challenge could not be used just before its expiry")
	}
}

func testConsumeChallengeVoided(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	// Voided by too many wrong tries.
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	if r := wrongCode(t, s, c, 1, t0.Add(time.Second)); !r.Voided {
		t.Fatalf("CountWrongCode(max 1) = %+v, not void", r)
	}
	if consume(t, s, c.ID, t0.Add(time.Minute)) {
		t.Error("a challenge voided by wrong tries could be used")
	}
	// Voided by a resend: see testIssueChallengeVoidsPredecessors.
}

func testConsumeChallengeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	const n = 20
	results := make([]bool, n)
	Concurrently(n, func(i int) {
		ok, err := s.ConsumeChallenge(ctx, c.ID, t0.Add(time.Minute))
		if err != nil {
			t.Errorf("ConsumeChallenge: %v", err)
		}
		results[i] = ok
	})
	won := 0
	for _, ok := range results {
		if ok {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent ConsumeChallenge calls returned true, want 1", won, n)
	}
}

// wrongCode counts a wrong code for c, leaving the account's lock alone,
// and returns what the store did.
func wrongCode(t *testing.T, s store.Store, c *store.Challenge, max int, at time.Time) store.WrongCodeCount {
	t.Helper()
	r, err := s.CountWrongCode(t.Context(), store.WrongCode{ChallengeID: c.ID, MaxTries: max, At: at})
	mustNot(t, err, "CountWrongCode")
	return r
}

// wrongCodes adds n wrong codes to the account's count, each for a code of
// its own (attempts "wrong-1", …), with lock.
func wrongCodes(t *testing.T, s store.Store, userID int64, n int, lock func(int) time.Time) {
	t.Helper()
	for i := range n {
		c := issue(t, s, newChallenge(userID, fmt.Sprintf("wrong-%d", i+1), store.PurposeLogin, t0))
		r, err := s.CountWrongCode(t.Context(), store.WrongCode{ChallengeID: c.ID, MaxTries: 5, At: t0, Lock: lock})
		mustNot(t, err, "CountWrongCode")
		if !r.Counted {
			t.Fatalf("CountWrongCode = %+v, not counted", r)
		}
	}
}

// inARow is the account's count of wrong codes in a row and its code lock.
func inARow(t *testing.T, s store.Store, userID int64) (int, time.Time) {
	t.Helper()
	u, err := s.UserByID(t.Context(), userID)
	mustNot(t, err, "UserByID")
	return u.CodeFailures, u.CodeLockedUntil
}

func testCountWrongCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")
	wrongCodes(t, s, other.ID, 1, nil)
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	var locks lockCalls
	tryUntilVoid(t, s, u, c, &locks)
	tryVoidCode(t, s, u, c, &locks)
	c2 := tryLockFunctions(t, s, u, other)

	_, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: c2.ID + 1000, MaxTries: wrongCodeTries, At: t0})
	wantNotFound(t, err, "CountWrongCode(unknown)")
}

// wrongCodeTries is MaxTries in testCountWrongCode.
const wrongCodeTries = 3

// lockCalls is the Lock function of testCountWrongCode, which keeps what
// it was called with: no lock for the first wrong code in a row, n
// minutes after t0 from the second.
type lockCalls struct{ args []int }

func (l *lockCalls) lock(n int) time.Time {
	l.args = append(l.args, n)
	if n < 2 {
		return time.Time{}
	}
	return t0.Add(time.Duration(n) * time.Minute)
}

// tryUntilVoid counts wrong codes at c until it is void, of
// testCountWrongCode.
func tryUntilVoid(t *testing.T, s store.Store, u *store.User, c *store.Challenge, locks *lockCalls) {
	ctx := t.Context()
	const max = wrongCodeTries
	lock := locks.lock
	for i := 1; i <= max; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		r, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: c.ID, MaxTries: max, At: at, Lock: lock})
		mustNot(t, err, "CountWrongCode")
		want := store.WrongCodeCount{Counted: true, Failures: i, Voided: i == max, InARow: i}
		if i >= 2 {
			want.LockedUntil = t0.Add(time.Duration(i) * time.Minute)
		}
		if r.Counted != want.Counted || r.Failures != want.Failures || r.Voided != want.Voided || r.Used ||
			r.InARow != want.InARow || !sameTime(r.LockedUntil, want.LockedUntil) {
			t.Errorf("try %d: CountWrongCode = %+v; want %+v", i, r, want)
		}
	}
	if !slices.Equal(locks.args, []int{1, 2, 3}) {
		t.Errorf("lock called with %v, want [1 2 3]", locks.args)
	}
	got := latest(t, s, c)
	want := *c
	want.Failures, want.VoidedAt = max, t0.Add(max*time.Second)
	checkRecord(t, "challenge tried too often", *got, want)
	if n, until := inARow(t, s, u.ID); n != max || !sameTime(until, t0.Add(max*time.Minute)) {
		t.Errorf("account after %d wrong codes: %d in a row, locked until %v; want %d, %v", max, n, until, max, t0.Add(max*time.Minute))
	}
}

// tryVoidCode counts a wrong code at c, void by now, of testCountWrongCode.
func tryVoidCode(t *testing.T, s store.Store, u *store.User, c *store.Challenge, locks *lockCalls) {
	ctx := t.Context()
	const max = wrongCodeTries
	lock := locks.lock
	// A try at the void code is no try: neither it nor the account counts it.
	r, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: c.ID, MaxTries: max, At: t0.Add(time.Minute), Lock: lock})
	mustNot(t, err, "CountWrongCode(void)")
	if r.Counted || r.Failures != max || !r.Voided || r.Used || r.InARow != 0 {
		t.Errorf("CountWrongCode on a void code = %+v; want not counted, %d tries, void", r, max)
	}
	if len(locks.args) != 3 {
		t.Errorf("lock called for a try that did not count (%v)", locks.args)
	}
	if n, _ := inARow(t, s, u.ID); n != max {
		t.Errorf("account counts %d wrong codes after a try at a void code, want %d", n, max)
	}
}

// tryLockFunctions counts wrong codes at a new code of u without a lock
// function and with one that sets none, of testCountWrongCode, and
// returns the code.
func tryLockFunctions(t *testing.T, s store.Store, u, other *store.User) *store.Challenge {
	ctx := t.Context()
	const max = wrongCodeTries
	// Without a lock function the lock stays; a zero time from it is none.
	c2 := issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0))
	if r := wrongCode(t, s, c2, max, t0); r.InARow != max+1 || !sameTime(r.LockedUntil, t0.Add(max*time.Minute)) {
		t.Errorf("CountWrongCode(nil lock) = %+v; want %d in a row, the lock as it was", r, max+1)
	}
	r, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: c2.ID, MaxTries: max, At: t0,
		Lock: func(int) time.Time { return time.Time{} }})
	mustNot(t, err, "CountWrongCode")
	if r.InARow != max+2 || !r.LockedUntil.IsZero() {
		t.Errorf("CountWrongCode(no lock) = %+v; want %d in a row, no lock", r, max+2)
	}
	if n, until := inARow(t, s, u.ID); n != max+2 || !until.IsZero() {
		t.Errorf("account: %d in a row, locked until %v; want %d, none", n, until, max+2)
	}
	if n, _ := inARow(t, s, other.ID); n != 1 {
		t.Errorf("another account counts %d wrong codes, want 1 (its own)", n)
	}
	return c2
}

// testCountWrongCodeNotActive: a try at a code that was used, replaced or
// has expired counts nowhere.
func testCountWrongCodeNotActive(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	used := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	if !consume(t, s, used.ID, t0.Add(time.Second)) {
		t.Fatal("ConsumeChallenge = false")
	}
	replaced := issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0))
	issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0.Add(time.Second)))
	expired := issue(t, s, newChallenge(u.ID, "attempt-3", store.PurposeLogin, t0))

	for _, tc := range []struct {
		name   string
		c      *store.Challenge
		at     time.Time
		used   bool
		voided bool
	}{
		{"used", used, t0.Add(time.Minute), true, false},
		{"replaced", replaced, t0.Add(time.Minute), false, true},
		{"expired", expired, expired.ExpiresAt, false, false},
		{"long expired", expired, expired.ExpiresAt.Add(time.Hour), false, false},
	} {
		r := wrongCode(t, s, tc.c, 3, tc.at)
		if r.Counted || r.Used != tc.used || r.Voided != tc.voided || r.Failures != 0 || r.InARow != 0 {
			t.Errorf("CountWrongCode on a %s code = %+v; want not counted, used %t, void %t, 0 tries",
				tc.name, r, tc.used, tc.voided)
		}
		if got := latest(t, s, tc.c); got.ID == tc.c.ID && got.Failures != 0 {
			t.Errorf("%s code changed: Failures %d", tc.name, got.Failures)
		}
	}
	if n, until := inARow(t, s, u.ID); n != 0 || !until.IsZero() {
		t.Errorf("account after tries at codes that no longer work: %d in a row, locked until %v; want 0, none", n, until)
	}
	// Just before it expires, a code still counts its tries.
	c := issue(t, s, newChallenge(u.ID, "attempt-4", store.PurposeLogin, t0))
	if r := wrongCode(t, s, c, 3, c.ExpiresAt.Add(-time.Millisecond)); !r.Counted || r.InARow != 1 {
		t.Errorf("CountWrongCode just before expiry = %+v; want counted, 1 in a row", r)
	}
}

// testCountWrongCodeConcurrent: twenty wrong codes at once for one code
// count its five tries, one at a time, and add five to the account.
func testCountWrongCodeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	const n, max = 20, 5
	results := make([]store.WrongCodeCount, n)
	Concurrently(n, func(i int) {
		r, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: c.ID, MaxTries: max, At: t0.Add(time.Second),
			Lock: func(f int) time.Time { return t0.Add(time.Duration(f) * time.Minute) }})
		if err != nil {
			t.Errorf("CountWrongCode: %v", err)
		}
		results[i] = r
	})
	counted, voidedBy := 0, 0
	seen, seenInARow := map[int]bool{}, map[int]bool{}
	for _, r := range results {
		if !r.Counted {
			if r.InARow != 0 || r.Failures != max || !r.Voided {
				t.Errorf("a try that did not count returned %+v", r)
			}
			continue
		}
		counted++
		if seen[r.Failures] || r.Failures < 1 || r.Failures > max || seenInARow[r.InARow] || r.InARow < 1 || r.InARow > max {
			t.Errorf("counted tries returned %+v", results)
		}
		seen[r.Failures], seenInARow[r.InARow] = true, true
		if r.Voided {
			voidedBy++
		}
	}
	if counted != max || voidedBy != 1 {
		t.Errorf("of %d concurrent tries %d counted and %d voided, want %d and 1", n, counted, voidedBy, max)
	}
	got := latest(t, s, c)
	if got.Failures != max || got.VoidedAt.IsZero() {
		t.Errorf("challenge Failures = %d, VoidedAt %v; want %d and voided", got.Failures, got.VoidedAt, max)
	}
	if f, until := inARow(t, s, u.ID); f != max || !sameTime(until, t0.Add(max*time.Minute)) {
		t.Errorf("after %d wrong codes at once for one code the account counts %d in a row, locked until %v; want %d, %v",
			n, f, until, max, t0.Add(max*time.Minute))
	}
}

// testCountWrongCodeConcurrentCodes: wrong codes at once for two codes of
// one account (two logins) add each code's tries to the account, no more
// and none lost.
func testCountWrongCodeConcurrentCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	codes := []*store.Challenge{
		issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0)),
		issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0)),
	}
	const n, max = 30, 5
	counts := make([]int, n)
	Concurrently(n, func(i int) {
		r, err := s.CountWrongCode(ctx, store.WrongCode{ChallengeID: codes[i%2].ID, MaxTries: max, At: t0.Add(time.Second)})
		if err != nil {
			t.Errorf("CountWrongCode: %v", err)
		}
		counts[i] = r.InARow
	})
	slices.Sort(counts)
	counts = slices.DeleteFunc(counts, func(c int) bool { return c == 0 }) // not counted
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counted tries returned the account's counts %v, want 1…%d once each", counts, 2*max)
		}
	}
	if len(counts) != 2*max {
		t.Errorf("%d of %d tries at two codes counted, want %d", len(counts), n, 2*max)
	}
	if f, _ := inARow(t, s, u.ID); f != 2*max {
		t.Errorf("after %d wrong codes at once for two codes the account counts %d in a row, want %d", n, f, 2*max)
	}
}

func testCountChallenges(t *testing.T, s store.Store) {
	ann := createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	to := func(c *store.Challenge, dest string) *store.Challenge {
		c.Destination = dest
		return c
	}
	// Same attempt, so each voids the one before: voided and used
	// challenges still count as sent.
	for i := range 3 {
		issue(t, s, to(newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Duration(i)*time.Minute)), "+15555550100"))
	}
	issue(t, s, to(newChallenge(bob.ID, "attempt-9", store.PurposeLogin, t0.Add(time.Minute)), "+15555550100"))
	issue(t, s, to(newChallenge(bob.ID, "attempt-9", store.PurposeRegisterPhone, t0.Add(3*time.Minute)), "+15555550199"))

	checkChallengeTimesForUser(t, s, ann, bob)
	checkCountChallengesForUserTo(t, s, ann, bob)

	// Carl asks for a change to the number ann and bob log in with.
	carl := createUser(t, s, "carl@example.org")
	issue(t, s, to(newChallenge(carl.ID, "attempt-5", store.PurposeChangePhone, t0.Add(4*time.Minute)), "+15555550100"))
	checkCountChallengesToDestination(t, s)
}

// checkChallengeTimesForUser checks the times of the codes sent to ann
// (three logins) and bob (a login and a registration) of testCountChallenges.
func checkChallengeTimesForUser(t *testing.T, s store.Store, ann, bob *store.User) {
	ctx := t.Context()
	m := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for _, tc := range []struct {
		user  int64
		since time.Time
		limit int
		want  []time.Time
	}{
		{ann.ID, t0.Add(-time.Hour), 10, []time.Time{m(2), m(1), m(0)}}, // newest first
		{ann.ID, t0, 10, []time.Time{m(2), m(1), m(0)}},                 // since is inclusive
		{ann.ID, t0.Add(time.Minute), 10, []time.Time{m(2), m(1)}},
		{ann.ID, t0, 2, []time.Time{m(2), m(1)}}, // the newest limit
		{ann.ID, t0.Add(3 * time.Minute), 10, nil},
		{bob.ID, t0, 10, []time.Time{m(3), m(1)}}, // every purpose and destination
		{bob.ID + 1000, t0, 10, nil},
	} {
		got, err := s.ChallengeTimesForUser(ctx, tc.user, tc.since, tc.limit)
		if err != nil || !slices.EqualFunc(got, tc.want, time.Time.Equal) {
			t.Errorf("ChallengeTimesForUser(%d, %v, %d) = %v, %v; want %v", tc.user, tc.since, tc.limit, got, err, tc.want)
		}
	}
}

// checkCountChallengesForUserTo checks the counts of the codes of ann and
// bob to each number, of testCountChallenges.
func checkCountChallengesForUserTo(t *testing.T, s store.Store, ann, bob *store.User) {
	ctx := t.Context()
	for _, tc := range []struct {
		user  int64
		dest  string
		since time.Time
		want  int
	}{
		{ann.ID, "+15555550100", t0, 3},
		{ann.ID, "+15555550100", t0.Add(time.Minute), 2},
		{bob.ID, "+15555550100", t0, 1}, // ann's codes to the number are not bob's
		{bob.ID, "+15555550100", t0.Add(time.Minute + time.Second), 0},
		{bob.ID, "+15555550199", t0, 1},
		{ann.ID, "+15555550199", t0, 0},
	} {
		n, err := s.CountChallengesForUserTo(ctx, tc.user, tc.dest, tc.since)
		if err != nil || n != tc.want {
			t.Errorf("CountChallengesForUserTo(%d, %s, %v) = %d, %v; want %d", tc.user, tc.dest, tc.since, n, err, tc.want)
		}
	}
}

// checkCountChallengesToDestination checks the counts of the codes to each
// number by purpose, of testCountChallenges once carl asked for a change.
func checkCountChallengesToDestination(t *testing.T, s store.Store) {
	ctx := t.Context()
	login := []store.Purpose{store.PurposeLogin}
	newNumber := []store.Purpose{store.PurposeRegisterPhone, store.PurposeChangePhone}
	all := []store.Purpose{store.PurposeLogin, store.PurposeRegisterPhone, store.PurposeChangePhone, store.PurposeStepUp}
	for _, tc := range []struct {
		dest     string
		purposes []store.Purpose
		since    time.Time
		want     int
	}{
		{"+15555550100", all, t0, 5},
		{"+15555550100", all, t0.Add(time.Minute), 4},
		{"+15555550100", all, t0.Add(4*time.Minute + time.Second), 0},
		{"+15555550100", login, t0, 4},
		{"+15555550100", newNumber, t0, 1}, // the logins of ann and bob are not counted
		{"+15555550100", []store.Purpose{store.PurposeRegisterPhone}, t0, 0},
		{"+15555550100", nil, t0, 0},
		{"+15555550199", newNumber, t0, 1},
		{"+15555550199", login, t0, 0},
		{"+15555550000", all, t0, 0},
	} {
		n, err := s.CountChallengesToDestination(ctx, tc.dest, tc.purposes, tc.since)
		if err != nil || n != tc.want {
			t.Errorf("CountChallengesToDestination(%s, %v, %v) = %d, %v; want %d", tc.dest, tc.purposes, tc.since, n, err, tc.want)
		}
	}
}

func testNewestChallenge(t *testing.T, s store.Store) {
	ctx := t.Context()
	ann := createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0))
	newest := issue(t, s, newChallenge(ann.ID, "attempt-2", store.PurposeLogin, t0.Add(time.Minute)))
	issue(t, s, newChallenge(ann.ID, "attempt-1", store.PurposeLogin, t0.Add(30*time.Second))) // a resend, older
	register := issue(t, s, newChallenge(ann.ID, "attempt-3", store.PurposeRegisterPhone, t0.Add(2*time.Minute)))
	issue(t, s, newChallenge(bob.ID, "attempt-4", store.PurposeLogin, t0.Add(3*time.Minute)))
	if !consume(t, s, newest.ID, t0.Add(2*time.Minute)) {
		t.Fatal("ConsumeChallenge = false")
	}

	got, err := s.NewestChallenge(ctx, ann.ID, store.PurposeLogin)
	mustNot(t, err, "NewestChallenge")
	want := *newest
	want.ConsumedAt = t0.Add(2 * time.Minute) // used or not
	checkRecord(t, "newest login challenge", *got, want)
	got, err = s.NewestChallenge(ctx, ann.ID, store.PurposeRegisterPhone)
	mustNot(t, err, "NewestChallenge")
	checkRecord(t, "newest registration challenge", *got, *register)
	_, err = s.NewestChallenge(ctx, ann.ID, store.PurposeChangePhone)
	wantNotFound(t, err, "NewestChallenge(no such purpose)")
	_, err = s.NewestChallenge(ctx, bob.ID+1000, store.PurposeLogin)
	wantNotFound(t, err, "NewestChallenge(unknown user)")
}

// takeOverSetup is a login at the code step ("old") with its code, a newer
// login of the same account ("new"), and sessions that must be left
// alone: the account's full session with the old login's attempt, and
// another account's login with it.
func takeOverSetup(t *testing.T, s store.Store) (u *store.User, c *store.Challenge, old, young, full, other *store.Session) {
	t.Helper()
	ctx := t.Context()
	u = createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	old = createSession(t, s, u.ID, "old", t0, t0)
	c = issue(t, s, newChallenge(u.ID, old.AttemptID, store.PurposeLogin, t0))
	young = createSession(t, s, u.ID, "new", t0.Add(time.Minute), t0.Add(time.Minute))
	full = &store.Session{TokenHash: hash("full"), UserID: u.ID, Stage: store.StageFull, AttemptID: old.AttemptID,
		CreatedAt: t0, LastSeenAt: t0, AuthenticatedAt: t0, MFA: true}
	mustNot(t, s.CreateSession(ctx, full), "CreateSession")
	other = &store.Session{TokenHash: hash("bob"), UserID: bob.ID, Stage: store.StageCode, AttemptID: old.AttemptID,
		CreatedAt: t0, LastSeenAt: t0}
	mustNot(t, s.CreateSession(ctx, other), "CreateSession")
	return u, c, old, young, full, other
}

func attemptOf(t *testing.T, s store.Store, tokenHash []byte) string {
	t.Helper()
	ss, err := s.SessionByHash(t.Context(), tokenHash)
	mustNot(t, err, "SessionByHash")
	return ss.AttemptID
}

func testTakeOverChallenge(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, c, old, young, full, other := takeOverSetup(t, s)
	at := t0.Add(2 * time.Minute)
	audit := &store.AuditEvent{Time: at, Event: "code.carried_over", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "login sms"}
	mustNot(t, s.TakeOverChallenge(ctx, store.ChallengeTakeOver{ChallengeID: c.ID, Session: young.TokenHash, At: at,
		Audit: []*store.AuditEvent{audit}}), "TakeOverChallenge")

	if got := attemptOf(t, s, young.TokenHash); got != c.AttemptID {
		t.Errorf("the new login's attempt = %q, want the code's %q", got, c.AttemptID)
	}
	if sessionExists(t, s, old.TokenHash) {
		t.Error("the login the code was sent for still holds it")
	}
	for _, ss := range []*store.Session{full, other} {
		if got := attemptOf(t, s, ss.TokenHash); got != ss.AttemptID {
			t.Errorf("a session that is not a login of the account changed: attempt %q", got)
		}
	}
	checkRecord(t, "code taken over", *latest(t, s, c), *c) // the code itself as it was
	if audit.ID == 0 {
		t.Error("the audit event got no ID")
	}
	events, err := s.AuditForUser(ctx, u.ID, 10)
	mustNot(t, err, "AuditForUser")
	if len(events) != 1 || events[0].Event != "code.carried_over" {
		t.Errorf("audit after TakeOverChallenge: %+v", events)
	}
	// The code can be used by the login that took it over, once.
	if !consume(t, s, c.ID, at) {
		t.Error("the code taken over could not be used")
	}
}

func testTakeOverChallengeRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, c, old, young, full, other := takeOverSetup(t, s)
	used := issue(t, s, newChallenge(u.ID, "attempt-used", store.PurposeLogin, t0))
	if !consume(t, s, used.ID, t0.Add(time.Second)) {
		t.Fatal("ConsumeChallenge = false")
	}
	void := issue(t, s, newChallenge(u.ID, "attempt-void", store.PurposeLogin, t0))
	if r := wrongCode(t, s, void, 1, t0.Add(time.Second)); !r.Voided {
		t.Fatal("the code was not voided")
	}
	at := t0.Add(2 * time.Minute)
	for _, tc := range []struct {
		name    string
		id      int64
		session []byte
		at      time.Time
	}{
		{"a used code", used.ID, young.TokenHash, at},
		{"a void code", void.ID, young.TokenHash, at},
		{"an expired code", c.ID, young.TokenHash, c.ExpiresAt},
		{"an unknown code", c.ID + 1000, young.TokenHash, at},
		{"another account's login", c.ID, other.TokenHash, at},
		{"a full session", c.ID, full.TokenHash, at},
		{"an unknown session", c.ID, hash("nobody"), at},
	} {
		err := s.TakeOverChallenge(ctx, store.ChallengeTakeOver{ChallengeID: tc.id, Session: tc.session, At: tc.at,
			Audit: []*store.AuditEvent{{Time: at, Event: "code.carried_over", Outcome: "success", SubjectID: u.ID}}})
		wantNotFound(t, err, "TakeOverChallenge("+tc.name+")")
	}
	if !sessionExists(t, s, old.TokenHash) || attemptOf(t, s, young.TokenHash) != young.AttemptID ||
		attemptOf(t, s, other.TokenHash) != other.AttemptID || attemptOf(t, s, full.TokenHash) != full.AttemptID {
		t.Error("a refused TakeOverChallenge changed sessions")
	}
	if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
		t.Errorf("a refused TakeOverChallenge left audit events: %+v, %v", events, err)
	}
}

// loginCodeSent creates user id's session "old" and issues it a login
// code, both at t0.
func loginCodeSent(t *testing.T, s store.Store, id int64) (*store.Session, *store.Challenge) {
	t.Helper()
	old := createSession(t, s, id, "old", t0, t0)
	return old, issue(t, s, newChallenge(id, old.AttemptID, store.PurposeLogin, t0))
}

// testTakeOverChallengeConcurrent: ten newer logins take over one code at
// once; afterwards exactly one login holds it.
func testTakeOverChallengeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	old, c := loginCodeSent(t, s, u.ID)
	const n = 10
	logins := make([]*store.Session, n)
	for i := range logins {
		logins[i] = createSession(t, s, u.ID, fmt.Sprint("new-", i), t0, t0)
	}
	Concurrently(n, func(i int) {
		err := s.TakeOverChallenge(ctx, store.ChallengeTakeOver{ChallengeID: c.ID, Session: logins[i].TokenHash, At: t0.Add(time.Minute)})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeOverChallenge: %v", err)
		}
	})
	holders := 0
	for _, ss := range append(logins, old) {
		got, err := s.SessionByHash(ctx, ss.TokenHash)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		mustNot(t, err, "SessionByHash")
		if got.AttemptID == c.AttemptID {
			holders++
		}
	}
	if holders != 1 {
		t.Errorf("after %d logins took over one code at once, %d hold it; want 1", n, holders)
	}
}

// completion is a CompleteLogin of session old by challenge c at at, to a
// new session named token, with two audit events.
func completion(u *store.User, c *store.Challenge, old *store.Session, token string, at time.Time) store.LoginCompletion {
	return store.LoginCompletion{
		ChallengeID: c.ID, At: at, OldSession: old.TokenHash,
		Session: &store.Session{TokenHash: hash(token), UserID: u.ID, Stage: store.StageFull,
			AttemptID: old.AttemptID, CreatedAt: at, LastSeenAt: at, AuthenticatedAt: at, CodeAt: at, MFA: true,
			PreviousLoginAt: at.Add(-24 * time.Hour)},
		Audit: []*store.AuditEvent{
			{Time: at, Event: "code.verify", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "login sms"},
			{Time: at, Event: "login", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "code by sms"},
		},
	}
}

func testCompleteLogin(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	wrongCodes(t, s, u.ID, 1, nil) // a wrong code before
	old, c := loginCodeSent(t, s, u.ID)
	at := t0.Add(time.Minute)
	l := completion(u, c, old, "new", at)
	mustNot(t, s.CompleteLogin(ctx, l), "CompleteLogin")

	if got := latest(t, s, c); !sameTime(got.ConsumedAt, at) {
		t.Errorf("challenge ConsumedAt = %v, want %v", got.ConsumedAt, at)
	}
	if sessionExists(t, s, old.TokenHash) || !sessionExists(t, s, hash("new")) {
		t.Error("the old session is not replaced by the new one")
	}
	checkSession(t, s, "the new session", *l.Session)
	checkLoggedIn(t, s, "user after login", u.ID, at, 2, l.Audit)
}

// checkLoggedIn checks the account userID after a login completed at at
// that wrote audit: its last login is at, its wrong codes are forgotten,
// and its audit log holds n events, audit among them (their ids set).
func checkLoggedIn(t *testing.T, s store.Store, what string, userID int64, at time.Time, n int, audit []*store.AuditEvent) {
	t.Helper()
	got, err := s.UserByID(t.Context(), userID)
	mustNot(t, err, "UserByID")
	if !sameTime(got.LastLoginAt, at) || got.CodeFailures != 0 {
		t.Errorf("%s: LastLoginAt %v, CodeFailures %d; want %v, 0", what, got.LastLoginAt, got.CodeFailures, at)
	}
	events, err := s.AuditForUser(t.Context(), userID, 10)
	mustNot(t, err, "AuditForUser")
	if len(events) != n || slices.ContainsFunc(audit, func(e *store.AuditEvent) bool { return e.ID == 0 }) {
		t.Errorf("%s: %d audit events (the new ones' ids %v), want %d, with ids", what, len(events), each(audit, func(e *store.AuditEvent) int64 { return e.ID }), n)
	}
}

// A code used meanwhile, or a session gone meanwhile, leaves everything as
// it was: no session, no login, no audit rows, the code unused.
func testCompleteLoginAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	at := t0.Add(time.Minute)
	unchanged := func(what string, c *store.Challenge, consumed bool, old *store.Session, oldThere bool) {
		t.Helper()
		if got := latest(t, s, c); got.ConsumedAt.IsZero() == consumed {
			t.Errorf("%s: challenge ConsumedAt = %v, want it as it was", what, got.ConsumedAt)
		}
		if sessionExists(t, s, old.TokenHash) != oldThere || sessionExists(t, s, hash("new")) {
			t.Errorf("%s: the sessions changed", what)
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || !got.LastLoginAt.IsZero() {
			t.Errorf("%s: login recorded (%v, %v)", what, got.LastLoginAt, err)
		}
		if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
			t.Errorf("%s: %d audit events written (%v)", what, len(events), err)
		}
	}

	// The code was used already.
	old, c := loginCodeSent(t, s, u.ID)
	if !consume(t, s, c.ID, at) {
		t.Fatal("ConsumeChallenge = false")
	}
	if err := s.CompleteLogin(ctx, completion(u, c, old, "new", at)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CompleteLogin with a used code: %v, want ErrNotFound", err)
	}
	unchanged("used code", c, true, old, true)

	// The code expired.
	old2 := createSession(t, s, u.ID, "old2", t0, t0)
	c2 := issue(t, s, newChallenge(u.ID, old2.AttemptID, store.PurposeLogin, t0))
	if err := s.CompleteLogin(ctx, completion(u, c2, old2, "new", c2.ExpiresAt)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CompleteLogin with an expired code: %v, want ErrNotFound", err)
	}
	unchanged("expired code", c2, false, old2, true)

	// The session is gone (logged out, or stepped up by another request).
	old3 := createSession(t, s, u.ID, "old3", t0, t0)
	c3 := issue(t, s, newChallenge(u.ID, old3.AttemptID, store.PurposeLogin, t0))
	mustNot(t, s.DeleteSession(ctx, old3.TokenHash), "DeleteSession")
	if err := s.CompleteLogin(ctx, completion(u, c3, old3, "new", at)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CompleteLogin of a deleted session: %v, want ErrNotFound", err)
	}
	unchanged("session gone", c3, false, old3, false)
}

// Of many completions of one login at once, exactly one succeeds.
func testCompleteLoginConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	old, c := loginCodeSent(t, s, u.ID)
	const n = 20
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		errs[i] = s.CompleteLogin(ctx, completion(u, c, old, fmt.Sprint("new ", i), t0.Add(time.Minute)))
	})
	oneSucceeded(t, "CompleteLogin", errs)
	if events, err := s.AuditForUser(ctx, u.ID, 100); err != nil || len(events) != 2 {
		t.Errorf("%d audit events (%v), want the winner's 2", len(events), err)
	}
}
