// Package twilio sends text messages through Twilio's Messages API
// (https://www.twilio.com/docs/messaging/api/message-resource). It speaks
// the REST API directly with net/http rather than through Twilio's SDK:
// the portal needs one POST and one GET, and this keeps the dependency list
// short and the error handling in plain view.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/delivery"
)

// DefaultAPIURL is Twilio's REST API; tests point Sender.APIURL elsewhere.
const DefaultAPIURL = "https://api.twilio.com"

// DefaultTimeout bounds one API call when Sender.Timeout is zero. A login
// page waits for the SMS to be accepted, so this is kept short.
const DefaultTimeout = 10 * time.Second

// maxResponseBytes caps how much of a response is read: Twilio's answers
// are a few hundred bytes, and a misbehaving proxy must not make us buffer
// an unbounded body.
const maxResponseBytes = 64 << 10

// Sender sends SMS through one Twilio account. The zero value is not
// usable: AccountSID, AuthToken and From are required (see Validate). A
// Sender is safe for concurrent use once configured.
type Sender struct {
	APIURL     string // default DefaultAPIURL
	AccountSID string // "AC…"
	AuthToken  string
	// From is the sending phone number (E.164) or, when it starts with
	// "MG", the SID of a Messaging Service, which then picks the number.
	From    string
	Client  *http.Client  // default http.DefaultClient
	Timeout time.Duration // per call; default DefaultTimeout
	// StatusCallback, when set, is the URL Twilio calls with delivery
	// status changes for each message.
	StatusCallback string
}

var (
	_ delivery.SMSSender = (*Sender)(nil)
	_ delivery.Checker   = (*Sender)(nil)
)

// Receipt is what Twilio tells us about a message it accepted.
type Receipt struct {
	SID    string // "SM…"
	Status string // usually "queued", or "accepted" with a Messaging Service
}

// Error is an error answer from Twilio's API.
type Error struct {
	Status   int    // HTTP status code
	Code     int    // Twilio error code (https://www.twilio.com/docs/api/errors); 0 if none was given
	Message  string // Twilio's explanation, with the message body removed
	MoreInfo string // link to Twilio's page about Code
	// RetryDelay is how long Twilio asked us to wait (its Retry-After
	// header on a 429 or 503); 0 when it did not say. It is a field of
	// its own name because RetryAfter is the delivery.RetryHint method.
	RetryDelay time.Duration
}

var _ delivery.RetryHint = (*Error)(nil)

// RetryAfter implements delivery.RetryHint.
func (e *Error) RetryAfter() time.Duration { return e.RetryDelay }

func (e *Error) Error() string {
	msg := fmt.Sprintf("twilio: HTTP %d: %s", e.Status, e.Message)
	if e.Code != 0 {
		msg = fmt.Sprintf("twilio: HTTP %d, error %d: %s", e.Status, e.Code, e.Message)
	}
	if e.RetryDelay > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryDelay)
	}
	return msg
}

// Permanent reports whether sending again cannot succeed: Twilio refused
// the request itself (an invalid number, bad credentials, a blocked
// recipient), as opposed to being overloaded (429) or failing (5xx). An
// error code that PermanentCode names is permanent whatever the status.
func (e *Error) Permanent() bool {
	if PermanentCode(e.Code) {
		return true
	}
	return e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// Unwrap makes errors.Is(err, delivery.ErrPermanent) true for permanent
// errors, so callers need not know about Twilio.
func (e *Error) Unwrap() error {
	if e.Permanent() {
		return delivery.ErrPermanent
	}
	return nil
}

// Validate reports missing configuration, naming every missing field at
// once so an operator can fix them in one go.
func (s *Sender) Validate() error {
	var errs []error
	if s.AccountSID == "" {
		errs = append(errs, errors.New("twilio: account SID is required"))
	}
	if s.AuthToken == "" {
		errs = append(errs, errors.New("twilio: auth token is required"))
	}
	if s.From == "" {
		errs = append(errs, errors.New("twilio: From number or Messaging Service SID is required"))
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("twilio: API URL must be an http(s) URL"))
		}
	}
	if s.StatusCallback != "" {
		if u, err := url.Parse(s.StatusCallback); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("twilio: status callback must be an http(s) URL"))
		}
	}
	if s.Timeout < 0 {
		errs = append(errs, errors.New("twilio: timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// SendSMS sends m and discards the receipt; see Send.
func (s *Sender) SendSMS(ctx context.Context, m delivery.SMS) error {
	_, err := s.Send(ctx, m)
	return err
}

// Send asks Twilio to send m. Errors from Twilio are *Error; those that
// retrying cannot fix also match delivery.ErrPermanent. The message body
// never appears in an error, because it carries a one-time code.
func (s *Sender) Send(ctx context.Context, m delivery.SMS) (Receipt, error) {
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("Body", m.Body)
	if isMessagingService(s.From) {
		form.Set("MessagingServiceSid", s.From)
	} else {
		form.Set("From", s.From)
	}
	if s.StatusCallback != "" {
		form.Set("StatusCallback", s.StatusCallback)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		s.accountURL()+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, fmt.Errorf("twilio: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := s.do(req)
	if err != nil {
		return Receipt{}, fmt.Errorf("twilio: sending SMS: %w", err)
	}
	status, body := resp.status, resp.body
	if status < 200 || status > 299 {
		return Receipt{}, apiError(resp, m.Body)
	}
	var created struct {
		SID    string `json:"sid"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.SID == "" {
		// A 2xx without a message SID is not Twilio (a wrong APIURL, a
		// captive proxy); saying "sent" would hide that.
		return Receipt{}, fmt.Errorf("twilio: HTTP %d without a message SID in the response", status)
	}
	return Receipt{SID: created.SID, Status: created.Status}, nil
}

// Check fetches the account, which proves at start-up that the API is
// reachable and accepts the SID and token, without sending anything.
func (s *Sender) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.accountURL()+".json", nil)
	if err != nil {
		return fmt.Errorf("twilio: building request: %w", err)
	}
	resp, err := s.do(req)
	if err != nil {
		return fmt.Errorf("twilio: checking account: %w", err)
	}
	status, body := resp.status, resp.body
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("twilio: Twilio rejected the account SID or auth token: %w", apiError(resp, ""))
	case status < 200 || status > 299:
		return fmt.Errorf("twilio: checking account: %w", apiError(resp, ""))
	}
	var account struct {
		SID    string `json:"sid"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &account); err != nil || account.SID == "" {
		return fmt.Errorf("twilio: checking account: HTTP %d without an account in the response", status)
	}
	if account.Status != "" && account.Status != "active" {
		return fmt.Errorf("twilio: account %s is %s", account.SID, account.Status)
	}
	return nil
}

// response is what do keeps of an answer.
type response struct {
	status     int
	body       []byte        // at most maxResponseBytes
	retryAfter time.Duration // from Retry-After on a 429 or 503; 0 if none
}

// do sends req with the account's credentials and reads the answer.
func (s *Sender) do(req *http.Request) (response, error) {
	req.SetBasicAuth(s.AccountSID, s.AuthToken)
	req.Header.Set("Accept", "application/json")
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return response{}, fmt.Errorf("reading response: %w", err)
	}
	r := response{status: resp.StatusCode, body: body}
	if r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
		r.retryAfter, _ = delivery.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r, nil
}

func (s *Sender) accountURL() string {
	base := s.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	return strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(s.AccountSID)
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// apiError turns an error answer into *Error. Twilio's messages sometimes
// quote the request; secret (the SMS body) is cut out in case it ever
// quotes the body, so codes cannot reach logs through an error.
func apiError(resp response, secret string) *Error {
	var twilioErr struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
	}
	e := &Error{Status: resp.status, RetryDelay: resp.retryAfter}
	if json.Unmarshal(resp.body, &twilioErr) == nil && twilioErr.Message != "" {
		e.Code, e.Message, e.MoreInfo = twilioErr.Code, twilioErr.Message, twilioErr.MoreInfo
	} else {
		// Not Twilio's JSON (an HTML page from a proxy, say): its text
		// would only clutter the log.
		e.Message = http.StatusText(resp.status)
	}
	if secret != "" {
		e.Message = strings.ReplaceAll(e.Message, secret, "[message body]")
	}
	return e
}

// isMessagingService reports whether from is a Messaging Service SID
// rather than a phone number; Twilio takes the two in different fields.
func isMessagingService(from string) bool {
	return strings.HasPrefix(from, "MG")
}

// SendSMSRef sends m and returns Twilio's message SID, which delivery
// receipts (status callbacks) name.
func (s *Sender) SendSMSRef(ctx context.Context, m delivery.SMS) (string, error) {
	r, err := s.Send(ctx, m)
	return r.SID, err
}
