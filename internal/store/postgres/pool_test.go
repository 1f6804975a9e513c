package postgres

import (
	"testing"

	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/tabletest"
)

// TestPoolSize checks where the pool's size comes from: the MaxConns
// option, else the URL's pool_max_conns, else DefaultMaxConns.
func TestPoolSize(t *testing.T) {
	url := pgtest.NewDatabase(t).NewSchema(t)
	for _, tc := range []struct {
		url  string
		opts []Option
		want int32
	}{
		{url, nil, DefaultMaxConns},
		{url + "&pool_max_conns=4", nil, 4},
		{url + "&pool_max_conns=4", []Option{MaxConns(7)}, 7},
		{url, []Option{MaxConns(0)}, DefaultMaxConns},
	} {
		db, err := Open(t.Context(), tc.url, tc.opts...)
		if err != nil {
			t.Fatalf("Open(%s): %v", tc.url, err)
		}
		if got := db.pool.Config().MaxConns; got != tc.want {
			t.Errorf("Open(%s, %d options): pool of %d, want %d", tc.url, len(tc.opts), got, tc.want)
		}
		db.Close()
	}
}

func TestSetsPoolSize(t *testing.T) {
	tabletest.Check(t, "setsPoolSize", setsPoolSize, map[string]bool{
		"postgres://h/db":                                    false,
		"postgres://h/db?pool_max_conns=3":                   true,
		"postgresql://h/db?sslmode=disable&pool_max_conns=3": true,
		"host=h dbname=db pool_max_conns=3":                  true,
		"host=h dbname=db":                                   false,
	})
}
