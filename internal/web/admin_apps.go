package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// The console's Applications page: the applications registered to sign
// people in through the portal (OpenID Connect or forward-auth), with
// Create application, Rotate secret and Disable. Every change goes
// through admin.Service, as `portal app` does, so the rules are written
// once and each change is audited.

const appsTitle = "Applications"

// appView is an application as the console lists it.
type appView struct {
	Name, ClientID         string
	Kind                   string // "Confidential" or "Public"
	Public                 bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string
	ForwardAuthHosts       []string
	AdminsOnly             bool
	Disabled               bool
	DisabledAt, Created    string
}

func newAppView(a *store.Application) appView {
	v := appView{
		Name: a.Name, ClientID: a.ClientID, Kind: "Confidential", Public: a.Public,
		RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs,
		BackchannelLogoutURI: a.BackchannelLogoutURI, ForwardAuthHosts: a.ForwardAuthHosts,
		AdminsOnly: a.AdminsOnly, Disabled: a.Disabled(), Created: formatTime(a.CreatedAt),
	}
	if a.Public {
		v.Kind = "Public"
	}
	if v.Disabled {
		v.DisabledAt = formatTime(a.DisabledAt)
	}
	return v
}

// appsNotices are the list's notices after an action (?m=…).
var appsNotices = map[string]string{
	"disabled": "The application was disabled: it signs no one in, and every token issued to it was revoked.",
}

func (s *Server) adminApps(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.appsPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Notice = appsNotices[r.URL.Query().Get("m")]
	s.render(w, r, http.StatusOK, "admin_apps", p)
}

// appsPage is the list of applications, for the page and for an action's
// problem shown on it.
func (s *Server) appsPage(r *http.Request, sess *login.Session) (*appsList, error) {
	list, err := s.admin.Applications(r.Context(), s.actor(r, sess))
	if err != nil {
		return nil, err
	}
	p := &appsList{chrome: s.adminChrome(appsTitle, "applications", sess)}
	p.AppList = make([]appView, len(list))
	for i := range list {
		p.AppList[i] = newAppView(&list[i])
	}
	return p, nil
}

// appAction is Rotate secret or Disable: the first POST asks for a reason
// and to confirm (confirm=yes); only then does run act.
type appAction struct {
	Title    string
	question func(a appView) string
	// run acts, with the reason given, and answers the page; an error
	// is returned before anything is written to w.
	run func(s *Server, w http.ResponseWriter, r *http.Request, sess *login.Session, a appView, reason string) error
}

// adminAppAction finds the application of the path, asks to confirm,
// then runs the action.
func (s *Server) adminAppAction(act appAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		p, err := s.appsPage(r, sess)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		id := r.PathValue("client")
		var app *appView
		for i := range p.AppList {
			if p.AppList[i].ClientID == id {
				app = &p.AppList[i]
			}
		}
		if app == nil {
			s.notFound(w, r)
			return
		}
		p.Title = act.Title
		p.Action = &actionConfirm{Title: act.Title, Question: act.question(*app), Path: r.URL.Path}
		if r.PostForm.Get("confirm") != "yes" {
			s.render(w, r, http.StatusOK, "admin_app_confirm", p)
			return
		}
		p.Reason = r.PostForm.Get("reason")
		err = act.run(s, w, r, sess, *app, p.Reason)
		if pr, ok := userProblem(err, ""); ok && pr.Field == "reason" {
			p.Errors = []problem{pr}
			s.render(w, r, http.StatusUnprocessableEntity, "admin_app_confirm", p)
		} else if err != nil {
			s.appProblem(w, r, sess, err)
		}
	}
}

// appProblem shows the list again with what went wrong, or the error page
// for an internal error.
func (s *Server) appProblem(w http.ResponseWriter, r *http.Request, sess *login.Session, err error) {
	pr, ok := userProblem(err, "")
	if errors.Is(err, admin.ErrNoApplication) {
		pr, ok = problem{Message: "There is no such application."}, true
	}
	if !ok {
		s.internalError(w, r, err)
		return
	}
	p, err := s.appsPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Errors = []problem{pr}
	s.render(w, r, http.StatusUnprocessableEntity, "admin_apps", p)
}

// lines splits a textarea into its non-empty lines.
func lines(v string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
