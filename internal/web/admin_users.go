package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// The console's list of users: search by name, email or phone digits,
// pages in email order, and each account's MFA state at a glance.

const (
	usersPerPage = 50
	maxSearch    = 100
	// adminTime is how the console writes a moment (always UTC).
	adminTime = "2 Jan 2006 15:04 MST"
)

// accountView is an account as the console shows it.
type accountView struct {
	*store.User
	Self          bool   // the administrator looking at it
	MaskedPhone   string // "" while no phone is registered
	MFAState      string // "Required", "Disabled until …", "Exempt", "Not required by policy"
	MFADisabled   bool   // a temporary disable is running …
	DisabledUntil string // … until then
	Locked        bool   // by wrong codes or wrong passwords …
	LockedUntil   string // … until then
	LastLogin     string // "Never" before the first completed login
	Created       string
}

// accountView describes u under the portal-wide policy p.
func (s *Server) accountView(ctx context.Context, sess *login.Session, u *store.User, p admin.Policy) (accountView, error) {
	v := accountView{User: u, Self: sess.UserID == u.ID, LastLogin: "Never", Created: formatTime(u.CreatedAt)}
	if u.Phone != "" {
		v.MaskedPhone = phone.Mask(u.Phone)
	}
	if !u.LastLoginAt.IsZero() {
		v.LastLogin = formatTime(u.LastLoginAt)
	}
	st, err := s.admin.State(ctx, u, p)
	if err != nil {
		return v, err
	}
	switch st.MFA {
	case admin.MFAStateDisabled:
		v.MFADisabled, v.DisabledUntil = true, formatTime(st.DisabledUntil)
		v.MFAState = "Disabled until " + v.DisabledUntil
	case admin.MFAStateRequired, admin.MFAStateNotRegistered:
		v.MFAState = "Required"
	case admin.MFAStateExempt:
		v.MFAState = "Exempt"
	default:
		v.MFAState = "Not required by policy"
	}
	if until := st.LockedUntil(); !until.IsZero() {
		v.Locked, v.LockedUntil = true, formatTime(until)
	}
	return v, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(adminTime)
}

// adminPage builds a page of the console.
func (s *Server) adminPage(title, section string, sess *login.Session) *page {
	p := s.newPage(title, sess)
	p.AdminNav = section
	return p
}

func (s *Server) adminUsersList(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	p := s.adminPage("Users", "users", sess)
	p.Form.Search = strings.TrimSpace(r.URL.Query().Get("q"))
	if rs := []rune(p.Form.Search); len(rs) > maxSearch {
		p.Form.Search = string(rs[:maxSearch])
	}
	after := r.URL.Query().Get("after")
	users, err := s.login.Store.ListUsers(ctx, store.UserQuery{Search: p.Form.Search, After: after, Limit: usersPerPage + 1})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	more := len(users) > usersPerPage
	if more {
		users = users[:usersPerPage]
	}
	policy, err := s.admin.Policy(ctx)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for i := range users {
		v, err := s.accountView(ctx, sess, &users[i], policy)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		p.Accounts = append(p.Accounts, v)
	}
	if more {
		q := url.Values{"after": {users[len(users)-1].Email}}
		if p.Form.Search != "" {
			q.Set("q", p.Form.Search)
		}
		p.NextPage = "/admin/users?" + q.Encode()
	}
	switch {
	case after != "" && p.Form.Search != "":
		p.Link, p.LinkText = "/admin/users?"+url.Values{"q": {p.Form.Search}}.Encode(), "Back to the first page"
	case after != "":
		p.Link, p.LinkText = "/admin/users", "Back to the first page"
	case p.Form.Search != "":
		p.Link, p.LinkText = "/admin/users", "Clear the search"
	}
	s.render(w, r, http.StatusOK, "admin_users", p)
}
