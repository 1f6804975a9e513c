package twilio

import (
	"crypto/hmac"
	"crypto/sha1" // #nosec G505 -- Twilio signs callbacks with HMAC-SHA1 (X-Twilio-Signature): their choice, and HMAC does not rest on SHA-1's broken collision resistance
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SignatureHeader is the request header in which Twilio signs the
// requests it makes to the portal, status callbacks included.
const SignatureHeader = "X-Twilio-Signature"

// ValidateSignature reports whether signature (the X-Twilio-Signature
// header) is Twilio's signature, made with authToken, of a form-encoded
// POST of form to fullURL. Pass the request's PostForm, not Form: query
// parameters are signed as part of fullURL. fullURL must be the URL as
// Twilio called it (the StatusCallback given when sending, for instance),
// scheme, host and query included; behind a proxy that is not what the
// server sees in r.URL.
//
// Twilio's scheme (https://www.twilio.com/docs/usage/security): append to
// the URL each POST parameter's name and value, with no separators, in
// order of name; HMAC-SHA1 with the auth token; base64. A name sent more
// than once contributes each distinct value, in sorted order, as Twilio's
// own libraries do.
//
// Twilio is not consistent about the port: it may sign
// "https://host:443/x" or "https://host/x" for the same URL. Like Twilio's
// libraries (twilio-go's RequestValidator, twilio-node's validateRequest)
// this accepts the URL as given and the same URL with the port changed:
// the scheme's standard port added when there is none, or the port
// removed when there is one. The comparison is in constant time, and an
// empty token or signature never validates.
func ValidateSignature(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := signedParams(form)
	valid := 0
	for _, u := range []string{fullURL, otherPort(fullURL)} {
		if u == "" {
			continue
		}
		want := sign(authToken, u, params)
		valid |= subtle.ConstantTimeCompare([]byte(want), []byte(signature))
	}
	return valid == 1
}

// signedParams is the parameter part of the signed string.
func signedParams(form url.Values) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(form)) {
		values := slices.Compact(slices.Sorted(slices.Values(form[name])))
		for _, v := range values {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	return b.String()
}

func sign(authToken, fullURL, params string) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	mac.Write([]byte(params))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// otherPort returns rawURL with its port removed if it has one, or with
// its scheme's standard port (443 or 80) added if it has none, changing
// nothing else in the string (no re-escaping), or "" when rawURL is not
// an absolute http(s) URL.
func otherPort(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	var std string
	switch u.Scheme {
	case "https":
		std = "443"
	case "http":
		std = "80"
	default:
		return ""
	}
	schemeEnd := strings.Index(rawURL, "://")
	if schemeEnd < 0 {
		return ""
	}
	start := schemeEnd + len("://")
	end := len(rawURL)
	if i := strings.IndexAny(rawURL[start:], "/?#"); i >= 0 {
		end = start + i
	}
	authority := rawURL[start:end]
	hostStart := strings.LastIndex(authority, "@") + 1 // keep any user:password@
	hostport := authority[hostStart:]
	if port := u.Port(); port != "" {
		hostport = strings.TrimSuffix(hostport, ":"+port)
	} else {
		hostport = strings.TrimSuffix(hostport, ":") + ":" + std
	}
	return rawURL[:start] + authority[:hostStart] + hostport + rawURL[end:]
}

// Message statuses that StatusUpdate.Status takes
// (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values).
const (
	StatusQueued      = "queued"
	StatusSending     = "sending"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered" // the carrier could not deliver it
	StatusFailed      = "failed"      // Twilio could not send it
)

// ErrUntrackedStatus is returned (wrapped) by ParseStatusCallback for a
// well-formed callback whose status Twilio documents but the portal does
// not track, such as "accepted" or "scheduled" from a Messaging Service,
// or "read" (WhatsApp). A handler should answer it with 2xx and ignore it,
// so Twilio does not count the callback as failed.
var ErrUntrackedStatus = errors.New("twilio: message status not tracked")

// untracked are Twilio's other message statuses.
var untracked = []string{"accepted", "scheduled", "canceled", "read", "receiving", "received", "partially_delivered"}

// StatusUpdate is one status callback about an outbound message.
type StatusUpdate struct {
	MessageSID string // "SM…" (or "MM…"), as Receipt.SID
	Status     string // one of the Status constants
	// ErrorCode is Twilio's error code for an undelivered or failed
	// message (30003 unreachable handset, 30005 unknown destination, …),
	// 0 if none. Unlike the codes of PermanentCode these describe
	// delivery, after Twilio accepted the message.
	ErrorCode int
}

// Final reports whether no further status will follow.
func (u StatusUpdate) Final() bool {
	return u.Status == StatusDelivered || u.Status == StatusUndelivered || u.Status == StatusFailed
}

// Failed reports whether the message did not reach the phone.
func (u StatusUpdate) Failed() bool {
	return u.Status == StatusUndelivered || u.Status == StatusFailed
}

// ParseStatusCallback reads the form of a status callback (validate its
// signature first with ValidateSignature). It needs MessageSid and
// MessageStatus; ErrorCode is optional. An untracked status gives the
// update read so far and an error matching ErrUntrackedStatus.
func ParseStatusCallback(form url.Values) (StatusUpdate, error) {
	u := StatusUpdate{MessageSID: form.Get("MessageSid"), Status: form.Get("MessageStatus")}
	if !isMessageSID(u.MessageSID) {
		return StatusUpdate{}, errors.New("twilio: status callback without a valid MessageSid")
	}
	if code := form.Get("ErrorCode"); code != "" {
		// Twilio's codes have five digits; nine keep any int in range.
		n, err := strconv.Atoi(code)
		if err != nil || !isDigits(code) || len(code) > 9 {
			return StatusUpdate{}, fmt.Errorf("twilio: status callback for %s with a malformed ErrorCode", u.MessageSID)
		}
		u.ErrorCode = n
	}
	switch u.Status {
	case StatusQueued, StatusSending, StatusSent, StatusDelivered, StatusUndelivered, StatusFailed:
		return u, nil
	case "":
		return StatusUpdate{}, fmt.Errorf("twilio: status callback for %s without a MessageStatus", u.MessageSID)
	}
	if slices.Contains(untracked, u.Status) {
		return u, fmt.Errorf("%w: %s for %s", ErrUntrackedStatus, u.Status, u.MessageSID)
	}
	return StatusUpdate{}, fmt.Errorf("twilio: status callback for %s with an unknown MessageStatus", u.MessageSID)
}

// isMessageSID reports whether s looks like a Message SID: "SM" (or "MM"
// for MMS) and 32 hex digits.
func isMessageSID(s string) bool {
	if len(s) != 34 || (!strings.HasPrefix(s, "SM") && !strings.HasPrefix(s, "MM")) {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
