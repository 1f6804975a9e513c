package web

import (
	"context"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/phone"
	"github.com/providerportal/portal/internal/store"
)

// accountView is an account as the console shows it.
type accountView struct {
	*store.User
	Self          bool   // the administrator looking at it
	MaskedPhone   string // "" while no phone is registered
	MFAState      string // "Required", "Disabled until …", "Exempt", "Not required by policy"
	MFADisabled   bool   // a temporary disable is running …
	DisabledUntil string // … until then
	Locked        bool   // by wrong codes or wrong passwords …
	LockedUntil   string // … until then
	LastLogin     string // "Never" before the first completed login
	Created       string
}

// accountView describes u under the portal-wide policy p.
func (s *Server) accountView(ctx context.Context, sess *login.Session, u *store.User, p admin.Policy) (accountView, error) {
	v := accountView{User: u, Self: sess.UserID == u.ID, LastLogin: "Never", Created: formatTime(u.CreatedAt)}
	if u.Phone != "" {
		v.MaskedPhone = phone.Mask(u.Phone)
	}
	if !u.LastLoginAt.IsZero() {
		v.LastLogin = formatTime(u.LastLoginAt)
	}
	st, err := s.admin.State(ctx, u, p)
	if err != nil {
		return v, err
	}
	switch st.MFA {
	case admin.MFAStateDisabled:
		v.MFADisabled, v.DisabledUntil = true, formatTime(st.DisabledUntil)
		v.MFAState = "Disabled until " + v.DisabledUntil
	case admin.MFAStateRequired, admin.MFAStateNotRegistered:
		v.MFAState = "Required"
	case admin.MFAStateExempt:
		v.MFAState = "Exempt"
	default:
		v.MFAState = "Not required by policy"
	}
	if until := st.LockedUntil(); !until.IsZero() {
		v.Locked, v.LockedUntil = true, formatTime(until)
	}
	return v, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(adminTime)
}
