package login_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func TestPhoneRegistration(t *testing.T) { onEngines(t, testPhoneRegistration) }

func testPhoneRegistration(t *testing.T, h *harness) {
	u := h.user("new@example.org", "")
	sess := h.login("new@example.org", store.StageRegisterPhone)

	// Wrong formats are refused with the fix spelled out, and nothing is sent.
	for _, raw := range []string{"07546123456", "+4407546123456"} {
		_, err := h.Login.StartPhoneRegistration(h.ctx, sess, raw, client)
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindInvalidInput || le.Field != "phone" || !strings.Contains(le.Message, "+447546123456") {
			t.Fatalf("StartPhoneRegistration(%q) = %v, want a message showing +447546123456", raw, err)
		}
	}
	if n := len(h.Outbox.Messages()); n != 0 {
		t.Fatalf("%d messages sent for refused numbers", n)
	}

	if _, err := h.Login.StartPhoneRegistration(h.ctx, sess, "+44 (0)7546 123456", client); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != "" {
		t.Fatal("the phone was stored before the code was entered")
	}
	code := h.lastCode(testPhone)
	if err := h.Login.VerifyPhoneRegistration(h.ctx, sess, wrongCode(code), client); kindOf(err) != login.KindWrongCode {
		t.Fatalf("wrong code: %v", err)
	}
	if err := h.Login.VerifyPhoneRegistration(h.ctx, h.reload(sess), code, client); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Store.UserByID(h.ctx, u.ID); got.Phone != testPhone {
		t.Fatalf("phone = %q after verification", got.Phone)
	}
	// The person logs in again: the registration session is gone.
	if _, err := h.Login.Authenticate(h.ctx, sess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("registration session after verification: %v", err)
	}
	if h.Sent("new@example.org") != 1 {
		t.Error("no email notice of the registered phone")
	}
	h.clk.Advance(time.Minute)
	next := h.login("new@example.org", store.StageCode)
	if _, err := h.Login.VerifyLoginCode(h.ctx, next, h.lastCode(testPhone), client); err != nil {
		t.Fatal(err)
	}
}

func TestRegistrationCodeIsBoundToTheNumber(t *testing.T) {
	onEngines(t, testRegistrationCodeIsBoundToTheNumber)
}

func testRegistrationCodeIsBoundToTheNumber(t *testing.T, h *harness) {
	h.user("bound@example.org", "")
	sess := h.login("bound@example.org", store.StageRegisterPhone)
	h.Login.StartPhoneRegistration(h.ctx, sess, testPhone, client)
	code := h.lastCode(testPhone)
	// Switching to another number voids the first number's code.
	h.clk.Advance(time.Minute)
	if _, err := h.Login.StartPhoneRegistration(h.ctx, sess, "+447546000222", client); err != nil {
		t.Fatal(err)
	}
	other := h.lastCode("+447546000222")
	if code != other {
		if err := h.Login.VerifyPhoneRegistration(h.ctx, h.reload(sess), code, client); err == nil {
			t.Fatal("the code sent to the first number registered the second")
		}
	}
}

func TestPhoneChange(t *testing.T) { onEngines(t, testPhoneChange) }

func testPhoneChange(t *testing.T, h *harness) {
	h.user("change@example.org", testPhone)
	otherFull := h.fullLogin("change@example.org", client)
	h.clk.Advance(time.Minute)
	sess := h.login("change@example.org", store.StageCode)
	full, err := h.Login.VerifyLoginCode(h.ctx, h.reload(sess), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}

	const newPhone = "+447546654321"
	if _, err := h.Login.StartPhoneChange(h.ctx, full, testPhone, client); kindOf(err) != login.KindInvalidInput {
		t.Fatalf("changing to the same number: %v", err)
	}
	if _, err := h.Login.StartPhoneChange(h.ctx, full, "+44 7546 654321", client); err != nil {
		t.Fatal(err)
	}
	code := h.lastCode(newPhone)
	// Until confirmed, the old number stays in force.
	if u, _ := h.Store.UserByID(h.ctx, full.UserID); u.Phone != testPhone {
		t.Fatalf("phone changed before confirmation: %s", u.Phone)
	}
	if err := h.Login.VerifyPhoneChange(h.ctx, full, code, client); err != nil {
		t.Fatal(err)
	}
	if u, _ := h.Store.UserByID(h.ctx, full.UserID); u.Phone != newPhone {
		t.Fatalf("phone = %s after confirmation", u.Phone)
	}
	if _, err := h.Login.Authenticate(h.ctx, otherFull.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("another session survived the phone change: %v", err)
	}
	if _, err := h.Login.Authenticate(h.ctx, full.Token); err != nil {
		t.Fatalf("the session that made the change ended: %v", err)
	}
	var notice string
	for _, m := range h.Outbox.Messages() {
		if m.To == "change@example.org" {
			notice = m.Body
			break
		}
	}
	if !strings.Contains(notice, "•••• 3456") || !strings.Contains(notice, "•••• 4321") {
		t.Fatalf("email notice does not name the old and new numbers: %q", notice)
	}
}

func TestPhoneChangeNeedsRecentPassword(t *testing.T) {
	onEngines(t, testPhoneChangeNeedsRecentPassword)
}

func testPhoneChangeNeedsRecentPassword(t *testing.T, h *harness) {
	h.user("re@example.org", testPhone)
	full := h.fullLogin("re@example.org", client)
	h.clk.Advance(16 * time.Minute)
	if _, err := h.Login.Authenticate(h.ctx, full.Token); err != nil { // keep it alive
		t.Fatal(err)
	}
	if _, err := h.Login.StartPhoneChange(h.ctx, full, "+447546654321", client); kindOf(err) != login.KindReauthRequired {
		t.Fatalf("change 16 minutes after login: %v, want the password again", err)
	}
	if _, err := h.Login.Reauthenticate(h.ctx, full, "wrong password!!", client); kindOf(err) != login.KindInvalidCredentials {
		t.Fatalf("wrong password at re-authentication: %v", err)
	}
	again, err := h.Login.Reauthenticate(h.ctx, full, testPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if again.Token == full.Token {
		t.Fatal("re-authentication kept the old token")
	}
	if _, err := h.Login.Authenticate(h.ctx, full.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatal("the old token survived re-authentication")
	}
	if !again.CreatedAt.Equal(full.CreatedAt) {
		t.Fatal("re-authentication restarted the absolute timeout")
	}
	if _, err := h.Login.StartPhoneChange(h.ctx, again, "+447546654321", client); err != nil {
		t.Fatalf("change after re-authentication: %v", err)
	}
}

func TestFirstAdminSetup(t *testing.T) { onEngines(t, testFirstAdminSetup) }

func testFirstAdminSetup(t *testing.T, h *harness) {
	token, ok, err := h.Login.EnsureSetupToken(h.ctx)
	if err != nil || !ok || len(token) < 40 {
		t.Fatalf("EnsureSetupToken on an empty database = %q, %v, %v", token, ok, err)
	}
	acct := login.NewAccount{Email: "Boss@Example.org", Name: "The Boss", Password: testPassword}
	if _, err := h.Login.CreateFirstAdmin(h.ctx, "wrong-token", acct, client); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatalf("wrong token: %v", err)
	}
	weak := acct
	weak.Password = "password1234"
	if _, err := h.Login.CreateFirstAdmin(h.ctx, token, weak, client); kindOf(err) != login.KindInvalidInput {
		t.Fatalf("common password: %v", err)
	}
	u, err := h.Login.CreateFirstAdmin(h.ctx, token, acct, client)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Admin || u.Email != "boss@example.org" {
		t.Fatalf("first administrator: %+v", u)
	}
	acct.Email = "second@example.org"
	if _, err := h.Login.CreateFirstAdmin(h.ctx, token, acct, client); !errors.Is(err, login.ErrSetupClosed) {
		t.Fatalf("second use of the link: %v, want ErrSetupClosed", err)
	}
	if _, ok, _ := h.Login.EnsureSetupToken(h.ctx); ok {
		t.Fatal("a set-up link was issued although an account exists")
	}
	// MFA is required for the new administrator, who registers a phone.
	h.login("boss@example.org", store.StageRegisterPhone)
}

func TestAccountValidation(t *testing.T) {
	tests := []struct {
		a     login.NewAccount
		field string
	}{
		{login.NewAccount{Email: "a@example.org", Name: "", Password: testPassword}, "name"},
		{login.NewAccount{Email: "not-an-email", Name: "A", Password: testPassword}, "email"},
		{login.NewAccount{Email: "A <a@example.org>", Name: "A", Password: testPassword}, "email"},
		{login.NewAccount{Email: "a@example.org", Name: "A", Password: "short"}, "password"},
		{login.NewAccount{Email: "a@example.org", Name: "A", Password: testPassword}, ""},
	}
	for _, tt := range tests {
		err := tt.a.Validate()
		var le *login.Error
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.a, err)
		case tt.field != "" && (!errors.As(err, &le) || le.Field != tt.field):
			t.Errorf("%+v: %v, want a problem with %s", tt.a, err, tt.field)
		}
	}
}
