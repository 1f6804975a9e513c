package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/bench"
	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/outbox"
	"github.com/providerportal/portal/internal/delivery/smtp"
	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/webhook"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/postgres"
	"github.com/providerportal/portal/internal/store/sqlite"
	"github.com/providerportal/portal/internal/web"
)

// App is the portal wired together. Tests build one with their own
// configuration and run it on a free port.
type App struct {
	Config *config.Config
	Log    *slog.Logger

	DB       database             // SQLite or PostgreSQL, as configured
	Dispatch *dispatch.Dispatcher // sends the outbox; inline until Serve runs it
	Metrics  *metrics.Metrics
	Login    *login.Service
	Admin    *admin.Service
	Web      *web.Server
	OIDC     *oidc.Provider // the OpenID Connect provider for the organisation's applications
	Outbox   *outbox.Outbox // nil unless some messages go to the local outbox
	// ForwardAuthHosts names the hosts of registered forward-auth
	// applications; nil (before Open): the registry in the database
	// (portal app create --forward-auth-host). Tests may set another.
	ForwardAuthHosts web.ForwardAuthHosts

	listener net.Listener
	server   *http.Server
}

// newLogger writes text or JSON to w at the configured level.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// database is what the portal needs of a storage engine: what each part
// it wires takes of the store (the login, the administration, the OpenID
// Connect provider, the pages, the dispatcher's outbox and `portal
// bench`), the schema version that `portal migrate` reports, and Close.
// *sqlite.DB and *postgres.DB are one.
type database interface {
	login.Store
	admin.Store
	oidc.Store
	web.Records
	store.Messages
	bench.Store
	Version(ctx context.Context) (int, error)
	Close() error
}

// openDB opens the database named by the configuration, SQLite or
// PostgreSQL, applying migrations.
func openDB(ctx context.Context, cfg *config.Config) (database, error) {
	var db database
	var err error
	switch cfg.Database.Engine {
	case "postgres":
		db, err = postgres.Open(ctx, cfg.Database.URL, postgres.MaxConns(cfg.Database.MaxConns))
	default:
		db, err = sqlite.Open(ctx, cfg.Database.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.Database.Location(), err)
	}
	return db, nil
}

// OpenServices wires everything but the web server: the database, the
// senders, the login service and the administration service. `serve` (by
// way of Open) and the `portal user` commands both start here, so a notice
// sent from the command line goes out exactly as one sent from the console.
// Nothing listens.
func (a *App) OpenServices(ctx context.Context) error {
	cfg := a.Config
	var err error
	if a.DB, err = openDB(ctx, cfg); err != nil {
		return err
	}
	key, err := secretKey(cfg)
	if err != nil {
		return err
	}
	if err := a.openDispatcher(key); err != nil {
		return err
	}
	a.Metrics = metrics.New()
	a.Dispatch.Metrics = a.Metrics
	a.watchPools()
	a.Login = &login.Service{
		Metrics:    a.Metrics,
		Store:      a.DB,
		Dispatch:   a.Dispatch,
		Passwords:  &password.Hasher{Params: password.DefaultParams, Gauges: a.Metrics},
		CodeKey:    key,
		Rules:      login.RulesFor(cfg),
		PortalName: cfg.PortalName,
		BaseURL:    cfg.BaseURL,
		Log:        a.Log,
	}
	a.Dispatch.OnFinal = a.Login.MessageFinal
	// Tests move the login service's clock after Open; everything else
	// reads it.
	a.Dispatch.Clock = func() time.Time { return a.Login.Clock.Now() }
	a.Admin = &admin.Service{Store: a.DB, Login: a.Login}
	a.OIDC, err = oidc.New(oidc.Config{Store: a.DB, Issuer: cfg.BaseURL, Secret: key, Log: a.Log, Clock: a.Dispatch.Clock})
	if err != nil {
		return err
	}
	// Sessions that end end the applications' too: tokens revoked, and
	// back-channel logouts queued (sent by Serve's RunLogouts, or by the
	// next instance that serves).
	a.Login.Applications = a.OIDC
	return nil
}

// secretKey is PORTAL_SECRET_KEY or, with SQLite and no such key, the key
// in the file beside the database (made on first use).
func secretKey(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey != nil {
		return cfg.SecretKey, nil
	}
	// Only one instance uses a SQLite file, so its key may live
	// beside it; instances sharing PostgreSQL must share the key.
	if cfg.Database.Engine != "sqlite" {
		return nil, errors.New("PORTAL_SECRET_KEY is required with PostgreSQL: every instance must share it")
	}
	return keyFile(cfg.Database.Path + ".key")
}

// openDispatcher makes the dispatcher of the configured senders, its
// messages sealed with key.
func (a *App) openDispatcher(key []byte) error {
	providers, mail, err := a.senders()
	if err != nil {
		return err
	}
	sealer, err := dispatch.NewSealer(key)
	if err != nil {
		return err
	}
	// Until Serve runs the dispatcher in the background, messages go out
	// inline: a command's notice is sent before the command exits.
	a.Dispatch = &dispatch.Dispatcher{
		Store:  a.DB,
		SMS:    providers,
		Mail:   mail,
		Sealer: sealer,
		Log:    a.Log,
		Inline: true,
	}
	return nil
}

// watchPools has the metrics report the database pools' statistics.
func (a *App) watchPools() {
	switch db := a.DB.(type) {
	case *sqlite.DB:
		write, read := db.Pools()
		a.Metrics.WatchSQL("sqlite_write", write)
		a.Metrics.WatchSQL("sqlite_read", read)
	case *postgres.DB:
		a.Metrics.WatchPool(db.Pool())
	}
}

// Open wires the whole portal: a check that the configuration may serve
// (config.ServeProblem), OpenServices, a check of each sender, and the web
// server.
func (a *App) Open(ctx context.Context) error {
	if err := a.Config.ServeProblem(); err != nil {
		return err
	}
	if err := a.OpenServices(ctx); err != nil {
		return err
	}
	a.checkSenders(ctx)
	cfg := a.Config
	var err error
	if a.ForwardAuthHosts == nil {
		a.ForwardAuthHosts = &apps.ForwardAuthHosts{Apps: a.DB, MaxAge: apps.ForwardAuthMaxAge}
	}
	a.Web, err = web.New(web.Config{
		Login:          a.Login,
		Admin:          a.Admin,
		Records:        a.DB,
		Log:            a.Log,
		BaseURL:        cfg.BaseURL,
		PortalName:     cfg.PortalName,
		Outbox:         a.Outbox,
		TrustedProxies: cfg.TrustedProxies,
		CookieDomain:   cfg.CookieDomain,
		ForwardAuth:    a.ForwardAuthHosts,
		Metrics:        a.Metrics,
		OIDC:           a.OIDC,
		Receipts: web.Receipts{
			Dispatch:        a.Dispatch,
			TwilioAuthToken: cfg.Twilio.AuthToken,
			TwilioProvider:  "twilio",
		},
	})
	return err
}

// senders builds the SMS providers, in failover order, and the mailer the
// configuration asks for.
func (a *App) senders() ([]dispatch.Provider, delivery.Mailer, error) {
	cfg := a.Config
	var providers []dispatch.Provider
	var mail delivery.Mailer
	if cfg.SMSProviders[0] == "outbox" || cfg.SMTPURL == "" {
		a.Outbox = outbox.New(a.Log, nil)
	}
	for _, name := range cfg.SMSProviders {
		var sender delivery.SMSSender
		switch name {
		case "twilio":
			t := &twilio.Sender{
				APIURL: cfg.Twilio.APIURL, AccountSID: cfg.Twilio.AccountSID,
				AuthToken: cfg.Twilio.AuthToken, From: cfg.Twilio.From,
				// Delivery receipts come back here, signed with the token.
				StatusCallback: cfg.BaseURL + web.TwilioStatusPath,
			}
			if err := t.Validate(); err != nil {
				return nil, nil, err
			}
			sender = t
		case "webhook":
			w := &webhook.Sender{URL: cfg.Webhook.URL, Secret: cfg.Webhook.Secret}
			if err := w.Validate(); err != nil {
				return nil, nil, fmt.Errorf("PORTAL_SMS_WEBHOOK_URL: %w", err)
			}
			sender = w
		default:
			sender = a.Outbox
		}
		providers = append(providers, dispatch.Provider{Name: name, Sender: sender})
	}
	if cfg.SMTPURL != "" {
		m, err := smtp.New(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, nil, fmt.Errorf("PORTAL_SMTP_URL: %w", err)
		}
		mail = m
	} else {
		mail = a.Outbox
	}
	return providers, mail, nil
}

// checkSenders checks each sender once at start-up. A failed check is
// logged, not fatal: the portal still serves what it can (the other
// channel, accounts without MFA), and the operator sees the problem at
// once. The `portal user` commands skip it: a notice that cannot be sent
// is logged when it fails.
func (a *App) checkSenders(ctx context.Context) {
	type check struct {
		name   string
		sender any
	}
	var checks []check
	seen := map[any]bool{} // the local outbox serves both; check it once
	for _, p := range a.Dispatch.SMS {
		if !seen[p.Sender] {
			seen[p.Sender] = true
			checks = append(checks, check{"SMS (" + p.Name + ")", p.Sender})
		}
	}
	if !seen[a.Dispatch.Mail] {
		checks = append(checks, check{"email", a.Dispatch.Mail})
	}
	for _, c := range checks {
		if checker, ok := c.sender.(delivery.Checker); ok {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := checker.Check(cctx)
			cancel()
			if err != nil {
				a.Log.Error("start-up check failed: messages may not be delivered", "sender", c.name, "err", err)
			}
		}
	}
}

// keyFile reads the code-hash key kept beside a SQLite database, creating
// it (readable by the owner only) on first use.
func keyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- path is the configured SQLite path plus .key, set by the operator, never by a request
	if errors.Is(err, fs.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the same operator-set path as above
		if errors.Is(err, fs.ErrExist) {
			return keyFile(path) // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("create secret key file: %w", err)
		}
		if _, err := fmt.Fprintln(f, hex.EncodeToString(k)); err != nil {
			f.Close() // #nosec G104 -- the write error is the one reported; a half-written file fails ParseKey at the next start, never used as a key
			return nil, fmt.Errorf("write secret key file: %w", err)
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	k, err := config.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return k, nil
}

// Listen opens the listening socket. It may come before Open, so that a
// test listening on port 0 can put the bound address in the base URL.
func (a *App) Listen() error {
	l, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = l
	return nil
}

// Addr is the bound address.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context) error {
	a.server = &http.Server{
		Handler:           a.Web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	go a.sweepSessions(ctx)
	// Stopped after the last request is answered (the shutdown below), so
	// nothing queued by a request is left half-sent.
	stopSending := a.sendInBackground(ctx)
	defer stopSending()

	errc := make(chan error, 2)
	go func() { errc <- a.server.Serve(a.listener) }()
	if addr := a.Config.MetricsAddr; addr != "" {
		ms, err := a.serveMetrics(addr, errc)
		if err != nil {
			return err
		}
		defer ms.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.server.Shutdown(sctx)
}

// sendInBackground has the dispatcher send the outbox, and the OpenID
// Connect provider its back-channel logouts, in the background from now
// on. It returns the function that stops both and waits until they have.
func (a *App) sendInBackground(ctx context.Context) (stop func()) {
	a.Dispatch.Inline = false
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		a.Dispatch.Run(dctx)
	}()
	loggedOut := make(chan struct{})
	go func() {
		defer close(loggedOut)
		a.OIDC.RunLogouts(dctx)
	}()
	return func() {
		cancel()
		<-loggedOut
		<-dispatched
	}
}

// serveMetrics serves the metrics on their own address, which the
// operator keeps off the public network; an error of the server's goes to
// errc.
func (a *App) serveMetrics(addr string, errc chan<- error) (*http.Server, error) {
	ml, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	a.Log.Info("metrics", "url", "http://"+ml.Addr().String()+"/metrics")
	return ms, nil
}

// sweepSessions deletes timed-out sessions now and then, so the table does
// not grow without bound. Correctness does not depend on it: Authenticate
// refuses expired sessions anyway.
func (a *App) sweepSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := a.Login.SweepSessions(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep sessions", "err", err)
		} else if n > 0 {
			a.Log.Debug("swept expired sessions", "count", n)
		}
		if n, err := a.OIDC.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep OpenID Connect requests and tokens", "err", err)
		} else if n > 0 {
			a.Log.Debug("swept expired OpenID Connect requests and tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close waits for the login service's background work, then releases the
// database.
func (a *App) Close() error {
	if a.Login != nil {
		a.Login.Wait()
	}
	if a.DB != nil {
		return a.DB.Close()
	}
	return nil
}
