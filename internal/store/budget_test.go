package store_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

func TestFirstFull(t *testing.T) {
	budgets := []store.Budget{{Name: "portal", Limit: 10}, {Name: "address", Limit: 3}, {Name: "country", Limit: 2}}
	for _, c := range []struct {
		counts []int
		want   string // "" for none
	}{
		{[]int{0, 0, 0}, ""},
		{[]int{9, 2, 1}, ""},        // each one short of its limit
		{[]int{9, 3, 1}, "address"}, // a count at its limit is full
		{[]int{9, 4, 2}, "address"}, // the first full one is named
		{[]int{10, 4, 2}, "portal"},
		{[]int{0, 0, 5}, "country"},
	} {
		got := store.FirstFull(budgets, c.counts)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("FirstFull(%v) = %q, want none", c.counts, got.Name)
		case c.want != "" && (got == nil || got.Name != c.want):
			t.Errorf("FirstFull(%v) = %v, want %q", c.counts, got, c.want)
		}
	}
	if got := store.FirstFull(nil, nil); got != nil {
		t.Errorf("FirstFull of no budgets = %v", got)
	}
}

func TestSharedWindow(t *testing.T) {
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
		w, ok := store.SharedWindow(c.budgets)
		if ok != c.shared {
			t.Errorf("SharedWindow(%v) shared = %v, want %v", c.budgets, ok, c.shared)
			continue
		}
		if ok && (w.Channel != store.ChannelSMS || !w.Since.Equal(hour) || w.IP != "" || w.To != "" || w.Prefix != "") {
			t.Errorf("SharedWindow(%v) = %+v, want SMS since %v and nothing narrower", c.budgets, w, hour)
		}
	}
}
