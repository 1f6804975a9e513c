package twilio_test

import (
	"testing"

	"github.com/providerportal/portal/internal/delivery/twilio"
)

func TestPermanentCode(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{21211, true}, // invalid To
		{21214, true}, // To cannot be reached
		{21217, true}, // number does not appear to be valid
		{21408, true}, // region not enabled
		{21610, true}, // unsubscribed (STOP)
		{21612, true}, // unroutable To/From combination
		{21614, true}, // not a mobile number
		// Delivery errors come in status callbacks, not API answers.
		{30003, false}, {30004, false}, {30005, false}, {30006, false}, {30007, false}, {30008, false},
		// Throttling and outages are worth another try.
		{20429, false}, {20500, false}, {20503, false},
		{0, false}, {-21211, false},
	}
	for _, tt := range tests {
		if got := twilio.PermanentCode(tt.code); got != tt.want {
			t.Errorf("PermanentCode(%d) = %v, want %v", tt.code, got, tt.want)
		}
	}
}
