package login

import (
	"strings"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// Rules are the numbers behind the login. Defaults are those of the product
// brief; an operator may tighten them.
type Rules struct {
	CodeTTL      time.Duration // how long a code is valid
	MaxCodeTries int           // wrong tries before a login attempt's code is void

	ResendCooldown            time.Duration // between two codes on one channel
	CodesPerAccount           int           // codes issued to one account (0: no limit) …
	CodesPerAccountWindow     time.Duration // … within this window
	CodesPerDestination       int           // codes sent to one number or address …
	CodesPerDestinationWindow time.Duration // … within this window

	CodeLockAfter int           // wrong codes in a row before the code step locks
	CodeLockBase  time.Duration // first lock; doubles with each further failure
	CodeLockMax   time.Duration

	PasswordWindow       time.Duration // failures older than this are forgotten
	PasswordFreeAccount  int           // wrong passwords per account before backoff
	PasswordLockAccount  int           // … before a temporary lock
	PasswordLockDuration time.Duration
	PasswordFreeIP       int // wrong passwords per client IP before backoff
	PasswordBackoffBase  time.Duration
	PasswordBackoffMax   time.Duration

	// A completed login leaves the browser a device token valid this long;
	// while valid, the browser's wrong passwords count against the token,
	// not the account, and DeviceTokenTries of them void it.
	DeviceTokenTTL   time.Duration
	DeviceTokenTries int

	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	ReauthAfter     time.Duration // a password (or, for administration, a code) proven longer ago must be proven again for sensitive steps (Service.Fresh)

	EmailFallback bool // "Send code to email"

	// Against SMS pumping: the destination countries allowed (ISO 3166
	// regions such as "GB"; empty: all), whether numbers of no country
	// (satellite phones, international networks) are allowed too, and
	// hourly budgets of text messages per client address, per country
	// calling code and for the whole portal (0: no limit).
	// Each is named as its variable, and set from it (RulesFor).
	SMSCountries           []string // PORTAL_SMS_COUNTRIES
	SMSNonGeographic       bool     // PORTAL_SMS_NON_GEOGRAPHIC
	SMSLimitPerIPHour      int      // PORTAL_SMS_LIMIT_PER_IP_HOUR
	SMSLimitPerCountryHour int      // PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR (per calling code)
	SMSLimitPerHour        int      // PORTAL_SMS_LIMIT_PER_HOUR
}

// DefaultRules are the numbers of the product brief, with the settings of
// an empty environment (config.Defaults).
func DefaultRules() Rules { return RulesFor(config.Defaults()) }

// RulesFor are the numbers of the product brief with the settings an
// operator makes (PORTAL_EMAIL_FALLBACK, PORTAL_SMS_*) taken from c: their
// defaults are config.Variables', written nowhere else.
func RulesFor(c *config.Config) Rules {
	return Rules{
		CodeTTL:      10 * time.Minute,
		MaxCodeTries: 5,

		ResendCooldown:            30 * time.Second,
		CodesPerAccount:           5,
		CodesPerAccountWindow:     15 * time.Minute,
		CodesPerDestination:       5,
		CodesPerDestinationWindow: time.Hour,

		CodeLockAfter: 10,
		CodeLockBase:  5 * time.Minute,
		CodeLockMax:   24 * time.Hour,

		PasswordWindow:       time.Hour,
		PasswordFreeAccount:  5,
		PasswordLockAccount:  10,
		PasswordLockDuration: time.Hour,
		PasswordFreeIP:       30,
		PasswordBackoffBase:  30 * time.Second,
		PasswordBackoffMax:   15 * time.Minute,

		DeviceTokenTTL:   90 * 24 * time.Hour,
		DeviceTokenTries: 5,

		IdleTimeout:     30 * time.Minute,
		AbsoluteTimeout: 12 * time.Hour,
		ReauthAfter:     15 * time.Minute,

		EmailFallback: c.EmailFallback,

		SMSCountries:           c.SMSCountries,
		SMSNonGeographic:       c.SMSNonGeographic,
		SMSLimitPerIPHour:      c.SMSLimitPerIPHour,
		SMSLimitPerCountryHour: c.SMSLimitPerCountryHour,
		SMSLimitPerHour:        c.SMSLimitPerHour,
	}
}

// AcceptPhone reads a phone number typed by anyone (a person registering
// or changing theirs, an administrator in the console, the operator at the
// command line): normalised to E.164, and refused, in words the person can
// act on, where it cannot receive a text message or the portal may not
// send one (AllowedDestination). Every place that takes a number calls it,
// so that none has rules of its own.
func (r Rules) AcceptPhone(raw string) (string, error) {
	number, err := normalizePhone(raw)
	if err != nil {
		return "", err
	}
	if err := r.AllowedDestination(number); err != nil {
		return "", err
	}
	return number, nil
}

// AllowedDestination refuses numbers that text messages may not go to:
// numbers of no country (satellite phones, international networks), the
// dearest destinations and SMS pumpers' favourites, unless the operator
// allows them (SMSNonGeographic, whatever SMSCountries says); and numbers
// outside the countries the operator allows. The refusal's Err is a
// *DestinationRefusal.
func (r Rules) AllowedDestination(e164 string) error {
	if phone.NonGeographic(e164) {
		if r.SMSNonGeographic {
			return nil
		}
		return &Error{Kind: KindInvalidInput, Field: "phone",
			Err:     &DestinationRefusal{Reason: "non-geographic number", Detail: "non-geographic number " + phone.CallingCode(e164)},
			Message: "This portal does not send text messages to satellite phones or other numbers that belong to no country. Use a mobile number from a country, or ask your administrator."}
	}
	if len(r.SMSCountries) == 0 {
		return nil
	}
	region := phone.Region(e164)
	for _, c := range r.SMSCountries {
		if strings.EqualFold(c, region) {
			return nil
		}
	}
	return &Error{Kind: KindInvalidInput, Field: "phone",
		Err:     &DestinationRefusal{Reason: "country not allowed", Detail: "country not allowed: " + region},
		Message: "This portal cannot send text messages to numbers in that country. Use a mobile number from " + strings.Join(r.SMSCountries, ", ") + ", or ask your administrator."}
}

// DestinationRefusal says, for the metrics and the audit log, why
// AllowedDestination refused a number; it is never shown.
type DestinationRefusal struct {
	Reason string // the metrics' label: "country not allowed", "non-geographic number"
	Detail string // the audit record's: "country not allowed: FR"
}

func (d *DestinationRefusal) Error() string { return d.Detail }

// MFARequired reports whether u must pass the code step at now, given the
// portal-wide policy. Administrators always must: their accounts can change
// everyone else's protection. For others, a temporary disable by an
// administrator wins while it lasts; then the per-user override; then the
// portal policy.
func MFARequired(u *store.User, portalRequires bool, now time.Time) bool {
	if u.Admin {
		return true
	}
	if !u.MFADisabledUntil.IsZero() && now.Before(u.MFADisabledUntil) {
		return false
	}
	switch u.MFA {
	case store.MFARequired:
		return true
	case store.MFAExempt:
		return false
	}
	return portalRequires
}
