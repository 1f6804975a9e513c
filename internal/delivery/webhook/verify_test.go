package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/webhook"
)

func TestSign(t *testing.T) {
	// Computed apart from this package, with
	// printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac 'key'
	const want = "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got := webhook.Sign([]byte("key"), "1700000000", []byte("{}")); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"m1","to":"+447700900123","body":"code 493027"}`)
	ts := "1700000000"
	sig := webhook.Sign(testSecret, ts, body)

	if err := webhook.Verify(testSecret, ts, sig, body, now, time.Minute); err != nil {
		t.Fatalf("Verify of a good request: %v", err)
	}
	// Upper-case hex is the same signature.
	if err := webhook.Verify(testSecret, ts, "sha256="+strings.ToUpper(strings.TrimPrefix(sig, "sha256=")), body, now, time.Minute); err != nil {
		t.Errorf("Verify with upper-case hex: %v", err)
	}
	// Within tolerance both ways; zero tolerance means the default.
	for _, at := range []time.Time{now.Add(59 * time.Second), now.Add(-59 * time.Second)} {
		if err := webhook.Verify(testSecret, ts, sig, body, at, time.Minute); err != nil {
			t.Errorf("Verify at %v: %v", at.Sub(now), err)
		}
	}
	if err := webhook.Verify(testSecret, ts, sig, body, now.Add(4*time.Minute), 0); err != nil {
		t.Errorf("Verify with the default tolerance: %v", err)
	}

	tests := []struct {
		name      string
		secret    []byte
		ts, sig   string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error // nil: any error
	}{
		{"other secret", []byte("another secret entirely, 32 bytes"), ts, sig, body, now, time.Minute, webhook.ErrSignature},
		{"no secret", nil, ts, sig, body, now, time.Minute, nil},
		{"body changed", testSecret, ts, sig, []byte(strings.Replace(string(body), "493027", "493028", 1)), now, time.Minute, webhook.ErrSignature},
		{"body extended", testSecret, ts, sig, append(append([]byte(nil), body...), ' '), now, time.Minute, webhook.ErrSignature},
		{"timestamp changed", testSecret, "1700000001", sig, body, now, time.Minute, webhook.ErrSignature},
		{"timestamp with leading zero", testSecret, "01700000000", sig, body, now, time.Minute, webhook.ErrSignature},
		{"stale", testSecret, ts, sig, body, now.Add(61 * time.Second), time.Minute, webhook.ErrTimestamp},
		{"from the future", testSecret, ts, sig, body, now.Add(-61 * time.Second), time.Minute, webhook.ErrTimestamp},
		{"stale by default", testSecret, ts, sig, body, now.Add(6 * time.Minute), 0, webhook.ErrTimestamp},
		{"no timestamp", testSecret, "", sig, body, now, time.Minute, webhook.ErrTimestamp},
		{"signed timestamp", testSecret, "+1700000000", sig, body, now, time.Minute, webhook.ErrTimestamp},
		{"negative timestamp", testSecret, "-1700000000", sig, body, now, time.Minute, webhook.ErrTimestamp},
		{"fractional timestamp", testSecret, "1700000000.0", sig, body, now, time.Minute, webhook.ErrTimestamp},
		{"timestamp in milliseconds", testSecret, "1700000000000", sig, body, now, time.Minute, webhook.ErrTimestamp},
		{"no signature", testSecret, ts, "", body, now, time.Minute, webhook.ErrSignature},
		{"no prefix", testSecret, ts, strings.TrimPrefix(sig, "sha256="), body, now, time.Minute, webhook.ErrSignature},
		{"other algorithm", testSecret, ts, "sha1=" + strings.TrimPrefix(sig, "sha256="), body, now, time.Minute, webhook.ErrSignature},
		{"prefix in capitals", testSecret, ts, "SHA256=" + strings.TrimPrefix(sig, "sha256="), body, now, time.Minute, webhook.ErrSignature},
		{"truncated", testSecret, ts, sig[:len(sig)-2], body, now, time.Minute, webhook.ErrSignature},
		{"extended", testSecret, ts, sig + "00", body, now, time.Minute, webhook.ErrSignature},
		{"not hex", testSecret, ts, sig[:len(sig)-1] + "g", body, now, time.Minute, webhook.ErrSignature},
		{"padded", testSecret, ts, " " + sig, body, now, time.Minute, webhook.ErrSignature},
		{"two signatures", testSecret, ts, sig + "," + sig, body, now, time.Minute, webhook.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.ts, tt.sig, tt.body, tt.now, tt.tolerance)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"m1","to":"+447700900123","body":"code 493027"}`)
	good := webhook.Sign(testSecret, "1700000000", body)
	f.Add("1700000000", good)
	f.Add("1700000000", strings.ToUpper(good))
	f.Add("1700000000", "sha256=")
	f.Add("1700000000", "sha256="+strings.Repeat("zz", 32))
	f.Add("99999999999", good)
	f.Add("", "")
	f.Add("-1", "sha256=00")
	f.Fuzz(func(t *testing.T, timestamp, signature string) {
		err := webhook.Verify(testSecret, timestamp, signature, body, now, time.Minute)
		if err == nil {
			// Only the genuine signature, in either hex case, of this
			// exact timestamp may pass.
			if timestamp != "1700000000" || !strings.EqualFold(signature, good) || !strings.HasPrefix(signature, "sha256=") {
				t.Fatalf("Verify accepted timestamp %q, signature %q", timestamp, signature)
			}
			return
		}
		if !errors.Is(err, webhook.ErrSignature) && !errors.Is(err, webhook.ErrTimestamp) {
			t.Fatalf("Verify error %v matches neither sentinel", err)
		}
	})
}
