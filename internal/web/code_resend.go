package web

import (
	"errors"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

func (s *Server) codeResend(w http.ResponseWriter, r *http.Request) {
	s.codeSend(w, r, store.ChannelSMS)
}

func (s *Server) codeSend(w http.ResponseWriter, r *http.Request, ch store.Channel) {
	sess := sessionOf(r)
	_, err := s.login.SendLoginCode(r.Context(), sess, ch, s.client(r))
	if err != nil {
		s.sendFailed(w, r, sess, err, loginScreen)
		return
	}
	target := "/login/code?m=" + sentNoticeKey
	if ch == store.ChannelEmail {
		target = "/login/code?m=" + sentEmailNoticeKey
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sendFailed shows why a code could not be sent, on the code screen.
func (s *Server) sendFailed(w http.ResponseWriter, r *http.Request, sess *login.Session, err error, sc codeScreen) {
	var le *login.Error
	if !errors.As(err, &le) {
		s.internalError(w, r, err)
		return
	}
	if (le.Kind == login.KindCodeExhausted || le.Kind == login.KindChangedMeanwhile) && sess.Stage != store.StageFull {
		s.codeFailed(w, r, sess, err, sc)
		return
	}
	p, perr := s.newCodePage(r, sc, sess)
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
	s.renderCode(w, r, status, sc, p)
}
