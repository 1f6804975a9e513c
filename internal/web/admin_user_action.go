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

// actionPage asks to confirm an action on a user.
type actionPage struct {
	chrome
	Account *accountView
	Form    actionForm // the reason, as it will be kept
	Action  *actionConfirm
}

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
	f := readActionForm(name, r)
	in, probs := f.Validate(s.login.Rules)
	if len(probs) > 0 {
		s.userActionProblem(w, r, sess, u, f, probs)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.confirmUserAction(w, r, sess, u, act, f, in)
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
		s.userActionProblem(w, r, sess, u, f, []problem{pr})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?m=%s", u.ID, act.Notice), http.StatusSeeOther)
}

// confirmUserAction says what the action will do and asks to confirm it,
// with what the form sent in hidden fields.
func (s *Server) confirmUserAction(w http.ResponseWriter, r *http.Request, sess *login.Session, u *store.User, act userAction, f actionForm, in actionInput) {
	up, err := s.newUserPage(r.Context(), sess, u)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := &actionPage{chrome: up.chrome, Account: up.Account, Form: actionForm{Action: f.Action, Reason: in.Reason}}
	p.Title = act.Title
	p.Action = &actionConfirm{
		Title: act.Title, Question: act.question(s, u, in),
		Path: fmt.Sprintf("/admin/users/%d/%s", u.ID, f.Action),
	}
	if in.Duration != 0 {
		p.Action.Hidden = append(p.Action.Hidden, hiddenField{"duration", f.Duration})
	}
	if in.Phone != "" {
		p.Action.Hidden = append(p.Action.Hidden, hiddenField{"phone", in.Phone})
	}
	s.render(w, r, http.StatusOK, "admin_action", p)
}

// userActionProblem shows the user's page again with the action's form
// open, what was typed in it, and what is wrong.
func (s *Server) userActionProblem(w http.ResponseWriter, r *http.Request, sess *login.Session, u *store.User, f actionForm, probs []problem) {
	p, err := s.newUserPage(r.Context(), sess, u)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if f.Duration == "" {
		f.Duration = p.Form.Duration
	}
	p.Form = f
	p.Errors = probs
	s.render(w, r, http.StatusUnprocessableEntity, "admin_user", p)
}
