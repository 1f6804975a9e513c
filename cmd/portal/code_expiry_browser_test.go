package main

import (
	"fmt"
	"testing"
	"time"
)

// TestBrowserCodeScreenSaysWhenTheCodeExpires: a code screen left open
// until its code expires stops saying how long the code works and says it
// has expired, and what to do (issue 17): portal.js, counting from when
// the page was made. A new code, by email or by text, is then announced.
func TestBrowserCodeScreenSaysWhenTheCodeExpires(t *testing.T) {
	t.Parallel()
	clock := new(testClock)
	_, b := oneJourney(t, providerEmail, providerName, providerPhone, withClock(clock))

	b.open("/login")
	b.logInToCode(providerEmail, e2ePassword)
	b.expectText("the code screen", "//p[@id='delivery']", "It expires in 10 minutes.")
	// Two seconds before the code expires, the screen is shown again.
	clock.Advance(10*time.Minute - 2*time.Second)
	b.open("/login/code")
	b.expectText("the code screen", "//p[@id='delivery']", "It expires in 2 seconds.")
	b.waitFor("the code's expiry on the screen", "//p[@id='delivery'][contains(., 'It has expired. Use “Send a new code” to get another.')]")
	if got := b.text("//p[@id='delivery']"); got != "Code sent to •••• 3456 by text message. It has expired. Use “Send a new code” to get another." {
		t.Errorf("the code screen says %q once the code expired", got)
	}
	b.screenshot("code-expired-on-screen")

	// A new code by email, then by text: each time the screen says that a
	// new code was sent and the one before no longer works.
	b.click("Send code to email")
	b.expectNotice("Any code sent before no longer works.")
	b.screenshot("code-sent-by-email")
	clock.Advance(31 * time.Second)
	b.click("Send a new code")
	b.waitFor("the notice", noticeBox+"[starts-with(normalize-space(), 'A new code was sent.')]")
	b.expectText("the code screen", "//p[@id='delivery']", "Code sent to •••• 3456 by text message. It expires in 10 minutes.")
	b.screenshot("code-sent-again")

	// The wait before another code counts from when the page loaded, not
	// by the device's clock: the portal's clock is now more than ten
	// minutes ahead of the browser's, as a wrong clock on a phone would
	// be, and the screen still says the wait the portal set (30 seconds).
	time.Sleep(1500 * time.Millisecond)
	note := b.text("//p[contains(@class, 'cooldown')]")
	var left int
	if _, err := fmt.Sscanf(note, "You can ask for a new code in %d seconds.", &left); err != nil || left < 25 || left > 30 {
		t.Errorf("with the device's clock ten minutes behind, the cooldown note says %q; want a wait of 25 to 30 seconds", note)
	}
}
