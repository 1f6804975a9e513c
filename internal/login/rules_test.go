package login_test

import (
	"reflect"
	"testing"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/login"
)

// TestRulesForTakesTheOperatorsSettings: each setting the operator makes
// reaches the rule of its name, and DefaultRules are the table's defaults.
func TestRulesForTakesTheOperatorsSettings(t *testing.T) {
	env := map[string]string{
		"PORTAL_EMAIL_FALLBACK":             "false",
		"PORTAL_SMS_COUNTRIES":              "GB,IE",
		"PORTAL_SMS_NON_GEOGRAPHIC":         "true",
		"PORTAL_SMS_LIMIT_PER_IP_HOUR":      "3",
		"PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR": "4",
		"PORTAL_SMS_LIMIT_PER_HOUR":         "5",
	}
	c, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	r := login.RulesFor(c)
	if r.EmailFallback || !reflect.DeepEqual(r.SMSCountries, []string{"GB", "IE"}) || !r.SMSNonGeographic ||
		r.SMSLimitPerIPHour != 3 || r.SMSLimitPerCountryHour != 4 || r.SMSLimitPerHour != 5 {
		t.Fatalf("RulesFor(%v) = %+v", env, r)
	}
	if d := login.DefaultRules(); !reflect.DeepEqual(d, login.RulesFor(config.Defaults())) || d.SMSLimitPerCountryHour != 500 || !d.EmailFallback {
		t.Fatalf("DefaultRules() = %+v", d)
	}
}
