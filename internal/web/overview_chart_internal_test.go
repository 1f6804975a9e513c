package web

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed reports whether s parses as XML, as an SVG image must.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
	}
}

func TestChartsSVG(t *testing.T) {
	for _, c := range []struct {
		name  string
		svg   string
		want  []string
		never []string
	}{{
		name: "escaping",
		svg: string(timeChart{ID: `x"><script>`, Title: `Codes & <b>"more"</b>`, Times: []string{"<09:00>"},
			Series: []chartSeries{{Name: "<img src=x onerror=alert(1)>", Values: []int{3}}}}.SVG()),
		want:  []string{`<title id="x&#34;&gt;&lt;script&gt;-title">Codes &amp; &lt;b&gt;&#34;more&#34;&lt;/b&gt;</title>`, "&lt;img src=x onerror=alert(1)&gt;", "&lt;09:00&gt;"},
		never: []string{"<script>", "<b>", "<img", "<09:00>"},
	}, {
		name:  "bar escaping",
		svg:   string(barChart{ID: "p", Title: "Providers", Bars: []chartBar{{Label: `</text><script>alert(1)</script>`, Value: 2}}}.SVG()),
		want:  []string{"&lt;/text&gt;&lt;script&gt;"},
		never: []string{"<script>"},
	}, {
		name:  "empty",
		svg:   string(timeChart{ID: "e", Title: "Nothing", Times: []string{"09:00", "10:00"}, Series: []chartSeries{{Name: "Sent", Values: []int{0, 0}}}}.SVG()),
		want:  []string{"Nothing in this period", `<text class="legend"`},
		never: []string{"<polyline", "<circle", "NaN", "Inf"},
	}, {
		name:  "no buckets at all",
		svg:   string(timeChart{ID: "n", Title: "Nothing"}.SVG()),
		want:  []string{"Nothing in this period"},
		never: []string{"<polyline", "NaN", "Inf"},
	}, {
		name:  "empty bars",
		svg:   string(barChart{ID: "b", Title: "None"}.SVG()),
		want:  []string{"Nothing in this period"},
		never: []string{"<rect", "NaN", "Inf"},
	}, {
		name: "one bucket",
		// A point, not a line of one point (invisible), in the middle.
		svg:   string(timeChart{ID: "o", Title: "One", Times: []string{"09:00"}, Series: []chartSeries{{Name: "Sent", Values: []int{4}}}}.SVG()),
		want:  []string{`<circle class="series-0" cx="336.0"`, `>09:00</text>`, `>5</text>`},
		never: []string{"<polyline", "Nothing in this period"},
	}, {
		name:  "two buckets",
		svg:   string(timeChart{ID: "t", Title: "Two", Times: []string{"09:00", "10:00"}, Series: []chartSeries{{Name: "Sent", Values: []int{0, 10}}, {Name: "Failed", Values: []int{1, 0}}}}.SVG()),
		want:  []string{`<polyline class="line series-0" fill="none" points="190.0,194.0 482.0,30.0"/>`, `<polyline class="line series-1"`, `>10</text>`, `>5</text>`},
		never: []string{"Nothing in this period"},
	}, {
		name: "a legend too long for one row",
		svg: string(timeChart{ID: "l", Title: "Long", Times: []string{"09:00"}, Series: []chartSeries{
			{Name: "Budget refusals", Values: []int{1}}, {Name: "Lockouts after wrong codes", Values: []int{1}},
			{Name: "Lockouts after wrong passwords", Values: []int{1}}, {Name: "Logins", Values: []int{1}}}}.SVG()),
		want: []string{`<text class="legend" x="72.0" y="14.0" text-anchor="start">Budget refusals</text>`,
			`<text class="legend" x="72.0" y="34.0" text-anchor="start">Lockouts after wrong passwords</text>`},
	}, {
		name: "bars to scale",
		svg:  string(barChart{ID: "s", Title: "Scale", Bars: []chartBar{{"twilio", 10}, {"smtp", 5}}}.SVG()),
		want: []string{`<rect class="bar series-0" x="190" y="19.0" width="390.0"`, `<rect class="bar series-1" x="190" y="47.0" width="195.0"`, `>twilio</text>`},
	}} {
		t.Run(c.name, func(t *testing.T) {
			wellFormed(t, c.svg)
			for _, w := range c.want {
				if !strings.Contains(c.svg, w) {
					t.Errorf("lacks %s\n%s", w, c.svg)
				}
			}
			for _, n := range c.never {
				if strings.Contains(c.svg, n) {
					t.Errorf("has %s\n%s", n, c.svg)
				}
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 5, 5: 5, 6: 10, 11: 20, 49: 50, 51: 100, 999: 1000, 1001: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestShorten(t *testing.T) {
	long := strings.Repeat("é", 40)
	if got := shorten(long); len([]rune(got)) != maxLabel || !strings.HasSuffix(got, "…") {
		t.Errorf("shorten(40 runes) = %q", got)
	}
	if got := shorten("twilio"); got != "twilio" {
		t.Errorf("shorten(twilio) = %q", got)
	}
}
