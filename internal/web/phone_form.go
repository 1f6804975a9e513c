package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/providerportal/portal/internal/login"
)

// phoneForm is a form with a new phone number: Send Verification Code on
// Update Phone Number, and Update on My Details, which also takes the
// password when the login is too old. The number is checked by the login
// service, by the rules of every number; the password is never shown
// back.
type phoneForm struct {
	Phone        string
	password     string
	passwordSent bool // the form had a password field
}

// readPhoneForm reads a parsed phone number form.
func readPhoneForm(r *http.Request) phoneForm {
	_, sent := r.PostForm["password"]
	return phoneForm{Phone: r.PostForm.Get("phone"), password: r.PostForm.Get("password"), passwordSent: sent}
}

// toCodeScreen answers a phone form whose number was sent its code (err
// nil) or was not: on to the code screen at screen, which says why
// sending failed and offers to send again. A login error of one of kinds
// (the number refused, the code step over) is the caller's to answer:
// toCodeScreen returns it and writes nothing.
func (s *Server) toCodeScreen(w http.ResponseWriter, r *http.Request, err error, screen string, kinds ...login.Kind) *login.Error {
	var le *login.Error
	switch {
	case err == nil:
		http.Redirect(w, r, screen, http.StatusSeeOther)
	case !errors.As(err, &le):
		s.internalError(w, r, err)
	case slices.Contains(kinds, le.Kind):
		return le
	default:
		http.Redirect(w, r, screen+"?m="+sendProblemKey(err), http.StatusSeeOther)
	}
	return nil
}
