package postgres_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/storetest"
)

// open opens a store on url and closes it when t ends.
func open(t *testing.T, url string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// TestMain drops the database that the conformance suites share.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestConformance runs the suite, each of its tests on a schema of its own
// in the package's shared database: a new one, or one whose test has ended,
// emptied (migrating a new schema for each of a hundred tests would take a
// minute).
func TestConformance(t *testing.T) {
	d := pgtest.Shared(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, d.ReusedSchema(t))
	})
}

// migrationCount is the number of migration files in the source tree.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files (%v)", err)
	}
	return len(files)
}

func TestMigrationNames(t *testing.T) {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if want := fmt.Sprintf("%04d_", i+1); !strings.HasPrefix(filepath.Base(f), want) {
			t.Errorf("migration %s should start with %s: numbered from 1, without gaps", filepath.Base(f), want)
		}
	}
}

func TestMigrate(t *testing.T) {
	d := pgtest.NewDatabase(t)
	db := open(t, d.NewSchema(t))
	v, err := db.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); v != want {
		t.Errorf("Version = %d after Open, want %d (one per migration file)", v, want)
	}
	n, err := db.Migrate(t.Context())
	if err != nil || n != 0 {
		t.Errorf("Migrate on a migrated database = %d, %v; want 0, nil", n, err)
	}
	if v2, err := db.Version(t.Context()); err != nil || v2 != v {
		t.Errorf("Version = %d, %v after a second Migrate, want %d", v2, err, v)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "mfa_policy", "required"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(t, url)
	got, err := db.UserByEmail(ctx, "ann@example.org")
	if err != nil || got.ID != u.ID || got.Name != "Ann" || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("after reopening: UserByEmail = %+v, %v; want %+v", got, err, u)
	}
	if v, ok, err := db.Setting(ctx, "mfa_policy"); err != nil || !ok || v != "required" {
		t.Errorf("after reopening: Setting = %q, %t, %v", v, ok, err)
	}
}

// TestConcurrentOpen starts several instances on a new schema at once:
// each migration is applied exactly once (a second application would fail
// on tables that exist), under the advisory lock.
func TestConcurrentOpen(t *testing.T) {
	d := pgtest.NewDatabase(t)
	for round := range 3 {
		url := d.NewSchema(t)
		const n = 4
		dbs := make([]*postgres.DB, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				db, err := postgres.Open(t.Context(), url)
				if err != nil {
					t.Errorf("round %d: Open: %v", round, err)
					return
				}
				dbs[i] = db
			})
		}
		wg.Wait()
		for _, db := range dbs {
			if db == nil {
				continue
			}
			if v, err := db.Version(t.Context()); err != nil || v != migrationCount(t) {
				t.Errorf("round %d: Version = %d, %v; want %d", round, v, err, migrationCount(t))
			}
			db.Close()
		}
		conn := connect(t, url)
		var rows, distinct int
		err := conn.QueryRow(t.Context(),
			`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct)
		if err != nil || rows != migrationCount(t) || distinct != rows {
			t.Errorf("round %d: schema_migrations has %d rows, %d versions (%v); want %d", round, rows, distinct, err, migrationCount(t))
		}
	}
}

// connect opens a plain connection, closed when t ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(t.Context()) })
	return conn
}

// twoInstances opens two DBs on one fresh schema, as two portal processes
// sharing a database would.
func twoInstances(t *testing.T) [2]*postgres.DB {
	url := pgtest.NewDatabase(t).NewSchema(t)
	return [2]*postgres.DB{open(t, url), open(t, url)}
}

// TestTwoInstances spreads concurrent calls over two DBs: counters stay
// exact and a code is used once.
func TestTwoInstances(t *testing.T) {
	ctx := t.Context()
	dbs := twoInstances(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for round := range 5 {
		c := &store.Challenge{
			UserID: u.ID, AttemptID: fmt.Sprint("a", round), Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
			Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
		}
		if err := dbs[1].IssueChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		// A code that the n wrong ones below use up exactly.
		w := &store.Challenge{
			UserID: u.ID, AttemptID: fmt.Sprint("w", round), Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
			Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
		}
		if err := dbs[0].IssueChallenge(ctx, w); err != nil {
			t.Fatal(err)
		}
		tok := &store.Token{Hash: []byte(fmt.Sprint("tok", round)), UserID: u.ID, Purpose: store.TokenPasswordReset,
			CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := dbs[0].CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		var consumed, used atomic.Int32
		start := make(chan struct{})
		for i := range n {
			db := dbs[i%2]
			wg.Go(func() {
				<-start
				if _, err := db.AddThrottleFailure(ctx, "k", at, at.Add(-time.Hour), nil); err != nil {
					t.Errorf("AddThrottleFailure: %v", err)
				}
				if r, err := db.CountWrongCode(ctx, store.WrongCode{ChallengeID: w.ID, MaxTries: n, At: at}); err != nil || !r.Counted {
					t.Errorf("CountWrongCode = %+v, %v; want counted", r, err)
				}
				ok, err := db.ConsumeChallenge(ctx, c.ID, at)
				if err != nil {
					t.Errorf("ConsumeChallenge: %v", err)
				}
				if ok {
					consumed.Add(1)
				}
				_, err = db.UseToken(ctx, tok.Hash, tok.Purpose, at)
				switch {
				case err == nil:
					used.Add(1)
				case !errors.Is(err, store.ErrNotFound):
					t.Errorf("UseToken: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()

		want := n * (round + 1)
		if th, err := dbs[0].Throttle(ctx, "k"); err != nil || th.Failures != want {
			t.Errorf("round %d: Throttle = %+v, %v; want %d failures", round, th, err, want)
		}
		if got, err := dbs[1].UserByID(ctx, u.ID); err != nil || got.CodeFailures != want {
			t.Errorf("round %d: CodeFailures = %d, %v; want %d", round, got.CodeFailures, err, want)
		}
		if consumed.Load() != 1 || used.Load() != 1 {
			t.Errorf("round %d: challenge consumed %d times, token used %d times; want 1 and 1", round, consumed.Load(), used.Load())
		}
	}
}

// TestTwoInstancesIssueChallenge resends a code from both instances at
// once: one challenge stays usable.
func TestTwoInstancesIssueChallenge(t *testing.T) {
	ctx := t.Context()
	dbs := twoInstances(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const n = 10
	for round := range 5 {
		cs := make([]*store.Challenge, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			cs[i] = &store.Challenge{
				UserID: u.ID, AttemptID: fmt.Sprint("a", round), Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
				Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: at.Add(time.Duration(i) * time.Second),
				ExpiresAt: at.Add(time.Hour),
			}
			wg.Go(func() {
				<-start
				if err := dbs[i%2].IssueChallenge(ctx, cs[i]); err != nil {
					t.Errorf("IssueChallenge: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		usable := 0
		for _, c := range cs {
			ok, err := dbs[0].ConsumeChallenge(ctx, c.ID, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				usable++
			}
		}
		if usable != 1 {
			t.Errorf("round %d: %d of %d concurrently issued challenges usable, want 1", round, usable, n)
		}
	}
}

// TestTwoInstancesLastAdmin demotes the last two administrators at once
// through two DBs on one schema: one of the two is refused.
func TestTwoInstancesLastAdmin(t *testing.T) {
	ctx := t.Context()
	dbs := twoInstances(t)
	var ids []int64
	for _, email := range []string{"a@example.org", "b@example.org"} {
		u := &store.User{Email: email, Admin: true, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if err := dbs[0].CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	demote := []func(db *postgres.DB, id int64) error{
		func(db *postgres.DB, id int64) error { return db.SetDeactivated(ctx, id, true) },
		func(db *postgres.DB, id int64) error { return db.SetAdmin(ctx, id, false) },
	}
	for round := range 20 {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				errs[i] = demote[(round+i)%2](dbs[i], ids[i])
			})
		}
		close(start)
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d: demotion: %v", round, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of 2 demotions refused, want 1", round, refused)
		}
		for _, id := range ids {
			if err := dbs[1].SetDeactivated(ctx, id, false); err != nil {
				t.Fatal(err)
			}
			if err := dbs[0].SetAdmin(ctx, id, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAuditIsAppendOnly checks that the database itself refuses to change
// or remove audit entries, whoever connects.
func TestAuditIsAppendOnly(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	if err := db.AppendAudit(ctx, &store.AuditEvent{Time: time.Now(), Event: "login", Outcome: "success"}); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	for _, q := range []string{
		`UPDATE audit_events SET outcome = 'failure'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
	} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	events, err := db.AuditForUser(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Outcome != "success" {
		t.Fatalf("audit log after the attempts: %+v", events)
	}
}

// TestStoredValues checks that values are stored as the SQLite store stores
// them (unix milliseconds, NULL for the zero time), so that the two hold
// the same data.
func TestStoredValues(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var created int64
	var lastLogin *int64
	err := connect(t, url).QueryRow(ctx,
		`SELECT created_at, last_login_at FROM users WHERE id = $1`, u.ID).Scan(&created, &lastLogin)
	if err != nil || created != at.UnixMilli() || lastLogin != nil {
		t.Errorf("stored created_at, last_login_at = %d, %v (%v); want %d, NULL", created, lastLogin, err, at.UnixMilli())
	}
}

// TestOpenBadURL checks that a URL that cannot be parsed is refused
// without repeating its password.
func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://u:secret-pw@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("Open(bad URL) = %v; want an error without the password", err)
	}
}

func TestConnectTimeoutDefault(t *testing.T) {
	// A database host that silently drops packets must not hold requests
	// for minutes: new connections give up after the default.
	cfg, err := postgres.PoolConfig("postgres://u@127.0.0.1:1/db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != postgres.DefaultConnectTimeout {
		t.Fatalf("connect timeout %v, want %v", cfg.ConnConfig.ConnectTimeout, postgres.DefaultConnectTimeout)
	}
	cfg, err = postgres.PoolConfig("postgres://u@127.0.0.1:1/db?connect_timeout=2")
	if err != nil || cfg.ConnConfig.ConnectTimeout.Seconds() != 2 {
		t.Fatalf("the URL's connect_timeout was not kept: %v, %v", cfg.ConnConfig.ConnectTimeout, err)
	}
}

func FuzzListUsers(f *testing.F) {
	d := pgtest.NewDatabase(f)
	db, err := postgres.Open(f.Context(), d.NewSchema(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	storetest.FuzzListUsers(f, db)
}

// TestMigrationSessionCodeAt: migration 0007 gives the sessions that had
// proved a code, before it kept when, the time they were created (never
// fresher than they are), and the others none.
func TestMigrationSessionCodeAt(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	u := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: time.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, ss := range []*store.Session{
		{TokenHash: []byte("with code"), UserID: u.ID, Stage: store.StageFull, MFA: true, CreatedAt: created, LastSeenAt: created.Add(time.Hour), AuthenticatedAt: created.Add(time.Hour)},
		{TokenHash: []byte("password only"), UserID: u.ID, Stage: store.StageFull, CreatedAt: created, LastSeenAt: created, AuthenticatedAt: created},
	} {
		if err := db.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	// Back to version 6, sessions as they were then (PostgreSQL migrates
	// from its highest version, so the later migrations are undone too);
	// then migrate.
	conn := connect(t, url)
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN code_at`,
		`DROP TABLE oidc_logouts, oidc_tokens, oidc_auth_requests, oidc_keys, applications`,
		`DROP INDEX messages_overview, challenges_overview, audit_events_overview`,
		`DELETE FROM schema_migrations WHERE version >= 7`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n, err := db.Migrate(ctx); err != nil || n != migrationCount(t)-6 {
		t.Fatalf("Migrate = %d, %v", n, err)
	}
	for token, want := range map[string]time.Time{"with code": created, "password only": {}} {
		ss, err := db.SessionByHash(ctx, []byte(token))
		if err != nil || !ss.CodeAt.Equal(want) {
			t.Errorf("%s: CodeAt %v (%v), want %v", token, ss.CodeAt, err, want)
		}
	}
}

// TestOverviewAtScale times the Overview at PORTAL_OVERVIEW_SCALE messages
// (storetest.OverviewAtScale); skipped unless it is set.
func TestOverviewAtScale(t *testing.T) {
	n := storetest.OverviewScale(t)
	url := pgtest.NewDatabase(t).NewSchema(t)
	db := open(t, url)
	conn := connect(t, url)
	storetest.OverviewAtScale(t, db, n, func(q string) error {
		_, err := conn.Exec(t.Context(), q)
		return err
	}, storetest.ScaleDialect{Blob: `'\x00'::bytea`, Analyze: `VACUUM ANALYZE`})
}
