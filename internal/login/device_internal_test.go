package login

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var testDeviceKey = bytes.Repeat([]byte{9}, 32)

func TestDeviceTokenRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := &Service{CodeKey: testDeviceKey, Rules: DefaultRules(), Clock: func() time.Time { return now }}
	tok, err := s.newDeviceToken(42)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseDeviceToken(s.deviceMACKey(), tok, now)
	if err != nil {
		t.Fatalf("parse %q: %v", tok, err)
	}
	if got.UserID != 42 || !got.Expires.Equal(now.Add(s.Rules.DeviceTokenTTL)) || len(got.Device) != 22 {
		t.Errorf("parsed %+v", got)
	}
	if len(tok) > maxDeviceToken {
		t.Errorf("token of %d characters, above the parser's bound %d", len(tok), maxDeviceToken)
	}
	if _, err := parseDeviceToken(s.deviceMACKey(), tok, got.Expires); err == nil {
		t.Error("a device token is accepted at its expiry")
	}
	// The token's key is derived: neither the code key itself nor the
	// outbox's.
	if _, err := parseDeviceToken(s.CodeKey, tok, now); err == nil {
		t.Error("the device token is signed with the code key itself")
	}
	if bytes.Equal(s.deviceMACKey(), s.CodeKey) {
		t.Error("device key = code key")
	}
	other := &Service{CodeKey: bytes.Repeat([]byte{8}, 32), Rules: DefaultRules(), Clock: s.Clock}
	if _, err := parseDeviceToken(other.deviceMACKey(), tok, now); err == nil {
		t.Error("a token of another portal's key is accepted")
	}
	// Two logins, two device ids.
	tok2, _ := s.newDeviceToken(42)
	if got2, _ := parseDeviceToken(s.deviceMACKey(), tok2, now); got2.Device == got.Device {
		t.Error("two device tokens share their device id")
	}
}

// FuzzParseDeviceToken: whatever a browser sends as its device cookie, the
// parser does not panic, and accepts only a token as newDeviceToken
// writes it, under the right key, before its expiry.
func FuzzParseDeviceToken(f *testing.F) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	// Fixed randomness: each fuzzing process makes the same token.
	s := &Service{CodeKey: testDeviceKey, Rules: DefaultRules(), Clock: func() time.Time { return now },
		Rand: bytes.NewReader(bytes.Repeat([]byte{3}, deviceIDBytes))}
	tok, err := s.newDeviceToken(7)
	if err != nil {
		f.Fatal(err)
	}
	key := s.deviceMACKey()
	f.Add(tok)
	f.Add(strings.Replace(tok, "1.7.", "1.07.", 1))
	f.Add(tok + "=")
	f.Add("1.7.9999999999.AAAAAAAAAAAAAAAAAAAAAA.AAAA")
	f.Add("")
	f.Add("1....")
	f.Add(strings.Repeat(".", 1000))
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseDeviceToken(key, in, now)
		if err != nil {
			return
		}
		if got.UserID <= 0 || !now.Before(got.Expires) {
			t.Fatalf("accepted %q as %+v", in, got)
		}
		// Accepted means signed: the one spelling the MAC covers.
		want := devicePayload(got.UserID, got.Expires.Unix(), got.Device)
		if !strings.HasPrefix(in, want+".") {
			t.Fatalf("accepted %q, which is not the token of %+v", in, got)
		}
		if in != tok {
			t.Fatalf("accepted %q, which no one signed (the only signed token here is %q)", in, tok)
		}
	})
}
