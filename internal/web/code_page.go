package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// sendProblems are the messages a code screen shows after a redirect from
// a step that tried to send a code (?m=…). The second form of each is for
// the login code screen, which offers "Send code to email".
var sendProblems = map[string][2]string{
	"send-failed": {
		"We could not send the text message just now. Try again in a moment.",
		"We could not send the text message just now. Try again in a moment, or use \u201cSend code to email\u201d.",
	},
	"send-rejected": {
		"The code could not be sent: this phone number could not receive our text message. Check that it is a mobile number in international format.",
		"The code could not be sent: your phone number could not receive our text message. Use \u201cSend code to email\u201d, or ask your administrator to check the number.",
	},
	"send-limited": {
		"No new code was sent: several codes have been sent recently.",
		"No new code was sent: several codes have been sent recently. Use \u201cSend code to email\u201d, or wait a little and ask again.",
	},
	"send-locked": {
		"Too many wrong codes have been entered for this account. Wait a while before trying again, or contact your system administrator.",
		"Too many wrong codes have been entered for this account. Wait a while before trying again, or contact your system administrator.",
	},
	"send-cooldown": {
		"A code was sent moments ago. Use that one, or wait a little before asking for another.",
		"A code was sent moments ago. Use that one, or wait a little before asking for another.",
	},
}

// sendProblemKey names the sending problem for a redirect.
func sendProblemKey(err error) string {
	var le *login.Error
	if !errors.As(err, &le) {
		return "send-failed"
	}
	switch le.Kind {
	case login.KindTooManyCodes:
		return "send-limited"
	case login.KindCodeLocked:
		return "send-locked"
	case login.KindCooldown:
		return "send-cooldown"
	case login.KindUndeliverable:
		return "send-rejected"
	}
	return "send-failed"
}

// codePage builds a code screen with the status of the current code.
func (s *Server) codePage(r *http.Request, title string, sess *login.Session, purpose store.Purpose) (*page, error) {
	st, err := s.login.CodeStatus(r.Context(), sess, purpose)
	if err != nil {
		return nil, err
	}
	next, err := s.login.NextCodeAt(r.Context(), sess)
	if err != nil {
		return nil, err
	}
	p := s.newPage(title, sess)
	p.Code = codeView{CodeStatus: st, now: s.now(), StatusURL: statusURLs[purpose], NextCodeAt: next}
	// Codes by email share the account's budget: offered only when it has
	// room.
	p.EmailFallback = p.EmailFallback && !p.Code.Limited()
	key := r.URL.Query().Get("m")
	if msgs, ok := sendProblems[key]; ok {
		msg := msgs[0]
		if purpose == store.PurposeLogin && p.EmailFallback {
			msg = msgs[1]
		}
		if key == "send-limited" {
			msg += p.Code.StillWorks()
		}
		p.Errors = []problem{{Message: msg}}
	}
	return p, nil
}

// statusURLs answer the delivery status of each screen's code.
var statusURLs = map[store.Purpose]string{
	store.PurposeLogin:         "/login/code/status",
	store.PurposeRegisterPhone: "/login/phone/status",
	store.PurposeChangePhone:   "/my-details/phone/status",
	store.PurposeStepUp:        "/admin/confirm/status",
}

// codeStatus answers, as JSON, where the session's newest code for
// purpose is on its way ({"status": "queued"|"sending"|"sent"|…}); the code
// screens' script asks while it is pending and reloads when it is not.
// Nothing secret is in it.
func (s *Server) codeStatus(purpose store.Purpose) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.writeCodeStatus(w, r, sessionOf(r), purpose)
	}
}

// writeCodeStatus is the answer of codeStatus, for a session its screen's
// checks let through.
func (s *Server) writeCodeStatus(w http.ResponseWriter, r *http.Request, sess *login.Session, purpose store.Purpose) {
	st, err := s.login.CodeStatus(r.Context(), sess, purpose)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": string(st.Delivery)})
}

func (s *Server) codeShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	p, err := s.codePage(r, "Enter your code", sess, store.PurposeLogin)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if r.URL.Query().Get("m") == "sent-email" {
		p.Notice = "We emailed you a code. It may take a minute to arrive; check your junk folder too."
	}
	s.render(w, r, http.StatusOK, "code", p)
}

func (s *Server) codeCheck(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	full, err := s.login.VerifyLoginCode(r.Context(), sess, r.PostForm.Get("code"), s.client(r))
	if err != nil {
		s.codeFailed(w, r, sess, err, "code", "Enter your code", store.PurposeLogin)
		return
	}
	s.setSessionCookie(w, full.Token)
	s.setDeviceCookie(w, full.Device)
	target, err := s.afterLogin(w, r)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther) // #nosec G710 -- target comes from afterLogin: the home page, the portal or a registered forward-auth host
}

// codeFailed answers a wrong, expired or used code on any code screen.
// When the login attempt can no longer succeed, the half-finished session
// ends and the person starts again at the login screen.
func (s *Server) codeFailed(w http.ResponseWriter, r *http.Request, sess *login.Session, err error, tmpl, title string, purpose store.Purpose) {
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	if sess.Stage != store.StageFull && le.Kind == login.KindChangedMeanwhile {
		// The login service has ended the session: a phone was
		// registered for the account since it began.
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/login?m=registered-since", http.StatusSeeOther)
		return
	}
	if sess.Stage != store.StageFull && (le.Kind == login.KindCodeExhausted || le.Kind == login.KindCodeLocked) {
		if err := s.login.Abandon(r.Context(), sess); err != nil {
			s.internalError(w, r, err)
			return
		}
		s.clearSessionCookie(w)
		key := "code-exhausted"
		if le.Kind == login.KindCodeLocked {
			key = "code-locked"
		}
		http.Redirect(w, r, "/login?m="+key, http.StatusSeeOther)
		return
	}
	p, perr := s.codePage(r, title, sess, purpose)
	if perr != nil {
		s.internalError(w, r, perr)
		return
	}
	p.Errors = []problem{{Field: "code", Message: le.Message}}
	status := http.StatusUnprocessableEntity
	if le.Kind == login.KindCodeLocked {
		status = http.StatusTooManyRequests
	}
	s.render(w, r, status, tmpl, p)
}

func (s *Server) codeResend(w http.ResponseWriter, r *http.Request) {
	s.codeSend(w, r, store.ChannelSMS)
}

func (s *Server) codeEmail(w http.ResponseWriter, r *http.Request) {
	s.codeSend(w, r, store.ChannelEmail)
}

func (s *Server) codeSend(w http.ResponseWriter, r *http.Request, ch store.Channel) {
	sess := sessionOf(r)
	_, err := s.login.SendLoginCode(r.Context(), sess, ch, s.client(r))
	if err != nil {
		s.sendFailed(w, r, sess, err, "code", "Enter your code", store.PurposeLogin)
		return
	}
	target := "/login/code"
	if ch == store.ChannelEmail {
		target += "?m=sent-email"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sendFailed shows why a code could not be sent, on the code screen.
func (s *Server) sendFailed(w http.ResponseWriter, r *http.Request, sess *login.Session, err error, tmpl, title string, purpose store.Purpose) {
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	if (le.Kind == login.KindCodeExhausted || le.Kind == login.KindChangedMeanwhile) && sess.Stage != store.StageFull {
		s.codeFailed(w, r, sess, err, tmpl, title, purpose)
		return
	}
	p, perr := s.codePage(r, title, sess, purpose)
	if perr != nil {
		s.internalError(w, r, perr)
		return
	}
	msg := le.Message
	if le.Kind == login.KindTooManyCodes {
		msg += p.Code.StillWorks()
	}
	p.Errors = []problem{{Message: msg}}
	status := http.StatusUnprocessableEntity
	switch le.Kind {
	case login.KindCooldown, login.KindTooManyCodes, login.KindCodeLocked:
		status = http.StatusTooManyRequests
	case login.KindDeliveryFailed, login.KindUndeliverable:
		status = http.StatusBadGateway
	}
	s.render(w, r, status, tmpl, p)
}
