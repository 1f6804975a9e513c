package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
)

// The `portal app …` commands register the organisation's applications.
// Each one parses its flags and calls the administration service as
// admin.Operator(), as the console's Applications page does: the same
// checks and audit entries.

var appCommands = map[string]func(ctx context.Context, args []string, x cmdIO) error{
	"create":        appCreate,
	"list":          appList,
	"rotate-secret": appRotateSecret,
	"disable":       appDisable,
}

const appSubcommands = "create, list, rotate-secret, disable"

func runApp(ctx context.Context, args []string, x cmdIO) error {
	return runSubcommand(ctx, "portal app", appCommands, appSubcommands, args, x)
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const appCreateLine = "portal app create --name N (--redirect-uri U [--redirect-uri U2 …] | --forward-auth-host H …) [--public] " +
	"[--post-logout-redirect-uri U] [--backchannel-logout-uri U] [--admins-only] [--forward-auth-host H] [--id-token-alg RS256|ES256]"

func appCreate(ctx context.Context, args []string, x cmdIO) error {
	fs := flag.NewFlagSet("portal app create", flag.ContinueOnError)
	var r apps.Registration
	var redirects, postLogout, hosts listFlag
	fs.StringVar(&r.Name, "name", "", "name people see (required)")
	fs.Var(&redirects, "redirect-uri", "where the application receives sign-ins by OpenID Connect; repeat for more (this or --forward-auth-host required)")
	fs.BoolVar(&r.Public, "public", false, "a public client (single-page or native application): no secret, PKCE required")
	fs.Var(&postLogout, "post-logout-redirect-uri", "where the application may send people after logging out; repeat for more")
	fs.StringVar(&r.BackchannelLogoutURI, "backchannel-logout-uri", "", "where the portal tells the application that a person's session ended")
	fs.BoolVar(&r.AdminsOnly, "admins-only", false, "only administrators may sign in to it")
	fs.StringVar(&r.IDTokenAlg, "id-token-alg", "RS256", "what its ID tokens are signed with: RS256 or ES256")
	fs.Var(&hosts, "forward-auth-host", "host name its reverse proxy protects (forward-auth); repeat for more")
	if err := parseFlags(fs, args, appCreateLine, x.stderr, "name"); err != nil {
		return err
	}
	r.RedirectURIs, r.PostLogoutRedirectURIs, r.ForwardAuthHosts = redirects, postLogout, hosts
	app, err := openServices(ctx, x.getenv, x.stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	a, secret, err := app.Admin.CreateApplication(ctx, admin.Operator(), r)
	if err != nil {
		return plain(err)
	}
	fmt.Fprintf(x.stdout, "client_id: %s\n", a.ClientID)
	if secret != "" {
		fmt.Fprintf(x.stdout, "client_secret: %s\n", secret)
	}
	return nil
}

func appList(ctx context.Context, args []string, x cmdIO) error {
	fs := flag.NewFlagSet("portal app list", flag.ContinueOnError)
	if err := parseFlags(fs, args, "portal app list", x.stderr); err != nil {
		return err
	}
	app, err := openServices(ctx, x.getenv, x.stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	list, err := app.Admin.Applications(ctx, admin.Operator())
	if err != nil {
		return plain(err)
	}
	if len(list) == 0 {
		fmt.Fprintln(x.stdout, "no applications; register one with portal app create")
		return nil
	}
	tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT_ID\tNAME\tKIND\tWHO\tSTATE\tREDIRECT URIS\tFORWARD-AUTH HOSTS")
	for _, a := range list {
		kind, who, state := "confidential", "everyone", "enabled"
		if a.Public {
			kind = "public"
		}
		if a.AdminsOnly {
			who = "administrators"
		}
		if a.Disabled() {
			state = "disabled " + a.DisabledAt.Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ClientID, a.Name, kind, who, state,
			strings.Join(a.RedirectURIs, " "), strings.Join(a.ForwardAuthHosts, " "))
	}
	return tw.Flush()
}

// clientIDCommand parses the --client-id and --reason of rotate-secret
// and disable. Without --reason the audit log says the operator's
// command did it.
func clientIDCommand(ctx context.Context, name string, args []string, x cmdIO) (app *App, id, reason string, err error) {
	fs := flag.NewFlagSet("portal app "+name, flag.ContinueOnError)
	idFlag := fs.String("client-id", "", "the application's client_id (portal app list) (required)")
	reasonFlag := fs.String("reason", "portal app "+name, "why; kept in the audit log")
	if err := parseFlags(fs, args, "portal app "+name+" --client-id X [--reason R]", x.stderr, "client-id"); err != nil {
		return nil, "", "", err
	}
	app, err = openServices(ctx, x.getenv, x.stderr)
	if err != nil {
		return nil, "", "", err
	}
	return app, *idFlag, *reasonFlag, nil
}

// noApp says which client_id is unknown.
func noApp(err error, id string) error {
	if errors.Is(err, admin.ErrNoApplication) {
		return fmt.Errorf("no application with client_id %s (portal app list shows them)", id)
	}
	return plain(err)
}

func appRotateSecret(ctx context.Context, args []string, x cmdIO) error {
	app, id, reason, err := clientIDCommand(ctx, "rotate-secret", args, x)
	if err != nil {
		return err
	}
	defer app.Close()
	secret, err := app.Admin.RotateSecret(ctx, admin.Operator(), id, reason)
	if err != nil {
		return noApp(err, id)
	}
	fmt.Fprintf(x.stdout, "client_secret: %s\n", secret)
	return nil
}

func appDisable(ctx context.Context, args []string, x cmdIO) error {
	app, id, reason, err := clientIDCommand(ctx, "disable", args, x)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Admin.DisableApplication(ctx, admin.Operator(), id, reason); err != nil {
		return noApp(err, id)
	}
	fmt.Fprintf(x.stdout, "disabled %s: it signs nobody in any more\n", id)
	return nil
}
