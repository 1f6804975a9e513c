package dispatch_test

import (
	"errors"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/metrics/metricstest"
)

// TestDeliveryMetrics: every provider call is counted by provider and
// outcome, retries included, and the wait from queueing to a provider
// taking the message is timed on the dispatcher's clock.
func TestDeliveryMetrics(t *testing.T) {
	first := &scripted{script: []error{permanent("21408 region not enabled"), permanent("21408 region not enabled")}}
	second := &scripted{script: []error{errors.New("503 service unavailable")}}
	h := newHarness(t, dispatch.Provider{Name: "first", Sender: first}, dispatch.Provider{Name: "second", Sender: second})
	m := metrics.New()
	h.d.Metrics = m
	h.queue("hello", 10*time.Minute)
	h.runOnce() // first refuses, second is down: retry in 2 s
	h.advance(2 * time.Second)
	h.runOnce() // first refuses, second takes it

	f := metricstest.Scrape(t, m.Handler())
	for _, c := range []struct {
		provider, outcome string
		want              float64
	}{
		{"first", "refused", 2},
		{"second", "unavailable", 1},
		{"second", "accepted", 1},
		{"first", "accepted", 0},
	} {
		if got := f.Value("portal_delivery_attempts_total", "channel", "sms", "provider", c.provider, "outcome", c.outcome); got != c.want {
			t.Errorf("attempts %s %s = %v, want %v", c.provider, c.outcome, got, c.want)
		}
	}
	if n, s := f.Value("portal_delivery_latency_seconds", "channel", "sms", "provider", "second"), f.Sum("portal_delivery_latency_seconds", "channel", "sms", "provider", "second"); n != 1 || s != 2 {
		t.Errorf("delivery latency: %v observations summing to %vs, want one of 2s (queued, then taken after the 2 s backoff)", n, s)
	}
	if n := f.Value("portal_delivery_latency_seconds", "provider", "first"); n != 0 {
		t.Errorf("a provider that never took the message has %v latency observations", n)
	}
}
