// Package config reads the portal's configuration from the environment:
// the operator interface of the product brief. Every variable has a safe
// default for a first run on one machine (SQLite next to the binary,
// messages kept in the local outbox); Load reports every problem at once,
// in words an operator can act on.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/providerportal/portal/internal/apps"
)

// Config is the whole configuration.
type Config struct {
	Addr     string // PORTAL_ADDR
	BaseURL  string // PORTAL_BASE_URL
	Database Database

	PortalName string // PORTAL_NAME
	// SMSProviders is PORTAL_SMS_PROVIDER: "outbox", or an ordered list of
	// real gateways ("twilio", "webhook", "twilio,webhook") tried in turn.
	SMSProviders []string
	Webhook      Webhook
	// Against SMS pumping: PORTAL_SMS_COUNTRIES (ISO regions; empty: all),
	// PORTAL_SMS_NON_GEOGRAPHIC (numbers of no country, such as satellite
	// phones; default refused) and hourly budgets (0: no limit).
	SMSCountries           []string
	SMSNonGeographic       bool
	SMSLimitPerIPHour      int // PORTAL_SMS_LIMIT_PER_IP_HOUR
	SMSLimitPerCountryHour int // PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR
	SMSLimitPerHour        int // PORTAL_SMS_LIMIT_PER_HOUR
	Twilio                 Twilio
	SMTPURL                string // PORTAL_SMTP_URL; empty: the local outbox
	MailFrom               string // PORTAL_MAIL_FROM
	EmailFallback          bool   // PORTAL_EMAIL_FALLBACK
	// AllowEmailOutbox is PORTAL_ALLOW_EMAIL_OUTBOX: serve although text
	// messages go to a real gateway while email stays in the local outbox
	// (see ServeProblem).
	AllowEmailOutbox bool

	// SecretKey keys the hashes of one-time codes (PORTAL_SECRET_KEY, hex
	// or base64, at least 32 bytes). Empty: kept in a file beside the
	// SQLite database.
	SecretKey []byte

	TrustedProxies []netip.Prefix // PORTAL_TRUSTED_PROXIES
	// CookieDomain scopes the session cookie to a parent domain of the
	// base URL's host, for forward-auth applications on its other hosts
	// (PORTAL_COOKIE_DOMAIN); "": the portal's host only.
	CookieDomain string
	MetricsAddr  string // PORTAL_METRICS_ADDR; empty: no metrics endpoint
	LogLevel     string // PORTAL_LOG_LEVEL
	LogFormat    string // PORTAL_LOG_FORMAT: "text" or "json"
}

// Database says where data lives.
type Database struct {
	Engine string // "sqlite" or "postgres"
	Path   string // SQLite file
	URL    string // PostgreSQL URL, as given
	// MaxConns is the size of each instance's PostgreSQL connection pool
	// (PORTAL_DATABASE_MAX_CONNS); 0: the URL's pool_max_conns, else 10.
	MaxConns int32
}

// Location names the database for messages: the SQLite path, or the
// PostgreSQL URL without its password.
func (d Database) Location() string {
	if d.Engine != "postgres" {
		return d.Path
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return "(a PostgreSQL URL)"
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// Webhook is the generic SMS gateway: a signed JSON POST.
type Webhook struct {
	URL    string // PORTAL_SMS_WEBHOOK_URL
	Secret []byte // PORTAL_SMS_WEBHOOK_SECRET
}

// Twilio holds the Twilio Messages API settings.
type Twilio struct {
	AccountSID string // PORTAL_TWILIO_ACCOUNT_SID
	AuthToken  string // PORTAL_TWILIO_AUTH_TOKEN
	From       string // PORTAL_TWILIO_FROM: a number or a Messaging Service SID (MG…)
	APIURL     string // PORTAL_TWILIO_API_URL
}

// Variable is one environment variable of the operator interface.
type Variable struct {
	Name string
	// Default is the value Load reads when the variable is unset or
	// blank, and what `portal help` shows unless Shown is set: a default
	// that is not a value Load reads (a key file, every country).
	Default string
	Shown   string
	Meaning string
}

// ShownDefault is the default as `portal help` shows it.
func (v Variable) ShownDefault() string {
	if v.Shown != "" {
		return v.Shown
	}
	return v.Default
}

// Variables lists every variable Load reads, with its default, for the
// README, `portal help` and `portal config`. It is the one place a default
// is written: Load reads it, and login.DefaultRules takes the login's
// settings from Defaults.
var Variables = []Variable{
	{Name: "PORTAL_ADDR", Default: "127.0.0.1:8080", Meaning: "listen address"},
	{Name: "PORTAL_BASE_URL", Default: "http://localhost:8080", Meaning: "public URL of the portal (links, cookies, WebOTP)"},
	{Name: "PORTAL_DATABASE_URL", Default: "portal.db", Meaning: "SQLite path (or sqlite:PATH), or postgres://user:pass@host:5432/db?sslmode=…"}, // #nosec G101 -- an example of the URL's form, no credential
	// Unset, the URL's pool_max_conns decides, else postgres.DefaultMaxConns.
	{Name: "PORTAL_DATABASE_MAX_CONNS", Shown: "10", Meaning: "PostgreSQL connections per instance (overrides pool_max_conns in the URL)"},
	{Name: "PORTAL_SECRET_KEY", Shown: "(file PATH.key beside the SQLite database)", Meaning: "key for code hashes: 32+ bytes, hex or base64; required with PostgreSQL"},
	{Name: "PORTAL_NAME", Default: "Provider Portal", Meaning: "name shown on pages and in messages"},
	{Name: "PORTAL_SMS_PROVIDER", Default: "outbox", Meaning: "outbox (codes in the server log and /dev/outbox), or gateways in failover order: twilio, webhook, twilio,webhook"},
	{Name: "PORTAL_SMS_WEBHOOK_URL", Meaning: "webhook gateway: JSON POST of id/to/body (https, or http on loopback)"},
	{Name: "PORTAL_SMS_WEBHOOK_SECRET", Meaning: "webhook gateway: HMAC-SHA256 key, 32+ characters"},
	{Name: "PORTAL_SMS_COUNTRIES", Shown: "(all)", Meaning: "countries text messages may go to, e.g. GB,IE"},
	{Name: "PORTAL_SMS_NON_GEOGRAPHIC", Default: "false", Meaning: "also send text messages to numbers of no country (satellite phones +881, +870, international networks +882, +883), which SMS pumpers favour"},
	{Name: "PORTAL_SMS_LIMIT_PER_IP_HOUR", Default: "20", Meaning: "text messages per client address per hour"},
	{Name: "PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR", Default: "500", Meaning: "text messages per country calling code per hour"},
	{Name: "PORTAL_SMS_LIMIT_PER_HOUR", Default: "2000", Meaning: "text messages per hour for the whole portal"},
	{Name: "PORTAL_TWILIO_ACCOUNT_SID", Meaning: "Twilio account SID"},
	{Name: "PORTAL_TWILIO_AUTH_TOKEN", Meaning: "Twilio auth token"},
	{Name: "PORTAL_TWILIO_FROM", Meaning: "sender number (E.164) or Messaging Service SID (MG…)"},
	{Name: "PORTAL_TWILIO_API_URL", Default: "https://api.twilio.com", Meaning: "Twilio API base URL"},
	{Name: "PORTAL_SMTP_URL", Meaning: "smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…; empty: outbox"}, // #nosec G101 -- an example of the URL's form, no credential
	{Name: "PORTAL_MAIL_FROM", Default: "Provider Portal <portal@localhost>", Meaning: "From address of email"},
	{Name: "PORTAL_EMAIL_FALLBACK", Default: "true", Meaning: "offer \"Send code to email\""},
	{Name: "PORTAL_ALLOW_EMAIL_OUTBOX", Default: "false", Meaning: "true: serve with a real SMS gateway although PORTAL_SMTP_URL is empty, email kept in the outbox (/dev/outbox) on purpose"},
	{Name: "PORTAL_TRUSTED_PROXIES", Meaning: "comma-separated CIDRs of load balancers whose X-Forwarded-For is believed"},
	{Name: "PORTAL_COOKIE_DOMAIN", Meaning: "parent domain the session cookie is sent to, for forward-auth applications on its hosts, e.g. example.org (https only; the cookie is then __Secure- instead of __Host-)"},
	{Name: "PORTAL_METRICS_ADDR", Meaning: "where Prometheus metrics are served at /metrics, e.g. 127.0.0.1:9090 (empty: off)"},
	{Name: "PORTAL_LOG_LEVEL", Default: "info", Meaning: "debug, info, warn or error"},
	{Name: "PORTAL_LOG_FORMAT", Default: "text", Meaning: "text or json"},
}

// defaultOf is the Default of the variable name; a name not in Variables
// is a mistake in this package, caught by every test of Load.
func defaultOf(name string) string {
	for _, v := range Variables {
		if v.Name == name {
			return v.Default
		}
	}
	panic("config: " + name + " is not in Variables")
}

// Defaults is the configuration of an empty environment: every setting at
// Variables' default.
func Defaults() *Config {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		panic("config: the defaults do not load: " + err.Error())
	}
	return c
}

// Load reads the configuration through getenv (os.Getenv in production).
// It reports every problem at once, in the order of the steps below.
func Load(getenv func(string) string) (*Config, error) {
	l := &loader{getenv: getenv}
	c := l.plain()
	l.addresses(c)
	l.database(c)
	l.smsProviders(c)
	l.smsRules(c)
	l.email(c)
	l.secretKey(c)
	l.trustedProxies(c)
	l.cookieDomain(c)
	l.logging(c)
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	return c, nil
}

// loader reads one configuration: each step reads its variables with get
// and notes what is wrong with bad, so that Load can say it all at once.
type loader struct {
	getenv func(string) string
	errs   []error
}

// get is the variable name, trimmed, or its default when empty.
func (l *loader) get(name string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return defaultOf(name)
}

// bad notes a problem with the configuration.
func (l *loader) bad(format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf(format, args...))
}

// plain reads the settings taken as they are, to be checked by the steps
// that follow.
func (l *loader) plain() *Config {
	return &Config{
		Addr:       l.get("PORTAL_ADDR"),
		BaseURL:    strings.TrimRight(l.get("PORTAL_BASE_URL"), "/"),
		PortalName: l.get("PORTAL_NAME"),
		Webhook: Webhook{
			URL:    l.get("PORTAL_SMS_WEBHOOK_URL"),
			Secret: []byte(l.get("PORTAL_SMS_WEBHOOK_SECRET")),
		},
		Twilio: Twilio{
			AccountSID: l.get("PORTAL_TWILIO_ACCOUNT_SID"),
			AuthToken:  l.get("PORTAL_TWILIO_AUTH_TOKEN"),
			From:       l.get("PORTAL_TWILIO_FROM"),
			APIURL:     strings.TrimRight(l.get("PORTAL_TWILIO_API_URL"), "/"),
		},
		SMTPURL:     l.get("PORTAL_SMTP_URL"),
		MailFrom:    l.get("PORTAL_MAIL_FROM"),
		MetricsAddr: l.get("PORTAL_METRICS_ADDR"),
		LogLevel:    strings.ToLower(l.get("PORTAL_LOG_LEVEL")),
		LogFormat:   strings.ToLower(l.get("PORTAL_LOG_FORMAT")),
	}
}

// addresses checks the public address and the addresses listened on.
func (l *loader) addresses(c *Config) {
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		l.bad("PORTAL_BASE_URL=%q: give the public address with scheme and host and no path, e.g. https://portal.example.org", c.BaseURL)
	}

	if err := checkListenAddr(c.Addr); err != nil {
		l.bad("PORTAL_ADDR=%q: %v", c.Addr, err)
	}
	if c.MetricsAddr != "" {
		if err := checkListenAddr(c.MetricsAddr); err != nil {
			l.bad("PORTAL_METRICS_ADDR=%q: %v", c.MetricsAddr, err)
		}
	}
}

// database reads the database's URL and connection limit.
func (l *loader) database(c *Config) {
	db, err := ParseDatabaseURL(l.get("PORTAL_DATABASE_URL"))
	if err != nil {
		l.bad("PORTAL_DATABASE_URL: %v", err)
	}
	c.Database = db
	if v := l.get("PORTAL_DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > maxConns {
			l.bad("PORTAL_DATABASE_MAX_CONNS=%q: give a number of connections from 1 to %d", v, maxConns)
		}
		c.Database.MaxConns = int32(n)
	}
}

// smsProviders reads the SMS providers, in the order they are tried, and
// checks that each named has what it needs.
func (l *loader) smsProviders(c *Config) {
	for _, p := range strings.Split(strings.ToLower(l.get("PORTAL_SMS_PROVIDER")), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.SMSProviders = append(c.SMSProviders, p)
		}
	}
	seen := map[string]bool{}
	for _, p := range c.SMSProviders {
		switch {
		case seen[p]:
			l.bad("PORTAL_SMS_PROVIDER names %s twice", p)
		case p == "outbox" && len(c.SMSProviders) > 1:
			l.bad("PORTAL_SMS_PROVIDER: outbox keeps messages on this machine and cannot be combined with gateways")
		case p == "outbox":
		case p == "twilio":
			if c.Twilio.AccountSID == "" || c.Twilio.AuthToken == "" || c.Twilio.From == "" {
				l.bad("PORTAL_SMS_PROVIDER=twilio needs PORTAL_TWILIO_ACCOUNT_SID, PORTAL_TWILIO_AUTH_TOKEN and PORTAL_TWILIO_FROM")
			}
			if u, err := url.Parse(c.Twilio.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				l.bad("PORTAL_TWILIO_API_URL=%q is not an http(s) URL", c.Twilio.APIURL)
			}
		case p == "webhook":
			if c.Webhook.URL == "" || len(c.Webhook.Secret) < 32 {
				l.bad("PORTAL_SMS_PROVIDER=webhook needs PORTAL_SMS_WEBHOOK_URL and a PORTAL_SMS_WEBHOOK_SECRET of at least 32 characters (openssl rand -hex 32)")
			}
		default:
			l.bad("PORTAL_SMS_PROVIDER: %q is not a provider; use outbox, or twilio and/or webhook", p)
		}
		seen[p] = true
	}
	if len(c.SMSProviders) == 0 {
		c.SMSProviders = []string{defaultOf("PORTAL_SMS_PROVIDER")}
	}
}

// smsLimits are the hourly SMS budgets and where each is read from.
var smsLimits = []struct {
	name string
	to   func(c *Config) *int
}{
	{"PORTAL_SMS_LIMIT_PER_IP_HOUR", func(c *Config) *int { return &c.SMSLimitPerIPHour }},
	{"PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR", func(c *Config) *int { return &c.SMSLimitPerCountryHour }},
	{"PORTAL_SMS_LIMIT_PER_HOUR", func(c *Config) *int { return &c.SMSLimitPerHour }},
}

// smsRules reads where text messages may go and how many may go out.
func (l *loader) smsRules(c *Config) {
	for _, r := range strings.Split(l.get("PORTAL_SMS_COUNTRIES"), ",") {
		if r = strings.ToUpper(strings.TrimSpace(r)); r == "" {
			continue
		}
		if len(r) != 2 || strings.Trim(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			l.bad("PORTAL_SMS_COUNTRIES: %q is not a two-letter country code such as GB", r)
			continue
		}
		c.SMSCountries = append(c.SMSCountries, r)
	}
	var err error
	if c.SMSNonGeographic, err = parseBool(l.get("PORTAL_SMS_NON_GEOGRAPHIC")); err != nil {
		l.bad("PORTAL_SMS_NON_GEOGRAPHIC: %v", err)
	}
	for _, lim := range smsLimits {
		n, err := strconv.Atoi(l.get(lim.name))
		if err != nil || n < 0 {
			l.bad("%s: give a whole number, 0 for no limit", lim.name)
		}
		*lim.to(c) = n
	}
}

// email reads the switches of email: the fallback for codes, and email
// kept in the outbox on purpose.
func (l *loader) email(c *Config) {
	var err error
	if c.EmailFallback, err = parseBool(l.get("PORTAL_EMAIL_FALLBACK")); err != nil {
		l.bad("PORTAL_EMAIL_FALLBACK: %v", err)
	}
	if c.AllowEmailOutbox, err = parseBool(l.get("PORTAL_ALLOW_EMAIL_OUTBOX")); err != nil {
		l.bad("PORTAL_ALLOW_EMAIL_OUTBOX: %v", err)
	}
}

// secretKey reads the secret key, which PostgreSQL's instances must share.
func (l *loader) secretKey(c *Config) {
	if k := l.get("PORTAL_SECRET_KEY"); k != "" {
		var err error
		if c.SecretKey, err = ParseKey(k); err != nil {
			l.bad("PORTAL_SECRET_KEY: %v", err)
		}
	} else if c.Database.Engine == "postgres" {
		l.bad("PORTAL_SECRET_KEY is required with PostgreSQL: every instance must share it (generate one with: openssl rand -hex 32)")
	}
}

// trustedProxies reads the proxies whose X-Forwarded-For is believed, a
// single address taken as its own prefix.
func (l *loader) trustedProxies(c *Config) {
	for _, p := range strings.Split(l.get("PORTAL_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				p = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			l.bad("PORTAL_TRUSTED_PROXIES: %q is not an address or CIDR", p)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
}

// cookieDomain reads the parent domain the session cookie is sent to.
func (l *loader) cookieDomain(c *Config) {
	if d := l.get("PORTAL_COOKIE_DOMAIN"); d != "" {
		var err error
		if c.CookieDomain, err = checkCookieDomain(d, c.BaseURL); err != nil {
			l.bad("PORTAL_COOKIE_DOMAIN=%q: %v", d, err)
		}
	}
}

// logging checks the log's level and format.
func (l *loader) logging(c *Config) {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		l.bad("PORTAL_LOG_LEVEL=%q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		l.bad("PORTAL_LOG_FORMAT=%q: use text or json", c.LogFormat)
	}
}

// ServeProblem is why `portal serve` refuses a configuration whose every
// setting is valid: text messages go to a real gateway, so this is a live
// portal, but with PORTAL_SMTP_URL empty its email (reset links,
// invitations, email codes) would go to the development outbox, printed
// to the log and listed at /dev/outbox. PORTAL_ALLOW_EMAIL_OUTBOX=true
// asks for it on purpose.
func (c *Config) ServeProblem() error {
	if c.SMSProviders[0] == "outbox" || c.SMTPURL != "" || c.AllowEmailOutbox {
		return nil
	}
	return fmt.Errorf("PORTAL_SMS_PROVIDER=%s sends real text messages, but PORTAL_SMTP_URL is empty, so email (password reset links, invitations, email codes) would go to the development outbox, printed in the log and listed at /dev/outbox: set PORTAL_SMTP_URL to your mail server, or set PORTAL_ALLOW_EMAIL_OUTBOX=true to keep email in the outbox on purpose (a test system)",
		strings.Join(c.SMSProviders, ","))
}

// checkCookieDomain reads PORTAL_COOKIE_DOMAIN: a DNS name of two labels
// or more (a leading dot is dropped), lower-cased, that the portal's own
// host is or is under, with an https base URL (a cookie for a whole domain
// must never travel in clear).
func checkCookieDomain(d, baseURL string) (string, error) {
	d = strings.ToLower(strings.TrimPrefix(d, "."))
	labels := strings.Split(d, ".")
	if len(labels) < 2 || len(d) > 253 {
		return "", errors.New("give a domain name such as example.org")
	}
	if !apps.HostName(d) {
		return "", errors.New("give a domain name such as example.org, without scheme, port or path")
	}
	if _, err := netip.ParseAddr(d); err == nil || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", errors.New("give a domain name, not an address")
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "https" {
		return "", errors.New("it needs an https PORTAL_BASE_URL")
	}
	if h := strings.ToLower(u.Hostname()); h != d && !strings.HasSuffix(h, "."+d) {
		return "", fmt.Errorf("the portal's own host %s must be this domain or under it", h)
	}
	return d, nil
}

// maxConns bounds PORTAL_DATABASE_MAX_CONNS: more is a typo, not a plan.
const maxConns = 1000

// ParseDatabaseURL reads PORTAL_DATABASE_URL: a SQLite path, sqlite:PATH,
// or a postgres:// (or postgresql://) URL, kept as given for the driver,
// which also reads its pool_* parameters.
func ParseDatabaseURL(s string) (Database, error) {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		// The parse error would repeat the URL, password and all.
		if _, err := url.Parse(s); err != nil {
			return Database{}, errors.New("the PostgreSQL URL cannot be parsed: postgres://user:password@host:5432/database?sslmode=verify-full")
		}
		return Database{Engine: "postgres", URL: s}, nil
	case strings.HasPrefix(s, "sqlite://"):
		s = strings.TrimPrefix(s, "sqlite://")
	case strings.HasPrefix(s, "sqlite:"):
		s = strings.TrimPrefix(s, "sqlite:")
	case strings.Contains(s, "://"):
		// Not repeated: it may hold a password (FuzzLoad).
		return Database{}, errors.New("only a SQLite file path (or sqlite:PATH) or a postgres:// URL can be used")
	}
	if s == "" {
		return Database{}, errors.New("the SQLite path is empty")
	}
	return Database{Engine: "sqlite", Path: s}, nil
}

// ParseKey reads a key given as hex or base64 (standard or URL alphabet);
// it must be at least 32 bytes.
func ParseKey(s string) ([]byte, error) {
	var k []byte
	if b, err := hex.DecodeString(s); err == nil {
		k = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				k = b
				break
			}
		}
	}
	if k == nil {
		return nil, errors.New("not hex or base64")
	}
	if len(k) < 32 {
		return nil, fmt.Errorf("%d bytes is too short: use at least 32 random bytes (openssl rand -hex 32)", len(k))
	}
	return k, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "yes":
		return true, nil
	case "off", "no":
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q: use true or false", s)
	}
	return b, nil
}

// checkListenAddr says what is wrong with a listen address, in words an
// operator can act on, before the server tries it.
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("give a host and port, e.g. 127.0.0.1:8080, or :8080 for every address")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("the port %q is not a number from 1 to 65535", port)
	}
	return nil
}
