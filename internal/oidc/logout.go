package oidc

import (
	"context"
	"net/http"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// LoggedOutPath is the portal's page a logout ends on when the
// application names no registered post-logout redirect URI.
const LoggedOutPath = "/login?m=logged-out"

// BrowserSession is what the end_session endpoint knows of the browser's
// portal session: the sub of its account ("" without a complete login)
// and how to end it (delete it, clear the cookie). Package web puts it in
// the request's context (WithBrowserSession).
type BrowserSession struct {
	Subject string
	End     func(context.Context) error
}

type browserSessionKey struct{}

// WithBrowserSession gives the end_session endpoint the browser's session.
func WithBrowserSession(ctx context.Context, b BrowserSession) context.Context {
	return context.WithValue(ctx, browserSessionKey{}, b)
}

// PostLogoutAllowed reports whether uri is one of the application's
// registered post-logout redirect URIs, matched exactly: anything else
// would be an open redirect.
func PostLogoutAllowed(registered []string, uri string) bool {
	return slices.Contains(registered, uri)
}

// endSession serves RP-initiated logout around the library's handler: a
// post_logout_redirect_uri that is not registered for the application is
// dropped (the person lands on the portal's logged-out page, not at an
// error, and not where the link said).
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if uri := r.Form.Get("post_logout_redirect_uri"); uri != "" {
		clientID := r.Form.Get("client_id")
		if clientID == "" && r.Form.Get("id_token_hint") != "" {
			// Only to pick the list: the library verifies the hint next.
			var c oidc.IDTokenClaims
			if _, err := oidc.ParseToken(r.Form.Get("id_token_hint"), &c); err == nil {
				clientID = c.GetAuthorizedParty()
			}
		}
		a, err := p.storage.app(r.Context(), clientID)
		if err != nil || !PostLogoutAllowed(a.PostLogoutRedirectURIs, uri) {
			r.Form.Del("post_logout_redirect_uri")
			r.Form.Del("state")
		}
	}
	p.op.ServeHTTP(w, r) // the library reads the form parsed here

}

// TerminateSessionFromRequest ends the browser's portal session when the
// id_token_hint names its account (a link from elsewhere, or someone
// else's ID token, logs nobody out), then sends the browser on.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	b, _ := ctx.Value(browserSessionKey{}).(BrowserSession)
	if req.UserID != "" && b.Subject == req.UserID && b.End != nil {
		if err := b.End(ctx); err != nil {
			return "", err
		}
	}
	return req.RedirectURI, nil
}
