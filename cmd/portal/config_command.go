package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/config"
)

// printConfig is `portal config`: the configuration the portal would run
// with, after defaults and checks, one variable a line, with every secret
// masked. A configuration with problems is refused with what to fix.
func printConfig(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("config takes no arguments")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	secret := func(set bool) string {
		if set {
			return "(set, not shown)"
		}
		return "(not set)"
	}
	key := secret(cfg.SecretKey != nil)
	if cfg.SecretKey == nil && cfg.Database.Engine == "sqlite" {
		key = "(from the file " + cfg.Database.Path + ".key)"
	}
	values := map[string]string{
		"PORTAL_ADDR":                       cfg.Addr,
		"PORTAL_BASE_URL":                   cfg.BaseURL,
		"PORTAL_DATABASE_URL":               cfg.Database.Location(),
		"PORTAL_DATABASE_MAX_CONNS":         fmt.Sprint(cfg.Database.MaxConns),
		"PORTAL_SECRET_KEY":                 key,
		"PORTAL_NAME":                       cfg.PortalName,
		"PORTAL_SMS_PROVIDER":               strings.Join(cfg.SMSProviders, ","),
		"PORTAL_TWILIO_ACCOUNT_SID":         cfg.Twilio.AccountSID,
		"PORTAL_TWILIO_AUTH_TOKEN":          secret(cfg.Twilio.AuthToken != ""),
		"PORTAL_TWILIO_FROM":                cfg.Twilio.From,
		"PORTAL_TWILIO_API_URL":             cfg.Twilio.APIURL,
		"PORTAL_SMS_WEBHOOK_URL":            withoutPassword(cfg.Webhook.URL),
		"PORTAL_SMS_WEBHOOK_SECRET":         secret(len(cfg.Webhook.Secret) > 0),
		"PORTAL_SMS_COUNTRIES":              orAll(strings.Join(cfg.SMSCountries, ",")),
		"PORTAL_SMS_NON_GEOGRAPHIC":         fmt.Sprint(cfg.SMSNonGeographic),
		"PORTAL_SMS_LIMIT_PER_IP_HOUR":      fmt.Sprint(cfg.SMSLimitPerIPHour),
		"PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR": fmt.Sprint(cfg.SMSLimitPerCountryHour),
		"PORTAL_SMS_LIMIT_PER_HOUR":         fmt.Sprint(cfg.SMSLimitPerHour),
		"PORTAL_SMTP_URL":                   withoutPassword(cfg.SMTPURL),
		"PORTAL_MAIL_FROM":                  cfg.MailFrom,
		"PORTAL_EMAIL_FALLBACK":             fmt.Sprint(cfg.EmailFallback),
		"PORTAL_ALLOW_EMAIL_OUTBOX":         fmt.Sprint(cfg.AllowEmailOutbox),
		"PORTAL_TRUSTED_PROXIES":            fmt.Sprint(cfg.TrustedProxies),
		"PORTAL_COOKIE_DOMAIN":              cfg.CookieDomain,
		"PORTAL_METRICS_ADDR":               cfg.MetricsAddr,
		"PORTAL_LOG_LEVEL":                  cfg.LogLevel,
		"PORTAL_LOG_FORMAT":                 cfg.LogFormat,
	}
	// In the order of the one table of variables, which `portal help`
	// prints too.
	for _, v := range config.Variables {
		value, ok := values[v.Name]
		if !ok {
			value = "(not shown by portal config)"
		}
		fmt.Fprintf(stdout, "%s=%s\n", v.Name, value)
	}
	return nil
}

// withoutPassword shows a URL with its password masked.
func withoutPassword(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(set, not shown: it does not parse as a URL)"
	}
	return u.Redacted()
}

func orAll(s string) string {
	if s == "" {
		return "(all)"
	}
	return s
}
