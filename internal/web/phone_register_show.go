package web

// The Update Phone Number screen of the first login with MFA: enter the
// number, Send Verification Code, enter the code, Verify Code, log in
// again.

import (
	"net/http"

	"github.com/providerportal/portal/internal/login"
)

// registerTitle is the screen's name in the help article, the title of
// its first step (the number); registerCodeTitle that of its second (the
// code), so that a person, a screen reader or the browser's history can
// tell the two apart. Both steps keep the heading Update Phone Number.
const (
	registerTitle     = "Update Phone Number"
	registerCodeTitle = "Enter the code – Update Phone Number"
)

func (s *Server) phoneRegisterShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.newRegisterPage(r, sess)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "register_phone", p)
}

// registerPage is the Update Phone Number screen: the number form, or the
// code form once a code was sent to a pending number.
type registerPage struct {
	codePage
	Form phoneForm
}

// stepTitled gives the code step its own title.
func (p *registerPage) stepTitled() *registerPage {
	if p.Code.Sent {
		p.Title = registerCodeTitle
	}
	return p
}

// newRegisterPage shows the number form, or the code form once a code was
// sent to a pending number.
func (s *Server) newRegisterPage(r *http.Request, sess *login.Session) (*registerPage, error) {
	cp, err := s.newCodePage(r, registerScreen, sess)
	if err != nil {
		return nil, err
	}
	p := &registerPage{codePage: *cp}
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
	return p.stepTitled(), nil
}
