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
	full := h.fullLogin("boss@example.org", client)
	if !h.Login.Fresh(full, login.ProofPasswordAndCode) {
		t.Fatal("a new login is not fresh")
	}
	h.clk.Advance(16 * time.Minute)
	h.Login.Authenticate(h.ctx, full.Token)
	if h.Login.Fresh(full, login.ProofPasswordAndCode) {
		t.Fatal("a 16-minute-old login is fresh")
	}
	// A code alone, without the password, is never sent.
	if err := h.Login.ResendStepUpCode(h.ctx, full, client); kindOf(err) != login.KindNoCode {
		t.Fatalf("resend before the password: %v", err)
	}
	// Wrong codes in one step up do not carry into the next.
	if _, need, err := h.Login.StartStepUp(h.ctx, full, testPassword, client); err != nil || !need {
		t.Fatalf("StartStepUp: %v %v", need, err)
	}
	for i := 0; i < 4; i++ {
		h.Login.VerifyStepUp(h.ctx, h.reload(full), wrongCode(h.lastCode(testPhone)), client)
	}
	h.clk.Advance(time.Minute)
	if _, _, err := h.Login.StartStepUp(h.ctx, h.reload(full), testPassword, client); err != nil {
		t.Fatal(err)
	}
	st, _ := h.Login.CodeStatus(h.ctx, full, store.PurposeStepUp)
	if st.Remaining != 5 {
		t.Fatalf("a new step up starts with %d tries", st.Remaining)
	}
	next, err := h.Login.VerifyStepUp(h.ctx, h.reload(full), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	next.User = full.User
	if !h.Login.Fresh(next, login.ProofPasswordAndCode) || next.Token == full.Token {
		t.Fatal("the step up did not give a fresh session with a new token")
	}
	// Later, the used step-up code proves nothing: the password is asked again.
	h.clk.Advance(20 * time.Minute)
	h.Login.Authenticate(h.ctx, next.Token)
	if err := h.Login.ResendStepUpCode(h.ctx, next, client); kindOf(err) != login.KindNoCode {
		t.Fatalf("resend after a completed step up: %v", err)
	}
}

// TestFreshTimesPasswordAndCodeApart: the password typed again renews the
// session and makes the password fresh, never the code (issue 14, 2).
func TestFreshTimesPasswordAndCodeApart(t *testing.T) {
	onEngines(t, testFreshTimesPasswordAndCodeApart)
}

func testFreshTimesPasswordAndCodeApart(t *testing.T, h *harness) {
	h.user("boss@example.org", testPhone)
	sess := h.login("boss@example.org", store.StageCode)
	if h.Login.Fresh(sess, login.ProofPassword) || h.Login.Fresh(sess, login.ProofPasswordAndCode) {
		t.Fatal("a half-finished login is fresh")
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Login.Fresh(full, login.ProofPassword) || !h.Login.Fresh(full, login.ProofPasswordAndCode) {
		t.Fatal("a new login is not fresh")
	}
	h.clk.Advance(20 * time.Minute)
	if h.Login.Fresh(full, login.ProofPassword) || h.Login.Fresh(full, login.ProofPasswordAndCode) {
		t.Fatal("a 20-minute-old login is fresh")
	}
	again, err := h.Login.Reauthenticate(h.ctx, h.reload(full), testPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.Login.Authenticate(h.ctx, again.Token)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*login.Session{"returned": again, "stored": stored} {
		if !h.Login.Fresh(s, login.ProofPassword) {
			t.Errorf("%s: the password just typed is not fresh", name)
		}
		if h.Login.Fresh(s, login.ProofPasswordAndCode) {
			t.Errorf("%s: the password alone made a 20-minute-old code fresh", name)
		}
		if !s.CodeAt.Equal(full.CodeAt) || !s.MFA {
			t.Errorf("%s: CodeAt %v, MFA %v; want the login's %v, true", name, s.CodeAt, s.MFA, full.CodeAt)
		}
	}
	// Within the limit, a step up is fresh for both; past it, for neither.
	if _, _, err := h.Login.StartStepUp(h.ctx, stored, testPassword, client); err != nil {
		t.Fatal(err)
	}
	next, err := h.Login.VerifyStepUp(h.ctx, h.reload(stored), h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Login.Fresh(next, login.ProofPasswordAndCode) {
		t.Fatal("a step up is not fresh")
	}
	h.clk.Advance(h.Login.Rules.ReauthAfter)
	if !h.Login.Fresh(next, login.ProofPasswordAndCode) {
		t.Fatal("a step up exactly ReauthAfter old is not fresh")
	}
	h.clk.Advance(time.Millisecond)
	if h.Login.Fresh(next, login.ProofPassword) || h.Login.Fresh(next, login.ProofPasswordAndCode) {
		t.Fatal("a step up older than ReauthAfter is fresh")
	}
}
