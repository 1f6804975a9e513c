package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/overview"
)

// Overview counts what the console's Overview page shows (overview.Count),
// on the read pool.
func (db *DB) Overview(ctx context.Context, q store.OverviewQuery) (*store.OverviewCounts, error) {
	c, err := overview.Count(ctx, q, func(ctx context.Context, query string, args ...any) (overview.Rows, error) {
		return db.r.Query(ctx, query, args...)
	})
	if err != nil {
		return nil, db.errorf("overview", err)
	}
	return c, nil
}

// The Overview's hourly tallies (migration 0012) are kept by the
// statements that change what they count, in the same transaction: a
// message carrying a code queued (enqueue), sent, delivered or failed
// (CompleteMessage, RecordReceipt), a code issued or used (issueChallenge,
// consumeChallenge), an audit event the Overview counts appended
// (appendAudit). A claim changes none: a message being sent is tallied as
// queued.
//
// A message that moves leaves its group for another: both tallies change
// in one statement, the last of the transaction, in the order of their
// keys. On PostgreSQL a tally's row is locked from there to the commit;
// taken in that one order, two messages moving opposite ways (a retry
// from one provider to the other and back) cannot wait for each other.

// messageTallyKey is the SQL of the group a row of messages is tallied in,
// as the columns of overview_messages' key.
var messageTallyKey = overview.Hour("created_at") + `, channel, ` + overview.Status + `, provider, ` +
	overview.Prefix + `, ` + overview.DeliveryTime

// messageTally is a group of overview_messages.
type messageTally struct {
	hour                              int64
	channel, status, provider, prefix string
	deliveryTime                      int
}

func (a messageTally) compare(b messageTally) int {
	return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.channel, b.channel), cmp.Compare(a.status, b.status),
		cmp.Compare(a.provider, b.provider), cmp.Compare(a.prefix, b.prefix), cmp.Compare(a.deliveryTime, b.deliveryTime))
}

// tallyNewMessage tallies the message id, just inserted, if it carries a
// code: the first change to a tally in the transactions that queue one.
func tallyNewMessage(ctx context.Context, tx Querier, id int64) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO overview_messages (hour, channel, status, provider, prefix, delivery_time, count)
		SELECT `+messageTallyKey+`, 1 FROM messages WHERE id = $1 AND challenge_id IS NOT NULL
		ON CONFLICT (hour, channel, status, provider, prefix, delivery_time)
		DO UPDATE SET count = overview_messages.count + excluded.count`, id)
	return err
}

// movingMessage is a message a statement is about to change: its id and,
// if it carries a code, the group it is tallied in.
type movingMessage struct {
	id    int64
	coded bool
	tally messageTally
}

// lockMessages returns the messages where cond holds, with their groups,
// and on PostgreSQL locks them (FOR UPDATE), so that they are still as
// read when the transaction changes them.
func (db *DB) lockMessages(ctx context.Context, tx Querier, cond string, args ...any) ([]movingMessage, error) {
	rows, err := tx.Query(ctx, `SELECT id, challenge_id IS NOT NULL, `+messageTallyKey+` FROM messages WHERE `+cond+db.d.ForUpdate(), args...)
	return collect(rows, err, func(row Row) (movingMessage, error) {
		var m movingMessage
		t := &m.tally
		err := row.Scan(&m.id, &m.coded, &t.hour, &t.channel, &t.status, &t.provider, &t.prefix, &t.deliveryTime)
		return m, err
	})
}

// retallyMessages moves the tallies of the messages, read by lockMessages
// before the transaction changed them, to the groups they are in now.
func (db *DB) retallyMessages(ctx context.Context, tx Querier, moved []movingMessage) error {
	var ids []string
	p := Params{}
	for _, m := range moved {
		if m.coded {
			ids = append(ids, p.Add(m.id))
		}
	}
	if len(ids) == 0 {
		return nil // notices only
	}
	now, err := db.lockMessages(ctx, tx, `id IN (`+strings.Join(ids, `, `)+`)`, p...)
	if err != nil {
		return err
	}
	change := map[messageTally]int{}
	for _, m := range moved {
		if m.coded {
			change[m.tally]--
		}
	}
	for _, m := range now {
		if m.coded {
			change[m.tally]++
		}
	}
	groups := make([]messageTally, 0, len(change))
	for t, n := range change {
		if n != 0 {
			groups = append(groups, t)
		}
	}
	if len(groups) == 0 {
		return nil // moved within their groups (a retry, a later report of the same)
	}
	slices.SortFunc(groups, messageTally.compare)
	p = Params{}
	values := make([]string, len(groups))
	for i, t := range groups {
		values[i] = `(` + strings.Join([]string{p.Add(t.hour), p.Add(t.channel), p.Add(t.status), p.Add(t.provider),
			p.Add(t.prefix), p.Add(t.deliveryTime), p.Add(change[t])}, `, `) + `)`
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO overview_messages (hour, channel, status, provider, prefix, delivery_time, count)
		VALUES `+strings.Join(values, `, `)+`
		ON CONFLICT (hour, channel, status, provider, prefix, delivery_time)
		DO UPDATE SET count = overview_messages.count + excluded.count`, p...)
	return err
}

// tallyCode adds issued and verified to the tally of the challenge id's
// group.
func tallyCode(ctx context.Context, tx Querier, id int64, issued, verified int) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO overview_codes (hour, channel, prefix, issued, verified)
		SELECT `+overview.Hour("created_at")+`, channel, `+overview.Prefix+`, CAST($2 AS BIGINT), CAST($3 AS BIGINT)
		FROM challenges WHERE id = $1
		ON CONFLICT (hour, channel, prefix)
		DO UPDATE SET issued = overview_codes.issued + excluded.issued, verified = overview_codes.verified + excluded.verified`,
		id, issued, verified)
	return err
}

// tallyEvent tallies the audit event e, just appended, if the Overview
// counts it.
func tallyEvent(ctx context.Context, tx Querier, e *store.AuditEvent) error {
	if !store.CountedByOverview(e) {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO overview_events (hour, event, outcome, count)
		SELECT `+overview.Hour("time")+`, event, outcome, 1 FROM audit_events WHERE id = $1
		ON CONFLICT (hour, event, outcome)
		DO UPDATE SET count = overview_events.count + excluded.count`, e.ID)
	return err
}
