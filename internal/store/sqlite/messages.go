package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
)

var _ store.Messages = (*DB)(nil)

const messageColumns = `id, user_id, challenge_id, channel, destination, sealed, status, attempts,
	next_attempt_at, lease_until, expires_at, provider, provider_ref, last_error, ip, created_at, updated_at`

func scanMessage(row interface{ Scan(...any) error }) (*store.Message, error) {
	var m store.Message
	var challenge sql.NullInt64
	err := row.Scan(&m.ID, &m.UserID, &challenge, &m.Channel, &m.To, &m.Sealed, &m.Status, &m.Attempts,
		scanTime(&m.NextAttemptAt), scanTime(&m.LeaseUntil), scanTime(&m.ExpiresAt),
		&m.Provider, &m.ProviderRef, &m.LastError, &m.IP, scanTime(&m.CreatedAt), scanTime(&m.UpdatedAt))
	if err != nil {
		return nil, err
	}
	m.ChallengeID = challenge.Int64
	return &m, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// enqueue stores m, queued, inside the transaction tx.
func enqueue(ctx context.Context, tx *poolTx, m *store.Message) error {
	m.Status = store.MessageQueued
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	return tx.QueryRowContext(ctx, `
		INSERT INTO messages (user_id, challenge_id, channel, destination, sealed, status, attempts,
			next_attempt_at, lease_until, expires_at, provider, provider_ref, last_error, ip, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`,
		m.UserID, nullID(m.ChallengeID), string(m.Channel), m.To, m.Sealed, string(m.Status), m.Attempts,
		timeValue(m.NextAttemptAt), timeValue(m.LeaseUntil), timeValue(m.ExpiresAt),
		m.Provider, m.ProviderRef, m.LastError, m.IP, timeValue(m.CreatedAt), timeValue(m.UpdatedAt),
	).Scan(&m.ID)
}

// IssueChallengeWithMessage issues the code, queues the message carrying
// it and appends the audit event, in one transaction.
func (db *DB) IssueChallengeWithMessage(ctx context.Context, ci store.CodeIssue) error {
	err := db.inTx(ctx, func(tx *poolTx) error {
		// The write transaction holds SQLite's single write lock, so no
		// other issue can slip in between these counts and the insert.
		switch over, err := overBudget(ctx, tx, ci.Budgets); {
		case err != nil:
			return err
		case over != nil:
			return &store.BudgetError{Budget: over.Name}
		}
		if err := issueChallenge(ctx, tx, ci.Challenge); err != nil {
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
		return fmt.Errorf("sqlite: issue challenge with message: %w", err)
	}
	return nil
}

// EnqueueMessage queues m.
func (db *DB) EnqueueMessage(ctx context.Context, m *store.Message) error {
	if err := db.inTx(ctx, func(tx *poolTx) error { return enqueue(ctx, tx, m) }); err != nil {
		return fmt.Errorf("sqlite: enqueue message: %w", err)
	}
	return nil
}

// ClaimMessages marks due messages sending, in one write transaction:
// SQLite's single writer makes the claim exclusive across connections and
// processes.
func (db *DB) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Message, error) {
	if limit < 1 {
		return nil, nil
	}
	var out []store.Message
	err := db.inTx(ctx, func(tx *poolTx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT id FROM (
				SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= $1
				UNION ALL
				SELECT id FROM messages WHERE status = 'sending' AND lease_until <= $1
			) ORDER BY id LIMIT $2`, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close() // #nosec G104 -- the Scan error is the one returned
				return err
			}
			ids = append(ids, id)
		}
		rows.Close() // #nosec G104 -- all rows are read; rows.Err below reports what went wrong
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			m, err := scanMessage(tx.QueryRowContext(ctx, `
				UPDATE messages SET status = 'sending', lease_until = $2, attempts = attempts + 1, updated_at = $3
				WHERE id = $1
				RETURNING `+messageColumns,
				id, now.Add(lease).UnixMilli(), now.UnixMilli()))
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim messages: %w", err)
	}
	return out, nil
}

// CompleteMessage records the outcome of a try.
func (db *DB) CompleteMessage(ctx context.Context, id int64, u store.MessageUpdate) error {
	switch u.Status {
	case store.MessageQueued, store.MessageSent, store.MessageDelivered, store.MessageFailed, store.MessageExpired:
	default:
		// Sending (or no status) would leave the message without a lease
		// that could lapse: no dispatcher would ever take it again.
		return fmt.Errorf("sqlite: complete message: %q is not the outcome of a try", u.Status)
	}
	erase := u.Status.Final()
	var next any // NULL: a final message keeps its NextAttemptAt
	if !erase {
		next = timeValue(u.NextAttemptAt)
		if next == nil {
			next = u.At.UnixMilli() // retry at once
		}
	}
	res, err := db.write.ExecContext(ctx, `
		UPDATE messages SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), lease_until = NULL,
			provider = $4, provider_ref = $5, last_error = $6, updated_at = $7,
			sealed = CASE WHEN $8 THEN NULL ELSE sealed END
		WHERE id = $1 AND status = 'sending' AND ($9 IS NULL OR lease_until = $9)`,
		id, string(u.Status), next, u.Provider, u.ProviderRef, truncate(u.LastError, 500),
		u.At.UnixMilli(), erase, timeValue(u.Lease))
	if err == nil {
		err = changedOne(res)
	}
	if err != nil {
		return fmt.Errorf("sqlite: complete message: %w", err)
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
	m, err := scanMessage(db.read.QueryRowContext(ctx, `
		SELECT `+messageColumns+` FROM messages WHERE challenge_id = $1 ORDER BY id DESC LIMIT 1`, challengeID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: message for challenge: %w", notFound(err))
	}
	return m, nil
}

// RecordReceipt applies a provider's delivery report, forward only.
func (db *DB) RecordReceipt(ctx context.Context, provider, ref string, status store.MessageStatus, lastError string, at time.Time) (*store.Message, bool, error) {
	var from []string // the statuses it may move from, forward only
	for _, st := range store.ReceiptMovesFrom(status) {
		from = append(from, "'"+string(st)+"'")
	}
	if from == nil {
		return nil, false, fmt.Errorf("sqlite: record receipt: status %q is not a receipt", status)
	}
	if ref == "" {
		// Messages that never got a reference have an empty one: a report
		// without one must not match them all.
		return nil, false, fmt.Errorf("sqlite: record receipt: %w", store.ErrNotFound)
	}
	var m *store.Message
	var moved bool
	err := db.inTx(ctx, func(tx *poolTx) error {
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, `
			UPDATE messages SET status = $3, last_error = CASE WHEN $4 = '' THEN last_error ELSE $4 END,
				updated_at = $5, sealed = NULL, lease_until = NULL
			WHERE provider = $1 AND provider_ref = $2 AND status IN (`+strings.Join(from, ", ")+`)
			RETURNING `+messageColumns,
			provider, ref, string(status), truncate(lastError, 500), at.UnixMilli()))
		moved = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			// Unknown, or a report that would move it backwards or again:
			// return the message as it is.
			m, err = scanMessage(tx.QueryRowContext(ctx, `
				SELECT `+messageColumns+` FROM messages WHERE provider = $1 AND provider_ref = $2
				ORDER BY id DESC LIMIT 1`, provider, ref))
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: record receipt: %w", notFound(err))
	}
	return m, moved, nil
}

// CountMessages counts messages for the budgets.
func (db *DB) CountMessages(ctx context.Context, q store.MessageCount) (int, error) {
	n, err := countMessages(ctx, db.read, q)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count messages: %w", err)
	}
	return n, nil
}

// countMessages counts on db, a connection pool or a transaction.
func countMessages(ctx context.Context, db querier, q store.MessageCount) (int, error) {
	query, args := msgcount.Count(q, prefix)
	var n int
	err := db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// overBudget returns the first of budgets that already counts its Limit,
// or nil: every budget counted in one statement, a code's on one range of
// messages_window (msgcount.OverBudget).
func overBudget(ctx context.Context, db querier, budgets []store.Budget) (*store.Budget, error) {
	return msgcount.OverBudget(budgets, prefix, func(query string, args ...any) msgcount.Row {
		return db.QueryRowContext(ctx, query, args...)
	})
}

// prefix is SQLite's test that destination starts with the value of
// param. Not LIKE: SQLite's ignores case (PostgreSQL's does not), and the
// prefix must not need escaping.
func prefix(param string) string {
	return `substr(destination, 1, length(` + param + `)) = ` + param
}
