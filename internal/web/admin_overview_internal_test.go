package web

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/tabletest"
)

func TestCallingCodeName(t *testing.T) {
	tabletest.Check(t, "callingCodeName", callingCodeName, map[string]string{
		"+447": "+44 (GB, GG and 2 more)",
		"+353": "+353 (IE)",
		"+155": "+1 (US, AG and 23 more)",
		"+882": "+882 (no country)",
		"":     "Unknown",
		"+0":   "Unknown",
	})
}

func TestShare(t *testing.T) {
	for _, c := range []struct {
		part, whole int
		want        string
	}{{0, 0, ""}, {1, 3, "33% of x"}, {2, 3, "67% of x"}, {5, 5, "100% of x"}} {
		if got := share(c.part, c.whole, "of x"); got != c.want {
			t.Errorf("share(%d, %d) = %q, want %q", c.part, c.whole, got, c.want)
		}
	}
}

// A range ends with the bucket holding now, buckets on round times.
func TestOverviewRangeQuery(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 32, 10, 0, time.FixedZone("CET", 3600))
	for _, c := range []struct {
		key   string
		since time.Time
	}{
		{"hour", time.Date(2026, 12, 7, 7, 35, 0, 0, time.UTC)},
		{"day", time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)},
		{"week", time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
	} {
		for _, r := range overviewRanges {
			if r.Key != c.key {
				continue
			}
			q := r.query(now)
			if !q.Since.Equal(c.since) || !q.Until().After(now) || q.Until().Sub(now) > r.Bucket {
				t.Errorf("%s at %v: %v to %v, want from %v to the end of the bucket holding now", c.key, now, q.Since, q.Until(), c.since)
			}
		}
	}
}

// Tallies out of the span are not counted; a channel's codes issued and
// verified come from the challenges, its messages from the outbox.
func TestNewOverviewView(t *testing.T) {
	r := overviewRanges[defaultRange]
	q := r.query(time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC))
	v := newOverviewView(r, q, &store.OverviewCounts{
		Messages: []store.MessageTally{
			{Bucket: 0, Channel: store.ChannelSMS, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+447", DeliveryTime: 0, Count: 3},
			{Bucket: 23, Channel: store.ChannelSMS, Status: store.MessageFailed, Provider: "twilio", Prefix: "+447", DeliveryTime: -1, Count: 1},
			{Bucket: 24, Channel: store.ChannelSMS, Status: store.MessageFailed, Provider: "twilio", Prefix: "+447", DeliveryTime: -1, Count: 100},
		},
		Codes:  []store.CodeTally{{Bucket: 0, Channel: store.ChannelSMS, Prefix: "+447", Issued: 4, Verified: 3}},
		Events: []store.EventTally{{Bucket: 1, Event: "login", Outcome: "success", Count: 3}, {Bucket: 1, Event: "login", Outcome: "failure", Count: 9}},
	})
	got := map[string]string{}
	for _, t := range v.Totals {
		got[t.Label] = t.Value + " " + t.Note
	}
	for label, want := range map[string]string{
		"Codes sent": "4 ", "Delivered": "3 75% of the codes sent", "Failed": "1 25% of the codes sent",
		"Verified": "3 75% of the codes issued", "Logins": "3 ", "Budget refusals": "0 ",
	} {
		if got[label] != want {
			t.Errorf("%s: %q, want %q", label, got[label], want)
		}
	}
	if row := v.Channel.Rows; len(row) != 1 || row[0][0] != "Text message" || row[0][1] != "4" || row[0][6] != "4" || row[0][7] != "3" {
		t.Errorf("by channel: %v", v.Channel.Rows)
	}
	codes := v.Charts[0].Table
	if len(codes.Rows) != 24 || codes.Rows[0][0] != "10:00" || codes.Rows[0][1] != "3" || codes.Rows[23][3] != "1" {
		t.Errorf("codes over time: %v", codes.Rows)
	}
}
