package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// Authentication methods (RFC 8176) and the acr values the portal
// reports.
const (
	methodPassword = "pwd"
	methodSMS      = "sms"
	methodOTP      = "otp"
	methodMFA      = "mfa"

	// ACRMFA: password and a one-time code; ACRPassword: the password
	// alone (MFA disabled for the account for a while, or exempt).
	ACRMFA      = "urn:provider-portal:acr:mfa"
	ACRPassword = "urn:provider-portal:acr:password" // #nosec G101 -- an acr value's name, no secret
)

// amrOf says how the session's person proved who they are: the password,
// and the code by text message ("sms") or by email ("otp", "mfa"), found
// from the newest code the session's attempt used. A session that proved
// no code (MFA off for the account) reports "pwd" alone, so that an
// application can refuse it.
func amrOf(ctx context.Context, s Store, sess *login.Session) ([]string, error) {
	if !sess.MFA {
		return []string{methodPassword}, nil
	}
	var newest *store.Challenge
	for _, p := range []store.Purpose{store.PurposeLogin, store.PurposeStepUp, store.PurposeChangePhone, store.PurposeRegisterPhone} {
		c, err := s.LatestChallenge(ctx, sess.UserID, sess.AttemptID, p)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !c.ConsumedAt.IsZero() && (newest == nil || c.ConsumedAt.After(newest.ConsumedAt)) {
			newest = c
		}
	}
	switch {
	case newest == nil:
		return []string{methodPassword, methodMFA}, nil
	case newest.Channel == store.ChannelEmail:
		return []string{methodPassword, methodOTP, methodMFA}, nil
	default:
		return []string{methodPassword, methodSMS}, nil
	}
}

func acrFor(amr []string) string {
	if slices.Contains(amr, methodSMS) || slices.Contains(amr, methodMFA) {
		return ACRMFA
	}
	return ACRPassword
}

// subjects makes each account's sub: stable and opaque, the same for
// every application, never the email address or the database id. It is
// an HMAC of the account's id under a key derived from the portal's
// secret key, so every instance computes the same one.
type subjects struct{ key []byte }

func (s subjects) of(userID int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(strconv.FormatInt(userID, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// roles are the account's roles for applications: every account is a
// provider; administrators are also "admin".
func roles(u *store.User) []string {
	if u.Admin {
		return []string{"provider", "admin"}
	}
	return []string{"provider"}
}

// setUserinfo fills what the scopes allow: sub always, roles always,
// name with "profile", email with "email", phone_number only with
// "phone".
func setUserinfo(info *oidc.UserInfo, sub string, u *store.User, scopes []string) {
	info.Subject = sub
	for _, s := range scopes {
		switch s {
		case oidc.ScopeProfile:
			info.Name = u.Name
		case oidc.ScopeEmail:
			info.Email = u.Email
			// Accounts are made by administrators for a known address,
			// which the person uses to set their password.
			info.EmailVerified = true
		case oidc.ScopePhone:
			if u.Phone != "" {
				info.PhoneNumber = u.Phone
			}
		}
	}
	info.AppendClaims("roles", roles(u))
}
