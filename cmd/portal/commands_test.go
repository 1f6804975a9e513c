package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/testlog"
)

func testEnv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	dbPath := t.TempDir() + "/portal.db"
	getenv := testEnv("PORTAL_DATABASE_URL", "sqlite:"+dbPath)
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"user", "create", "--email", "Ann@Example.org", "--name", "Ann Admin", "--admin"},
		getenv, strings.NewReader("correct horse battery staple\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("user create: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "created administrator ann@example.org") {
		t.Fatalf("output: %q", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), "correct horse") {
		t.Fatal("the password was echoed")
	}

	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.UserByEmail(t.Context(), "ann@example.org")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The command hashes with the production parameters.
	if !u.Admin || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("user %+v", u)
	}

	// Plain-words refusals, and nothing half-created.
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"user", "create", "--email", "ann@example.org", "--name", "Again"}, "another long password here\n", "already exists"},
		{[]string{"user", "create", "--email", "bob@example.org", "--name", "Bob"}, "short\n", "at least 12 characters"},
		{[]string{"user", "create", "--email", "bob@example.org", "--name", "Bob"}, "", "no password on standard input"},
	} {
		err := run(t.Context(), tc.args, getenv, strings.NewReader(tc.stdin), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if err := run(t.Context(), []string{"user", "create", "--email", "x@example.org"}, getenv, strings.NewReader("x\n"), io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("missing --name: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dbPath := t.TempDir() + "/portal.db"
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, testEnv("PORTAL_DATABASE_URL", dbPath), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`schema version [1-9]`).MatchString(out.String()) {
		t.Fatalf("output: %q", out.String())
	}
}

func TestBadConfigurationIsExplained(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"serve"}, testEnv("PORTAL_SMS_PROVIDER", "twilio"), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_TWILIO_ACCOUNT_SID") {
		t.Fatalf("serve with twilio but no credentials: %v", err)
	}
}

// TestServeRefusesEmailOutboxWithRealSMS: a portal that sends real text
// messages does not start with its email in the development outbox (reset
// links and codes at /dev/outbox) unless PORTAL_ALLOW_EMAIL_OUTBOX says so.
func TestServeRefusesEmailOutboxWithRealSMS(t *testing.T) {
	t.Parallel()
	// Refused, it returns at once; a portal that started instead stops
	// here and fails the test.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, testEnv(
		"PORTAL_DATABASE_URL", t.TempDir()+"/portal.db",
		"PORTAL_SMS_PROVIDER", "twilio",
		"PORTAL_TWILIO_ACCOUNT_SID", "AC"+strings.Repeat("ab", 16),
		"PORTAL_TWILIO_AUTH_TOKEN", "token",
		"PORTAL_TWILIO_FROM", "+15005550006",
	), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "set PORTAL_SMTP_URL") || !strings.Contains(err.Error(), "PORTAL_ALLOW_EMAIL_OUTBOX=true") {
		t.Fatalf("serve with Twilio and no SMTP: %v; want a refusal that says what to set", err)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"help"}, testEnv(), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"portal serve", "portal migrate", "portal user create", "PORTAL_DATABASE_URL", "PORTAL_TWILIO_API_URL", "PORTAL_SMTP_URL"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("help lacks %s", v)
		}
	}
	if err := run(t.Context(), []string{"frobnicate"}, testEnv(), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestServePrintsSetupLinkOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	out := &testlog.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, testEnv(
			"PORTAL_DATABASE_URL", dir+"/portal.db",
			"PORTAL_ADDR", "127.0.0.1:0",
			"PORTAL_LOG_LEVEL", "error",
		), nil, out, io.Discard)
	}()
	listening := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	link := regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]+)`)
	var addr, token string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			token = link.FindStringSubmatch(out.String())[1]
			break
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("serve did not start: %q, %v", out.String(), <-done)
	}
	resp, err := http.Get("http://" + addr + "/setup?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Create the first administrator") {
		t.Fatalf("set-up link: %d", resp.StatusCode)
	}
	// The code-hash key was created beside the database, private.
	if fi, err := os.Stat(dir + "/portal.db.key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after shutdown: %v", err)
	}
}
