package admin_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func TestState(t *testing.T) { onEngines(t, testState) }

func testState(t *testing.T, h *harness) {
	now := h.clk.Now()
	required := admin.Policy{Required: true, Now: now}
	optional := admin.Policy{Required: false, Now: now}
	tests := []struct {
		name string
		u    store.User
		p    admin.Policy
		want admin.MFAState
	}{
		{"registered", store.User{Phone: "+447546123456"}, required, admin.MFAStateRequired},
		{"no phone yet", store.User{}, required, admin.MFAStateNotRegistered},
		{"disabled", store.User{Phone: "+447546123456", MFADisabledUntil: now.Add(time.Hour)}, required, admin.MFAStateDisabled},
		{"disable over", store.User{Phone: "+447546123456", MFADisabledUntil: now}, required, admin.MFAStateRequired},
		{"exempt", store.User{MFA: store.MFAExempt}, required, admin.MFAStateExempt},
		{"policy off", store.User{}, optional, admin.MFAStateOff},
		{"required despite policy", store.User{MFA: store.MFARequired, Phone: "+447546123456"}, optional, admin.MFAStateRequired},
	}
	for _, tt := range tests {
		tt.u.Email = "x@example.org"
		st, err := h.adm.State(h.ctx, &tt.u, tt.p)
		if err != nil || st.MFA != tt.want {
			t.Errorf("%s: %v, %v; want %v", tt.name, st.MFA, err, tt.want)
		}
	}

	// Locks: by codes on the account, by passwords on the email.
	u := h.user("locked@example.org", "+447546123456", false)
	for i := 0; i < 10; i++ {
		h.Login.Login(h.ctx, "locked@example.org", "wrong", login.Client{})
	}
	u, _ = h.Store.UserByID(h.ctx, u.ID)
	u.CodeLockedUntil = now.Add(5 * time.Minute)
	st, err := h.adm.State(h.ctx, u, required)
	if err != nil {
		t.Fatal(err)
	}
	// Wrong passwords lock for 30 seconds here (the clock stands still, so
	// later tries are refused, not counted); the code lock is longer.
	if st.PasswordsLockedUntil.IsZero() || st.CodesLockedUntil.IsZero() || !st.LockedUntil().Equal(st.CodesLockedUntil) {
		t.Fatalf("locks: %+v", st)
	}
	st, _ = h.adm.State(h.ctx, u, admin.Policy{Required: true, Now: now.Add(2 * time.Hour)})
	if !st.LockedUntil().IsZero() {
		t.Fatalf("locks after they end: %+v", st)
	}
}
