package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/login"
)

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, v := range config.Variables {
		fmt.Fprintf(w, "  %-27s %s", v.Name, v.Meaning)
		if d := v.ShownDefault(); d != "" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	}
}

func loadConfig(getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; configure it with PORTAL_* variables (portal help)")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	app := &App{Config: cfg, Log: newLogger(cfg, stderr)}
	defer app.Close()
	gogc, limit := tuneGC()
	app.Log.Info("garbage collector", "GOGC", gogc, "GOMEMLIMIT_MiB", limit>>20)
	if err := app.Open(ctx); err != nil {
		return err
	}
	if err := app.Listen(); err != nil {
		return err
	}
	if token, ok, err := app.Login.EnsureSetupToken(ctx); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(stdout, "\nNo accounts yet. Create the first administrator with this one-time link:\n\n    %s/setup?token=%s\n\n", cfg.BaseURL, token)
	}
	fmt.Fprintf(stdout, "%s is listening on %s (open %s)\n", cfg.PortalName, app.Addr(), cfg.BaseURL)
	if app.Outbox != nil {
		fmt.Fprintf(stdout, "Messages that are not sent for real are logged here and listed at %s/dev/outbox (from this machine only).\n", cfg.BaseURL)
	}
	return app.Serve(ctx)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("migrate takes no arguments")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg) // Open applies what is pending
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", cfg.Database.Location(), v)
	return nil
}

func userCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "full name (required)")
	admin := fs.Bool("admin", false, "give the administrator role")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *email == "" || *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: portal user create --email E --name N [--admin]   (password on standard input)")
		return errUsage
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	// The same wiring as serve and the other user commands: the same
	// password hashing and audit log.
	app, err := openServices(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	u, err := app.Login.CreateAccount(ctx, login.NewAccount{Email: *email, Name: *name, Password: pw, Admin: *admin}, login.Client{UserAgent: "portal user create"})
	var le *login.Error
	if errors.As(err, &le) {
		return errors.New(le.Message)
	}
	if err != nil {
		return err
	}
	role := "provider"
	if u.Admin {
		role = "administrator"
	}
	fmt.Fprintf(stdout, "created %s %s (id %d); a phone for login codes is registered at their first login\n", role, u.Email, u.ID)
	return nil
}

// readPassword reads one line; a trailing newline (and carriage return)
// is not part of the password.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | portal user create …")
	}
	return line, nil
}
