// Package apps holds the rules of the applications registry: what a
// registration must say (names, redirect URIs, hosts), how client ids and
// secrets are made and checked, and which accounts may use an
// application. The OpenID Connect provider, the console and the `portal
// app` commands all go through it. No HTTP or SQL here.
package apps

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/store"
)

// Registration is what an operator says about a new application.
type Registration struct {
	Name                   string
	RedirectURIs           []string
	Public                 bool
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string
	AdminsOnly             bool
	ForwardAuthHosts       []string
	// IDTokenAlg is what its ID tokens are signed with: "" or "RS256"
	// (the default, which every OpenID Connect library checks), or
	// "ES256".
	IDTokenAlg string
}

// Problem is a registration refused, in plain words, with the field it is
// about.
type Problem struct {
	Field   string // "name", "redirect-uri", …: the flag and form field
	Message string
}

func (p *Problem) Error() string { return p.Message }

const (
	maxName = 100
	maxURIs = 20
	maxURI  = 1000
)

// Validate checks the registration and tidies it (spaces around the name
// and URIs, host names in lower case, duplicates dropped). The first
// problem found is returned.
func (r *Registration) Validate() error {
	r.Name = strings.Join(strings.Fields(r.Name), " ")
	switch {
	case r.Name == "":
		return &Problem{"name", "Give the application a name: people see it on their home page."}
	case !utf8.ValidString(r.Name) || strings.ContainsFunc(r.Name, unicode.IsControl):
		return &Problem{"name", "The name contains characters that can't be used. Type it again."}
	case utf8.RuneCountInString(r.Name) > maxName:
		return &Problem{"name", fmt.Sprintf("Keep the name to at most %d characters.", maxName)}
	}
	var err error
	if r.RedirectURIs, err = cleanURIs(r.RedirectURIs, "redirect-uri", "redirect URI"); err != nil {
		return err
	}
	if r.PostLogoutRedirectURIs, err = cleanURIs(r.PostLogoutRedirectURIs, "post-logout-redirect-uri", "post-logout redirect URI"); err != nil {
		return err
	}
	if r.BackchannelLogoutURI = strings.TrimSpace(r.BackchannelLogoutURI); r.BackchannelLogoutURI != "" {
		if err := CheckURI(r.BackchannelLogoutURI, "backchannel-logout-uri", "back-channel logout URI"); err != nil {
			return err
		}
	}
	hosts := make([]string, 0, len(r.ForwardAuthHosts))
	for _, h := range r.ForwardAuthHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if !validHost(h) {
			return &Problem{"forward-auth-host", fmt.Sprintf("%q is not a host name: give it without scheme or path, e.g. app.example.org.", h)}
		}
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	r.ForwardAuthHosts = hosts
	switch r.IDTokenAlg = strings.ToUpper(strings.TrimSpace(r.IDTokenAlg)); r.IDTokenAlg {
	case "", "RS256":
		r.IDTokenAlg = ""
	case "ES256":
	default:
		return &Problem{"id-token-alg", "Sign ID tokens with RS256 (the default) or ES256."}
	}
	if len(r.RedirectURIs) == 0 && len(r.ForwardAuthHosts) == 0 {
		return &Problem{"redirect-uri", "Give at least one redirect URI (the address an OpenID Connect application receives its sign-ins at) or a forward-auth host (an application behind a reverse proxy)."}
	}
	return nil
}

func cleanURIs(uris []string, field, what string) ([]string, error) {
	out := make([]string, 0, len(uris))
	for _, u := range uris {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if err := CheckURI(u, field, what); err != nil {
			return nil, err
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) > maxURIs {
		return nil, &Problem{field, fmt.Sprintf("Give at most %d of each kind of URI.", maxURIs)}
	}
	return out, nil
}

// CheckURI checks a URI an application registers: absolute, https (plain
// http only to this machine, for development and native applications),
// without a fragment or user name. It is kept as given: redirect URIs
// are matched exactly.
func CheckURI(raw, field, what string) error {
	bad := func(why string) error {
		return &Problem{field, fmt.Sprintf("The %s %q %s.", what, raw, why)}
	}
	if len(raw) > maxURI {
		return &Problem{field, fmt.Sprintf("The %s is too long: at most %d characters.", what, maxURI)}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsFunc(raw, unicode.IsSpace):
		return bad("is not a valid URL")
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return bad("must be an absolute URL, such as https://app.example.org/callback")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment (#…)")
	case u.User != nil:
		return bad("must not contain a user name or password")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return bad("must use https (plain http only to this machine: localhost, 127.0.0.1, [::1])")
	}
	return bad("must use https")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validHost reports whether h is a host name (HostName), optionally with
// a port.
func validHost(h string) bool {
	name, port, err := net.SplitHostPort(h)
	if err != nil {
		name, port = h, ""
	}
	if port != "" && strings.Trim(port, "0123456789") != "" {
		return false
	}
	return HostName(name)
}

// HostName reports whether name is a DNS host name as the portal takes
// one (a forward-auth host, the cookie domain, a host to go back to after
// login): lower-case letters, digits and hyphens in labels of 1 to 63
// characters that neither start nor end with a hyphen, joined by single
// dots, 253 characters at most, without port.
func HostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		if strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}

// NewClientID makes a client_id: 128 random bits, opaque.
func NewClientID() string { return random(16) }

// NewSecret makes a client secret: 256 random bits. Only its hash is kept.
func NewSecret() string { return random(32) }

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what is stored of a secret. A secret of 256 random bits
// needs no slow hash: SHA-256 cannot be reversed or guessed.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SecretMatches reports, in constant time, whether secret is the
// application's; never for a public application, which has none.
func SecretMatches(a *store.Application, secret string) bool {
	if a.Public || len(a.SecretHash) == 0 || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(HashSecret(secret), a.SecretHash) == 1
}

// New makes the application a valid registration describes, with a new
// client_id and, for a confidential client, a new secret (returned once,
// never stored).
func New(r Registration, now time.Time) (*store.Application, string) {
	a := &store.Application{
		ClientID:               NewClientID(),
		Name:                   r.Name,
		Public:                 r.Public,
		RedirectURIs:           r.RedirectURIs,
		PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		BackchannelLogoutURI:   r.BackchannelLogoutURI,
		AdminsOnly:             r.AdminsOnly,
		ForwardAuthHosts:       r.ForwardAuthHosts,
		IDTokenAlg:             r.IDTokenAlg,
		CreatedAt:              now,
	}
	secret := ""
	if !r.Public {
		secret = NewSecret()
		a.SecretHash = HashSecret(secret)
	}
	return a, secret
}

// MayUse reports whether the account may sign in to the application:
// an active account, an enabled application, and for one restricted to
// administrators, an administrator.
func MayUse(a *store.Application, u *store.User) bool {
	return !a.Disabled() && !u.Deactivated && (!a.AdminsOnly || u.Admin)
}

// Link is an application as the home page lists it.
type Link struct {
	Name string
	URL  string // the origin of its first redirect URI, or its first forward-auth host: where it lives
}

// For returns the applications the account may open, in the order given.
func For(list []store.Application, u *store.User) []Link {
	var links []Link
	for i := range list {
		a := &list[i]
		if !MayUse(a, u) {
			continue
		}
		switch {
		case len(a.RedirectURIs) > 0:
			r, err := url.Parse(a.RedirectURIs[0])
			if err != nil {
				continue
			}
			links = append(links, Link{Name: a.Name, URL: r.Scheme + "://" + r.Host + "/"})
		case len(a.ForwardAuthHosts) > 0:
			// Behind a reverse proxy, which serves it over https.
			links = append(links, Link{Name: a.Name, URL: "https://" + a.ForwardAuthHosts[0] + "/"})
		}
	}
	return links
}
