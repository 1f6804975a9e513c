package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

// The console's Applications page: what `portal app` does, in the
// browser, through the same admin actions, audited; the secret shown
// once.

var (
	clientIDRE = regexp.MustCompile(`Client id</dt><dd><code>([A-Za-z0-9_-]+)</code>`)
	secretRE   = regexp.MustCompile(`id="client-secret">([A-Za-z0-9_-]+)</code>`)
)

// createApp posts Create application and returns the answer, its client
// id and its secret ("" if none shown).
func (e *adminEnv) createApp(c *http.Client, kv ...string) (r response, clientID, secret string) {
	e.t.Helper()
	r = e.post(c, "/admin/applications/new", kv...)
	if m := clientIDRE.FindStringSubmatch(r.body); m != nil {
		clientID = m[1]
	}
	if m := secretRE.FindStringSubmatch(r.body); m != nil {
		secret = m[1]
	}
	return r, clientID, secret
}

// rota registers, from the administrator's browser c, the application
// most tests act on (Rota, https://rota.example.org/cb): its client id
// and secret.
func (e *adminEnv) rota(c *http.Client) (clientID, secret string) {
	e.t.Helper()
	_, clientID, secret = e.createApp(c, "name", "Rota", "redirect-uri", "https://rota.example.org/cb")
	return clientID, secret
}

// appUntouched fails unless the application clientID is still the only
// one, enabled and with its secret: who, refused, changed nothing.
func (e *adminEnv) appUntouched(t *testing.T, clientID, secret, who string) {
	t.Helper()
	if a := e.application(clientID); a.Disabled() || !apps.SecretMatches(a, secret) {
		t.Errorf("%s changed the application", who)
	}
	if list, _ := e.Store.ListApplications(context.Background()); len(list) != 1 {
		t.Errorf("%s created an application: %d", who, len(list))
	}
}

func (e *adminEnv) application(clientID string) *store.Application {
	e.t.Helper()
	a, err := e.Store.ApplicationByClientID(context.Background(), clientID)
	if err != nil {
		e.t.Fatalf("application %q: %v", clientID, err)
	}
	return a
}

// notInAuditOrLogs fails the test if secret is anywhere in the audit log
// or the server's logs.
func (e *adminEnv) notInAuditOrLogs(secret string) {
	e.t.Helper()
	evs, err := e.Store.ListAudit(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Detail, secret) || strings.Contains(ev.Event, secret) {
			e.t.Errorf("the secret is in the audit log: %+v", ev)
		}
	}
	if strings.Contains(e.logs.String(), secret) {
		e.t.Error("the secret is in the server's log")
	}
}

func TestAdminAppsCreateConfidential(t *testing.T) {
	adminOnEngines(t, testAdminAppsCreateConfidential)
}

func testAdminAppsCreateConfidential(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	r := e.get(c, "/admin/applications")
	if r.status != http.StatusOK || !strings.Contains(r.body, "No applications are registered yet.") ||
		!strings.Contains(r.body, `<a href="/admin/applications" aria-current="page">Applications</a>`) {
		t.Fatalf("empty list: %d\n%s", r.status, r.body)
	}
	if r := e.get(c, "/admin/users"); !strings.Contains(r.body, `<a href="/admin/applications">Applications</a>`) {
		t.Error("the console's navigation has no Applications")
	}
	if r := e.get(c, "/admin/applications/new"); r.status != http.StatusOK || !strings.Contains(r.body, `action="/admin/applications/new"`) {
		t.Fatalf("form: %d", r.status)
	}

	r, id, secret := e.createApp(c, "name", "  Rota  ", "redirect-uri", "https://rota.example.org/cb\r\n\r\nhttps://rota.example.org/cb2\n",
		"post-logout-redirect-uri", "https://rota.example.org/bye", "backchannel-logout-uri", "https://rota.example.org/bcl",
		"forward-auth-host", "Rota.Example.org", "admins-only", "yes")
	if r.status != http.StatusOK || id == "" || secret == "" || !strings.Contains(r.body, "Store this secret now") {
		t.Fatalf("create: %d %q\n%s", r.status, r.location, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the secret's page: Cache-Control %q", got)
	}
	a := e.application(id)
	if a.Name != "Rota" || a.Public || !a.AdminsOnly || a.BackchannelLogoutURI != "https://rota.example.org/bcl" ||
		strings.Join(a.RedirectURIs, " ") != "https://rota.example.org/cb https://rota.example.org/cb2" ||
		strings.Join(a.PostLogoutRedirectURIs, " ") != "https://rota.example.org/bye" ||
		strings.Join(a.ForwardAuthHosts, " ") != "rota.example.org" {
		t.Errorf("stored: %+v", a)
	}
	if !apps.SecretMatches(a, secret) {
		t.Error("the secret shown is not the application's")
	}
	if n := e.auditCount("admin.app_created"); n != 1 {
		t.Errorf("%d admin.app_created events", n)
	}

	// Never again: not on the list, not in a URL, the audit log or the logs.
	r = e.get(c, "/admin/applications")
	for _, want := range []string{"Rota", id, "Confidential", "https://rota.example.org/cb2", "rota.example.org", "Administrators only", "Active",
		`action="/admin/applications/` + id + `/rotate-secret"`, `action="/admin/applications/` + id + `/disable"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if strings.Contains(r.body, secret) || strings.Contains(r.location, secret) {
		t.Error("the list shows the secret")
	}
	e.notInAuditOrLogs(secret)
}

func TestAdminAppsCreatePublic(t *testing.T) { adminOnEngines(t, testAdminAppsCreatePublic) }

func testAdminAppsCreatePublic(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	r, id, secret := e.createApp(c, "name", "Phone app", "redirect-uri", "http://127.0.0.1:8080/cb", "public", "yes")
	if r.status != http.StatusOK || id == "" || secret != "" || strings.Contains(r.body, "Client secret") ||
		!strings.Contains(r.body, "This is a public client: it has no secret") {
		t.Fatalf("create public: %d %q\n%s", r.status, id, r.body)
	}
	if a := e.application(id); !a.Public || a.SecretHash != nil {
		t.Errorf("stored: %+v", a)
	}
	r = e.get(c, "/admin/applications")
	if !strings.Contains(r.body, "Public") || strings.Contains(r.body, "/rotate-secret") || !strings.Contains(r.body, "/"+id+"/disable") {
		t.Errorf("a public application's row:\n%s", r.body)
	}
	// Rotating anyway is refused in plain words.
	e.post(c, "/admin/applications/"+id+"/rotate-secret")
	r = e.post(c, "/admin/applications/"+id+"/rotate-secret", "confirm", "yes", "reason", "tidy")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "This application is public: it has no secret to rotate.") {
		t.Errorf("rotate a public client: %d\n%s", r.status, r.body)
	}
	if n := e.auditCount("admin.app_secret_rotated"); n != 0 {
		t.Errorf("%d rotations recorded", n)
	}
}

func TestAdminAppsBadInput(t *testing.T) {
	e := newAdminEnv(t)
	c := e.adminBrowser()
	for _, tc := range []struct {
		field, want string
		kv          []string
	}{
		{"name", "Give the application a name", []string{"name", " ", "redirect-uri", "https://a.example.org/cb"}},
		{"redirect-uri", "must use https", []string{"name", "Rota", "redirect-uri", "https://a.example.org/cb\nhttp://a.example.org/cb"}},
		{"redirect-uri", "Give at least one redirect URI", []string{"name", "Rota"}},
		{"post-logout-redirect-uri", "must not have a fragment", []string{"name", "Rota", "redirect-uri", "https://a.example.org/cb", "post-logout-redirect-uri", "https://a.example.org/#x"}},
		{"backchannel-logout-uri", "must be an absolute URL", []string{"name", "Rota", "redirect-uri", "https://a.example.org/cb", "backchannel-logout-uri", "/bcl"}},
		{"forward-auth-host", "is not a host name", []string{"name", "Rota", "forward-auth-host", "https://app.example.org/", "admins-only", "yes"}},
	} {
		r := e.post(c, "/admin/applications/new", tc.kv...)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.want) ||
			!strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, `href="#`+tc.field+`"`) {
			t.Errorf("%s: %d, want the problem %q at %s\n%s", tc.field, r.status, tc.want, tc.field, r.body)
			continue
		}
		// What was typed is shown back.
		for i := 0; i+1 < len(tc.kv); i += 2 {
			v := strings.TrimSpace(tc.kv[i+1])
			if v == "yes" {
				v = `name="` + tc.kv[i] + `" value="yes" checked`
			}
			if v != "" && !strings.Contains(r.body, v) {
				t.Errorf("%s: the form lost %s=%q", tc.field, tc.kv[i], tc.kv[i+1])
			}
		}
	}
	if n := e.auditCount("admin.app_created"); n != 0 {
		t.Errorf("%d applications created from bad input", n)
	}
	if list, _ := e.Store.ListApplications(context.Background()); len(list) != 0 {
		t.Errorf("%d applications stored", len(list))
	}
}

func TestAdminAppsRotateSecret(t *testing.T) { adminOnEngines(t, testAdminAppsRotateSecret) }

func testAdminAppsRotateSecret(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	id, old := e.rota(c)
	path := "/admin/applications/" + id + "/rotate-secret"
	r := e.post(c, path)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Give Rota a new client secret?") ||
		!strings.Contains(r.body, `name="confirm" value="yes"`) || !strings.Contains(r.body, `action="`+path+`"`) {
		t.Fatalf("confirmation: %d\n%s", r.status, r.body)
	}
	if !strings.Contains(r.body, `name="reason"`) {
		t.Errorf("the confirmation asks no reason:\n%s", r.body)
	}
	if !apps.SecretMatches(e.application(id), old) {
		t.Fatal("asking to confirm rotated the secret")
	}
	r = e.post(c, path, "confirm", "yes")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Give a reason") || !strings.Contains(r.body, "Give Rota a new client secret?") ||
		secretRE.MatchString(r.body) || !apps.SecretMatches(e.application(id), old) {
		t.Fatalf("confirmed without a reason: %d\n%s", r.status, r.body)
	}
	r = e.post(c, path, "confirm", "yes", "reason", "the old one was pasted in a ticket")
	m := secretRE.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil || m[1] == old || !strings.Contains(r.body, "Store this secret now") {
		t.Fatalf("rotate: %d\n%s", r.status, r.body)
	}
	a := e.application(id)
	if !apps.SecretMatches(a, m[1]) || apps.SecretMatches(a, old) {
		t.Error("the new secret does not work, or the old one still does")
	}
	if n := e.auditCount("admin.app_secret_rotated"); n != 1 {
		t.Errorf("%d rotations recorded", n)
	}
	if d := e.auditDetail("admin.app_secret_rotated"); !strings.HasSuffix(d, "reason: the old one was pasted in a ticket") {
		t.Errorf("rotation audited as %q, without its reason", d)
	}
	if r := e.get(c, "/admin/applications"); strings.Contains(r.body, m[1]) {
		t.Error("the list shows the new secret")
	}
	e.notInAuditOrLogs(old)
	e.notInAuditOrLogs(m[1])

	if r := e.post(c, "/admin/applications/no-such-client/rotate-secret", "confirm", "yes"); r.status != http.StatusNotFound {
		t.Errorf("an unknown client id: %d", r.status)
	}
}

func TestAdminAppsDisable(t *testing.T) { adminOnEngines(t, testAdminAppsDisable) }

func testAdminAppsDisable(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	id, _ := e.rota(c)
	path := "/admin/applications/" + id + "/disable"
	r := e.post(c, path)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Disable Rota?") || !strings.Contains(r.body, `name="confirm" value="yes"`) {
		t.Fatalf("confirmation: %d\n%s", r.status, r.body)
	}
	if e.application(id).Disabled() {
		t.Fatal("asking to confirm disabled the application")
	}
	r = e.post(c, path, "confirm", "yes", "reason", "")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Give a reason") || e.application(id).Disabled() {
		t.Fatalf("confirmed without a reason: %d\n%s", r.status, r.body)
	}
	r = e.post(c, path, "confirm", "yes", "reason", "replaced by the new rota")
	if r.status != http.StatusSeeOther || r.location != "/admin/applications?m=disabled" {
		t.Fatalf("disable: %d %q\n%s", r.status, r.location, r.body)
	}
	if !e.application(id).Disabled() {
		t.Fatal("not disabled")
	}
	r = e.get(c, r.location)
	if !strings.Contains(r.body, "The application was disabled") || !strings.Contains(r.body, "Disabled 5 Jan 2026") || strings.Contains(r.body, path) {
		t.Errorf("the list after disabling:\n%s", r.body)
	}
	if r := e.post(c, path, "confirm", "yes", "reason", "again"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already disabled") {
		t.Errorf("disable again: %d", r.status)
	}
	if n := e.auditCount("admin.app_disabled"); n != 1 {
		t.Errorf("%d admin.app_disabled events", n)
	}
	if d := e.auditDetail("admin.app_disabled"); !strings.HasSuffix(d, "reason: replaced by the new rota") {
		t.Errorf("disable audited as %q, without its reason", d)
	}
}

func TestAdminAppsForbiddenToProviders(t *testing.T) {
	adminOnEngines(t, testAdminAppsForbiddenToProviders)
}

func testAdminAppsForbiddenToProviders(t *testing.T, e *adminEnv) {
	ac := e.adminBrowser()
	id, secret := e.rota(ac)
	c := e.loggedIn(e.provider.Email, providerPhone)
	form := url.Values{"confirm": {"yes"}, "name": {"Eve"}, "redirect-uri": {"https://eve.example/cb"}}
	for _, rt := range []struct{ method, path string }{
		{"GET", "/admin/applications"}, {"GET", "/admin/applications/new"}, {"POST", "/admin/applications/new"},
		{"POST", "/admin/applications/" + id + "/rotate-secret"}, {"POST", "/admin/applications/" + id + "/disable"},
	} {
		var f url.Values
		if rt.method == "POST" {
			f = form
		}
		r := e.do(c, rt.method, rt.path, f)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, forbiddenText) || strings.Contains(r.body, "Rota") {
			t.Errorf("%s %s as a provider: %d %q", rt.method, rt.path, r.status, r.location)
		}
	}
	e.appUntouched(t, id, secret, "a provider")
	if n := e.auditCount("admin.app_created"); n != 1 {
		t.Errorf("%d applications created", n)
	}
}

func TestAdminAppsStaleLoginMustConfirm(t *testing.T) {
	adminOnEngines(t, testAdminAppsStaleLoginMustConfirm)
}

func testAdminAppsStaleLoginMustConfirm(t *testing.T, e *adminEnv) {
	c := e.adminBrowser()
	id, secret := e.rota(c)
	e.clock.Advance(16 * time.Minute)
	for _, p := range []string{"/admin/applications", "/admin/applications/new"} {
		if r := e.get(c, p); r.status != http.StatusSeeOther || r.location != "/admin/confirm?next="+url.QueryEscape(p) {
			t.Errorf("stale GET %s: %d %q", p, r.status, r.location)
		}
	}
	for p, next := range map[string]string{
		"/admin/applications/new":                      "/admin/applications/new",
		"/admin/applications/" + id + "/rotate-secret": "/admin/applications",
		"/admin/applications/" + id + "/disable":       "/admin/applications",
	} {
		r := e.post(c, p, "confirm", "yes", "name", "Eve", "redirect-uri", "https://eve.example/cb")
		if r.status != http.StatusOK || !strings.Contains(r.body, "Confirm it is you") || !strings.Contains(r.body, "Nothing was changed") ||
			!strings.Contains(r.body, `name="next" value="`+next+`"`) || secretRE.MatchString(r.body) {
			t.Errorf("stale POST %s: %d\n%s", p, r.status, r.body)
		}
	}
	e.appUntouched(t, id, secret, "a stale administrator")
}

func TestAdminAppsCrossOriginRefused(t *testing.T) {
	e := newAdminEnv(t)
	c := e.adminBrowser()
	id, secret := e.rota(c)
	form := url.Values{"confirm": {"yes"}, "name": {"Eve"}, "redirect-uri": {"https://eve.example/cb"}}
	for _, p := range []string{"/admin/applications/new", "/admin/applications/" + id + "/rotate-secret", "/admin/applications/" + id + "/disable"} {
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			if r := e.do(c, "POST", p, form, hdr...); r.status != http.StatusForbidden || !strings.Contains(r.body, "sent from another website") {
				t.Errorf("cross-origin POST %s with %s: %d", p, hdr[0], r.status)
			}
		}
	}
	e.appUntouched(t, id, secret, "a cross-origin request")
}
