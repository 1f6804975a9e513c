package msgcount

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

func TestWindowShared(t *testing.T) {
	hour := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	budget := func(ch store.Channel, since time.Time, ip string) store.Budget {
		return store.Budget{Name: ip, Limit: 1, Count: store.MessageCount{Channel: ch, Since: since, IP: ip}}
	}
	for _, c := range []struct {
		budgets []store.Budget
		shared  bool
	}{
		{nil, false},
		{[]store.Budget{budget(store.ChannelSMS, hour, "")}, true},
		{[]store.Budget{budget(store.ChannelSMS, hour, ""), budget(store.ChannelSMS, hour, "192.0.2.1")}, true},
		// The same instant in another zone is the same time.
		{[]store.Budget{budget(store.ChannelSMS, hour, ""), budget(store.ChannelSMS, hour.In(time.FixedZone("CET", 3600)), "192.0.2.1")}, true},
		{[]store.Budget{budget(store.ChannelSMS, hour, ""), budget(store.ChannelEmail, hour, "")}, false},
		{[]store.Budget{budget(store.ChannelSMS, hour, ""), budget(store.ChannelSMS, hour, ""), budget(store.ChannelSMS, hour.Add(time.Millisecond), "")}, false},
	} {
		w, ok := sharedWindow(c.budgets)
		if ok != c.shared {
			t.Errorf("sharedWindow(%v) shared = %v, want %v", c.budgets, ok, c.shared)
			continue
		}
		if ok && (w.Channel != store.ChannelSMS || !w.Since.Equal(hour) || w.IP != "" || w.To != "" || w.Prefix != "") {
			t.Errorf("sharedWindow(%v) = %+v, want SMS since %v and nothing narrower", c.budgets, w, hour)
		}
	}
}
