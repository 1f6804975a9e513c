package config

import (
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://localhost:8080" || c.Database.Path != "portal.db" ||
		c.SMSProvider != "outbox" || c.SMTPURL != "" || !c.EmailFallback || c.Twilio.APIURL != "https://api.twilio.com" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestDatabaseURL(t *testing.T) {
	for in, want := range map[string]string{"portal.db": "portal.db", "sqlite:/var/lib/p.db": "/var/lib/p.db", "sqlite:///var/lib/p.db": "/var/lib/p.db"} {
		d, err := ParseDatabaseURL(in)
		if err != nil || d.Path != want || d.Engine != "sqlite" {
			t.Errorf("ParseDatabaseURL(%q) = %+v, %v", in, d, err)
		}
	}
	for _, in := range []string{"mysql://x", "sqlite:"} {
		if _, err := ParseDatabaseURL(in); err == nil {
			t.Errorf("ParseDatabaseURL(%q) accepted", in)
		}
	}
}

func TestTwilioNeedsCredentials(t *testing.T) {
	_, err := Load(env("PORTAL_SMS_PROVIDER", "twilio"))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_TWILIO_ACCOUNT_SID") {
		t.Fatalf("twilio without credentials: %v", err)
	}
	c, err := Load(env("PORTAL_SMS_PROVIDER", "twilio", "PORTAL_TWILIO_ACCOUNT_SID", "AC1", "PORTAL_TWILIO_AUTH_TOKEN", "t",
		"PORTAL_TWILIO_FROM", "+15005550006", "PORTAL_TWILIO_API_URL", "http://127.0.0.1:9/"))
	if err != nil || c.Twilio.APIURL != "http://127.0.0.1:9" {
		t.Fatalf("twilio: %+v, %v", c, err)
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	_, err := Load(env("PORTAL_BASE_URL", "localhost", "PORTAL_SMS_PROVIDER", "carrier-pigeon", "PORTAL_EMAIL_FALLBACK", "maybe",
		"PORTAL_SECRET_KEY", "abcd", "PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, nonsense", "PORTAL_LOG_LEVEL", "loud"))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"PORTAL_BASE_URL", "PORTAL_SMS_PROVIDER", "PORTAL_EMAIL_FALLBACK", "PORTAL_SECRET_KEY", "PORTAL_TRUSTED_PROXIES", "PORTAL_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestKeys(t *testing.T) {
	hex32 := strings.Repeat("ab", 32)
	if k, err := ParseKey(hex32); err != nil || len(k) != 32 {
		t.Fatalf("hex key: %v", err)
	}
	if _, err := ParseKey(strings.Repeat("ab", 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
	c, err := Load(env("PORTAL_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16"))
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[0].Bits() != 32 {
		t.Fatalf("proxies: %+v, %v", c, err)
	}
}

func FuzzParseDatabaseURL(f *testing.F) {
	for _, s := range []string{"portal.db", "sqlite:x", "postgres://u@h/db", "", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDatabaseURL(s)
		if err == nil && (d.Engine != "sqlite" || d.Path == "") {
			t.Fatalf("ParseDatabaseURL(%q) = %+v", s, d)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err == nil && len(k) < 32 {
			t.Fatalf("ParseKey(%q) accepted %d bytes", s, len(k))
		}
	})
}
