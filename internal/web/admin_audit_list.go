package web

// The audit log page: filters by user, event type and UTC dates, newest
// first, paged by event id so that it stays quick on millions of rows.

import (
	"context"
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

// auditForm is the audit log's filters, as typed: an account's email, an
// event type and UTC dates; before is the paging cursor (an event id).
type auditForm struct {
	User, Event, From, To string
	before                int64
}

func readAuditForm(q url.Values) auditForm {
	f := auditForm{User: strings.TrimSpace(q.Get("user")), Event: q.Get("event"), From: q.Get("from"), To: q.Get("to")}
	if before, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && before > 0 {
		f.before = before
	}
	return f
}

// Validate checks the event type and the dates; whether an account has the
// email is the store's to say (auditUser).
func (f auditForm) Validate() []problem {
	var probs []problem
	if f.Event != "" && !knownEvent(f.Event) {
		probs = append(probs, problem{"event", "Choose an event type from the list."})
	}
	since, sinceOK := parseDay(f.From)
	if f.From != "" && !sinceOK {
		probs = append(probs, problem{"from", "Enter the From date as year-month-day, for example 2026-01-31."})
	}
	until, untilOK := parseDay(f.To)
	if f.To != "" && !untilOK {
		probs = append(probs, problem{"to", "Enter the To date as year-month-day, for example 2026-01-31."})
	}
	if sinceOK && untilOK && until.Before(since) {
		probs = append(probs, problem{"to", "The To date is before the From date."})
	}
	return probs
}

// query is the store's query for a form that Validate passed, for the
// account userID (0: everyone).
func (f auditForm) query(userID int64) store.AuditQuery {
	q := store.AuditQuery{UserID: userID, Event: f.Event, BeforeID: f.before, Limit: auditPerPage + 1}
	if t, ok := parseDay(f.From); ok {
		q.Since = t
	}
	if t, ok := parseDay(f.To); ok {
		q.Until = t.AddDate(0, 0, 1) // the To day is included
	}
	return q
}

// filters are the form's filters for a link, without the cursor.
func (f auditForm) filters() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"user": f.User, "event": f.Event, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// parseDay reads a date of <input type="date"> as the start of that UTC day.
func parseDay(v string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), time.UTC)
	return t, err == nil
}

// auditUser is the id of the account the filter's email names (0 for
// everyone), or the problem that none has it.
func (s *Server) auditUser(ctx context.Context, email string) (int64, []problem, error) {
	if email == "" {
		return 0, nil, nil
	}
	u, err := s.records.UserByEmail(ctx, login.NormalizeEmail(email))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, []problem{{"user", "There is no account with this email address. Check it, or leave the field empty for everyone."}}, nil
	case err != nil:
		return 0, nil, err
	}
	return u.ID, nil, nil
}

func (s *Server) adminAuditList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := &auditPage{chrome: s.adminChrome("Audit log", "audit", sessionOf(r)), Form: readAuditForm(r.URL.Query())}
	f := p.Form
	userID, probs, err := s.auditUser(ctx, f.User)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if p.Errors = append(probs, f.Validate()...); len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_audit", p)
		return
	}
	events, err := s.records.ListAudit(ctx, f.query(userID))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	events, more := onePage(events, auditPerPage)
	if p.Events, err = s.auditRows(ctx, events); err != nil {
		s.internalError(w, r, err)
		return
	}
	filters := f.filters()
	if more {
		next := f.filters()
		next.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		p.NextPage = "/admin/audit?" + next.Encode()
	}
	if f.before != 0 {
		p.Link, p.LinkText = "/admin/audit", "Newest entries"
		if len(filters) > 0 {
			p.Link += "?" + filters.Encode()
		}
	}
	s.render(w, r, http.StatusOK, "admin_audit", p)
}
