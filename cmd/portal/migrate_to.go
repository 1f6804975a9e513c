package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/store/migrateto"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// migrateTo copies the SQLite database that PORTAL_DATABASE_URL names into
// the empty PostgreSQL database of --database-url, for a practice that
// moves to several instances. The portal should be stopped meanwhile: what
// it writes during the copy may not arrive.
func migrateTo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("portal migrate-to", flag.ContinueOnError)
	flags.SetOutput(stderr)
	target := flags.String("database-url", "", "the empty PostgreSQL database to copy into (postgres://…)")
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if *target == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: portal migrate-to --database-url postgres://…   (copies the SQLite database of PORTAL_DATABASE_URL)")
		return errUsage
	}
	to, err := config.ParseDatabaseURL(*target)
	if err != nil || to.Engine != "postgres" {
		return errors.New("--database-url must be a PostgreSQL URL: postgres://user:password@host:5432/database")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if cfg.Database.Engine != "sqlite" {
		return errors.New("PORTAL_DATABASE_URL must name the SQLite database to copy from; it names a PostgreSQL database")
	}
	// sqlite.Open would make an empty database where there is none.
	if _, err := os.Stat(cfg.Database.Path); err != nil {
		return fmt.Errorf("no SQLite database to copy at %s: %w", cfg.Database.Path, err)
	}

	src, err := sqlite.Open(ctx, cfg.Database.Path) // brings it to this version's schema, as serve would
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to.URL) // creates the schema
	if err != nil {
		return fmt.Errorf("open %s: %w", to.Location(), err)
	}
	defer dst.Close()

	start := time.Now()
	counts, err := migrateto.Copy(ctx, src.ReadOnly(), dst.Pool())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %s into %s in %v:\n", cfg.Database.Location(), to.Location(), time.Since(start).Round(time.Millisecond))
	for _, c := range counts {
		fmt.Fprintf(stdout, "  %-18s %7d\n", c.Table, c.Rows)
	}
	nextSteps(stdout, cfg)
	return nil
}

// nextSteps tells the operator how to point every instance at PostgreSQL,
// with the secret key the copied database needs.
func nextSteps(stdout io.Writer, cfg *config.Config) {
	fmt.Fprintf(stdout, "\n%s is left as it was. Next, on every instance, set\n", cfg.Database.Location())
	fmt.Fprintln(stdout, "  PORTAL_DATABASE_URL to the PostgreSQL URL")
	switch _, err := os.Stat(cfg.Database.Path + ".key"); {
	case cfg.SecretKey != nil:
		fmt.Fprintln(stdout, "  PORTAL_SECRET_KEY   to the key set here")
	case err == nil:
		fmt.Fprintf(stdout, "  PORTAL_SECRET_KEY   to the key in %s.key: codes on their way and\n"+
			"                      queued messages are sealed with it\n", cfg.Database.Path)
	default:
		fmt.Fprintln(stdout, "  PORTAL_SECRET_KEY   to one key for all of them (see portal help)")
	}
}
