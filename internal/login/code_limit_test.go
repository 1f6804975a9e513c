package login_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/store"
)

// poorSignal logs in five times a minute apart, as someone whose codes do
// not arrive would: each login sends a code, which uses up the account's
// budget of five codes in fifteen minutes. It returns the fifth login and
// its code.
func (h *harness) poorSignal(email, phone string) (*login.Session, string) {
	h.t.Helper()
	h.user(email, phone)
	var sess *login.Session
	for range h.Login.Rules.CodesPerAccount {
		sess = h.login(email, store.StageCode)
		h.clk.Advance(time.Minute)
	}
	return sess, h.lastCode(phone)
}

// limitedLogin logs in once more after poorSignal: the password is right,
// but no new code can be sent.
func (h *harness) limitedLogin(email string) (*login.Session, *login.Error) {
	h.t.Helper()
	sent := len(h.Outbox.Messages())
	sess, codeErr, err := h.Login.Login(h.ctx, email, testPassword, client)
	if err != nil {
		h.t.Fatal(err)
	}
	var le *login.Error
	if !errors.As(codeErr, &le) || le.Kind != login.KindTooManyCodes {
		h.t.Fatalf("a login past the budget of codes: %v, want too many codes", codeErr)
	}
	if n := len(h.Outbox.Messages()); n != sent {
		h.t.Fatalf("a login past the budget of codes sent %d messages", n-sent)
	}
	return sess, le
}

// TestNewestCodeWorksAfterTheCodeLimit: issue 14, item 13. After five
// codes in fifteen minutes the next login gets no code, says when one can
// be asked for, and the newest code the person received logs them in: the
// new login takes it over, with its tries, and the login it was sent for
// ends.
func TestNewestCodeWorksAfterTheCodeLimit(t *testing.T) {
	onEngines(t, testNewestCodeWorksAfterTheCodeLimit)
}

func testNewestCodeWorksAfterTheCodeLimit(t *testing.T, h *harness) {
	first := h.clk.Now()
	fifth, code := h.poorSignal("signal@example.org", testPhone)
	older := ""
	for _, m := range h.Outbox.Messages() {
		if c := logintest.CodeRE.FindStringSubmatch(m.Body); c != nil && c[1] != code {
			older = c[1]
			break
		}
	}
	// Two wrong tries at the newest code, in its own login.
	for range 2 {
		if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(fifth), wrongCode(code), client); kindOf(err) != login.KindWrongCode {
			t.Fatalf("a wrong code: %v", err)
		}
	}

	sess, le := h.limitedLogin("signal@example.org")
	// The first code leaves the fifteen minutes at first+15m; it is now
	// first+5m.
	if want := "You can ask for a new code in 10 minutes."; !strings.Contains(le.Message, want) {
		t.Errorf("the limit says %q; want it to say %q", le.Message, want)
	}
	if le.RetryAfter != 10*time.Minute {
		t.Errorf("RetryAfter = %v, want 10m", le.RetryAfter)
	}
	if next, err := h.Login.NextCodeAt(h.ctx, sess); err != nil || !next.Equal(first.Add(15*time.Minute)) {
		t.Errorf("NextCodeAt = %v, %v; want %v", next, err, first.Add(15*time.Minute))
	}
	st, err := h.Login.CodeStatus(h.ctx, sess, store.PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Sent || st.Remaining != h.Login.Rules.MaxCodeTries-2 || st.Channel != store.ChannelSMS {
		t.Errorf("the code screen's status: %+v; want the newest code, sent, with its %d tries left", st, h.Login.Rules.MaxCodeTries-2)
	}

	// The login the code was sent for no longer holds it.
	if _, err := h.Store.SessionByHash(h.ctx, fifth.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the login the code was sent for is still there: %v", err)
	}
	// An older code is still wrong here, and costs the code a try.
	if older == "" {
		t.Fatal("no older code found")
	}
	reloaded := func() *login.Session {
		ss, err := h.Login.Authenticate(h.ctx, sess.Token)
		if err != nil || ss == nil {
			t.Fatalf("the new login's session: %v, %v", ss, err)
		}
		return ss
	}
	_, err = h.Login.VerifyLoginCode(h.ctx, reloaded(), older, client)
	if le := (*login.Error)(nil); !errors.As(err, &le) || le.Kind != login.KindWrongCode || le.Remaining != 2 {
		t.Errorf("an older code in the new login: %v; want wrong code, 2 tries left (the code's own count)", err)
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, reloaded(), code, client)
	if err != nil {
		t.Fatalf("the newest code in the next login: %v", err)
	}
	if full.Stage != store.StageFull {
		t.Fatalf("stage after the newest code: %s", full.Stage)
	}
	events, err := h.Store.AuditForUser(h.ctx, sess.UserID, 50)
	if err != nil {
		t.Fatal(err)
	}
	carried := false
	for _, e := range events {
		if e.Event == "code.carried_over" {
			carried = true
			assertNoSecrets(t, "audit detail", e.Detail, code)
		}
	}
	if !carried {
		t.Error("no code.carried_over audit event")
	}
}

// TestCarriedCodeKeepsItsBinding: a code is only carried over to a new
// login while it still works for the account as it is now; otherwise the
// new login has no code and says when it can ask for one.
func TestCarriedCodeKeepsItsBinding(t *testing.T) { onEngines(t, testCarriedCodeKeepsItsBinding) }

func testCarriedCodeKeepsItsBinding(t *testing.T, h *harness) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, sess *login.Session, code string)
	}{
		{"expired", func(t *testing.T, _ *login.Session, _ string) { h.clk.Advance(h.Login.Rules.CodeTTL - time.Minute) }},
		{"void", func(t *testing.T, sess *login.Session, code string) {
			for range h.Login.Rules.MaxCodeTries {
				h.Login.VerifyLoginCode(h.ctx, h.reload(sess), wrongCode(code), client)
			}
		}},
		{"used", func(t *testing.T, sess *login.Session, code string) {
			if _, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), code, client); err != nil {
				t.Fatal(err)
			}
		}},
		{"undelivered", func(t *testing.T, sess *login.Session, _ string) {
			ch, err := h.Store.LatestChallenge(h.ctx, sess.UserID, sess.AttemptID, store.PurposeLogin)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Store.MarkChallengeUndelivered(h.ctx, ch.ID, h.clk.Now()); err != nil {
				t.Fatal(err)
			}
		}},
		{"sent to the old phone", func(t *testing.T, sess *login.Session, _ string) {
			if err := h.Store.SetPhone(h.ctx, sess.UserID, "+447546999999"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := strings.ReplaceAll(tc.name, " ", "-") + "@example.org"
			fifth, code := h.poorSignal(email, testPhone)
			tc.spoil(t, fifth, code)
			sess, _ := h.limitedLogin(email)
			if st, err := h.Login.CodeStatus(h.ctx, sess, store.PurposeLogin); err != nil || st.Sent || st.Undelivered {
				t.Errorf("a new login took over a code that was %s: %+v, %v", tc.name, st, err)
			}
			if _, err := h.Login.VerifyLoginCode(h.ctx, sess, code, client); kindOf(err) != login.KindNoCode {
				t.Errorf("the code that was %s, in the new login: %v; want no code", tc.name, err)
			}
			if next, err := h.Login.NextCodeAt(h.ctx, sess); err != nil || !next.After(h.clk.Now()) {
				t.Errorf("NextCodeAt = %v, %v; want a time to come", next, err)
			}
			h.clk.Advance(time.Hour) // a fresh budget for the next case
		})
	}
}

// TestCodeLimitSaysWhen: the budget of codes frees one code at a time,
// when the oldest of the last five leaves the fifteen minutes.
func TestCodeLimitSaysWhen(t *testing.T) { onEngines(t, testCodeLimitSaysWhen) }

func testCodeLimitSaysWhen(t *testing.T, h *harness) {
	h.user("when@example.org", testPhone)
	sess := h.login("when@example.org", store.StageCode) // code 1 at 0:00
	first := h.clk.Now()
	for i := 2; i <= 5; i++ { // codes 2–5 at 2:00, 4:00, 6:00, 8:00
		h.clk.Advance(2 * time.Minute)
		if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	h.clk.Advance(time.Minute) // 9:00
	_, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client)
	if le := (*login.Error)(nil); !errors.As(err, &le) || !strings.Contains(le.Message, "in 6 minutes") {
		t.Fatalf("a sixth code at 9:00: %v; want the limit, and a new code in 6 minutes", err)
	}
	if next, err := h.Login.NextCodeAt(h.ctx, sess); err != nil || !next.Equal(first.Add(15*time.Minute)) {
		t.Errorf("NextCodeAt = %v, %v; want %v", next, err, first.Add(15*time.Minute))
	}
	h.clk.Advance(6 * time.Minute) // 15:00: code 1 has left the window
	if next, err := h.Login.NextCodeAt(h.ctx, sess); err != nil || !next.IsZero() {
		t.Errorf("NextCodeAt when the budget has room = %v, %v; want zero", next, err)
	}
	if _, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelEmail, client); err != nil {
		t.Fatalf("a code when the oldest left the window: %v", err)
	}
	// Now codes 2–6 fill the window again, until code 2 leaves it.
	if next, err := h.Login.NextCodeAt(h.ctx, sess); err != nil || !next.Equal(first.Add(17*time.Minute)) {
		t.Errorf("NextCodeAt = %v, %v; want %v", next, err, first.Add(17*time.Minute))
	}
}
