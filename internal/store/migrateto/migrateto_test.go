package migrateto_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/migrateto"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlite"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fill puts rows in every table of s, through the store, and returns the
// users it made.
func fill(t *testing.T, s store.Store) []*store.User {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var users []*store.User
	for i := range 3 {
		u := &store.User{Email: fmt.Sprintf("user%d@example.org", i), Name: fmt.Sprintf("User %d", i),
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", Admin: i == 0, CreatedAt: t0}
		must(s.CreateUser(ctx, u))
		users = append(users, u)
	}
	must(s.SetPhone(ctx, users[1].ID, "+447546123456"))
	must(s.SetMFADisabledUntil(ctx, users[2].ID, t0.Add(time.Hour)))
	must(s.SetDeactivated(ctx, users[2].ID, true))
	must(s.RecordLogin(ctx, users[1].ID, t0.Add(time.Minute)))
	must(s.CreateSession(ctx, &store.Session{TokenHash: bytes.Repeat([]byte{1}, 32), UserID: users[1].ID,
		Stage: store.StageFull, AttemptID: "a1", CreatedAt: t0, LastSeenAt: t0, AuthenticatedAt: t0, IP: "192.0.2.1", UserAgent: "Test"}))
	c := &store.Challenge{UserID: users[1].ID, AttemptID: "a1", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: "+447546123456", CodeHash: []byte("hash"), CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	m := &store.Message{UserID: users[1].ID, Channel: store.ChannelSMS, To: "+447546123456", Sealed: []byte("sealed"), CreatedAt: t0}
	must(s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}))
	_, err := s.ConsumeChallenge(ctx, c.ID, t0.Add(time.Minute))
	must(err)
	must(s.EnqueueMessage(ctx, &store.Message{UserID: users[0].ID, Channel: store.ChannelEmail, To: "user0@example.org", Sealed: []byte("notice"), CreatedAt: t0}))
	_, err = s.AddThrottleFailure(ctx, "password:account:user2@example.org", t0, t0.Add(-time.Hour), func(int) time.Time { return t0.Add(time.Hour) })
	must(err)
	for i := range 7 {
		must(s.AppendAudit(ctx, &store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Second), Event: "login.password",
			Outcome: "success", ActorID: users[1].ID, SubjectID: users[1].ID, IP: "192.0.2.1", Detail: fmt.Sprint(i)}))
	}
	// A login, which the Overview's tallies count.
	must(s.AppendAudit(ctx, &store.AuditEvent{Time: t0.Add(8 * time.Second), Event: "login", Outcome: "success", SubjectID: users[1].ID}))
	must(s.SetSetting(ctx, "mfa_policy", "required"))
	must(s.SetSetupToken(ctx, []byte("setup")))
	must(s.CreateToken(ctx, &store.Token{Hash: []byte("reset"), UserID: users[0].ID, Purpose: store.TokenPasswordReset,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(s.CreateApplication(ctx, &store.Application{ClientID: "client", Name: "Rota", SecretHash: []byte("secret"),
		RedirectURIs: []string{"https://rota.example.org/cb"}, BackchannelLogoutURI: "https://rota.example.org/logout", AdminsOnly: true, CreatedAt: t0}))
	must(s.CreateAuthRequest(ctx, &store.AuthRequest{ID: "req", ClientID: "client", Params: "{}", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(s.CompleteAuthRequest(ctx, "req", users[1].ID, t0, []string{"pwd", "sms"}, t0))
	must(s.SetAuthCode(ctx, "req", []byte("code"), t0.Add(time.Hour)))
	must(s.IssueTokens(ctx, store.TokenIssue{At: t0, AuthRequestID: "req", CodeHash: []byte("code"), Tokens: []*store.OIDCToken{{
		Hash: []byte("access"), Kind: store.TokenAccess, Family: "req", ClientID: "client", UserID: users[1].ID,
		Scopes: []string{"openid"}, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}}}))
	if _, err := s.EndOIDCSessions(ctx, users[1].ID, "sub", t0.Add(time.Minute)); err != nil { // a back-channel logout queued
		t.Fatal(err)
	}
	must(s.AddSigningKey(ctx, &store.SigningKey{ID: "k1", Algorithm: "RS256", Sealed: []byte("sealed"), CreatedAt: t0, UseFrom: t0, ExpiresAt: t0.Add(time.Hour)}))
	return users
}

func openSQLite(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func openPostgres(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCopy copies a database with rows in every table and compares every
// row, column by column.
func TestCopy(t *testing.T) {
	pgURL := pgtest.NewDatabase(t).NewSchema(t) // first: it skips without a server
	lite, path := openSQLite(t)
	users := fill(t, lite)
	// An id that AUTOINCREMENT gave out and whose row is gone is not given
	// out again; neither may PostgreSQL.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE sqlite_sequence SET seq = 100 WHERE name = 'audit_events'`); err != nil {
		t.Fatal(err)
	}

	pg := openPostgres(t, pgURL)
	if err := pg.SetSetupToken(t.Context(), []byte("a portal started here once")); err != nil {
		t.Fatal(err)
	}
	counts, err := migrateto.Copy(t.Context(), lite.ReadOnly(), pg.Pool())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"users": 3, "sessions": 1, "challenges": 1, "throttles": 1, "audit_events": 8,
		"settings": 1, "setup_token": 1, "tokens": 1, "messages": 2, "overview_events": 1, "schema_migrations": 0}
	for i, c := range counts {
		if c.Table != migrateto.Tables[i] {
			t.Errorf("count %d is of %s, want %s", i, c.Table, migrateto.Tables[i])
		}
		if w := want[c.Table]; w != 0 && c.Rows != w {
			t.Errorf("%s: %d rows copied, want %d", c.Table, c.Rows, w)
		}
	}
	if len(counts) != len(migrateto.Tables) {
		t.Errorf("counts of %d tables, want %d", len(counts), len(migrateto.Tables))
	}

	conn, err := pgx.Connect(t.Context(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, table := range migrateto.Tables {
		a, b := sqliteRows(t, raw, table), postgresRows(t, conn, table)
		if len(a) == 0 && table != "schema_migrations" {
			t.Errorf("%s: the test put no rows in it", table)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differs:\nSQLite     %v\nPostgreSQL %v", table, a, b)
		}
	}

	// The store reads what was copied, and new rows get new ids.
	for _, u := range users {
		got, err := pg.UserByEmail(t.Context(), u.Email)
		if err != nil {
			t.Fatal(err)
		}
		lu, _ := lite.UserByID(t.Context(), u.ID)
		if !reflect.DeepEqual(got, lu) {
			t.Errorf("user %s: PostgreSQL %+v, SQLite %+v", u.Email, got, lu)
		}
	}
	u := &store.User{Email: "new@example.org", CreatedAt: t0}
	if err := pg.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if u.ID != users[2].ID+1 {
		t.Errorf("a new user's id is %d, want %d", u.ID, users[2].ID+1)
	}
	e := &store.AuditEvent{Time: t0, Event: "test"}
	if err := pg.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 101 {
		t.Errorf("a new audit event's id is %d, want 101 (SQLite gave out up to 100)", e.ID)
	}

	// Once is all: the target has users now.
	_, err = migrateto.Copy(t.Context(), lite.ReadOnly(), pg.Pool())
	var ne *migrateto.NotEmptyError
	if !errors.As(err, &ne) || ne.Table != "users" || ne.Rows != 4 {
		t.Fatalf("second copy: %v, want the users' refusal", err)
	}
}

// TestCopyRefusesRows: any row but the set-up token makes the target not
// empty, and nothing is copied.
func TestCopyRefusesRows(t *testing.T) {
	pgURL := pgtest.NewDatabase(t).NewSchema(t)
	lite, _ := openSQLite(t)
	fill(t, lite)
	pg := openPostgres(t, pgURL)
	if err := pg.AppendAudit(t.Context(), &store.AuditEvent{Time: t0, Event: "login.password", Outcome: "failure"}); err != nil {
		t.Fatal(err)
	}
	_, err := migrateto.Copy(t.Context(), lite.ReadOnly(), pg.Pool())
	var ne *migrateto.NotEmptyError
	if !errors.As(err, &ne) || ne.Table != "audit_events" || ne.Rows != 1 {
		t.Fatalf("copy into a database with an audit event: %v", err)
	}
	if n, err := pg.CountUsers(t.Context()); err != nil || n != 0 {
		t.Fatalf("after a refused copy PostgreSQL has %d users (%v)", n, err)
	}
}

// sqliteRows reads a table as the values PostgreSQL should hold: booleans
// and applied_at converted.
func sqliteRows(t *testing.T, db *sql.DB, table string) [][]any {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, _ := rows.ColumnTypes()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, ct := range types {
			switch v := vals[i].(type) {
			case int64:
				if ct.DatabaseTypeName() == "BOOLEAN" {
					vals[i] = v != 0
				}
			case string:
				if ct.Name() == "applied_at" {
					at, err := time.Parse(time.RFC3339Nano, v)
					if err != nil {
						t.Fatal(err)
					}
					vals[i] = at.UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
				}
			}
		}
		out = append(out, vals)
	}
	return out
}

func postgresRows(t *testing.T, conn *pgx.Conn, table string) [][]any {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT * FROM `+table+` ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		vals, err := r.Values()
		for i, v := range vals {
			switch v := v.(type) {
			case int32:
				vals[i] = int64(v)
			case time.Time:
				vals[i] = v.UTC()
			}
		}
		return vals, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
