package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// loginForm is the login screen's form; the password is never shown back.
type loginForm struct {
	Email    string
	password string
}

func readLoginForm(r *http.Request) loginForm {
	return loginForm{Email: r.PostForm.Get("email"), password: r.PostForm.Get("password")}
}

// Validate says what is missing.
func (f loginForm) Validate() []problem {
	var probs []problem
	if login.NormalizeEmail(f.Email) == "" {
		probs = append(probs, problem{"email", "Enter your email address."})
	}
	if f.password == "" {
		probs = append(probs, problem{"password", "Enter your password."})
	}
	return probs
}

func (s *Server) loginCheck(w http.ResponseWriter, r *http.Request) {
	p := &loginPage{chrome: s.newChrome("Log in", nil), Form: readLoginForm(r)}
	email, pw := p.Form.Email, p.Form.password
	if p.Errors = p.Form.Validate(); len(p.Errors) > 0 {
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
