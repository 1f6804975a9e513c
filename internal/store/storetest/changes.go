package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// ChangeAccount: an account's change, its sessions, its audit rows and its
// notices, in one transaction.
var changesTests = []test{
	{"ChangeAccount", testChangeAccount},
	{"ChangeAccountFields", testChangeAccountFields},
	{"ChangeAccountAllOrNothing", testChangeAccountAllOrNothing},
	{"ChangeAccountRegistrationRace", testChangeAccountRegistrationRace},
}

func ptr[T any](v T) *T { return &v }

// noticeTo is a queued email notice to u.
func noticeTo(u *store.User, at time.Time) *store.Message {
	return &store.Message{UserID: u.ID, Channel: store.ChannelEmail, To: u.Email,
		Sealed: []byte("notice at " + at.String()), CreatedAt: at}
}

// recorded is a Record that notes how many sessions it was told ended and
// gives one audit row and the messages.
func recorded(u *store.User, at time.Time, ended *int, msgs ...*store.Message) func(int) ([]*store.AuditEvent, []*store.Message, error) {
	return func(n int) ([]*store.AuditEvent, []*store.Message, error) {
		*ended = n
		return []*store.AuditEvent{{Time: at, Event: "phone.changed", Outcome: "success",
			ActorID: u.ID, SubjectID: u.ID, Detail: fmt.Sprintf("%d other sessions ended", n)}}, msgs, nil
	}
}

// A phone change by code, as VerifyPhoneChange writes it: the code is used,
// the phone changes, the session is written back, the other sessions end,
// and the record and the notice are stored.
func testChangeAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	mustNot(t, s.SetPhone(ctx, u.ID, "+15555550100"), "SetPhone")
	other := createUser(t, s, "bob@example.org")
	sess := createSession(t, s, u.ID, "mine", t0, t0)
	createSession(t, s, u.ID, "second", t0, t0)
	createSession(t, s, u.ID, "third", t0, t0)
	bobs := createSession(t, s, other.ID, "bob", t0, t0)
	c := issue(t, s, newChallenge(u.ID, sess.AttemptID, store.PurposeChangePhone, t0))
	at := t0.Add(time.Minute)

	sess.Stage, sess.PendingPhone, sess.LastSeenAt = store.StageFull, "", at
	notice, sms := noticeTo(u, at), newMessage(u.ID, "+15555550100", at)
	sms.ExpiresAt = time.Time{}
	var ended int
	ch := store.AccountChange{UserID: u.ID, ChallengeID: c.ID, At: at, Session: sess,
		Phone: ptr("+15555550199"), PhoneWas: ptr("+15555550100"), EndOthers: true,
		Record: recorded(u, at, &ended, notice, sms)}
	mustNot(t, s.ChangeAccount(ctx, ch), "ChangeAccount")

	if got := latest(t, s, c); !sameTime(got.ConsumedAt, at) {
		t.Errorf("challenge ConsumedAt = %v, want %v", got.ConsumedAt, at)
	}
	want := *u
	want.Phone = "+15555550199"
	checkUser(t, s, "user after the change", want)
	if ended != 2 {
		t.Errorf("Record was told %d sessions ended, want 2", ended)
	}
	if sessionExists(t, s, hash("second")) || sessionExists(t, s, hash("third")) {
		t.Error("the account's other sessions are still there")
	}
	checkSession(t, s, "the session making the change", *sess)
	if !sessionExists(t, s, bobs.TokenHash) {
		t.Error("another account's session ended")
	}
	events, err := s.AuditForUser(ctx, u.ID, 10)
	mustNot(t, err, "AuditForUser")
	if len(events) != 1 || events[0].Detail != "2 other sessions ended" {
		t.Errorf("audit events %+v, want the one given", events)
	}
	if notice.ID == 0 || sms.ID == 0 || notice.Status != store.MessageQueued {
		t.Errorf("messages not queued: ids %d, %d, status %q", notice.ID, sms.ID, notice.Status)
	}
	wantClaimed(t, s, at, 10, queuedWant(*notice), queuedWant(*sms))

	checkRegistrationEndsSessions(t, s, at)
}

// checkRegistrationEndsSessions checks that a registration ends the
// session that makes it, and every other one.
func checkRegistrationEndsSessions(t *testing.T, s store.Store, at time.Time) {
	ctx := t.Context()
	v := createUser(t, s, "cat@example.org")
	reg := createSession(t, s, v.ID, "registering", t0, t0)
	createSession(t, s, v.ID, "elsewhere", t0, t0)
	ended := -1
	mustNot(t, s.ChangeAccount(ctx, store.AccountChange{UserID: v.ID, Session: reg, EndSession: true,
		Phone: ptr("+15555550111"), PhoneWas: ptr(""), EndOthers: true, Record: recorded(v, at, &ended)}), "ChangeAccount(registration)")
	if sessionExists(t, s, reg.TokenHash) || sessionExists(t, s, hash("elsewhere")) || ended != 1 {
		t.Errorf("after a registration: its session there %v, the other there %v, %d told ended; want false, false, 1",
			sessionExists(t, s, reg.TokenHash), sessionExists(t, s, hash("elsewhere")), ended)
	}
}

// Every field a change may write, each as its own method writes it.
func testChangeAccountFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAdmin(t, s, "root@example.org")
	u := createUser(t, s, "ann@example.org")
	wrongCodes(t, s, u.ID, 1, func(int) time.Time { return t0.Add(time.Hour) })
	key := "password:account:ann@example.org"
	fail(t, s, key, t0, nil)
	admins := createSession(t, s, u.ID, "acting", t0, t0)
	createSession(t, s, u.ID, "other", t0, t0)
	until := t0.Add(24 * time.Hour)
	tok := newToken(u.ID, "reset", store.TokenPasswordReset)
	ch := store.AccountChange{UserID: u.ID, Phone: ptr("+15555550123"), MFA: ptr(store.MFARequired),
		MFADisabledUntil: &until, Admin: ptr(true), Deactivated: ptr(true), ClearCodeLock: true,
		ClearThrottle: key, Setting: &store.Setting{Key: "mfa_policy", Value: "optional"}, Token: tok,
		EndOthers: true, Keep: admins.TokenHash}
	mustNot(t, s.ChangeAccount(ctx, ch), "ChangeAccount")
	want := *u
	want.Phone, want.MFA, want.MFADisabledUntil, want.Admin, want.Deactivated = "+15555550123", store.MFARequired, until, true, true
	checkUser(t, s, "user after the change", want)
	if th, err := s.Throttle(ctx, key); err != nil || th.Failures != 0 {
		t.Errorf("throttle %+v (%v), want it cleared", th, err)
	}
	if v, ok, err := s.Setting(ctx, "mfa_policy"); err != nil || !ok || v != "optional" {
		t.Errorf("setting = %q, %v, %v; want optional", v, ok, err)
	}
	if !usable(t, s, tok, t0) {
		t.Error("the token is not stored")
	}
	if !sessionExists(t, s, admins.TokenHash) || sessionExists(t, s, hash("other")) {
		t.Error("EndOthers with Keep: want the kept session alone left")
	}

	// The zero time clears a temporary disable; a setting alone needs no account.
	mustNot(t, s.ChangeAccount(ctx, store.AccountChange{UserID: u.ID, MFADisabledUntil: &time.Time{}, Deactivated: ptr(false)}), "ChangeAccount(clear)")
	want.MFADisabledUntil, want.Deactivated = time.Time{}, false
	checkUser(t, s, "user after clearing", want)
	mustNot(t, s.ChangeAccount(ctx, store.AccountChange{Setting: &store.Setting{Key: "mfa_policy", Value: "required"}}), "ChangeAccount(setting)")
	if v, _, _ := s.Setting(ctx, "mfa_policy"); v != "required" {
		t.Errorf("setting = %q, want required", v)
	}
	wantNotFound(t, s.ChangeAccount(ctx, store.AccountChange{UserID: u.ID + 1000, MFA: ptr(store.MFAExempt)}), "ChangeAccount(unknown user)")
}

// When any part cannot be written, or a condition no longer holds, nothing
// is: no field, no session ended, no code used, no audit row, no message.
func testChangeAccountAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newAllOrNothing(t, s)
	u, root, sess := f.u, f.root, f.sess
	change, unchanged, code := f.change, f.unchanged, f.code

	// The code was used meanwhile.
	c := code()
	if !consume(t, s, c.ID, f.at) {
		t.Fatal("ConsumeChallenge = false")
	}
	wantNotFound(t, s.ChangeAccount(ctx, change(c)), "ChangeAccount with a used code")
	unchanged("used code", c, true)

	// The phone is not the one the change expected.
	c = code()
	ch := change(c)
	ch.PhoneWas = ptr("+15555550142")
	if err := s.ChangeAccount(ctx, ch); !errors.Is(err, store.ErrConflict) {
		t.Errorf("ChangeAccount with the phone changed meanwhile: %v, want ErrConflict", err)
	}
	unchanged("phone changed meanwhile", c, false)

	// The last administrator would go.
	ch = change(c)
	ch.UserID, ch.Admin, ch.EndOthers = root.ID, ptr(false), false
	ch.ChallengeID, ch.Session, ch.Phone, ch.PhoneWas, ch.MFA, ch.ClearCodeLock = 0, nil, nil, nil, nil, false
	wantLastAdmin(t, s.ChangeAccount(ctx, ch), "ChangeAccount taking the last administrator's role")
	unchanged("last administrator", c, false)
	checkUser(t, s, "the last administrator", *root)

	// A message cannot be stored (it names no account).
	stray := noticeTo(u, f.at)
	stray.UserID = u.ID + 1000
	if err := s.ChangeAccount(ctx, change(c, stray)); err == nil {
		t.Error("ChangeAccount stored a message of no account")
	}
	unchanged("message refused", c, false)

	// Record fails.
	ch = change(c)
	ch.Record = func(int) ([]*store.AuditEvent, []*store.Message, error) { return nil, nil, errors.New("cannot seal") }
	if err := s.ChangeAccount(ctx, ch); err == nil {
		t.Error("ChangeAccount went on when Record failed")
	}
	unchanged("Record failed", c, false)

	// The session making the change is gone (logged out, ended elsewhere).
	mustNot(t, s.DeleteSession(ctx, sess.TokenHash), "DeleteSession")
	wantNotFound(t, s.ChangeAccount(ctx, change(c)), "ChangeAccount of a session gone")
	unchanged("session gone", c, false)
}

// allOrNothing is what testChangeAccountAllOrNothing changes: ann, with a
// phone, a wrong password counted, the session sess making the change and
// another; and root, the one administrator.
type allOrNothing struct {
	t    *testing.T
	s    store.Store
	root *store.User
	u    *store.User
	key  string // ann's password throttle
	at   time.Time
	sess *store.Session
}

func newAllOrNothing(t *testing.T, s store.Store) *allOrNothing {
	root := createAdmin(t, s, "root@example.org")
	u := createUser(t, s, "ann@example.org")
	mustNot(t, s.SetPhone(t.Context(), u.ID, "+15555550100"), "SetPhone")
	u.Phone = "+15555550100"
	key := "password:account:ann@example.org"
	fail(t, s, key, t0, nil)
	at := t0.Add(time.Minute)
	sess := createSession(t, s, u.ID, "mine", t0, t0)
	createSession(t, s, u.ID, "other", t0, t0)
	return &allOrNothing{t: t, s: s, root: root, u: u, key: key, at: at, sess: sess}
}

// change is a phone change by code c of session sess, with everything
// else a change may do; each case spoils one part.
func (f *allOrNothing) change(c *store.Challenge, msgs ...*store.Message) store.AccountChange {
	u, at, sess, key := f.u, f.at, f.sess, f.key
	var ended int
	return store.AccountChange{UserID: u.ID, ChallengeID: c.ID, At: at, Session: sess,
		Phone: ptr("+15555550199"), PhoneWas: ptr("+15555550100"), MFA: ptr(store.MFARequired),
		ClearCodeLock: true, ClearThrottle: key, Setting: &store.Setting{Key: "mfa_policy", Value: "optional"},
		Token: newToken(u.ID, "reset", store.TokenPasswordReset), EndOthers: true,
		Record: recorded(u, at, &ended, append([]*store.Message{noticeTo(u, at)}, msgs...)...)}
}

// unchanged checks that a refused change left everything as it was: ann,
// the code c (consumed or not), the other session, the throttle, the
// setting, the token, the audit log and the outbox.
func (f *allOrNothing) unchanged(what string, c *store.Challenge, consumed bool) {
	t, s, u, key, at := f.t, f.s, f.u, f.key, f.at
	ctx := t.Context()
	t.Helper()
	checkUser(t, s, what+": user", *u)
	if got := latest(t, s, c); got.ConsumedAt.IsZero() == consumed {
		t.Errorf("%s: challenge ConsumedAt = %v, want it as it was", what, got.ConsumedAt)
	}
	if !sessionExists(t, s, hash("other")) {
		t.Errorf("%s: the other session ended", what)
	}
	if th, err := s.Throttle(ctx, key); err != nil || th.Failures != 1 {
		t.Errorf("%s: throttle %+v (%v), want it as it was", what, th, err)
	}
	if _, ok, err := s.Setting(ctx, "mfa_policy"); err != nil || ok {
		t.Errorf("%s: setting written (%v)", what, err)
	}
	if usable(t, s, newToken(u.ID, "reset", store.TokenPasswordReset), t0) {
		t.Errorf("%s: token stored", what)
	}
	if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
		t.Errorf("%s: %d audit events written (%v)", what, len(events), err)
	}
	wantClaimed(t, s, at.Add(time.Hour), 10)
}

// code issues a new phone-change code to ann's session.
func (f *allOrNothing) code() *store.Challenge {
	return issue(f.t, f.s, newChallenge(f.u.ID, f.sess.AttemptID, store.PurposeChangePhone, t0))
}

// Of registrations racing for an account with no phone (a held Update
// Phone Number page and its owner), exactly one writes its number; the
// others find a phone registered and change nothing.
func testChangeAccountRegistrationRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	const n = 10
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		var ended int
		errs[i] = s.ChangeAccount(ctx, store.AccountChange{UserID: u.ID,
			Phone: ptr(fmt.Sprintf("+1555555010%d", i)), PhoneWas: ptr(""), EndOthers: true,
			Record: recorded(u, t0, &ended)})
	})
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Errorf("registrations %d and %d both succeeded", won, i)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("registration %d: %v, want ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no registration succeeded")
	}
	got, err := s.UserByID(ctx, u.ID)
	mustNot(t, err, "UserByID")
	if want := fmt.Sprintf("+1555555010%d", won); got.Phone != want {
		t.Errorf("phone = %q, want the winner's %q", got.Phone, want)
	}
	if events, err := s.AuditForUser(ctx, u.ID, 100); err != nil || len(events) != 1 {
		t.Errorf("%d audit events (%v), want the winner's 1", len(events), err)
	}
}
