// Package delivery carries messages to people: text messages (SMS) with
// one-time codes, and email with codes and security notices. The domain
// sees only the two narrow interfaces below; each technology (Twilio, SMTP,
// the local development outbox) lives in a sub-package of its own.
package delivery

import (
	"context"
	"errors"
	"time"
)

// SMS is one text message.
type SMS struct {
	To   string // E.164
	Body string
	// ID, when set, names this message uniquely and stays the same when
	// it is sent again, so a receiver can drop duplicates. Optional: only
	// some senders pass it on (the webhook sender does).
	ID string
}

// Email is one email with a plain-text and an HTML part.
type Email struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// SMSSender sends text messages. Implementations honour ctx's deadline.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) error
}

// Mailer sends email. Implementations honour ctx's deadline.
type Mailer interface {
	SendEmail(ctx context.Context, m Email) error
}

// Checker is implemented by senders that can verify their configuration
// at start-up (credentials accepted, server reachable).
type Checker interface {
	Check(ctx context.Context) error
}

// ErrPermanent marks a failure that retrying will not fix, such as a number
// the provider refuses. Wrapped errors satisfy errors.Is(err, ErrPermanent).
var ErrPermanent = errors.New("delivery: permanent failure")

// RetryHint is implemented by errors that carry the provider's request to
// wait before trying again (an HTTP Retry-After on 429 or 503).
type RetryHint interface {
	RetryAfter() time.Duration
}

// RetryAfter returns the delay the provider asked for before the next
// attempt, from the first RetryHint in err's chain. ok is false when there
// is no hint or it is not positive, so callers need not know which sender
// failed.
func RetryAfter(err error) (d time.Duration, ok bool) {
	var hint RetryHint
	if !errors.As(err, &hint) {
		return 0, false
	}
	if d = hint.RetryAfter(); d <= 0 {
		return 0, false
	}
	return d, true
}
