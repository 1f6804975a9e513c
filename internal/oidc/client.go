package oidc

import (
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/store"
)

// client is a registered application as the provider library sees it
// (op.Client).
type client struct {
	app       *store.Application
	loginPath string
}

// Lifetimes of what the provider issues.
const (
	IDTokenLifetime     = 30 * time.Minute
	AccessTokenLifetime = 30 * time.Minute
	// RefreshTokenLifetime: each refresh token is good for this long; a
	// family never outlives RefreshFamilyLifetime after the login.
	RefreshTokenLifetime  = 12 * time.Hour
	RefreshFamilyLifetime = 7 * 24 * time.Hour
	// AuthRequestLifetime is how long the person has to log in (the
	// password, and the code by text message) for an application.
	AuthRequestLifetime = 30 * time.Minute
	// CodeLifetime: an authorization code must be redeemed this soon.
	CodeLifetime = 60 * time.Second
)

func (c *client) GetID() string                    { return c.app.ClientID }
func (c *client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.app.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	if c.app.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.app.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *client) LoginURL(id string) string { return c.loginPath + "?id=" + url.QueryEscape(id) }

func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return IDTokenLifetime }

// DevMode lets the library accept plain-http redirect URIs, which the
// registry allows only to this machine (apps.CheckURI); redirect URIs are
// still matched exactly.
func (c *client) DevMode() bool {
	for _, u := range c.app.RedirectURIs {
		if strings.HasPrefix(u, "http://") {
			return true
		}
	}
	return false
}

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed: only the standard scopes (openid, profile, email, phone,
// offline_access) mean anything here.
func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the claims the scopes allow (email,
// name, roles) in the ID token too, so an application need not call
// userinfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
