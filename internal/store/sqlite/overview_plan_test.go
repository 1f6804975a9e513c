package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/overview"
)

// TestOverviewPlans checks with EXPLAIN QUERY PLAN that each of the
// Overview's statements reads one range of its index of migration 0010,
// and that index alone: never the table, never a scan of all the rows.
func TestOverviewPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q := store.OverviewQuery{Since: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Bucket: time.Hour, Buckets: 24}
	for _, c := range []struct {
		name      string
		statement func(store.OverviewQuery) (string, []any)
		want      string
		searches  int
	}{
		{"messages", overview.Messages, "SEARCH messages USING COVERING INDEX messages_overview (created_at>? AND created_at<?)", 1},
		{"codes", overview.Codes, "SEARCH challenges USING COVERING INDEX challenges_overview (created_at>? AND created_at<?)", 1},
		{"events", overview.Events, "SEARCH audit_events USING COVERING INDEX audit_events_overview (event=? AND outcome=? AND time>? AND time<?)", len(store.OverviewEvents)},
	} {
		query, args := c.statement(q)
		rows, err := db.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if strings.Count(p, c.want) != c.searches || strings.Contains(p, "SCAN ") {
			t.Errorf("%s: plan\n%s\nwant %d× %s and no scan", c.name, p, c.searches, c.want)
		}
	}
}
