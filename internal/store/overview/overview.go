// Package overview builds and runs the statements behind store.Overview,
// the console's Overview page, in the SQL text both stores run:
// placeholders are numbered ($1, $2, …), which both drivers bind, and
// times are unix milliseconds. Each statement reads one range of an index
// that begins with the time and holds every column it groups by
// (migration 0010), so a week of a million messages is counted from the
// index alone.
package overview

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// Count counts q by running its statements through query.
func Count(ctx context.Context, q store.OverviewQuery, query Query) (*store.OverviewCounts, error) {
	if q.Buckets < 1 || q.Bucket <= 0 {
		return nil, fmt.Errorf("overview: %d buckets of %v", q.Buckets, q.Bucket)
	}
	var c store.OverviewCounts
	sql, args := Messages(q)
	err := each(ctx, query, sql, args, func(r Rows) error {
		var t store.MessageTally
		err := r.Scan(&t.Bucket, &t.Channel, &t.Status, &t.Provider, &t.Prefix, &t.DeliveryTime, &t.Count)
		c.Messages = append(c.Messages, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("overview: messages: %w", err)
	}
	sql, args = Codes(q)
	err = each(ctx, query, sql, args, func(r Rows) error {
		var t store.CodeTally
		err := r.Scan(&t.Bucket, &t.Channel, &t.Prefix, &t.Issued, &t.Verified)
		c.Codes = append(c.Codes, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("overview: codes: %w", err)
	}
	sql, args = Events(q)
	err = each(ctx, query, sql, args, func(r Rows) error {
		var t store.EventTally
		err := r.Scan(&t.Bucket, &t.Event, &t.Outcome, &t.Count)
		c.Events = append(c.Events, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("overview: events: %w", err)
	}
	return &c, nil
}

// each runs the statement and calls scan on each row of its results,
// stopping at scan's first error. The rows are read to their end whatever
// happens, which closes them (they are few: one for each group).
func each(ctx context.Context, query Query, sql string, args []any, scan func(Rows) error) error {
	rows, err := query(ctx, sql, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err == nil {
			err = scan(rows)
		}
	}
	if err != nil {
		return err
	}
	return rows.Err()
}

// Messages is the statement counting the messages carrying codes, on
// messages_overview, with its arguments.
func Messages(q store.OverviewQuery) (string, []any) {
	p := span(q)
	sms := p.add(string(store.ChannelSMS))
	classes := make([]string, len(store.DeliveryTimes))
	for i, d := range store.DeliveryTimes {
		classes[i] = `WHEN updated_at - created_at < ` + p.add(d.Milliseconds()) + ` THEN ` + strconv.Itoa(i)
	}
	delivery := `CASE WHEN status = ` + p.add(string(store.MessageDelivered)) + ` THEN CASE ` + strings.Join(classes, ` `) +
		` ELSE ` + strconv.Itoa(len(classes)) + ` END ELSE -1 END`
	return `SELECT (created_at - $1) / $2, channel, status, provider, ` + destinationPrefix(sms) + `, ` + delivery + `, count(*)
		FROM messages
		WHERE created_at >= $1 AND created_at < $3 AND challenge_id IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5, 6`, p
}

// Codes is the statement counting the codes issued and used, on
// challenges_overview, with its arguments.
func Codes(q store.OverviewQuery) (string, []any) {
	p := span(q)
	sms := p.add(string(store.ChannelSMS))
	return `SELECT (created_at - $1) / $2, channel, ` + destinationPrefix(sms) + `, count(*), count(consumed_at)
		FROM challenges
		WHERE created_at >= $1 AND created_at < $3
		GROUP BY 1, 2, 3`, p
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

// destinationPrefix is the plus sign and first three digits of an SMS
// destination, which hold its calling code, and empty for email: few
// groups, whatever the number of destinations.
func destinationPrefix(sms string) string {
	return `CASE WHEN channel = ` + sms + ` THEN substr(destination, 1, 4) ELSE '' END`
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
