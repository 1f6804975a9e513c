package sqlstore_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
	"github.com/providerportal/portal/internal/store/overview"
	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/store/sqlstore"
)

// TestQueryPlans checks with EXPLAIN QUERY PLAN that the administrators'
// lists find their pages through the indexes meant for them: no filter
// makes a query read the whole audit log, and the users' list reads the
// index users_list rather than the table. SQLite plans without statistics
// (the portal never runs ANALYZE), so an empty database plans as a full one
// does.
func TestQueryPlans(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	plan := func(query string, args []any) string {
		t.Helper()
		rows, err := db.ReadOnly().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", query, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	// check fails if the plan of query has a line for which bad is true,
	// or lacks one of want.
	check := func(what, query string, args []any, bad func(line string) bool, want ...string) {
		t.Helper()
		p := plan(query, args)
		for _, line := range strings.Split(p, "\n") {
			if bad != nil && bad(line) {
				t.Errorf("%s: plan has %q:\n%s\n%s", what, line, query, p)
			}
		}
		for _, w := range want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: plan lacks %q:\n%s\n%s", what, w, query, p)
			}
		}
	}
	// A scan of the audit log, or of an index of it, reads millions of rows.
	noScan := func(line string) bool { return strings.HasPrefix(line, "SCAN audit_events") }
	// A scan of the users table reads the rows, not just the index.
	noTableScan := func(line string) bool { return line == "SCAN users" }

	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	span := sqlstore.NewIDSpan(100, 200)
	names := []string{"login.code", "login.password"}
	for _, c := range []struct {
		name  string
		q     store.AuditQuery
		names []string
		span  *sqlstore.IDSpan
		want  []string
	}{
		{"BeforeID", store.AuditQuery{BeforeID: 1000}, nil, nil, []string{"INTEGER PRIMARY KEY (rowid<?)"}},
		{"User", store.AuditQuery{UserID: 7}, nil, nil,
			[]string{"audit_events_subject_id_id (subject_id=?)", "audit_events_actor_id_id (actor_id=?)"}},
		{"UserAndAll", store.AuditQuery{UserID: 7, Event: "login.", Since: at, Until: at.AddDate(0, 1, 0), BeforeID: 1000}, nil, nil,
			[]string{"audit_events_subject_id_id (subject_id=? AND id<?)", "audit_events_actor_id_id (actor_id=? AND id<?)"}},
		{"Event", store.AuditQuery{Event: "login.password", BeforeID: 1000}, nil, nil,
			[]string{"COVERING INDEX audit_events_event_id (event=? AND id<?)"}},
		{"EventPrefix", store.AuditQuery{Event: "login."}, names, nil,
			[]string{"COVERING INDEX audit_events_event_id (event=?)"}},
		{"EventInTime", store.AuditQuery{Event: "login.password", Since: at}, nil, span,
			[]string{"audit_events_event_id (event=? AND id>? AND id<?)"}},
		{"EventPrefixInTime", store.AuditQuery{Event: "login.", Until: at}, names, span,
			[]string{"audit_events_event_id (event=? AND id>? AND id<?)"}},
		{"Time", store.AuditQuery{Since: at, Until: at.AddDate(0, 1, 0), BeforeID: 1000}, nil, span,
			[]string{"INTEGER PRIMARY KEY (rowid>? AND rowid<?)"}},
	} {
		query, args := sqlstore.AuditQuery(c.q, c.names, c.span, 50)
		check("ListAudit "+c.name, query, args, noScan, c.want...)
	}

	for _, q := range []store.AuditQuery{{Since: at}, {Until: at}, {Since: at, Until: at, BeforeID: 10}} {
		query, args := db.TimeSpanQuery(q)
		check("timeSpan", query, args, noScan, "COVERING INDEX audit_events_time (time")
	}
	check("eventNames", sqlstore.EventNamesQuery, []any{"login.", "login/"}, noScan,
		"COVERING INDEX audit_events_event_id (event>? AND event<?)")

	// A search reads the whole of users_list, if need be, but never the
	// table; the index gives the order (the one sort is of the page).
	for _, q := range []store.UserQuery{{}, {After: "ann@example.org"}, {Search: "ann 7546 123"}, {Search: "ann", After: "ann@example.org"}} {
		query, args := db.ListUsersQuery(q)
		check("ListUsers", query, args, noTableScan, "COVERING INDEX users_")
		if p := plan(query, args); strings.Count(p, "USE TEMP B-TREE") > 1 {
			t.Errorf("ListUsers(%+v) sorts more than the page:\n%s", q, p)
		}
		if q.Search != "" {
			check("ListUsers search", query, args, noTableScan, "COVERING INDEX users_list")
		}
		if q.After != "" {
			check("ListUsers after", query, args, noTableScan, "(<expr>>?)")
		}
	}

	// A code's SMS budgets are counted in one statement, on the one range
	// of messages_window that holds the last hour's text messages, without
	// reading the table; other budgets through indexes of the messages of
	// their time, never the whole outbox.
	noMessagesScan := func(line string) bool { return strings.HasPrefix(line, "SCAN messages") }
	budget := func(q store.MessageCount) store.Budget {
		if q.Channel == "" {
			q.Channel = store.ChannelSMS
		}
		q.Since = at
		return store.Budget{Name: "budget", Limit: 1, Count: q}
	}
	code := []store.Budget{budget(store.MessageCount{}), budget(store.MessageCount{IP: "192.0.2.1"}), budget(store.MessageCount{Prefix: "+44"})}
	query, args := msgcount.Budgets(code, db.Prefix())
	check("a code's budgets", query, args, noMessagesScan, "SEARCH messages USING COVERING INDEX messages_window (channel=? AND created_at>?)")
	for _, budgets := range [][]store.Budget{
		{budget(store.MessageCount{IP: "192.0.2.1"}), budget(store.MessageCount{Prefix: "+44"})},
		{budget(store.MessageCount{To: "+447546123456"})},
		{budget(store.MessageCount{}), budget(store.MessageCount{Channel: store.ChannelEmail, IP: "192.0.2.1"})},
	} {
		query, args := msgcount.Budgets(budgets, db.Prefix())
		check("budgets", query, args, noMessagesScan, "SEARCH messages USING ")
	}

	// A code's destination budget reads the hour's challenges of the
	// account, or to the number, never the whole table.
	noChallengesScan := func(line string) bool { return strings.HasPrefix(line, "SCAN challenges") }
	check("CountChallengesForUserTo", sqlstore.CountForUserToQuery, []any{1, "+447546123456", at.UnixMilli()}, noChallengesScan,
		"SEARCH challenges USING INDEX challenges_")
	check("CountChallengesToDestination", db.CountToDestinationQuery(), []any{"+447546123456", `["register_phone","change_phone"]`, at.UnixMilli()}, noChallengesScan,
		"SEARCH challenges USING INDEX challenges_destination_created (destination=? AND created_at>?)")

	check("checkNotLastAdmin",
		`SELECT EXISTS (SELECT 1 FROM users WHERE admin AND NOT deactivated AND id <> $1)`, []any{1},
		noTableScan, "users_active_admins")

	anyScan := func(line string) bool { return strings.HasPrefix(line, "SCAN ") }
	day := store.OverviewQuery{Since: at, Bucket: time.Hour, Buckets: 24}
	for _, c := range []struct {
		name  string
		query func(store.OverviewQuery) (string, []any)
		want  string
	}{
		// The Overview reads one range of each index of migration 0010,
		// and that index alone.
		{"overview messages", overview.Messages, "SEARCH messages USING COVERING INDEX messages_overview (created_at>? AND created_at<?)"},
		{"overview codes", overview.Codes, "SEARCH challenges USING COVERING INDEX challenges_overview (created_at>? AND created_at<?)"},
		{"overview events", overview.Events, "SEARCH audit_events USING COVERING INDEX audit_events_overview (event=? AND outcome=? AND time>? AND time<?)"},
		// The day and the week read one range of each table of hourly
		// tallies (migration 0012), on its key.
		{"tallied messages", overview.TalliedMessages, "SEARCH overview_messages USING INDEX sqlite_autoindex_overview_messages_1 (hour>? AND hour<?)"},
		{"tallied codes", overview.TalliedCodes, "SEARCH overview_codes USING INDEX sqlite_autoindex_overview_codes_1 (hour>? AND hour<?)"},
		{"tallied events", overview.TalliedEvents, "SEARCH overview_events USING INDEX sqlite_autoindex_overview_events_1 (hour>? AND hour<?)"},
	} {
		query, args := c.query(day)
		check(c.name, query, args, anyScan, c.want)
	}
	// The Overview reads each audit event's own range.
	query, args = overview.Events(day)
	if n := strings.Count(plan(query, args), "audit_events_overview"); n != len(store.OverviewEvents) {
		t.Errorf("overview events: %d ranges of audit_events_overview, want one for each of %d events", n, len(store.OverviewEvents))
	}
}
