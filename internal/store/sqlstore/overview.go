package sqlstore

import (
	"context"

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
