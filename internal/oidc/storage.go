package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

// storage is the provider library's storage (op.Storage) on the portal's
// store: nothing lives in the memory of one instance but opened signing
// keys, so any instance serves any step. Codes, tokens and secrets are
// kept as SHA-256 hashes.
type storage struct {
	store     Store
	keys      *keyring
	subjects  subjects
	now       func() time.Time
	loginPath string
}

var errNotFound = errors.New("oidc: not found")

// hashOf is what the store keeps of a code, token or token id.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newID is a random identifier or token: 256 bits.
func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *storage) app(ctx context.Context, clientID string) (*store.Application, error) {
	a, err := s.store.ApplicationByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled()) {
		return nil, errNotFound
	}
	return a, err
}

// GetClientByClientID returns an enabled application.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	a, err := s.app(ctx, clientID)
	if err != nil {
		return nil, err
	}
	setClientAlg(ctx, a)
	return &client{app: a, loginPath: s.loginPath}, nil
}

// AuthorizeClientIDSecret checks a confidential application's secret.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	a, err := s.app(ctx, clientID)
	if errors.Is(err, errNotFound) {
		return oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return err
	}
	if !apps.SecretMatches(a, secret) {
		return oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return nil
}

// CreateAuthRequest keeps the request while the person logs in. PKCE
// must use S256, and a public client must use it.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	a, err := s.app(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient()
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if a.Public && req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for this client")
	}
	p := params{
		Scopes: req.Scopes, ResponseType: string(req.ResponseType), RedirectURI: req.RedirectURI,
		State: req.State, Nonce: req.Nonce, ResponseMode: string(req.ResponseMode), Prompt: req.Prompt,
		MaxAge: req.MaxAge, CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rec := &store.AuthRequest{ID: newID(), ClientID: a.ClientID, Params: string(raw), CreatedAt: now, ExpiresAt: now.Add(AuthRequestLifetime)}
	if err := s.store.CreateAuthRequest(ctx, rec); err != nil {
		return nil, err
	}
	return &authRequest{rec: rec, p: p}, nil
}

func (s *storage) wrap(rec *store.AuthRequest, err error) (op.AuthRequest, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown or expired request or code")
	}
	if err != nil {
		return nil, err
	}
	return newAuthRequest(rec, s.subjects.of)
}

// AuthRequestByID reads a request that has not expired.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.wrap(s.store.AuthRequest(ctx, id, s.now()))
}

// AuthRequestByCode reads the request of an unexpired code, redeemed or
// not: redeeming it again (CreateAccessToken) revokes what it gave.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.wrap(s.store.AuthRequestByCode(ctx, hashOf(code), s.now()))
	if err != nil {
		return nil, err
	}
	r.(*authRequest).rec.CodeHash = hashOf(code)
	return r, nil
}

// SaveAuthCode keeps the hash of the request's code, valid CodeLifetime.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.store.SetAuthCode(ctx, id, hashOf(code), s.now().Add(CodeLifetime))
}

// DeleteAuthRequest keeps the request: its code is marked redeemed with
// its tokens, in one transaction (IssueTokens), so that a second
// redemption is recognised and revokes them; expired requests are
// deleted by DeleteExpiredOIDC.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// issue writes the tokens of request: an access token and, if refresh,
// a refresh token, redeeming the code or rotating the refresh token the
// request came with.
func (s *storage) issue(ctx context.Context, request op.TokenRequest, refresh bool) (accessID, refreshToken string, exp time.Time, err error) {
	now := s.now()
	ti := store.TokenIssue{At: now}
	var base store.OIDCToken
	switch r := request.(type) {
	case *authRequest:
		ti.AuthRequestID, ti.CodeHash = r.rec.ID, r.rec.CodeHash
		base = store.OIDCToken{Family: r.rec.ID, ClientID: r.rec.ClientID, UserID: r.rec.UserID,
			Scopes: r.p.Scopes, Audience: r.GetAudience(), AuthTime: r.rec.AuthTime, AMR: r.rec.AMR}
	case *refreshRequest:
		ti.Rotate = r.hash
		base = *r.tok
		base.Scopes = r.scopes
		base.UsedAt, base.RevokedAt = time.Time{}, time.Time{}
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	accessID = newID()
	access := base
	access.Hash, access.Kind, access.CreatedAt, access.ExpiresAt = hashOf(accessID), store.TokenAccess, now, now.Add(AccessTokenLifetime)
	ti.Tokens = []*store.OIDCToken{&access}
	if refresh {
		refreshToken = newID()
		rt := base
		end := now.Add(RefreshTokenLifetime)
		if last := base.AuthTime.Add(RefreshFamilyLifetime); last.Before(end) {
			end = last
		}
		rt.Hash, rt.Kind, rt.CreatedAt, rt.ExpiresAt = hashOf(refreshToken), store.TokenRefresh, now, end
		ti.Tokens = append(ti.Tokens, &rt)
	}
	switch err := s.store.IssueTokens(ctx, ti); {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTokenReused):
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the code or refresh token was already used, or has expired")
	case err != nil:
		return "", "", time.Time{}, err
	}
	return accessID, refreshToken, access.ExpiresAt, nil
}

// CreateAccessToken issues an access token without a refresh token.
func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	id, _, exp, err := s.issue(ctx, request, false)
	return id, exp, err
}

// CreateAccessAndRefreshTokens issues both (only with offline_access),
// rotating the refresh token presented, if any.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, _ string) (string, string, time.Time, error) {
	return s.issue(ctx, request, true)
}

// activeToken returns the token with this hash if it is of kind and can
// be used now, by an account that may still use its application.
func (s *storage) activeToken(ctx context.Context, hash []byte, kind store.TokenKind) (*store.OIDCToken, *store.User, error) {
	t, err := s.store.OIDCToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if t.Kind != kind {
		return nil, nil, errNotFound
	}
	if kind == store.TokenRefresh && !t.UsedAt.IsZero() && t.RevokedAt.IsZero() {
		// A rotated refresh token presented again: stolen, or replayed.
		// The whole family goes.
		if err := s.store.RevokeOIDCToken(ctx, hash, s.now()); err != nil {
			return nil, nil, err
		}
		return nil, nil, errNotFound
	}
	if !t.Active(s.now()) {
		return nil, nil, errNotFound
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	a, err := s.app(ctx, t.ClientID)
	if err != nil {
		return nil, nil, err
	}
	if !apps.MayUse(a, u) {
		return nil, nil, errNotFound
	}
	return t, u, nil
}

// TokenRequestByRefreshToken reads an active refresh token. A rotated
// one revokes its family.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, _, err := s.activeToken(ctx, hashOf(token), store.TokenRefresh)
	if errors.Is(err, errNotFound) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	return &refreshRequest{tok: t, hash: hashOf(token), subject: s.subjects.of(t.UserID), scopes: t.Scopes}, nil
}

// TerminateSession is not called: the end_session endpoint calls
// TerminateSessionFromRequest (logout.go), which knows the browser.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// GetRefreshTokenInfo names the refresh token for revocation; the token
// itself serves as its id.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.store.OIDCToken(ctx, hashOf(token))
	if err != nil || t.Kind != store.TokenRefresh || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return s.subjects.of(t.UserID), token, nil
}

// RevokeToken revokes an access token (by id) or a refresh token (and its
// family) of the client. An unknown token is no error (RFC 7009).
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	t, err := s.store.OIDCToken(ctx, hashOf(tokenOrID))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := s.store.RevokeOIDCToken(ctx, t.Hash, s.now()); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// SigningKey is the key of the algorithm of the application the request
// is for (clientAlg): RS256 unless it was registered with ES256.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.keys.current(ctx, algOf(ctx))
}
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return slices.Clone(algorithms), nil
}
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.keys.published(ctx) }

// SetUserinfoFromScopes does nothing: the claims come from the request
// (SetUserinfoFromRequest), which knows the account.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	var userID int64
	switch r := request.(type) {
	case *authRequest:
		userID = r.rec.UserID
	case *refreshRequest:
		userID = r.tok.UserID
	default:
		return fmt.Errorf("oidc: unexpected request %T", request)
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	setUserinfo(info, s.subjects.of(u.ID), u, scopes)
	return nil
}

// SetUserinfoFromToken answers userinfo for an active access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, u, err := s.activeToken(ctx, hashOf(tokenID), store.TokenAccess)
	if errors.Is(err, errNotFound) {
		return oidc.ErrAccessDenied().WithDescription("the access token is invalid, expired or revoked")
	}
	if err != nil {
		return err
	}
	setUserinfo(info, s.subjects.of(u.ID), u, t.Scopes)
	return nil
}

// errInactive makes the library answer introspection with active false
// (it sets active true on any nil error).
var errInactive = errors.New("oidc: token inactive")

// SetIntrospectionFromToken answers introspection (RFC 7662) for an active
// access token issued to the asking client or naming it in its audience;
// anything else is inactive.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	t, u, err := s.activeToken(ctx, hashOf(tokenID), store.TokenAccess)
	if errors.Is(err, errNotFound) {
		return errInactive
	}
	if err != nil {
		return err
	}
	if t.ClientID != clientID && !slices.Contains(t.Audience, clientID) {
		return errInactive
	}
	var info oidc.UserInfo
	setUserinfo(&info, s.subjects.of(u.ID), u, t.Scopes)
	resp.SetUserInfo(&info)
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	resp.AuthTime = oidc.FromTime(t.AuthTime)
	resp.Audience = t.Audience
	return nil
}

// GetPrivateClaimsFromScopes adds nothing to access tokens (they are
// opaque).
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: JWT client authentication is not offered.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

// ValidateJWTProfileScopes: the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// Health reports whether the database answers.
func (s *storage) Health(ctx context.Context) error { return s.store.Ping(ctx) }
