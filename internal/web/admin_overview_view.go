package web

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// overviewRange is a span the Overview page shows, cut into buckets.
type overviewRange struct {
	Key, Name string
	Bucket    time.Duration
	Buckets   int
	Layout    string // how a bucket's start is written
}

// overviewRanges are the spans an administrator can choose; the day
// (overviewRanges[defaultRange]) unless another is asked for.
var overviewRanges = []overviewRange{
	{"hour", "Last hour", 5 * time.Minute, 12, "15:04"},
	{"day", "Last day", time.Hour, 24, "15:04"},
	{"week", "Last week", 6 * time.Hour, 28, "Mon 15:04"},
}

const defaultRange = 1

// query is the store's query for the range ending with the bucket that
// holds now: buckets start on round times (UTC), the last one is running.
func (r overviewRange) query(now time.Time) store.OverviewQuery {
	until := now.UTC().Truncate(r.Bucket).Add(r.Bucket)
	return store.OverviewQuery{Since: until.Add(-time.Duration(r.Buckets) * r.Bucket), Bucket: r.Bucket, Buckets: r.Buckets}
}

// overviewView is the Overview page.
type overviewView struct {
	Range   overviewRange
	Ranges  []overviewRange
	From    string // the span, in UTC
	To      string
	Totals  []overviewTotal
	Charts  []overviewChart
	Channel overviewTable
}

// overviewTotal is one of the figures at the top of the page.
type overviewTotal struct {
	Label, Value, Note string
}

// overviewChart is a chart and the table of the numbers it draws.
type overviewChart struct {
	ID, Title, Lead string
	SVG             template.HTML
	Table           overviewTable
}

// overviewTable is a table of counts: a row per item, a column per count.
type overviewTable struct {
	Caption string
	Head    []string // the first names the rows
	Rows    [][]string
}

// the counts of one channel, provider or calling code
type deliveryCounts struct {
	Sent, Delivered, Accepted, Waiting, Failed int
	Issued, Verified                           int
}

func (c *deliveryCounts) add(t store.MessageTally) {
	c.Sent += t.Count
	switch t.Status {
	case store.MessageDelivered:
		c.Delivered += t.Count
	case store.MessageSent:
		c.Accepted += t.Count
	case store.MessageQueued, store.MessageSending:
		c.Waiting += t.Count
	default: // failed, expired
		c.Failed += t.Count
	}
}

// Plain names of what the store counts.
var (
	channelNames       = map[store.Channel]string{store.ChannelSMS: "Text message", store.ChannelEmail: "Email"}
	deliveryTimeNames  = []string{"Under 5 seconds", "5 to 15 seconds", "15 seconds to 1 minute", "1 to 5 minutes", "5 minutes or more"}
	overviewEventNames = map[[2]string]string{
		{"code.sent", "limited"}:       "Budget refusals",
		{"account.locked", "codes"}:    "Lockouts after wrong codes",
		{"account.locked", "password"}: "Lockouts after wrong passwords",
		{"login", "success"}:           "Logins",
	}
)

// newOverviewView builds the page from the store's counts of r's query q.
func newOverviewView(r overviewRange, q store.OverviewQuery, c *store.OverviewCounts) *overviewView {
	v := &overviewView{Range: r, Ranges: overviewRanges, From: formatTime(q.Since), To: formatTime(q.Until())}
	times := make([]string, q.Buckets)
	for i := range times {
		times[i] = q.Since.Add(time.Duration(i) * q.Bucket).UTC().Format(r.Layout)
	}
	t := newOverviewTally(q.Buckets)
	t.addMessages(c.Messages)
	t.addCodes(c.Codes)
	t.addEvents(c.Events)
	v.Totals = t.totals()
	v.Charts = t.charts(times)
	v.Channel = countsTable("Codes by channel", "Channel", t.channels, true)
	return v
}

// overviewTally sums the store's counts up for the page: codes over time,
// in all, and by channel, provider and calling code; delivery times; the
// OverviewEvents over time and in all. Counts outside the buckets are
// left out.
type overviewTally struct {
	buckets                           int
	sent, delivered, failed, verified []int // per bucket
	all                               deliveryCounts
	channels, providers, codes        map[string]*deliveryCounts
	deliveryTimes                     []int // per class of deliveryTimeNames
	events                            map[[2]string][]int
	eventTotals                       map[[2]string]int
}

func newOverviewTally(buckets int) *overviewTally {
	t := &overviewTally{
		buckets: buckets,
		sent:    make([]int, buckets), delivered: make([]int, buckets), failed: make([]int, buckets), verified: make([]int, buckets),
		channels: map[string]*deliveryCounts{}, providers: map[string]*deliveryCounts{}, codes: map[string]*deliveryCounts{},
		deliveryTimes: make([]int, len(deliveryTimeNames)),
		events:        map[[2]string][]int{},
		eventTotals:   map[[2]string]int{},
	}
	for _, e := range store.OverviewEvents {
		t.events[e] = make([]int, buckets)
	}
	return t
}

func (t *overviewTally) inBucket(b int) bool { return b >= 0 && b < t.buckets }

// countsOf is the counts of key in m, made when m has none yet.
func countsOf(m map[string]*deliveryCounts, key string) *deliveryCounts {
	if m[key] == nil {
		m[key] = &deliveryCounts{}
	}
	return m[key]
}

// addMessages counts the messages that carried codes.
func (t *overviewTally) addMessages(messages []store.MessageTally) {
	for _, m := range messages {
		if !t.inBucket(m.Bucket) {
			continue
		}
		t.sent[m.Bucket] += m.Count
		switch m.Status {
		case store.MessageDelivered:
			t.delivered[m.Bucket] += m.Count
		case store.MessageFailed, store.MessageExpired:
			t.failed[m.Bucket] += m.Count
		}
		t.all.add(m)
		countsOf(t.channels, channelName(m.Channel)).add(m)
		countsOf(t.providers, providerName(m.Provider)).add(m)
		if m.Channel == store.ChannelSMS {
			countsOf(t.codes, callingCodeName(m.Prefix)).add(m)
		}
		if m.DeliveryTime >= 0 && m.DeliveryTime < len(t.deliveryTimes) {
			t.deliveryTimes[m.DeliveryTime] += m.Count
		}
	}
}

// addCodes counts the codes issued and verified.
func (t *overviewTally) addCodes(codes []store.CodeTally) {
	for _, c := range codes {
		if !t.inBucket(c.Bucket) {
			continue
		}
		t.verified[c.Bucket] += c.Verified
		t.all.Issued += c.Issued
		t.all.Verified += c.Verified
		ch := countsOf(t.channels, channelName(c.Channel))
		ch.Issued += c.Issued
		ch.Verified += c.Verified
		if c.Channel == store.ChannelSMS {
			cc := countsOf(t.codes, callingCodeName(c.Prefix))
			cc.Issued += c.Issued
			cc.Verified += c.Verified
		}
	}
}

// addEvents counts the OverviewEvents; other events are left out.
func (t *overviewTally) addEvents(events []store.EventTally) {
	for _, e := range events {
		k := [2]string{e.Event, e.Outcome}
		if t.events[k] == nil || !t.inBucket(e.Bucket) {
			continue
		}
		t.events[k][e.Bucket] += e.Count
		t.eventTotals[k] += e.Count
	}
}

// totals are the figures at the top of the page.
func (t *overviewTally) totals() []overviewTotal {
	all := t.all
	totals := []overviewTotal{
		{"Codes sent", fmt.Sprint(all.Sent), ""},
		{"Delivered", fmt.Sprint(all.Delivered), share(all.Delivered, all.Sent, "of the codes sent")},
		{"Failed", fmt.Sprint(all.Failed), share(all.Failed, all.Sent, "of the codes sent")},
		{"Verified", fmt.Sprint(all.Verified), share(all.Verified, all.Issued, "of the codes issued")},
	}
	for _, e := range store.OverviewEvents {
		totals = append(totals, overviewTotal{overviewEventNames[e], fmt.Sprint(t.eventTotals[e]), ""})
	}
	return totals
}

// charts are the page's charts, in order, over the buckets' times.
func (t *overviewTally) charts(times []string) []overviewChart {
	codeSeries := []chartSeries{{"Sent", t.sent}, {"Delivered", t.delivered}, {"Failed", t.failed}, {"Verified", t.verified}}
	eventSeries := make([]chartSeries, len(store.OverviewEvents))
	for i, e := range store.OverviewEvents {
		eventSeries[i] = chartSeries{overviewEventNames[e], t.events[e]}
	}
	return []overviewChart{
		timeCharted("codes", "Codes over time",
			"Codes sent in each period, how many were reported delivered or failed, and how many were used to log in.", times, codeSeries),
		timeCharted("events", "Refusals, lockouts and logins over time",
			"Codes refused because a sending budget was full, accounts locked, and completed logins.", times, eventSeries),
		barCharted("providers", "Codes by provider", "Who took each code to send it. “None yet” are codes not yet handed to a provider.",
			"Provider", t.providers, false),
		barCharted("countries", "Text messages by country calling code", "Where text messages went, by the calling code of the number.",
			"Calling code", t.codes, true),
		deliveryTimeCharted(t.deliveryTimes),
	}
}

// deliveryTimeCharted is the chart of the codes delivered by delivery
// time (counts, per class of deliveryTimeNames), with its table.
func deliveryTimeCharted(counts []int) overviewChart {
	bars := make([]chartBar, len(counts))
	rows := make([][]string, len(counts))
	for i, n := range counts {
		bars[i] = chartBar{deliveryTimeNames[i], n}
		rows[i] = []string{deliveryTimeNames[i], fmt.Sprint(n)}
	}
	return overviewChart{
		ID: "delivery", Title: "Delivery time",
		Lead:  "From sending to the provider's report of delivery, for the codes reported delivered.",
		SVG:   barChart{ID: "delivery", Title: "Delivery time", Bars: bars}.SVG(),
		Table: overviewTable{Caption: "Codes delivered, by delivery time", Head: []string{"Delivery time", "Codes"}, Rows: rows},
	}
}

// timeCharted is a chart of series over times, with their table.
func timeCharted(id, title, lead string, times []string, series []chartSeries) overviewChart {
	head := []string{"Period starting (UTC)"}
	for _, s := range series {
		head = append(head, s.Name)
	}
	rows := make([][]string, len(times))
	for i, t := range times {
		rows[i] = []string{t}
		for _, s := range series {
			rows[i] = append(rows[i], fmt.Sprint(s.Values[i]))
		}
	}
	return overviewChart{
		ID: id, Title: title, Lead: lead,
		SVG:   timeChart{ID: id, Title: title, Times: times, Series: series}.SVG(),
		Table: overviewTable{Caption: title, Head: head, Rows: rows},
	}
}

// barCharted is a chart of the codes sent of each of counts, with the
// table of all their counts.
func barCharted(id, title, lead, name string, counts map[string]*deliveryCounts, withVerified bool) overviewChart {
	t := countsTable(title, name, counts, withVerified)
	bars := make([]chartBar, len(t.Rows))
	for i, k := range sortedKeys(counts) {
		bars[i] = chartBar{k, counts[k].Sent}
	}
	return overviewChart{ID: id, Title: title, Lead: lead, SVG: barChart{ID: id, Title: title, Bars: bars}.SVG(), Table: t}
}

// countsTable is a row for each of counts, most codes sent first.
func countsTable(caption, name string, counts map[string]*deliveryCounts, withVerified bool) overviewTable {
	t := overviewTable{Caption: caption, Head: []string{name, "Sent", "Delivered", "Accepted, no report yet", "Waiting to go out", "Failed"}}
	if withVerified {
		t.Head = append(t.Head, "Codes issued", "Verified")
	}
	for _, k := range sortedKeys(counts) {
		c := counts[k]
		row := []string{k, fmt.Sprint(c.Sent), fmt.Sprint(c.Delivered), fmt.Sprint(c.Accepted), fmt.Sprint(c.Waiting), fmt.Sprint(c.Failed)}
		if withVerified {
			row = append(row, fmt.Sprint(c.Issued), fmt.Sprint(c.Verified))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// sortedKeys are the keys of counts, most codes sent first, then by name.
func sortedKeys(counts map[string]*deliveryCounts) []string {
	return slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b].Sent, counts[a].Sent), cmp.Compare(a, b))
	})
}

// share is part of whole as a percentage, with what whole is; "" when
// whole is nothing.
func share(part, whole int, of string) string {
	if whole == 0 {
		return ""
	}
	return fmt.Sprintf("%d%% %s", (part*100+whole/2)/whole, of)
}

func channelName(c store.Channel) string {
	if n, ok := channelNames[c]; ok {
		return n
	}
	return string(c)
}

func providerName(p string) string {
	if p == "" {
		return "None yet"
	}
	return p
}

// callingCodeName names the calling code of an SMS destination prefix,
// with the regions that share it: "+44 (GB, GG, IM, JE)", "+1 (US, AG,
// and 23 more)".
func callingCodeName(prefix string) string {
	code, regions := phone.CallingCodeOfPrefix(prefix)
	switch {
	case code == "":
		return "Unknown"
	case len(regions) == 1 && regions[0] == "001":
		return code + " (no country)"
	case len(regions) > 3:
		return fmt.Sprintf("%s (%s and %d more)", code, strings.Join(regions[:2], ", "), len(regions)-2)
	}
	return code + " (" + strings.Join(regions, ", ") + ")"
}
