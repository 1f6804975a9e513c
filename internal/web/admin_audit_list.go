package web

// The audit log page: filters by user, event type and UTC dates, newest
// first, paged by event id so that it stays quick on millions of rows.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

const auditPerPage = 50

// auditPage is the audit log: the filters and a page of events.
type auditPage struct {
	chrome
	Form           auditForm
	Events         []auditRow
	NextPage       string // link to the next page; "" on the last
	Link, LinkText string // back to the newest entries
}

// auditForm is the audit log's filters: an email, an event type and UTC
// dates.
type auditForm struct {
	User, Event, From, To string
}

// parseDay reads a date of <input type="date"> as the start of that UTC day.
func parseDay(v string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), time.UTC)
	return t, err == nil
}

func (s *Server) adminAuditList(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	in := r.URL.Query()
	p := &auditPage{chrome: s.adminChrome("Audit log", "audit", sess)}
	f := &p.Form
	f.User, f.Event, f.From, f.To = strings.TrimSpace(in.Get("user")), in.Get("event"), in.Get("from"), in.Get("to")

	q := store.AuditQuery{Limit: auditPerPage + 1}
	if f.User != "" {
		u, err := s.login.Store.UserByEmail(ctx, login.NormalizeEmail(f.User))
		switch {
		case errors.Is(err, store.ErrNotFound):
			p.Errors = append(p.Errors, problem{"user", "There is no account with this email address. Check it, or leave the field empty for everyone."})
		case err != nil:
			s.internalError(w, r, err)
			return
		default:
			q.UserID = u.ID
		}
	}
	if f.Event != "" {
		if knownEvent(f.Event) {
			q.Event = f.Event
		} else {
			p.Errors = append(p.Errors, problem{"event", "Choose an event type from the list."})
		}
	}
	if f.From != "" {
		if t, ok := parseDay(f.From); ok {
			q.Since = t
		} else {
			p.Errors = append(p.Errors, problem{"from", "Enter the From date as year-month-day, for example 2026-01-31."})
		}
	}
	if f.To != "" {
		if t, ok := parseDay(f.To); ok {
			q.Until = t.AddDate(0, 0, 1) // the To day is included
		} else {
			p.Errors = append(p.Errors, problem{"to", "Enter the To date as year-month-day, for example 2026-01-31."})
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		p.Errors = append(p.Errors, problem{"to", "The To date is before the From date."})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_audit", p)
		return
	}
	if before, err := strconv.ParseInt(in.Get("before"), 10, 64); err == nil && before > 0 {
		q.BeforeID = before
	}

	events, err := s.login.Store.ListAudit(ctx, q)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	more := len(events) > auditPerPage
	if more {
		events = events[:auditPerPage]
	}
	if p.Events, err = s.auditRows(ctx, events); err != nil {
		s.internalError(w, r, err)
		return
	}
	filters := url.Values{}
	for k, v := range map[string]string{"user": f.User, "event": f.Event, "from": f.From, "to": f.To} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	if more {
		next := url.Values{"before": {strconv.FormatInt(events[len(events)-1].ID, 10)}}
		for k, v := range filters {
			next[k] = v
		}
		p.NextPage = "/admin/audit?" + next.Encode()
	}
	if q.BeforeID != 0 {
		p.Link, p.LinkText = "/admin/audit", "Newest entries"
		if len(filters) > 0 {
			p.Link += "?" + filters.Encode()
		}
	}
	s.render(w, r, http.StatusOK, "admin_audit", p)
}
