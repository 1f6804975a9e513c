package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// auditRow is one event as the tables show it: the UTC time as its day
// and its time of day (a narrow column breaks between them, never inside
// the date), people by email, the event by its name (Title) beside the
// type the filter takes (Event), the browser in a few words (Browser)
// with the full user-agent string on demand.
type auditRow struct {
	Day, Clock, Event, Title, Outcome string
	Actor, Subject                    breakable
	IP, Browser, UserAgent, Detail    string
}

// breakable is text that may wrap after each "@" (an email address in a
// narrow column) rather than anywhere: Parts is it cut there.
type breakable string

func (b breakable) Parts() []string { return strings.SplitAfter(string(b), "@") }

// eventOption is an entry of the event type filter.
type eventOption struct{ Value, Label string }

// eventKinds filter by prefix; eventNames are the events the portal
// writes, for an exact match.
var (
	eventKinds = []eventOption{
		{"login.", "Login steps (login.…)"},
		{"code.", "Codes sent and verified (code.…)"},
		{"phone.", "Phone numbers (phone.…)"},
		{"password.", "Passwords (password.…)"},
		{"account.", "Accounts (account.…)"},
		{"admin.", "Administrator actions (admin.…)"},
	}
	eventNames = []string{
		"login", "logout", "login.password", "login.email_fallback", "login.reauthenticate", "login.step_up",
		"code.sent", "code.verify",
		"phone.registered", "phone.changed",
		"password.reset_requested", "password.set",
		"account.created", "account.locked",
		"admin.user_created", "admin.mfa_disabled", "admin.mfa_enabled", "admin.mfa_override", "admin.phone_changed",
		"admin.unlocked", "admin.password_reset_sent", "admin.sessions_ended", "admin.deactivated", "admin.reactivated",
		"admin.role_granted", "admin.role_removed", "admin.mfa_policy",
		"admin.app_created", "admin.app_secret_rotated", "admin.app_disabled",
	}
)

// EventKinds and EventNames feed the event type filter.
func (p *auditPage) EventKinds() []eventOption { return eventKinds }

func (p *auditPage) EventNames() []string { return eventNames }

func knownEvent(v string) bool {
	return slices.ContainsFunc(eventKinds, func(o eventOption) bool { return o.Value == v }) || slices.Contains(eventNames, v)
}

// auditRows writes events for people, looking each account up once.
func (s *Server) auditRows(ctx context.Context, events []store.AuditEvent) ([]auditRow, error) {
	emails := map[int64]string{0: "—"}
	who := func(id int64) (string, error) {
		if e, ok := emails[id]; ok {
			return e, nil
		}
		u, err := s.records.UserByID(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			emails[id] = fmt.Sprintf("account %d (deleted)", id)
		case err != nil:
			return "", fmt.Errorf("audit: look up user %d: %w", id, err)
		default:
			emails[id] = u.Email
		}
		return emails[id], nil
	}
	rows := make([]auditRow, 0, len(events))
	for _, e := range events {
		actor, err := who(e.ActorID)
		if err != nil {
			return nil, err
		}
		subject, err := who(e.SubjectID)
		if err != nil {
			return nil, err
		}
		rows = append(rows, auditRow{
			Day: e.Time.UTC().Format(time.DateOnly), Clock: e.Time.UTC().Format(time.TimeOnly), Event: e.Event, Title: eventTitle(e.Event), Outcome: e.Outcome,
			Actor: breakable(actor), Subject: breakable(subject), IP: e.IP, Browser: shortBrowser(e.UserAgent), UserAgent: e.UserAgent, Detail: e.Detail,
		})
	}
	return rows, nil
}
