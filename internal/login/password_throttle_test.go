package login_test

import (
	"testing"

	"github.com/providerportal/portal/internal/login"
)

// TestPasswordThrottleCountsEverySpelling: the account's counter of wrong
// passwords is kept under the normalised email, so an attacker who varies
// the case or the spaces around the address gets no extra tries: six wrong
// passwords, each under another spelling, bring the backoff that six under
// one spelling do.
func TestPasswordThrottleCountsEverySpelling(t *testing.T) {
	onEngines(t, testPasswordThrottleCountsEverySpelling)
}

func testPasswordThrottleCountsEverySpelling(t *testing.T, h *harness) {
	h.user("pat@example.org", testPhone)
	r := h.Login.Rules
	spellings := []string{"Pat@Example.org", "PAT@EXAMPLE.ORG", " pat@example.org", "pat@example.org ", "pAt@example.org", "\tpat@EXAMPLE.org"}
	if len(spellings) != r.PasswordFreeAccount+1 {
		t.Fatalf("the test needs %d spellings, one more than the free failures", r.PasswordFreeAccount+1)
	}
	for i, email := range spellings {
		if _, _, err := h.Login.Login(h.ctx, email, "not the password at all", client); kindOf(err) != login.KindInvalidCredentials {
			t.Fatalf("wrong password %d as %q: %v", i+1, email, err)
		}
	}
	th, err := h.Store.Throttle(h.ctx, login.AccountThrottleKey("pat@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if th.Failures != len(spellings) {
		t.Errorf("the account's counter holds %d failures after %d wrong passwords under different spellings", th.Failures, len(spellings))
	}
	if _, _, err := h.Login.Login(h.ctx, "PAT@example.ORG", testPassword, client); kindOf(err) != login.KindThrottled {
		t.Fatalf("the right password, during the backoff, under yet another spelling: %v, want throttled", err)
	}
}
