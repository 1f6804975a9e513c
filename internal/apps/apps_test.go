package apps_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

func TestCheckURI(t *testing.T) {
	for _, tt := range []struct {
		uri, why string // why is part of the refusal; empty: accepted
	}{
		{"https://rota.example.org/callback", ""},
		{"https://rota.example.org:8443/cb?x=1", ""},
		{"http://127.0.0.1:8000/cb", ""},
		{"http://localhost/cb", ""},
		{"http://[::1]:9000/cb", ""},
		{"http://rota.example.org/cb", "must use https"},
		{"http://127.0.0.1.example.org/cb", "must use https"},
		{"ftp://rota.example.org/cb", "must use https"},
		{"com.example.app:/cb", "absolute URL"},
		{"/callback", "absolute URL"},
		{"rota.example.org/callback", "absolute URL"},
		{"https://rota.example.org/cb#top", "fragment"},
		{"https://rota.example.org/cb#", "fragment"},
		{"https://ann:pw@rota.example.org/cb", "user name"},
		{"https://rota.example.org/c b", "not a valid URL"},
		{"https://rota.example.org/\ncb", "not a valid URL"},
		{"https://" + strings.Repeat("a", 1000) + ".org/", "too long"},
	} {
		err := apps.CheckURI(tt.uri, "redirect-uri", "redirect URI")
		switch {
		case tt.why == "" && err != nil:
			t.Errorf("CheckURI(%q) = %v, want accepted", tt.uri, err)
		case tt.why != "" && (err == nil || !strings.Contains(err.Error(), tt.why)):
			t.Errorf("CheckURI(%q) = %v, want a refusal saying %q", tt.uri, err, tt.why)
		}
		var p *apps.Problem
		if err != nil && (!errors.As(err, &p) || p.Field != "redirect-uri") {
			t.Errorf("CheckURI(%q) = %#v, want a *Problem about redirect-uri", tt.uri, err)
		}
	}
}

func TestValidate(t *testing.T) {
	r := apps.Registration{
		Name:                   "  Rota \t planner ",
		RedirectURIs:           []string{" https://rota.example.org/cb ", "https://rota.example.org/cb", ""},
		PostLogoutRedirectURIs: []string{"https://rota.example.org/bye"},
		BackchannelLogoutURI:   "https://rota.example.org/logout",
		ForwardAuthHosts:       []string{"Rota.Example.org", "rota.example.org", "app.example.org:8443"},
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if r.Name != "Rota planner" || !slices.Equal(r.RedirectURIs, []string{"https://rota.example.org/cb"}) ||
		!slices.Equal(r.ForwardAuthHosts, []string{"rota.example.org", "app.example.org:8443"}) {
		t.Errorf("Validate tidied to %+v", r)
	}
	for _, tt := range []struct {
		change func(r *apps.Registration)
		field  string
	}{
		{func(r *apps.Registration) { r.Name = " " }, "name"},
		{func(r *apps.Registration) { r.Name = "a\x00b" }, "name"},
		{func(r *apps.Registration) { r.Name = strings.Repeat("n", 101) }, "name"},
		{func(r *apps.Registration) { r.RedirectURIs = nil }, "redirect-uri"},
		{func(r *apps.Registration) { r.RedirectURIs = []string{"http://rota.example.org/cb"} }, "redirect-uri"},
		{func(r *apps.Registration) { r.PostLogoutRedirectURIs = []string{"https://x.org/#a"} }, "post-logout-redirect-uri"},
		{func(r *apps.Registration) { r.BackchannelLogoutURI = "rota" }, "backchannel-logout-uri"},
		{func(r *apps.Registration) { r.ForwardAuthHosts = []string{"https://rota.example.org"} }, "forward-auth-host"},
		{func(r *apps.Registration) { r.ForwardAuthHosts = []string{"rota..org"} }, "forward-auth-host"},
		{func(r *apps.Registration) { r.ForwardAuthHosts = []string{"rota.org/x"} }, "forward-auth-host"},
		{func(r *apps.Registration) { r.IDTokenAlg = "HS256" }, "id-token-alg"},
		{func(r *apps.Registration) { r.IDTokenAlg = "none" }, "id-token-alg"},
	} {
		r := apps.Registration{Name: "Rota", RedirectURIs: []string{"https://rota.example.org/cb"}}
		tt.change(&r)
		var p *apps.Problem
		if err := r.Validate(); !errors.As(err, &p) || p.Field != tt.field || p.Message == "" {
			t.Errorf("Validate(%+v) = %v, want a problem with %s", r, err, tt.field)
		}
	}
}

func TestNewAndSecret(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, secret := apps.New(apps.Registration{Name: "Rota", RedirectURIs: []string{"https://r.example.org/cb"}}, now)
	if len(secret) < 43 || len(a.ClientID) < 22 || a.ClientID == secret || !a.CreatedAt.Equal(now) {
		t.Fatalf("New: client_id %q, secret %q (%d characters), created %v", a.ClientID, secret, len(secret), a.CreatedAt)
	}
	if string(a.SecretHash) == secret || !apps.SecretMatches(a, secret) {
		t.Errorf("the secret does not match its stored hash, or is stored as it is")
	}
	if apps.SecretMatches(a, secret+"x") || apps.SecretMatches(a, "") {
		t.Errorf("a wrong secret matches")
	}
	other, _ := apps.New(apps.Registration{Name: "Rota"}, now)
	if other.ClientID == a.ClientID {
		t.Errorf("two applications got one client_id")
	}
	pub, secret := apps.New(apps.Registration{Name: "SPA", Public: true}, now)
	if secret != "" || pub.SecretHash != nil || apps.SecretMatches(pub, "") {
		t.Errorf("a public client got a secret")
	}
}

func TestMayUse(t *testing.T) {
	provider, adm := &store.User{}, &store.User{Admin: true}
	open, adminsOnly := &store.Application{}, &store.Application{AdminsOnly: true}
	disabled := &store.Application{DisabledAt: time.Now()}
	for _, tt := range []struct {
		a    *store.Application
		u    *store.User
		want bool
	}{
		{open, provider, true},
		{open, adm, true},
		{adminsOnly, provider, false},
		{adminsOnly, adm, true},
		{disabled, adm, false},
		{open, &store.User{Deactivated: true}, false},
	} {
		if got := apps.MayUse(tt.a, tt.u); got != tt.want {
			t.Errorf("MayUse(%+v, %+v) = %v, want %v", tt.a, tt.u, got, tt.want)
		}
	}
}

func TestRegistrationIDTokenAlg(t *testing.T) {
	for in, want := range map[string]string{"": "", "RS256": "", " rs256 ": "", "ES256": "ES256", "es256": "ES256"} {
		r := apps.Registration{Name: "Rota", RedirectURIs: []string{"https://rota.example.org/cb"}, IDTokenAlg: in}
		if err := r.Validate(); err != nil || r.IDTokenAlg != want {
			t.Errorf("IDTokenAlg %q: %q, %v; want %q", in, r.IDTokenAlg, err, want)
		}
		if a, _ := apps.New(r, time.Now()); a.IDTokenAlg != want {
			t.Errorf("New with IDTokenAlg %q: %q", in, a.IDTokenAlg)
		}
	}
}
