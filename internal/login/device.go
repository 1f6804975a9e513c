package login

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Device tokens, after OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies". Anyone who knows an email address can lock its account
// with wrong passwords, again each time the lock runs out. So each
// completed login leaves the browser a token naming the account (its id,
// a random device id, an expiry and a MAC under a key of its own). A
// browser that presents a valid token for the account whose email is
// typed is not held by the account's lock: its tries count against a
// small budget of its own, keyed by the device id, and once that is spent
// the token is void until it expires, and the browser is held like any
// other. A token names no email, and a token of another account, a forged
// or an expired one counts for nothing.

const (
	deviceTokenVersion = "1"
	deviceIDBytes      = 16
	// maxDeviceToken bounds what is parsed: a real token is about 95
	// characters.
	maxDeviceToken = 160
)

// deviceToken is what a device token says.
type deviceToken struct {
	UserID  int64
	Device  string // random, base64url; the key of the token's budget
	Expires time.Time
}

// deviceMACKey is the key that signs device tokens, derived from CodeKey so
// that neither key serves two purposes.
func (s *Service) deviceMACKey() []byte {
	s.deviceOnce.Do(func() {
		k, err := hkdf.Key(sha256.New, s.CodeKey, nil, "provider-portal device cookie v1", 32)
		if err != nil {
			// Only for a hash whose output is too short: not sha256.
			panic(fmt.Sprintf("login: derive device key: %v", err))
		}
		s.deviceKeyBytes = k
	})
	return s.deviceKeyBytes
}

// deviceMAC signs the token's fields as written.
func deviceMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func devicePayload(userID int64, expires int64, device string) string {
	return deviceTokenVersion + "." + strconv.FormatInt(userID, 10) + "." + strconv.FormatInt(expires, 10) + "." + device
}

// newDeviceToken is the token a completed login of the account leaves in
// the browser: valid Rules.DeviceTokenTTL from now.
func (s *Service) newDeviceToken(userID int64) (string, error) {
	device, err := s.randomID(deviceIDBytes)
	if err != nil {
		return "", err
	}
	payload := devicePayload(userID, s.Clock.Now().Add(s.Rules.DeviceTokenTTL).Unix(), device)
	return payload + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(s.deviceMACKey(), payload)), nil
}

var errBadDeviceToken = errors.New("login: not a valid device token")

// parseDeviceToken reads a device token and checks its MAC and expiry.
// Only the exact form newDeviceToken writes is accepted.
func parseDeviceToken(key []byte, token string, now time.Time) (deviceToken, error) {
	if len(token) > maxDeviceToken {
		return deviceToken{}, errBadDeviceToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != deviceTokenVersion {
		return deviceToken{}, errBadDeviceToken
	}
	userID, ok := canonicalInt(parts[1])
	if !ok || userID <= 0 {
		return deviceToken{}, errBadDeviceToken
	}
	expires, ok := canonicalInt(parts[2])
	if !ok {
		return deviceToken{}, errBadDeviceToken
	}
	if id, err := base64.RawURLEncoding.Strict().DecodeString(parts[3]); err != nil || len(id) != deviceIDBytes {
		return deviceToken{}, errBadDeviceToken
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	if err != nil || !hmac.Equal(mac, deviceMAC(key, devicePayload(userID, expires, parts[3]))) {
		return deviceToken{}, errBadDeviceToken
	}
	t := deviceToken{UserID: userID, Device: parts[3], Expires: time.Unix(expires, 0).UTC()}
	if !now.Before(t.Expires) {
		return deviceToken{}, errBadDeviceToken
	}
	return t, nil
}

// canonicalInt parses a decimal integer written as strconv writes it (no
// sign, no leading zeros), so that a token has one spelling only.
func canonicalInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// knownDevice returns the device id of the browser's token if it is valid
// at now and names the account of email, else "". The account is looked
// up only for a token whose MAC is right, and then whether or not email
// has an account, so that a token does not tell one from the other.
func (s *Service) knownDevice(ctx context.Context, c Client, email string, now time.Time) (string, error) {
	if c.Device == "" {
		return "", nil
	}
	t, err := parseDeviceToken(s.deviceMACKey(), c.Device, now)
	if err != nil {
		return "", nil
	}
	u, err := s.Store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("login: look up user: %w", err)
	}
	if u.ID != t.UserID {
		return "", nil
	}
	return t.Device, nil
}
