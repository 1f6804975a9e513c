package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// OverviewScale is the number of messages OverviewAtScale seeds, from the
// environment variable PORTAL_OVERVIEW_SCALE (say 1000000); 0, and the
// test skipped, when it is not set. It takes minutes and much disk, so it
// never runs by default.
func OverviewScale(t *testing.T) int {
	n, err := strconv.Atoi(os.Getenv("PORTAL_OVERVIEW_SCALE"))
	if err != nil || n < 1 {
		t.Skip("set PORTAL_OVERVIEW_SCALE=1000000 to time the Overview at a million messages")
	}
	return n
}

// SQL the seeding needs that the engines write differently.
type ScaleDialect struct {
	Blob    string // a literal of a short binary value: x'00', '\x00'::bytea
	Analyze string // what brings the planner's statistics up to date; "": nothing
}

// ScaleStore is a store that can apply its migrations again, as the
// engines' stores can.
type ScaleStore interface {
	store.Store
	Migrate(ctx context.Context) (int, error)
}

// TalliesMigration is the number of the migration that makes the
// Overview's hourly tallies (NNNN_overview_tallies.sql), read from the
// engine package's migrations directory, the tests' working directory.
func TalliesMigration(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*_overview_tallies.sql")
	if err != nil || len(files) != 1 {
		t.Fatalf("the tallies' migration: %v, %v", files, err)
	}
	num, _, _ := strings.Cut(filepath.Base(files[0]), "_")
	v, err := strconv.Atoi(num)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Retally drops the Overview's tallies and applies their migration again,
// through exec (plain SQL, both engines) and s.Migrate: the migration
// tallies what the tables hold. It returns how long the migration took.
func Retally(t *testing.T, s ScaleStore, exec func(sql string) error) time.Duration {
	t.Helper()
	for _, q := range []string{`DROP TABLE overview_messages`, `DROP TABLE overview_codes`, `DROP TABLE overview_events`,
		fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, TalliesMigration(t))} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	start := time.Now()
	if n, err := s.Migrate(t.Context()); err != nil || n != 1 {
		t.Fatalf("Migrate = %d, %v; want the tallies' migration", n, err)
	}
	return time.Since(start)
}

// OverviewAtScale seeds s with n codes and the messages carrying them,
// spread over a week, and the audit events that go with them, through
// exec (plain SQL, both engines), has the tallies' migration tally them
// (Retally), then times the Overview of the last hour, day and week as
// the page asks for them (the first view of each, then several more, and
// logs the medians), and last checks the week's tallies against the
// tables' own count of it.
func OverviewAtScale(t *testing.T, s ScaleStore, n int, exec func(sql string) error, d ScaleDialect) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	// On the hour, as the page's spans are: the cache keeps whole hours.
	week := store.OverviewQuery{Since: t0.Truncate(24 * time.Hour), Bucket: 6 * time.Hour, Buckets: 28}
	start := time.Now()
	for _, q := range scaleSeeds(u.ID, n, week, d) {
		if err := exec(q); err != nil {
			t.Fatalf("seed: %v\n%s", err, q)
		}
	}
	t.Logf("seeded %d codes, messages and their audit events in %v", n, time.Since(start).Round(time.Second))
	t.Logf("the tallies' migration tallied them in %v", Retally(t, s, exec).Round(time.Millisecond))

	now := week.Until().Add(-time.Minute) // the week's last minute: as the page asks at then
	for _, span := range []struct {
		name   string
		bucket time.Duration
		n      int
	}{{"hour", 5 * time.Minute, 12}, {"day", time.Hour, 24}, {"week", 6 * time.Hour, 28}} {
		until := now.Truncate(span.bucket).Add(span.bucket)
		q := store.OverviewQuery{Since: until.Add(-time.Duration(span.n) * span.bucket), Bucket: span.bucket, Buckets: span.n}
		want := -1 // messages the view must count: all n over the week
		if span.name == "week" {
			want = n
		}
		for _, c := range []struct {
			how  string
			runs int
		}{{"first view", 1}, {"later views", 7}} {
			took := timeOverview(t, span.name+", "+c.how, c.runs, want, func() (*store.OverviewCounts, error) { return s.Overview(ctx, q) })
			t.Logf("Overview of the last %s at %d messages, %s: median %v (fastest %v, slowest %v, of %d)",
				span.name, n, c.how, took[len(took)/2].Round(100*time.Microsecond), took[0].Round(100*time.Microsecond),
				took[len(took)-1].Round(100*time.Microsecond), len(took))
		}
	}
	checkWeekTallied(t, s, week)
}

// checkWeekTallied checks that the week's tallies agree with the tables'
// count of it in half hours.
func checkWeekTallied(t *testing.T, s store.Store, week store.OverviewQuery) {
	t.Helper()
	ctx := t.Context()
	tallied, err := s.Overview(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	counted, err := s.Overview(ctx, store.OverviewQuery{Since: week.Since, Bucket: 30 * time.Minute, Buckets: week.Buckets * 12})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addBuckets(tallied, 1), addBuckets(counted, 12); !reflect.DeepEqual(got, want) {
		t.Fatalf("the week's tallies =\n%+v\nthe tables' count\n%+v", got, want)
	}
}

// scaleSeeds are the statements that seed n codes of the user userID over
// week, with their messages and audit events, on the dialect d.
func scaleSeeds(userID int64, n int, week store.OverviewQuery, d ScaleDialect) []string {
	base, step := week.Since.UnixMilli(), (7*24*time.Hour).Milliseconds()/int64(n) // the i-th code at base + i*step
	rows := fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, n-1)
	at := fmt.Sprintf(`(%d + i * %d)`, base, step)
	channel := `CASE WHEN i % 10 = 0 THEN 'email' ELSE 'sms' END`
	dest := `CASE WHEN i % 10 = 0 THEN 'person' || i || '@example.org' WHEN i % 4 = 0 THEN '+4475' || (10000000 + i % 1000) ` +
		`WHEN i % 4 = 1 THEN '+1555' || (1000000 + i % 1000) WHEN i % 4 = 2 THEN '+49151' || (1000000 + i % 1000) ELSE '+336' || (10000000 + i % 1000) END`
	seeds := []string{
		rows + `INSERT INTO challenges (user_id, attempt_id, purpose, channel, destination, code_hash, created_at, expires_at, consumed_at)
			SELECT ` + fmt.Sprint(userID) + `, 'a' || i, 'login', ` + channel + `, ` + dest + `, ` + d.Blob + `, ` + at + `, ` + at + ` + 300000,
				CASE WHEN i % 5 <> 0 THEN ` + at + ` + 20000 END FROM seq`,
		rows + `INSERT INTO messages (user_id, challenge_id, channel, destination, status, next_attempt_at, provider, created_at, updated_at)
			SELECT ` + fmt.Sprint(userID) + `, (SELECT min(id) FROM challenges) + i, ` + channel + `, ` + dest + `,
				CASE WHEN i % 20 = 1 THEN 'failed' WHEN i % 20 = 2 THEN 'expired' WHEN i % 20 = 3 THEN 'queued'
					WHEN i % 10 = 0 OR i % 20 < 8 THEN 'sent' ELSE 'delivered' END,
				` + at + `, CASE WHEN i % 20 = 3 THEN '' WHEN i % 10 = 0 THEN 'smtp' WHEN i % 3 = 0 THEN 'vonage' ELSE 'twilio' END,
				` + at + `, ` + at + ` + (i % 120) * 1000 FROM seq`,
		rows + `INSERT INTO audit_events (time, event, outcome, subject_id)
			SELECT ` + at + `, 'code.sent', CASE WHEN i % 100 = 0 THEN 'limited' ELSE 'queued' END, ` + fmt.Sprint(userID) + ` FROM seq`,
		rows + `INSERT INTO audit_events (time, event, outcome, subject_id)
			SELECT ` + at + ` + 20000, CASE WHEN i % 1000 = 0 THEN 'account.locked' ELSE 'login' END,
				CASE WHEN i % 1000 = 0 THEN 'codes' ELSE 'success' END, ` + fmt.Sprint(userID) + ` FROM seq WHERE i % 5 <> 0`,
	}
	if d.Analyze != "" {
		seeds = append(seeds, d.Analyze)
	}
	return seeds
}

// timeOverview runs view runs times and returns how long each took,
// fastest first. want, unless -1, is how many messages each must count.
func timeOverview(t *testing.T, name string, runs, want int, view func() (*store.OverviewCounts, error)) []time.Duration {
	t.Helper()
	var took []time.Duration
	for range runs {
		start := time.Now()
		got, err := view()
		took = append(took, time.Since(start))
		if err != nil {
			t.Fatalf("Overview: %v", err)
		}
		sent := 0
		for _, m := range got.Messages {
			sent += m.Count
		}
		if want >= 0 && sent != want {
			t.Fatalf("%s: %d messages, want %d", name, sent, want)
		}
	}
	slices.Sort(took)
	return took
}
