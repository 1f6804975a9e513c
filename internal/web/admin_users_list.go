package web

// The console's list of users: search by name, email or phone digits,
// pages in email order, and each account's MFA state at a glance.

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/store"
)

const (
	usersPerPage = 50
	maxSearch    = 100
	// adminTime is how the console writes a moment (always UTC).
	adminTime = "2 Jan 2006 15:04 MST"
)

// usersPage is the list of users.
type usersPage struct {
	chrome
	Form           searchForm
	Accounts       []accountView
	NextPage       string // link to the next page; "" on the last
	Link, LinkText string // back to the first page, or clear the search
}

// searchForm is the user list's search, trimmed to maxSearch characters.
type searchForm struct{ Search string }

func readSearchForm(q url.Values) searchForm {
	f := searchForm{Search: strings.TrimSpace(q.Get("q"))}
	if rs := []rune(f.Search); len(rs) > maxSearch {
		f.Search = string(rs[:maxSearch])
	}
	return f
}

func (s *Server) adminUsersList(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	p := &usersPage{chrome: s.adminChrome("Users", "users", sess), Form: readSearchForm(r.URL.Query())}
	after := r.URL.Query().Get("after")
	users, err := s.records.ListUsers(ctx, store.UserQuery{Search: p.Form.Search, After: after, Limit: usersPerPage + 1})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	users, more := onePage(users, usersPerPage)
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
