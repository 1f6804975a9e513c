// Package sqlstoretest holds the tests of an engine package (sqlite,
// postgres) that are the same on both engines: the migrations, instances
// opening one database at once, reopening a database, two instances on one
// database, the append-only audit log.
// storetest checks the methods of a store; these check the engine around
// them. Each engine's test file calls them with its Engine.
package sqlstoretest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
)

// epoch is the tests' fixed time: in UTC, with whole milliseconds.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// DB is an engine's store.
type DB interface {
	store.Store
	Migrate(ctx context.Context) (int, error)
	Version(ctx context.Context) (int, error)
}

// Engine is how the tests reach one engine.
type Engine struct {
	// Fresh returns where a new, empty database is (a file's path, a URL).
	Fresh func(t *testing.T) string
	// Open opens the store at where. It returns its error rather than
	// stopping the test, so that goroutines other than the test's can call
	// it; the caller closes the store, which is only there if the error is
	// nil. Most tests use open.
	Open func(ctx context.Context, where string) (DB, error)
	// Plain opens a plain connection to where, outside the store, closed
	// when t ends.
	Plain func(t *testing.T, where string) *sql.DB
	// AuditWrites are the engine's statements, besides UPDATE and DELETE,
	// that could change the audit log and must be refused.
	AuditWrites []string
}

// Opened is db, which an engine's Open has just returned with err, to be
// closed when t ends: an error opening it stops the test, and one closing
// it fails the test.
func Opened[D io.Closer](t testing.TB, db D, err error) D {
	t.Helper()
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

// open opens the store at where through e, and closes it when t ends.
func open(t *testing.T, e Engine, where string) DB {
	t.Helper()
	db, err := e.Open(t.Context(), where)
	return Opened(t, db, err)
}

// execOn returns a function that runs a statement on a plain connection
// to where, outside the store: one connection for all it runs.
func execOn(t *testing.T, e Engine, where string) func(q string) error {
	plain := e.Plain(t, where)
	return func(q string) error {
		_, err := plain.ExecContext(t.Context(), q)
		return err
	}
}

// Run runs the tests on e, each a subtest.
func Run(t *testing.T, e Engine) {
	t.Run("MigrationNames", MigrationNames)
	for _, c := range []struct {
		name string
		test func(*testing.T, Engine)
	}{
		{"Migrate", Migrate},
		{"ConcurrentOpen", ConcurrentOpen},
		{"ReopenKeepsData", ReopenKeepsData},
		{"AuditIsAppendOnly", AuditIsAppendOnly},
		{"OverviewTalliesMigration", OverviewTalliesMigration},
		{"TwoInstances", TwoInstances},
		{"TwoInstancesIssueChallenge", TwoInstancesIssueChallenge},
		{"TwoInstancesClaimMessages", TwoInstancesClaimMessages},
		{"TwoInstancesLastAdmin", TwoInstancesLastAdmin},
		{"TwoInstancesOverview", TwoInstancesOverview},
		{"MigrationSessionCodeAt", MigrationSessionCodeAt},
		{"MigrationPreviousLogin", MigrationPreviousLogin},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, e) })
	}
}

// MigrationCount is the number of migration files in the source tree of
// the engine's package (the test's working directory).
func MigrationCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files (%v)", err)
	}
	return len(files)
}

// MigrationNames checks that the migrations are numbered from 1, without
// gaps.
func MigrationNames(t *testing.T) {
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

// Migrate checks that Open applies every migration and a second Migrate
// none.
func Migrate(t *testing.T, e Engine) {
	db := open(t, e, e.Fresh(t))
	v, err := db.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := MigrationCount(t); v != want {
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

// ConcurrentOpen starts several instances on a fresh database at once,
// three times: each migration is applied exactly once (a second
// application would fail on tables that exist), under the engine's
// migration lock.
func ConcurrentOpen(t *testing.T, e Engine) {
	want := MigrationCount(t)
	for round := range 3 {
		where := e.Fresh(t)
		const n = 4
		dbs, errs := make([]DB, n), make([]error, n)
		storetest.Concurrently(n, func(i int) { dbs[i], errs[i] = e.Open(t.Context(), where) })
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Open: %v", round, err)
				continue
			}
			if v, err := dbs[i].Version(t.Context()); err != nil || v != want {
				t.Errorf("round %d: Version = %d, %v; want %d", round, v, err, want)
			}
			if err := dbs[i].Close(); err != nil {
				t.Errorf("round %d: Close: %v", round, err)
			}
		}
		var rows, distinct int
		err := e.Plain(t, where).QueryRowContext(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct)
		if err != nil {
			t.Fatal(err)
		}
		if rows != want || distinct != rows {
			t.Errorf("round %d: schema_migrations has %d rows, %d versions; want %d", round, rows, distinct, want)
		}
	}
}

// ReopenKeepsData checks that what one store wrote, another opened on the
// same database later reads.
func ReopenKeepsData(t *testing.T, e Engine) {
	ctx := t.Context()
	where := e.Fresh(t)
	db := open(t, e, where)
	u := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: epoch}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "mfa_policy", "required"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = open(t, e, where)
	got, err := db.UserByEmail(ctx, "ann@example.org")
	if err != nil || got.ID != u.ID || got.Name != "Ann" || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("after reopening: UserByEmail = %+v, %v; want %+v", got, err, u)
	}
	if v, ok, err := db.Setting(ctx, "mfa_policy"); err != nil || !ok || v != "required" {
		t.Errorf("after reopening: Setting = %q, %t, %v", v, ok, err)
	}
	if v, err := db.Version(ctx); err != nil || v != MigrationCount(t) {
		t.Errorf("after reopening: Version = %d, %v", v, err)
	}
}

// OverviewTalliesMigration checks that the migration making the
// Overview's tallies tallies what the tables held before it as the store's
// statements tally it as they go.
func OverviewTalliesMigration(t *testing.T, e Engine) {
	ctx := t.Context()
	where := e.Fresh(t)
	db := open(t, e, where)
	h := storetest.SeedOverview(t, db)
	week := store.OverviewQuery{Since: h.Add(-3 * time.Hour), Bucket: time.Hour, Buckets: 168}
	kept, err := db.Overview(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Retally(t, db, execOn(t, e, where))
	made, err := db.Overview(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Messages) == 0 || len(kept.Codes) == 0 || len(kept.Events) == 0 {
		t.Fatalf("the tallies kept = %+v, want some of each", kept)
	}
	if !reflect.DeepEqual(sorted(made), sorted(kept)) {
		t.Errorf("the migration's tallies =\n%+v\nthe tallies kept\n%+v", made, kept)
	}
}

// sorted is c in one order, which the store's statements do not promise.
func sorted(c *store.OverviewCounts) *store.OverviewCounts {
	slices.SortFunc(c.Messages, func(a, b store.MessageTally) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	slices.SortFunc(c.Codes, func(a, b store.CodeTally) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	slices.SortFunc(c.Events, func(a, b store.EventTally) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return c
}

// twoInstances opens two stores on one fresh database, as two portal
// processes sharing it would.
func twoInstances(t *testing.T, e Engine) [2]DB {
	where := e.Fresh(t)
	return [2]DB{open(t, e, where), open(t, e, where)}
}

// twoInstancesWithAnn is twoInstances with one account, Ann's, created
// at at through the first store.
func twoInstancesWithAnn(t *testing.T, e Engine, at time.Time) ([2]DB, *store.User) {
	t.Helper()
	dbs := twoInstances(t, e)
	u := &store.User{Email: "ann@example.org", CreatedAt: at}
	if err := dbs[0].CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return dbs, u
}

// loginCode is a code by SMS for a login, issued at created and expiring
// an hour after the tests' time, at.
func loginCode(userID int64, attempt string, created time.Time) *store.Challenge {
	at := epoch
	return &store.Challenge{
		UserID: userID, AttemptID: attempt, Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: "+15555550100", CodeHash: []byte("h"), CreatedAt: created, ExpiresAt: at.Add(time.Hour),
	}
}

// TwoInstances spreads concurrent calls over two stores on one database:
// counters stay exact, a code and a link are used once.
func TwoInstances(t *testing.T, e Engine) {
	ctx := t.Context()
	at := epoch
	dbs, u := twoInstancesWithAnn(t, e, at)
	const n = 40
	for round := range 5 {
		r := newInstancesRound(t, dbs, u.ID, round, at)
		consumed, used := r.race(t, dbs, n, at)

		want := n * (round + 1)
		if th, err := dbs[0].Throttle(ctx, "k"); err != nil || th.Failures != want {
			t.Errorf("round %d: Throttle = %+v, %v; want %d failures", round, th, err, want)
		}
		if got, err := dbs[1].UserByID(ctx, u.ID); err != nil || got.CodeFailures != want {
			t.Errorf("round %d: CodeFailures = %d, %v; want %d", round, got.CodeFailures, err, want)
		}
		if consumed != 1 || used != 1 {
			t.Errorf("round %d: challenge consumed %d times, token used %d times; want 1 and 1", round, consumed, used)
		}
	}
}

// instancesRound is what one round of TwoInstances races for: a code to
// consume, a code to get wrong and a link to use.
type instancesRound struct {
	c, w *store.Challenge
	tok  *store.Token
}

// newInstancesRound issues the round's codes and link for userID, through
// both stores.
func newInstancesRound(t *testing.T, dbs [2]DB, userID int64, round int, at time.Time) instancesRound {
	ctx := t.Context()
	c := loginCode(userID, fmt.Sprint("a", round), at)
	if err := dbs[1].IssueChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A code that the n wrong ones of race use up exactly.
	w := loginCode(userID, fmt.Sprint("w", round), at)
	if err := dbs[0].IssueChallenge(ctx, w); err != nil {
		t.Fatal(err)
	}
	tok := &store.Token{Hash: []byte(fmt.Sprint("tok", round)), UserID: userID, Purpose: store.TokenPasswordReset,
		CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := dbs[0].CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	return instancesRound{c: c, w: w, tok: tok}
}

// race has n goroutines, alternately on each store, each count a wrong
// password and a wrong code, and try to consume the code and use the
// link, all at once; it returns how often the code was consumed and the
// link used.
func (r instancesRound) race(t *testing.T, dbs [2]DB, n int, at time.Time) (consumed, used int32) {
	ctx := t.Context()
	var nConsumed, nUsed atomic.Int32
	storetest.Concurrently(n, func(i int) {
		db := dbs[i%2]
		if _, err := db.AddThrottleFailure(ctx, "k", at, at.Add(-time.Hour), nil); err != nil {
			t.Errorf("AddThrottleFailure: %v", err)
		}
		if res, err := db.CountWrongCode(ctx, store.WrongCode{ChallengeID: r.w.ID, MaxTries: n, At: at}); err != nil || !res.Counted {
			t.Errorf("CountWrongCode = %+v, %v; want counted", res, err)
		}
		ok, err := db.ConsumeChallenge(ctx, r.c.ID, at)
		if err != nil {
			t.Errorf("ConsumeChallenge: %v", err)
		}
		if ok {
			nConsumed.Add(1)
		}
		_, err = db.UseToken(ctx, r.tok.Hash, r.tok.Purpose, at)
		switch {
		case err == nil:
			nUsed.Add(1)
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("UseToken: %v", err)
		}
	})
	return nConsumed.Load(), nUsed.Load()
}

// TwoInstancesClaimMessages claims messages through two stores on one
// database, as two portal processes' dispatchers would: each message goes
// to exactly one claimer.
func TwoInstancesClaimMessages(t *testing.T, e Engine) {
	ctx := t.Context()
	at := epoch
	dbs, u := twoInstancesWithAnn(t, e, at)
	for round := range 5 {
		const n = 100
		var ids []int64
		for i := range n {
			m := &store.Message{UserID: u.ID, Channel: store.ChannelSMS, To: fmt.Sprintf("+155555501%02d", i),
				Sealed: []byte("sealed"), CreatedAt: at.Add(time.Duration(i) * time.Millisecond)}
			if err := dbs[i%2].EnqueueMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		now := at.Add(time.Duration(round+1) * time.Hour)
		storetest.ClaimEachOnce(t, []store.Messages{dbs[0], dbs[1]}, 20, now, ids)
		for _, id := range ids { // out of the way of the next round
			if err := dbs[round%2].CompleteMessage(ctx, id, store.MessageUpdate{Status: store.MessageSent, At: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TwoInstancesOverview moves messages carrying codes through two stores
// on one database at once, each way opposite to another (retried from one
// provider to the other and back), reports them twice at once, uses their
// codes and appends logins meanwhile: nothing waits for ever or fails, and
// the Overview's tallies then agree with the tables' own count.
func TwoInstancesOverview(t *testing.T, e Engine) {
	ctx := t.Context()
	h := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	dbs, u := twoInstancesWithAnn(t, e, h)
	const n = 40
	providers := [2]string{"twilio", "vonage"}
	codes := issueOverviewCodes(t, dbs, u.ID, h, n)
	now := h.Add(2 * time.Hour)
	// all runs step(i) for every message at once, half on each store.
	all := func(step func(db DB, i int, id int64) error) {
		t.Helper()
		claimed, err := dbs[0].ClaimMessages(ctx, now, time.Minute, n)
		if err != nil || len(claimed) != n {
			t.Fatalf("ClaimMessages: %d, %v; want %d", len(claimed), err, n)
		}
		atOnce(t, 2*n, func(j int) error {
			i, k := j/2, j%2
			return step(dbs[(i+k)%2], i, claimed[i].ID)
		})
	}
	try := func(status store.MessageStatus, provider func(i int) string) func(DB, int, int64) error {
		return func(db DB, i int, id int64) error {
			err := db.CompleteMessage(ctx, id, store.MessageUpdate{Status: status, Provider: provider(i), ProviderRef: fmt.Sprint("ref-", id), At: now})
			if errors.Is(err, store.ErrNotFound) {
				return nil // the other store's call of the two completed it
			}
			return err
		}
	}
	// Within each hour and calling code, half move one way, half the other.
	all(try(store.MessageQueued, func(i int) string { return providers[i/2%2] }))
	all(try(store.MessageQueued, func(i int) string { return providers[(i/2+1)%2] }))
	all(func(db DB, i int, id int64) error {
		if err := try(store.MessageSent, func(i int) string { return providers[i%2] })(db, i, id); err != nil {
			return err
		}
		if _, err := db.ConsumeChallenge(ctx, codes[i], now); err != nil { // one of the two uses it
			return err
		}
		return db.AppendAudit(ctx, &store.AuditEvent{Time: h.Add(time.Duration(i) * time.Minute), Event: "login", Outcome: "success", SubjectID: u.ID})
	})
	reportTwiceAtOnce(t, dbs, codes, now)
	checkTalliesAgree(t, dbs, h)
}

// issueOverviewCodes issues n codes of the user with their messages, two
// minutes apart from h (across the hour's end), alternately on each store
// and to two calling codes.
func issueOverviewCodes(t *testing.T, dbs [2]DB, userID int64, h time.Time, n int) []int64 {
	t.Helper()
	ctx := t.Context()
	codes := make([]int64, n)
	for i := range n {
		at := h.Add(time.Duration(i) * 2 * time.Minute) // across the hour's end
		c := loginCode(userID, fmt.Sprint("overview-", i), at)
		c.Destination, c.ExpiresAt = []string{"+447546123456", "+15555550100"}[i%2], h.Add(3*time.Hour)
		m := &store.Message{UserID: userID, Channel: store.ChannelSMS, To: c.Destination, Sealed: []byte("sealed"), CreatedAt: at}
		if err := dbs[i%2].IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}); err != nil {
			t.Fatal(err)
		}
		codes[i] = c.ID
	}
	return codes
}

// reportTwiceAtOnce reports each code's message delivered or failed, twice
// at once, on the two stores.
func reportTwiceAtOnce(t *testing.T, dbs [2]DB, codes []int64, now time.Time) {
	t.Helper()
	ctx := t.Context()
	atOnce(t, 2*len(codes), func(j int) error {
		i := j / 2
		m, err := dbs[i%2].MessageForChallenge(ctx, codes[i])
		if err != nil {
			return err
		}
		_, _, err = dbs[(i/2)%2].RecordReceipt(ctx, m.Provider, m.ProviderRef, []store.MessageStatus{store.MessageDelivered, store.MessageFailed}[i%3%2], "", now.Add(time.Duration(i)*time.Second))
		return err
	})
}

// atOnce calls f(0) … f(n-1) at once (storetest.Concurrently) and stops
// the test if any of them failed.
func atOnce(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	storetest.Concurrently(n, func(i int) { errs[i] = f(i) })
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// checkTalliesAgree checks that the two hours from h as the tallies count
// them agree with the tables' own count of them in minutes.
func checkTalliesAgree(t *testing.T, dbs [2]DB, h time.Time) {
	t.Helper()
	ctx := t.Context()
	q := store.OverviewQuery{Since: h, Bucket: time.Hour, Buckets: 2}
	tallied, err := dbs[0].Overview(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	counted, err := dbs[1].Overview(ctx, store.OverviewQuery{Since: h, Bucket: time.Minute, Buckets: 120})
	if err != nil {
		t.Fatal(err)
	}
	for i := range counted.Messages {
		counted.Messages[i].Bucket /= 60
	}
	for i := range counted.Codes {
		counted.Codes[i].Bucket /= 60
	}
	for i := range counted.Events {
		counted.Events[i].Bucket /= 60
	}
	if got, want := added(tallied), added(counted); !reflect.DeepEqual(got, want) {
		t.Errorf("the tallies =\n%v\nthe tables' count\n%v", got, want)
	}
}

// added is each group's total in c, by its text.
func added(c *store.OverviewCounts) map[string]int {
	m := map[string]int{}
	for _, t := range c.Messages {
		n := t.Count
		t.Count = 0
		m[fmt.Sprint(t)] += n
	}
	for _, t := range c.Codes {
		m[fmt.Sprint("issued ", t.Bucket, t.Channel, t.Prefix)] += t.Issued
		m[fmt.Sprint("verified ", t.Bucket, t.Channel, t.Prefix)] += t.Verified
	}
	for _, t := range c.Events {
		n := t.Count
		t.Count = 0
		m[fmt.Sprint(t)] += n
	}
	return m
}

// TwoInstancesLastAdmin demotes the last two administrators at once
// through two stores on one database, by deactivation or by the role: one
// of the two is refused.
func TwoInstancesLastAdmin(t *testing.T, e Engine) {
	ctx := t.Context()
	dbs := twoInstances(t, e)
	var ids []int64
	for _, email := range []string{"a@example.org", "b@example.org"} {
		u := &store.User{Email: email, Admin: true, CreatedAt: epoch}
		if err := dbs[0].CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	demote := []func(db DB, id int64) error{
		func(db DB, id int64) error { return db.SetDeactivated(ctx, id, true) },
		func(db DB, id int64) error { return db.SetAdmin(ctx, id, false) },
	}
	for round := range 20 {
		errs := make([]error, 2)
		storetest.Concurrently(2, func(i int) { errs[i] = demote[(round+i)%2](dbs[i], ids[i]) })
		if _, refused := storetest.CountLastAdmin(t, fmt.Sprintf("round %d: demotion", round), errs); refused != 1 {
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

// AuditIsAppendOnly checks that the database itself refuses to change or
// remove audit entries, whoever connects: UPDATE, DELETE and the engine's
// AuditWrites.
func AuditIsAppendOnly(t *testing.T, e Engine) {
	ctx := t.Context()
	where := e.Fresh(t)
	db := open(t, e, where)
	if err := db.AppendAudit(ctx, &store.AuditEvent{Time: time.Now(), Event: "login", Outcome: "success"}); err != nil {
		t.Fatal(err)
	}
	exec := execOn(t, e, where)
	for _, q := range append([]string{
		`UPDATE audit_events SET outcome = 'failure'`,
		`DELETE FROM audit_events`,
	}, e.AuditWrites...) {
		if err := exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
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

// TwoInstancesIssueChallenge resends a code from both instances at
// once: one challenge stays usable.
func TwoInstancesIssueChallenge(t *testing.T, e Engine) {
	ctx := t.Context()
	at := epoch
	dbs, u := twoInstancesWithAnn(t, e, at)
	const n = 10
	for round := range 5 {
		cs := make([]*store.Challenge, n)
		for i := range n {
			cs[i] = loginCode(u.ID, fmt.Sprint("a", round), at.Add(time.Duration(i)*time.Second))
		}
		storetest.Concurrently(n, func(i int) {
			if err := dbs[i%2].IssueChallenge(ctx, cs[i]); err != nil {
				t.Errorf("IssueChallenge: %v", err)
			}
		})
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

// MigrationSessionCodeAt: migration 0007 gives the sessions that had
// proved a code, before it kept when, the time they were created (never
// fresher than they are), and the others none.
func MigrationSessionCodeAt(t *testing.T, e Engine) {
	ctx := t.Context()
	where := e.Fresh(t)
	db := open(t, e, where)
	u := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: time.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	created := epoch
	for _, ss := range []*store.Session{
		{TokenHash: []byte("with code"), UserID: u.ID, Stage: store.StageFull, MFA: true, CreatedAt: created, LastSeenAt: created.Add(time.Hour), AuthenticatedAt: created.Add(time.Hour)},
		{TokenHash: []byte("password only"), UserID: u.ID, Stage: store.StageFull, CreatedAt: created, LastSeenAt: created, AuthenticatedAt: created},
	} {
		if err := db.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	// The sessions as they were before migration 7; then it runs again.
	migrateAgain(t, e, where, db, 7, `ALTER TABLE sessions DROP COLUMN code_at`)
	for token, want := range map[string]time.Time{"with code": created, "password only": {}} {
		ss, err := db.SessionByHash(ctx, []byte(token))
		if err != nil || !ss.CodeAt.Equal(want) {
			t.Errorf("%s: CodeAt %v (%v), want %v", token, ss.CodeAt, err, want)
		}
	}
}

// MigrationPreviousLogin: migration 0012 gives each logged-in session
// the newest completed login of its account from before the session
// began, as the audit log has it (none if there was none), and sessions
// not logged in none.
func MigrationPreviousLogin(t *testing.T, e Engine) {
	ctx := t.Context()
	where := e.Fresh(t)
	db := open(t, e, where)
	ann := &store.User{Email: "ann@example.org", Name: "Ann", CreatedAt: time.Now()}
	bob := &store.User{Email: "bob@example.org", Name: "Bob", CreatedAt: time.Now()}
	for _, u := range []*store.User{ann, bob} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	appendLoginHistory(t, db, ann.ID, bob.ID, t0)
	sessions := []struct {
		token   string
		user    int64
		stage   store.Stage
		created time.Time
		want    time.Time
	}{
		{"first login", ann.ID, store.StageFull, t0, time.Time{}},
		{"second login", ann.ID, store.StageFull, t0.Add(time.Hour), t0},
		{"third login", ann.ID, store.StageFull, t0.Add(2 * time.Hour), t0.Add(time.Hour)},
		{"at the code", ann.ID, store.StageCode, t0.Add(3 * time.Hour), time.Time{}},
		{"bob's first", bob.ID, store.StageFull, t0.Add(90 * time.Minute), time.Time{}},
	}
	for _, s := range sessions {
		ss := &store.Session{TokenHash: []byte(s.token), UserID: s.user, Stage: s.stage, CreatedAt: s.created, LastSeenAt: s.created}
		if err := db.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	// The sessions as they were before migration 12; then it runs again.
	migrateAgain(t, e, where, db, 12, `ALTER TABLE sessions DROP COLUMN previous_login_at`)
	for _, s := range sessions {
		ss, err := db.SessionByHash(ctx, []byte(s.token))
		if err != nil {
			t.Fatal(err)
		}
		if !ss.PreviousLoginAt.Equal(s.want) {
			t.Errorf("%s: PreviousLoginAt %v, want %v", s.token, ss.PreviousLoginAt, s.want)
		}
	}
}

// migrateAgain undoes migration version of the database at where with
// undo (on a plain connection), forgets that it ran, and checks that
// Migrate then runs it and only it.
func migrateAgain(t *testing.T, e Engine, where string, db DB, version int, undo string) {
	t.Helper()
	exec := execOn(t, e, where)
	for _, q := range []string{undo, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, version)} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n, err := db.Migrate(t.Context()); err != nil || n != 1 {
		t.Fatalf("Migrate = %d, %v; want migration %d again", n, err, version)
	}
}

// appendLoginHistory writes the audit log MigrationPreviousLogin reads:
// logins of ann at t0, an hour and two hours later, and events that are
// not her completed logins between them.
func appendLoginHistory(t *testing.T, db store.Store, ann, bob int64, t0 time.Time) {
	ctx := t.Context()
	for _, ev := range []*store.AuditEvent{
		{Time: t0, Event: "login", Outcome: "success", ActorID: ann, SubjectID: ann},
		{Time: t0.Add(time.Hour), Event: "login", Outcome: "success", ActorID: ann, SubjectID: ann},
		// Not logins of Ann completed before her sessions: Bob's, a
		// failure, another event, and her login of the newest session.
		{Time: t0.Add(90 * time.Minute), Event: "login", Outcome: "success", ActorID: bob, SubjectID: bob},
		{Time: t0.Add(100 * time.Minute), Event: "login", Outcome: "failure", ActorID: ann, SubjectID: ann},
		{Time: t0.Add(110 * time.Minute), Event: "login.password", Outcome: "success", ActorID: ann, SubjectID: ann},
		{Time: t0.Add(2 * time.Hour), Event: "login", Outcome: "success", ActorID: ann, SubjectID: ann},
	} {
		if err := db.AppendAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
}
