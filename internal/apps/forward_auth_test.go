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
	f := &apps.ForwardAuthHosts{Apps: listed{
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
	if ok, err := (&apps.ForwardAuthHosts{Apps: failing{}}).ForwardAuthAllowed(t.Context(), "rota.example.org"); ok || err == nil {
		t.Errorf("with the registry down: %v, %v; want false and an error", ok, err)
	}
}

func TestForwardAuthAdminsOnly(t *testing.T) {
	f := &apps.ForwardAuthHosts{Apps: listed{
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
	if _, err := (&apps.ForwardAuthHosts{Apps: failing{}}).ForwardAuthAdminsOnly(t.Context(), "rota.example.org"); err == nil {
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

// counting is a registry that counts its reads.
type counting struct {
	apps  []store.Application
	reads int
}

func (c *counting) ListApplications(context.Context) ([]store.Application, error) {
	c.reads++
	return c.apps, nil
}

// TestForwardAuthHostsMaxAge: /auth/verify asks for each request whether
// the host is for administrators only; the registry is read once per
// MaxAge, not once a request, and a change to it is seen once MaxAge has
// passed.
func TestForwardAuthHostsMaxAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	reg := &counting{apps: []store.Application{{Name: "Rota", ForwardAuthHosts: []string{"rota.example.org"}}}}
	f := &apps.ForwardAuthHosts{Apps: reg, MaxAge: time.Second, Clock: func() time.Time { return now }}
	ask := func(want bool) {
		t.Helper()
		if got, err := f.ForwardAuthAdminsOnly(t.Context(), "rota.example.org"); err != nil || got != want {
			t.Fatalf("ForwardAuthAdminsOnly = %v, %v; want %v", got, err, want)
		}
	}
	for range 100 {
		ask(false)
	}
	if reg.reads != 1 {
		t.Fatalf("100 questions within MaxAge read the registry %d times, want 1", reg.reads)
	}
	reg.apps = []store.Application{{Name: "Rota", ForwardAuthHosts: []string{"rota.example.org"}, AdminsOnly: true}}
	now = now.Add(999 * time.Millisecond)
	ask(false) // the list read 999 ms ago still answers
	now = now.Add(time.Millisecond)
	ask(true)
	if reg.reads != 2 {
		t.Fatalf("after MaxAge: %d reads, want 2", reg.reads)
	}
	// A clock that went back reads again rather than trusting the list.
	now = now.Add(-time.Hour)
	ask(true)
	if reg.reads != 3 {
		t.Fatalf("with the clock turned back: %d reads, want 3", reg.reads)
	}
	// Without MaxAge, each question reads.
	g := &apps.ForwardAuthHosts{Apps: reg}
	for range 3 {
		if _, err := g.ForwardAuthAllowed(t.Context(), "rota.example.org"); err != nil {
			t.Fatal(err)
		}
	}
	if reg.reads != 6 {
		t.Fatalf("without MaxAge: %d reads, want 6", reg.reads)
	}
}
