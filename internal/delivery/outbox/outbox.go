// Package outbox is the development sender: instead of delivering text
// messages and email it keeps the most recent ones in memory and logs them,
// one-time codes included, so a developer can sign in without a Twilio
// account or a mail server. Because it logs codes it is for local
// development only; production configuration must choose Twilio and SMTP.
package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/delivery"
)

// Capacity is how many messages an Outbox keeps; older ones are dropped.
const Capacity = 200

// Channel names how a message would have travelled.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Message is one kept message.
type Message struct {
	Time    time.Time
	Channel string // ChannelSMS or ChannelEmail
	To      string
	Subject string // email only
	Body    string // the SMS text, or the email's plain-text part
	HTML    string // email only
}

// Outbox implements delivery.SMSSender and delivery.Mailer. It is safe for
// concurrent use.
type Outbox struct {
	log *slog.Logger
	now clock.Clock

	mu   sync.Mutex
	ring [Capacity]Message
	next int // index the next message goes to
	n    int // messages held, at most Capacity
}

var (
	_ delivery.SMSSender = (*Outbox)(nil)
	_ delivery.Mailer    = (*Outbox)(nil)
	_ delivery.Checker   = (*Outbox)(nil)
)

// New returns an empty Outbox that logs to log and stamps messages with
// now, in its own time zone for the page's clock times. A nil log
// discards; a nil now means time.Now.
func New(log *slog.Logger, now clock.Clock) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{log: log, now: now}
}

// SendSMS keeps m and logs it, body included.
func (o *Outbox) SendSMS(ctx context.Context, m delivery.SMS) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.keep(Message{Channel: ChannelSMS, To: m.To, Body: m.Body})
	o.log.InfoContext(ctx, "outbox: SMS not sent (development only)", "to", m.To, "body", m.Body)
	return nil
}

// SendEmail keeps m and logs it, plain-text part included.
func (o *Outbox) SendEmail(ctx context.Context, m delivery.Email) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.keep(Message{Channel: ChannelEmail, To: m.To, Subject: m.Subject, Body: m.Text, HTML: m.HTML})
	o.log.InfoContext(ctx, "outbox: email not sent (development only)",
		"to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}

// Check always succeeds, but warns once at start-up that nothing will be
// delivered, so an outbox left in a deployed configuration is noticed.
func (o *Outbox) Check(ctx context.Context) error {
	o.log.WarnContext(ctx, "outbox: messages are logged with their codes and never delivered; use only for local development")
	return nil
}

// Messages returns the kept messages, newest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, 0, o.n)
	for i := 1; i <= o.n; i++ {
		out = append(out, o.ring[(o.next-i+Capacity)%Capacity])
	}
	return out
}

func (o *Outbox) keep(m Message) {
	m.Time = o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ring[o.next] = m
	o.next = (o.next + 1) % Capacity
	o.n = min(o.n+1, Capacity)
}
