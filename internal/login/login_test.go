package login_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

func TestLoginStages(t *testing.T) { onEngines(t, testLoginStages) }

func testLoginStages(t *testing.T, h *harness) {
	h.user("no-phone@example.org", "")
	h.user("phone@example.org", testPhone)
	exempt := h.user("exempt@example.org", "")
	if err := h.Store.SetMFA(h.ctx, exempt.ID, store.MFAExempt); err != nil {
		t.Fatal(err)
	}

	h.login("no-phone@example.org", store.StageRegisterPhone)
	if n := len(h.Outbox.Messages()); n != 0 {
		t.Fatalf("registration stage sent %d messages before a number was given", n)
	}

	h.login("  Phone@Example.org ", store.StageCode)
	msgs := h.Outbox.Messages()
	if len(msgs) != 1 || msgs[0].To != testPhone {
		t.Fatalf("login code not sent by SMS to the registered phone: %+v", msgs)
	}
	code := h.lastCode(testPhone)
	if !strings.HasSuffix(msgs[0].Body, "\n\n@portal.example.org #"+code) {
		t.Errorf("SMS does not end with the WebOTP line: %q", msgs[0].Body)
	}

	full := h.login("exempt@example.org", store.StageFull)
	if full.AuthenticatedAt.IsZero() {
		t.Error("a login without MFA did not count as authenticated")
	}
}

func TestMFARequiredPolicy(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		u      store.User
		portal bool
		want   bool
	}{
		{"portal requires", store.User{}, true, true},
		{"portal optional", store.User{}, false, false},
		{"user required, portal optional", store.User{MFA: store.MFARequired}, false, true},
		{"user exempt", store.User{MFA: store.MFAExempt}, true, false},
		{"disabled for a while", store.User{MFADisabledUntil: now.Add(time.Hour)}, true, false},
		{"disable ended", store.User{MFADisabledUntil: now.Add(-time.Second)}, true, true},
		{"disable ends exactly now", store.User{MFADisabledUntil: now}, true, true},
		{"disabled beats required", store.User{MFA: store.MFARequired, MFADisabledUntil: now.Add(time.Hour)}, true, false},
		{"administrators always", store.User{Admin: true, MFA: store.MFAExempt, MFADisabledUntil: now.Add(time.Hour)}, false, true},
	}
	for _, tt := range tests {
		if got := login.MFARequired(&tt.u, tt.portal, now); got != tt.want {
			t.Errorf("%s: MFARequired = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNoEnumeration(t *testing.T) { onEngines(t, testNoEnumeration) }

func testNoEnumeration(t *testing.T, h *harness) {
	h.user("someone@example.org", testPhone)
	_, _, errUnknown := h.Login.Login(h.ctx, "nobody@example.org", testPassword, client)
	_, _, errWrong := h.Login.Login(h.ctx, "someone@example.org", "wrong password here", client)
	if kindOf(errUnknown) != login.KindInvalidCredentials || kindOf(errWrong) != login.KindInvalidCredentials {
		t.Fatalf("errors: unknown %v, wrong %v", errUnknown, errWrong)
	}
	if errUnknown.Error() != errWrong.Error() {
		t.Fatalf("unknown email and wrong password answer differently: %q vs %q", errUnknown, errWrong)
	}
	// Throttling treats both alike too: after the same number of failures
	// both are locked with the same message.
	h.throttledAlike(client)
}

// throttledAlike tries five wrong passwords, from five addresses, for
// nobody@example.org (no account) and for someone@example.org, with c's
// device token; then both are throttled for c, with the same answer.
func (h *harness) throttledAlike(c login.Client) {
	h.t.Helper()
	for i := 0; i < 5; i++ {
		cl := withDevice(login.Client{IP: fmt.Sprint("198.51.100.", i)}, c.Device)
		h.Login.Login(h.ctx, "nobody@example.org", "x", cl)
		h.Login.Login(h.ctx, "someone@example.org", "x", cl)
	}
	_, _, errUnknown := h.Login.Login(h.ctx, "nobody@example.org", "x", c)
	_, _, errWrong := h.Login.Login(h.ctx, "someone@example.org", "x", c)
	if kindOf(errUnknown) != login.KindThrottled || errUnknown.Error() != errWrong.Error() {
		h.t.Fatalf("throttled answers differ (device token %q): %q vs %q", c.Device, errUnknown, errWrong)
	}
}

func TestPasswordThrottle(t *testing.T) { onEngines(t, testPasswordThrottle) }

func testPasswordThrottle(t *testing.T, h *harness) {
	h.user("p@example.org", testPhone)
	r := h.Login.Rules
	// The free failures pass straight through.
	for i := 1; i <= r.PasswordFreeAccount; i++ {
		if _, _, err := h.Login.Login(h.ctx, "p@example.org", "wrong", client); kindOf(err) != login.KindInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// Then a backoff: even the right password waits.
	if _, _, err := h.Login.Login(h.ctx, "p@example.org", "wrong", client); kindOf(err) != login.KindInvalidCredentials {
		t.Fatalf("failure %d: %v", r.PasswordFreeAccount+1, err)
	}
	_, _, err := h.Login.Login(h.ctx, "p@example.org", testPassword, client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindThrottled || le.RetryAfter != r.PasswordBackoffBase {
		t.Fatalf("right password during backoff = %v, want throttled for %s", err, r.PasswordBackoffBase)
	}
	// Growing, then a temporary lock at PasswordLockAccount failures.
	for n := r.PasswordFreeAccount + 2; n <= r.PasswordLockAccount; n++ {
		h.clk.Advance(r.PasswordBackoffMax)
		h.Login.Login(h.ctx, "p@example.org", "wrong", client)
	}
	_, _, err = h.Login.Login(h.ctx, "p@example.org", testPassword, client)
	if !errors.As(err, &le) || le.Kind != login.KindThrottled || le.RetryAfter != r.PasswordLockDuration {
		t.Fatalf("after %d failures: %v, want locked for %s", r.PasswordLockAccount, err, r.PasswordLockDuration)
	}
	h.clk.Advance(r.PasswordLockDuration)
	h.login("p@example.org", store.StageCode)
}

func TestPasswordThrottlePerIP(t *testing.T) { onEngines(t, testPasswordThrottlePerIP) }

func testPasswordThrottlePerIP(t *testing.T, h *harness) {
	h.user("victim@example.org", testPhone)
	attacker := login.Client{IP: "203.0.113.9"}
	for i := 0; i <= h.Login.Rules.PasswordFreeIP; i++ {
		h.Login.Login(h.ctx, fmt.Sprintf("guess%d@example.org", i), "password", attacker)
	}
	if _, _, err := h.Login.Login(h.ctx, "victim@example.org", testPassword, attacker); kindOf(err) != login.KindThrottled {
		t.Fatalf("IP after %d failures on many accounts: %v, want throttled", h.Login.Rules.PasswordFreeIP+1, err)
	}
	// Another client is not affected.
	h.login("victim@example.org", store.StageCode)
}

func TestCodeLogin(t *testing.T) { onEngines(t, testCodeLogin) }

func testCodeLogin(t *testing.T, h *harness) {
	sess, code := h.codeStep("c@example.org")

	full, err := h.Login.VerifyLoginCode(h.ctx, sess, " "+code[:3]+" "+code[3:], client)
	if err != nil {
		t.Fatal(err)
	}
	if full.Stage != store.StageFull || full.Token == "" || full.Token == sess.Token {
		t.Fatalf("verified session: stage %s, new token %v", full.Stage, full.Token != sess.Token)
	}
	// The half-finished session's token died at the step up.
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("old token after step up: %v", err)
	}
	got, err := h.Login.Authenticate(h.ctx, full.Token)
	if err != nil || got.Stage != store.StageFull {
		t.Fatalf("new token: %v, %v", got, err)
	}
	// Single use: the same code again is refused.
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, code, client); err == nil {
		t.Fatal("a used code worked twice")
	}
	u, _ := h.Store.UserByID(h.ctx, sess.UserID)
	if u.LastLoginAt.IsZero() {
		t.Error("completed login not recorded")
	}
}

func TestWrongCodesAndTriesLeft(t *testing.T) { onEngines(t, testWrongCodesAndTriesLeft) }

func testWrongCodesAndTriesLeft(t *testing.T, h *harness) {
	sess, code := h.codeStep("w@example.org")
	for left := 4; left >= 1; left-- {
		_, err := h.Login.VerifyLoginCode(h.ctx, sess, wrongCode(code), client)
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindWrongCode || le.Remaining != left {
			t.Fatalf("wrong code: %v, want %d tries left", err, left)
		}
		if want := fmt.Sprintf("%d tr", left); !strings.Contains(le.Message, want) || strings.Contains(le.Message, "trys") {
			t.Errorf("message %q does not say how many tries remain", le.Message)
		}
	}
	// The fifth wrong try voids the code: even the right code fails now.
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, wrongCode(code), client); kindOf(err) != login.KindCodeExhausted {
		t.Fatalf("fifth wrong code: %v, want exhausted", err)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, code, client); kindOf(err) != login.KindCodeExhausted {
		t.Fatalf("right code after five wrong: %v, want exhausted", err)
	}
	h.clk.Advance(time.Minute)
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); kindOf(err) != login.KindCodeExhausted {
		t.Fatalf("new code for an exhausted attempt: %v", err)
	}
	// Formatting mistakes cost nothing.
	sess2 := h.login("w@example.org", store.StageCode)
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess2, "12345", client); kindOf(err) != login.KindCodeFormat {
		t.Fatalf("five digits: %v", err)
	}
	st, _ := h.Login.CodeStatus(h.ctx, sess2, store.PurposeLogin)
	if st.Remaining != 5 {
		t.Fatalf("a format error cost a try: %d left", st.Remaining)
	}
}

func TestResendVoidsOldCodeKeepsFailures(t *testing.T) {
	onEngines(t, testResendVoidsOldCodeKeepsFailures)
}

func testResendVoidsOldCodeKeepsFailures(t *testing.T, h *harness) {
	sess, first := h.codeStep("r@example.org")
	for i := 0; i < 3; i++ {
		h.Login.VerifyLoginCode(h.ctx, sess, wrongCode(first), client)
	}

	// Within the cooldown a resend is refused, with the wait.
	h.clk.Advance(10 * time.Second)
	_, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindCooldown || le.RetryAfter != 20*time.Second {
		t.Fatalf("resend after 10 s: %v, want cooldown of 20 s", err)
	}
	h.clk.Advance(20 * time.Second)
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); err != nil {
		t.Fatalf("resend after 30 s: %v", err)
	}
	second := h.lastCode(testPhone)
	st, _ := h.Login.CodeStatus(h.ctx, sess, store.PurposeLogin)
	if st.Remaining != 2 {
		t.Fatalf("after 3 wrong tries and a resend, %d tries left; want 2 (the count is not reset)", st.Remaining)
	}
	if first != second {
		if _, err := h.Login.VerifyLoginCode(h.ctx, sess, first, client); err == nil {
			t.Fatal("the old code still works after a resend")
		}
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, second, client); err != nil && first != second {
		// One try was just spent on the old code; one remains.
		t.Fatalf("new code: %v", err)
	}
}

func TestCodeExpiry(t *testing.T) { onEngines(t, testCodeExpiry) }

func testCodeExpiry(t *testing.T, h *harness) {
	sess, code := h.codeStep("e@example.org")
	h.clk.Advance(10 * time.Minute)
	_, err := h.Login.VerifyLoginCode(h.ctx, sess, code, client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindCodeExpired || !strings.Contains(le.Message, "new code") {
		t.Fatalf("code at 10 minutes: %v, want expired with advice to get a new one", err)
	}
}

func TestCodeExpiryBoundary(t *testing.T) { onEngines(t, testCodeExpiryBoundary) }

func testCodeExpiryBoundary(t *testing.T, h *harness) {
	sess, code := h.codeStep("e@example.org")
	h.clk.Advance(10*time.Minute - time.Second)
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, code, client); err != nil {
		t.Fatalf("code one second before expiry: %v", err)
	}
}

func TestCodeBudgets(t *testing.T) { onEngines(t, testCodeBudgets) }

func testCodeBudgets(t *testing.T, h *harness) {
	h.user("b@example.org", testPhone)
	sess := h.login("b@example.org", store.StageCode) // code 1
	h.sendCodesUpToFive(sess)
	h.clk.Advance(31 * time.Second)
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); kindOf(err) != login.KindTooManyCodes {
		t.Fatalf("sixth code within 15 minutes: %v", err)
	}
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); kindOf(err) != login.KindTooManyCodes {
		t.Fatalf("the per-account budget must cover email too: %v", err)
	}
	if n := h.Sent(testPhone); n != 5 {
		t.Fatalf("%d messages sent, want 5", n)
	}
	// After 15 minutes the account may ask again, but its number has had
	// its five codes for the hour.
	h.clk.Advance(15 * time.Minute)
	_, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindTooManyCodes || !strings.Contains(le.Message, "last hour") {
		t.Fatalf("sixth code to one number within the hour: %v", err)
	}
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); err != nil {
		t.Fatalf("email after the account window: %v", err)
	}
	h.clk.Advance(time.Hour)
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); err != nil {
		t.Fatalf("after the hour: %v", err)
	}
}

func TestDestinationBudget(t *testing.T) { onEngines(t, testDestinationBudget) }

func testDestinationBudget(t *testing.T, h *harness) {
	// Two accounts pumping one number: the number's hourly budget holds.
	for i := 0; i < 2; i++ {
		h.user(fmt.Sprintf("d%d@example.org", i), "")
	}
	sent := 0
	for round := 0; round < 3; round++ {
		for i := 0; i < 2; i++ {
			sess := h.login(fmt.Sprintf("d%d@example.org", i), store.StageRegisterPhone)
			if _, err := h.Login.StartPhoneRegistration(h.ctx, sess, "+44 7546 000111", client); err == nil {
				sent++
			} else if kindOf(err) != login.KindTooManyCodes {
				t.Fatal(err)
			}
		}
		h.clk.Advance(31 * time.Second)
	}
	if sent != 5 || h.Sent("+447546000111") != 5 {
		t.Fatalf("%d codes went to one number within the hour, want 5", sent)
	}
}

func TestCodeLockAfterTenInARow(t *testing.T) { onEngines(t, testCodeLockAfterTenInARow) }

func testCodeLockAfterTenInARow(t *testing.T, h *harness) {
	h.user("l@example.org", testPhone)
	r := h.Login.Rules
	// Two login attempts of five wrong codes each: ten in a row.
	for attempt := 0; attempt < 2; attempt++ {
		sess := h.login("l@example.org", store.StageCode)
		code := h.lastCode(testPhone)
		for i := 0; i < 5; i++ {
			_, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), wrongCode(code), client)
			if attempt == 1 && i == 4 {
				var le *login.Error
				if !errors.As(err, &le) || le.Kind != login.KindCodeLocked || le.RetryAfter != r.CodeLockBase {
					t.Fatalf("tenth wrong code: %v, want locked for %s", err, r.CodeLockBase)
				}
			}
		}
		h.clk.Advance(time.Minute)
	}
	// Locked: the code step refuses, and sends nothing.
	before := h.Sent(testPhone)
	sess, codeErr, err := h.Login.Login(h.ctx, "l@example.org", testPassword, client)
	if err != nil || kindOf(codeErr) != login.KindCodeLocked || h.Sent(testPhone) != before {
		t.Fatalf("login while locked: %v, %v; %d messages sent", codeErr, err, h.Sent(testPhone)-before)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), "123456", client); kindOf(err) != login.KindCodeLocked {
		t.Fatalf("while locked: %v", err)
	}
	h.clk.Advance(r.CodeLockBase)
	// The eleventh wrong code locks for twice as long.
	sess = h.login("l@example.org", store.StageCode)
	_, err = h.Login.VerifyLoginCode(h.ctx, h.reload(sess), wrongCode(h.lastCode(testPhone)), client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindCodeLocked || le.RetryAfter != 2*r.CodeLockBase {
		t.Fatalf("eleventh wrong code: %v, want locked for %s", err, 2*r.CodeLockBase)
	}
	// Only a completed login resets the count.
	h.clk.Advance(2 * r.CodeLockBase)
	sess = h.login("l@example.org", store.StageCode)
	if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), h.lastCode(testPhone), client); err != nil {
		t.Fatal(err)
	}
	u, _ := h.Store.UserByID(h.ctx, sess.UserID)
	if u.CodeFailures != 0 || !u.CodeLockedUntil.IsZero() {
		t.Fatalf("after a completed login: %d failures, locked until %v", u.CodeFailures, u.CodeLockedUntil)
	}
}

func TestConcurrentRightCodeLogsInOnce(t *testing.T) { onEngines(t, testConcurrentRightCodeLogsInOnce) }

func testConcurrentRightCodeLogsInOnce(t *testing.T, h *harness) {
	sess, code := h.codeStep("race@example.org")
	var wins atomic.Int32
	h.race(20, func(int) {
		cp := *sess
		if _, err := h.Login.VerifyLoginCode(h.ctx, &cp, code, client); err == nil {
			wins.Add(1)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of 20 concurrent submissions of the right code logged in, want 1", wins.Load())
	}
	// The code itself was taken once, not only the session replaced once.
	h.Login.Wait()
	events, err := h.Store.AuditForUser(h.ctx, sess.UserID, 100)
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, ev := range events {
		if ev.Event == "code.verify" && ev.Outcome == "success" {
			used++
		}
	}
	if used != 1 {
		t.Fatalf("the audit log shows the code accepted %d times, want 1", used)
	}
}

// TestConcurrentGuessesStayWithinTheTries: fifty codes sent at once for
// one login code, as an attacker with the password would send them. The
// code's tries are counted one at a time however the guesses arrive: at
// most four answers say how many tries are left (4, 3, 2, 1, each once),
// the fifth wrong one voids the code, and the account counts them towards
// the lock of the code step. When the right code is among the guesses, it
// counts only if it came before the fifth wrong one.
func TestConcurrentGuessesStayWithinTheTries(t *testing.T) {
	onEngines(t, testConcurrentGuessesStayWithinTheTries)
}

func testConcurrentGuessesStayWithinTheTries(t *testing.T, h *harness) {
	r := h.Login.Rules
	const n = 50

	// Fifty wrong codes.
	sess, code, errs, ch := h.guessAtOnce("wrong@example.org", n, false)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("guess %d, a wrong code, logged in", i)
		}
	}
	if ch.Failures != r.MaxCodeTries || ch.VoidedAt.IsZero() || !ch.ConsumedAt.IsZero() {
		t.Errorf("after %d wrong codes at once the code has %d wrong tries, void %v, used %v; want %d, void, unused",
			n, ch.Failures, ch.VoidedAt, ch.ConsumedAt, r.MaxCodeTries)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), code, client); err == nil {
		t.Fatal("the right code works after the wrong ones")
	}
	if u, _ := h.Store.UserByID(h.ctx, sess.UserID); u.CodeFailures != r.MaxCodeTries {
		t.Errorf("after %d wrong codes at once the account counts %d in a row, want %d: the code's own tries",
			n, u.CodeFailures, r.MaxCodeTries)
	}

	// Forty-nine wrong codes and the right one.
	_, _, errs, ch = h.guessAtOnce("right@example.org", n, true)
	for i, err := range errs {
		if err == nil && i != n/2 {
			t.Fatalf("guess %d, a wrong code, logged in", i)
		}
	}
	if errs[n/2] == nil {
		if ch.ConsumedAt.IsZero() || !ch.VoidedAt.IsZero() || ch.Failures >= r.MaxCodeTries {
			t.Errorf("the right code counted, but the code has %d wrong tries, used %v, void %v: it came after the last try",
				ch.Failures, ch.ConsumedAt, ch.VoidedAt)
		}
	} else if ch.Failures != r.MaxCodeTries || ch.VoidedAt.IsZero() || !ch.ConsumedAt.IsZero() {
		t.Errorf("the right code did not count (%v), yet the code has %d wrong tries, void %v, used %v",
			errs[n/2], ch.Failures, ch.VoidedAt, ch.ConsumedAt)
	}
}

// TestConcurrentGuessesCountOnlyTheCodesTries: forty wrong codes at once
// for one login's code add that code's five tries to the account's count
// of wrong codes in a row, not forty: a guess at a code that is void by
// the time it is counted is no guess. Two such bursts, at two logins' codes,
// leave the account exactly as ten wrong codes one after another do: ten in
// a row and the lock that the tenth sets, not a longer one.
func TestConcurrentGuessesCountOnlyTheCodesTries(t *testing.T) {
	onEngines(t, testConcurrentGuessesCountOnlyTheCodesTries)
}

func testConcurrentGuessesCountOnlyTheCodesTries(t *testing.T, h *harness) {
	r := h.Login.Rules
	const n = 40
	if 2*r.MaxCodeTries != r.CodeLockAfter {
		t.Fatalf("the test assumes two codes' tries lock the code step (%d tries, lock after %d)", r.MaxCodeTries, r.CodeLockAfter)
	}
	// Two logins' worth of wrong codes, one after another.
	one := h.user("one@example.org", "+447546100001")
	for range 2 {
		sess := h.login("one@example.org", store.StageCode)
		code := h.lastCode(one.Phone)
		for range r.MaxCodeTries {
			if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), wrongCode(code), client); err == nil {
				t.Fatal("a wrong code logged in")
			}
		}
	}
	sequential, err := h.Store.UserByID(h.ctx, one.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The same two logins, each code guessed forty times at once.
	at := h.user("at-once@example.org", "+447546100002")
	for round := 1; round <= 2; round++ {
		sess := h.login("at-once@example.org", store.StageCode)
		code := h.lastCode(at.Phone)
		h.race(n, func(i int) {
			guess := fmt.Sprintf("%06d", 100000+i)
			if guess == code {
				guess = wrongCode(code)
			}
			cp, u := *sess, *sess.User // each request reads its own copy
			cp.User = &u
			if _, err := h.Login.VerifyLoginCode(h.ctx, &cp, guess, client); err == nil {
				t.Error("a wrong code logged in")
			}
		})
		u, err := h.Store.UserByID(h.ctx, at.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after burst %d of %d wrong codes: %d in a row, locked until %v", round, n, u.CodeFailures, u.CodeLockedUntil)
		if want := round * r.MaxCodeTries; u.CodeFailures != want {
			t.Errorf("after %d bursts of %d wrong codes at once the account counts %d in a row, want %d: each code's own tries",
				round, n, u.CodeFailures, want)
		}
		if round == 1 && !u.CodeLockedUntil.IsZero() {
			t.Errorf("one code's tries locked the code step until %v", u.CodeLockedUntil)
		}
		if round == 2 && (u.CodeFailures != sequential.CodeFailures || !u.CodeLockedUntil.Equal(sequential.CodeLockedUntil)) {
			t.Errorf("guessed at once, the account counts %d in a row, locked until %v; one after another, %d until %v",
				u.CodeFailures, u.CodeLockedUntil, sequential.CodeFailures, sequential.CodeLockedUntil)
		}
	}
	if sequential.CodeLockedUntil.IsZero() {
		t.Errorf("%d wrong codes one after another did not lock the code step", r.CodeLockAfter)
	}
}

// guessAtOnce makes an account and a login, and sends n codes at once for
// the login code: wrong ones, and the right one as the n/2-th if right is
// set. It checks the answers that say how many tries are left, and
// returns the session, the right code, the answers and the code's record.
func (h *harness) guessAtOnce(email string, n int, right bool) (*login.Session, string, []error, *store.Challenge) {
	h.t.Helper()
	sess, code := h.codeStep(email)
	guesses := make([]string, n)
	for i := range guesses {
		if guesses[i] = fmt.Sprintf("%06d", i); guesses[i] == code {
			guesses[i] = "999999"
		}
	}
	if right {
		guesses[n/2] = code
	}
	errs := make([]error, n)
	h.race(n, func(i int) {
		// Each request reads its own copy of the session and account.
		cp, u := *sess, *sess.User
		cp.User = &u
		_, errs[i] = h.Login.VerifyLoginCode(h.ctx, &cp, guesses[i], client)
	})
	left := map[int]int{}
	for _, err := range errs {
		if le := (*login.Error)(nil); errors.As(err, &le) && le.Kind == login.KindWrongCode {
			left[le.Remaining]++
		}
	}
	for k, c := range left {
		if c != 1 || k < 1 || k >= h.Login.Rules.MaxCodeTries {
			h.t.Errorf("answers by tries left: %v; want 4, 3, 2 and 1 at most once each", left)
			break
		}
	}
	ch, err := h.Store.LatestChallenge(h.ctx, sess.UserID, sess.AttemptID, store.PurposeLogin)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("%d codes at once (right one among them: %t): answers by tries left %v; the code counts %d wrong tries, used %t",
		n, right, left, ch.Failures, !ch.ConsumedAt.IsZero())
	return sess, code, errs, ch
}

func TestCodeBoundToAttempt(t *testing.T) { onEngines(t, testCodeBoundToAttempt) }

func testCodeBoundToAttempt(t *testing.T, h *harness) {
	first, code := h.codeStep("a@example.org")
	second := h.login("a@example.org", store.StageCode)
	other := h.lastCode(testPhone)
	if code == other {
		t.Skip("the two codes happen to be equal")
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, second, code, client); kindOf(err) != login.KindWrongCode {
		t.Fatalf("a code from another login attempt: %v, want wrong code", err)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(first), code, client); err != nil {
		t.Fatalf("the code in its own attempt: %v", err)
	}
}

func TestEmailFallback(t *testing.T) { onEngines(t, testEmailFallback) }

func testEmailFallback(t *testing.T, h *harness) {
	sess, smsCode := h.codeStep("mail@example.org")
	// No cooldown when switching channel: the person could not get the SMS.
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); err != nil {
		t.Fatal(err)
	}
	st, _ := h.Login.CodeStatus(h.ctx, sess, store.PurposeLogin)
	if st.Channel != store.ChannelEmail || st.Destination != "m•••@example.org" {
		t.Fatalf("status after email fallback: %+v", st)
	}
	emailCode := h.lastCode("mail@example.org")
	if smsCode != emailCode {
		if _, err := h.Login.VerifyLoginCode(h.ctx, sess, smsCode, client); kindOf(err) != login.KindWrongCode {
			t.Fatalf("the SMS code after switching to email: %v", err)
		}
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, emailCode, client)
	if err != nil || full.Stage != store.StageFull {
		t.Fatalf("email code: %v", err)
	}
	if len(h.events(sess.UserID, "login.email_fallback")) == 0 {
		t.Error("use of the email fallback is not audited")
	}

	h.Login.Rules.EmailFallback = false
	sess = h.login("mail@example.org", store.StageCode)
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); kindOf(err) != login.KindNotAllowed {
		t.Fatalf("email fallback turned off: %v", err)
	}
}

func TestEmailCodesShareTheFailureCount(t *testing.T) {
	onEngines(t, testEmailCodesShareTheFailureCount)
}

func testEmailCodesShareTheFailureCount(t *testing.T, h *harness) {
	h.user("share@example.org", testPhone)
	sess := h.login("share@example.org", store.StageCode)
	for i := 0; i < 3; i++ {
		h.Login.VerifyLoginCode(h.ctx, sess, wrongCode(h.lastCode(testPhone)), client)
	}
	h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client)
	h.Login.VerifyLoginCode(h.ctx, h.reload(sess), wrongCode(h.lastCode("share@example.org")), client)
	u, _ := h.Store.UserByID(h.ctx, sess.UserID)
	if u.CodeFailures != 4 {
		t.Fatalf("account failures = %d, want 4 (SMS and email together)", u.CodeFailures)
	}
}

func TestDeliveryFailure(t *testing.T) { onEngines(t, testDeliveryFailure) }

func testDeliveryFailure(t *testing.T, h *harness) {
	h.user("f@example.org", testPhone)
	h.Dispatch.SMS = []dispatch.Provider{{Name: "failing", Sender: failingSMS{fmt.Errorf("twilio: 21211 invalid To: %w", delivery.ErrPermanent)}}}
	sess, codeErr, err := h.Login.Login(h.ctx, "f@example.org", testPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if kindOf(codeErr) != login.KindUndeliverable {
		t.Fatalf("permanent SMS failure: %v", codeErr)
	}
	var le *login.Error
	errors.As(codeErr, &le)
	if strings.Contains(le.Message, "21211") || !strings.Contains(le.Message, "Send code to email") {
		t.Errorf("message %q shows internals or does not offer email", le.Message)
	}
	// The person can still get in by email.
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode("f@example.org"), client); err != nil {
		t.Fatal(err)
	}
}

func TestSessionTimeouts(t *testing.T) { onEngines(t, testSessionTimeouts) }

func testSessionTimeouts(t *testing.T, h *harness) {
	exempt := h.user("s@example.org", "")
	h.Store.SetMFA(h.ctx, exempt.ID, store.MFAExempt)

	sess := h.login("s@example.org", store.StageFull)
	h.clk.Advance(29 * time.Minute)
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	h.clk.Advance(31 * time.Minute)
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("after 31 idle minutes: %v", err)
	}

	sess = h.login("s@example.org", store.StageFull)
	for i := 0; i < 12*3; i++ { // active every 20 minutes for 12 hours
		h.clk.Advance(20 * time.Minute)
		if _, err := h.Login.Authenticate(h.ctx, sess.Token); err != nil {
			if i < 12*3-1 {
				t.Fatalf("active session ended after %d minutes: %v", (i+1)*20, err)
			}
			return
		}
	}
	t.Fatal("an active session outlived the 12-hour absolute timeout")
}

func TestLogout(t *testing.T) { onEngines(t, testLogout) }

func testLogout(t *testing.T, h *harness) {
	u := h.user("o@example.org", "")
	h.Store.SetMFA(h.ctx, u.ID, store.MFAExempt)
	sess := h.login("o@example.org", store.StageFull)
	if err := h.Login.Logout(h.ctx, sess.Token, client); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestSecretsStayOutOfLogsAndAudit(t *testing.T) { onEngines(t, testSecretsStayOutOfLogsAndAudit) }

func testSecretsStayOutOfLogsAndAudit(t *testing.T, h *harness) {
	h.user("secret@example.org", testPhone)
	h.Login.Login(h.ctx, "secret@example.org", "not the password at all", client)
	sess := h.login("secret@example.org", store.StageCode)
	code := h.lastCode(testPhone)
	h.Login.VerifyLoginCode(h.ctx, sess, wrongCode(code), client)
	h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client)
	emailCode := h.lastCode("secret@example.org")
	full, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), emailCode, client)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := h.Store.AuditForUser(h.ctx, sess.UserID, 100)
	var audit strings.Builder
	for _, e := range events {
		fmt.Fprintf(&audit, "%+v\n", e)
	}
	if len(events) < 5 {
		t.Fatalf("only %d audit events", len(events))
	}
	for where, text := range map[string]string{"audit log": audit.String(), "service log": h.logs.String()} {
		assertNoSecrets(t, where, text, testPassword, "not the password at all", code, wrongCode(code), emailCode, sess.Token, full.Token, testPhone)
	}
}

func TestPasswordOnlySessionEndsWhenMFAReturns(t *testing.T) {
	onEngines(t, testPasswordOnlySessionEndsWhenMFAReturns)
}

func testPasswordOnlySessionEndsWhenMFAReturns(t *testing.T, h *harness) {
	sess := h.passwordOnly("window@example.org")
	for i := 0; i < 2; i++ {
		h.clk.Advance(25 * time.Minute)
		if _, err := h.Login.Authenticate(h.ctx, sess.Token); err != nil {
			t.Fatalf("within the window: %v", err)
		}
	}
	h.clk.Advance(11 * time.Minute) // past the end of the disable, not idle
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("a password-only session outlived the MFA disable: %v", err)
	}
	// A session that proved a code is not affected by such changes.
	sess = h.login("window@example.org", store.StageCode)
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(testPhone), client)
	if err != nil || !full.MFA {
		t.Fatalf("code login: %v, MFA %v", err, full != nil && full.MFA)
	}
}

func TestWeakerHashIsReplacedAtLogin(t *testing.T) { onEngines(t, testWeakerHashIsReplacedAtLogin) }

func testWeakerHashIsReplacedAtLogin(t *testing.T, h *harness) {
	u := h.user("old@example.org", testPhone)
	weak := &password.Hasher{Params: password.Params{Memory: 32, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}
	old, err := weak.Hash(h.ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetPassword(h.ctx, u.ID, old); err != nil {
		t.Fatal(err)
	}
	h.login("old@example.org", store.StageCode)
	got, _ := h.Store.UserByID(h.ctx, u.ID)
	if got.PasswordHash == old || !strings.Contains(got.PasswordHash, "m=64,") {
		t.Fatalf("the weaker hash was kept: %s", got.PasswordHash)
	}
	h.login("old@example.org", store.StageCode) // and the new one works
}

// TestHashingIsBounded: argon2id takes 19 MiB and a core's time per
// login; beyond the slots, logins wait briefly and are then turned away
// politely, instead of piling up memory.
func TestHashingIsBounded(t *testing.T) { onEngines(t, testHashingIsBounded) }

func testHashingIsBounded(t *testing.T, h *harness) {
	// A costly hash, so that logins overlap.
	h.Login.Passwords = &password.Hasher{Params: password.Params{Memory: 64 << 10, Time: 3, Threads: 1, KeyLen: 32, SaltLen: 16},
		Slots: 1, Wait: 20 * time.Millisecond}
	h.user("busy@example.org", testPhone)
	var wg sync.WaitGroup
	kinds := make([]login.Kind, 4)
	for i := range kinds {
		wg.Go(func() {
			_, _, err := h.Login.Login(h.ctx, "busy@example.org", "not the password at all", login.Client{IP: fmt.Sprint("198.51.100.", i)})
			kinds[i] = kindOf(err)
		})
	}
	wg.Wait()
	busy := 0
	for _, k := range kinds {
		if k == login.KindBusy {
			busy++
		}
	}
	if busy == 0 || busy == len(kinds) {
		t.Fatalf("with one hashing slot, 4 concurrent logins gave %v; want some turned away as busy, and one served", kinds)
	}
	th, _ := h.Store.Throttle(h.ctx, login.AccountThrottleKey("busy@example.org"))
	if th.Failures != len(kinds)-busy {
		t.Fatalf("%d failures counted for %d tries checked: tries turned away must not count", th.Failures, len(kinds)-busy)
	}
}

// TestEveryHashTakesASlot: every step that hashes a password (login,
// re-authentication, the console's step up, set-up, a password set with
// an emailed link, a new account) waits for one of the hasher's slots and
// is told the portal is busy when none comes free; the set-up form
// checks its link, and that set-up is still open, before it hashes, so
// that posts without the link cost no hash and are never busy.
func TestEveryHashTakesASlot(t *testing.T) { onEngines(t, testEveryHashTakesASlot) }

func testEveryHashTakesASlot(t *testing.T, h *harness) {
	h.Login.Passwords = &password.Hasher{Params: logintest.FastPasswords, Slots: 1, Wait: 20 * time.Millisecond}
	setupToken, _, err := h.Login.EnsureSetupToken(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	acct := login.NewAccount{Email: "first@example.org", Name: "First Admin", Password: testPassword}
	held, err := h.Login.Passwords.Acquire(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.CreateFirstAdmin(h.ctx, "bogus", acct, client); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatalf("set-up with a bogus link and no slot free: %v, want the link refused without a hash", err)
	}
	if _, err := h.Login.CreateFirstAdmin(h.ctx, setupToken, acct, client); kindOf(err) != login.KindBusy {
		t.Fatalf("set-up with the link and no slot free: %v, want busy", err)
	}
	held.Release()

	if err := h.Store.SetSetting(h.ctx, login.SettingMFAPolicy, "optional"); err != nil {
		t.Fatal(err)
	}
	h.user("pat@example.org", "")
	sess := h.login("pat@example.org", store.StageFull)
	if err := h.Login.SendResetLink(h.ctx, sess.User, store.TokenPasswordReset); err != nil {
		t.Fatal(err)
	}
	resetToken := h.resetToken("pat@example.org")

	held, err = h.Login.Passwords.Acquire(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	steps := map[string]func() error{
		"login": func() error {
			_, _, err := h.Login.Login(h.ctx, "pat@example.org", testPassword, client)
			return err
		},
		"re-authentication": func() error {
			_, err := h.Login.Reauthenticate(h.ctx, sess, testPassword, client)
			return err
		},
		"console step up": func() error {
			_, _, err := h.Login.StartStepUp(h.ctx, sess, testPassword, client)
			return err
		},
		"password set with a link": func() error {
			return h.Login.SetPasswordWithLink(h.ctx, resetToken, store.TokenPasswordReset, "violet tractor harbour lemon", client)
		},
		"new account": func() error {
			_, err := h.Login.CreateAccount(h.ctx, login.NewAccount{Email: "new@example.org", Name: "New Person", Password: testPassword}, client)
			return err
		},
	}
	if _, err := h.Login.CreateFirstAdmin(h.ctx, setupToken, acct, client); !errors.Is(err, login.ErrSetupClosed) {
		t.Errorf("set-up once an account exists, with no slot free: %v, want ErrSetupClosed without a hash", err)
	}
	for name, step := range steps {
		err := step()
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindBusy || le.RetryAfter <= 0 || !strings.Contains(le.Message, "very busy") {
			t.Errorf("%s with no hashing slot free: %v, want the busy answer", name, err)
		}
	}
	// Nothing was done: the link still works, the account was not made.
	held.Release()
	if err := h.Login.SetPasswordWithLink(h.ctx, resetToken, store.TokenPasswordReset, "violet tractor harbour lemon", client); err != nil {
		t.Fatalf("the link after a busy answer: %v", err)
	}
	if _, err := h.Store.UserByEmail(h.ctx, "new@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an account turned away as busy was created: %v", err)
	}
}
