package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// The Overview is the console's first page: the codes of the last day (or
// hour, or week) and what became of them, with the budget refusals,
// lockouts and logins, as SVG charts with their numbers in tables; only
// administrators see it.
func TestAdminOverview(t *testing.T) { adminOnEngines(t, testAdminOverview) }

func testAdminOverview(t *testing.T, e *adminEnv) {
	ctx := context.Background()
	// The provider's login sends a text message, verified; then a lockout
	// and a budget refusal are in the audit log.
	e.loginFull(e.browser(), e.provider.Email, providerPhone)
	for _, ev := range []store.AuditEvent{
		{Event: "account.locked", Outcome: "codes"},
		{Event: "code.sent", Outcome: "limited"},
		{Event: "code.sent", Outcome: "limited"},
	} {
		ev.Time, ev.SubjectID = e.clock.Now(), e.provider.ID
		if err := e.Store.AppendAudit(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	c := e.adminBrowser()
	if r := e.get(c, "/admin"); r.status != http.StatusSeeOther || r.location != "/admin/overview" {
		t.Fatalf("/admin: %d %q, want the Overview", r.status, r.location)
	}
	r := e.get(c, "/admin/overview")
	if r.status != http.StatusOK {
		t.Fatalf("/admin/overview: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{
		"<h1>Overview</h1>",
		`<a href="/admin/overview" aria-current="page">Overview</a>`,
		`<a href="/admin/overview?range=day" aria-current="page">Last day</a>`,
		`<a href="/admin/overview?range=hour">Last hour</a>`,
		`<svg xmlns="http://www.w3.org/2000/svg" class="chart"`,
		`role="img" aria-labelledby="codes-title"><title id="codes-title">Codes over time</title>`,
		"<caption>Codes over time</caption>", "<caption>Text messages by country calling code</caption>",
		"<caption>Codes delivered, by delivery time</caption>", "<caption>Codes by channel</caption>",
		`<th scope="row">+44 (GB, GG and 2 more)</th>`,
		`<th scope="row">Text message</th>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the Overview lacks %q", want)
		}
	}
	// Two codes were sent (the provider's and the administrator's), both
	// used; one lockout, two budget refusals; two logins.
	for label, want := range map[string]string{"Codes sent": "2", "Verified": "2", "Budget refusals": "2",
		"Lockouts after wrong codes": "1", "Lockouts after wrong passwords": "0", "Logins": "2"} {
		m := regexp.MustCompile(`<dt>` + label + `</dt><dd>(\d+)`).FindStringSubmatch(r.body)
		if m == nil || m[1] != want {
			t.Errorf("%s: %v, want %s", label, m, want)
		}
	}
	if strings.Contains(r.body, "style=") || strings.Contains(r.body, "<script>") {
		t.Error("the Overview has an inline style or script, which the CSP refuses")
	}

	// A week later the day shows nothing; the week still shows them.
	e.clock.Advance(2 * 24 * time.Hour)
	c = e.adminBrowser()
	r = e.get(c, "/admin/overview?range=nonsense")
	if r.status != http.StatusOK || !strings.Contains(r.body, `aria-current="page">Last day</a>`) || !strings.Contains(r.body, "Nothing in this period") {
		t.Errorf("an unknown range: %d, want the last day, empty", r.status)
	}
	r = e.get(c, "/admin/overview?range=week")
	if m := regexp.MustCompile(`<dt>Budget refusals</dt><dd>(\d+)`).FindStringSubmatch(r.body); r.status != http.StatusOK || m == nil || m[1] != "2" {
		t.Errorf("the last week: %d, budget refusals %v, want 2", r.status, m)
	}

	// A provider sees no Overview.
	pc := e.loggedIn(e.provider.Email, providerPhone)
	if r := e.get(pc, "/admin/overview"); r.status != http.StatusForbidden || strings.Contains(r.body, "Codes over time") {
		t.Errorf("a provider's Overview: %d", r.status)
	}
}
