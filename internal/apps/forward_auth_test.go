package apps_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

type listed []store.Application

func (l listed) ListApplications(context.Context) ([]store.Application, error) { return l, nil }

type failing struct{}

func (failing) ListApplications(context.Context) ([]store.Application, error) {
	return nil, errors.New("database down")
}

func TestForwardAuthHosts(t *testing.T) {
	f := apps.ForwardAuthHosts{Apps: listed{
		{Name: "Rota", ForwardAuthHosts: []string{"rota.example.org", "records.example.org:8443"}},
		{Name: "Old", ForwardAuthHosts: []string{"old.example.org"}, DisabledAt: time.Now()},
		{Name: "OIDC only", RedirectURIs: []string{"https://messages.example.org/cb"}},
	}}
	for host, want := range map[string]bool{
		"rota.example.org":         true,
		"ROTA.example.org":         true,
		"records.example.org:8443": true,
		"records.example.org":      false, // registered with a port: that port only
		"rota.example.org:8443":    false, // registered without: the default port only
		"old.example.org":          false, // disabled
		"messages.example.org":     false, // an OpenID Connect application, not forward-auth
		"evil.example.org":         false,
		"example.org":              false,
		"":                         false,
	} {
		got, err := f.ForwardAuthAllowed(t.Context(), host)
		if err != nil || got != want {
			t.Errorf("ForwardAuthAllowed(%q) = %v, %v; want %v", host, got, err, want)
		}
	}
	if ok, err := (apps.ForwardAuthHosts{Apps: failing{}}).ForwardAuthAllowed(t.Context(), "rota.example.org"); ok || err == nil {
		t.Errorf("with the registry down: %v, %v; want false and an error", ok, err)
	}
}

func TestForwardAuthAdminsOnly(t *testing.T) {
	f := apps.ForwardAuthHosts{Apps: listed{
		{Name: "Rota", ForwardAuthHosts: []string{"rota.example.org"}},
		{Name: "Settings", ForwardAuthHosts: []string{"settings.example.org"}, AdminsOnly: true},
		{Name: "Old", ForwardAuthHosts: []string{"old.example.org"}, AdminsOnly: true, DisabledAt: time.Now()},
	}}
	for host, want := range map[string]bool{
		"settings.example.org": true,
		"SETTINGS.example.org": true,
		"rota.example.org":     false,
		"old.example.org":      false, // disabled
		"other.example.org":    false,
		"":                     true, // the host unknown: the strictest holds
	} {
		got, err := f.ForwardAuthAdminsOnly(t.Context(), host)
		if err != nil || got != want {
			t.Errorf("ForwardAuthAdminsOnly(%q) = %v, %v; want %v", host, got, err, want)
		}
	}
	none := apps.ForwardAuthHosts{Apps: listed{{Name: "Rota", ForwardAuthHosts: []string{"rota.example.org"}},
		{Name: "Console", RedirectURIs: []string{"https://console.example.org/cb"}, AdminsOnly: true}}}
	if got, err := none.ForwardAuthAdminsOnly(t.Context(), ""); got || err != nil {
		t.Errorf("no admins-only forward-auth application, host unknown: %v, %v; want false", got, err)
	}
	if _, err := (apps.ForwardAuthHosts{Apps: failing{}}).ForwardAuthAdminsOnly(t.Context(), "rota.example.org"); err == nil {
		t.Error("with the registry down: no error")
	}
}

// An application behind a reverse proxy needs no redirect URI, and the
// home page links to its host; one with neither is refused.
func TestForwardAuthOnlyApplication(t *testing.T) {
	r := apps.Registration{Name: "Records", ForwardAuthHosts: []string{"Records.Example.org"}}
	if err := r.Validate(); err != nil {
		t.Fatalf("a forward-auth application without redirect URIs: %v", err)
	}
	a, _ := apps.New(r, time.Now())
	links := apps.For([]store.Application{*a}, &store.User{})
	if len(links) != 1 || links[0].URL != "https://records.example.org/" {
		t.Errorf("home page links %+v, want Records at https://records.example.org/", links)
	}
	none := apps.Registration{Name: "Nothing"}
	var p *apps.Problem
	if err := none.Validate(); !errors.As(err, &p) || p.Field != "redirect-uri" {
		t.Errorf("an application with neither redirect URI nor forward-auth host: %v, want refused", err)
	}
}
