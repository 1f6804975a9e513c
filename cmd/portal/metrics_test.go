package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/metrics/metricstest"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
)

// TestMetrics runs logins, a lockout of each kind, a provider outage, a
// refused country and a password reset through a started portal, and reads
// each of them in /metrics; then it checks that no label holds a code, a
// token, an address, a number or a password.
func TestMetrics(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := startPortal(t, withEnv("PORTAL_METRICS_ADDR", addr), withEnv("PORTAL_SMS_COUNTRIES", "GB"),
		withApp(func(a *App) {
			// Quick hashes; a retry goes out at once; the second wrong
			// password locks an account for a while, the fourth from one
			// address the address, two wrong codes in a row the code step.
			a.Login.Passwords = &password.Hasher{Params: password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, Gauges: a.Metrics}
			a.Dispatch.BackoffBase, a.Dispatch.Poll = 20*time.Millisecond, 20*time.Millisecond
			a.Login.Rules.PasswordFreeAccount = 1
			a.Login.Rules.PasswordFreeIP = 3
			a.Login.Rules.CodeLockAfter = 2
		}))
	p.createUser(t, "mia@example.org", "Mia Metric", "+447546123456")
	p.createUser(t, "cody@example.org", "Cody Wrong", "+447546654321")
	p.createUser(t, "lou@example.org", "Lou Locked", "+447546111222")
	p.createUser(t, "abroad@example.org", "Abe Road", "")
	const newPassword = "violet tractor harbour lantern"
	// What no label may hold; codes and the token are added as they come.
	secrets := []string{e2ePassword, newPassword, "wrong password entirely",
		"mia@example.org", "cody@example.org", "lou@example.org", "abroad@example.org", "nobody@example.org",
		"447546123456", "447546654321", "447546111222", "33612345678", "7546123456"}

	// Mia: a wrong password, the right one, a wrong code and the right
	// one; Twilio is down for the first try of her text message.
	p.Twilio.FailNext(503, 20500, "Service unavailable")
	mia := newHTTPClient(t, p.BaseURL)
	mia.do("POST", "/login", loginForm("mia@example.org", "wrong password entirely"))
	mia.step("password", "POST", "/login", loginForm("mia@example.org", e2ePassword), 303, "/login/code")
	code := p.smsCode(t, "+447546123456")
	secrets = append(secrets, code)
	mia.do("POST", "/login/code", codeForm(wrongCode(code)))
	mia.step("code", "POST", "/login/code", codeForm(code), 303, "/")

	// Cody: the code by email, then two wrong codes lock the code step.
	cody := newHTTPClient(t, p.BaseURL)
	cody.step("password", "POST", "/login", loginForm("cody@example.org", e2ePassword), 303, "/login/code")
	secrets = append(secrets, p.smsCode(t, "+447546654321"))
	cody.do("POST", "/login/code/email", url.Values{})
	emailCode := twiliotest.ExtractCode(p.email(t, "cody@example.org").Text)
	if emailCode == "" {
		t.Fatal("the email has no code")
	}
	secrets = append(secrets, emailCode)
	cody.do("POST", "/login/code", codeForm(wrongCode(emailCode)))
	cody.do("POST", "/login/code", codeForm(wrongCode(emailCode)))

	// Lou: the second wrong password locks the account.
	lou := newHTTPClient(t, p.BaseURL)
	lou.do("POST", "/login", loginForm("lou@example.org", "wrong password entirely"))
	lou.do("POST", "/login", loginForm("lou@example.org", "wrong password entirely"))

	// Abe registers a number in a country text messages may not go to.
	abe := newHTTPClient(t, p.BaseURL)
	abe.do("POST", "/login", loginForm("abroad@example.org", e2ePassword))
	abe.do("POST", "/login/phone", phoneForm("+33612345678"))

	// Mia resets her password with the emailed link.
	mia = newHTTPClient(t, p.BaseURL)
	mia.do("POST", "/forgot-password", url.Values{"email": {"mia@example.org"}})
	link := p.linkPath(t, p.email(t, "mia@example.org"), "/reset-password")
	lu, _ := url.Parse(link)
	token := lu.Query().Get("token")
	if token == "" {
		t.Fatalf("no token in %s", link)
	}
	secrets = append(secrets, token)
	mia.step("reset link", "GET", link, nil, 200, "")
	mia.step("new password", "POST", "/reset-password", url.Values{"token": {token}, "password": {newPassword}}, 303, "/login?m=password-set")

	// Paths no page serves, with a token in them, and a method no page takes.
	mia.step("unknown path", "GET", "/no-such-page/"+token+"?token="+token, nil, 404, "")
	mia.do("BREW", "/login", nil)

	// The fourth wrong password from this address locks the address.
	anon := newHTTPClient(t, p.BaseURL)
	anon.do("POST", "/login", loginForm("nobody@example.org", "wrong password entirely"))
	p.App.Login.Wait()

	var f metricstest.Families
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var ok bool
		f, ok = metricstest.Fetch(t, "http://"+addr+"/metrics")
		if ok && f.Value("portal_messages_final_total", "channel", "sms", "status", "sent") == 2 &&
			f.Value("portal_messages_final_total", "channel", "email", "status", "sent") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages not all final after 5s:\n%s", f.Text)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"portal_login_steps_total", []string{"step", "password", "outcome", "failure"}, 4},
		{"portal_login_steps_total", []string{"step", "password", "outcome", "success"}, 3},
		{"portal_login_steps_total", []string{"step", "code", "outcome", "success"}, 1},
		{"portal_login_steps_total", []string{"step", "code", "outcome", "failure"}, 3},
		{"portal_codes_issued_total", []string{"purpose", "login", "channel", "sms", "country", "GB"}, 2},
		{"portal_codes_issued_total", []string{"purpose", "login", "channel", "email", "country", "none"}, 1},
		{"portal_codes_checked_total", []string{"purpose", "login", "channel", "sms", "country", "GB", "outcome", "wrong"}, 1},
		{"portal_codes_checked_total", []string{"purpose", "login", "channel", "sms", "country", "GB", "outcome", "verified"}, 1},
		{"portal_codes_checked_total", []string{"purpose", "login", "channel", "email", "country", "none", "outcome", "wrong"}, 2},
		{"portal_lockouts_total", []string{"step", "password", "scope", "account"}, 1},
		{"portal_lockouts_total", []string{"step", "password", "scope", "ip"}, 1},
		{"portal_lockouts_total", []string{"step", "code", "scope", "account"}, 1},
		{"portal_delivery_attempts_total", []string{"channel", "sms", "provider", "twilio", "outcome", "unavailable"}, 1},
		{"portal_delivery_attempts_total", []string{"channel", "sms", "provider", "twilio", "outcome", "accepted"}, 2},
		{"portal_delivery_latency_seconds", []string{"channel", "sms", "provider", "twilio"}, 2},
		{"portal_messages_final_total", []string{"channel", "sms", "provider", "twilio", "status", "sent"}, 2},
		{"portal_sms_budget_refusals_total", []string{"budget", "country not allowed"}, 1},
		{"portal_password_hash_slots_in_use", nil, 0},
		{"portal_password_hash_waiting", nil, 0},
		{"portal_http_request_duration_seconds", []string{"route", "/reset-password", "method", "GET", "code", "200"}, 1},
		{"portal_http_request_duration_seconds", []string{"route", "/reset-password", "method", "POST", "code", "303"}, 1},
		{"portal_http_request_duration_seconds", []string{"route", "other", "method", "GET", "code", "404"}, 1},
		{"portal_http_request_duration_seconds", []string{"route", "other", "method", "other"}, 1},
		{"go_sql_max_open_connections", []string{"db_name", "sqlite_write"}, 1},
	} {
		if got := f.Value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"portal_delivery_attempts_total", []string{"channel", "email", "provider", "email", "outcome", "accepted"}},
		{"portal_password_hash_slots", nil},
		{"portal_http_request_duration_seconds", []string{"route", "/login", "method", "POST", "code", "303"}},
		{"portal_http_request_duration_seconds", []string{"route", "/login/code", "method", "POST"}},
		{"go_sql_open_connections", []string{"db_name", "sqlite_read"}},
		{"go_goroutines", nil},
	} {
		if f.Value(c.name, c.labels...) < 1 {
			t.Errorf("%s%v: none", c.name, c.labels)
		}
	}
	// Mia's message waited out Twilio's outage and a backoff.
	if s := f.Sum("portal_delivery_latency_seconds", "channel", "sms", "provider", "twilio"); s < 0.02 {
		t.Errorf("delivery latency sums to %vs, less than the backoff", s)
	}

	// Nothing secret, and no path of a request, in any label.
	f.LabelValues(func(metric, label, value string) {
		for _, s := range secrets {
			if strings.Contains(value, s) {
				t.Errorf("%s{%s=%q} holds %q", metric, label, value, s)
			}
		}
		if label == "route" && value != "other" && (!strings.HasPrefix(value, "/") || strings.ContainsAny(value, "?=")) {
			t.Errorf("%s{route=%q} is not a pattern", metric, value)
		}
	})
	for _, s := range secrets {
		// Six digits may be part of a number; anything else may not
		// appear at all.
		if len(s) != 6 && strings.Contains(f.Text, s) {
			t.Errorf("the metrics show %q", s)
		}
	}
	// Metrics are not on the public address.
	if c, _, _ := mia.do("GET", "/metrics", nil); c != http.StatusNotFound {
		t.Errorf("/metrics on the portal's address: %d", c)
	}
}

// TestMetricsPostgresPool: with PostgreSQL, the metrics read the pool.
func TestMetricsPostgresPool(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	env := map[string]string{
		"PORTAL_DATABASE_URL":       db.NewSchema(t),
		"PORTAL_DATABASE_MAX_CONNS": "3",
		"PORTAL_SECRET_KEY":         randomHex(t, 32),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	app := &App{Config: cfg, Log: slog.New(slog.DiscardHandler)}
	if err := app.OpenServices(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	conn, err := app.DB.(*postgres.DB).Pool().Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f := metricstest.Scrape(t, app.Metrics.Handler())
	conn.Release()
	for name, ok := range map[string]bool{
		"portal_db_pool_max_conns":               f.Value("portal_db_pool_max_conns") == 3,
		"portal_db_pool_acquired_conns":          f.Value("portal_db_pool_acquired_conns") == 1,
		"portal_db_pool_total_conns":             f.Value("portal_db_pool_total_conns") >= 1,
		"portal_db_pool_acquires_total":          f.Value("portal_db_pool_acquires_total") >= 2, // migrations, then ours
		"portal_db_pool_acquire_seconds_total":   f.Value("portal_db_pool_acquire_seconds_total") > 0,
		"portal_db_pool_empty_acquires_total":    f.Value("portal_db_pool_empty_acquires_total") >= 1, // the first found none idle
		"portal_db_pool_idle_conns (present)":    f.ByName["portal_db_pool_idle_conns"] != nil,
		"no SQLite pools on PostgreSQL (go_sql)": f.ByName["go_sql_max_open_connections"] == nil,
	} {
		if !ok {
			t.Errorf("%s is wrong:\n%s", name, f.Text)
		}
	}
}
