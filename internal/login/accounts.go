package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// NewAccount is what it takes to create an account.
type NewAccount struct {
	Email    string
	Name     string
	Password string
	Admin    bool
}

// Validate checks the account against the rules and returns a plain-words
// *Error for the first problem.
func (a *NewAccount) Validate() error {
	if err := a.ValidateIdentity(); err != nil {
		return err
	}
	if err := password.Check(a.Password, a.Email, a.Name); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return &Error{Kind: KindInvalidInput, Field: "password", Message: pe.Message}
		}
		return err
	}
	return nil
}

// ValidateIdentity checks name and email only (an invited account sets its
// password later), normalising both.
func (a *NewAccount) ValidateIdentity() error {
	a.Email = NormalizeEmail(a.Email)
	a.Name = trimSpace(a.Name)
	switch {
	case a.Name == "":
		return &Error{Kind: KindInvalidInput, Field: "name", Message: "Enter a name."}
	case !printableText(a.Name):
		return &Error{Kind: KindInvalidInput, Field: "name", Message: "The name contains characters that can't be used. Type it again."}
	case len(a.Name) > 200:
		return &Error{Kind: KindInvalidInput, Field: "name", Message: "Use a name of at most 200 characters."}
	case !validEmail(a.Email):
		return &Error{Kind: KindInvalidInput, Field: "email", Message: "Enter an email address like name@example.org."}
	}
	return nil
}

// CreateAccount validates and creates an account.
func (s *Service) CreateAccount(ctx context.Context, a NewAccount, c Client) (*store.User, error) {
	u, err := s.prepareAccount(ctx, &a)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrEmailTaken) {
			return nil, &Error{Kind: KindInvalidInput, Field: "email", Message: "An account with this email address already exists."}
		}
		return nil, fmt.Errorf("login: create user: %w", err)
	}
	s.Audit(ctx, "account.created", "success", 0, u.ID, c, roleName(u.Admin))
	return u, nil
}

func (s *Service) prepareAccount(ctx context.Context, a *NewAccount) (*store.User, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.Passwords.Hash(ctx, a.Password)
	if err != nil {
		return nil, hashFailed(err, "hash password")
	}
	return &store.User{Email: a.Email, Name: a.Name, PasswordHash: hash, Admin: a.Admin, CreatedAt: s.Clock.Now()}, nil
}

func roleName(admin bool) string {
	if admin {
		return "administrator"
	}
	return "provider"
}

// EnsureSetupToken returns a new one-time link token when the portal has no
// account yet, so that the first administrator can be created in the
// browser; ok is false once any account exists. Each call replaces the
// previous token.
func (s *Service) EnsureSetupToken(ctx context.Context) (token string, ok bool, err error) {
	if needed, err := s.SetupNeeded(ctx); err != nil || !needed {
		return "", false, err
	}
	token, err = s.randomID(32)
	if err != nil {
		return "", false, err
	}
	if err := s.Store.SetSetupToken(ctx, HashToken(token)); err != nil {
		return "", false, fmt.Errorf("login: store setup token: %w", err)
	}
	return token, true, nil
}

// SetupNeeded reports whether the portal has no account yet. The login
// page asks at every view, so it looks for one account, through the index
// of the users' list, rather than counting them: a count reads every row,
// hundreds of milliseconds at a million users.
func (s *Service) SetupNeeded(ctx context.Context) (bool, error) {
	users, err := s.Store.ListUsers(ctx, store.UserQuery{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("login: look for an account: %w", err)
	}
	return len(users) == 0, nil
}

// ErrSetupClosed is CreateFirstAdmin's answer once any account exists:
// the set-up form is then no page at all.
var ErrSetupClosed = errors.New("login: set-up is over, an account exists")

var errSetupTokenInvalid = &Error{Kind: KindSetupTokenInvalid, Message: "This set-up link has already been used or is not valid. Log in, or restart the portal on an empty database for a new link."}

// CreateFirstAdmin creates the first administrator with the one-time link
// token printed at start-up. The token works once, and only while there is
// no account. Both are checked before the password is hashed, so that
// posts without the link cost no hash: ErrSetupClosed once an account
// exists, a *Error for a wrong or used link.
func (s *Service) CreateFirstAdmin(ctx context.Context, token string, a NewAccount, c Client) (*store.User, error) {
	needed, err := s.SetupNeeded(ctx)
	if err != nil {
		return nil, err
	}
	if !needed {
		return nil, ErrSetupClosed
	}
	if token == "" {
		return nil, errSetupTokenInvalid
	}
	if ok, err := s.Store.SetupTokenMatches(ctx, HashToken(token)); err != nil {
		return nil, fmt.Errorf("login: check set-up link: %w", err)
	} else if !ok {
		return nil, errSetupTokenInvalid
	}
	a.Admin = true
	u, err := s.prepareAccount(ctx, &a)
	if err != nil {
		return nil, err
	}
	// The check above spared the hash; this one, in the transaction that
	// creates the account, is the one that counts.
	if err := s.Store.CreateFirstAdmin(ctx, HashToken(token), u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errSetupTokenInvalid
		}
		return nil, fmt.Errorf("login: create first administrator: %w", err)
	}
	s.Audit(ctx, "account.created", "success", u.ID, u.ID, c, "first administrator, by the set-up link")
	return u, nil
}
