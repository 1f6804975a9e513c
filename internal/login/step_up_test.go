package login_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func TestStepUp(t *testing.T) { onEngines(t, testStepUp) }

func testStepUp(t *testing.T, h *harness) {
	h.user("boss@example.org", testPhone)
	sess := h.login("boss@example.org", store.StageCode)
	full, err := h.svc.VerifyLoginCode(h.ctx, sess, h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if !h.svc.Fresh(full) {
		t.Fatal("a new login is not fresh")
	}
	h.advance(16 * time.Minute)
	h.svc.Authenticate(h.ctx, full.Token)
	if h.svc.Fresh(full) {
		t.Fatal("a 16-minute-old login is fresh")
	}
	// A code alone, without the password, is never sent.
	if err := h.svc.ResendStepUpCode(h.ctx, full, client); kindOf(err) != login.KindNoCode {
		t.Fatalf("resend before the password: %v", err)
	}
	// Wrong codes in one step up do not carry into the next.
	if _, need, err := h.svc.StartStepUp(h.ctx, full, testPassword, client); err != nil || !need {
		t.Fatalf("StartStepUp: %v %v", need, err)
	}
	for i := 0; i < 4; i++ {
		h.svc.VerifyStepUp(h.ctx, h.reload(full), wrongCode(h.lastCode(testPhone)), client)
	}
	h.advance(time.Minute)
	if _, _, err := h.svc.StartStepUp(h.ctx, h.reload(full), testPassword, client); err != nil {
		t.Fatal(err)
	}
	st, _ := h.svc.CodeStatus(h.ctx, full, store.PurposeStepUp)
	if st.Remaining != 5 {
		t.Fatalf("a new step up starts with %d tries", st.Remaining)
	}
	next, err := h.svc.VerifyStepUp(h.ctx, h.reload(full), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	next.User = full.User
	if !h.svc.Fresh(next) || next.Token == full.Token {
		t.Fatal("the step up did not give a fresh session with a new token")
	}
	// Later, the used step-up code proves nothing: the password is asked again.
	h.advance(20 * time.Minute)
	h.svc.Authenticate(h.ctx, next.Token)
	if err := h.svc.ResendStepUpCode(h.ctx, next, client); kindOf(err) != login.KindNoCode {
		t.Fatalf("resend after a completed step up: %v", err)
	}
}
