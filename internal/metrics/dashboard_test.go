package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	_ "modernc.org/sqlite"
)

// dashboard is the Grafana dashboard shipped for operators.
const dashboard = "../../deploy/grafana/portal.json"

// TestDashboardNamesOnlyExportedMetrics: every query of the Grafana
// dashboard names only metrics the portal serves, taken from a registry
// built as cmd/portal builds it (both database engines' pool metrics
// added), so a renamed or removed metric fails here, not on an
// operator's blank panel.
func TestDashboardNamesOnlyExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	exprs := dashboardExprs(t)
	if len(exprs) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	used := map[string]bool{}
	for _, e := range exprs {
		names := metricNames(e)
		if len(names) == 0 {
			t.Errorf("query names no metric: %s", e)
		}
		for _, n := range names {
			used[n] = true
			if !exported[n] {
				t.Errorf("query names %s, which the portal does not export: %s", n, e)
			}
		}
	}
	// The panels the operators asked for: each of these is drawn.
	for _, n := range []string{"portal_codes_issued_total", "portal_messages_final_total",
		"portal_delivery_latency_seconds_bucket", "portal_sms_budget_refusals_total",
		"portal_lockouts_total", "portal_login_steps_total",
		"portal_http_request_duration_seconds_bucket", "portal_db_pool_acquired_conns",
		"go_sql_in_use_connections"} {
		if !used[n] {
			t.Errorf("the dashboard draws nothing from %s", n)
		}
	}
}

// exportedNames gathers a registry built as the portal builds it and
// returns every series name it serves (a histogram's _bucket, _sum and
// _count). Vectors are only gathered once they hold a series, so each is
// given one (countOneOfEach); the test fails if a registered metric was
// not gathered, so a metric added to New without a line there is noticed.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	m := New()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m.WatchSQL("sqlite_write", db)
	// pgxpool connects lazily: the pool's statistics are read without a server.
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m.WatchPool(pool)

	countOneOfEach(m)

	fams, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	descs := make(chan *prometheus.Desc)
	go func() { m.registry.Describe(descs); close(descs) }()
	described := 0
	for range descs {
		described++
	}
	if described != len(fams) {
		t.Fatalf("%d metrics registered but %d gathered: give the new metric a series in exportedNames", described, len(fams))
	}
	names := map[string]bool{}
	for _, f := range fams {
		n := f.GetName()
		names[n] = true
		if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
			names[n+"_sum"], names[n+"_count"] = true, true
			if f.GetType() == dto.MetricType_HISTOGRAM {
				names[n+"_bucket"] = true
			}
		}
	}
	return names
}

// dashboardExprs reads every query (every "expr") of the dashboard, in
// panels and in rows' nested panels alike.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboard, err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return exprs
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promVariables = regexp.MustCompile(`\$\{?\w+\}?`)
	promWords     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promNumbers   = regexp.MustCompile(`\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b`)
)

// promKeywords are PromQL's operators written as words.
var promKeywords = []string{"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}

// metricNames returns the metric names a PromQL expression selects: the
// words left once strings, label matchers, ranges, grouping clauses and
// dashboard variables are taken out, that are neither a function or an
// aggregation (followed by a parenthesis) nor an operator.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, " ")
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	s = promVariables.ReplaceAllString(s, " ")
	s = promNumbers.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promWords.FindAllStringSubmatch(s, -1) {
		w := strings.TrimSpace(m[0])
		if m[1] != "" || slices.Contains(promKeywords, strings.ToLower(w)) {
			continue
		}
		names = append(names, w)
	}
	return names
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (le, channel) (rate(portal_delivery_latency_seconds_bucket{status=~"failed|x"}[$__rate_interval]))`: {"portal_delivery_latency_seconds_bucket"},
		`a_total / on (x) group_left b_total > 0.5`:                                                                 {"a_total", "b_total"},
		`topk(10, sum without (country) (up)) or vector(0)`:                                                         {"up"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}
