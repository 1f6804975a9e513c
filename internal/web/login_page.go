package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/apps"

	"github.com/providerportal/portal/internal/login"
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
	p := s.newPage("Log in", nil)
	if n, ok := loginNotices[r.URL.Query().Get("m")]; ok {
		if n.Field == "!" {
			p.Errors = []problem{{Message: n.Message}}
		} else {
			p.Notice = n.Message
		}
	}
	s.render(w, r, http.StatusOK, "login", p)
}

func (s *Server) loginCheck(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	email, pw := r.PostForm.Get("email"), r.PostForm.Get("password")
	p := s.newPage("Log in", nil)
	p.Form.Email = email
	if login.NormalizeEmail(email) == "" {
		p.Errors = append(p.Errors, problem{"email", "Enter your email address."})
	}
	if pw == "" {
		p.Errors = append(p.Errors, problem{"password", "Enter your password."})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "login", p)
		return
	}

	sess, codeErr, err := s.login.Login(r.Context(), email, pw, s.client(r))
	if err != nil {
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		var le *login.Error
		if errors.As(err, &le) && le.Kind == login.KindInvalidCredentials {
			pr.Field = "password"
		}
		p.Errors = []problem{pr}
		s.render(w, r, waitStatus(w, err, http.StatusUnprocessableEntity), "login", p)
		return
	}
	s.setSessionCookie(w, sess.Token)
	s.setDeviceCookie(w, sess.Device)
	target := stagePath(sess.Stage)
	if sess.Stage == store.StageFull { // MFA does not apply: logged in
		if target, err = s.afterLogin(w, r); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	if codeErr != nil {
		// The code screen shows what went wrong with sending and offers
		// the alternatives.
		target += "?m=" + sendProblemKey(codeErr)
	}
	http.Redirect(w, r, target, http.StatusSeeOther) // #nosec G710 -- target is a stage's own path or comes from afterLogin: the home page, the portal or a registered forward-auth host
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookie.session); err == nil {
		if err := s.login.Logout(r.Context(), c.Value, s.client(r)); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?m=logged-out", http.StatusSeeOther)
}

// loginCancel abandons a half-finished login.
func (s *Server) loginCancel(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if sess != nil && sess.Stage != store.StageFull {
		if err := s.login.Abandon(r.Context(), sess); err != nil {
			s.internalError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) homeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if s.resumePending(w, r) {
		return
	}
	p := s.newPage("Home", sess)
	p.LastLogin = sess.User.LastLoginAt
	list, err := s.login.Store.ListApplications(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Applications = apps.For(list, sess.User)
	s.render(w, r, http.StatusOK, "home", p)
}
