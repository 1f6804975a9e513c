package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// readable reports whether s is text a person could have typed: valid
// UTF-8 with no control characters but tab, line feed and carriage return.
// PostgreSQL refuses invalid UTF-8 and NUL outright, so such a value
// reaching a query was an internal error (FuzzReadableInput,
// TestUnreadableInputOnPostgres); the other control characters would only
// reach the audit log and the pages as invisible characters.
func readable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

func readableValues(v url.Values) bool {
	for k, vs := range v {
		if !readable(k) {
			return false
		}
		for _, s := range vs {
			if !readable(s) {
				return false
			}
		}
	}
	return true
}

// readableInput refuses, before any page sees it, a request whose query
// string or form holds text that is not readable: no form has a use for
// it, and refusing it in one place keeps every handler and both databases
// from meeting it. The query is read as leniently as the pages read it
// (r.URL.Query); a form body is parsed here, with the limit of
// limitBodies, so a body too large or garbled gets the answer every page
// gives (badForm). It is the one place a form is parsed: every POST
// handler behind it reads r.PostForm as parsed here.
func (s *Server) readableInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, _ := url.ParseQuery(r.URL.RawQuery)
		ok := readableValues(query)
		if ok && r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.badForm(w, r, err)
				return
			}
			ok = readableValues(r.PostForm)
		}
		if !ok {
			s.badForm(w, r, nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// userAgentMax bounds the User-Agent kept in the audit log, in bytes.
const userAgentMax = 256

// userAgent is the request's User-Agent as the audit log keeps it: at most
// userAgentMax bytes, cut between characters, and readable. Go's server
// lets any byte but controls through a header, and PostgreSQL refused the
// audit event of a request whose User-Agent was not UTF-8: a way to keep
// one's password guesses out of the audit log.
func userAgent(r *http.Request) string {
	ua := strings.ToValidUTF8(r.UserAgent(), "\uFFFD")
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, ua)
	if len(ua) > userAgentMax {
		n := userAgentMax
		for n > 0 && !utf8.RuneStart(ua[n]) {
			n--
		}
		ua = ua[:n]
	}
	return ua
}
