package web

import (
	"encoding/json"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

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
