package web

// A user's page in the console: the account, its MFA state, the actions
// an administrator can take (admin_user_action.go, admin_user_actions.go)
// and its recent events.

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

const userEvents = 20

// userNotices are the messages a user's page shows after an action
// (?m=…): fixed keys only; the details come from the account as it now is.
var userNotices = map[string]func(a *accountView) string{
	"created": func(a *accountView) string {
		return "The account was created. " + a.Email + " was emailed a link to choose a password (it works once, within 72 hours); at the first login they register their phone."
	},
	"mfa-disabled": func(a *accountView) string {
		if !a.MFADisabled {
			return "MFA was disabled for " + a.Name + ", and the time has already passed."
		}
		return "MFA is disabled for " + a.Name + " until " + a.DisabledUntil + ". They log in with email and password alone until then; after that the code is asked for again. They were told by email and logged out everywhere."
	},
	"mfa-enabled": func(a *accountView) string {
		return "The MFA disable for " + a.Name + " has ended. Their next login asks for a code if MFA applies to them."
	},
	"phone-changed": func(a *accountView) string {
		return "The phone number of " + a.Name + " is now " + a.MaskedPhone + ". Their next login code goes there. They were told by email and logged out everywhere."
	},
	"mfa-override": func(a *accountView) string {
		return "MFA for " + a.Name + " is now: " + a.MFAState + ". They were told by email."
	},
	"unlocked": func(a *accountView) string {
		return "The account of " + a.Name + " is unlocked: they can log in again now."
	},
	"reset-sent": func(a *accountView) string {
		return "A link to set a new password was emailed to " + a.Email + ". It works once, within 30 minutes."
	},
	"sessions-ended": func(a *accountView) string {
		return a.Name + " was logged out everywhere and told by email."
	},
	"deactivated": func(a *accountView) string {
		return "The account of " + a.Name + " is deactivated: they were logged out and cannot log in."
	},
	"reactivated": func(a *accountView) string {
		return "The account of " + a.Name + " is active again."
	},
	"role-granted": func(a *accountView) string {
		return a.Name + " is now an administrator."
	},
	"role-removed": func(a *accountView) string {
		return a.Name + " is no longer an administrator."
	},
}

// userFromPath loads the account named by the {id} of the address; it
// answers 404 itself when there is none.
func (s *Server) userFromPath(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return nil, false
	}
	u, err := s.records.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r)
		return nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, false
	}
	return u, true
}

// userPage is a user's page: the account, its actions' forms (one of them
// shown again with what was typed, after a problem) and its recent events.
type userPage struct {
	chrome
	Account   *accountView
	PortalMFA bool // MFA is required for everyone
	Events    []auditRow
	Form      actionForm
}

// newUserPage builds a user's page: the account as it is now and its
// recent events.
func (s *Server) newUserPage(ctx context.Context, sess *login.Session, u *store.User) (*userPage, error) {
	policy, err := s.admin.Policy(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.accountView(ctx, sess, u, policy)
	if err != nil {
		return nil, err
	}
	events, err := s.records.AuditForUser(ctx, u.ID, userEvents)
	if err != nil {
		return nil, err
	}
	p := &userPage{chrome: s.adminChrome(u.Name, "users", sess), Account: &v, PortalMFA: policy.Required}
	p.Form.Duration = defaultDuration
	if p.Events, err = s.auditRows(ctx, events); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) adminUserShow(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	u, ok := s.userFromPath(w, r)
	if !ok {
		return
	}
	p, err := s.newUserPage(r.Context(), sess, u)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	switch m := r.URL.Query().Get("m"); {
	case m == "invite-failed":
		p.Errors = []problem{{Message: "The account was created, but the invitation email could not be sent. Use \u201cSend password reset\u201d below to send a link to choose a password."}}
	case userNotices[m] != nil:
		p.Notice = userNotices[m](p.Account)
	}
	s.render(w, r, http.StatusOK, "admin_user", p)
}

// reasonField is the Reason input of one action's form.
type reasonField struct {
	ID      string // "<action>-reason"
	Value   string
	Error   *problem
	Emailed bool // the reason is quoted in the email to the person
}

// Reason returns the Reason input of action's form, with what was typed
// when the page is shown again after a problem with that form.
func (p *userPage) Reason(action string) reasonField {
	f := reasonField{ID: action + "-reason", Error: p.FieldError(action + "-reason"), Emailed: action != "send-reset"}
	if p.Form.Action == action {
		f.Value = p.Form.Reason
	}
	return f
}

// Open reports whether the form of action is the one shown again.
func (p *userPage) Open(action string) bool { return p.Form.Action == action }

// Durations are the lengths an MFA disable can have.
func (p *userPage) Durations() []durationOption { return mfaDurations }
