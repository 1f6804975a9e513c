// Package otp makes and checks the six-digit one-time codes sent by SMS or
// email. A code is drawn uniformly from a CSPRNG and is never stored: only
// an HMAC of it, keyed with the portal's secret and bound to the account,
// purpose, destination and login attempt it was issued for, so a code (or a
// leaked database row) is worthless anywhere else.
package otp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Digits is the length of a code.
const Digits = 6

// space is the number of distinct codes.
const space = 1_000_000

// Generate draws a code uniformly from 000000–999999 using r (crypto/rand
// in production). Rejection sampling avoids the modulo bias of reducing a
// random 32-bit number by 10^6.
func Generate(r io.Reader) (string, error) {
	// The largest multiple of space that fits in a uint32; values at or
	// above it would make low codes more likely, so they are drawn again.
	const limit = (1 << 32) / space * space
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("otp: read random: %w", err)
		}
		n := binary.BigEndian.Uint32(b[:])
		if n < limit {
			return fmt.Sprintf("%0*d", Digits, n%space), nil
		}
	}
}

// Binding is what a code is bound to: the same code under any other binding
// hashes differently.
type Binding struct {
	UserID      int64
	Purpose     string
	Destination string
	AttemptID   string
}

// Hash returns the keyed hash of code under b. Fields are length-prefixed
// so that no two different bindings can produce the same input.
func Hash(key []byte, b Binding, code string) []byte {
	m := hmac.New(sha256.New, key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(b.UserID)) // #nosec G115 -- the two's-complement bits are what is hashed: distinct int64s stay distinct
	m.Write(n[:])
	for _, s := range []string{b.Purpose, b.Destination, b.AttemptID, code} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}

// Matches reports, in constant time, whether code hashes to want under b.
func Matches(key []byte, b Binding, code string, want []byte) bool {
	return hmac.Equal(Hash(key, b, code), want)
}

// ErrFormat is returned by Parse for input that is not a six-digit code.
var ErrFormat = errors.New("otp: not a six-digit code")

// Parse reads a code as a person typed or pasted it: surrounding space,
// spaces or dashes between digit groups ("123 456", "123-456") and
// full-width digits are tolerated; anything else is ErrFormat.
func Parse(input string) (string, error) {
	if len(input) > 64 {
		return "", ErrFormat
	}
	var b strings.Builder
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0':
		default:
			return "", ErrFormat
		}
	}
	if b.Len() != Digits {
		return "", ErrFormat
	}
	return b.String(), nil
}
