package overview

import (
	"context"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Cache counts as store.Overview does, keeping the counts of each hour
// once it is settled, so that a day or a week is counted from the
// database only for its last hours: a week of a million messages is read
// once, not at every view. An hour is settled Settle after it ended: its
// codes have expired and their delivery reports have come in by then; a
// report later still is not counted. Spans whose buckets are not whole
// hours, starting on the hour, are counted from the database each time
// (the last hour's are few). The hours are kept for a week and a day.
type Cache struct {
	Store  store.Overview
	Settle time.Duration // 0: two hours

	mu    sync.Mutex
	hours map[int64]*store.OverviewCounts // by the hour's start (unix ms), each tally in bucket 0
}

// keep is how long a settled hour is kept.
const keep = 8 * 24 * time.Hour

// Overview counts q at now. Unlike store.Overview's, its counts may hold
// a group in several rows (one for each hour), which are to be added.
func (c *Cache) Overview(ctx context.Context, q store.OverviewQuery, now time.Time) (*store.OverviewCounts, error) {
	if q.Buckets < 1 || q.Bucket < time.Hour || q.Bucket%time.Hour != 0 || !q.Since.Equal(q.Since.Truncate(time.Hour)) {
		return c.Store.Overview(ctx, q)
	}
	settle := c.Settle
	if settle <= 0 {
		settle = 2 * time.Hour
	}
	until := q.Until()
	settled := now.Add(-settle).Truncate(time.Hour) // hours ending by then are settled
	if settled.After(until) {
		settled = until
	}
	out := &store.OverviewCounts{}
	for h := q.Since; h.Before(settled); {
		if counts := c.hour(h); counts != nil {
			rebucket(out, counts, h, q)
			h = h.Add(time.Hour)
			continue
		}
		run := store.OverviewQuery{Since: h, Bucket: time.Hour}
		for ; h.Before(settled) && c.hour(h) == nil; h = h.Add(time.Hour) {
			run.Buckets++
		}
		got, err := c.Store.Overview(ctx, run)
		if err != nil {
			return nil, err
		}
		c.keep(got, run, now)
		rebucket(out, got, run.Since, q)
	}
	if settled.Before(until) {
		since := settled
		if since.Before(q.Since) {
			since = q.Since
		}
		tail := store.OverviewQuery{Since: since, Bucket: time.Hour, Buckets: int(until.Sub(since) / time.Hour)}
		got, err := c.Store.Overview(ctx, tail)
		if err != nil {
			return nil, err
		}
		rebucket(out, got, tail.Since, q)
	}
	return out, nil
}

func (c *Cache) hour(h time.Time) *store.OverviewCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hours[h.UnixMilli()]
}

// keep stores the counts of run, an hour a bucket, each hour apart (an
// hour with nothing too), and forgets the hours older than keep.
func (c *Cache) keep(got *store.OverviewCounts, run store.OverviewQuery, now time.Time) {
	hours := make([]store.OverviewCounts, run.Buckets)
	for _, t := range got.Messages {
		i := t.Bucket
		t.Bucket = 0
		hours[i].Messages = append(hours[i].Messages, t)
	}
	for _, t := range got.Codes {
		i := t.Bucket
		t.Bucket = 0
		hours[i].Codes = append(hours[i].Codes, t)
	}
	for _, t := range got.Events {
		i := t.Bucket
		t.Bucket = 0
		hours[i].Events = append(hours[i].Events, t)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hours == nil {
		c.hours = map[int64]*store.OverviewCounts{}
	}
	for i := range hours {
		c.hours[run.Since.Add(time.Duration(i)*time.Hour).UnixMilli()] = &hours[i]
	}
	oldest := now.Add(-keep).UnixMilli()
	for h := range c.hours {
		if h < oldest {
			delete(c.hours, h)
		}
	}
}

// rebucket adds to out the counts got, an hour a bucket from start, each
// in its bucket of q.
func rebucket(out, got *store.OverviewCounts, start time.Time, q store.OverviewQuery) {
	bucket := func(b int) int { return int(start.Add(time.Duration(b)*time.Hour).Sub(q.Since) / q.Bucket) }
	for _, t := range got.Messages {
		t.Bucket = bucket(t.Bucket)
		out.Messages = append(out.Messages, t)
	}
	for _, t := range got.Codes {
		t.Bucket = bucket(t.Bucket)
		out.Codes = append(out.Codes, t)
	}
	for _, t := range got.Events {
		t.Bucket = bucket(t.Bucket)
		out.Events = append(out.Events, t)
	}
}
