package sqlite

import (
	"context"
	"fmt"
	"math"

	"github.com/providerportal/portal/internal/store"
)

// AppendAudit appends e to the audit log and sets e.ID.
func (db *DB) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	err := db.write.QueryRowContext(ctx, `
		INSERT INTO audit_events (time, event, outcome, actor_id, subject_id, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		timeValue(e.Time), e.Event, e.Outcome, e.ActorID, e.SubjectID, e.IP, e.UserAgent, e.Detail,
	).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

// AuditForUser returns the newest events whose subject or actor is the
// user, newest first, at most limit of them (limit <= 0: all). Events of the
// same time come in the reverse order of their appending.
func (db *DB) AuditForUser(ctx context.Context, userID int64, limit int) ([]store.AuditEvent, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := db.read.QueryContext(ctx, `
		SELECT id, time, event, outcome, actor_id, subject_id, ip, user_agent, detail
		FROM audit_events
		WHERE subject_id = $1 OR actor_id = $1
		ORDER BY time DESC, id DESC
		LIMIT $2`,
		userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit for user: %w", err)
	}
	defer rows.Close()
	var events []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		err := rows.Scan(&e.ID, scanTime(&e.Time), &e.Event, &e.Outcome, &e.ActorID, &e.SubjectID,
			&e.IP, &e.UserAgent, &e.Detail)
		if err != nil {
			return nil, fmt.Errorf("sqlite: audit for user: %w", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit for user: %w", err)
	}
	return events, nil
}
