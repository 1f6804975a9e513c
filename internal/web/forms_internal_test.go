package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/login"
)

// FuzzForms: whatever a form sends, its reader and Validate neither panic
// nor lose what was typed, every problem names its field and says what to
// do, and what Validate passes is what the form's rule asks.
func FuzzForms(f *testing.F) {
	for _, s := range [][3]string{
		{"pat@example.org", "secret", "provider"},
		{"  ", "", "administrator"},
		{"Zoë <pat@example.org>", "x", "required"},
		{"pat@\u00a0example.org", "\x00", "optional"},
		{strings.Repeat("é", 120), "pw", "Admin"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, text, secret, choice string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.PostForm = url.Values{"email": {text}, "name": {text}, "phone": {text}, "token": {text},
			"password": {secret}, "role": {choice}, "policy": {choice}, "reason": {text}}
		check := func(name string, probs []problem) bool {
			for _, p := range probs {
				if p.Field == "" || p.Message == "" {
					t.Fatalf("%s: a problem without a field or message: %+v", name, p)
				}
			}
			return len(probs) == 0
		}

		lf := readLoginForm(r)
		if lf.Email != text || lf.password != secret {
			t.Fatalf("login form read as %+v", lf)
		}
		if check("login", lf.Validate()) && (login.NormalizeEmail(text) == "" || secret == "") {
			t.Fatalf("login form %q accepted", text)
		}
		if ef := (emailForm{Email: text}); check("forgot", ef.Validate()) && login.NormalizeEmail(text) == "" {
			t.Fatalf("email %q accepted", text)
		}
		if pf := readPasswordForm(r); pf.Token != text || check("link", pf.Validate()) != (secret != "") {
			t.Fatalf("password form read as %+v", pf)
		}
		if nf := readNewUserForm(r); nf.Name != text || nf.Email != text || check("new user", nf.Validate()) != (choice == "provider" || choice == "administrator") {
			t.Fatalf("new user form read as %+v", nf)
		}
		if sf := (settingsForm{Policy: choice, Reason: text}); check("settings", sf.Validate()) != (choice == "required" || choice == "optional") {
			t.Fatalf("policy %q", choice)
		}
		if ph := readPhoneForm(r); ph.Phone != text || ph.password != secret || !ph.passwordSent {
			t.Fatalf("phone form read as %+v", ph)
		}
		if su := readSetupForm(r); su.Token != text || su.Name != text || su.Email != text || su.password != secret {
			t.Fatalf("set-up form read as %+v", su)
		}
		if !readable(text) {
			return // refused before any page (readableInput)
		}
		q := readSearchForm(url.Values{"q": {text}})
		if len([]rune(q.Search)) > maxSearch || !strings.HasPrefix(strings.TrimSpace(text), q.Search) {
			t.Fatalf("search %q read as %q", text, q.Search)
		}
	})
}
