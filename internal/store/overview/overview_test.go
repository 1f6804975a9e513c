package overview_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/overview"
)

// Each statement uses every one of its arguments' placeholders, and no
// other; the span is $1 (start), $2 (bucket) and $3 (end), in unix
// milliseconds; each audit event is counted on its own range.
func TestStatements(t *testing.T) {
	q := store.OverviewQuery{Since: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Bucket: time.Hour, Buckets: 24}
	placeholder := regexp.MustCompile(`\$(\d+)`)
	for name, build := range map[string]func(store.OverviewQuery) (string, []any){
		"messages": overview.Messages, "codes": overview.Codes, "events": overview.Events,
	} {
		sql, args := build(q)
		used := map[int]bool{}
		for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
			n, _ := strconv.Atoi(m[1])
			used[n] = true
			if n < 1 || n > len(args) {
				t.Errorf("%s: $%d, with %d arguments: %s", name, n, len(args), sql)
			}
		}
		if len(used) != len(args) {
			t.Errorf("%s: %d of %d arguments used: %s %v", name, len(used), len(args), sql, args)
		}
		if args[0] != q.Since.UnixMilli() || args[1] != int64(3600000) || args[2] != q.Since.Add(24*time.Hour).UnixMilli() {
			t.Errorf("%s: span %v, want start, bucket and end in milliseconds", name, args[:3])
		}
		if name == "events" && strings.Count(sql, "UNION ALL") != len(store.OverviewEvents)-1 {
			t.Errorf("events: %s; want a SELECT for each of %d events", sql, len(store.OverviewEvents))
		}
	}
}
