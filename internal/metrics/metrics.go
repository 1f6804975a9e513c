// Package metrics counts what operators watch, for Prometheus: logins and
// their outcomes, codes issued, messages by how they ended, and refusals
// by the budgets against SMS pumping. It keeps its own registry (no
// globals), served by Handler on the operator's metrics address.
package metrics

import (
	"net/http"

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
	messages *prometheus.CounterVec
	budgets  *prometheus.CounterVec
}

// New registers the portal's counters and the Go runtime's.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_login_steps_total",
			Help: "Login steps by step (password, code) and outcome (success, failure, throttled, locked).",
		}, []string{"step", "outcome"}),
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_codes_issued_total",
			Help: "One-time codes issued, by purpose and channel.",
		}, []string{"purpose", "channel"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_messages_final_total",
			Help: "Outbox messages by channel, final status (sent, delivered, failed, expired) and provider.",
		}, []string{"channel", "status", "provider"}),
		budgets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_sms_budget_refusals_total",
			Help: "Text messages refused by a budget against SMS pumping (client address, country, whole portal, country not allowed).",
		}, []string{"budget"}),
	}
	m.registry.MustRegister(m.logins, m.codes, m.messages, m.budgets,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
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

// CodeIssued counts a code issued.
func (m *Metrics) CodeIssued(purpose, channel string) {
	if m != nil {
		m.codes.WithLabelValues(purpose, channel).Inc()
	}
}

// MessageFinal counts a message that reached a final status.
func (m *Metrics) MessageFinal(channel, status, provider string) {
	if m != nil {
		m.messages.WithLabelValues(channel, status, provider).Inc()
	}
}

// BudgetRefused counts a text message refused by a budget.
func (m *Metrics) BudgetRefused(budget string) {
	if m != nil {
		m.budgets.WithLabelValues(budget).Inc()
	}
}
