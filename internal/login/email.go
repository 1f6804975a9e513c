package login

import (
	"net/mail"
	"strings"
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
