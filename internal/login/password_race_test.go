package login_test

import (
	"fmt"
	"testing"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// TestConcurrentWrongPasswords: tries that arrive together are no more
// than tries one after the other. Each is counted against the account
// before its password is checked, in one step with the check of the lock,
// so only the free failures and the one that starts the backoff are
// checked; the rest are refused unread. (cmd/portal runs the same race
// over two instances on PostgreSQL.)
func TestConcurrentWrongPasswords(t *testing.T) { onEngines(t, testConcurrentWrongPasswords) }

func testConcurrentWrongPasswords(t *testing.T, h *harness) {
	h.user("p@example.org", testPhone)
	r := h.Login.Rules
	const n = 40
	// A slot each, so that all tries reach the counter together (on a
	// machine with few cores the default slots would queue them).
	h.Login.Passwords = &password.Hasher{Params: h.Login.Passwords.Params, Slots: n}
	kinds := make([]login.Kind, n)
	h.race(n, func(i int) {
		// Each from its own address: the account's counter is the one raced.
		_, _, err := h.Login.Login(h.ctx, "p@example.org", "wrong", login.Client{IP: fmt.Sprint("198.51.100.", i)})
		kinds[i] = kindOf(err)
	})

	counts := map[login.Kind]int{}
	for _, k := range kinds {
		counts[k]++
	}
	allowed := r.PasswordFreeAccount + 1
	if counts[login.KindInvalidCredentials] != allowed || counts[login.KindThrottled] != n-allowed {
		t.Errorf("of %d concurrent wrong passwords, %d were checked and %d throttled; want %d and %d",
			n, counts[login.KindInvalidCredentials], counts[login.KindThrottled], allowed, n-allowed)
	}
	th, err := h.Store.Throttle(h.ctx, login.AccountThrottleKey("p@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if th.Failures != allowed || th.LockedUntil.Sub(h.clk.Now()) != r.PasswordBackoffBase {
		t.Errorf("throttle after the race: %d failures, locked for %v; want %d, %v",
			th.Failures, th.LockedUntil.Sub(h.clk.Now()), allowed, r.PasswordBackoffBase)
	}
}

// TestRightPasswordClearsTheCount: a try is counted before its password is
// checked; a right one takes the count away again, at login and at
// re-authentication.
func TestRightPasswordClearsTheCount(t *testing.T) { onEngines(t, testRightPasswordClearsTheCount) }

func testRightPasswordClearsTheCount(t *testing.T, h *harness) {
	h.user("q@example.org", testPhone)
	key := login.AccountThrottleKey("q@example.org")
	h.Login.Login(h.ctx, "q@example.org", "wrong", client)
	sess := h.login("q@example.org", store.StageCode)
	if th, _ := h.Store.Throttle(h.ctx, key); th.Failures != 0 {
		t.Fatalf("after a right password the account has %d failures, want 0", th.Failures)
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(testPhone), client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Reauthenticate(h.ctx, full, "wrong", client); kindOf(err) != login.KindInvalidCredentials {
		t.Fatalf("wrong password at re-authentication: %v", err)
	}
	if th, _ := h.Store.Throttle(h.ctx, key); th.Failures != 1 {
		t.Fatalf("after a wrong password at re-authentication the account has %d failures, want 1", th.Failures)
	}
	if _, err := h.Login.Reauthenticate(h.ctx, full, testPassword, client); err != nil {
		t.Fatal(err)
	}
	if th, _ := h.Store.Throttle(h.ctx, key); th.Failures != 0 {
		t.Fatalf("after re-authenticating the account has %d failures, want 0", th.Failures)
	}
}
