package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// maxBenchUsers bounds --users: the seeded phone numbers are
// +447400000000 onwards, UK mobile numbers all, and 10^8 of them exist.
const maxBenchUsers = 100_000_000

// benchDB is the database a bench runs on, made for it.
type benchDB struct {
	engine  string // SQLite or PostgreSQL
	url     string // PORTAL_DATABASE_URL for the portal
	where   string // for the report, without a password
	cleanup func() error
	// serverCPU is the CPU time the database server has used so far, when
	// it is a PostgreSQL server on this machine whose processes can be
	// read; nil otherwise (SQLite's work is this process's own).
	serverCPU func() time.Duration
}

// benchDatabase makes the bench's database. It never writes where data
// may already be: a SQLite file must not exist yet (by default one is made
// in a temporary directory and removed afterwards), and on PostgreSQL the
// bench works in a schema of its own, portal_bench_<random>, dropped at
// the end, so that whatever else the database holds is left alone.
func benchDatabase(ctx context.Context, target string) (*benchDB, error) {
	if target == "" {
		dir, err := os.MkdirTemp("", "portal-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temporary directory: %w", err)
		}
		path := filepath.Join(dir, "bench.db")
		return &benchDB{engine: "SQLite", url: path, where: path + ", removed afterwards",
			cleanup: func() error { return os.RemoveAll(dir) }}, nil
	}
	db, err := config.ParseDatabaseURL(target)
	if err != nil {
		return nil, fmt.Errorf("bench: --database-url: %w", err)
	}
	if db.Engine == "sqlite" {
		if _, err := os.Stat(db.Path); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bench: %s exists already: the bench makes its database afresh; give a path that does not exist yet (or no --database-url for a temporary one)", db.Path)
		}
		return &benchDB{engine: "SQLite", url: db.Path, where: db.Path + ", kept",
			cleanup: func() error { return nil }}, nil
	}
	return benchSchema(ctx, db.URL)
}

// benchSchema makes the bench's schema in the PostgreSQL database at
// dbURL.
func benchSchema(ctx context.Context, dbURL string) (*benchDB, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, errors.New("bench: --database-url cannot be parsed")
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("bench: connect to %s: %w", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	var serverCPU func() time.Duration
	if isLoopback(conn.Config().Host) && PostgresCPU() > 0 {
		serverCPU = PostgresCPU
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "portal_bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return nil, fmt.Errorf("bench: create schema %s in %s: %w", schema, u.Redacted(), err)
	}
	u.RawQuery = withSearchPath(u.RawQuery, schema)
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err == nil {
			// Only the schema made above, with what the bench put in it.
			_, err = conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			conn.Close(ctx) // #nosec G104 -- the DROP's error is the one that matters; the connection is discarded either way
		}
		if err != nil {
			return fmt.Errorf("bench: drop schema %s: %w", schema, err)
		}
		return nil
	}
	shown := *u
	shown.RawQuery = "" // it names the schema, which comes below
	where := shown.Redacted()
	return &benchDB{engine: "PostgreSQL", url: u.String(), where: where + ", schema " + schema + ", dropped afterwards", cleanup: drop, serverCPU: serverCPU}, nil
}

// isLoopback reports whether a PostgreSQL host is this machine: a loopback
// address, localhost or a Unix socket's directory.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasPrefix(host, "/") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// withSearchPath sets search_path in a URL's raw query, keeping the other
// parameters exactly as given: re-encoding them would turn the %20 of
// "options=-c%20synchronous_commit%3Doff" into a "+", which PostgreSQL
// then reads as part of the setting's name.
func withSearchPath(rawQuery, schema string) string {
	var kept []string
	for _, kv := range strings.Split(rawQuery, "&") {
		if k, _, _ := strings.Cut(kv, "="); kv != "" && k != "search_path" {
			kept = append(kept, kv)
		}
	}
	return strings.Join(append(kept, "search_path="+url.QueryEscape(schema)), "&")
}

// benchEmail and benchPhone name the i-th seeded user.
func benchEmail(i int) string { return fmt.Sprintf("bench%08d@bench.example", i) }
func benchPhone(i int) string { return fmt.Sprintf("+4474%08d", i) }

// seedUsers adds n users with registered phones and the password hash
// hash, in one bulk import: a million users cost one argon2id hash (made
// by the caller), not a million.
func seedUsers(ctx context.Context, db Store, n int, hash string) error {
	// The numbers go to the portal's own checks when a code is sent;
	// make sure the first and last are ones it accepts.
	for _, i := range []int{0, n - 1} {
		if _, err := phone.Normalize(benchPhone(i)); err != nil {
			return fmt.Errorf("bench: seeded number %s is refused: %w", benchPhone(i), err)
		}
	}
	created := time.Now().UTC()
	users := func(yield func(*store.User) bool) {
		for i := range n {
			u := &store.User{Email: benchEmail(i), Name: fmt.Sprintf("Bench User %d", i),
				PasswordHash: hash, Phone: benchPhone(i), CreatedAt: created}
			if !yield(u) {
				return
			}
		}
	}
	got, err := db.ImportUsers(ctx, users)
	if err != nil {
		return fmt.Errorf("bench: seed users: %w", err)
	}
	if got != n {
		return fmt.Errorf("bench: seeded %d users, not %d", got, n)
	}
	return nil
}
