package metrics

import (
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// WatchSQL adds the statistics of a database/sql pool (SQLite's), as the
// client library's go_sql_* metrics labelled db_name=name.
func (m *Metrics) WatchSQL(name string, db *sql.DB) {
	if m != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// WatchPool adds the statistics of a PostgreSQL connection pool, as
// portal_db_pool_*, read from the pool at each scrape.
func (m *Metrics) WatchPool(p *pgxpool.Pool) {
	if m != nil {
		m.registry.MustRegister(poolCollector{p})
	}
}

type poolCollector struct{ pool *pgxpool.Pool }

// poolStats are the pool's metrics, each read from its pgxpool.Stat at a
// scrape.
var poolStats = []struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*pgxpool.Stat) float64
}{
	{poolDesc("acquired_conns", "PostgreSQL connections in use just now."),
		prometheus.GaugeValue, func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }},
	{poolDesc("idle_conns", "PostgreSQL connections open and idle just now."),
		prometheus.GaugeValue, func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }},
	{poolDesc("total_conns", "PostgreSQL connections open just now (in use, idle and being opened)."),
		prometheus.GaugeValue, func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) }},
	{poolDesc("max_conns", "The most PostgreSQL connections the pool opens (PORTAL_DATABASE_MAX_CONNS)."),
		prometheus.GaugeValue, func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }},
	{poolDesc("acquires_total", "Connections taken from the pool."),
		prometheus.CounterValue, func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) }},
	{poolDesc("acquire_seconds_total", "Time spent taking connections from the pool."),
		prometheus.CounterValue, func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() }},
	{poolDesc("empty_acquires_total", "Connections asked for when none was idle: the request waited for one to be opened or freed."),
		prometheus.CounterValue, func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) }},
	{poolDesc("empty_acquire_wait_seconds_total", "Time spent waiting for a connection when none was idle."),
		prometheus.CounterValue, func(s *pgxpool.Stat) float64 { return s.EmptyAcquireWaitTime().Seconds() }},
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("portal_db_pool_"+name, help, nil, nil)
}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range poolStats {
		ch <- m.desc
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	for _, m := range poolStats {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(s))
	}
}
