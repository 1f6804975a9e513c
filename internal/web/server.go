// Package web is the portal's user interface: server-rendered pages for
// every step of the help article (log in, the code, Update Phone Number, My
// Details), "Forgot your password?" and the emailed links, the
// administrators' console under /admin, the first administrator's set-up,
// the development outbox and the health endpoints. Each page action has
// its file, named noun then verb (login_check.go, phone_register_send.go,
// admin_audit_list.go), and is short: read the form into its struct,
// Validate, call the login or admin service, render the page's view or
// redirect. Handler is the one list of routes, where the stage and
// administrator checks are put on groups of them. Pages work without
// JavaScript.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/delivery/outbox"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// maxFormBytes bounds request bodies; every form of the portal is tiny.
const maxFormBytes = 16 << 10

// Server serves the portal's pages.
type Server struct {
	login      *login.Service
	records    Records
	admin      *admin.Service
	log        *slog.Logger
	baseURL    *url.URL
	portalName string
	outbox     *outbox.Outbox // nil unless the development outbox is in use
	receipts   Receipts
	proxies    []netip.Prefix
	pages      map[string]*template.Template
	cookie     cookieNames
	now        func() time.Time
	metrics    *metrics.Metrics
	// forwardAuth names the hosts of forward-auth applications; nil:
	// none (the portal's own host only).
	forwardAuth ForwardAuthHosts
	oidc        *oidc.Provider // nil: no OpenID Connect provider
}

// Records is what the web layer reads of the store itself: the console's
// lists of people, audit records and applications, the sign-in page's
// applications and the readiness check. Every change goes through login
// or admin.
type Records interface {
	UserByID(ctx context.Context, id int64) (*store.User, error)
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error)
	AuditForUser(ctx context.Context, userID int64, limit int) ([]store.AuditEvent, error)
	ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error)
	ListApplications(ctx context.Context) ([]store.Application, error)
	store.Overview
	Ping(ctx context.Context) error
}

// Config is what New needs.
type Config struct {
	Login *login.Service
	// Admin carries out the administrators' actions.
	Admin *admin.Service
	// Records is the store the pages read (see Records).
	Records    Records
	Log        *slog.Logger
	BaseURL    string
	PortalName string
	// Outbox, when set, is listed at /dev/outbox for requests from this
	// machine only.
	Outbox *outbox.Outbox
	// Receipts, when TwilioAuthToken is set, takes Twilio's delivery
	// receipts at TwilioStatusPath.
	Receipts Receipts
	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed when they connect.
	TrustedProxies []netip.Prefix
	Clock          clock.Clock // nil: the login service's
	// Metrics times each request by route; nil: not timed.
	Metrics *metrics.Metrics
	// ForwardAuth names the hosts of registered forward-auth applications,
	// the only places besides the portal that /auth/verify and the login
	// send a person back to; nil: none.
	ForwardAuth ForwardAuthHosts
	// CookieDomain (PORTAL_COOKIE_DOMAIN) scopes the session cookie to a
	// parent domain of the base URL's host, for forward-auth applications
	// on its other hosts; "": the portal's host only.
	CookieDomain string
	// OIDC, when set, is served under /oauth/ and at
	// /.well-known/openid-configuration.
	OIDC *oidc.Provider
}

// Receipts is what the delivery receipt endpoints need.
type Receipts struct {
	Dispatch        *dispatch.Dispatcher
	TwilioAuthToken string // checks X-Twilio-Signature
	TwilioProvider  string // the provider name messages sent through Twilio carry
}

// New parses the templates and returns a server.
func New(cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	cookie, err := cookieNamesFor(u, strings.ToLower(cfg.CookieDomain))
	if err != nil {
		return nil, err
	}
	s := &Server{
		login:       cfg.Login,
		admin:       cfg.Admin,
		records:     cfg.Records,
		log:         cfg.Log,
		baseURL:     u,
		portalName:  cfg.PortalName,
		outbox:      cfg.Outbox,
		receipts:    cfg.Receipts,
		proxies:     cfg.TrustedProxies,
		cookie:      cookie,
		now:         cfg.Clock,
		metrics:     cfg.Metrics,
		forwardAuth: cfg.ForwardAuth,
		oidc:        cfg.OIDC,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.admin == nil || s.records == nil {
		return nil, errors.New("web: Config.Admin and Config.Records are required")
	}
	if s.now == nil {
		// The login service's clock, so that pages and rules agree.
		s.now = func() time.Time { return cfg.Login.Clock.Now() }
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the portal with its middleware: request ids and logging,
// panic recovery, security headers, body limits and refusal of
// cross-origin form posts. It is the route table: each login stage's pages
// and the console are groups behind their check (requireStage,
// requireAdmin), so no handler of theirs is reached without it.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(http.FileServerFS(static))))

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	mux.HandleFunc("GET /auth/verify", s.verify)

	mux.HandleFunc("GET /login", s.loginShow)
	mux.HandleFunc("POST /login", s.loginCheck)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /login/cancel", s.loginCancel)

	// The code step of a login: a session past the password only.
	code := routeGroup{mux, s.requireStage(store.StageCode)}
	code.handle("GET /login/code", s.codeShow(loginScreen))
	code.handle("POST /login/code", s.codeCheck)
	code.handle("POST /login/code/resend", s.codeResend)
	code.handle("POST /login/code/email", s.codeEmail)
	code.handle("GET /login/code/status", s.codeStatus(store.PurposeLogin))

	// Update Phone Number, at the first login with MFA.
	register := routeGroup{mux, s.requireStage(store.StageRegisterPhone)}
	register.handle("GET /login/phone", s.phoneRegisterShow)
	register.handle("POST /login/phone", s.phoneRegisterSend)
	registerPending := register.within(requirePendingPhone("/login/phone"))
	registerPending.handle("POST /login/phone/verify", s.phoneRegisterVerify)
	registerPending.handle("POST /login/phone/resend", s.phoneRegisterResend)
	register.handle("POST /login/phone/different", s.phoneChangeCancel("/login/phone"))
	register.handle("GET /login/phone/status", s.codeStatus(store.PurposeRegisterPhone))

	// A person logged in.
	full := routeGroup{mux, s.requireStage(store.StageFull)}
	full.handle("GET /{$}", s.homeShow)
	full.handle("GET /my-details", s.myDetailsShow)
	full.handle("POST /my-details/phone", s.phoneChangeSend)
	changePending := full.within(requirePendingPhone("/my-details"))
	changePending.handle("GET /my-details/phone/verify", s.codeShow(changeScreen))
	changePending.handle("POST /my-details/phone/verify", s.phoneChangeVerify)
	changePending.handle("POST /my-details/phone/resend", s.phoneChangeResend)
	full.handle("POST /my-details/phone/cancel", s.phoneChangeCancel("/my-details"))
	full.handle("GET /my-details/phone/status", s.codeStatus(store.PurposeChangePhone))

	mux.HandleFunc("GET /forgot-password", s.forgotPasswordShow)
	mux.HandleFunc("POST /forgot-password", s.forgotPasswordSend)
	mux.HandleFunc("GET /reset-password", s.resetPasswordShow)
	mux.HandleFunc("POST /reset-password", s.resetPasswordSet)
	mux.HandleFunc("GET /welcome", s.welcomeShow)
	mux.HandleFunc("POST /welcome", s.welcomeSet)

	// "Confirm it is you": an administrator, whose login may be too old.
	confirm := routeGroup{mux, s.requireAdminStale}
	confirm.handle("GET /admin/confirm", s.stepUpShow)
	confirm.handle("POST /admin/confirm", s.stepUpPassword)
	confirm.handle("POST /admin/confirm/code", s.stepUpVerify)
	confirm.handle("POST /admin/confirm/resend", s.stepUpResend)
	confirm.handle("GET /admin/confirm/status", s.stepUpStatus)

	// The console: an administrator whose login is fresh.
	console := routeGroup{mux, s.requireAdmin}
	console.handle("GET /admin", s.adminHome)
	console.handle("GET /admin/{$}", s.adminHome)
	console.handle("GET /admin/overview", s.adminOverviewShow)
	console.handle("GET /admin/users", s.adminUsersList)
	console.handle("GET /admin/users/new", s.adminUserNewShow)
	console.handle("POST /admin/users/new", s.adminUserCreate)
	console.handle("GET /admin/users/{id}", s.adminUserShow)
	console.handle("POST /admin/users/{id}/{action}", s.adminUserAction)
	console.handle("GET /admin/audit", s.adminAuditList)
	console.handle("GET /admin/settings", s.adminSettingsShow)
	console.handle("POST /admin/settings", s.adminSettingsSave)
	console.handle("GET /admin/applications", s.adminApps)
	console.handle("GET /admin/applications/new", s.adminAppNewShow)
	console.handle("POST /admin/applications/new", s.adminAppCreate)
	console.handle("POST /admin/applications/{client}/rotate-secret", s.adminAppAction(rotateSecret))
	console.handle("POST /admin/applications/{client}/disable", s.adminAppAction(disableApp))
	// Unknown addresses under /admin, to administrators only: others
	// learn nothing about what exists there.
	console.handle("/admin/", s.notFound)

	mux.HandleFunc("GET /setup", s.setupShow)
	mux.HandleFunc("POST /setup", s.setupCreate)

	if s.receipts.TwilioAuthToken != "" && s.receipts.Dispatch != nil {
		mux.HandleFunc("POST "+TwilioStatusPath, s.twilioStatus)
	}
	if s.outbox != nil {
		mux.HandleFunc("GET /dev/outbox", s.devOutbox)
	}

	mux.HandleFunc("/", s.notFound)

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	if s.oidc != nil {
		mux.Handle(oidc.PathPrefix, s.oidc.Handler())
		mux.Handle("GET "+oidc.DiscoveryPath, s.oidc.Handler())
		mux.HandleFunc("GET "+oidc.LoginPath, s.oidcLogin)
		mux.HandleFunc(oidc.EndSessionPath, s.oidcEndSession)
		// Applications call these server to server, or from their own
		// origin's scripts, authenticated by client secret, PKCE or
		// bearer token, never by the portal's cookies: no cross-site
		// request can borrow anything there.
		// end_session ends a session only for the account its
		// id_token_hint names (the application's own form may post it).
		for _, p := range []string{oidc.TokenPath, oidc.RevokePath, oidc.IntrospectPath, oidc.UserinfoPath, oidc.EndSessionPath} {
			csrf.AddInsecureBypassPattern("POST " + p)
		}
	}
	return s.observe(s.recoverPanics(securityHeaders(s.baseURL.Scheme == "https", limitBodies(csrf.Handler(s.readableInput(mux))))))
}

// routeGroup registers routes behind one check (requireStage,
// requireAdmin): a handler in the group is reached only through it.
type routeGroup struct {
	mux   *http.ServeMux
	check func(http.Handler) http.Handler
}

// within is the group's routes behind a further check.
func (g routeGroup) within(check func(http.Handler) http.Handler) routeGroup {
	return routeGroup{g.mux, func(h http.Handler) http.Handler { return g.check(check(h)) }}
}

func (g routeGroup) handle(pattern string, h http.HandlerFunc) {
	g.mux.Handle(pattern, g.check(h))
}

type ctxKey int

const requestIDKey ctxKey = 0

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// observe gives each request an id, logs it once it is done and times it
// for the metrics. Only method, path, status and timing are logged: never
// form values, query strings or cookies.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		req := r.WithContext(ctx) // the mux sets its Pattern
		next.ServeHTTP(rec, req)
		s.metrics.Request(route(req), method(r.Method), rec.status, time.Since(start))
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		if s.log.Enabled(ctx, level) { // the arguments cost more than the check
			s.log.Log(ctx, level, "request", "id", id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration", time.Since(start).Round(time.Microsecond))
		}
	})
}

// route is the metrics' name of the route that served r: the mux pattern
// without its method ("/admin/users/{id}"), so that no path a client makes
// up, nor anything in a query string, becomes a label. Paths that no page
// serves, and requests refused before the mux saw them, are "other".
func route(r *http.Request) string {
	p := r.Pattern
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	switch p {
	case "", "/", "/admin/": // the not-found handlers
		return "other"
	}
	return p
}

// method is the request method for the metrics, where a client could send
// any word.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection, e.g. to flush
// an answer before the handler goes on with work the client must not wait
// for.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.internalError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp allows only the portal's own stylesheet and script; no inline code,
// no frames, forms post only to the portal.
const csp = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(https bool, next http.Handler) http.Handler {
	headers := securityHeaderValues(https)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range headers {
			h[k] = v // shared, never changed: a later Set replaces the slice
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaderValues are the headers every answer carries, built once
// (with canonical names) rather than at every request.
func securityHeaderValues(https bool) http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), otp-credentials=(self)")
	// Nothing dynamic is kept, redirects included: a remembered
	// "/login → /" from while logged in would meet a fresh "/ → /login"
	// after logout and loop (Back after logging out). Only the static
	// files say otherwise (staticFiles).
	h.Set("Cache-Control", "no-store")
	if https {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return h
}

func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next.ServeHTTP(w, r)
	})
}

// staticFiles lets browsers cache the stylesheet and script briefly.
func staticFiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.records.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unreachable")
		return
	}
	fmt.Fprintln(w, "ready")
}

// isBodyTooLarge reports whether parsing failed because of the size limit.
func isBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
