// Package overview builds and runs the statements behind store.Overview,
// the console's Overview page, in the SQL text both stores run:
// placeholders are numbered ($1, $2, …), which both drivers bind, and
// times are unix milliseconds.
//
// A span cut into whole hours, starting on the hour (the last day, the
// last week), is counted from the hourly tallies of migration 0012, which
// the store keeps up to date in the transaction of each change they count
// (sqlstore's overview.go): a week is at most 168 rows a group, whatever
// the number of messages. Other spans (the last hour, in five-minute
// buckets) are counted from the tables themselves, each statement on one
// range of an index that begins with the time and holds every column it
// groups by (migration 0010). Both ways group alike, through the
// expressions below, which the tallies' writers use too.
package overview

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// Rows are a statement's results, as *sql.Rows and pgx.Rows are: each
// closes itself once Next has returned false.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Query runs a statement with its arguments: an engine's way to run the
// statements of Count.
type Query func(ctx context.Context, sql string, args ...any) (Rows, error)

// Count counts q by running its statements through query: from the
// tallies if q is Tallied, from the tables otherwise.
func Count(ctx context.Context, q store.OverviewQuery, query Query) (*store.OverviewCounts, error) {
	if q.Buckets < 1 || q.Bucket <= 0 {
		return nil, fmt.Errorf("overview: %d buckets of %v", q.Buckets, q.Bucket)
	}
	messages, codes, events := Messages, Codes, Events
	if Tallied(q) {
		messages, codes, events = TalliedMessages, TalliedCodes, TalliedEvents
	}
	var c store.OverviewCounts
	var err error
	c.Messages, err = tallies(ctx, query, "messages", messages, q, func(r Rows, t *store.MessageTally) error {
		return r.Scan(&t.Bucket, &t.Channel, &t.Status, &t.Provider, &t.Prefix, &t.DeliveryTime, &t.Count)
	})
	if err != nil {
		return nil, err
	}
	c.Codes, err = tallies(ctx, query, "codes", codes, q, func(r Rows, t *store.CodeTally) error {
		return r.Scan(&t.Bucket, &t.Channel, &t.Prefix, &t.Issued, &t.Verified)
	})
	if err != nil {
		return nil, err
	}
	c.Events, err = tallies(ctx, query, "events", events, q, func(r Rows, t *store.EventTally) error {
		return r.Scan(&t.Bucket, &t.Event, &t.Outcome, &t.Count)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Tallied reports whether q is counted from the hourly tallies: its
// buckets are whole hours and it starts on the hour.
func Tallied(q store.OverviewQuery) bool {
	return q.Bucket >= time.Hour && q.Bucket%time.Hour == 0 && q.Since.UnixMilli()%hour == 0
}

// hour is an hour in milliseconds, the width of a tally.
const hour = int64(time.Hour / time.Millisecond)

// Hour is the SQL of the start of the hour holding the time column (unix
// milliseconds): the hour a row is tallied in.
func Hour(column string) string {
	return `(` + column + ` - ` + column + ` % ` + strconv.FormatInt(hour, 10) + `)`
}

// The groups the Overview counts messages and codes in, as SQL on a row
// of messages or challenges: what the tallies hold and the tables' counts
// group by.
var (
	// Status is a message's status, sending counted as queued: both are
	// waiting, and a claim then changes no tally.
	Status = `CASE WHEN status = '` + string(store.MessageSending) + `' THEN '` + string(store.MessageQueued) + `' ELSE status END`
	// Prefix is the plus sign and first three digits of an SMS
	// destination, which hold its calling code, and empty for email: few
	// groups, whatever the number of destinations.
	Prefix = `CASE WHEN channel = '` + string(store.ChannelSMS) + `' THEN substr(destination, 1, 4) ELSE '' END`
	// DeliveryTime is a delivered message's class of delivery time (of
	// store.DeliveryTimes), -1 for the other statuses.
	DeliveryTime = deliveryTime()
)

func deliveryTime() string {
	classes := make([]string, len(store.DeliveryTimes))
	for i, d := range store.DeliveryTimes {
		classes[i] = `WHEN updated_at - created_at < ` + strconv.FormatInt(d.Milliseconds(), 10) + ` THEN ` + strconv.Itoa(i)
	}
	return `CASE WHEN status = '` + string(store.MessageDelivered) + `' THEN CASE ` + strings.Join(classes, ` `) +
		` ELSE ` + strconv.Itoa(len(classes)) + ` END ELSE -1 END`
}

// tallies runs one of Count's statements for q and scans each row into a
// T, stopping at scan's first error. The rows are read to their end
// whatever happens, which closes them (they are few: one for each group).
func tallies[T any](ctx context.Context, query Query, what string, statement func(store.OverviewQuery) (string, []any), q store.OverviewQuery, scan func(Rows, *T) error) ([]T, error) {
	sql, args := statement(q)
	rows, err := query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("overview: %s: %w", what, err)
	}
	var out []T
	for rows.Next() {
		if err == nil {
			var t T
			err = scan(rows, &t)
			out = append(out, t)
		}
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("overview: %s: %w", what, err)
	}
	return out, nil
}

// Messages is the statement counting the messages carrying codes, on
// messages_overview, with its arguments.
func Messages(q store.OverviewQuery) (string, []any) {
	return `SELECT (created_at - $1) / $2, channel, ` + Status + `, provider, ` + Prefix + `, ` + DeliveryTime + `, count(*)
		FROM messages
		WHERE created_at >= $1 AND created_at < $3 AND challenge_id IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5, 6`, span(q)
}

// Codes is the statement counting the codes issued and used, on
// challenges_overview, with its arguments.
func Codes(q store.OverviewQuery) (string, []any) {
	return `SELECT (created_at - $1) / $2, channel, ` + Prefix + `, count(*), count(consumed_at)
		FROM challenges
		WHERE created_at >= $1 AND created_at < $3
		GROUP BY 1, 2, 3`, span(q)
}

// Events is the statement counting the OverviewEvents, each on its own
// range of audit_events_overview, with its arguments.
func Events(q store.OverviewQuery) (string, []any) {
	p := span(q)
	parts := make([]string, len(store.OverviewEvents))
	for i, e := range store.OverviewEvents {
		event, outcome := p.add(e[0]), p.add(e[1])
		parts[i] = `SELECT (time - $1) / $2, event, outcome, count(*)
		FROM audit_events
		WHERE event = ` + event + ` AND outcome = ` + outcome + ` AND time >= $1 AND time < $3
		GROUP BY 1, 2, 3`
	}
	return strings.Join(parts, `
		UNION ALL `), p
}

// TalliedMessages is Messages on the hourly tallies, one range of
// overview_messages' key. A group's hour may add to nothing (its messages
// all moved on to another status): such sums are left out.
func TalliedMessages(q store.OverviewQuery) (string, []any) {
	return `SELECT (hour - $1) / $2, channel, status, provider, prefix, delivery_time, CAST(sum(count) AS BIGINT)
		FROM overview_messages
		WHERE hour >= $1 AND hour < $3
		GROUP BY 1, 2, 3, 4, 5, 6
		HAVING sum(count) <> 0`, span(q)
}

// TalliedCodes is Codes on the hourly tallies, one range of
// overview_codes' key.
func TalliedCodes(q store.OverviewQuery) (string, []any) {
	return `SELECT (hour - $1) / $2, channel, prefix, CAST(sum(issued) AS BIGINT), CAST(sum(verified) AS BIGINT)
		FROM overview_codes
		WHERE hour >= $1 AND hour < $3
		GROUP BY 1, 2, 3`, span(q)
}

// TalliedEvents is Events on the hourly tallies, one range of
// overview_events' key, which holds the OverviewEvents only.
func TalliedEvents(q store.OverviewQuery) (string, []any) {
	return `SELECT (hour - $1) / $2, event, outcome, CAST(sum(count) AS BIGINT)
		FROM overview_events
		WHERE hour >= $1 AND hour < $3
		GROUP BY 1, 2, 3`, span(q)
}

// span starts the arguments of every statement: $1 the start, $2 the
// width of a bucket, $3 the end.
func span(q store.OverviewQuery) params {
	return params{q.Since.UnixMilli(), q.Bucket.Milliseconds(), q.Until().UnixMilli()}
}

// params are a statement's arguments; add returns the placeholder of one.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}
