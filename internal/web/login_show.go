package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/store"
)

// loginNotices are the messages the login screen shows after a redirect
// (?m=…). Only these fixed keys exist: nothing from the URL is echoed.
var loginNotices = map[string]problem{
	"phone-registered": {Message: "Your phone number is registered. Log in again: this time a code will be sent to it."},
	"logged-out":       {Message: "You have logged out."},
	"setup-done":       {Message: "Your administrator account is ready. Log in to register the phone for your login codes."},
	"password-set":     {Message: "Your password was changed and you were logged out everywhere. Log in with the new password."},
	"account-ready":    {Message: "Your password is set. Log in with it: you will then be asked for the mobile number that login codes go to."},
	"ended":            {Message: "You were logged out: your session timed out or ended on another device (for example after a phone number change). Log in again to continue."},
	"registered-since": {Field: "!", Message: "A phone number has been registered for this account since your login began, so that login has ended. Log in again: the code will be sent to the registered number. If you did not register it, contact your system administrator."},
	"code-exhausted":   {Field: "!", Message: "The code was entered wrongly too many times, so it no longer works. Log in again to get a new code."},
	"code-locked":      {Field: "!", Message: "Too many wrong codes have been entered for this account. Wait a while, then log in again, or contact your system administrator."},
}

// loginPage is the login screen: email and password.
type loginPage struct {
	chrome
	Form loginForm
}

func (s *Server) loginShow(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// ?rd= is the application to go back to after login (/auth/verify
	// sends people here with it); an address returnTarget refuses is
	// ignored.
	back, err := s.returnTarget(r.Context(), r.URL.Query().Get("rd"))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if sess != nil && sess.Stage == store.StageFull && back != "" {
		http.Redirect(w, r, back, http.StatusSeeOther) // #nosec G710 -- back comes from returnTarget: the portal or a registered forward-auth host
		return
	}
	if back != "" {
		s.setReturnCookie(w, back)
		allowFormTarget(w, back)
	}
	if sess != nil {
		http.Redirect(w, r, stagePath(sess.Stage), http.StatusSeeOther)
		return
	}
	if setup, err := s.login.SetupNeeded(r.Context()); err != nil {
		s.internalError(w, r, err)
		return
	} else if setup {
		s.renderMessage(w, r, http.StatusOK, "Welcome to "+s.portalName,
			"This portal has no accounts yet. Open the one-time set-up link that the portal printed when it started to create the first administrator.", "", "")
		return
	}
	p := &loginPage{chrome: s.newChrome("Log in", nil)}
	if n, ok := loginNotices[r.URL.Query().Get("m")]; ok {
		if n.Field == "!" {
			p.Errors = []problem{{Message: n.Message}}
		} else {
			p.Notice = n.Message
		}
	}
	s.render(w, r, http.StatusOK, "login", p)
}
