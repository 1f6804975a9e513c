package login_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

var resetLink = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]+)`)

func (h *harness) resetToken(email string) string {
	h.t.Helper()
	h.Login.Wait()
	for _, m := range h.Outbox.Messages() {
		if m.To == email {
			if t := resetLink.FindStringSubmatch(m.Body); t != nil {
				return t[1]
			}
		}
	}
	h.t.Fatalf("no reset link to %s", email)
	return ""
}

func TestForgotPassword(t *testing.T) { onEngines(t, testForgotPassword) }

func testForgotPassword(t *testing.T, h *harness) {
	h.user("pat@example.org", testPhone)
	old := h.login("pat@example.org", store.StageCode)

	h.Login.RequestPasswordReset(h.ctx, "nobody@example.org", client)
	h.Login.RequestPasswordReset(h.ctx, " PAT@example.org", client)
	h.Login.Wait()
	if n := h.Sent("nobody@example.org"); n != 0 {
		t.Fatal("a reset email went to an address without an account")
	}
	token := h.resetToken("pat@example.org")
	if u, err := h.Login.LinkAccount(h.ctx, token, store.TokenPasswordReset); err != nil || u.Email != "pat@example.org" {
		t.Fatalf("LinkAccount: %v", err)
	}
	if _, err := h.Login.LinkAccount(h.ctx, token, store.TokenInvite); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatal("a reset link worked as an invitation")
	}
	if err := h.Login.SetPasswordWithLink(h.ctx, token, store.TokenPasswordReset, "password1234", client); kindOf(err) != login.KindInvalidInput {
		t.Fatalf("common password: %v", err)
	}
	const newPw = "violet tractor harbour lemon"
	if err := h.Login.SetPasswordWithLink(h.ctx, token, store.TokenPasswordReset, newPw, client); err != nil {
		t.Fatal(err)
	}
	if err := h.Login.SetPasswordWithLink(h.ctx, token, store.TokenPasswordReset, newPw+" again", client); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatalf("the link worked twice: %v", err)
	}
	if _, err := h.Login.Authenticate(h.ctx, old.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatal("a session survived the password reset")
	}
	if _, _, err := h.Login.Login(h.ctx, "pat@example.org", testPassword, client); kindOf(err) != login.KindInvalidCredentials {
		t.Fatalf("the old password: %v", err)
	}
	sess, _, err := h.Login.Login(h.ctx, "pat@example.org", newPw, client)
	if err != nil || sess.Stage != store.StageCode {
		t.Fatalf("the new password: %v; MFA must still be asked", err)
	}
	var notice bool
	for _, m := range h.Outbox.Messages() {
		notice = notice || (m.To == "pat@example.org" && strings.Contains(m.Subject, "password was changed"))
	}
	if !notice {
		t.Error("no notice that the password changed")
	}
}

func TestResetLinkExpiresAndIsLimited(t *testing.T) { onEngines(t, testResetLinkExpiresAndIsLimited) }

func testResetLinkExpiresAndIsLimited(t *testing.T, h *harness) {
	h.user("pat@example.org", testPhone)
	h.Login.RequestPasswordReset(h.ctx, "pat@example.org", client)
	token := h.resetToken("pat@example.org")
	h.clk.Advance(login.ResetLinkTTL)
	if err := h.Login.SetPasswordWithLink(h.ctx, token, store.TokenPasswordReset, "violet tractor harbour lemon", client); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatalf("after 30 minutes: %v", err)
	}
	// A mailbox cannot be flooded: a few links an hour, then nothing.
	for i := 0; i < 10; i++ {
		h.Login.RequestPasswordReset(h.ctx, "pat@example.org", client)
	}
	h.Login.Wait()
	if n := h.Sent("pat@example.org"); n > 3 {
		t.Fatalf("%d reset emails within the hour", n)
	}
	h.clk.Advance(time.Hour)
	h.Login.RequestPasswordReset(h.ctx, "pat@example.org", client)
	h.Login.Wait()
	if n := h.Sent("pat@example.org"); n != 4 {
		t.Fatalf("after the hour: %d emails, want 4", n)
	}
}

func TestNewResetLinkVoidsTheOld(t *testing.T) { onEngines(t, testNewResetLinkVoidsTheOld) }

func testNewResetLinkVoidsTheOld(t *testing.T, h *harness) {
	h.user("pat@example.org", testPhone)
	h.Login.RequestPasswordReset(h.ctx, "pat@example.org", client)
	first := h.resetToken("pat@example.org")
	h.Login.RequestPasswordReset(h.ctx, "pat@example.org", client)
	second := h.resetToken("pat@example.org")
	if first == second {
		t.Fatal("the same link twice")
	}
	if _, err := h.Login.LinkAccount(h.ctx, first, store.TokenPasswordReset); kindOf(err) != login.KindSetupTokenInvalid {
		t.Fatalf("the older link still works: %v", err)
	}
}
