package login

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/tabletest"
)

func TestWaitWords(t *testing.T) {
	tabletest.Check(t, "waitWords", waitWords, map[time.Duration]string{
		0:                             "1 second",
		20 * time.Second:              "20 seconds",
		20*time.Second + 1:            "21 seconds",
		time.Minute:                   "1 minute",
		4*time.Minute + 1:             "5 minutes",
		time.Hour:                     "1 hour",
		25 * time.Hour:                "25 hours",
		59*time.Minute + 30*1e9:       "60 minutes",
		time.Second + time.Nanosecond: "2 seconds",
	})
	if plural(1, "try") != "1 try" || plural(3, "try") != "3 tries" || plural(2, "code") != "2 codes" {
		t.Error("plural")
	}
}

func TestBackoff(t *testing.T) {
	r := DefaultRules()
	tabletest.Check(t, "accountPasswordLock", r.accountPasswordLock, map[int]time.Duration{
		1: 0, 5: 0, 6: 30 * time.Second, 7: time.Minute, 9: 4 * time.Minute,
		10: time.Hour, 50: time.Hour,
	})
	tabletest.Check(t, "codeLock", r.codeLock, map[int]time.Duration{
		9: 0, 10: 5 * time.Minute, 11: 10 * time.Minute, 12: 20 * time.Minute, 30: 24 * time.Hour, 1000: 24 * time.Hour,
	})
}

func TestMaskEmail(t *testing.T) {
	tabletest.Check(t, "MaskEmail", MaskEmail, map[string]string{
		"jane@example.org": "j•••@example.org",
		"é@example.org":    "é•••@example.org",
		"nonsense":         "•••",
		"@example.org":     "•••",
	})
}

func TestValidEmail(t *testing.T) {
	tabletest.Check(t, "validEmail", validEmail, map[string]bool{
		"ann@example.org":            true,
		"ann.smith+nhs@trust.nhs.uk": true,
		"ann@localhost":              false,
		"Ann <ann@example.org>":      false,
		"ann@@example.org":           false,
		"ann example@example.org":    false,
		"":                           false,
		strings.Repeat("a", 250) + "@example.org": false,
	})
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"ann@example.org", "a@b.c", "<>", "\"x\"@example.org", "a@b@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validEmail(s) {
			return
		}
		at := strings.LastIndexByte(s, '@')
		if len(s) > 254 || at <= 0 || !utf8.ValidString(s) || strings.ContainsAny(s, " <>\"\r\n") {
			t.Fatalf("validEmail accepted %q", s)
		}
		if MaskEmail(s) == "•••" {
			t.Fatalf("an accepted address cannot be masked: %q", s)
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	f.Add(" Ann@Example.ORG ")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEmail(s)
		if NormalizeEmail(n) != n {
			t.Fatalf("NormalizeEmail is not idempotent on %q", s)
		}
	})
}

// FuzzValidateIdentity: a name and email accepted for a new account are
// stored as text both databases keep and every page and terminal shows
// as typed: valid UTF-8, no control characters, spaces tidied, a valid
// normalised address.
func FuzzValidateIdentity(f *testing.F) {
	for _, s := range [][2]string{
		{"Pat Example", " Pat@Example.ORG "},
		{"  Zoë\t李  ", "zoe@example.org"},
		{"E\xffve", "eve@example.org"},
		{"Eve\x00", "eve@example.org"},
		{"\x1b[31mEve", "eve@example.org"},
		{strings.Repeat("n", 201), "a@b.c"},
		{"Eve", "eve\x00@example.org"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, email string) {
		a := NewAccount{Name: name, Email: email}
		if err := a.ValidateIdentity(); err != nil {
			var le *Error
			if !errors.As(err, &le) || le.Message == "" || (le.Field != "name" && le.Field != "email") {
				t.Fatalf("ValidateIdentity(%q, %q) = %v, not a plain-words problem with a field", name, email, err)
			}
			return
		}
		if !utf8.ValidString(a.Name) || strings.ContainsFunc(a.Name, unicode.IsControl) || a.Name == "" || len(a.Name) > 200 ||
			a.Name != strings.Join(strings.Fields(a.Name), " ") {
			t.Fatalf("name %q accepted as %q", name, a.Name)
		}
		if !validEmail(a.Email) || NormalizeEmail(a.Email) != a.Email || strings.ContainsFunc(a.Email, unicode.IsControl) {
			t.Fatalf("email %q accepted as %q", email, a.Email)
		}
	})
}
