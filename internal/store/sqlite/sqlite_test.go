package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/store/storetest"
)

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "portal.db"))
	})
}

func TestMessagesConformance(t *testing.T) {
	storetest.RunMessages(t, func(t *testing.T) storetest.MessageStore {
		return open(t, filepath.Join(t.TempDir(), "portal.db"))
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

func TestMigrate(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "portal.db"))
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
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sqlite.Open(ctx, path)
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
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = open(t, path)
	got, err := db.UserByEmail(ctx, "ann@example.org")
	if err != nil || got.ID != u.ID || got.Name != "Ann" || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("after reopening: UserByEmail = %+v, %v; want %+v", got, err, u)
	}
	if v, ok, err := db.Setting(ctx, "mfa_policy"); err != nil || !ok || v != "required" {
		t.Errorf("after reopening: Setting = %q, %t, %v", v, ok, err)
	}
	if v, err := db.Version(ctx); err != nil || v != migrationCount(t) {
		t.Errorf("after reopening: Version = %d, %v", v, err)
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared", "portal.db?mode=ro"} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db := open(t, path)
	// WAL mode keeps its log next to the database.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
	// Foreign keys are enforced: no session for a user who does not exist.
	err := db.CreateSession(t.Context(), &store.Session{
		TokenHash: []byte("hash"), UserID: 999, Stage: store.StageFull,
		CreatedAt: time.Unix(1e9, 0), LastSeenAt: time.Unix(1e9, 0),
	})
	if err == nil {
		t.Error("CreateSession for a missing user succeeded; foreign keys are off")
	}
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

// TestTwoInstances runs two DBs on one file, as two portal processes would:
// the write lock, not the single write connection, keeps counts exact.
func TestTwoInstances(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	dbs := []*sqlite.DB{open(t, path), open(t, path)}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := &store.Challenge{
		UserID: u.ID, AttemptID: "a", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
	}
	if err := dbs[1].IssueChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	const n = 40
	// A code that the n wrong ones below use up exactly.
	w := &store.Challenge{
		UserID: u.ID, AttemptID: "w", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
	}
	if err := dbs[0].IssueChallenge(ctx, w); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var consumed atomic.Int32
	for i := range n {
		db := dbs[i%2]
		wg.Go(func() {
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
		})
	}
	wg.Wait()

	if th, err := dbs[0].Throttle(ctx, "k"); err != nil || th.Failures != n {
		t.Errorf("Throttle = %+v, %v; want %d failures", th, err, n)
	}
	if got, err := dbs[1].UserByID(ctx, u.ID); err != nil || got.CodeFailures != n {
		t.Errorf("CodeFailures = %d, %v; want %d", got.CodeFailures, err, n)
	}
	if consumed.Load() != 1 {
		t.Errorf("challenge consumed %d times, want 1", consumed.Load())
	}
}

// TestTwoInstancesClaimMessages claims messages through two DBs on one
// file, as two portal processes' dispatchers would: each message goes to
// exactly one claimer.
func TestTwoInstancesClaimMessages(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	dbs := []*sqlite.DB{open(t, path), open(t, path)}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var ids []int64
	for i := range n {
		m := &store.Message{UserID: u.ID, Channel: store.ChannelSMS, To: fmt.Sprintf("+155555501%02d", i),
			Sealed: []byte("sealed"), CreatedAt: at.Add(time.Duration(i) * time.Millisecond)}
		if err := dbs[i%2].EnqueueMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	storetest.ClaimEachOnce(t, []store.Messages{dbs[0], dbs[1]}, 20, at.Add(time.Minute), ids)
}

// TestConcurrentOpen starts several instances on a new file at once: each
// migration is applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	const n = 4
	dbs := make([]*sqlite.DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open: %v", err)
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
			t.Errorf("Version = %d, %v; want %d", v, err, migrationCount(t))
		}
		db.Close()
	}
}

// TestTwoInstancesLastAdmin demotes the last two administrators at once
// through two DBs on one file: the check and the change share a write
// transaction, so one of the two is refused.
func TestTwoInstancesLastAdmin(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "portal.db")
	dbs := []*sqlite.DB{open(t, path), open(t, path)}
	var ids []int64
	for _, email := range []string{"a@example.org", "b@example.org"} {
		u := &store.User{Email: email, Admin: true, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if err := dbs[0].CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	for round := range 10 {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { errs[i] = dbs[i].SetDeactivated(ctx, ids[i], true) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d: SetDeactivated: %v", round, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of 2 demotions refused, want 1", round, refused)
		}
		for _, id := range ids {
			if err := dbs[1].SetDeactivated(ctx, id, false); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAuditIsAppendOnly checks that the database itself refuses to change
// or remove audit entries, whoever connects.
func TestAuditIsAppendOnly(t *testing.T) {
	ctx := t.Context()
	path := t.TempDir() + "/p.db"
	db := open(t, path)
	if err := db.AppendAudit(ctx, &store.AuditEvent{Time: time.Now(), Event: "login", Outcome: "success"}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`UPDATE audit_events SET outcome = 'failure'`,
		`DELETE FROM audit_events`,
	} {
		if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
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

func FuzzListUsers(f *testing.F) {
	db, err := sqlite.Open(f.Context(), filepath.Join(f.TempDir(), "portal.db"))
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
	path := t.TempDir() + "/p.db"
	db := open(t, path)
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
	// Migration 7 undone, sessions as they were before it; then migrate.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN code_at`, `DELETE FROM schema_migrations WHERE version = 7`} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n, err := db.Migrate(ctx); err != nil || n != 1 {
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
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	storetest.OverviewAtScale(t, db, n, func(q string) error {
		_, err := raw.ExecContext(t.Context(), q)
		return err
	}, storetest.ScaleDialect{Blob: `x'00'`}) // the portal never runs ANALYZE on SQLite
}
