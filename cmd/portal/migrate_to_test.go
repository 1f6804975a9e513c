package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/migrateto"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/testlog"
)

// TestMigrateTo moves a practice's SQLite database, made by the real
// services, to PostgreSQL with `portal migrate-to`, and carries on there:
// every user, phone, setting and audit entry arrived, passwords work, a
// login begun on SQLite finishes on PostgreSQL, a message queued on SQLite
// goes out, and new rows get new ids.
func TestMigrateTo(t *testing.T) {
	t.Parallel()
	pg := pgtest.NewDatabase(t) // first: it skips without a server
	ctx := t.Context()
	key := randomHex(t, 32)
	path := filepath.Join(t.TempDir(), "portal.db")
	env := map[string]string{"PORTAL_DATABASE_URL": path, "PORTAL_SECRET_KEY": key}
	getenv := func(k string) string { return env[k] }

	// The practice on SQLite: an administrator, providers with phones, the
	// MFA policy, a password reset link, a wrong password, a login half
	// done, and a notice still queued.
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	lite := &App{Config: cfg, Log: newLogger(cfg, new(testlog.Buffer))}
	if err := lite.OpenServices(ctx); err != nil {
		t.Fatal(err)
	}
	op := admin.Operator()
	account := func(email, name, phone string, isAdmin bool) *store.User {
		t.Helper()
		u, err := lite.Login.CreateAccount(ctx, login.NewAccount{Email: email, Name: name, Password: e2ePassword, Admin: isAdmin}, login.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if phone != "" {
			if err := lite.Admin.SetPhone(ctx, op, u.ID, phone, "moving the practice"); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	account("alice@example.org", "Alice Admin", "+447546000001", true)
	account("grace@example.org", "Grace Hopper", "+447546123456", false)
	account("florence@example.org", "Florence Nightingale", "+447546654321", false)
	ada := account("ada@example.org", "Ada Lovelace", "", false)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(lite.Admin.SetPortalMFA(ctx, op, true, "as always"))
	must(lite.Admin.SendPasswordReset(ctx, op, ada.ID, "first password"))
	if _, _, err := lite.Login.Login(ctx, "florence@example.org", "not her password", login.Client{IP: "192.0.2.7"}); err == nil {
		t.Fatal("a wrong password logged in")
	}
	sess, _, err := lite.Login.Login(ctx, "grace@example.org", e2ePassword, login.Client{IP: "192.0.2.8"})
	must(err)
	lite.Login.Wait()
	var code string
	for _, m := range lite.Outbox.Messages() {
		if m.To == "+447546123456" {
			code = twiliotest.ExtractCode(m.Body)
		}
	}
	if sess.Stage != store.StageCode || code == "" {
		t.Fatalf("login on SQLite: stage %s, code %q", sess.Stage, code)
	}
	// Queued and not kicked: no dispatcher sends it before the move.
	must(lite.Dispatch.Queue(ctx, &store.Message{UserID: ada.ID, Channel: store.ChannelEmail, To: "ada@example.org", CreatedAt: time.Now()},
		dispatch.Content{Subject: "Queued before the move", Text: "This notice waited in the SQLite outbox."}))
	must(lite.Close())

	// The move.
	var out, errOut bytes.Buffer
	start := time.Now()
	if err := run(ctx, []string{"migrate-to", "--database-url", pg.URL}, getenv, nil, &out, &errOut); err != nil {
		t.Fatalf("migrate-to: %v\n%s", err, errOut.String())
	}
	took := time.Since(start)
	t.Logf("portal migrate-to took %v:\n%s", took.Round(time.Millisecond), out.String())
	printed := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^  (\w+) +(\d+)$`).FindAllStringSubmatch(out.String(), -1) {
		printed[m[1]], _ = strconv.Atoi(m[2])
	}
	for _, table := range migrateto.Tables {
		if _, ok := printed[table]; !ok {
			t.Errorf("migrate-to printed no count for %s", table)
		}
	}
	for table, want := range map[string]int{"users": 4, "sessions": 1, "challenges": 1, "settings": 1, "tokens": 1} {
		if printed[table] != want {
			t.Errorf("migrate-to copied %d rows of %s, want %d", printed[table], table, want)
		}
	}

	// Everything arrived as it was.
	from, err := sqlite.Open(ctx, path)
	must(err)
	defer from.Close()
	to, err := postgres.Open(ctx, pg.URL)
	must(err)
	liteUsers, err := from.ListUsers(ctx, store.UserQuery{Limit: 100})
	must(err)
	var maxUser int64
	for _, lu := range liteUsers {
		u, err := to.UserByEmail(ctx, lu.Email)
		must(err)
		if !reflect.DeepEqual(*u, lu) {
			t.Errorf("user %s:\nPostgreSQL %+v\nSQLite     %+v", lu.Email, *u, lu)
		}
		maxUser = max(maxUser, lu.ID)
	}
	liteAudit, err := from.ListAudit(ctx, store.AuditQuery{Limit: 1000})
	must(err)
	pgAudit, err := to.ListAudit(ctx, store.AuditQuery{Limit: 1000})
	must(err)
	if len(liteAudit) == 0 || !reflect.DeepEqual(liteAudit, pgAudit) || printed["audit_events"] != len(liteAudit) {
		t.Errorf("audit log: SQLite %d events, PostgreSQL %d, printed %d; equal: %v",
			len(liteAudit), len(pgAudit), printed["audit_events"], reflect.DeepEqual(liteAudit, pgAudit))
	}
	if v, ok, err := to.Setting(ctx, login.SettingMFAPolicy); err != nil || !ok || v != "required" {
		t.Errorf("MFA policy on PostgreSQL: %q, %v (%v)", v, ok, err)
	}
	to.Close()

	// The portal on PostgreSQL, with the same key.
	c := startCluster(t, pg.URL, 1, clusterEnv{"PORTAL_SECRET_KEY", key})
	p := c.Portals[0]
	if m := p.email(t, "ada@example.org"); m.Subject != "Queued before the move" {
		t.Errorf("the notice queued on SQLite arrived as %q", m.Subject)
	}
	// Grace's login goes on where it stopped: same cookie, same code.
	grace := newHTTPClient(t, p.BaseURL)
	base, _ := url.Parse(p.BaseURL)
	grace.c.Jar.SetCookies(base, []*http.Cookie{{Name: "portal_session", Value: sess.Token, Path: "/"}})
	grace.step("the code begun on SQLite", "POST", "/login/code", codeForm(code), 303, "/")
	grace.step("the home page", "GET", "/", nil, 200, "", "Welcome, Grace Hopper")
	// Florence's password hash arrived: she logs in, code and all.
	florence := newHTTPClient(t, p.BaseURL)
	florence.step("Florence's password on PostgreSQL", "POST", "/login", loginForm("florence@example.org", e2ePassword), 303, "/login/code")
	florence.step("Florence's code", "POST", "/login/code", codeForm(p.smsCode(t, "+447546654321")), 303, "/")

	// New rows get ids above the copied ones.
	if id := p.createUser(t, "new@example.org", "New Provider", ""); id <= maxUser {
		t.Errorf("a new user got id %d, not above the copied %d", id, maxUser)
	}
	newest, err := p.App.DB.ListAudit(ctx, store.AuditQuery{Limit: 1})
	must(err)
	if len(newest) == 0 || newest[0].ID <= liteAudit[0].ID {
		t.Errorf("the newest audit event %+v is not above the copied %d", newest, liteAudit[0].ID)
	}

	// Once only: the target has users now.
	out.Reset()
	err = run(ctx, []string{"migrate-to", "--database-url", pg.URL}, getenv, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "already has 5 users") {
		t.Errorf("migrate-to into a database with users: %v", err)
	}
}

// TestMigrateToRefuses: the source must be an existing SQLite database and
// the target a PostgreSQL URL.
func TestMigrateToRefuses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	missing := filepath.Join(t.TempDir(), "missing.db")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no target", map[string]string{"PORTAL_DATABASE_URL": missing}, []string{}, "usage"},
		{"target not PostgreSQL", map[string]string{"PORTAL_DATABASE_URL": missing}, []string{"--database-url", "other.db"}, "must be a PostgreSQL URL"},
		{"source PostgreSQL", map[string]string{"PORTAL_DATABASE_URL": "postgres://db.example.org/portal", "PORTAL_SECRET_KEY": strings.Repeat("ab", 32)},
			[]string{"--database-url", "postgres://db.example.org/other"}, "must name the SQLite database"},
		{"no source", map[string]string{"PORTAL_DATABASE_URL": missing}, []string{"--database-url", "postgres://db.example.org/other"}, "no SQLite database to copy"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"migrate-to"}, tt.args...), func(k string) string { return tt.env[k] }, nil, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("migrate-to made a SQLite database where there was none")
	}
}
