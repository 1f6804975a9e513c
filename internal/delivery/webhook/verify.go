package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a timestamp may be from the receiver's
// clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify, which wraps them with a short reason.
var (
	ErrSignature = errors.New("webhook: signature missing, malformed or wrong")
	ErrTimestamp = errors.New("webhook: timestamp missing, malformed or too far from now")
)

const signaturePrefix = "sha256="

// Sign returns the X-Portal-Signature value for body sent at timestamp
// (the X-Portal-Timestamp value, Unix seconds): "sha256=" followed by the
// lowercase hex HMAC-SHA256, keyed with secret, of timestamp + "." + body.
func Sign(secret []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a request's X-Portal-Timestamp and X-Portal-Signature
// headers against its raw body: the signature must be Sign's, compared in
// constant time, and the timestamp within tolerance of now, either way
// (DefaultTolerance if tolerance is not positive), so a captured request
// cannot be replayed later. Errors match ErrSignature or ErrTimestamp. An
// empty secret verifies nothing.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("webhook: no secret to verify with")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Unix seconds: digits only (no sign or spaces); 11 reach the year 5138.
	if timestamp == "" || len(timestamp) > 11 || strings.Trim(timestamp, "0123456789") != "" {
		return wrap(ErrTimestamp, "not Unix seconds")
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return wrap(ErrTimestamp, "not Unix seconds")
	}
	hexSig, ok := strings.CutPrefix(signature, signaturePrefix)
	if !ok {
		return wrap(ErrSignature, `does not start with "sha256="`)
	}
	if len(hexSig) != 2*sha256.Size {
		return wrap(ErrSignature, "not 64 hex digits")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return wrap(ErrSignature, "not 64 hex digits")
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return wrap(ErrSignature, "does not match")
	}
	// Checked after the signature, so that only a genuine request can
	// learn that its timestamp was the problem.
	sent := time.Unix(secs, 0)
	if d := now.Sub(sent); d > tolerance || d < -tolerance {
		return wrap(ErrTimestamp, "outside the tolerance")
	}
	return nil
}

func wrap(err error, reason string) error {
	return &reasonError{err: err, reason: reason}
}

// reasonError is a sentinel with a reason: "webhook: signature …: does not
// match".
type reasonError struct {
	err    error
	reason string
}

func (e *reasonError) Error() string { return e.err.Error() + ": " + e.reason }
func (e *reasonError) Unwrap() error { return e.err }
