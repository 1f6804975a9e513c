package admin

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/login"
)

// FuzzCleanReason: a reason accepted for the audit log is text both
// databases keep and the console and a terminal show as typed: valid
// UTF-8, no control characters, spaces tidied, within the limit.
func FuzzCleanReason(f *testing.F) {
	for _, s := range []string{"Ticket 4711", "  lost\r\nphone\t", "", "\u00a0", "Ticket \xff", "Ticket\x00", "\x1b]0;title\x07", strings.Repeat("é", maxReason+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reason string) {
		got, err := cleanReason(reason)
		if err != nil {
			var le *login.Error
			if !errors.As(err, &le) || le.Field != "reason" || le.Message == "" {
				t.Fatalf("cleanReason(%q) = %v, not a plain-words problem with the reason", reason, err)
			}
			return
		}
		if got == "" || !utf8.ValidString(got) || strings.ContainsFunc(got, unicode.IsControl) ||
			utf8.RuneCountInString(got) > maxReason || got != strings.Join(strings.Fields(got), " ") {
			t.Fatalf("cleanReason(%q) = %q", reason, got)
		}
		if again, err := cleanReason(got); err != nil || again != got {
			t.Fatalf("cleanReason is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
