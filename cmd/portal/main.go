// Command portal runs Provider Portal: `portal serve` for the web server,
// `portal migrate` for the database schema, and `portal user create` to
// add an account from a script. Configuration comes from PORTAL_*
// environment variables (see `portal help`). This package only wires the
// internal packages together.
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
  portal user create --email E --name N [--admin]
                               create an account; the password is read from
                               standard input (one line)
  portal help                  this text and the environment variables

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
	case "user":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprintln(stderr, "portal user: the only subcommand is: portal user create --email E --name N [--admin]")
			return errUsage
		}
		return userCreate(ctx, args[2:], getenv, stdin, stdout, stderr)
	case "help", "-h", "--help":
		printUsage(stdout)
		return nil
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return errUsage
	}
}
