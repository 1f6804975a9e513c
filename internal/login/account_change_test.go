package login_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/store"
)

const attackerPhone = "+447546000999"

// The attack of issue 14 (3): someone who knows the password logs in while
// the account has no phone and keeps Update Phone Number open; the owner
// registers their phone and logs in; the held page then posts its own
// number. Registering ends the held session, so it reaches nothing.
func TestHeldRegistrationCannotReplaceThePhone(t *testing.T) {
	onEngines(t, testHeldRegistrationCannotReplaceThePhone)
}

func testHeldRegistrationCannotReplaceThePhone(t *testing.T, h *harness) {
	u := h.user("held@example.org", "")
	held := h.login("held@example.org", store.StageRegisterPhone)
	h.clk.Advance(time.Minute)
	owner := h.login("held@example.org", store.StageRegisterPhone)
	if _, err := h.Login.StartPhoneRegistration(h.ctx, owner, testPhone, client); err != nil {
		t.Fatal(err)
	}
	if err := h.Login.VerifyPhoneRegistration(h.ctx, h.reload(owner), h.lastCode(testPhone), client); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, held.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("the held registration session survived the owner's registration: %v", err)
	}
	if ev := h.events(u.ID, "phone.registered"); len(ev) != 1 || !strings.Contains(ev[0].Detail, "1 other sessions ended") {
		t.Errorf("phone.registered records %+v, want one saying 1 other session ended", ev)
	}
	h.clk.Advance(time.Minute)
	full, err := h.Login.VerifyLoginCode(h.ctx, h.login("held@example.org", store.StageCode), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, full.Token); err != nil {
		t.Fatalf("the owner's session: %v", err)
	}
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != testPhone {
		t.Fatalf("phone = %q, want the owner's", got.Phone)
	}
}

// A registration session whose account has a phone by the time it acts
// (it began while there was none) is ended with a clear message, whether
// the phone is found when the step begins or only by the write itself.
func TestStaleRegistrationEnds(t *testing.T) { onEngines(t, testStaleRegistrationEnds) }

func testStaleRegistrationEnds(t *testing.T, h *harness) {
	u := h.user("stale@example.org", "")

	// Read before the owner's registration committed: the session and its
	// code went out while the account had no phone, and the write finds one.
	racing := h.login("stale@example.org", store.StageRegisterPhone)
	if _, err := h.Login.StartPhoneRegistration(h.ctx, racing, attackerPhone, client); err != nil {
		t.Fatal(err)
	}
	code := h.lastCode(attackerPhone)
	if err := h.Store.SetPhone(h.ctx, u.ID, testPhone); err != nil { // the owner's, committed meanwhile
		t.Fatal(err)
	}
	err := h.Login.VerifyPhoneRegistration(h.ctx, racing, code, client) // racing.User still has no phone
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindChangedMeanwhile || !strings.Contains(le.Message, "Log in again") {
		t.Fatalf("registration over a phone registered meanwhile: %v, want KindChangedMeanwhile with a clear message", err)
	}
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != testPhone {
		t.Fatalf("phone = %q, want the one registered first", got.Phone)
	}
	if _, err := h.Store.SessionByHash(h.ctx, racing.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the stale registration session was not ended: %v", err)
	}
	if ev := h.events(u.ID, "phone.registered"); len(ev) != 0 {
		t.Errorf("a refused registration was recorded: %+v", ev)
	}

	// Found at once: a session at the registration step of an account
	// that has a phone sends nothing and ends.
	for _, step := range []string{"send", "verify"} {
		token := "stale-" + step
		ss := &store.Session{TokenHash: login.HashToken(token), UserID: u.ID, Stage: store.StageRegisterPhone,
			AttemptID: "attempt-" + step, PendingPhone: attackerPhone, CreatedAt: h.clk.Now(), LastSeenAt: h.clk.Now()}
		if err := h.Store.CreateSession(h.ctx, ss); err != nil {
			t.Fatal(err)
		}
		sess, err := h.Login.Authenticate(h.ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		sent := len(h.Outbox.Messages())
		if step == "send" {
			_, err = h.Login.StartPhoneRegistration(h.ctx, sess, attackerPhone, client)
		} else {
			err = h.Login.VerifyPhoneRegistration(h.ctx, sess, "123456", client)
		}
		if kindOf(err) != login.KindChangedMeanwhile {
			t.Errorf("%s on a stale registration: %v, want KindChangedMeanwhile", step, err)
		}
		if _, err := h.Login.Authenticate(h.ctx, token); !errors.Is(err, login.ErrNoSession) {
			t.Errorf("%s: the stale registration session was not ended: %v", step, err)
		}
		if n := len(h.Outbox.Messages()) - sent; n != 0 {
			t.Errorf("%s: %d messages sent", step, n)
		}
	}
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != testPhone {
		t.Fatalf("phone = %q, want the one registered first", got.Phone)
	}
}

// failingChanges is a store whose ChangeAccount fails, as a kill -9 before
// its commit would leave it.
type failingChanges struct{ login.Store }

func (failingChanges) ChangeAccount(context.Context, store.AccountChange) error {
	return errors.New("the database went away")
}

// A phone change and a registration are one write: when it fails, nothing
// of them is left (no phone, no record, no notice, no session ended), and
// the code still works once the database is back.
func TestPhoneStepsAreOneWrite(t *testing.T) { onEngines(t, testPhoneStepsAreOneWrite) }

func testPhoneStepsAreOneWrite(t *testing.T, h *harness) {
	const newPhone = "+447546654321"
	u := h.user("whole@example.org", testPhone)
	other, err := h.Login.VerifyLoginCode(h.ctx, h.login("whole@example.org", store.StageCode), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	full, err := h.Login.VerifyLoginCode(h.ctx, h.login("whole@example.org", store.StageCode), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.StartPhoneChange(h.ctx, full, newPhone, client); err != nil {
		t.Fatal(err)
	}
	code := h.lastCode(newPhone)
	sent := len(h.Outbox.Messages())
	real := h.Login.Store
	h.Login.Store = failingChanges{real}
	if err := h.Login.VerifyPhoneChange(h.ctx, full, code, client); err == nil {
		t.Fatal("VerifyPhoneChange succeeded without its write")
	}
	h.Login.Store = real
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != testPhone {
		t.Errorf("phone = %q after a failed change", got.Phone)
	}
	if _, err := h.Login.Authenticate(h.ctx, other.Token); err != nil {
		t.Errorf("another session ended by a failed change: %v", err)
	}
	if ev := h.events(u.ID, "phone.changed"); len(ev) != 0 {
		t.Errorf("a failed change was recorded: %+v", ev)
	}
	if n := len(h.Outbox.Messages()) - sent; n != 0 {
		t.Errorf("%d notices sent for a failed change", n)
	}
	// Back: the same code completes it, whole.
	if err := h.Login.VerifyPhoneChange(h.ctx, h.reload(full), code, client); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, other.Token); !errors.Is(err, login.ErrNoSession) {
		t.Errorf("the other session survived the change: %v", err)
	}
	if ev := h.events(u.ID, "phone.changed"); len(ev) != 1 || h.Sent("whole@example.org") != 1 {
		t.Errorf("%d phone.changed records and %d emails, want 1 and 1", len(ev), h.Sent("whole@example.org"))
	}

	// A registration likewise.
	v := h.user("whole2@example.org", "")
	reg := h.login("whole2@example.org", store.StageRegisterPhone)
	if _, err := h.Login.StartPhoneRegistration(h.ctx, reg, newPhone, client); err != nil {
		t.Fatal(err)
	}
	code = h.lastCode(newPhone)
	h.Login.Store = failingChanges{real}
	if err := h.Login.VerifyPhoneRegistration(h.ctx, h.reload(reg), code, client); err == nil {
		t.Fatal("VerifyPhoneRegistration succeeded without its write")
	}
	h.Login.Store = real
	if got, _ := h.Store.UserByID(h.ctx, v.ID); got.Phone != "" || len(h.events(v.ID, "phone.registered")) != 0 || h.Sent("whole2@example.org") != 0 {
		t.Errorf("a failed registration left phone %q, %d records, %d emails", got.Phone, len(h.events(v.ID, "phone.registered")), h.Sent("whole2@example.org"))
	}
	if err := h.Login.VerifyPhoneRegistration(h.ctx, h.reload(reg), code, client); err != nil {
		t.Fatal(err)
	}
}

// Issue 14 (11): while MFA is disabled for a while, a password-only
// session may move the phone (the recovery an administrator gives), and
// then the old number is told by text message as well as the email, and
// the record says the change came without a code.
func TestPasswordOnlyPhoneChangeTellsTheOldNumber(t *testing.T) {
	onEngines(t, testPasswordOnlyPhoneChangeTellsTheOldNumber)
}

func testPasswordOnlyPhoneChangeTellsTheOldNumber(t *testing.T, h *harness) {
	const newPhone = "+447546654321"
	sess := h.passwordOnly("lost@example.org")
	if _, err := h.Login.StartPhoneChange(h.ctx, sess, newPhone, client); err != nil {
		t.Fatal(err)
	}
	if err := h.Login.VerifyPhoneChange(h.ctx, sess, h.lastCode(newPhone), client); err != nil {
		t.Fatal(err)
	}
	var toOld []string
	for _, m := range h.Outbox.Messages() {
		if m.To == testPhone && m.Channel == "sms" {
			toOld = append(toOld, m.Body)
		}
	}
	if len(toOld) != 1 || !strings.Contains(toOld[0], "•••• 4321") || logintest.CodeRE.MatchString(toOld[0]) {
		t.Errorf("texts to the old number %q, want one notice naming the new number (masked) and no code", toOld)
	}
	if h.Sent("lost@example.org") != 1 {
		t.Errorf("%d emails, want the notice", h.Sent("lost@example.org"))
	}
	if ev := h.events(sess.UserID, "phone.changed"); len(ev) != 1 || !strings.Contains(ev[0].Detail, "without a code") {
		t.Errorf("phone.changed records %+v, want one marked without a code", ev)
	}

	// A session that proved a code texts only the new number's code.
	if err := h.Store.SetMFADisabledUntil(h.ctx, sess.UserID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	full, err := h.Login.VerifyLoginCode(h.ctx, h.login("lost@example.org", store.StageCode), h.lastCode(newPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	before := h.Sent(newPhone)
	if _, err := h.Login.StartPhoneChange(h.ctx, full, testPhone, client); err != nil {
		t.Fatal(err)
	}
	if err := h.Login.VerifyPhoneChange(h.ctx, full, h.lastCode(testPhone), client); err != nil {
		t.Fatal(err)
	}
	if n := h.Sent(newPhone) - before; n != 0 {
		t.Errorf("%d texts to the old number after a change by a session that proved a code", n)
	}
	if ev := h.events(sess.UserID, "phone.changed"); len(ev) != 2 || strings.Contains(ev[0].Detail, "without a code") {
		t.Errorf("phone.changed records %+v, want the newest not marked", ev)
	}
}
