// Package webhook sends text messages by POSTing them, as signed JSON, to
// an HTTP endpoint the operator runs or chooses: an in-house SMS gateway,
// or a second provider behind a small adapter. Each request carries
//
//	{"id": "<message id>", "to": "+447700900123", "body": "…"}
//
// with the headers X-Portal-Timestamp (Unix seconds) and
// X-Portal-Signature ("sha256=" and the hex HMAC-SHA256, keyed with the
// shared secret, of the timestamp, ".", and the body). A receiver checks
// them with Verify, refusing stale timestamps, and drops repeated ids:
// a message is sent again after a timeout or a restart, with the same id.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/delivery"
)

// Header names of the signature scheme.
const (
	TimestampHeader = "X-Portal-Timestamp"
	SignatureHeader = "X-Portal-Signature"
)

// DefaultTimeout bounds one request when Sender.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// MinSecretBytes is the shortest secret Validate accepts: 256 bits, the
// size of the HMAC-SHA256 output (for example `openssl rand -hex 32`).
const MinSecretBytes = 32

// maxResponseBytes caps how much of a receiver's answer is read (and
// thrown away: only its status matters).
const maxResponseBytes = 64 << 10

// Message is the JSON body of a request.
type Message struct {
	ID   string `json:"id"`
	To   string `json:"to"` // E.164
	Body string `json:"body"`
}

// Sender POSTs text messages to URL. URL and Secret are required (see
// Validate). A Sender is safe for concurrent use once configured.
type Sender struct {
	URL     string
	Secret  []byte
	Client  *http.Client  // default http.DefaultClient; redirects are never followed
	Timeout time.Duration // per request; default DefaultTimeout
	Clock   clock.Clock   // the clock for X-Portal-Timestamp; nil: the wall clock
}

var (
	_ delivery.SMSSender = (*Sender)(nil)
	_ delivery.Checker   = (*Sender)(nil)
	_ delivery.RetryHint = (*Error)(nil)
)

// Error is a receiver's answer other than 2xx. It never holds the
// answer's body, which might quote the message and its code.
type Error struct {
	Status int // HTTP status code
	// RetryDelay is how long the receiver asked us to wait (Retry-After
	// on a 429 or 503); 0 when it did not say.
	RetryDelay time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("webhook: receiver answered HTTP %d", e.Status)
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		msg += " (check that both ends share the secret and that their clocks agree)"
	case e.Status >= 300 && e.Status < 400:
		msg += " (redirects are not followed: configure the final URL)"
	}
	if e.RetryDelay > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryDelay)
	}
	return msg
}

// Permanent reports whether sending again cannot succeed: the receiver
// refused the request (4xx other than 408 and 429) or redirected it.
func (e *Error) Permanent() bool {
	switch {
	case e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests:
		return false
	case e.Status >= 300 && e.Status < 500:
		return true
	}
	return false
}

// Unwrap makes errors.Is(err, delivery.ErrPermanent) true for permanent
// errors.
func (e *Error) Unwrap() error {
	if e.Permanent() {
		return delivery.ErrPermanent
	}
	return nil
}

// RetryAfter implements delivery.RetryHint.
func (e *Error) RetryAfter() time.Duration { return e.RetryDelay }

// Validate reports missing or unsafe configuration, every problem at
// once. Plain http is allowed only to a loopback address, since the
// requests carry one-time codes.
func (s *Sender) Validate() error {
	var errs []error
	if s.URL == "" {
		errs = append(errs, errors.New("webhook: URL is required"))
	} else if u, err := url.Parse(s.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, errors.New("webhook: URL must be an absolute http(s) URL"))
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		errs = append(errs, errors.New("webhook: URL must use https (plain http only to localhost)"))
	}
	switch {
	case len(s.Secret) == 0:
		errs = append(errs, errors.New("webhook: secret is required"))
	case len(s.Secret) < MinSecretBytes:
		errs = append(errs, fmt.Errorf("webhook: secret must be at least %d bytes", MinSecretBytes))
	}
	if s.Timeout < 0 {
		errs = append(errs, errors.New("webhook: timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Check validates the configuration. It sends nothing: a receiver need
// not answer anything but the POST of a message.
func (s *Sender) Check(context.Context) error {
	return s.Validate()
}

// SendSMS POSTs m to the receiver, with m.ID as the message id (a random
// one if m.ID is empty, which the receiver then cannot recognise when the
// message is sent again). A 2xx answer means accepted. Errors from the
// receiver are *Error; those that retrying cannot fix, and invalid
// configuration or messages, match delivery.ErrPermanent; timeouts and
// network failures do not. The body never appears in an error.
func (s *Sender) SendSMS(ctx context.Context, m delivery.SMS) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %w", delivery.ErrPermanent, err)
	}
	if m.To == "" || m.Body == "" {
		return fmt.Errorf("%w: webhook: a message needs a To number and a body", delivery.ErrPermanent)
	}
	id := m.ID
	if id == "" {
		id = randomID()
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // receivers decode JSON; "&" need not be "\u0026"
	if err := enc.Encode(Message{ID: id, To: m.To, Body: m.Body}); err != nil {
		return fmt.Errorf("webhook: encoding message: %w", err) // cannot happen with strings
	}
	payload := bytes.TrimSuffix(body.Bytes(), []byte("\n"))
	timestamp := strconv.FormatInt(s.Clock.Now().Unix(), 10)

	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("webhook: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "provider-portal-webhook/1")
	req.Header.Set(TimestampHeader, timestamp)
	req.Header.Set(SignatureHeader, Sign(s.Secret, timestamp, payload))

	resp, err := s.client().Do(req)
	if err != nil {
		return fmt.Errorf("webhook: sending SMS: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes)) // #nosec G104 -- drained so the connection can be reused; the status code decides
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	e := &Error{Status: resp.StatusCode}
	if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
		e.RetryDelay, _ = delivery.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// client is s.Client, or the default, made not to follow redirects: a
// redirect would re-send a signed code to wherever the receiver points,
// or turn the POST into a GET.
func (s *Sender) client() *http.Client {
	c := http.DefaultClient
	if s.Client != nil {
		c = s.Client
	}
	noRedirects := *c
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &noRedirects
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
