package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/config"
)

func TestConfigCommandMasksSecrets(t *testing.T) {
	var out bytes.Buffer
	env := testEnv(
		"PORTAL_DATABASE_URL", "postgres://portal:db-pass-123@db.internal/portal",
		"PORTAL_SECRET_KEY", strings.Repeat("ab", 32),
		"PORTAL_SMS_PROVIDER", "twilio",
		"PORTAL_TWILIO_ACCOUNT_SID", "AC123", "PORTAL_TWILIO_AUTH_TOKEN", "twilio-token-456", "PORTAL_TWILIO_FROM", "+15005550006",
		"PORTAL_SMTP_URL", "smtp://mailer:smtp-pass-789@mail.internal:587",
	)
	if err := run(t.Context(), []string{"config"}, env, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"db-pass-123", strings.Repeat("ab", 32), "twilio-token-456", "smtp-pass-789"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("portal config shows a secret:\n%s", out.String())
		}
	}
	// Every documented variable is shown.
	for _, v := range config.Variables {
		if !strings.Contains(out.String(), v.Name+"=") || strings.Contains(out.String(), "(not shown by portal config)") {
			t.Errorf("portal config lacks %s", v.Name)
		}
	}
	if !strings.Contains(out.String(), "PORTAL_TWILIO_ACCOUNT_SID=AC123") || !strings.Contains(out.String(), "mail.internal:587") {
		t.Errorf("portal config lacks effective values:\n%s", out.String())
	}
	// A configuration with problems says what to fix instead.
	err := run(t.Context(), []string{"config"}, testEnv("PORTAL_SMS_PROVIDER", "carrier-pigeon"), nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_SMS_PROVIDER") {
		t.Fatalf("bad configuration: %v", err)
	}
}
