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

var (
	poolAcquired = prometheus.NewDesc("portal_db_pool_acquired_conns",
		"PostgreSQL connections in use just now.", nil, nil)
	poolIdle = prometheus.NewDesc("portal_db_pool_idle_conns",
		"PostgreSQL connections open and idle just now.", nil, nil)
	poolTotal = prometheus.NewDesc("portal_db_pool_total_conns",
		"PostgreSQL connections open just now (in use, idle and being opened).", nil, nil)
	poolMax = prometheus.NewDesc("portal_db_pool_max_conns",
		"The most PostgreSQL connections the pool opens (PORTAL_DATABASE_MAX_CONNS).", nil, nil)
	poolAcquires = prometheus.NewDesc("portal_db_pool_acquires_total",
		"Connections taken from the pool.", nil, nil)
	poolAcquireSeconds = prometheus.NewDesc("portal_db_pool_acquire_seconds_total",
		"Time spent taking connections from the pool.", nil, nil)
	poolEmptyAcquires = prometheus.NewDesc("portal_db_pool_empty_acquires_total",
		"Connections asked for when none was idle: the request waited for one to be opened or freed.", nil, nil)
	poolEmptyWaitSeconds = prometheus.NewDesc("portal_db_pool_empty_acquire_wait_seconds_total",
		"Time spent waiting for a connection when none was idle.", nil, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax,
		poolAcquires, poolAcquireSeconds, poolEmptyAcquires, poolEmptyWaitSeconds} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolMax, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireSeconds, s.AcquireDuration().Seconds())
	counter(poolEmptyAcquires, float64(s.EmptyAcquireCount()))
	counter(poolEmptyWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
}
