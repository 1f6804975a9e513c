package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns the value of key and whether it is set.
func (db *DB) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.r.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: setting %q: %w", db.name, key, err)
	}
	return v, true, nil
}

// SetSetting sets key to value, replacing any earlier value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if err := setSetting(ctx, db.w, key, value); err != nil {
		return fmt.Errorf("%s: set setting %q: %w", db.name, key, err)
	}
	return nil
}

func setSetting(ctx context.Context, q Querier, key, value string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	return err
}
