package login_test

import (
	"runtime"
	"testing"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// TestNoEnumerationOfInvitedAccounts: an account invited by an
// administrator has no password until the person sets one. A login to it
// gets the answer of a wrong password, after the same argon2id work
// (measured in memory allocated, which unlike time does not depend on the
// machine's load), so neither the answer nor its timing tells that the
// address was invited.
func TestNoEnumerationOfInvitedAccounts(t *testing.T) {
	onEngines(t, testNoEnumerationOfInvitedAccounts)
}

func testNoEnumerationOfInvitedAccounts(t *testing.T, h *harness) {
	const memKiB = 8 << 10 // far above what the rest of a login allocates
	h.Login.Passwords = &password.Hasher{Params: password.Params{Memory: memKiB, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}
	h.user("active@example.org", testPhone)
	invited := &store.User{Email: "invited@example.org", Name: "Invited Person", CreatedAt: h.clk.Now()}
	if err := h.Store.CreateUser(h.ctx, invited); err != nil {
		t.Fatal(err)
	}
	try := func(email string) (float64, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := h.Login.Login(h.ctx, email, "not the password at all", client)
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20), err
	}
	wrongMiB, errWrong := try("active@example.org")
	invitedMiB, errInvited := try("invited@example.org")
	if kindOf(errInvited) != login.KindInvalidCredentials || errInvited.Error() != errWrong.Error() {
		t.Fatalf("invited account and wrong password answer differently: %v vs %v", errInvited, errWrong)
	}
	hashMiB := float64(memKiB) / 1024
	if wrongMiB < hashMiB {
		t.Fatalf("a wrong password allocated %.1f MiB, less than its hash check (%.1f MiB): the measurement is broken", wrongMiB, hashMiB)
	}
	if invitedMiB < hashMiB {
		t.Errorf("a login to an invited account allocated %.1f MiB, a wrong password %.1f MiB: no password hash was checked", invitedMiB, wrongMiB)
	}
}
