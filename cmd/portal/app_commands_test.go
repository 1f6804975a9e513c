package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

var (
	clientIDLine     = regexp.MustCompile(`(?m)^client_id: ([A-Za-z0-9_-]{22,})$`)
	clientSecretLine = regexp.MustCompile(`(?m)^client_secret: ([A-Za-z0-9_-]{43,})$`)
)

func TestAppCommands(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	out, _, err := e.portal(t, "app", "create", "--name", "Rota", "--redirect-uri", "https://rota.example.org/cb",
		"--redirect-uri", "http://127.0.0.1:8000/cb", "--post-logout-redirect-uri", "https://rota.example.org/bye",
		"--backchannel-logout-uri", "https://rota.example.org/logout", "--admins-only", "--forward-auth-host", "rota.example.org")
	if err != nil {
		t.Fatalf("app create: %v", err)
	}
	id, secret := clientIDLine.FindStringSubmatch(out), clientSecretLine.FindStringSubmatch(out)
	if id == nil || secret == nil || strings.Count(out, "\n") != 2 {
		t.Fatalf("app create printed %q, want a client_id line and a client_secret line", out)
	}
	a, err := e.db.ApplicationByClientID(t.Context(), id[1])
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Rota" || len(a.RedirectURIs) != 2 || !a.AdminsOnly || a.Public || a.BackchannelLogoutURI == "" ||
		len(a.ForwardAuthHosts) != 1 || !apps.SecretMatches(a, secret[1]) {
		t.Errorf("stored %+v", a)
	}
	if strings.Contains(string(a.SecretHash), secret[1]) {
		t.Errorf("the secret is stored as it is")
	}

	if a.IDTokenAlg != "" {
		t.Errorf("an application created without --id-token-alg signs with %q, want RS256 (\"\")", a.IDTokenAlg)
	}

	out, _, err = e.portal(t, "app", "create", "--name", "SPA", "--redirect-uri", "https://spa.example.org/", "--public", "--id-token-alg", "es256")
	if err != nil || clientIDLine.FindString(out) == "" || strings.Contains(out, "client_secret") {
		t.Fatalf("app create --public printed %q (%v), want a client_id and no secret", out, err)
	}
	if spa, err := e.db.ApplicationByClientID(t.Context(), clientIDLine.FindStringSubmatch(out)[1]); err != nil || spa.IDTokenAlg != "ES256" {
		t.Errorf("app create --id-token-alg es256 stored %q (%v), want ES256", spa.IDTokenAlg, err)
	}
	if _, _, err := e.portal(t, "app", "create", "--name", "X", "--redirect-uri", "https://x.example.org/", "--id-token-alg", "HS256"); err == nil ||
		!strings.Contains(err.Error(), "RS256 (the default) or ES256") {
		t.Errorf("app create --id-token-alg HS256: %v, want refused in plain words", err)
	}

	// An application behind a reverse proxy, as the issue words it: no
	// redirect URI, only its host.
	out, _, err = e.portal(t, "app", "create", "--name", "Records", "--forward-auth-host", "records.example.org")
	if err != nil || clientIDLine.FindString(out) == "" {
		t.Fatalf("app create --forward-auth-host printed %q (%v), want a client_id", out, err)
	}
	if ok, err := (&apps.ForwardAuthHosts{Apps: e.db}).ForwardAuthAllowed(t.Context(), "records.example.org"); !ok || err != nil {
		t.Errorf("records.example.org after app create --forward-auth-host: allowed %v (%v), want true", ok, err)
	}

	out, _, err = e.portal(t, "app", "list")
	if err != nil || !strings.Contains(out, id[1]) || !strings.Contains(out, "administrators") || !strings.Contains(out, "public") {
		t.Errorf("app list printed %q (%v)", out, err)
	}
	if strings.Contains(out, secret[1]) {
		t.Errorf("app list shows the secret")
	}

	out, _, err = e.portal(t, "app", "rotate-secret", "--client-id", id[1])
	fresh := clientSecretLine.FindStringSubmatch(out)
	if err != nil || fresh == nil || fresh[1] == secret[1] {
		t.Fatalf("rotate-secret printed %q (%v)", out, err)
	}
	a, _ = e.db.ApplicationByClientID(t.Context(), id[1])
	if apps.SecretMatches(a, secret[1]) || !apps.SecretMatches(a, fresh[1]) {
		t.Errorf("after rotate-secret the old secret works or the new one does not")
	}

	if _, _, err := e.portal(t, "app", "disable", "--client-id", id[1]); err != nil {
		t.Fatalf("disable: %v", err)
	}
	a, _ = e.db.ApplicationByClientID(t.Context(), id[1])
	if !a.Disabled() {
		t.Errorf("not disabled")
	}
	all, _ := e.db.ListAudit(t.Context(), store.AuditQuery{Event: "admin."})
	var events []store.AuditEvent
	for _, ev := range all {
		if strings.HasPrefix(ev.Event, "admin.app_") {
			events = append(events, ev)
		}
	}
	if len(events) != 5 {
		t.Errorf("%d audit events of applications, want 5 (three created, rotated, disabled)", len(events))
	}
	for _, ev := range events {
		if strings.Contains(ev.Detail, secret[1]) || strings.Contains(ev.Detail, fresh[1]) {
			t.Errorf("audit detail %q holds a secret", ev.Detail)
		}
	}
}

func TestAppCommandRefusals(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"app", "create", "--name", "Rota", "--redirect-uri", "http://rota.example.org/cb"}, "must use https"},
		{[]string{"app", "create", "--name", "Rota", "--redirect-uri", "https://rota.example.org/cb#x"}, "fragment"},
		{[]string{"app", "create", "--name", "Rota", "--redirect-uri", "/cb"}, "absolute URL"},
		{[]string{"app", "create", "--name", "Rota"}, "at least one redirect URI"},
		{[]string{"app", "create", "--name", "Rota", "--redirect-uri", "https://r.example.org/", "--forward-auth-host", "https://r.example.org"}, "not a host name"},
		{[]string{"app", "rotate-secret", "--client-id", "nope"}, "no application with client_id nope"},
		{[]string{"app", "disable", "--client-id", "nope"}, "no application with client_id nope"},
	} {
		_, _, err := e.portal(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "admin:") {
			t.Errorf("portal %v: %v, want a sentence saying %q", tt.args, err, tt.want)
		}
	}
	for _, args := range [][]string{{"app"}, {"app", "frob"}, {"app", "create", "--redirect-uri", "https://rota.example.org/cb"}, {"app", "disable"}} {
		if _, _, err := e.portal(t, args...); err != errUsage {
			t.Errorf("portal %v: %v, want a usage error", args, err)
		}
	}
}
