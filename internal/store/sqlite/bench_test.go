package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// The benchmarks seed a database file once per run, in one transaction
// through a prepared statement, and then time the administrators' lists on
// it, page by page, with the read pool as the portal uses it.
//
//	go test -run XXX -bench . -benchtime 50x ./internal/store/sqlite/

// openBench opens a fresh database in a temporary directory. The write
// connection gets a large page cache, so that filling the indexes does not
// thrash; the read pool keeps the settings the portal runs with.
func openBench(b *testing.B) *DB {
	b.Helper()
	db := openInternal(b)
	if _, err := db.write.ExecContext(b.Context(), `PRAGMA cache_size = -262144`); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchPages times list, one of the administrators' lists, reading the
// page q as a sub-benchmark named name, and reports how many rows the page
// held, in unit.
func benchPages[Q, R any](b *testing.B, name string, list func(context.Context, Q) ([]R, error), q Q, unit string) {
	b.Run(name, func(b *testing.B) {
		var got int
		for b.Loop() {
			rows, err := list(b.Context(), q)
			if err != nil {
				b.Fatal(err)
			}
			got = len(rows)
		}
		b.ReportMetric(float64(got), unit)
	})
}

// seed runs insert on table once per row, in one transaction. The table's
// indexes are dropped first and made again at the end: sorting each once is
// much faster than updating them row by row.
func seed(b *testing.B, db *DB, table string, rows int, insert string, args func(i int) []any) {
	b.Helper()
	ctx := b.Context()
	start := time.Now()
	err := db.inTx(ctx, func(tx *poolTx) error {
		indexes, err := tableIndexes(ctx, tx, table)
		if err != nil {
			return err
		}
		for name := range indexes {
			if _, err := tx.ExecContext(ctx, `DROP INDEX `+name); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, insert)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range rows {
			if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		for _, create := range indexes {
			if _, err := tx.ExecContext(ctx, create); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed %s: %v", table, err)
	}
	b.Logf("seeded %d rows of %s in %v", rows, table, time.Since(start).Round(time.Millisecond))
}

// tableIndexes returns the CREATE INDEX statements of table's indexes, by
// name, leaving out those that come with a constraint.
func tableIndexes(ctx context.Context, tx *poolTx, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`,
		table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	indexes := map[string]string{}
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			return nil, err
		}
		indexes[name] = create
	}
	return indexes, rows.Err()
}

var (
	firstNames = []string{"Amelia", "Olivia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Freya", "Emily",
		"Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Jacob",
		"Aisha", "Priya", "Fatima", "Mohammed", "Ali", "Wojciech", "Siobhan", "Niamh", "Rhys", "Dylan"}
	lastNames = []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
		"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
		"Patel", "Khan", "Ahmed", "Singh", "Kowalski", "Nowak", "O'Brien", "Murphy", "MacDonald", "Campbell"}
	domains = []string{"nhs.net", "carehome.co.uk", "example-care.org", "homecare.example", "clinic.example"}
)

func BenchmarkListUsers100k(b *testing.B) {
	const n = 100_000
	db := openBench(b)
	r := rand.New(rand.NewPCG(1, 2))
	emails := make([]string, n)
	phones := make([]string, n)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	seed(b, db, "users", n, `
		INSERT INTO users (email, name, password_hash, admin, phone, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		func(i int) []any {
			first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			emails[i] = strings.ToLower(fmt.Sprintf("%s.%s%d@%s", first, last, i, domains[r.IntN(len(domains))]))
			phones[i] = fmt.Sprintf("+447%09d", r.IntN(1e9))
			phone := phones[i]
			if i%10 == 0 {
				phone = "" // not registered yet
			}
			return []any{emails[i], first + " " + last, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
				i < 20, phone, created + int64(i)*1000}
		})
	sorted := slices.Clone(emails)
	slices.Sort(sorted) // lower-case: the order of lower(email)
	deep := sorted[n*9/10]
	phone := phones[n/2+1] // registered (i%10 != 0); searched as typed, with a space
	phoneSearch := phone[4:8] + " " + phone[8:11]

	for _, c := range []struct {
		name string
		q    store.UserQuery
	}{
		{"FirstPage", store.UserQuery{}},
		{"DeepPage", store.UserQuery{After: deep}},
		{"SearchNameCommon", store.UserQuery{Search: "patel"}},           // 1 in 30: the page fills at once
		{"SearchNameRare", store.UserQuery{Search: "wojciech kowalski"}}, // 1 in 900
		{"SearchNameNone", store.UserQuery{Search: "nobody-at-all"}},     // reads every row
		{"SearchPhone", store.UserQuery{Search: phoneSearch}},
	} {
		benchPages(b, c.name, db.ListUsers, c.q, "users/page")
	}
}

// auditEventNames are the kinds of events the portal logs, weighted
// roughly by how often a login produces them.
var auditEventNames = []struct {
	name   string
	weight int
}{
	{"login.password", 300},
	{"code.sent", 200},
	{"code.verify", 200},
	{"login.step_up", 50},
	{"login.reauthenticate", 50},
	{"password.reset_requested", 30},
	{"login.email_fallback", 20},
	{"password.set", 20},
	{"phone.registered", 15},
	{"phone.changed", 10},
	{"account.locked", 10},
	{"admin.password_reset_sent", 3},
	{"admin.user_created", 2},
}

func BenchmarkListAudit1M(b *testing.B) {
	const (
		n      = 1_000_000
		users  = 5_000
		admins = 10 // users 1…10 act on others
	)
	db := openBench(b)
	r := rand.New(rand.NewPCG(3, 4))
	var pick []string
	for _, e := range auditEventNames {
		for range e.weight {
			pick = append(pick, e.name)
		}
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := (365 * 24 * time.Hour / n).Milliseconds()
	seed(b, db, "audit_events", n, `
		INSERT INTO audit_events (time, event, outcome, actor_id, subject_id, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		func(i int) []any {
			// Appended in time order, give or take a few seconds.
			at := start.UnixMilli() + int64(i)*step + r.Int64N(5000)
			event := pick[r.IntN(len(pick))]
			subject := int64(1 + r.IntN(users))
			actor := subject
			outcome := "success"
			switch {
			case event[:6] == "admin.":
				actor = int64(1 + r.IntN(admins))
			case event == "account.locked", r.IntN(20) == 0:
				actor, outcome = 0, "failure"
			}
			return []any{at, event, outcome, actor, subject, "192.0.2." + fmt.Sprint(r.IntN(250)),
				"Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "sms to +44 7••• ••• •00"}
		})

	month, nextMonth := start.AddDate(0, 6, 0), start.AddDate(0, 7, 0) // July
	monthStart := month.Sub(start).Milliseconds()/step + 1             // about its first id
	for _, c := range []struct {
		name string
		q    store.AuditQuery
	}{
		{"Newest", store.AuditQuery{}},
		{"DeepPage", store.AuditQuery{BeforeID: n / 10}},
		{"User", store.AuditQuery{UserID: 1234}},
		{"UserDeepPage", store.AuditQuery{UserID: 1234, BeforeID: n / 10}},
		{"Admin", store.AuditQuery{UserID: 3}}, // acts on others too
		{"Event", store.AuditQuery{Event: "phone.changed"}},
		{"EventPrefix", store.AuditQuery{Event: "login."}},
		{"EventPrefixRare", store.AuditQuery{Event: "admin."}},
		{"EventPrefixDeepPage", store.AuditQuery{Event: "login.", BeforeID: n / 10}},
		// A month in the middle of the year: its first page bounds the walk
		// through the index on time; a page inside it is among the newest
		// below BeforeID; its last page bounds the walk again.
		{"DateRange", store.AuditQuery{Since: month, Until: nextMonth}},
		{"DateRangeMiddlePage", store.AuditQuery{Since: month, Until: nextMonth, BeforeID: monthStart + 40_000}},
		{"DateRangeLastPage", store.AuditQuery{Since: month, Until: nextMonth, BeforeID: monthStart + 30}},
		{"Since", store.AuditQuery{Since: month}}, // reaches the present
		{"Until", store.AuditQuery{Until: month}}, // half the log to skip
		{"EventInDateRange", store.AuditQuery{Event: "login.", Since: month, Until: nextMonth}},
		{"UserEventInDateRange", store.AuditQuery{UserID: 1234, Event: "code.", Since: month, Until: nextMonth}},
	} {
		benchPages(b, c.name, db.ListAudit, c.q, "events/page")
	}
}
