// Package twiliotest runs a local stand-in for Twilio's Messages API so
// tests (of the twilio sender, of the login flow, and browser tests) can
// send real HTTP requests and read the codes that would have reached a
// phone. It checks credentials and required fields the way Twilio does,
// answers with Twilio-shaped JSON, and can be told to fail the next
// requests, answer slowly, or be down altogether. It also plays Twilio's
// part in delivery receipts: Deliver posts a signed status callback to a
// message's StatusCallback URL. It listens on loopback only and is not
// for production use.
package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" // #nosec G505 -- computes Twilio's HMAC-SHA1 callback signature, see twilio/callback.go
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/delivery/faults"
	"github.com/providerportal/portal/internal/delivery/received"
)

// Message is one message the server accepted.
type Message struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSid string
	Body                string
	StatusCallback      string
}

// Server is a fake Twilio API for one account. Its methods are safe for
// concurrent use.
type Server struct {
	accountSID string
	authToken  string
	http       *httptest.Server
	// Slow, Down and Up inject faults; while down, every request gets 503
	// with Twilio error 20503.
	*faults.Injector

	received received.Log[Message]

	failNext faults.Queue[fault] // FailNext
}

type fault struct {
	status  int
	code    int
	message string
}

// NewServer starts a server on 127.0.0.1 that accepts requests for
// accountSID authenticated with authToken. Call Close when done.
func NewServer(accountSID, authToken string) *Server {
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		Injector:   faults.New(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.createMessage)
	mux.HandleFunc("GET /2010-04-01/Accounts/{file}", s.fetchAccount)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	s.http = httptest.NewServer(s.Wrap(mux, func(w http.ResponseWriter) {
		writeError(w, http.StatusServiceUnavailable, 20503, "Service unavailable")
	})) // binds 127.0.0.1
	return s
}

// URL is the base URL to use as twilio.Sender's APIURL.
func (s *Server) URL() string { return s.http.URL }

// Close stops the server and waits for requests in flight; answers held
// back by Slow are cut short.
func (s *Server) Close() {
	s.Injector.Close()
	s.http.Close()
}

// Messages returns every accepted message, oldest first.
func (s *Server) Messages() []Message {
	return s.received.All()
}

// Next returns the oldest message not yet returned by Next or Wait,
// blocking until one arrives or ctx is done.
func (s *Server) Next(ctx context.Context) (Message, error) {
	return s.received.Take(ctx, func(Message) bool { return true })
}

// Wait returns the oldest message to the number to that was not yet
// returned by Next or Wait, blocking until one arrives or ctx is done.
func (s *Server) Wait(ctx context.Context, to string) (Message, error) {
	return s.received.Take(ctx, func(m Message) bool { return m.To == to })
}

// FailNext makes the next message request (after its credentials are
// checked) fail with an HTTP status and a Twilio error code and message,
// such as 400/21211 for an invalid To number or 503/20500. Calls queue up:
// each failure is used once, in order.
func (s *Server) FailNext(status, code int, message string) {
	s.failNext.Push(fault{status: status, code: code, message: message})
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.PathValue("account") != s.accountSID {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if f, ok := s.failNext.Next(); ok {
		writeError(w, f.status, f.code, f.message)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	m := Message{
		To:                  r.PostForm.Get("To"),
		From:                r.PostForm.Get("From"),
		MessagingServiceSid: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
	}
	if f := invalidMessage(m); f != nil {
		writeError(w, f.status, f.code, f.message)
		return
	}
	m.SID = newSID("SM")
	// Recorded before answering, so a test that saw the 201 also sees
	// the message in Messages.
	s.record(m)
	writeJSON(w, http.StatusCreated, s.messageResource(m))
}

// invalidMessage is the error Twilio answers a message without a valid To,
// a sender or a body with, or nil if m has them all.
func invalidMessage(m Message) *fault {
	switch {
	case m.To == "":
		return &fault{http.StatusBadRequest, 21604, "A 'To' phone number is required."}
	case !isE164(m.To):
		return &fault{http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: " + m.To}
	case m.From == "" && m.MessagingServiceSid == "":
		return &fault{http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."}
	case m.Body == "":
		return &fault{http.StatusBadRequest, 21602, "Message body is required."}
	}
	return nil
}

// record keeps an accepted message and wakes those waiting in Next or
// Wait.
func (s *Server) record(m Message) {
	s.received.Add(m)
}

// messageResource is the JSON Twilio answers a new message with.
func (s *Server) messageResource(m Message) map[string]any {
	now := time.Now().UTC().Format(time.RFC1123Z)
	status, from, service := "queued", any(m.From), any(nil)
	if m.MessagingServiceSid != "" {
		// Twilio picks the sender later, so "from" is still empty.
		status, service = "accepted", m.MessagingServiceSid
		if m.From == "" {
			from = nil
		}
	}
	uri := "/2010-04-01/Accounts/" + s.accountSID + "/Messages/" + m.SID
	return map[string]any{
		"account_sid":           s.accountSID,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          now,
		"date_sent":             nil,
		"date_updated":          now,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": service,
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

// Deliver plays Twilio reporting a status change of the message sid: it
// POSTs to the message's StatusCallback URL the form Twilio sends
// (MessageSid, MessageStatus, their older names SmsSid and SmsStatus,
// AccountSid, From or MessagingServiceSid, To, ApiVersion, and ErrorCode
// when errorCode is not 0), signed with the server's auth token in the
// X-Twilio-Signature header. It returns an error if there is no such
// message, it has no StatusCallback, or the receiver does not answer 2xx.
func (s *Server) Deliver(ctx context.Context, sid, status string, errorCode int) error {
	var m Message
	found := false
	for _, msg := range s.received.All() {
		if msg.SID == sid {
			m, found = msg, true
			break
		}
	}
	switch {
	case !found:
		return fmt.Errorf("twiliotest: no message %s", sid)
	case m.StatusCallback == "":
		return fmt.Errorf("twiliotest: message %s was sent without a StatusCallback", sid)
	}

	form := url.Values{
		"AccountSid":    {s.accountSID},
		"ApiVersion":    {"2010-04-01"},
		"MessageSid":    {m.SID},
		"MessageStatus": {status},
		"SmsSid":        {m.SID},
		"SmsStatus":     {status},
		"To":            {m.To},
	}
	if m.From != "" {
		form.Set("From", m.From)
	}
	if m.MessagingServiceSid != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSid)
	}
	if errorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.StatusCallback, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("twiliotest: status callback: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", Signature(s.authToken, m.StatusCallback, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("twiliotest: status callback: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // #nosec G104 -- draining only lets the connection be reused; the status code decides
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("twiliotest: status callback to %s answered HTTP %d", m.StatusCallback, resp.StatusCode)
	}
	return nil
}

// Signature is the X-Twilio-Signature Twilio puts on a form-encoded POST
// of form to fullURL: base64 of HMAC-SHA1, keyed with authToken, of the
// URL followed by each parameter's name and value in order of name
// (https://www.twilio.com/docs/usage/security). Tests use it to sign
// callbacks of their own; it is written apart from twilio.ValidateSignature
// so that each checks the other.
func Signature(authToken, fullURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL) // #nosec G104 -- hash.Hash's Write never returns an error
	for _, name := range slices.Sorted(maps.Keys(form)) {
		values := slices.Clone(form[name])
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			io.WriteString(mac, name+v) // #nosec G104 -- hash.Hash's Write never returns an error
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) fetchAccount(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.PathValue("file") != s.accountSID+".json" {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sid":           s.accountSID,
		"friendly_name": "twiliotest",
		"status":        "active",
		"type":          "Full",
		"uri":           "/2010-04-01/Accounts/" + s.accountSID + ".json",
	})
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok &&
		subtle.ConstantTimeCompare([]byte(user), []byte(s.accountSID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.authToken)) == 1
}

// ExtractCode returns the first run of exactly six ASCII digits in body
// (the one-time code), or "" if there is none. Longer runs, such as phone
// numbers, are skipped.
func ExtractCode(body string) string {
	for i := 0; i < len(body); {
		if !isDigit(body[i]) {
			i++
			continue
		}
		j := i
		for j < len(body) && isDigit(body[j]) {
			j++
		}
		if j-i == 6 {
			return body[i:j]
		}
		i = j
	}
	return ""
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isE164 is the shape Twilio insists on for To: "+", then 7 to 15 digits
// not starting with 0.
func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	for i := range len(digits) {
		if !isDigit(digits[i]) {
			return false
		}
	}
	return true
}

func newSID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return prefix + hex.EncodeToString(b)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   message,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // #nosec G104 -- test server: a failed write means the client hung up
}
