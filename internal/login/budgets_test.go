package login_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// TestOthersCannotSpendAPersonsCodes is issue 14's fourth finding: five
// ordinary accounts, each starting one phone change to a victim's number,
// used to leave the victim's next login on "too many codes" with no text
// sent. Codes to an account's own number are counted for that account and
// number; codes to a number its account has yet to prove keep the
// number's budget, which still protects its owner from being bombed.
func TestOthersCannotSpendAPersonsCodes(t *testing.T) {
	onEngines(t, testOthersCannotSpendAPersonsCodes)
}

func testOthersCannotSpendAPersonsCodes(t *testing.T, h *harness) {
	h.user("victim@example.org", testPhone)
	for i := range 6 {
		email := fmt.Sprintf("other%d@example.org", i)
		c := login.Client{IP: fmt.Sprintf("198.51.100.%d", 10+i), UserAgent: "test"}
		h.user(email, fmt.Sprintf("+44754600010%d", i))
		full := h.fullLogin(email, c)
		_, err := h.Login.StartPhoneChange(h.ctx, full, "+44 7546 123456", c)
		switch {
		case i < 5 && err != nil:
			t.Fatalf("phone change %d to the victim's number: %v", i+1, err)
		case i == 5 && kindOf(err) != login.KindTooManyCodes:
			t.Fatalf("a sixth phone change to one number within the hour: %v, want too many codes", err)
		}
		h.clk.Advance(time.Second)
	}
	if n := h.Sent(testPhone); n != 5 {
		t.Fatalf("%d codes went to the victim's number from phone changes, want 5", n)
	}

	sess, codeErr, err := h.Login.Login(h.ctx, "victim@example.org", testPassword, client)
	if err != nil || codeErr != nil {
		t.Fatalf("the victim's login after others' phone changes to their number: %v, %v", codeErr, err)
	}
	if n := h.Sent(testPhone); n != 6 {
		t.Fatalf("%d codes went to the victim's number, want the 5 and the victim's own", n)
	}
	if _, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(testPhone), client); err != nil {
		t.Fatalf("the victim's code: %v", err)
	}
}

// TestOwnCodesDoNotSpendANumbersBudget is the other half: the codes an
// account gets at its own number are its own budget, which neither spends
// the number's budget for registrations and changes nor another
// account's budget at the same number (one person's two accounts, one
// phone).
func TestOwnCodesDoNotSpendANumbersBudget(t *testing.T) {
	onEngines(t, testOwnCodesDoNotSpendANumbersBudget)
}

func testOwnCodesDoNotSpendANumbersBudget(t *testing.T, h *harness) {
	h.user("first@example.org", testPhone)
	sess := h.login("first@example.org", store.StageCode) // code 1
	h.sendCodesUpToFive(sess)
	h.clk.Advance(15 * time.Minute)
	_, err := h.Login.SendLoginCode(h.ctx, sess, store.ChannelSMS, client)
	var le *login.Error
	if !errors.As(err, &le) || le.Kind != login.KindTooManyCodes || !strings.Contains(le.Message, "last hour") {
		t.Fatalf("a sixth code to the account's own number within the hour: %v", err)
	}

	h.user("second@example.org", "")
	reg := h.login("second@example.org", store.StageRegisterPhone)
	if _, err := h.Login.StartPhoneRegistration(h.ctx, reg, testPhone, client); err != nil {
		t.Fatalf("registering a number whose other account had its own five codes: %v", err)
	}
	if err := h.Login.VerifyPhoneRegistration(h.ctx, reg, h.lastCode(testPhone), client); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(31 * time.Second)
	if _, codeErr, err := h.Login.Login(h.ctx, "second@example.org", testPassword, client); err != nil || codeErr != nil {
		t.Fatalf("the second account's login at the shared number: %v, %v", codeErr, err)
	}
	if n := h.Sent(testPhone); n != 7 {
		t.Fatalf("%d codes went to the number, want 5 + 2", n)
	}
}
