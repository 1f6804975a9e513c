package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// The Overview's charts, drawn on the server as SVG: the CSP allows no
// script and no style attributes, and SVG's presentation attributes and
// classes need neither. Colours and dashes come from portal.css (.series-N),
// so a series reads apart without its colour too. Each chart is an image
// with a title; the numbers it draws are in a table beside it.

// Chart sizes, in the viewBox's units; the image scales to its box.
const (
	chartWidth  = 640
	chartHeight = 220
	chartLeft   = 44 // room for the vertical axis's numbers
	chartRight  = 12
	legendRow   = 20 // the height of a row of the legend, above the plot
	legendGap   = 24 // between two entries of the legend
	charWidth   = 8  // about, at the charts' font size, for laying out the legend
	chartBottom = 26 // room for the times
	barRow      = 28
	barTop      = 15  // above the first bar
	barLabel    = 190 // room for a bar's name
	maxTimes    = 6   // at most this many times are written under a chart
	maxLabel    = 24  // runes of a bar's name that are drawn
)

// chartSeries is one line of a timeChart: a value for each bucket.
type chartSeries struct {
	Name   string
	Values []int
}

// timeChart draws series over time, one point per bucket.
type timeChart struct {
	ID, Title string
	Times     []string // a label for each bucket
	Series    []chartSeries
}

// chartBar is one bar of a barChart.
type chartBar struct {
	Label string
	Value int
}

// barChart draws one horizontal bar for each of Bars.
type barChart struct {
	ID, Title string
	Bars      []chartBar
}

// SVG is the chart as an SVG image.
func (c timeChart) SVG() template.HTML {
	var b svgBuilder
	b.open(c.ID, c.Title, chartWidth, chartHeight)
	plotTop := b.legend(c.Series)
	top := 0
	for _, s := range c.Series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	plotW, plotH := float64(chartWidth-chartLeft-chartRight), float64(chartHeight-plotTop-chartBottom)
	scale := niceCeil(top)
	y := func(v int) float64 { return float64(plotTop) + plotH - plotH*float64(v)/float64(scale) }
	for _, v := range []int{0, scale / 2, scale} {
		if v == scale/2 && scale%2 != 0 {
			continue
		}
		b.line("grid", chartLeft, y(v), chartWidth-chartRight, y(v))
		b.text("axis", chartLeft-6, y(v)+4, "end", strconv.Itoa(v))
	}
	n := len(c.Times)
	x := func(i int) float64 { return chartLeft + plotW*(float64(i)+0.5)/float64(max(n, 1)) }
	every := (n + maxTimes - 1) / maxTimes
	for i, t := range c.Times {
		if i%every == 0 {
			b.text("axis", x(i), chartHeight-8, "middle", t)
		}
	}
	if top == 0 {
		b.text("empty", chartLeft+plotW/2, float64(plotTop)+plotH/2, "middle", "Nothing in this period")
	}
	for k, s := range c.Series {
		class := "series-" + strconv.Itoa(k%seriesStyles)
		if top == 0 {
			continue
		}
		points := make([]string, 0, len(s.Values))
		for i, v := range s.Values {
			points = append(points, num(x(i))+","+num(y(v)))
		}
		if len(points) > 1 {
			b.buf.WriteString(`<polyline class="line ` + class + `" fill="none" points="` + strings.Join(points, " ") + `"/>`)
		}
		for i, v := range s.Values {
			b.buf.WriteString(`<circle class="` + class + `" cx="` + num(x(i)) + `" cy="` + num(y(v)) + `" r="3"/>`)
		}
	}
	return b.close()
}

// SVG is the chart as an SVG image.
func (c barChart) SVG() template.HTML {
	var b svgBuilder
	height := barTop + barRow*max(len(c.Bars), 1)
	b.open(c.ID, c.Title, chartWidth, height)
	top := 0
	for _, bar := range c.Bars {
		top = max(top, bar.Value)
	}
	if top == 0 {
		b.text("empty", chartWidth/2, float64(height)/2+4, "middle", "Nothing in this period")
	}
	room := float64(chartWidth - barLabel - 60) // the number goes after the bar
	for i, bar := range c.Bars {
		if top == 0 {
			break
		}
		y := float64(barTop + i*barRow)
		w := room * float64(bar.Value) / float64(top)
		b.text("legend", barLabel-8, y+barRow/2+4, "end", shorten(bar.Label))
		b.buf.WriteString(`<rect class="bar series-` + strconv.Itoa(i%seriesStyles) + `" x="` + strconv.Itoa(barLabel) + `" y="` + num(y+4) +
			`" width="` + num(w) + `" height="` + strconv.Itoa(barRow-8) + `"/>`)
		b.text("axis", barLabel+w+6, y+barRow/2+4, "start", strconv.Itoa(bar.Value))
	}
	return b.close()
}

// seriesStyles is how many .series-N classes portal.css has.
const seriesStyles = 5

// svgBuilder writes an SVG image; every text it is given is escaped.
type svgBuilder struct{ buf strings.Builder }

func (b *svgBuilder) open(id, title string, width, height int) {
	id = html.EscapeString(id)
	b.buf.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ` + strconv.Itoa(width) + ` ` + strconv.Itoa(height) +
		`" role="img" aria-labelledby="` + id + `-title"><title id="` + id + `-title">` + html.EscapeString(title) + `</title>`)
}

// legend writes the names of series above the plot, in as many rows as
// they need, and returns where the plot starts.
func (b *svgBuilder) legend(series []chartSeries) int {
	x, row := chartLeft, 0
	for k, s := range series {
		w := 28 + charWidth*len([]rune(s.Name))
		if x > chartLeft && x+w > chartWidth-chartRight {
			x, row = chartLeft, row+1
		}
		y := float64(legendRow*row + 14)
		b.line("series-"+strconv.Itoa(k%seriesStyles), float64(x), y-4, float64(x+22), y-4)
		b.text("legend", float64(x+28), y, "start", s.Name)
		x += w + legendGap
	}
	return legendRow*(row+1) + 10
}

func (b *svgBuilder) close() template.HTML {
	b.buf.WriteString(`</svg>`)
	return template.HTML(b.buf.String()) // #nosec G203 -- built by svgBuilder, which escapes every text and name it writes
}

func (b *svgBuilder) line(class string, x1, y1, x2, y2 float64) {
	b.buf.WriteString(`<line class="` + class + `" x1="` + num(x1) + `" y1="` + num(y1) + `" x2="` + num(x2) + `" y2="` + num(y2) + `"/>`)
}

func (b *svgBuilder) text(class string, x, y float64, anchor, s string) {
	b.buf.WriteString(`<text class="` + class + `" x="` + num(x) + `" y="` + num(y) + `" text-anchor="` + anchor + `">` + html.EscapeString(s) + `</text>`)
}

// num writes a coordinate to a tenth of a unit.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// niceCeil is the smallest of 1, 2, 5, 10, 20, 50, … at or above n: the
// top of a chart's scale, so that its grid lines fall on round numbers.
func niceCeil(n int) int {
	for step := 1; ; step *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*step >= n {
				return m * step
			}
		}
	}
}

// shorten cuts a bar's name to what fits beside it; the table has it whole.
func shorten(s string) string {
	if r := []rune(s); len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}
