package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// The actions on a user's page. Each is a small form with a Reason; the
// first POST shows what will happen and asks to confirm (confirm=yes);
// only then does admin.Service act, and the user's page says what was done.

// durationOption is an entry of the MFA disable's duration list.
type durationOption struct{ Value, Label string }

// mfaDurations are the choices of "Disable MFA temporarily": the admin
// service's (admin.DisableChoices), as "24h" and "24 hours".
var mfaDurations = func() []durationOption {
	out := make([]durationOption, len(admin.DisableChoices))
	for i, d := range admin.DisableChoices {
		out[i] = durationOption{durationValue(d), durationLabel(d)}
	}
	return out
}()

// defaultDuration is the choice the form starts with.
var defaultDuration = durationValue(admin.DefaultDisable)

func durationValue(d time.Duration) string { return fmt.Sprintf("%dh", int(d/time.Hour)) }

// durationLabel writes a whole number of hours in words: hours up to a
// day, days beyond ("24 hours", "2 days").
func durationLabel(d time.Duration) string {
	n, unit := int(d/time.Hour), "hour"
	if d > 24*time.Hour && d%(24*time.Hour) == 0 {
		n, unit = int(d/(24*time.Hour)), "day"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// actionInput is what an action's form sent, checked.
type actionInput struct {
	Reason   string
	Duration time.Duration // disable-mfa
	Label    string        // the duration in words
	Phone    string        // update-phone: the number, normalised
}

// userAction is one action of a user's page.
type userAction struct {
	Title  string // the button's words, and the confirmation's heading
	Notice string // key of the user page's notice afterwards
	// question says what will happen, for the confirmation.
	question func(s *Server, u *store.User, in actionInput) string
	run      func(ctx context.Context, s *Server, a admin.Actor, u *store.User, in actionInput) error
}

var userActions = map[string]userAction{
	"disable-mfa": {
		Title: "Disable MFA temporarily", Notice: "mfa-disabled",
		question: func(s *Server, u *store.User, in actionInput) string {
			return fmt.Sprintf("Disable MFA for %s for %s? They will log in with email and password alone until %s; then the code is asked for again by itself. They will be told by email and logged out everywhere.",
				u.Name, in.Label, formatTime(s.now().Add(in.Duration)))
		},
		run: func(ctx context.Context, s *Server, a admin.Actor, u *store.User, in actionInput) error {
			return s.admin.DisableMFA(ctx, a, u.ID, in.Duration, in.Reason)
		},
	},
	"end-mfa-disable": named("End MFA disable now", "mfa-enabled",
		"End the MFA disable for %s now? From their next login the code is asked for again (if MFA applies to them). They will be told by email.",
		(*admin.Service).EndMFADisable),
	"update-phone": {
		Title: "Update phone number", Notice: "phone-changed",
		question: func(s *Server, u *store.User, in actionInput) string {
			return fmt.Sprintf("Change the phone number of %s to %s? Their next login code goes to that number. They will be told by email and logged out everywhere.", u.Name, in.Phone)
		},
		run: func(ctx context.Context, s *Server, a admin.Actor, u *store.User, in actionInput) error {
			return s.admin.SetPhone(ctx, a, u.ID, in.Phone, in.Reason)
		},
	},
	"require-mfa": override("Require MFA", store.MFARequired,
		"Require MFA for %s, whatever the portal-wide policy? Every login will ask for a code. They will be told by email."),
	"exempt-mfa": override("Exempt from MFA", store.MFAExempt,
		"Exempt %s from MFA? They will log in with email and password alone until this is changed. They will be told by email and logged out everywhere."),
	"follow-policy": override("Follow portal policy", store.MFAFollowPolicy,
		"Let %s follow the portal-wide MFA policy? Whether a code is asked for then depends on the Settings page. They will be told by email."),
	"unlock": named("Unlock", "unlocked",
		"Unlock the account of %s? The locks from wrong passwords and wrong codes are lifted, and they can log in again at once. They will be told by email.",
		(*admin.Service).Unlock),
	"send-reset": {
		Title: "Send password reset", Notice: "reset-sent",
		question: func(s *Server, u *store.User, in actionInput) string {
			return fmt.Sprintf("Email %s a link to set a new password, to %s? It works once, within 30 minutes; their current password keeps working until the link is used.", u.Name, u.Email)
		},
		run: func(ctx context.Context, s *Server, a admin.Actor, u *store.User, in actionInput) error {
			return s.admin.SendPasswordReset(ctx, a, u.ID, in.Reason)
		},
	},
	"end-sessions": named("End all sessions", "sessions-ended",
		"End all sessions of %s? They will be logged out on every device and told by email.",
		(*admin.Service).EndSessions),
	"deactivate": active("Deactivate", false, "deactivated",
		"Deactivate the account of %s? They will be logged out everywhere and cannot log in until the account is reactivated. They will be told by email."),
	"reactivate": active("Reactivate", true, "reactivated",
		"Reactivate the account of %s? They can log in again. They will be told by email."),
	"make-admin": role("Make administrator", true, "role-granted",
		"Make %s an administrator? They will be able to use this console, after a full login with password and code. They will be told by email."),
	"remove-admin": role("Remove administrator", false, "role-removed",
		"Remove the administrator role from %s? They will no longer reach this console. They will be told by email."),
}

// named is an action whose question names the user (question's one %s)
// and which is one call of admin.Service with the user and the reason.
func named(title, notice, question string, run func(*admin.Service, context.Context, admin.Actor, int64, string) error) userAction {
	return userAction{
		Title: title, Notice: notice,
		question: func(s *Server, u *store.User, in actionInput) string { return fmt.Sprintf(question, u.Name) },
		run: func(ctx context.Context, s *Server, a admin.Actor, u *store.User, in actionInput) error {
			return run(s.admin, ctx, a, u.ID, in.Reason)
		},
	}
}

func override(title string, o store.MFAOverride, question string) userAction {
	return named(title, "mfa-override", question, func(s *admin.Service, ctx context.Context, a admin.Actor, id int64, reason string) error {
		return s.SetMFAOverride(ctx, a, id, o, reason)
	})
}

func active(title string, on bool, notice, question string) userAction {
	return named(title, notice, question, func(s *admin.Service, ctx context.Context, a admin.Actor, id int64, reason string) error {
		return s.SetActive(ctx, a, id, on, reason)
	})
}

func role(title string, isAdmin bool, notice, question string) userAction {
	return named(title, notice, question, func(s *admin.Service, ctx context.Context, a admin.Actor, id int64, reason string) error {
		return s.SetRole(ctx, a, id, isAdmin, reason)
	})
}

// actionForm is what an action's form on a user's page sent, as typed:
// Action names the action, and so the form shown again after a problem.
type actionForm struct {
	Action, Reason string
	Duration       string // disable-mfa: "24h"
	Phone          string // update-phone
}

func readActionForm(action string, r *http.Request) actionForm {
	return actionForm{Action: action, Reason: r.PostForm.Get("reason"), Duration: r.PostForm.Get("duration"), Phone: r.PostForm.Get("phone")}
}

// Validate checks the form: a reason, and the duration or number the
// action needs (a number by the rules of every number, rules.AcceptPhone).
// The domain checks again; this keeps the confirmation from promising what
// cannot be done. It returns the input as the action takes it.
func (f actionForm) Validate(rules login.Rules) (actionInput, []problem) {
	in := actionInput{Reason: strings.TrimSpace(f.Reason)}
	var probs []problem
	switch f.Action {
	case "disable-mfa":
		for _, d := range mfaDurations {
			if d.Value == f.Duration {
				in.Duration, _ = time.ParseDuration(f.Duration)
				in.Label = d.Label
			}
		}
		if in.Duration == 0 {
			probs = append(probs, problem{"duration", "Choose how long MFA is disabled, from " +
				durationLabel(admin.MinDisable) + " to " + durationLabel(admin.MaxDisable) + "."})
		}
	case "update-phone":
		number, err := rules.AcceptPhone(f.Phone)
		var le *login.Error
		switch {
		case errors.As(err, &le):
			probs = append(probs, problem{"phone", le.Message})
		case err != nil:
			probs = append(probs, problem{"phone", "Enter the mobile number in international format, for example +447546XXXXXX."})
		default:
			in.Phone = number
		}
	}
	if in.Reason == "" {
		probs = append(probs, problem{f.Action + "-reason", "Give a reason: it is kept in the audit log."})
	}
	return in, probs
}
