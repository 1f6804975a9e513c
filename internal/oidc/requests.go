package oidc

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/providerportal/portal/internal/store"
)

// params are the parts of an authorization request kept with it in the
// store (store.AuthRequest.Params), as JSON.
type params struct {
	Scopes              []string `json:"scope"`
	ResponseType        string   `json:"response_type"`
	RedirectURI         string   `json:"redirect_uri"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *uint    `json:"max_age,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
}

// authRequest is an authorization request as the provider library sees it
// (op.AuthRequest), read from the store.
type authRequest struct {
	rec     *store.AuthRequest
	p       params
	subject string // the user's sub, once logged in
}

func newAuthRequest(rec *store.AuthRequest, subject func(int64) string) (*authRequest, error) {
	r := &authRequest{rec: rec}
	if err := json.Unmarshal([]byte(rec.Params), &r.p); err != nil {
		return nil, fmt.Errorf("oidc: auth request %s: %w", rec.ID, err)
	}
	if rec.UserID != 0 {
		r.subject = subject(rec.UserID)
	}
	return r, nil
}

func (r *authRequest) GetID() string                      { return r.rec.ID }
func (r *authRequest) GetACR() string                     { return acrFor(r.rec.AMR) }
func (r *authRequest) GetAMR() []string                   { return r.rec.AMR }
func (r *authRequest) GetAudience() []string              { return []string{r.rec.ClientID} }
func (r *authRequest) GetAuthTime() time.Time             { return r.rec.AuthTime }
func (r *authRequest) GetClientID() string                { return r.rec.ClientID }
func (r *authRequest) GetNonce() string                   { return r.p.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.p.RedirectURI }
func (r *authRequest) GetScopes() []string                { return r.p.Scopes }
func (r *authRequest) GetState() string                   { return r.p.State }
func (r *authRequest) GetSubject() string                 { return r.subject }
func (r *authRequest) Done() bool                         { return r.rec.UserID != 0 }
func (r *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(r.p.ResponseType) }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(r.p.ResponseMode) }

func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.p.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.p.CodeChallenge, Method: oidc.CodeChallengeMethod(r.p.CodeChallengeMethod)}
}

// refreshRequest is a refresh token presented for new tokens
// (op.RefreshTokenRequest).
type refreshRequest struct {
	tok     *store.OIDCToken
	hash    []byte // of the refresh token
	subject string
	scopes  []string
}

func (r *refreshRequest) GetAMR() []string            { return r.tok.AMR }
func (r *refreshRequest) GetAudience() []string       { return r.tok.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.tok.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.tok.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }
