package login_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

const (
	satellitePhone = "+881612345678" // Iridium: libphonenumber calls it mobile
	inmarsatPhone  = "+870301234567"
	frenchMobile   = "+33612345678"
)

// TestAcceptPhone is the one reading of a typed number that registration,
// My Details, the console and the command line share: normalised, then
// refused where text messages may not go. Numbers of no country
// (satellite phones, international networks: SMS pumping's favourites)
// are refused unless the operator allows them (issue 14, finding 9).
func TestAcceptPhone(t *testing.T) {
	def := login.DefaultRules()
	gb := login.DefaultRules()
	gb.SMSCountries = []string{"GB"}
	open := login.DefaultRules()
	open.SMSNonGeographic = true
	gbAndSatellites := gb
	gbAndSatellites.SMSNonGeographic = true
	for _, tc := range []struct {
		name  string
		rules login.Rules
		raw   string
		want  string // E.164, or "" when refused
		words string // in the refusal
	}{
		{"a UK mobile", def, "+44 7546 123456", "+447546123456", ""},
		{"a French mobile", def, "+33 6 12 34 56 78", frenchMobile, ""},
		{"a trunk zero", def, "07546123456", "", "+447546123456"},
		{"Iridium", def, "+881 6 1234 5678", "", "satellite phones"},
		{"Inmarsat", def, "00870301234567", "", "satellite phones"},
		{"an international network", def, "+882 342 1234", "", "belong to no country"},
		{"Iridium allowed", open, "+881 6 1234 5678", satellitePhone, ""},
		{"Inmarsat allowed", open, "+870 301234567", inmarsatPhone, ""},
		{"a French mobile outside GB", gb, "+33 6 12 34 56 78", "", "numbers in that country"},
		{"Iridium outside GB", gb, "+881612345678", "", "satellite phones"},
		{"a UK mobile in GB", gb, "+447546123456", "+447546123456", ""},
		{"Iridium allowed beside GB", gbAndSatellites, "+881612345678", satellitePhone, ""},
		{"a French mobile still outside GB", gbAndSatellites, frenchMobile, "", "numbers in that country"},
	} {
		got, err := tc.rules.AcceptPhone(tc.raw)
		if tc.want != "" {
			if err != nil || got != tc.want {
				t.Errorf("%s: AcceptPhone(%q) = %q, %v; want %q", tc.name, tc.raw, got, err, tc.want)
			}
			continue
		}
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindInvalidInput || le.Field != "phone" || !strings.Contains(le.Message, tc.words) || got != "" {
			t.Errorf("%s: AcceptPhone(%q) = %q, %v; want a refusal saying %q", tc.name, tc.raw, got, err, tc.words)
			continue
		}
		for _, jargon := range []string{"001", "geographic", "E.164", "login:"} {
			if strings.Contains(le.Message, jargon) {
				t.Errorf("%s: the refusal %q says %q", tc.name, le.Message, jargon)
			}
		}
	}
}

// TestNonGeographicNumbersRefused follows the refusal through the steps a
// person takes: registering, changing the number in My Details, and a
// login code to a number stored before the rule (or before the operator
// took the permission back). Nothing is sent, and the refusal is audited.
func TestNonGeographicNumbersRefused(t *testing.T) { onEngines(t, testNonGeographicNumbersRefused) }

func testNonGeographicNumbersRefused(t *testing.T, h *harness) {
	refused := func(what string, err error) {
		t.Helper()
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindInvalidInput || le.Field != "phone" || !strings.Contains(le.Message, "satellite phones") {
			t.Errorf("%s: %v; want the refusal of numbers of no country", what, err)
		}
	}
	h.user("reg@example.org", "")
	reg := h.login("reg@example.org", store.StageRegisterPhone)
	_, err := h.Login.StartPhoneRegistration(h.ctx, reg, "+881 6 1234 5678", client)
	refused("registering an Iridium number", err)

	h.user("change@example.org", testPhone)
	full := h.fullLogin("change@example.org", client)
	_, err = h.Login.StartPhoneChange(h.ctx, full, "+870 301234567", client)
	refused("changing to an Inmarsat number", err)

	u := h.user("stored@example.org", satellitePhone)
	_, codeErr, err := h.Login.Login(h.ctx, "stored@example.org", testPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	refused("a login code to a stored satellite number", codeErr)

	if n := h.Sent(satellitePhone) + h.Sent(inmarsatPhone); n != 0 {
		t.Fatalf("%d codes went to numbers of no country", n)
	}
	events, err := h.Store.AuditForUser(h.ctx, u.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range events {
		audited = audited || (e.Event == "code.sent" && e.Outcome == "limited" && e.Detail == "non-geographic number +881")
	}
	if !audited {
		t.Errorf("the refused login code is not audited: %+v", events)
	}

	// The operator may allow them.
	h.Login.Rules.SMSNonGeographic = true
	if _, err := h.Login.StartPhoneRegistration(h.ctx, reg, "+881 6 1234 5678", client); err != nil {
		t.Fatalf("registering an Iridium number once allowed: %v", err)
	}
	if h.Sent(satellitePhone) != 1 {
		t.Fatal("no code went to the allowed satellite number")
	}
}
