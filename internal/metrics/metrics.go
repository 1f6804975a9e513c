// Package metrics counts what operators watch, for Prometheus: logins and
// their outcomes, codes issued and checked, lockouts, message delivery
// (attempts, latency and how messages ended), refusals by the budgets
// against SMS pumping, the queue for password hashing, request latency by
// route and the database pools. It keeps its own registry (no globals),
// served by Handler on the operator's metrics address.
//
// Every label value is drawn from a small fixed set (a step, a channel, a
// route pattern, a country code): never an address, a number, a code or a
// token, so the series stay few and the metrics hold nothing secret.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the portal's counters. A nil *Metrics counts nothing, so
// code and tests that do not care need not build one.
type Metrics struct {
	registry *prometheus.Registry
	logins   *prometheus.CounterVec
	codes    *prometheus.CounterVec
	checks   *prometheus.CounterVec
	lockouts *prometheus.CounterVec
	messages *prometheus.CounterVec
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	budgets  *prometheus.CounterVec

	hashSlots   prometheus.Gauge
	hashInUse   prometheus.Gauge
	hashWaiting prometheus.Gauge
	hashShed    prometheus.Counter

	requests *prometheus.HistogramVec
}

// New registers the portal's counters and the Go runtime's.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.registerLogins()
	m.registerDelivery()
	m.registerPasswordHashing()
	m.registerRequests()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// registerLogins registers the counters of login steps, codes and locks.
func (m *Metrics) registerLogins() {
	m.logins = counterVec("portal_login_steps_total",
		"Login steps by step (password, code) and outcome (success, failure, throttled, locked, busy).",
		"step", "outcome")
	m.codes = counterVec("portal_codes_issued_total",
		"One-time codes issued (stored and queued for sending), by purpose, channel and country: the ISO region of the phone number, \"none\" for email.",
		"purpose", "channel", "country")
	m.checks = counterVec("portal_codes_checked_total",
		"One-time codes entered, by purpose, channel, country (as for portal_codes_issued_total) and outcome (verified, wrong, expired).",
		"purpose", "channel", "country", "outcome")
	m.lockouts = counterVec("portal_lockouts_total",
		"Locks set by a wrong password or code, by step (password, code) and scope (account, ip): each backoff and each longer lock.",
		"step", "scope")
	m.registry.MustRegister(m.logins, m.codes, m.checks, m.lockouts)
}

// registerDelivery registers the counters of messages, their delivery and
// the budgets against SMS pumping.
func (m *Metrics) registerDelivery() {
	m.messages = counterVec("portal_messages_final_total",
		"Outbox messages by channel, final status (sent, delivered, failed, expired) and provider.",
		"channel", "status", "provider")
	m.attempts = counterVec("portal_delivery_attempts_total",
		"Calls to a provider to send a message, by channel, provider and outcome: accepted, refused (for good by this provider) or unavailable (timeout, 5xx, 429: tried again later).",
		"channel", "provider", "outcome")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portal_delivery_latency_seconds",
		Help:    "Time from a message being queued to a provider accepting it, retries included, by channel and provider.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
	}, []string{"channel", "provider"})
	m.budgets = counterVec("portal_sms_budget_refusals_total",
		"Text messages refused by a budget against SMS pumping (client address, country, whole portal, country not allowed, non-geographic number).",
		"budget")
	m.registry.MustRegister(m.messages, m.attempts, m.latency, m.budgets)
}

// registerPasswordHashing registers the gauges and counter of the queue
// for password hashing.
func (m *Metrics) registerPasswordHashing() {
	m.hashSlots = gauge("portal_password_hash_slots", "Password hashes that may run at once.")
	m.hashInUse = gauge("portal_password_hash_slots_in_use", "Password hashing slots taken just now.")
	m.hashWaiting = gauge("portal_password_hash_waiting", "Requests waiting for a password hashing slot just now.")
	m.hashShed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_password_hash_shed_total",
		Help: "Requests turned away (429, try again in a moment) because no password hashing slot came free in time.",
	})
	m.registry.MustRegister(m.hashSlots, m.hashInUse, m.hashWaiting, m.hashShed)
}

// registerRequests registers the histogram of request latency by route.
func (m *Metrics) registerRequests() {
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portal_http_request_duration_seconds",
		Help:    "Time to answer a request, by route (the pattern that served it, \"other\" for unknown paths), method and status code.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method", "code"})
	m.registry.MustRegister(m.requests)
}

// counterVec is a counter of the portal's, by labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// gauge is a gauge of the portal's.
func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// LoginStep counts a step of a login.
func (m *Metrics) LoginStep(step, outcome string) {
	if m != nil {
		m.logins.WithLabelValues(step, outcome).Inc()
	}
}

// CodeIssued counts a code issued. country is an ISO region ("GB") or
// "none"; anything else is counted as "unknown".
func (m *Metrics) CodeIssued(purpose, channel, country string) {
	if m != nil {
		m.codes.WithLabelValues(purpose, channel, countryLabel(country)).Inc()
	}
}

// CodeChecked counts a code entered: verified, wrong or expired.
func (m *Metrics) CodeChecked(purpose, channel, country, outcome string) {
	if m != nil {
		m.checks.WithLabelValues(purpose, channel, countryLabel(country), outcome).Inc()
	}
}

// countryLabel keeps the country label to ISO regions and "none", so that
// a mistake by a caller can never put a number or an address in it.
func countryLabel(c string) string {
	if c == "none" || (len(c) == 2 && 'A' <= c[0] && c[0] <= 'Z' && 'A' <= c[1] && c[1] <= 'Z') {
		return c
	}
	return "unknown"
}

// Lockout counts a lock set on an account or a client address.
func (m *Metrics) Lockout(step, scope string) {
	if m != nil {
		m.lockouts.WithLabelValues(step, scope).Inc()
	}
}

// MessageFinal counts a message that reached a final status.
func (m *Metrics) MessageFinal(channel, status, provider string) {
	if m != nil {
		m.messages.WithLabelValues(channel, status, provider).Inc()
	}
}

// DeliveryAttempt counts one call to a provider.
func (m *Metrics) DeliveryAttempt(channel, provider, outcome string) {
	if m != nil {
		m.attempts.WithLabelValues(channel, provider, outcome).Inc()
	}
}

// Delivered records how long a message waited, from being queued to a
// provider accepting it.
func (m *Metrics) Delivered(channel, provider string, waited time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(channel, provider).Observe(max(0, waited.Seconds()))
	}
}

// BudgetRefused counts a text message refused by a budget.
func (m *Metrics) BudgetRefused(budget string) {
	if m != nil {
		m.budgets.WithLabelValues(budget).Inc()
	}
}

// HashSlots records how many password hashes may run at once.
func (m *Metrics) HashSlots(n int) {
	if m != nil {
		m.hashSlots.Set(float64(n))
	}
}

// HashInUse adds delta (1 or -1) to the password hashing slots taken.
func (m *Metrics) HashInUse(delta int) {
	if m != nil {
		m.hashInUse.Add(float64(delta))
	}
}

// HashWaiting adds delta (1 or -1) to the requests waiting for a slot.
func (m *Metrics) HashWaiting(delta int) {
	if m != nil {
		m.hashWaiting.Add(float64(delta))
	}
}

// HashShed counts a request turned away for lack of a hashing slot.
func (m *Metrics) HashShed() {
	if m != nil {
		m.hashShed.Inc()
	}
}

// Request records the time taken to answer a request. route must be a
// pattern of the server's mux (or "other"), never the path itself, which
// could hold anything a client sends.
func (m *Metrics) Request(route, method string, code int, took time.Duration) {
	if m != nil {
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Observe(took.Seconds())
	}
}
