package overview_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/overview"
)

// hourly is a store whose every hour holds one code sent and one login,
// and which records the spans it was asked for.
type hourly struct{ asked []store.OverviewQuery }

func (h *hourly) Overview(_ context.Context, q store.OverviewQuery) (*store.OverviewCounts, error) {
	h.asked = append(h.asked, q)
	c := &store.OverviewCounts{}
	per := int(time.Hour / q.Bucket)
	for b := range q.Buckets {
		if per > 1 && b%per != 0 { // a bucket under an hour: the hour's code is in its first
			continue
		}
		n := max(1, int(q.Bucket/time.Hour))
		c.Messages = append(c.Messages, store.MessageTally{Bucket: b, Channel: store.ChannelSMS, Status: store.MessageDelivered, Count: n})
		c.Events = append(c.Events, store.EventTally{Bucket: b, Event: "login", Outcome: "success", Count: n})
	}
	return c, nil
}

// totals adds each bucket's messages and events.
func totals(c *store.OverviewCounts, buckets int) ([]int, []int) {
	m, e := make([]int, buckets), make([]int, buckets)
	for _, t := range c.Messages {
		m[t.Bucket] += t.Count
	}
	for _, t := range c.Events {
		e[t.Bucket] += t.Count
	}
	return m, e
}

// The cache counts as the store does; a settled hour is asked for once,
// the unsettled ones at every view; spans not in whole hours go to the
// store as they are.
func TestCache(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	week := store.OverviewQuery{Since: now.Truncate(6 * time.Hour).Add(6*time.Hour - 7*24*time.Hour), Bucket: 6 * time.Hour, Buckets: 28}
	s := &hourly{}
	c := &overview.Cache{Store: s}
	want, _ := (&hourly{}).Overview(ctx, week)
	for view := range 2 {
		s.asked = nil
		got, err := c.Overview(ctx, week, now)
		if err != nil {
			t.Fatal(err)
		}
		gm, ge := totals(got, week.Buckets)
		wm, we := totals(want, week.Buckets)
		if !reflect.DeepEqual(gm, wm) || !reflect.DeepEqual(ge, we) {
			t.Errorf("view %d: messages %v, events %v; want %v, %v", view, gm, ge, wm, we)
		}
		// Settled: up to 07:00 (two hours before 09:30, on the hour).
		settled := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
		tail := store.OverviewQuery{Since: settled, Bucket: time.Hour, Buckets: int(week.Until().Sub(settled) / time.Hour)}
		wantAsked := []store.OverviewQuery{{Since: week.Since, Bucket: time.Hour, Buckets: int(settled.Sub(week.Since) / time.Hour)}, tail}
		if view > 0 {
			wantAsked = wantAsked[1:]
		}
		if !reflect.DeepEqual(s.asked, wantAsked) {
			t.Errorf("view %d asked the store for %+v, want %+v", view, s.asked, wantAsked)
		}
	}

	// A day within the week's hours is read from the cache, but its tail.
	s.asked = nil
	day := store.OverviewQuery{Since: now.Truncate(time.Hour).Add(time.Hour - 24*time.Hour), Bucket: time.Hour, Buckets: 24}
	got, err := c.Overview(ctx, day, now)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := totals(got, 24); m[0] != 1 || m[23] != 1 || len(s.asked) != 1 || s.asked[0].Buckets != 3 {
		t.Errorf("day: messages %v, asked %+v; want one an hour, the store asked for the last three hours", m, s.asked)
	}

	// The last hour in five minutes is the store's.
	s.asked = nil
	hour := store.OverviewQuery{Since: now.Truncate(5 * time.Minute).Add(5*time.Minute - time.Hour), Bucket: 5 * time.Minute, Buckets: 12}
	if _, err := c.Overview(ctx, hour, now); err != nil || !reflect.DeepEqual(s.asked, []store.OverviewQuery{hour}) {
		t.Errorf("hour: asked %+v, %v; want the span as it is", s.asked, err)
	}
}
