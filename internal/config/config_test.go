package config

import (
	"net/url"
	"reflect"
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
		len(c.SMSProviders) != 1 || c.SMSProviders[0] != "outbox" || c.SMSLimitPerIPHour != 20 || c.SMSLimitPerHour != 2000 || len(c.SMSCountries) != 0 || c.SMSNonGeographic || c.SMTPURL != "" || !c.EmailFallback || c.Twilio.APIURL != "https://api.twilio.com" {
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
	for _, in := range []string{"postgres://u:pw@db.example.org:5432/portal?sslmode=verify-full", "postgresql://db/portal", "postgres:///portal?host=/run/postgresql"} {
		d, err := ParseDatabaseURL(in)
		if err != nil || d.Engine != "postgres" || d.URL != in || d.Path != "" {
			t.Errorf("ParseDatabaseURL(%q) = %+v, %v", in, d, err)
		}
	}
	for _, in := range []string{"mysql://x", "sqlite:", "postgres://u:secret@host:port/db"} {
		if _, err := ParseDatabaseURL(in); err == nil {
			t.Errorf("ParseDatabaseURL(%q) accepted", in)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseDatabaseURL(%q): the error repeats the password: %v", in, err)
		}
	}
}

func TestPostgres(t *testing.T) {
	const url = "postgres://portal:pw@db.example.org/portal?sslmode=verify-full"
	_, err := Load(env("PORTAL_DATABASE_URL", url))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_SECRET_KEY is required") {
		t.Fatalf("PostgreSQL without PORTAL_SECRET_KEY: %v", err)
	}
	key := strings.Repeat("ab", 32)
	c, err := Load(env("PORTAL_DATABASE_URL", url, "PORTAL_SECRET_KEY", key))
	if err != nil || c.Database.Engine != "postgres" || c.Database.URL != url || c.Database.MaxConns != 0 || len(c.SecretKey) != 32 {
		t.Fatalf("PostgreSQL: %+v, %v", c, err)
	}
	if got := c.Database.Location(); strings.Contains(got, "pw") || !strings.Contains(got, "db.example.org/portal") {
		t.Errorf("Location() = %q, want the URL without its password", got)
	}
	c, err = Load(env("PORTAL_DATABASE_URL", url, "PORTAL_SECRET_KEY", key, "PORTAL_DATABASE_MAX_CONNS", "25"))
	if err != nil || c.Database.MaxConns != 25 {
		t.Fatalf("PORTAL_DATABASE_MAX_CONNS=25: %+v, %v", c, err)
	}
	for _, bad := range []string{"0", "-1", "many", "100000"} {
		_, err := Load(env("PORTAL_DATABASE_URL", url, "PORTAL_SECRET_KEY", key, "PORTAL_DATABASE_MAX_CONNS", bad))
		if err == nil || !strings.Contains(err.Error(), "PORTAL_DATABASE_MAX_CONNS") {
			t.Errorf("PORTAL_DATABASE_MAX_CONNS=%s: %v", bad, err)
		}
	}
	if c, _ := Load(env()); c.Database.Location() != "portal.db" {
		t.Errorf("Location() of the default = %q", c.Database.Location())
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
		if err == nil && !(d.Engine == "sqlite" && d.Path != "" || d.Engine == "postgres" && d.URL == s) {
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

func TestSMSProviders(t *testing.T) {
	secret := strings.Repeat("s", 32)
	c, err := Load(env("PORTAL_SMS_PROVIDER", "Twilio, webhook", "PORTAL_TWILIO_ACCOUNT_SID", "AC1", "PORTAL_TWILIO_AUTH_TOKEN", "t",
		"PORTAL_TWILIO_FROM", "+15005550006", "PORTAL_SMS_WEBHOOK_URL", "https://sms.example.org/send", "PORTAL_SMS_WEBHOOK_SECRET", secret,
		"PORTAL_SMS_COUNTRIES", "gb, IE", "PORTAL_SMS_NON_GEOGRAPHIC", "yes", "PORTAL_SMS_LIMIT_PER_IP_HOUR", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.SMSProviders, ",") != "twilio,webhook" || strings.Join(c.SMSCountries, ",") != "GB,IE" || !c.SMSNonGeographic || c.SMSLimitPerIPHour != 0 {
		t.Fatalf("%+v", c)
	}
	for _, bad := range [][]string{
		{"PORTAL_SMS_PROVIDER", "webhook"}, // no URL or secret
		{"PORTAL_SMS_PROVIDER", "outbox,twilio"},
		{"PORTAL_SMS_PROVIDER", "carrier-pigeon"},
		{"PORTAL_SMS_COUNTRIES", "GBR"},
		{"PORTAL_SMS_NON_GEOGRAPHIC", "satellite"},
		{"PORTAL_SMS_LIMIT_PER_HOUR", "-1"},
	} {
		if _, err := Load(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// FuzzLoad: whatever the PORTAL_* values, Load either reports problems
// that repeat no secret (key, tokens, database password) or returns a
// configuration within its rules.
func FuzzLoad(f *testing.F) {
	f.Add("https://portal.example.org", "mysql://root:Hunter2secret@db/portal", "twilio,webhook", "GB, ie", "20", "yes", strings.Repeat("ab", 32), "10.0.0.1, 192.168.0.0/16", "INFO", "25")
	f.Add("http://localhost:8080/", "portal.db", "outbox", "", "0", "off", "", "", "debug", "")
	f.Add("localhost", "postgres://portal:Hunter2secret@db:5432/portal?sslmode=verify-full", "carrier-pigeon", "GBR", "-1", "maybe", "abcd", "nonsense", "loud", "0")
	f.Add("https://x", "postgres://u:Hunter2secret@h:port/db", "webhook", "g1", "99999999999999999999", "1", "Hunter2secretHunter2secretHunter2secret!!", "::1", "warn", "1001")
	f.Add("https://x", "sqlite://", "outbox,outbox", ",,", "", "", "", "1.2.3.4/33", "error", "x")
	const authToken, webhookSecret = "Tw1l10AuthTok3n", "Webh00kSecretWebh00kSecretWebh00k"
	f.Fuzz(func(t *testing.T, baseURL, dbURL, providers, countries, limit, fallback, key, proxies, level, conns string) {
		env := map[string]string{
			"PORTAL_BASE_URL": baseURL, "PORTAL_DATABASE_URL": dbURL, "PORTAL_SMS_PROVIDER": providers,
			"PORTAL_SMS_COUNTRIES": countries, "PORTAL_SMS_LIMIT_PER_IP_HOUR": limit, "PORTAL_EMAIL_FALLBACK": fallback,
			"PORTAL_SECRET_KEY": key, "PORTAL_TRUSTED_PROXIES": proxies, "PORTAL_LOG_LEVEL": level, "PORTAL_DATABASE_MAX_CONNS": conns,
			"PORTAL_TWILIO_ACCOUNT_SID": "AC1", "PORTAL_TWILIO_AUTH_TOKEN": authToken, "PORTAL_TWILIO_FROM": "+15005550006",
			"PORTAL_SMS_WEBHOOK_URL": "https://sms.example.org/send", "PORTAL_SMS_WEBHOOK_SECRET": webhookSecret,
		}
		c, err := Load(func(k string) string { return env[k] })
		if err != nil {
			secrets := []string{authToken, webhookSecret}
			if k := strings.TrimSpace(key); len(k) >= 8 {
				secrets = append(secrets, k)
			}
			if u, perr := url.Parse(strings.TrimSpace(dbURL)); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) >= 8 {
					secrets = append(secrets, pw)
				}
			}
			for _, s := range secrets {
				// A secret that is also in a value that is not secret may
				// be repeated with that value.
				others := baseURL + providers + countries + limit + fallback + proxies + level + conns
				if strings.Contains(err.Error(), s) && !strings.Contains(others, s) {
					t.Fatalf("the error repeats the secret %q:\n%v", s, err)
				}
			}
			return
		}
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.HasSuffix(c.BaseURL, "/") {
			t.Fatalf("base URL %q", c.BaseURL)
		}
		if c.Database.Engine == "sqlite" && c.Database.Path == "" || c.Database.Engine == "postgres" && len(c.SecretKey) < 32 ||
			c.Database.Engine != "sqlite" && c.Database.Engine != "postgres" || c.Database.MaxConns < 0 || c.Database.MaxConns > maxConns {
			t.Fatalf("database %+v with a %d-byte key", c.Database, len(c.SecretKey))
		}
		if c.SecretKey != nil && len(c.SecretKey) < 32 {
			t.Fatalf("a %d-byte key", len(c.SecretKey))
		}
		if len(c.SMSProviders) == 0 {
			t.Fatal("no SMS provider")
		}
		for _, p := range c.SMSProviders {
			if p != "outbox" && p != "twilio" && p != "webhook" {
				t.Fatalf("SMS provider %q", p)
			}
		}
		for _, r := range c.SMSCountries {
			if len(r) != 2 || strings.Trim(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				t.Fatalf("country %q", r)
			}
		}
		if c.SMSLimitPerIPHour < 0 {
			t.Fatalf("limit %d", c.SMSLimitPerIPHour)
		}
		for _, p := range c.TrustedProxies {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("trusted proxy %v", p)
			}
		}
		switch c.LogLevel {
		case "debug", "info", "warn", "error":
		default:
			t.Fatalf("log level %q", c.LogLevel)
		}
	})
}

func TestListenAddresses(t *testing.T) {
	for _, tt := range []struct {
		name, value, want string // want: "" accepted, else in the message
	}{
		{"PORTAL_ADDR", "127.0.0.1:8080", ""},
		{"PORTAL_ADDR", ":8080", ""},
		{"PORTAL_ADDR", "[::1]:8080", ""},
		{"PORTAL_ADDR", "portal.internal:443", ""},
		{"PORTAL_ADDR", "nonsense", "give a host and port, e.g. 127.0.0.1:8080"},
		{"PORTAL_ADDR", "127.0.0.1:99999", `the port "99999" is not a number from 1 to 65535`},
		{"PORTAL_ADDR", "127.0.0.1:http", `the port "http" is not a number`},
		{"PORTAL_METRICS_ADDR", "127.0.0.1:9090", ""},
		{"PORTAL_METRICS_ADDR", "9090", "give a host and port"},
	} {
		_, err := Load(env(tt.name, tt.value))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s=%q refused: %v", tt.name, tt.value, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s=%q: %v, want a message naming it and saying %q", tt.name, tt.value, err, tt.want)
		}
	}
}

func TestOtherDatabaseIsNotAskedForAKey(t *testing.T) {
	_, err := Load(env("PORTAL_DATABASE_URL", "mysql://root@localhost/portal"))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_DATABASE_URL") || strings.Contains(err.Error(), "PORTAL_SECRET_KEY") {
		t.Fatalf("mysql URL: %v, want only the database URL named", err)
	}
}

// TestServeProblem: a real SMS gateway with email left to the development
// outbox (reset links and email codes at /dev/outbox) is refused with a
// sentence naming what to set, unless the operator asks for it.
func TestServeProblem(t *testing.T) {
	twilio := []string{"PORTAL_SMS_PROVIDER", "twilio", "PORTAL_TWILIO_ACCOUNT_SID", "AC0123", "PORTAL_TWILIO_AUTH_TOKEN", "tok", "PORTAL_TWILIO_FROM", "+15005550006"}
	webhook := []string{"PORTAL_SMS_PROVIDER", "webhook", "PORTAL_SMS_WEBHOOK_URL", "https://sms.example.org/send", "PORTAL_SMS_WEBHOOK_SECRET", strings.Repeat("s", 32)}
	tests := []struct {
		name    string
		env     []string
		refused bool
	}{
		{"outbox for both", nil, false},
		{"twilio, email to the outbox", twilio, true},
		{"webhook, email to the outbox", webhook, true},
		{"twilio and SMTP", append(twilio, "PORTAL_SMTP_URL", "smtp://mail.example.org:587"), false},
		{"twilio, the outbox asked for", append(twilio, "PORTAL_ALLOW_EMAIL_OUTBOX", "true"), false},
		{"twilio, the outbox not asked for", append(twilio, "PORTAL_ALLOW_EMAIL_OUTBOX", "false"), true},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env...))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		err = c.ServeProblem()
		if (err != nil) != tt.refused {
			t.Errorf("%s: ServeProblem = %v, want refused %v", tt.name, err, tt.refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "set PORTAL_SMTP_URL") || !strings.Contains(err.Error(), "PORTAL_ALLOW_EMAIL_OUTBOX=true")) {
			t.Errorf("%s: %q does not say what to set", tt.name, err)
		}
	}
	if _, err := Load(env("PORTAL_ALLOW_EMAIL_OUTBOX", "maybe")); err == nil || !strings.Contains(err.Error(), "PORTAL_ALLOW_EMAIL_OUTBOX") {
		t.Errorf("PORTAL_ALLOW_EMAIL_OUTBOX=maybe: %v", err)
	}
}

func TestCookieDomain(t *testing.T) {
	for _, ok := range []struct{ domain, base, want string }{
		{"example.org", "https://portal.example.org", "example.org"},
		{".Example.ORG", "https://portal.example.org", "example.org"},
		{"portal.test", "https://portal.test:8443", "portal.test"},
	} {
		c, err := Load(env("PORTAL_COOKIE_DOMAIN", ok.domain, "PORTAL_BASE_URL", ok.base))
		if err != nil || c.CookieDomain != ok.want {
			t.Errorf("PORTAL_COOKIE_DOMAIN=%q with %s: %q, %v; want %q", ok.domain, ok.base, c.CookieDomain, err, ok.want)
		}
	}
	for _, bad := range []struct{ domain, base, says string }{
		{"example.org", "http://portal.example.org", "https"},
		{"example.org", "https://portal.example.com", "must be this domain or under it"},
		{"ample.org", "https://portal.example.org", "must be this domain or under it"},
		{"org", "https://portal.example.org", "domain name such as example.org"},
		{"https://example.org", "https://portal.example.org", "without scheme"},
		{"example.org:443", "https://portal.example.org", "without scheme"},
		{"example.org/x", "https://portal.example.org", "without scheme"},
		{"127.0.0.1", "https://127.0.0.1", "not an address"},
		{"exa mple.org", "https://portal.example.org", "domain name"},
		{"example..org", "https://portal.example.org", "domain name"},
	} {
		_, err := Load(env("PORTAL_COOKIE_DOMAIN", bad.domain, "PORTAL_BASE_URL", bad.base))
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("PORTAL_COOKIE_DOMAIN=%q with %s: %v; want it refused, saying %q", bad.domain, bad.base, err, bad.says)
		}
	}
}

// TestDefaultsAreTheTable: the configuration of an empty environment is
// what Variables says, for every variable with a value as its default.
func TestDefaultsAreTheTable(t *testing.T) {
	want, err := Load(func(name string) string {
		for _, v := range Variables {
			if v.Name == name {
				return v.Default
			}
		}
		t.Fatalf("Load reads %s, which Variables lacks", name)
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := Defaults(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Defaults() = %+v, want %+v", got, want)
	}
}
