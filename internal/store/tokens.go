package store

import (
	"context"
	"time"
)

// TokenPurpose says what an emailed link is for.
type TokenPurpose string

const (
	TokenPasswordReset TokenPurpose = "password_reset" // "Forgot your password?", or sent by an administrator
	TokenInvite        TokenPurpose = "invite"         // a new account sets its first password
)

// Token is a single-use link sent by email. Only the SHA-256 of its secret
// is kept.
type Token struct {
	Hash      []byte
	UserID    int64
	Purpose   TokenPurpose
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// Tokens keeps single-use emailed links.
type Tokens interface {
	// CreateToken stores t, first deleting the user's unused tokens of the
	// same purpose (a new link voids the old one); ErrNotFound if the user
	// does not exist.
	CreateToken(ctx context.Context, t *Token) error
	// UseToken marks the token with this hash and purpose used at at and
	// returns it, if and only if it exists, is unused and has not expired
	// (ExpiresAt > at). Exactly one of concurrent calls succeeds; the rest,
	// and every other case, get ErrNotFound.
	UseToken(ctx context.Context, hash []byte, purpose TokenPurpose, at time.Time) (*Token, error)
	// TokenByHash returns an unused, unexpired token without using it (to
	// show the form behind a link); ErrNotFound otherwise.
	TokenByHash(ctx context.Context, hash []byte, purpose TokenPurpose, at time.Time) (*Token, error)
}
