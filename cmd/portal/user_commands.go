package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// The `portal user …` commands let an operator help a provider who is
// locked out, from the machine that holds the database. Each one parses its
// flags, finds the account by --email and calls the administration service
// as admin.Operator(): the rules, audit entries and email notices are those
// of the web console. Nothing here decides what is allowed.

// cmdIO is what a command reads and writes.
type cmdIO struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// userCommands are the subcommands of `portal user`, by name.
var userCommands = map[string]func(ctx context.Context, args []string, x cmdIO) error{
	"create": func(ctx context.Context, args []string, x cmdIO) error {
		return userCreate(ctx, args, x.getenv, x.stdin, x.stdout, x.stderr)
	},
	"list": userList,
	"show": userShow,

	"set-phone":      changeCommand(setPhone),
	"mfa-disable":    changeCommand(mfaDisable),
	"mfa-enable":     changeCommand(mfaEnable),
	"unlock":         changeCommand(unlock),
	"reset-password": changeCommand(resetPassword),
	"deactivate":     changeCommand(deactivate),
	"reactivate":     changeCommand(reactivate),
	"make-admin":     changeCommand(makeAdmin),
}

const userSubcommands = "create, list, show, set-phone, mfa-disable, mfa-enable, unlock, reset-password, deactivate, reactivate, make-admin"

func runUser(ctx context.Context, args []string, x cmdIO) error {
	return runSubcommand(ctx, "portal user", userCommands, userSubcommands, args, x)
}

// runSubcommand runs the subcommand of group (`portal user`) named by
// args[0]; names lists them, in the order help gives them, for the
// usage error.
func runSubcommand(ctx context.Context, group string, commands map[string]func(ctx context.Context, args []string, x cmdIO) error, names string, args []string, x cmdIO) error {
	if len(args) == 0 {
		fmt.Fprintf(x.stderr, "%s: name a subcommand: %s (portal help)\n", group, names)
		return errUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(x.stderr, "%s: unknown subcommand %q; use one of: %s (portal help)\n", group, args[0], names)
		return errUsage
	}
	return cmd(ctx, args[1:], x)
}

// parseFlags parses args into fs and checks that each flag named in
// required was given a value. Problems are usage errors, explained on
// stderr with the command's usage line.
func parseFlags(fs *flag.FlagSet, args []string, line string, stderr io.Writer, required ...string) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", line)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage // the flag package has said why
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\nusage: %s\n", fs.Name(), fs.Arg(0), line)
		return errUsage
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			why := ""
			if name == "reason" {
				why = " (it is kept in the audit log)"
			}
			fmt.Fprintf(stderr, "%s: --%s is required%s\nusage: %s\n", fs.Name(), name, why, line)
			return errUsage
		}
	}
	return nil
}

// openServices opens the database and builds the services as `serve` does.
func openServices(ctx context.Context, getenv func(string) string, stderr io.Writer) (*App, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	app := &App{Config: cfg, Log: newLogger(cfg, stderr)}
	if err := app.OpenServices(ctx); err != nil {
		app.Close() // #nosec G104 -- OpenServices' error is returned; closing what did open is best effort
		return nil, err
	}
	return app, nil
}

// openAccount opens the services as openServices does and looks up the
// account with this email address; the caller closes the App.
func openAccount(ctx context.Context, x cmdIO, email string) (*App, *store.User, error) {
	app, err := openServices(ctx, x.getenv, x.stderr)
	if err != nil {
		return nil, nil, err
	}
	email = login.NormalizeEmail(email)
	u, err := app.DB.UserByEmail(ctx, email)
	if err != nil {
		app.Close() // #nosec G104 -- the lookup's error is returned
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("no user with email %s", email)
		}
		return nil, nil, fmt.Errorf("look up %s: %w", email, err)
	}
	return app, u, nil
}

// plain turns a refusal of the domain into its sentence, without the
// package prefix; other errors are internal and keep their context.
func plain(err error) error {
	var le *login.Error
	if errors.As(err, &le) {
		return errors.New(le.Message)
	}
	return err
}

// change is a command that changes one account. Every change takes
// --email and --reason; flags adds the command's own flags and returns
// the action to run and which of its flags are required.
type change struct {
	name  string // "set-phone"
	line  string // the usage line
	flags func(fs *flag.FlagSet) (act action, required []string)
}

// action carries out a change on u and returns what to tell the operator.
type action func(ctx context.Context, app *App, u *store.User, reason string) (string, error)

func changeCommand(c change) func(ctx context.Context, args []string, x cmdIO) error {
	return func(ctx context.Context, args []string, x cmdIO) error {
		fs := flag.NewFlagSet("portal user "+c.name, flag.ContinueOnError)
		email := fs.String("email", "", "email address of the account (required)")
		reason := fs.String("reason", "", "why; kept in the audit log and told to the person (required)")
		act, required := c.flags(fs)
		if err := parseFlags(fs, args, c.line, x.stderr, append([]string{"email", "reason"}, required...)...); err != nil {
			return err
		}
		app, u, err := openAccount(ctx, x, *email)
		if err != nil {
			return err
		}
		defer app.Close()
		msg, err := act(ctx, app, u, *reason)
		if err != nil {
			return plain(err)
		}
		fmt.Fprintln(x.stdout, msg)
		return nil
	}
}

// reload reads u again after a change, to report what is now stored.
func reload(ctx context.Context, app *App, u *store.User) (*store.User, error) {
	nu, err := app.DB.UserByID(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("read %s again: %w", u.Email, err)
	}
	return nu, nil
}

// onlyReason is a change that takes no flags beyond --email and --reason.
func onlyReason(name string, act action) change {
	return change{
		name:  name,
		line:  "portal user " + name + " --email E --reason R",
		flags: func(*flag.FlagSet) (action, []string) { return act, nil },
	}
}

var setPhone = change{
	name: "set-phone",
	line: "portal user set-phone --email E --phone P --reason R",
	flags: func(fs *flag.FlagSet) (action, []string) {
		number := fs.String("phone", "", "mobile number with country code, e.g. +447546123456 (required)")
		return func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
			if err := app.Admin.SetPhone(ctx, admin.Operator(), u.ID, *number, reason); err != nil {
				return "", err
			}
			nu, err := reload(ctx, app, u)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Login codes for %s now go to %s. Their sessions were ended and they were told by email.",
				nu.Email, phone.Mask(nu.Phone)), nil
		}, []string{"phone"}
	},
}

var mfaDisable = change{
	name: "mfa-disable",
	line: "portal user mfa-disable --email E [--for 24h] --reason R",
	flags: func(fs *flag.FlagSet) (action, []string) {
		d := durationFlag(admin.DefaultDisable)
		fs.Var(&d, "for", "how long, from 1h to 7d: a Go duration (90m, 36h) or days (2d)")
		return func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
			if err := app.Admin.DisableMFA(ctx, admin.Operator(), u.ID, time.Duration(d), reason); err != nil {
				return "", err
			}
			nu, err := reload(ctx, app, u)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s can log in with email and password alone until %s; then codes are required again by themselves. They were told by email.",
				nu.Email, stamp(nu.MFADisabledUntil)), nil
		}, nil
	},
}

var mfaEnable = onlyReason("mfa-enable", func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
	if err := app.Admin.EndMFADisable(ctx, admin.Operator(), u.ID, reason); err != nil {
		return "", err
	}
	return fmt.Sprintf("Login codes are on again for %s as the MFA policy says. They were told by email.", u.Email), nil
})

var unlock = onlyReason("unlock", func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
	if err := app.Admin.Unlock(ctx, admin.Operator(), u.ID, reason); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is unlocked: wrong passwords and codes no longer hold them back. They were told by email.", u.Email), nil
})

var resetPassword = onlyReason("reset-password", func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
	if err := app.Admin.SendPasswordReset(ctx, admin.Operator(), u.ID, reason); err != nil {
		return "", fmt.Errorf("the password reset email to %s was not sent: %w", u.Email, err)
	}
	return fmt.Sprintf("A password reset link (valid %s) was emailed to %s. Their current password works until they use it.",
		minutes(login.ResetLinkTTL), u.Email), nil
})

var deactivate = onlyReason("deactivate", func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
	if err := app.Admin.SetActive(ctx, admin.Operator(), u.ID, false, reason); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is deactivated and logged out everywhere. They were told by email.", u.Email), nil
})

var reactivate = onlyReason("reactivate", func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
	if err := app.Admin.SetActive(ctx, admin.Operator(), u.ID, true, reason); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is active again. They were told by email.", u.Email), nil
})

var makeAdmin = change{
	name: "make-admin",
	line: "portal user make-admin --email E [--remove] --reason R",
	flags: func(fs *flag.FlagSet) (action, []string) {
		remove := fs.Bool("remove", false, "take the administrator role instead of giving it")
		return func(ctx context.Context, app *App, u *store.User, reason string) (string, error) {
			if err := app.Admin.SetRole(ctx, admin.Operator(), u.ID, !*remove, reason); err != nil {
				return "", err
			}
			if *remove {
				return fmt.Sprintf("%s is no longer an administrator. They were told by email.", u.Email), nil
			}
			return fmt.Sprintf("%s is now an administrator. They were told by email.", u.Email), nil
		}, nil
	},
}

// durationFlag is a Go duration ("36h", "90m") or a whole number of days
// ("2d"). The range is the domain's to check.
type durationFlag time.Duration

// String writes "24h" rather than "24h0m0s".
func (d *durationFlag) String() string {
	s := time.Duration(*d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (d *durationFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return errors.New("give a duration such as 24h, 90m or 2d")
		}
		// Anything past 7 days is refused by the domain; capping here
		// only keeps the multiplication from overflowing, which it did
		// for a large negative count: -281474976710653d was 72 hours
		// (FuzzDurationFlag).
		n = max(-1000, min(n, 1000))
		*d = durationFlag(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("give a duration such as 24h, 90m or 2d")
	}
	*d = durationFlag(v)
	return nil
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// maxListLimit bounds one page of `portal user list`.
const maxListLimit = 500

func userList(ctx context.Context, args []string, x cmdIO) error {
	const line = "portal user list [--search S] [--limit N] [--after EMAIL]"
	fs := flag.NewFlagSet("portal user list", flag.ContinueOnError)
	search := fs.String("search", "", "part of the name or email, or digits of the phone number")
	limit := fs.Int("limit", 50, fmt.Sprintf("at most this many users (1 to %d)", maxListLimit))
	after := fs.String("after", "", "continue after this email (printed at the end of a page)")
	if err := parseFlags(fs, args, line, x.stderr); err != nil {
		return err
	}
	if *limit < 1 || *limit > maxListLimit {
		fmt.Fprintf(x.stderr, "portal user list: --limit must be from 1 to %d\nusage: %s\n", maxListLimit, line)
		return errUsage
	}
	app, err := openServices(ctx, x.getenv, x.stderr)
	if err != nil {
		return err
	}
	defer app.Close()

	users, more, err := usersPage(ctx, app, store.UserQuery{
		Search: strings.TrimSpace(*search), After: login.NormalizeEmail(*after), Limit: *limit,
	})
	if err != nil {
		return err
	}
	if len(users) == 0 {
		if *search != "" {
			fmt.Fprintf(x.stdout, "No users match %q.\n", *search)
		} else {
			fmt.Fprintln(x.stdout, "No users.")
		}
		return nil
	}
	if err := printUsers(ctx, app, x.stdout, users); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(x.stdout, "more: --after %s\n", users[len(users)-1].Email)
	}
	return nil
}

// usersPage returns at most q.Limit users of q and whether more follow.
func usersPage(ctx context.Context, app *App, q store.UserQuery) (users []store.User, more bool, err error) {
	limit := q.Limit
	q.Limit++ // one more than asked tells whether there is a next page
	users, err = app.DB.ListUsers(ctx, q)
	if err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}
	if len(users) > limit {
		return users[:limit], true, nil
	}
	return users, false, nil
}

// printUsers writes a table of users, one line each.
func printUsers(ctx context.Context, app *App, w io.Writer, users []store.User) error {
	policy, err := app.Admin.Policy(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tACCOUNT\tPHONE\tMFA\tLOCKED\tLAST LOGIN")
	for i := range users {
		u := &users[i]
		mfa, locked, err := describe(ctx, app, u, policy)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			printable(u.Email), printable(u.Name), role(u), accountState(u), maskedPhone(u), mfa, locked, lastLogin(u))
	}
	return tw.Flush()
}

// recentEvents is how many audit events `portal user show` prints.
const recentEvents = 10

func userShow(ctx context.Context, args []string, x cmdIO) error {
	const line = "portal user show --email E"
	fs := flag.NewFlagSet("portal user show", flag.ContinueOnError)
	email := fs.String("email", "", "email address of the account (required)")
	if err := parseFlags(fs, args, line, x.stderr, "email"); err != nil {
		return err
	}
	app, u, err := openAccount(ctx, x, *email)
	if err != nil {
		return err
	}
	defer app.Close()
	policy, err := app.Admin.Policy(ctx)
	if err != nil {
		return err
	}
	mfa, locked, err := describe(ctx, app, u, policy)
	if err != nil {
		return err
	}
	events, err := app.DB.AuditForUser(ctx, u.ID, recentEvents)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}

	if err := printDetails(x.stdout, u, mfa, locked); err != nil {
		return err
	}
	return printEvents(x.stdout, events, actorNames(ctx, app, u))
}

// printDetails writes what `portal user show` tells of u, a line each.
func printDetails(w io.Writer, u *store.User, mfa, locked string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range [][2]string{
		{"Email", printable(u.Email)},
		{"Name", printable(u.Name)},
		{"Role", role(u)},
		{"Account", accountState(u)},
		{"Phone", maskedPhone(u)},
		{"MFA", mfa},
		{"Wrong codes in a row", strconv.Itoa(u.CodeFailures)},
		{"Locked", locked},
		{"Created", stamp(u.CreatedAt)},
		{"Last login", lastLogin(u)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// printEvents writes the audit events under their heading, newest first,
// each with who did it named by actor.
func printEvents(w io.Writer, events []store.AuditEvent, actor func(id int64) string) error {
	fmt.Fprintf(w, "\nRecent events (newest first):\n")
	if len(events) == 0 {
		fmt.Fprintln(w, "none")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tEVENT\tOUTCOME\tBY\tIP\tCLIENT\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			e.Time.UTC().Format(time.DateTime), printable(e.Event), printable(e.Outcome), printable(actor(e.ActorID)),
			orDash(printable(e.IP)), orDash(printable(shorten(e.UserAgent, 40))), orDash(printable(e.Detail)))
	}
	return tw.Flush()
}

// actorNames returns the email address of the account with an id, looked
// up once each; "-" for no one (0), and "user N" for an account that is
// gone. u, the account shown, is known already.
func actorNames(ctx context.Context, app *App, u *store.User) func(id int64) string {
	names := map[int64]string{u.ID: u.Email}
	return func(id int64) string {
		if id == 0 {
			return "-"
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := fmt.Sprintf("user %d", id)
		if a, err := app.DB.UserByID(ctx, id); err == nil {
			n = a.Email
		}
		names[id] = n
		return n
	}
}

// describe says, for the list and the details, whether a login of u asks
// for a code ("required", "disabled until …", "exempt", "not yet
// registered": required, but the phone is registered at the next login,
// or "off (portal policy)") and whether wrong passwords or codes hold u
// back ("no", or "until … (passwords, codes)").
func describe(ctx context.Context, app *App, u *store.User, p admin.Policy) (mfa, locked string, err error) {
	st, err := app.Admin.State(ctx, u, p)
	if err != nil {
		return "", "", err
	}
	mfa = map[admin.MFAState]string{
		admin.MFAStateRequired:      "required",
		admin.MFAStateNotRegistered: "not yet registered",
		admin.MFAStateDisabled:      "disabled until " + stamp(st.DisabledUntil),
		admin.MFAStateExempt:        "exempt",
		admin.MFAStateOff:           "off (portal policy)",
	}[st.MFA]
	var why []string
	if !st.PasswordsLockedUntil.IsZero() {
		why = append(why, "passwords")
	}
	if !st.CodesLockedUntil.IsZero() {
		why = append(why, "codes")
	}
	if len(why) == 0 {
		return mfa, "no", nil
	}
	return mfa, fmt.Sprintf("until %s (%s)", stamp(st.LockedUntil()), strings.Join(why, ", ")), nil
}

func role(u *store.User) string {
	if u.Admin {
		return "administrator"
	}
	return "provider"
}

func accountState(u *store.User) string {
	if u.Deactivated {
		return "deactivated"
	}
	return "active"
}

func maskedPhone(u *store.User) string {
	if u.Phone == "" {
		return "-"
	}
	return phone.Mask(u.Phone)
}

func lastLogin(u *store.User) string {
	if u.LastLoginAt.IsZero() {
		return "never"
	}
	return stamp(u.LastLoginAt)
}

// stamp is how the commands show a moment: UTC, to the minute, as the
// audit log keeps it.
func stamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// printable keeps what others typed (names, user agents, reasons) from
// moving the columns or sending escape sequences to the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}
