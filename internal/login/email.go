package login

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validEmail accepts a plain address (no display name) of sane length.
func validEmail(addr string) bool {
	if len(addr) > 254 || strings.ContainsAny(addr, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return false
	}
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && strings.Contains(addr[at+1:], ".")
}

func trimSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// printableText reports whether s is valid UTF-8 without control
// characters: text that PostgreSQL stores (it refuses invalid UTF-8 and
// NUL) and that pages, the audit log and a terminal show as typed.
func printableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
