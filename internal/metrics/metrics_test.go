package metrics

import (
	"testing"
	"time"
)

func TestNilCountsNothing(t *testing.T) {
	var m *Metrics
	countOneOfEach(m)
	m.WatchSQL("x", nil)
	m.WatchPool(nil)
}

// countOneOfEach calls every counting method of m once.
func countOneOfEach(m *Metrics) {
	m.LoginStep("password", "success")
	m.CodeIssued("login", "sms", "GB")
	m.CodeChecked("login", "sms", "GB", "verified")
	m.Lockout("password", "ip")
	m.MessageFinal("sms", "sent", "twilio")
	m.DeliveryAttempt("sms", "twilio", "accepted")
	m.Delivered("sms", "twilio", time.Second)
	m.BudgetRefused("whole portal")
	m.HashSlots(2)
	m.HashInUse(1)
	m.HashWaiting(1)
	m.HashShed()
	m.Request("/login", "POST", 303, time.Millisecond)
}

// TestCountryLabelIsARegion: whatever a caller passes, the country label
// is an ISO region, "none" or "unknown", never a number or an address.
func TestCountryLabelIsARegion(t *testing.T) {
	for in, want := range map[string]string{
		"GB": "GB", "none": "none", "": "unknown", "gb": "unknown", "GBR": "unknown",
		"+447546123456": "unknown", "ann@example.org": "unknown", "+44": "unknown", "É1": "unknown",
	} {
		if got := countryLabel(in); got != want {
			t.Errorf("countryLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
