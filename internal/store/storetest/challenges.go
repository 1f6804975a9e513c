package storetest

import (
	"errors"
	"fmt"
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
	{"AddChallengeFailure", testAddChallengeFailure},
	{"AddChallengeFailureNotActive", testAddChallengeFailureNotActive},
	{"AddChallengeFailureConcurrent", testAddChallengeFailureConcurrent},
	{"CountChallenges", testCountChallenges},
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
		if _, _, ok, err := s.AddChallengeFailure(t.Context(), c.ID, 5, at); err != nil || ok {
			t.Errorf("AddChallengeFailure(replaced): ok %t, %v; want false, nil", ok, err)
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
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	fail := func(c *store.Challenge, max int) {
		t.Helper()
		if _, _, ok, err := s.AddChallengeFailure(ctx, c.ID, max, t0); err != nil || !ok {
			t.Fatalf("AddChallengeFailure: ok %t, %v", ok, err)
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
	concurrently(n, func(i int) {
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
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	// Voided by too many wrong tries.
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	if _, voided, _, err := s.AddChallengeFailure(ctx, c.ID, 1, t0.Add(time.Second)); err != nil || !voided {
		t.Fatalf("AddChallengeFailure(max 1): voided %t, %v", voided, err)
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
	concurrently(n, func(i int) {
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

func testAddChallengeFailure(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	const max = 3
	for i := 1; i <= max; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		failures, voided, ok, err := s.AddChallengeFailure(ctx, c.ID, max, at)
		mustNot(t, err, "AddChallengeFailure")
		if failures != i || voided != (i == max) || !ok {
			t.Errorf("try %d: AddChallengeFailure = %d, %t, %t; want %d, %t, true", i, failures, voided, ok, i, i == max)
		}
	}
	got := latest(t, s, c)
	want := *c
	want.Failures, want.VoidedAt = max, t0.Add(max*time.Second)
	checkRecord(t, "challenge tried too often", *got, want)

	if _, _, ok, err := s.AddChallengeFailure(ctx, c.ID, max, t0.Add(time.Minute)); err != nil || ok {
		t.Errorf("AddChallengeFailure on a voided challenge: ok %t, %v; want false, nil", ok, err)
	}
	if got := latest(t, s, c); got.Failures != max {
		t.Errorf("voided challenge Failures = %d after another try, want %d", got.Failures, max)
	}

	_, _, _, err := s.AddChallengeFailure(ctx, c.ID+1000, max, t0)
	wantNotFound(t, err, "AddChallengeFailure(unknown)")
}

func testAddChallengeFailureNotActive(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	if !consume(t, s, c.ID, t0.Add(time.Second)) {
		t.Fatal("ConsumeChallenge = false")
	}
	if _, _, ok, err := s.AddChallengeFailure(ctx, c.ID, 3, t0.Add(time.Minute)); err != nil || ok {
		t.Errorf("AddChallengeFailure on a used challenge: ok %t, %v; want false, nil", ok, err)
	}
	if got := latest(t, s, c); got.Failures != 0 || !got.VoidedAt.IsZero() {
		t.Errorf("used challenge changed: Failures %d, VoidedAt %v", got.Failures, got.VoidedAt)
	}
}

func testAddChallengeFailureConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	const n, max = 20, 5
	type result struct {
		failures   int
		voided, ok bool
	}
	results := make([]result, n)
	concurrently(n, func(i int) {
		f, v, ok, err := s.AddChallengeFailure(ctx, c.ID, max, t0.Add(time.Second))
		if err != nil {
			t.Errorf("AddChallengeFailure: %v", err)
		}
		results[i] = result{f, v, ok}
	})
	counted, voidedBy := 0, 0
	seen := map[int]bool{}
	for _, r := range results {
		if !r.ok {
			continue
		}
		counted++
		if seen[r.failures] || r.failures < 1 || r.failures > max {
			t.Errorf("counted tries returned failures %v", results)
		}
		seen[r.failures] = true
		if r.voided {
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
}

func testCountChallenges(t *testing.T, s store.Store) {
	ctx := t.Context()
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

	for _, tc := range []struct {
		user  int64
		since time.Time
		want  int
	}{
		{ann.ID, t0.Add(-time.Hour), 3},
		{ann.ID, t0, 3}, // since is inclusive
		{ann.ID, t0.Add(time.Minute), 2},
		{ann.ID, t0.Add(3 * time.Minute), 0},
		{bob.ID, t0, 2},
		{bob.ID + 1000, t0, 0},
	} {
		n, err := s.CountChallengesForUser(ctx, tc.user, tc.since)
		if err != nil || n != tc.want {
			t.Errorf("CountChallengesForUser(%d, %v) = %d, %v; want %d", tc.user, tc.since, n, err, tc.want)
		}
	}
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
	// Carl asks for a change to the number ann and bob log in with.
	carl := createUser(t, s, "carl@example.org")
	issue(t, s, to(newChallenge(carl.ID, "attempt-5", store.PurposeChangePhone, t0.Add(4*time.Minute)), "+15555550100"))
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

// completion is a CompleteLogin of session old by challenge c at at, to a
// new session named token, with two audit events.
func completion(u *store.User, c *store.Challenge, old *store.Session, token string, at time.Time) store.LoginCompletion {
	return store.LoginCompletion{
		ChallengeID: c.ID, At: at, OldSession: old.TokenHash,
		Session: &store.Session{TokenHash: hash(token), UserID: u.ID, Stage: store.StageFull,
			AttemptID: old.AttemptID, CreatedAt: at, LastSeenAt: at, AuthenticatedAt: at, CodeAt: at, MFA: true},
		Audit: []*store.AuditEvent{
			{Time: at, Event: "code.verify", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "login sms"},
			{Time: at, Event: "login", Outcome: "success", ActorID: u.ID, SubjectID: u.ID, Detail: "code by sms"},
		},
	}
}

func testCompleteLogin(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	if _, err := s.AddCodeFailure(ctx, u.ID, nil); err != nil { // a wrong code before
		t.Fatal(err)
	}
	old := createSession(t, s, u.ID, "old", t0, t0)
	c := issue(t, s, newChallenge(u.ID, old.AttemptID, store.PurposeLogin, t0))
	at := t0.Add(time.Minute)
	l := completion(u, c, old, "new", at)
	mustNot(t, s.CompleteLogin(ctx, l), "CompleteLogin")

	if got := latest(t, s, c); !sameTime(got.ConsumedAt, at) {
		t.Errorf("challenge ConsumedAt = %v, want %v", got.ConsumedAt, at)
	}
	if sessionExists(t, s, old.TokenHash) || !sessionExists(t, s, hash("new")) {
		t.Error("the old session is not replaced by the new one")
	}
	got, err := s.UserByID(ctx, u.ID)
	mustNot(t, err, "UserByID")
	if !sameTime(got.LastLoginAt, at) || got.CodeFailures != 0 {
		t.Errorf("user after login: LastLoginAt %v, CodeFailures %d; want %v, 0", got.LastLoginAt, got.CodeFailures, at)
	}
	events, err := s.AuditForUser(ctx, u.ID, 10)
	mustNot(t, err, "AuditForUser")
	if len(events) != 2 || l.Audit[0].ID == 0 || l.Audit[1].ID == 0 {
		t.Errorf("%d audit events (ids %d, %d), want the 2 given, with ids", len(events), l.Audit[0].ID, l.Audit[1].ID)
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
	old := createSession(t, s, u.ID, "old", t0, t0)
	c := issue(t, s, newChallenge(u.ID, old.AttemptID, store.PurposeLogin, t0))
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
	old := createSession(t, s, u.ID, "old", t0, t0)
	c := issue(t, s, newChallenge(u.ID, old.AttemptID, store.PurposeLogin, t0))
	const n = 20
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = s.CompleteLogin(ctx, completion(u, c, old, fmt.Sprint("new ", i), t0.Add(time.Minute)))
	})
	oneSucceeded(t, "CompleteLogin", errs)
	if events, err := s.AuditForUser(ctx, u.ID, 100); err != nil || len(events) != 2 {
		t.Errorf("%d audit events (%v), want the winner's 2", len(events), err)
	}
}
