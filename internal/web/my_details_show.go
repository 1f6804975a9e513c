package web

// My Details and its Multi-factor Authentication section: a new number,
// Update, a code to the NEW number, Verify Code. The old number stays in
// force until the code is entered.

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
)

// myDetailsPage is My Details: the account, and the form of a new number.
type myDetailsPage struct {
	chrome
	MaskedPhone     string // "" while no phone is registered
	ConfirmPassword bool   // the form asks for the password too
	Form            phoneForm
}

func (s *Server) newMyDetailsPage(sess *login.Session) *myDetailsPage {
	p := &myDetailsPage{chrome: s.newChrome("My Details", sess)}
	if sess.User.Phone != "" {
		p.MaskedPhone = phone.Mask(sess.User.Phone)
	}
	return p
}

func (s *Server) myDetailsShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p := s.newMyDetailsPage(sess)
	if r.URL.Query().Get("m") == "phone-changed" {
		p.Notice = "Your phone number has been changed. Login codes now go to " + p.MaskedPhone + ", and your other devices were logged out."
	}
	s.render(w, r, http.StatusOK, "my_details", p)
}
