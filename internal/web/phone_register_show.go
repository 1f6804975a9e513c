package web

// The Update Phone Number screen of the first login with MFA: enter the
// number, Send Verification Code, enter the code, Verify Code, log in
// again.

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

const registerTitle = "Update Phone Number"

func (s *Server) phoneRegisterShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.registerPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "register_phone", p)
}

// registerPage shows the number form, or the code form once a code was
// sent to a pending number.
func (s *Server) registerPage(r *http.Request, sess *login.Session) (*page, error) {
	p, err := s.codePage(r, registerTitle, sess, store.PurposeRegisterPhone)
	if err != nil {
		return nil, err
	}
	switch {
	case sess.PendingPhone == "":
		p.Code = codeView{}
	case !p.Code.Sent:
		// Sending failed: offer the number again, to correct or retry.
		p.Form.Phone = sess.PendingPhone
		if p.Code.Undelivered && len(p.Errors) == 0 {
			p.Errors = []problem{{Field: "phone", Message: "The code could not be sent to " + p.Code.Destination + ". Check that this is a mobile number in international format, then click Send Verification Code again."}}
		}
	}
	return p, nil
}
