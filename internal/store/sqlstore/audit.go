package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/providerportal/portal/internal/store"
)

// auditColumns is the column list scanAudit reads, in its order.
const auditColumns = `id, time, event, outcome, actor_id, subject_id, ip, user_agent, detail`

func scanAudit(row Row) (store.AuditEvent, error) {
	var e store.AuditEvent
	err := row.Scan(&e.ID, ScanTime(&e.Time), &e.Event, &e.Outcome, &e.ActorID, &e.SubjectID,
		&e.IP, &e.UserAgent, &e.Detail)
	return e, err
}

// AppendAudit appends e to the audit log and sets e.ID.
func (db *DB) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	var err error
	if store.CountedByOverview(e) { // the row and its tally together
		err = db.inTx(ctx, func(tx Querier) error { return appendAudit(ctx, tx, e) })
	} else { // one statement, no transaction to begin: most events
		err = appendAudit(ctx, db.w, e)
	}
	if err != nil {
		return fmt.Errorf("%s: append audit: %w", db.name, err)
	}
	return nil
}

// appendAudits appends events in order, on q.
func appendAudits(ctx context.Context, q Querier, events []*store.AuditEvent) error {
	for _, e := range events {
		if err := appendAudit(ctx, q, e); err != nil {
			return err
		}
	}
	return nil
}

// appendAudit is the body of AppendAudit, in the transaction tx: an event
// the Overview counts is tallied.
func appendAudit(ctx context.Context, tx Querier, e *store.AuditEvent) error {
	err := tx.QueryRow(ctx, `
		INSERT INTO audit_events (time, event, outcome, actor_id, subject_id, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		TimeValue(e.Time), e.Event, e.Outcome, e.ActorID, e.SubjectID, e.IP, e.UserAgent, e.Detail,
	).Scan(&e.ID)
	if err != nil {
		return err
	}
	return tallyEvent(ctx, tx, e)
}

// AuditForUser returns the newest events whose subject or actor is the
// user, newest first, at most limit of them (limit <= 0: all). Events of the
// same time come in the reverse order of their appending.
func (db *DB) AuditForUser(ctx context.Context, userID int64, limit int) ([]store.AuditEvent, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	events, err := queryAudit(ctx, db.r, `
		SELECT `+auditColumns+` FROM audit_events
		WHERE subject_id = $1 OR actor_id = $1
		ORDER BY time DESC, id DESC
		LIMIT $2`,
		[]any{userID, limit})
	if err != nil {
		return nil, fmt.Errorf("%s: audit for user: %w", db.name, err)
	}
	return events, nil
}

// ListAudit returns the events matching q, newest (highest id) first.
//
// A page is a walk down indexes that end in id, from q.BeforeID, that stops
// when the page is full, so that it costs about the same on a thousand
// events or millions, on the first page or the thousandth (on both
// engines' indexes):
//   - a user: (subject_id, id) and (actor_id, id), merged;
//   - an event: (event, id); for a prefix, one walk per event name that has
//     it, merged (the names are found first, by skipping through the same
//     index from one name to the next);
//   - otherwise the table itself, by id.
//
// The other filters are checked on each event the walk meets. That is
// cheap for a user, who has few events, but a time range in the past can
// leave most of the log to skip, and no index in id order skips it. The log
// is appended in time order, though, so the events of a range that reaches
// the present, or of a page inside a range, are among the newest below
// BeforeID: a window of those is tried first. Failing that (the first and
// last page of a range in the past), the lowest and highest id in the range
// are read from the index on time and bound the walk; that reads the
// range's entries in the index once, about 10 ms per 100,000 events.
func (db *DB) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	events, err := db.listAudit(ctx, q, pageSize(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("%s: list audit: %w", db.name, err)
	}
	return events, nil
}

func (db *DB) listAudit(ctx context.Context, q store.AuditQuery, n int) ([]store.AuditEvent, error) {
	// A time range, unless a user's few events are walked: see ListAudit.
	timed := q.UserID == 0 && (!q.Since.IsZero() || !q.Until.IsZero())
	if timed {
		query, args := recentAuditQuery(q, n)
		events, err := queryAudit(ctx, db.r, query, args)
		if err != nil || len(events) == n {
			return events, err
		}
	}

	// The names, the id span and the page come from one snapshot (at
	// PostgreSQL's READ COMMITTED each statement would have its own).
	var events []store.AuditEvent
	err := db.d.InSnapshot(ctx, func(tx Querier) error {
		var names []string
		var err error
		if q.UserID == 0 && isEventPrefix(q.Event) {
			if names, err = eventNames(ctx, tx, q.Event); err != nil || len(names) == 0 {
				return err
			}
		}
		var span *idSpan
		if timed {
			if span, err = db.timeSpan(ctx, tx, q); err != nil || span == nil {
				return err
			}
		}
		query, args := auditQuery(q, names, span, n)
		events, err = queryAudit(ctx, tx, query, args)
		return err
	})
	return events, err
}

func queryAudit(ctx context.Context, q Querier, query string, args []any) ([]store.AuditEvent, error) {
	rows, err := q.Query(ctx, query, args...)
	return collect(rows, err, scanAudit)
}

// isEventPrefix reports whether an AuditQuery.Event is a prefix ("login.")
// rather than an event name.
func isEventPrefix(event string) bool {
	return strings.HasSuffix(event, ".")
}

// prefixEnd is the least string greater than every string that starts with
// prefix, which ends in ".": "login." → "login/". The event column's
// collation is "C", so strings compare byte by byte.
func prefixEnd(prefix string) string {
	return prefix[:len(prefix)-1] + "/"
}

// auditFilters returns the conditions of q on time, BeforeID and, if
// withEvent, the event.
func auditFilters(q store.AuditQuery, p *Params, withEvent bool) []string {
	var where []string
	if q.BeforeID > 0 {
		where = append(where, `id < `+p.Add(q.BeforeID))
	}
	if !q.Since.IsZero() {
		where = append(where, `time >= `+p.Add(q.Since.UnixMilli()))
	}
	if !q.Until.IsZero() {
		where = append(where, `time < `+p.Add(q.Until.UnixMilli()))
	}
	switch {
	case !withEvent || q.Event == "":
	case isEventPrefix(q.Event):
		where = append(where, `event >= `+p.Add(q.Event), `event < `+p.Add(prefixEnd(q.Event)))
	default:
		where = append(where, `event = `+p.Add(q.Event))
	}
	return where
}

// recentAuditQuery builds the statement that looks for a page of q among
// the newest 20 pages' worth of events below q.BeforeID. If it finds a full
// page, that is the page: no event it did not look at has a higher id.
func recentAuditQuery(q store.AuditQuery, n int) (string, []any) {
	var p Params
	recent := `SELECT * FROM audit_events`
	if q.BeforeID > 0 {
		recent += ` WHERE id < ` + p.Add(q.BeforeID)
	}
	recent += ` ORDER BY id DESC LIMIT ` + p.Add(20*n)
	query := `SELECT ` + auditColumns + ` FROM (` + recent + `) AS recent`
	if where := auditFilters(store.AuditQuery{Since: q.Since, Until: q.Until, Event: q.Event}, &p, true); len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return query + ` ORDER BY id DESC LIMIT ` + p.Add(n), p
}

// eventNamesQuery finds the distinct event names that start with a prefix
// ($1, and $2 is its prefixEnd), skipping from one to the next through the
// (event, id) index: one seek per name, however many events each has.
const eventNamesQuery = `
	WITH RECURSIVE names (event) AS (
		SELECT (SELECT event FROM audit_events
			WHERE event >= $1 AND event < $2 ORDER BY event LIMIT 1)
		UNION ALL
		SELECT (SELECT event FROM audit_events
			WHERE event > names.event AND event < $2 ORDER BY event LIMIT 1)
		FROM names WHERE names.event IS NOT NULL
	)
	SELECT event FROM names WHERE event IS NOT NULL`

// eventNames returns the distinct event names that start with prefix.
func eventNames(ctx context.Context, q Querier, prefix string) ([]string, error) {
	rows, err := q.Query(ctx, eventNamesQuery, prefix, prefixEnd(prefix))
	return collect(rows, err, func(row Row) (name string, err error) {
		err = row.Scan(&name)
		return name, err
	})
}

// idSpan is the lowest and highest id of the events in a time range.
type idSpan struct{ lo, hi int64 }

// timeSpan returns the span of ids of the events below q.BeforeID in q's
// time range, nil if there are none.
func (db *DB) timeSpan(ctx context.Context, q Querier, aq store.AuditQuery) (*idSpan, error) {
	query, args := db.timeSpanQuery(aq)
	var lo, hi *int64
	if err := q.QueryRow(ctx, query, args...).Scan(&lo, &hi); err != nil || lo == nil {
		return nil, err
	}
	return &idSpan{*lo, *hi}, nil
}

// timeSpanQuery builds the statement for timeSpan, which reads only the
// index on time. q must have a time bound. (SQLite is told to, by
// Dialect.IndexedBy; PostgreSQL's planner chooses it by itself.)
func (db *DB) timeSpanQuery(q store.AuditQuery) (string, []any) {
	var p Params
	where := auditFilters(store.AuditQuery{Since: q.Since, Until: q.Until, BeforeID: q.BeforeID}, &p, false)
	return `SELECT min(id), max(id) FROM audit_events` + db.d.IndexedBy(`audit_events_time`) +
		` WHERE ` + strings.Join(where, ` AND `), p
}

// auditQuery builds the statement for a page of q. names are the event
// names with the prefix q.Event, when it is one and no user is given; span,
// if not nil, bounds the ids.
//
// Each walk is a subquery of ids in id order, limited to the page size; a
// UNION of them, in id order again, merges them (and drops an event found
// twice, as subject and as actor). The events themselves are read last, by
// id.
func auditQuery(q store.AuditQuery, names []string, span *idSpan, n int) (string, []any) {
	var p Params
	var walks []string // the indexed condition of each walk
	switch {
	case q.UserID != 0:
		user := p.Add(q.UserID)
		walks = append(walks, `subject_id = `+user, `actor_id = `+user)
	case isEventPrefix(q.Event):
		for _, name := range names {
			walks = append(walks, `event = `+p.Add(name))
		}
	case q.Event != "":
		walks = append(walks, `event = `+p.Add(q.Event))
	}
	filters := auditFilters(q, &p, q.UserID != 0)
	if span != nil {
		filters = append(filters, `id BETWEEN `+p.Add(span.lo)+` AND `+p.Add(span.hi))
	}
	limit := p.Add(n)

	walk := func(cond string) string {
		where := filters
		if cond != "" {
			where = append([]string{cond}, filters...)
		}
		s := `SELECT id FROM audit_events`
		if len(where) > 0 {
			s += ` WHERE ` + strings.Join(where, ` AND `)
		}
		return s + ` ORDER BY id DESC LIMIT ` + limit
	}
	var ids string
	switch len(walks) {
	case 0:
		ids = walk("")
	case 1:
		ids = walk(walks[0])
	default:
		parts := make([]string, len(walks))
		for i, w := range walks {
			parts[i] = `SELECT id FROM (` + walk(w) + `) AS walk` + fmt.Sprint(i)
		}
		ids = strings.Join(parts, ` UNION `) + ` ORDER BY 1 DESC LIMIT ` + limit
	}
	return `SELECT ` + auditColumns + ` FROM audit_events WHERE id IN (` + ids + `) ORDER BY id DESC`, p
}
