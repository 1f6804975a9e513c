package login

import (
	"fmt"
	"strings"
	"time"
)

// Kind sorts the failures a person can do something about.
type Kind int

const (
	KindInvalidCredentials Kind = iota + 1 // wrong email or password (never says which)
	KindThrottled                          // too many wrong passwords; wait
	KindInvalidInput                       // a form value that fails a rule (phone, password policy)
	KindCodeFormat                         // not six digits
	KindWrongCode                          // wrong code, tries remain
	KindCodeExpired                        // ask for a new code
	KindCodeUsed                           // already used; ask for a new code
	KindCodeExhausted                      // too many wrong tries for this login; log in again
	KindCodeLocked                         // too many wrong codes in a row for the account
	KindNoCode                             // no code has been sent yet
	KindCooldown                           // a code was sent moments ago
	KindTooManyCodes                       // send budget used up
	KindDeliveryFailed                     // the provider did not take the message; may work later
	KindUndeliverable                      // the provider refused the destination for good
	KindNotAllowed                         // e.g. email fallback turned off
	KindReauthRequired                     // password needed again before a sensitive change
	KindSetupTokenInvalid                  // first-run link wrong or used
	KindBusy                               // every password-hashing slot is taken; try again shortly
	KindChangedMeanwhile                   // the account changed since the step began (a phone registered or changed)
)

// Error is a failure to show to the person as it is: Message is a plain
// sentence that says what happened and what to do, and never contains an
// internal error string. Errors that are not *Error are internal.
type Error struct {
	Kind    Kind
	Message string
	// Field names the input the message is about ("email", "password",
	// "name", "phone", "code"), when there is one.
	Field string
	// RetryAfter is set for throttles and cooldowns.
	RetryAfter time.Duration
	// Remaining is the number of tries left, for KindWrongCode.
	Remaining int
	// Err is an underlying cause for the logs (never shown).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("login: %s (%v)", e.Message, e.Err)
	}
	return "login: " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// WaitWords is waitWords, for the pages.
func WaitWords(d time.Duration) string { return waitWords(d) }

// waitWords says a duration the way a person would: "30 seconds",
// "1 minute", "4 minutes", "2 hours".
func waitWords(d time.Duration) string {
	switch {
	case d <= time.Second:
		return "1 second"
	case d < time.Minute:
		return plural(int((d+time.Second-1)/time.Second), "second")
	case d < time.Hour:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	default:
		return plural(int((d+time.Hour-1)/time.Hour), "hour")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	if strings.HasSuffix(unit, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(unit, "y"))
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
