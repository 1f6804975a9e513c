package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Setting returns the value of key and whether it is set.
func (db *DB) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("postgres: setting %q: %w", key, err)
	}
	return v, true, nil
}

// SetSetting sets key to value, replacing any earlier value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if err := setSetting(ctx, db.pool, key, value); err != nil {
		return fmt.Errorf("postgres: set setting %q: %w", key, err)
	}
	return nil
}

func setSetting(ctx context.Context, q querier, key, value string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	return err
}
