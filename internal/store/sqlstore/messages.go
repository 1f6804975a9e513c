package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
)

var _ store.Messages = (*DB)(nil)

const messageColumns = `id, user_id, challenge_id, channel, destination, sealed, status, attempts,
	next_attempt_at, lease_until, expires_at, provider, provider_ref, last_error, ip, created_at, updated_at`

func scanMessage(row Row) (*store.Message, error) {
	var m store.Message
	var challenge *int64
	err := row.Scan(&m.ID, &m.UserID, &challenge, &m.Channel, &m.To, &m.Sealed, &m.Status, &m.Attempts,
		ScanTime(&m.NextAttemptAt), ScanTime(&m.LeaseUntil), ScanTime(&m.ExpiresAt),
		&m.Provider, &m.ProviderRef, &m.LastError, &m.IP, ScanTime(&m.CreatedAt), ScanTime(&m.UpdatedAt))
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		m.ChallengeID = *challenge
	}
	return &m, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// enqueue stores m, queued, inside the transaction tx, and tallies it for
// the Overview if it carries a code.
func enqueue(ctx context.Context, tx Querier, m *store.Message) error {
	m.Status = store.MessageQueued
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO messages (user_id, challenge_id, channel, destination, sealed, status, attempts,
			next_attempt_at, lease_until, expires_at, provider, provider_ref, last_error, ip, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`,
		m.UserID, nullID(m.ChallengeID), string(m.Channel), m.To, m.Sealed, string(m.Status), m.Attempts,
		TimeValue(m.NextAttemptAt), TimeValue(m.LeaseUntil), TimeValue(m.ExpiresAt),
		m.Provider, m.ProviderRef, m.LastError, m.IP, TimeValue(m.CreatedAt), TimeValue(m.UpdatedAt),
	).Scan(&m.ID)
	if err != nil || m.ChallengeID == 0 {
		return err
	}
	return tallyNewMessage(ctx, tx, m.ID)
}

// IssueChallengeWithMessage issues the code, queues the message carrying
// it and appends the audit event, in one transaction.
func (db *DB) IssueChallengeWithMessage(ctx context.Context, ci store.CodeIssue) error {
	err := db.inTx(ctx, func(tx Querier) error {
		if len(ci.Budgets) > 0 {
			// Every budgeted issue takes this lock first, so the counts
			// below and the insert cannot interleave with another's, on
			// any instance (on SQLite the write transaction holds the
			// only write lock already).
			if err := db.d.Lock(ctx, tx, LockBudgets); err != nil {
				return err
			}
		}
		switch over, err := db.overBudget(ctx, tx, ci.Budgets); {
		case err != nil:
			return err
		case over != nil:
			return &store.BudgetError{Budget: over.Name}
		}
		if err := db.issueChallenge(ctx, tx, ci.Challenge); err != nil {
			return err
		}
		ci.Message.ChallengeID = ci.Challenge.ID
		if err := enqueue(ctx, tx, ci.Message); err != nil {
			return err
		}
		if ci.Audit != nil {
			return appendAudit(ctx, tx, ci.Audit)
		}
		return nil
	})
	var be *store.BudgetError
	if errors.As(err, &be) {
		return be
	}
	if err != nil {
		return fmt.Errorf("%s: issue challenge with message: %w", db.name, err)
	}
	return nil
}

// EnqueueMessage queues m.
func (db *DB) EnqueueMessage(ctx context.Context, m *store.Message) error {
	return db.annotate("enqueue message", db.inTx(ctx, func(tx Querier) error { return enqueue(ctx, tx, m) }))
}

// ClaimMessages marks due messages sending, in one statement on the due
// messages that Dialect.DueMessages selects: SQLite's single writer makes
// the claim exclusive across connections and processes; PostgreSQL's
// selection skips the rows another claimer has locked.
func (db *DB) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Message, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := db.w.Query(ctx, db.q.claimMessages,
		now.UnixMilli(), now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	ms, err := collect(rows, err, func(row Row) (store.Message, error) {
		m, err := scanMessage(row)
		if err != nil {
			return store.Message{}, err
		}
		return *m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: claim messages: %w", db.name, err)
	}
	// RETURNING comes in no particular order.
	slices.SortFunc(ms, func(a, b store.Message) int { return cmp.Compare(a.ID, b.ID) })
	return ms, nil
}

// CompleteMessage records the outcome of a try, in one transaction with
// the Overview's tallies: the message is locked and read first, changed,
// and its tally moved to its new group.
func (db *DB) CompleteMessage(ctx context.Context, id int64, u store.MessageUpdate) error {
	switch u.Status {
	case store.MessageQueued, store.MessageSent, store.MessageDelivered, store.MessageFailed, store.MessageExpired:
	default:
		// Sending (or no status) would leave the message without a lease
		// that could lapse: no dispatcher would ever take it again.
		return fmt.Errorf("%s: complete message: %q is not the outcome of a try", db.name, u.Status)
	}
	erase := u.Status.Final()
	var next any // NULL: a final message keeps its NextAttemptAt
	if !erase {
		next = TimeValue(u.NextAttemptAt)
		if next == nil {
			next = u.At.UnixMilli() // retry at once
		}
	}
	err := db.inTx(ctx, func(tx Querier) error {
		moving, err := db.lockMessages(ctx, tx, `id = $1`, id)
		if err != nil {
			return err
		}
		err = updateOne(ctx, tx, `
		UPDATE messages SET status = $2, next_attempt_at = COALESCE(CAST($3 AS BIGINT), next_attempt_at), lease_until = NULL,
			provider = $4, provider_ref = $5, last_error = $6, updated_at = $7,
			sealed = CASE WHEN CAST($8 AS BOOLEAN) THEN NULL ELSE sealed END
		WHERE id = $1 AND status = 'sending' AND (CAST($9 AS BIGINT) IS NULL OR lease_until = CAST($9 AS BIGINT))`,
			id, string(u.Status), next, u.Provider, u.ProviderRef, truncate(u.LastError, 500),
			u.At.UnixMilli(), erase, TimeValue(u.Lease))
		if err != nil {
			return err
		}
		return db.retallyMessages(ctx, tx, moving)
	})
	if err != nil {
		return fmt.Errorf("%s: complete message: %w", db.name, err)
	}
	return nil
}

// truncate cuts s to at most n bytes, without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// MessageForChallenge returns the newest message carrying the code.
func (db *DB) MessageForChallenge(ctx context.Context, challengeID int64) (*store.Message, error) {
	m, err := scanMessage(db.r.QueryRow(ctx, `
		SELECT `+messageColumns+` FROM messages WHERE challenge_id = $1 ORDER BY id DESC LIMIT 1`, challengeID))
	if err != nil {
		return nil, fmt.Errorf("%s: message for challenge: %w", db.name, notFound(err))
	}
	return m, nil
}

// RecordReceipt applies a provider's delivery report, in one transaction
// with the Overview's tallies: the messages it moves are locked and read
// first (of two reports at once, the second sees the first's result), then
// changed, and their tallies moved to their new groups.
func (db *DB) RecordReceipt(ctx context.Context, provider, ref string, status store.MessageStatus, lastError string, at time.Time) (*store.Message, bool, error) {
	var from []string // the statuses it may move from, forward only
	for _, st := range store.ReceiptMovesFrom(status) {
		from = append(from, "'"+string(st)+"'")
	}
	if from == nil {
		return nil, false, fmt.Errorf("%s: record receipt: status %q is not a receipt", db.name, status)
	}
	if ref == "" {
		// Messages that never got a reference have an empty one: a report
		// without one must not match them all.
		return nil, false, fmt.Errorf("%s: record receipt: %w", db.name, store.ErrNotFound)
	}
	var m *store.Message
	var moved bool
	err := db.inTx(ctx, func(tx Querier) error {
		moves := `provider = $1 AND provider_ref = $2 AND status IN (` + strings.Join(from, ", ") + `)`
		moving, err := db.lockMessages(ctx, tx, moves, provider, ref)
		if err != nil {
			return err
		}
		p := Params{provider, ref, string(status), truncate(lastError, 500), at.UnixMilli()}
		ids := make([]string, len(moving))
		for i, mm := range moving {
			ids[i] = p.Add(mm.id)
		}
		err = sql.ErrNoRows
		if len(moving) > 0 {
			m, err = scanMessage(tx.QueryRow(ctx, `
			UPDATE messages SET status = $3, last_error = CASE WHEN CAST($4 AS TEXT) = '' THEN last_error ELSE CAST($4 AS TEXT) END,
				updated_at = $5, sealed = NULL, lease_until = NULL
			WHERE `+moves+` AND id IN (`+strings.Join(ids, ", ")+`)
			RETURNING `+messageColumns, p...))
		}
		if err == nil {
			moved = true
			return db.retallyMessages(ctx, tx, moving)
		}
		if errors.Is(err, sql.ErrNoRows) {
			// Unknown, or a report that would move it backwards or again:
			// return the message as it is.
			m, err = scanMessage(tx.QueryRow(ctx, `
				SELECT `+messageColumns+` FROM messages WHERE provider = $1 AND provider_ref = $2
				ORDER BY id DESC LIMIT 1`, provider, ref))
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("%s: record receipt: %w", db.name, notFound(err))
	}
	return m, moved, nil
}

// CountMessages counts messages for the budgets.
func (db *DB) CountMessages(ctx context.Context, q store.MessageCount) (int, error) {
	n, err := db.countMessages(ctx, db.r, q)
	if err != nil {
		return 0, fmt.Errorf("%s: count messages: %w", db.name, err)
	}
	return n, nil
}

// countMessages counts on q, the pool or a transaction.
func (db *DB) countMessages(ctx context.Context, q Querier, mc store.MessageCount) (int, error) {
	query, args := msgcount.Count(mc, db.prefix)
	var n int
	err := q.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// overBudget returns the first of budgets that already counts its Limit,
// or nil: every budget counted in one statement, a code's on one range of
// messages_window (msgcount.OverBudget).
func (db *DB) overBudget(ctx context.Context, q Querier, budgets []store.Budget) (*store.Budget, error) {
	return msgcount.OverBudget(budgets, db.prefix, func(query string, args ...any) msgcount.Row {
		return q.QueryRow(ctx, query, args...)
	})
}
