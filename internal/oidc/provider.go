// Package oidc makes the portal an OpenID Connect provider for the
// organisation's applications: authorization code flow (PKCE S256 required
// for public clients), discovery, JWKS, token, userinfo, revocation,
// introspection, RP-initiated logout (logout.go) and back-channel logout
// (backchannel.go), built on github.com/zitadel/oidc/v3/pkg/op with its
// storage on the portal's store. The login an application asks for is the
// portal's own (password, then the code): Resume decides, for a request
// and the browser's portal session, whether the person returns to the
// application at once, logs in (again) first, or is refused. No HTTP
// handlers of the portal's pages here; package web mounts Handler.
package oidc

import (
	"context"
	"crypto"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// Paths of the provider's endpoints, under the portal's base URL (the
// issuer). Discovery is at /.well-known/openid-configuration.
const (
	PathPrefix     = "/oauth/"
	AuthorizePath  = "/oauth/authorize"
	LoginPath      = "/oauth/login" // the portal's page that resumes a request (package web)
	TokenPath      = "/oauth/token" // #nosec G101 -- a URL path, no secret
	UserinfoPath   = "/oauth/userinfo"
	RevokePath     = "/oauth/revoke"
	IntrospectPath = "/oauth/introspect"
	EndSessionPath = "/oauth/end_session"
	KeysPath       = "/oauth/keys"
	DiscoveryPath  = "/.well-known/openid-configuration"
)

// Config is what New needs.
type Config struct {
	Store Store
	// Issuer is the portal's public base URL (PORTAL_BASE_URL).
	Issuer string
	// Secret is the portal's secret key: signing keys are sealed, access
	// tokens encrypted and subjects derived under keys derived from it.
	Secret []byte
	Clock  clock.Clock // nil: the wall clock
	Log    *slog.Logger
	// RSABits is the size of new signing keys; 0: 2048.
	RSABits int
}

// Store is what the provider needs of the store: the applications and
// accounts it signs people in to and for, its requests, tokens, logouts
// and signing keys, and the codes that say how a login was made. Each
// method is the one of store.Store of the same name, where it is
// documented.
type Store interface {
	// Accounts.
	UserByID(ctx context.Context, id int64) (*store.User, error)

	// One-time codes.
	LatestChallenge(ctx context.Context, userID int64, attemptID string, purpose store.Purpose) (*store.Challenge, error)

	// OpenID Connect applications.
	ApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error)

	// OpenID Connect requests, tokens and keys.
	AddSigningKey(ctx context.Context, k *store.SigningKey) error
	AuthRequest(ctx context.Context, id string, at time.Time) (*store.AuthRequest, error)
	AuthRequestByCode(ctx context.Context, codeHash []byte, at time.Time) (*store.AuthRequest, error)
	ClaimOIDCLogouts(ctx context.Context, at, until time.Time, n int) ([]store.OIDCLogout, error)
	CompleteAuthRequest(ctx context.Context, id string, userID int64, authTime time.Time, amr []string, at time.Time) error
	CreateAuthRequest(ctx context.Context, r *store.AuthRequest) error
	DeleteExpiredOIDC(ctx context.Context, before time.Time) (int, error)
	FinishOIDCLogout(ctx context.Context, id int64, retryAt time.Time) error
	IssueTokens(ctx context.Context, ti store.TokenIssue) error
	OIDCToken(ctx context.Context, hash []byte) (*store.OIDCToken, error)
	RevokeOIDCToken(ctx context.Context, hash []byte, at time.Time) error
	SetAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error
	SigningKeys(ctx context.Context, at time.Time) ([]store.SigningKey, error)

	// The database answering (the library's health check).
	Ping(ctx context.Context) error
}

// Provider is the OpenID Connect provider.
type Provider struct {
	op      *op.Provider
	storage *storage
	now     func() time.Time
	issuer  string
	log     *slog.Logger
	client  *http.Client  // posts back-channel logouts
	kick    chan struct{} // wakes RunLogouts
}

// New builds the provider.
func New(cfg Config) (*Provider, error) {
	now := cfg.Clock.Now
	if cfg.RSABits == 0 {
		cfg.RSABits = 2048
	}
	sealer, err := dispatch.NewPurposeSealer(cfg.Secret, "provider-portal oidc signing keys v1")
	if err != nil {
		return nil, err
	}
	subKey, err := hkdf.Key(sha256.New, cfg.Secret, nil, "provider-portal oidc subject v1", 32)
	if err != nil {
		return nil, fmt.Errorf("oidc: derive key: %w", err)
	}
	cryptoKey, err := hkdf.Key(sha256.New, cfg.Secret, nil, "provider-portal oidc access tokens v1", 32)
	if err != nil {
		return nil, fmt.Errorf("oidc: derive key: %w", err)
	}
	st := &storage{
		store:     cfg.Store,
		keys:      &keyring{store: cfg.Store, sealer: sealer, now: now, bits: cfg.RSABits, opened: map[string]crypto.Signer{}},
		subjects:  subjects{key: subKey},
		now:       now,
		loginPath: LoginPath,
	}
	p, err := op.NewProvider(opConfig(cryptoKey), st, op.StaticIssuer(strings.TrimSuffix(cfg.Issuer, "/")), opOptions(cfg)...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Provider{op: p, storage: st, now: now, issuer: strings.TrimSuffix(cfg.Issuer, "/"), log: lg,
		client: &http.Client{Timeout: logoutTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		kick:   make(chan struct{}, 1)}, nil
}

// opConfig is what the provider offers (the discovery document says so),
// its access tokens encrypted with cryptoKey.
func opConfig(cryptoKey []byte) *op.Config {
	c := &op.Config{
		CodeMethodS256:             true,
		AuthMethodPost:             true,
		GrantTypeRefreshToken:      true,
		DefaultLogoutRedirectURI:   LoggedOutPath,
		BackChannelLogoutSupported: true,
		SupportedUILocales:         []language.Tag{language.English},
		SupportedScopes:            []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone, oidc.ScopeOfflineAccess},
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp",
			"at_hash", "c_hash", "name", "email", "email_verified", "phone_number", "roles"},
	}
	copy(c.CryptoKey[:], cryptoKey)
	return c
}

// opOptions are the provider's endpoints, its CORS rules and its log.
func opOptions(cfg Config) []op.Option {
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint(AuthorizePath)),
		op.WithCustomTokenEndpoint(op.NewEndpoint(TokenPath)),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(UserinfoPath)),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(RevokePath)),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(IntrospectPath)),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint(EndSessionPath)),
		op.WithCustomKeysEndpoint(op.NewEndpoint(KeysPath)),
		// Applications' scripts may call the token, userinfo and
		// revocation endpoints from their own origin, without cookies:
		// nothing here is authorized by one.
		op.WithCORSOptions(&cors.Options{
			AllowOriginFunc: func(string) bool { return true },
			AllowedMethods:  []string{http.MethodGet, http.MethodPost},
			AllowedHeaders:  []string{"Authorization", "Content-Type"},
		}),
	}
	if cfg.Log != nil {
		opts = append(opts, op.WithLogger(cfg.Log))
	}
	if strings.HasPrefix(cfg.Issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure()) // local development only: config requires https elsewhere
	}
	return opts
}

// Handler serves the provider's endpoints (PathPrefix and DiscoveryPath).
func (p *Provider) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == EndSessionPath {
			p.endSession(w, r)
			return
		}
		p.op.ServeHTTP(w, r.WithContext(withClientAlg(r.Context())))
	})
}

// ErrUnknownRequest: the request is unknown or expired (the person took
// too long), or its application was disabled meanwhile.
var ErrUnknownRequest = errors.New("oidc: unknown or expired sign-in request")

// Next is what happens to a request the person arrives at the portal with.
type Next struct {
	// Login: the person must log in first, and come back (with the
	// request's id) once they have. EndSession: the session they have must
	// end first, since the application asked for a fresh login.
	Login      bool
	EndSession bool
	// Redirect is where to send the browser: back to the provider to issue
	// the code, or to the application with an error.
	Redirect string
}

// Resume decides what happens to request id for the browser's portal
// session sess (nil: none). A complete login that satisfies the request
// (prompt=login: logged in after it was made; max_age: recently enough)
// and an account that may use the application return the person to the
// application at once; otherwise they log in first; an account the
// application is closed to goes back to it with access_denied.
func (p *Provider) Resume(ctx context.Context, id string, sess *login.Session) (Next, error) {
	st := p.storage
	now := p.now()
	r, a, err := p.pending(ctx, id, now)
	if err != nil {
		return Next{}, err
	}
	rec := r.rec
	callback := AuthorizePath + "/callback?id=" + url.QueryEscape(rec.ID)
	if rec.UserID != 0 {
		return Next{Redirect: callback}, nil
	}
	if !loginSatisfies(r, sess, now) {
		if slices.Contains(r.p.Prompt, oidc.PromptNone) {
			return Next{Redirect: errorRedirect(r, "login_required", "The person is not logged in to the portal.")}, nil
		}
		full := sess != nil && sess.Stage == store.StageFull
		return Next{Login: true, EndSession: full}, nil
	}
	if !apps.MayUse(a, sess.User) {
		return Next{Redirect: errorRedirect(r, "access_denied", "This application is for administrators only.")}, nil
	}
	amr, err := amrOf(ctx, st.store, sess)
	if err != nil {
		return Next{}, err
	}
	if err := st.store.CompleteAuthRequest(ctx, rec.ID, sess.UserID, sess.AuthenticatedAt, amr, now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Next{Redirect: callback}, nil // completed meanwhile, or expired: the callback says which
		}
		return Next{}, err
	}
	return Next{Redirect: callback}, nil
}

// pending is the sign-in request id, unexpired at now, and its application
// (enabled); ErrUnknownRequest when either is not.
func (p *Provider) pending(ctx context.Context, id string, now time.Time) (*authRequest, *store.Application, error) {
	st := p.storage
	rec, err := st.store.AuthRequest(ctx, id, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrUnknownRequest
	}
	if err != nil {
		return nil, nil, err
	}
	a, err := st.app(ctx, rec.ClientID)
	if errors.Is(err, errNotFound) {
		return nil, nil, ErrUnknownRequest
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := newAuthRequest(rec, st.subjects.of)
	if err != nil {
		return nil, nil, err
	}
	return r, a, nil
}

// loginSatisfies says whether sess (nil: none) is a complete login that
// request r accepts at now.
func loginSatisfies(r *authRequest, sess *login.Session, now time.Time) bool {
	fresh := sess != nil && sess.Stage == store.StageFull
	// prompt=login (which the library turns into max_age=0) and max_age
	// ask for a login this recent, or one made since the request.
	if fresh && (slices.Contains(r.p.Prompt, oidc.PromptLogin) || r.p.MaxAge != nil) && sess.AuthenticatedAt.Before(r.rec.CreatedAt) {
		maxAge := time.Duration(0)
		if r.p.MaxAge != nil && !slices.Contains(r.p.Prompt, oidc.PromptLogin) {
			// An application's max_age of any size: past a year every
			// session is younger (and time.Duration would overflow).
			const longest = 365 * 24 * 60 * 60
			secs := *r.p.MaxAge
			if secs > longest {
				secs = longest
			}
			maxAge = time.Duration(int64(secs)) * time.Second // #nosec G115 -- secs is at most a year of seconds, checked above
		}
		fresh = now.Sub(sess.AuthenticatedAt) <= maxAge
	}
	return fresh
}

// errorRedirect is the application's redirect URI (registered, matched
// exactly when the request was made) with an error response.
func errorRedirect(r *authRequest, code, description string) string {
	q := url.Values{"error": {code}, "error_description": {description}}
	if r.p.State != "" {
		q.Set("state", r.p.State)
	}
	sep := "?"
	if strings.Contains(r.p.RedirectURI, "?") {
		sep = "&"
	}
	return r.p.RedirectURI + sep + q.Encode()
}

// Subject is the sub applications know the account by.
func (p *Provider) Subject(userID int64) string { return p.storage.subjects.of(userID) }

// Sweep deletes sign-in requests, tokens and signing keys that have
// expired; run it now and then. Correctness does not depend on it: expired
// ones are refused anyway.
func (p *Provider) Sweep(ctx context.Context) (int, error) {
	return p.storage.store.DeleteExpiredOIDC(ctx, p.now())
}
