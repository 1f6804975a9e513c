package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/oidc"
)

// The OpenID Connect side of `portal bench` (issue 16): an application
// registered with the portal, and people signing in to it: authorize, the
// portal's login (password, then the code by text message), the code back
// to the application, the token, then userinfo.

// oidcRedirect is where the bench's application receives its sign-ins.
// Nothing listens there: the driver reads the code from the redirect.
const oidcRedirect = "http://127.0.0.1:9/callback" // #nosec G101 -- a redirect URI, no secret

// oidcApp is the application the OpenID Connect logins sign in to.
type oidcApp struct {
	clientID, secret string
}

// registerOIDCApp registers the bench's application, a confidential client.
func (p *portal) registerOIDCApp(ctx context.Context) (*oidcApp, error) {
	if p.RegisterApp == nil {
		return nil, errors.New("bench: the portal registers no OpenID Connect applications")
	}
	id, secret, err := p.RegisterApp(ctx, apps.Registration{Name: "Bench", RedirectURIs: []string{oidcRedirect}})
	if err != nil {
		return nil, fmt.Errorf("bench: register the OpenID Connect application: %w", err)
	}
	return &oidcApp{clientID: id, secret: secret}, nil
}

// oidcLogin returns the login of user u into app as a browser and the
// application make it. Its latencies are those of the whole login alone.
func (d *loginDriver) oidcLogin(app *oidcApp) loginFunc {
	return func(ctx context.Context, u int) (lat [nSteps]time.Duration, cookies []*http.Cookie, err error) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Transport: d.p.transport, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		begin := time.Now()
		verifier := oauth2.GenerateVerifier()
		q := url.Values{
			"response_type":         {"code"},
			"client_id":             {app.clientID},
			"redirect_uri":          {oidcRedirect},
			"scope":                 {"openid profile email"},
			"state":                 {"bench-state"},
			"nonce":                 {"bench-nonce"},
			"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
			"code_challenge_method": {"S256"},
		}
		if _, path, err := d.p.follow(ctx, c, http.MethodGet, oidc.AuthorizePath+"?"+q.Encode(), nil); err != nil {
			return lat, nil, err
		} else if path != "/login" {
			return lat, nil, fmt.Errorf("authorize led to %s, not the login page", path)
		}
		texts, done := d.p.codes.expect(benchPhone(u))
		defer done()
		status, location, err := d.p.request(ctx, c, http.MethodPost, "/login", url.Values{"email": {benchEmail(u)}, "password": {benchPassword}})
		switch {
		case err != nil:
			return lat, nil, fmt.Errorf("POST /login: %w", err)
		case status == http.StatusTooManyRequests:
			return lat, nil, errBusyLogin
		case status != http.StatusSeeOther || location != "/login/code":
			return lat, nil, fmt.Errorf("POST /login answered %d %s; want 303 /login/code", status, location)
		}
		if status, _, err := d.p.request(ctx, c, http.MethodGet, "/login/code", nil); err != nil || status != http.StatusOK {
			return lat, nil, fmt.Errorf("GET /login/code answered %d (%v)", status, err)
		}
		text, err := awaitText(ctx, texts)
		if err != nil {
			return lat, nil, err
		}
		back, _, err := d.p.follow(ctx, c, http.MethodPost, "/login/code", url.Values{"code": {codeIn(text.body)}})
		if err != nil {
			return lat, nil, err
		}
		code, err := oidcCode(back)
		if err != nil {
			return lat, nil, err
		}
		access, err := d.p.oidcToken(ctx, c, app, code, verifier)
		if err != nil {
			return lat, nil, err
		}
		if err := d.p.oidcUserinfo(ctx, c, access); err != nil {
			return lat, nil, err
		}
		lat[stepWhole] = time.Since(begin)
		base, _ := url.Parse(d.p.base)
		return lat, jar.Cookies(base), nil
	}
}

// follow makes a request as a browser and follows the redirects within the
// portal: it returns the location of a redirect out of it (to the
// application), or else the path of the page it ended on, answered 200.
func (p *portal) follow(ctx context.Context, c *http.Client, method, path string, form url.Values) (out, last string, err error) {
	for range 10 {
		status, location, err := p.request(ctx, c, method, path, form)
		if err != nil {
			return "", "", fmt.Errorf("%s %s: %w", method, path, err)
		}
		if status == http.StatusOK {
			u, _ := url.Parse(path)
			return "", u.Path, nil
		}
		if status < 300 || status >= 400 || location == "" {
			return "", "", fmt.Errorf("%s %s answered %d", method, path, status)
		}
		next, err := url.Parse(location)
		if err != nil {
			return "", "", fmt.Errorf("%s %s: redirect to %q", method, path, location)
		}
		if next.IsAbs() {
			if !strings.HasPrefix(location, p.base+"/") {
				return location, "", nil
			}
			location = strings.TrimPrefix(location, p.base)
		}
		method, path, form = http.MethodGet, location, nil
	}
	return "", "", fmt.Errorf("too many redirects from %s", path)
}

// oidcCode is the code in the application's redirect, whose state must be
// the bench's.
func oidcCode(location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, oidcRedirect+"?") {
		return "", fmt.Errorf("the code led to %q, not the application", location)
	}
	if u.Query().Get("state") != "bench-state" || u.Query().Get("code") == "" {
		return "", fmt.Errorf("the application's redirect has no code or another state: %s", u.Query().Get("error"))
	}
	return u.Query().Get("code"), nil
}

// oidcToken redeems code at the token endpoint as the application does,
// and returns the access token; the ID token must be there too.
func (p *portal) oidcToken(ctx context.Context, c *http.Client, app *oidcApp, code, verifier string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oidcRedirect}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+oidc.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(app.clientID), url.QueryEscape(app.secret))
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := p.doJSON(c, req, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" || tok.IDToken == "" {
		return "", errors.New("the token endpoint gave no access token or no ID token")
	}
	return tok.AccessToken, nil
}

// oidcUserinfo fetches the person's claims with the access token.
func (p *portal) oidcUserinfo(ctx context.Context, c *http.Client, access string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+oidc.UserinfoPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := p.doJSON(c, req, &claims); err != nil {
		return err
	}
	if claims.Sub == "" {
		return errors.New("userinfo names no subject")
	}
	return nil
}

// doJSON sends req, wants 200, and decodes the answer into v.
func (p *portal) doJSON(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
