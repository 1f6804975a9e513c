package web

import (
	"fmt"
	"net/http"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// actionConfirm is the confirmation of an action.
type actionConfirm struct {
	Title    string
	Question string
	Path     string // where the confirmed form posts
	Hidden   []hiddenField
}

type hiddenField struct{ Name, Value string }

func (s *Server) adminUserAction(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	name := r.PathValue("action")
	act, known := userActions[name]
	if !known {
		s.notFound(w, r)
		return
	}
	u, ok := s.userFromPath(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.badForm(w, r, err)
		return
	}
	in, probs := readAction(name, r, s.login.Rules)
	if len(probs) > 0 {
		s.userActionProblem(w, r, sess, u, name, probs)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		p, err := s.userPage(r.Context(), sess, u)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		p.Title = act.Title
		p.Form.Reason = in.Reason
		p.Action = &actionConfirm{
			Title: act.Title, Question: act.question(s, u, in),
			Path: fmt.Sprintf("/admin/users/%d/%s", u.ID, name),
		}
		if in.Duration != 0 {
			p.Action.Hidden = append(p.Action.Hidden, hiddenField{"duration", r.PostForm.Get("duration")})
		}
		if in.Phone != "" {
			p.Action.Hidden = append(p.Action.Hidden, hiddenField{"phone", in.Phone})
		}
		s.render(w, r, http.StatusOK, "admin_action", p)
		return
	}
	if err := act.run(r.Context(), s, s.actor(r, sess), u, in); err != nil {
		pr, ok := userProblem(err, "")
		if !ok {
			s.internalError(w, r, err)
			return
		}
		if pr.Field == "reason" {
			pr.Field = name + "-reason"
		}
		s.userActionProblem(w, r, sess, u, name, []problem{pr})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?m=%s", u.ID, act.Notice), http.StatusSeeOther)
}

// userActionProblem shows the user's page again with the action's form
// open, what was typed in it, and what is wrong.
func (s *Server) userActionProblem(w http.ResponseWriter, r *http.Request, sess *login.Session, u *store.User, name string, probs []problem) {
	p, err := s.userPage(r.Context(), sess, u)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Form.Action = name
	p.Form.Reason = r.PostForm.Get("reason")
	p.Form.Phone = r.PostForm.Get("phone")
	if d := r.PostForm.Get("duration"); d != "" {
		p.Form.Duration = d
	}
	p.Errors = probs
	s.render(w, r, http.StatusUnprocessableEntity, "admin_user", p)
}
