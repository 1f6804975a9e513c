package storetest

import (
	"testing"

	"github.com/providerportal/portal/internal/store"
)

var settingsTests = []test{
	{"Settings", testSettings},
}

func testSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	check := func(key, want string, wantSet bool) {
		t.Helper()
		v, set, err := s.Setting(ctx, key)
		if err != nil || v != want || set != wantSet {
			t.Errorf("Setting(%q) = %q, %t, %v; want %q, %t", key, v, set, err, want, wantSet)
		}
	}
	check("mfa_policy", "", false)
	mustNot(t, s.SetSetting(ctx, "mfa_policy", "required"), "SetSetting")
	check("mfa_policy", "required", true)
	mustNot(t, s.SetSetting(ctx, "mfa_policy", "optional"), "SetSetting again")
	check("mfa_policy", "optional", true)
	mustNot(t, s.SetSetting(ctx, "banner", ""), "SetSetting(empty)")
	check("banner", "", true)
	check("mfa_policy", "optional", true)
	check("other", "", false)
}
