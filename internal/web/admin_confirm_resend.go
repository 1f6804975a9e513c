package web

import "net/http"

func (s *Server) stepUpResend(w http.ResponseWriter, r *http.Request) {
	sess, nextPage, done := s.stepUpForm(w, r)
	if done {
		return
	}
	if err := s.login.ResendStepUpCode(r.Context(), sess, s.client(r)); err != nil {
		s.stepUpFailed(w, r, sess, nextPage, err, "")
		return
	}
	s.renderStepUp(w, r, sess, http.StatusOK, stepUpView{Next: nextPage, Code: true}, nil)
}
