// Package metricstest reads the portal's metrics in tests the way
// Prometheus does: it parses the text that /metrics serves.
package metricstest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are the metrics of one scrape, by name; Text is what was served.
type Families struct {
	Text   string
	ByName map[string]*dto.MetricFamily
}

// Scrape asks h for /metrics.
func Scrape(t testing.TB, h http.Handler) Families {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return Parse(t, rec.Body.String())
}

// Fetch gets the metrics at url over HTTP; ok is false if the server did
// not answer 200.
func Fetch(t testing.TB, url string) (f Families, ok bool) {
	t.Helper()
	resp, err := http.Get(url) // #nosec G107 -- test helper: url is the address of the test's own server
	if err != nil {
		return Families{}, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return Families{}, false
	}
	return Parse(t, string(b)), true
}

// Parse parses Prometheus's text format.
func Parse(t testing.TB, text string) Families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, text)
	}
	return Families{Text: text, ByName: fams}
}

// Value is the sum of the series of the metric name whose labels include
// the pairs given (name, value, name, value …): a counter's or a gauge's
// value, a histogram's count of observations. 0 when there is none.
func (f Families) Value(name string, labels ...string) float64 {
	v, _ := f.values(name, labels)
	return v
}

// Sum is the sum of the observations of the histogram name, over the
// series whose labels include the pairs given.
func (f Families) Sum(name string, labels ...string) float64 {
	_, s := f.values(name, labels)
	return s
}

func (f Families) values(name string, labels []string) (value, sum float64) {
	fam := f.ByName[name]
	if fam == nil {
		return 0, 0
	}
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			value += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			value += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			value += float64(m.GetHistogram().GetSampleCount())
			sum += m.GetHistogram().GetSampleSum()
		case m.GetUntyped() != nil:
			value += m.GetUntyped().GetValue()
		}
	}
	return value, sum
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// LabelValues calls f with every label of every series.
func (f Families) LabelValues(each func(metric, label, value string)) {
	for name, fam := range f.ByName {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				each(name, l.GetName(), l.GetValue())
			}
		}
	}
}
