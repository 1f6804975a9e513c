// Command portal runs Provider Portal: `portal serve` for the web server,
// `portal migrate` for the database schema, and `portal user …` to add an
// account from a script or help a locked-out provider. Configuration comes
// from PORTAL_* environment variables (see `portal help`). This package
// only wires the internal packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `Provider Portal: login with email, password and a code by text message.

Usage:
  portal serve                 run the web server (applies migrations first)
  portal migrate               apply database migrations and exit
  portal migrate-to --database-url postgres://…
                               copy the SQLite database of
                               PORTAL_DATABASE_URL into an empty PostgreSQL
                               database (stop the portal first)
  portal user create --email E --name N [--admin]
                               create an account; the password is read from
                               standard input (one line)
  portal help                  this text and the environment variables

Helping a provider (as in the administrators' console: each change takes a
reason, is audited, and the person is told by email):
  portal user list [--search S] [--limit N] [--after EMAIL]
                               users with role, masked phone, MFA state,
                               locks and last login; 50 a page by default
  portal user show --email E   one user and their 10 most recent events
  portal user set-phone --email E --phone P --reason R
                               change the phone login codes go to
  portal user mfa-disable --email E [--for 24h] --reason R
                               log in without a code for 1h to 7d (e.g. 36h,
                               2d); codes come back by themselves after
  portal user mfa-enable --email E --reason R
                               end a temporary MFA disable early
  portal user unlock --email E --reason R
                               lift locks from wrong passwords or codes
  portal user reset-password --email E --reason R
                               email a password reset link
  portal user deactivate --email E --reason R
  portal user reactivate --email E --reason R
  portal user make-admin --email E [--remove] --reason R
                               give (or take) the administrator role; the
                               last administrator keeps it

Applications that sign people in through the portal (OpenID Connect,
forward-auth; see docs/oidc.md):
  portal app create --name N --redirect-uri U [--redirect-uri U2 …] [--public]
      [--post-logout-redirect-uri U] [--backchannel-logout-uri U]
      [--admins-only] [--forward-auth-host H]
                               register one; prints client_id and, for a
                               confidential client, client_secret (shown once)
  portal app list              every application
  portal app rotate-secret --client-id X
                               a new secret (shown once); the old one stops
  portal app disable --client-id X
                               it signs nobody in any more

  portal config                print the effective configuration, secrets masked
  portal bench [--users N] [--logins N | --duration D] [--database-url U]
                               measure this machine: complete MFA logins,
                               OpenID Connect logins and My Details views
                               over HTTP against a portal started in-process
                               on a fresh database
                               (portal bench -h for every flag)

Environment:
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "migrate-to":
		return migrateTo(ctx, args[1:], getenv, stdout, stderr)
	case "config":
		return printConfig(args[1:], getenv, stdout)
	case "bench":
		return benchCommand(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args[1:], cmdIO{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
	case "app":
		return runApp(ctx, args[1:], cmdIO{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
	case "help", "-h", "--help":
		printUsage(stdout)
		return nil
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return errUsage
	}
}
