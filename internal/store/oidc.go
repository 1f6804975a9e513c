package store

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Application is an application of the organisation that signs people in
// through the portal, by OpenID Connect or behind a reverse proxy
// (forward-auth). Registered by the operator.
type Application struct {
	ID       int64
	ClientID string // random, opaque; unique
	Name     string
	// SecretHash is the SHA-256 of the client secret (256 random bits);
	// nil for a public client, which has none.
	SecretHash             []byte
	Public                 bool     // no secret: PKCE is its only proof
	RedirectURIs           []string // matched exactly
	PostLogoutRedirectURIs []string // matched exactly
	BackchannelLogoutURI   string   // empty: none
	AdminsOnly             bool     // only administrators may sign in to it
	ForwardAuthHosts       []string // host names its reverse proxy asks /auth/verify for
	DisabledAt             time.Time
	CreatedAt              time.Time

	// IDTokenAlg is the algorithm its ID tokens are signed with: "" for
	// RS256 (every application can check it) or "ES256".
	IDTokenAlg string
}

// Disabled reports whether the application was disabled.
func (a *Application) Disabled() bool { return !a.DisabledAt.IsZero() }

// ErrTokenReused is returned when a refresh token or an authorization code
// that was already redeemed is presented again: the grant it belongs to is
// revoked with it.
var ErrTokenReused = errors.New("store: token already used")

// AuthRequest is an application's request to sign a person in (OpenID
// Connect authorization request), from the moment the application sends
// the person to the portal until its code is redeemed.
type AuthRequest struct {
	ID       string // random; the login pages carry it
	ClientID string
	// Params are the request's parameters as the provider encoded them
	// (redirect URI, scopes, state, nonce, PKCE challenge, prompt,
	// max_age); the store keeps them as they are.
	Params    string
	CreatedAt time.Time
	ExpiresAt time.Time // the person must have logged in by then

	// Set once the person has logged in for it.
	UserID   int64
	AuthTime time.Time
	AMR      []string // how they proved who they are (RFC 8176)

	// Set once the code was issued; only its hash is kept.
	CodeHash      []byte
	CodeExpiresAt time.Time
	CodeUsedAt    time.Time
}

// TokenKind says what an issued token is.
type TokenKind string

const (
	TokenAccess  TokenKind = "access"
	TokenRefresh TokenKind = "refresh"
)

// OIDCToken is an access or refresh token issued to an application. Only
// the SHA-256 of the token (or of its id) is kept.
type OIDCToken struct {
	Hash []byte
	Kind TokenKind
	// Family is the grant the token belongs to: every token issued from one
	// authorization code, through every refresh, shares it, so that reuse
	// of a rotated refresh token revokes them all.
	Family    string
	ClientID  string
	UserID    int64
	Scopes    []string
	Audience  []string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // a refresh token: when it was exchanged (rotated)
	RevokedAt time.Time
}

// Active reports whether the token can be used at now.
func (t *OIDCToken) Active(now time.Time) bool {
	return t.UsedAt.IsZero() && t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// TokenIssue is what IssueTokens writes.
type TokenIssue struct {
	At time.Time
	// AuthRequestID and CodeHash, when set, redeem that request's code:
	// it must be unused and unexpired at At.
	AuthRequestID string
	CodeHash      []byte
	// Rotate, when set, is the hash of the refresh token exchanged: it
	// must be active at At and is marked used.
	Rotate []byte
	Tokens []*OIDCToken
}

// SigningKey is a key the provider signs ID tokens with. Its private part
// is sealed under the portal's secret key.
type SigningKey struct {
	ID        string // the JWK "kid"
	Algorithm string // "RS256", "ES256"
	Sealed    []byte
	CreatedAt time.Time // published (in the JWKS) from here
	UseFrom   time.Time // signs from here: after clients could fetch it
	ExpiresAt time.Time // no longer published after this
}

// Applications keeps the registered applications.
type Applications interface {
	// CreateApplication inserts a and sets a.ID.
	CreateApplication(ctx context.Context, a *Application) error
	// ApplicationByClientID returns the application, disabled or not;
	// ErrNotFound if none has that client_id.
	ApplicationByClientID(ctx context.Context, clientID string) (*Application, error)
	// ListApplications returns every application in order of creation.
	ListApplications(ctx context.Context) ([]Application, error)
	// SetApplicationSecret replaces the secret hash of a confidential
	// application; ErrNotFound if there is none with that client_id.
	SetApplicationSecret(ctx context.Context, clientID string, hash []byte) error
	// DisableApplication disables the application at at (a disabled one
	// stays disabled, with its first time); ErrNotFound if unknown.
	DisableApplication(ctx context.Context, clientID string, at time.Time) error
}

// OIDC keeps the OpenID Connect provider's state, so that any instance
// serves any step of a login.
type OIDC interface {
	// CreateAuthRequest inserts r.
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// AuthRequest returns the request if it exists and has not expired at
	// at (ExpiresAt, or once a code was issued CodeExpiresAt); a redeemed
	// one is returned too, with CodeUsedAt set. ErrNotFound otherwise.
	AuthRequest(ctx context.Context, id string, at time.Time) (*AuthRequest, error)
	// AuthRequestByCode is AuthRequest for the request whose code has this
	// hash.
	AuthRequestByCode(ctx context.Context, codeHash []byte, at time.Time) (*AuthRequest, error)
	// CompleteAuthRequest records who logged in for the request, if it is
	// unexpired at at and nobody has yet; ErrNotFound otherwise.
	CompleteAuthRequest(ctx context.Context, id string, userID int64, authTime time.Time, amr []string, at time.Time) error
	// SetAuthCode stores the hash of the request's code, if the request is
	// complete and has no code yet; ErrNotFound otherwise.
	SetAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error
	// IssueTokens, in one transaction, redeems the code or rotates the
	// refresh token the issue names and inserts its tokens. ErrNotFound,
	// and nothing written, when the code or refresh token is not (or no
	// longer) usable: of concurrent calls for one, at most one succeeds.
	// ErrTokenReused when it was already redeemed: then every token of
	// its family is revoked (at At), and that is written.
	IssueTokens(ctx context.Context, ti TokenIssue) error
	// OIDCToken returns the token with this hash, whatever its state;
	// ErrNotFound if none.
	OIDCToken(ctx context.Context, hash []byte) (*OIDCToken, error)
	// RevokeOIDCToken revokes the token with this hash, and a refresh
	// token's whole family with it, at at. ErrNotFound if none.
	RevokeOIDCToken(ctx context.Context, hash []byte, at time.Time) error
	// RevokeUserTokens revokes, at at, every active token of the user,
	// issued to clientID or (empty) to any application; it returns the
	// client_ids whose tokens were revoked.
	RevokeUserTokens(ctx context.Context, userID int64, clientID string, at time.Time) ([]string, error)
	// EndOIDCSessions, in one transaction, revokes every active token of
	// the user (as RevokeUserTokens) and queues a back-channel logout of
	// subject, due at at, for each enabled application among them with a
	// back-channel logout URI; it returns the client_ids queued.
	EndOIDCSessions(ctx context.Context, userID int64, subject string, at time.Time) ([]string, error)
	// ClaimOIDCLogouts returns up to n logouts due at at, oldest first,
	// each counted one more attempt and put off until until, so that no
	// other instance sends it meanwhile.
	ClaimOIDCLogouts(ctx context.Context, at, until time.Time, n int) ([]OIDCLogout, error)
	// FinishOIDCLogout deletes the logout (sent, or given up) when retryAt
	// is zero, and otherwise makes it due again at retryAt.
	FinishOIDCLogout(ctx context.Context, id int64, retryAt time.Time) error
	// SigningKeys returns the keys not expired at at, oldest first.
	SigningKeys(ctx context.Context, at time.Time) ([]SigningKey, error)
	// AddSigningKey inserts k.
	AddSigningKey(ctx context.Context, k *SigningKey) error
	// DeleteExpiredOIDC deletes auth requests and tokens expired before
	// before, and signing keys no longer published; it returns how many
	// rows went.
	DeleteExpiredOIDC(ctx context.Context, before time.Time) (int, error)
}

// EncodeList is how both engines keep a list of URIs, hosts, scopes or
// methods in one column: one item a line. Items never hold a newline
// (URIs and hosts are validated, scopes and methods are words).
func EncodeList(items []string) string { return strings.Join(items, "\n") }

// DecodeList is the list EncodeList encoded; nil for an empty column.
func DecodeList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// OIDCLogout is a back-channel logout to send: the application must be
// told that the person it knows as Subject logged out.
type OIDCLogout struct {
	ID            int64
	ClientID      string
	Subject       string
	Attempts      int // tries so far, this claim's included
	NextAttemptAt time.Time
	CreatedAt     time.Time
}
