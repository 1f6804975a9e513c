package web

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/tabletest"
)

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tabletest.Check(t, "safeNext", safeNext, map[string]string{
		"/admin/users":                  "/admin/users",
		"/admin/users/7":                "/admin/users/7",
		"/admin/users?q=pat&after=x":    "/admin/users?after=x&q=pat",
		"/admin":                        "/admin",
		"/admin/./users/../audit":       "/admin/audit",
		"/adminx":                       "/admin/users",
		"/admin/../my-details":          "/admin/users",
		"/admin/..%2f..%2fmy-details":   "/admin/users",
		"/admin/confirm?next=/x":        "/admin/users",
		"//evil.example/admin":          "/admin/users",
		"/\\evil.example/admin":         "/admin/users",
		"https://evil.example/admin":    "/admin/users",
		"http:/admin":                   "/admin/users",
		"javascript:alert(1)//admin":    "/admin/users",
		"admin/users":                   "/admin/users",
		"/admin/users\r\nLocation: //x": "/admin/users",
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/admin/users?q=a", "//evil", "/admin/../x", "https://x/admin", "/admin/%2e%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		if u.Path != "/admin" && !strings.HasPrefix(u.Path, "/admin/") {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
	})
}

// FuzzParseDay: a date the audit filter accepts is the start of a UTC day
// and reads back as what was typed.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-01-31", " 2026-02-29 ", "2026-13-01", "0000-01-01", "9999-12-31", "2026-1-1", "+2026-01-01", "2026-01-31T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		day, ok := parseDay(v)
		if !ok {
			return
		}
		if day.Location() != time.UTC || !day.Equal(day.Truncate(24*time.Hour)) {
			t.Fatalf("parseDay(%q) = %v, not the start of a UTC day", v, day)
		}
		if got := day.Format(time.DateOnly); got != strings.TrimSpace(v) {
			t.Fatalf("parseDay(%q) = %s", v, got)
		}
	})
}

// FuzzReadAction: what an administrator's action form is accepted with is
// within the rules: a duration from the list, 1 hour to 7 days; a phone
// number in E.164 that normalises to itself; a reason with text in it.
func FuzzReadAction(f *testing.F) {
	for _, s := range [][3]string{
		{"24h", "+447546123456", "Ticket 4711"},
		{"1h0m0s", "07546 123456", "  "},
		{"169h", "+44 7546 123456", "lost phone"},
		{"-1h", "+1", "x"},
		{"1d", "+447546123456\x00", "\u00a0"},
	} {
		for _, action := range []string{"disable-mfa", "update-phone", "unlock"} {
			f.Add(action, s[0], s[1], s[2])
		}
	}
	f.Fuzz(func(t *testing.T, action, duration, number, reason string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.PostForm = url.Values{"duration": {duration}, "phone": {number}, "reason": {reason}}
		in, probs := readActionForm(action, r).Validate(login.DefaultRules())
		failed := map[string]bool{}
		for _, p := range probs {
			if p.Message == "" {
				t.Fatalf("a problem without a message: %+v", p)
			}
			failed[p.Field] = true
		}
		if !failed[action+"-reason"] && (in.Reason == "" || in.Reason != strings.TrimSpace(in.Reason)) {
			t.Fatalf("reason %q accepted as %q", reason, in.Reason)
		}
		switch action {
		case "disable-mfa":
			if !failed["duration"] && (in.Duration < admin.MinDisable || in.Duration > admin.MaxDisable || in.Label == "") {
				t.Fatalf("duration %q accepted as %v (%q)", duration, in.Duration, in.Label)
			}
		case "update-phone":
			if !failed["phone"] {
				again, err := phone.Normalize(in.Phone)
				if err != nil || again != in.Phone || !strings.HasPrefix(in.Phone, "+") || strings.Trim(in.Phone[1:], "0123456789") != "" || phone.NonGeographic(in.Phone) {
					t.Fatalf("phone %q accepted as %q", number, in.Phone)
				}
			}
		}
	})
}

// FuzzAuditForm: filters the audit log accepts make a query within them:
// an event type from the list, and a From day no later than the To day,
// which is included.
func FuzzAuditForm(f *testing.F) {
	for _, s := range [][5]string{
		{"pat@example.org", "login.", "2026-01-01", "2026-01-31", "120"},
		{"", "code.sent", "2026-02-01", "2026-01-31", "-1"},
		{" x ", "nope", "2026-1-1", "31/01/2026", "9223372036854775808"},
		{"", "", "", "2026-01-31", "0"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, user, event, from, to, before string) {
		form := readAuditForm(url.Values{"user": {user}, "event": {event}, "from": {from}, "to": {to}, "before": {before}})
		if form.User != strings.TrimSpace(form.User) || form.before < 0 {
			t.Fatalf("read as %+v", form)
		}
		probs := form.Validate()
		for _, p := range probs {
			if p.Field == "" || p.Message == "" {
				t.Fatalf("a problem without a field or message: %+v", p)
			}
		}
		if len(probs) > 0 {
			return
		}
		q := form.query(7)
		if q.UserID != 7 || q.Limit != auditPerPage+1 || q.BeforeID != form.before {
			t.Fatalf("query %+v", q)
		}
		if q.Event != "" && !knownEvent(q.Event) {
			t.Fatalf("event %q accepted", event)
		}
		if (from != "") != !q.Since.IsZero() || (to != "") != !q.Until.IsZero() {
			t.Fatalf("dates %q, %q accepted as %v, %v", from, to, q.Since, q.Until)
		}
		if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
			t.Fatalf("dates %q, %q make an empty range", from, to)
		}
	})
}

// TestDisableDurations: the console writes the admin service's choices as
// the form has always sent and shown them.
func TestDisableDurations(t *testing.T) {
	t.Parallel()
	want := []durationOption{
		{"1h", "1 hour"}, {"4h", "4 hours"}, {"8h", "8 hours"}, {"24h", "24 hours"},
		{"48h", "2 days"}, {"72h", "3 days"}, {"168h", "7 days"},
	}
	if !slices.Equal(mfaDurations, want) || defaultDuration != "24h" {
		t.Fatalf("durations %v, default %q", mfaDurations, defaultDuration)
	}
}
