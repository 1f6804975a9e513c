// Package dispatch is the durable outbox's sender. Codes and notices are
// written to the database as messages (sealed, in the same transaction as
// the code they carry); a Dispatcher inside `portal serve` claims due
// messages, sends them through the configured providers in order (failing
// over to the next when one refuses the message or is down), retries
// temporary failures with backoff (honouring Retry-After), gives up on
// permanent ones, never sends a code that has expired, and applies delivery
// receipts. Several instances can run dispatchers on one database: a claim
// is exclusive, and a dispatcher that dies releases its messages when its
// lease runs out.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/store"
)

// Provider is a named SMS sender, in failover order.
type Provider struct {
	Name   string
	Sender delivery.SMSSender
}

// Referencer is implemented by senders that return the provider's id of
// a message, which delivery receipts name.
type Referencer interface {
	SendSMSRef(ctx context.Context, m delivery.SMS) (ref string, err error)
}

// Dispatcher sends queued messages.
type Dispatcher struct {
	Store  store.Messages
	SMS    []Provider // tried in order
	Mail   delivery.Mailer
	Sealer *Sealer
	Log    *slog.Logger // nil: discard
	Clock  clock.Clock  // nil: the wall clock

	Lease       time.Duration // how long a claim lasts; default 1 minute
	Batch       int           // messages claimed at a time; default 10
	MaxAttempts int           // provider calls before giving up; default 8
	BackoffBase time.Duration // first retry delay, doubling; default 2 s
	BackoffMax  time.Duration // default 2 minutes
	Poll        time.Duration // how often Run looks for due messages without a Kick; default 1 s
	SendTimeout time.Duration // per provider call; default 10 s

	// Inline makes Kick send at once in the caller's goroutine (tests,
	// and commands that have no running dispatcher). Run is not needed
	// then.
	Inline bool

	// OnFinal is called when a message becomes final (sent, failed,
	// expired, delivered), for the audit log and for the code screen.
	OnFinal func(ctx context.Context, m *store.Message)
	// Metrics counts each provider call and the wait before a provider
	// took the message; nil: not counted.
	Metrics *metrics.Metrics

	kickOnce sync.Once
	kick     chan struct{}
	inline   sync.Mutex
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (d *Dispatcher) kickChan() chan struct{} {
	d.kickOnce.Do(func() { d.kick = make(chan struct{}, 1) })
	return d.kick
}

// Kick tells the dispatcher that a message is waiting, so it goes out now
// rather than at the next poll. It never blocks on sending unless Inline.
func (d *Dispatcher) Kick(ctx context.Context) {
	if d.Inline {
		d.inline.Lock()
		defer d.inline.Unlock()
		if _, err := d.RunOnce(context.WithoutCancel(ctx)); err != nil {
			d.log().Error("dispatch", "err", err)
		}
		return
	}
	select {
	case d.kickChan() <- struct{}{}:
	default:
	}
}

// SendsInline reports whether Kick sends before it returns (Inline).
func (d *Dispatcher) SendsInline() bool { return d.Inline }

// Run sends due messages until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	delivery.Drain(ctx, orDefault(d.Poll, time.Second), orDefault(d.Batch, 10), d.kickChan(), d.log(), "dispatch", d.RunOnce)
}

// RunOnce claims one batch of due messages and sends them, one at a time.
// It returns how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	msgs, err := d.Store.ClaimMessages(ctx, d.Clock.Now(), orDefault(d.Lease, time.Minute), orDefault(d.Batch, 10))
	if err != nil {
		return 0, err
	}
	// A message under way is finished even when ctx ends (a shutdown):
	// half-sent messages are what duplicates are made of. The rest of the
	// batch is handed back at once for the next dispatcher.
	work := context.WithoutCancel(ctx)
	for i := range msgs {
		m := &msgs[i]
		var u store.MessageUpdate
		if ctx.Err() != nil {
			u = store.MessageUpdate{Status: store.MessageQueued, At: d.Clock.Now()}
		} else {
			u = d.send(work, m)
		}
		u.Lease = m.LeaseUntil
		if err := d.Store.CompleteMessage(work, m.ID, u); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				// Our lease ran out and another dispatcher took over.
				d.log().Warn("message taken over by another dispatcher", "message", m.ID)
				continue
			}
			return len(msgs), err
		}
		m.Status, m.Provider, m.ProviderRef, m.LastError = u.Status, u.Provider, u.ProviderRef, u.LastError
		if u.Status.Final() && d.OnFinal != nil {
			d.OnFinal(work, m)
		}
	}
	return len(msgs), nil
}

// send makes one try of m and says what became of it.
func (d *Dispatcher) send(ctx context.Context, m *store.Message) store.MessageUpdate {
	now := d.Clock.Now()
	u := store.MessageUpdate{At: now}
	if !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt) {
		u.Status, u.LastError = store.MessageExpired, "its code expired before it could be sent"
		d.log().Info("message expired unsent", "message", m.ID, "channel", m.Channel, "attempts", m.Attempts)
		return u
	}
	c, err := d.Sealer.Open(m.Sealed)
	if err != nil {
		u.Status, u.LastError = store.MessageFailed, err.Error()
		d.log().Error("message cannot be opened: was PORTAL_SECRET_KEY changed?", "message", m.ID)
		return u
	}

	var temporary error
	var retryAfter time.Duration
	if m.Channel == store.ChannelEmail {
		retryAfter, temporary = d.sendEmail(ctx, m, c, &u)
	} else {
		retryAfter, temporary = d.sendSMS(ctx, m, c, &u)
	}
	if temporary == nil {
		return u
	}

	// Every provider failed, at least one only for now: try again later.
	if m.Attempts >= orDefault(d.MaxAttempts, 8) {
		u.Status, u.LastError = store.MessageFailed, "gave up after "+strconv.Itoa(m.Attempts)+" tries: "+temporary.Error()
		d.log().Warn("message given up", "message", m.ID, "attempts", m.Attempts, "err", temporary)
		return u
	}
	wait := d.backoff(m.Attempts)
	if retryAfter > wait {
		wait = retryAfter
	}
	u.Status, u.NextAttemptAt, u.LastError = store.MessageQueued, now.Add(wait), temporary.Error()
	d.log().Info("message will be retried", "message", m.ID, "in", wait, "err", temporary)
	return u
}

// sendEmail tries the email m, whose content is c. When it is sent or
// refused for good, it says so in u and returns nil; otherwise it leaves u
// and returns the failure, with the wait the provider asked for (if any).
func (d *Dispatcher) sendEmail(ctx context.Context, m *store.Message, c Content, u *store.MessageUpdate) (retryAfter time.Duration, temporary error) {
	err := d.call(ctx, func(ctx context.Context) error {
		return d.Mail.SendEmail(ctx, delivery.Email{To: m.To, Subject: c.Subject, Text: c.Text, HTML: c.HTML})
	})
	d.counted(m, "email", err)
	if err == nil {
		u.Status, u.Provider = store.MessageSent, "email"
		return 0, nil
	}
	if errors.Is(err, delivery.ErrPermanent) {
		u.Status, u.Provider, u.LastError = store.MessageFailed, "email", err.Error()
		d.log().Warn("email refused for good", "message", m.ID, "err", err)
		return 0, nil
	}
	retryAfter, _ = delivery.RetryAfter(err)
	return retryAfter, err
}

// sendSMS tries the SMS providers in turn with the text message m, whose
// content is c, until one takes it. When one does, or every one refuses it
// for good, it says so in u and returns nil; otherwise (some failed only
// for now) it leaves u and returns the last temporary failure, with the
// shortest wait a provider asked for.
func (d *Dispatcher) sendSMS(ctx context.Context, m *store.Message, c Content, u *store.MessageUpdate) (retryAfter time.Duration, temporary error) {
	sms := delivery.SMS{ID: strconv.FormatInt(m.ID, 10), To: m.To, Body: c.Text}
	var lastPermanent error
	for _, p := range d.SMS {
		ref, err := d.sendSMSWith(ctx, p, sms)
		d.counted(m, p.Name, err)
		if err == nil {
			u.Status, u.Provider, u.ProviderRef = store.MessageSent, p.Name, ref
			return 0, nil
		}
		if errors.Is(err, delivery.ErrPermanent) {
			lastPermanent = fmt.Errorf("%s: %w", p.Name, err)
			d.log().Warn("SMS provider refused the message; trying the next", "message", m.ID, "provider", p.Name, "err", err)
			continue
		}
		temporary = fmt.Errorf("%s: %w", p.Name, err)
		if ra, ok := delivery.RetryAfter(err); ok && (retryAfter == 0 || ra < retryAfter) {
			retryAfter = ra
		}
		d.log().Warn("SMS provider unavailable; trying the next", "message", m.ID, "provider", p.Name, "err", err)
	}
	if temporary == nil {
		if lastPermanent == nil {
			lastPermanent = errors.New("no SMS provider is configured")
		}
		u.Status, u.LastError = store.MessageFailed, lastPermanent.Error()
	}
	return retryAfter, temporary
}

// sendSMSWith hands sms to the provider p, within the call's timeout, and
// returns the provider's reference for it when the provider gives one.
func (d *Dispatcher) sendSMSWith(ctx context.Context, p Provider, sms delivery.SMS) (ref string, err error) {
	err = d.call(ctx, func(ctx context.Context) error {
		if r, ok := p.Sender.(Referencer); ok {
			var err error
			ref, err = r.SendSMSRef(ctx, sms)
			return err
		}
		return p.Sender.SendSMS(ctx, sms)
	})
	return ref, err
}

// counted counts one provider call for the metrics and, if the provider
// took the message, how long it waited since it was queued.
func (d *Dispatcher) counted(m *store.Message, provider string, err error) {
	outcome := "accepted"
	switch {
	case err == nil:
		d.Metrics.Delivered(string(m.Channel), provider, d.Clock.Now().Sub(m.CreatedAt))
	case errors.Is(err, delivery.ErrPermanent):
		outcome = "refused"
	default:
		outcome = "unavailable"
	}
	d.Metrics.DeliveryAttempt(string(m.Channel), provider, outcome)
}

// call makes one provider call with the send timeout.
func (d *Dispatcher) call(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, orDefault(d.SendTimeout, 10*time.Second))
	defer cancel()
	return f(ctx)
}

// backoff is the wait after the n-th failed try: base, doubling, capped.
func (d *Dispatcher) backoff(n int) time.Duration {
	return delivery.Backoff(n, orDefault(d.BackoffBase, 2*time.Second), orDefault(d.BackoffMax, 2*time.Minute))
}

// Receipt applies a provider's delivery report (e.g. a Twilio status
// callback) to the message it names. Only a report that moves the message
// forward has an effect: a late or replayed one changes nothing and is
// not audited again.
func (d *Dispatcher) Receipt(ctx context.Context, provider, ref string, status store.MessageStatus, detail string) error {
	m, moved, err := d.Store.RecordReceipt(ctx, provider, ref, status, detail, d.Clock.Now())
	if err != nil {
		return err
	}
	if moved && d.OnFinal != nil {
		d.OnFinal(ctx, m)
	}
	return nil
}

// Queue seals content into m and stores it for sending. Kick sends it on
// its way.
func (d *Dispatcher) Queue(ctx context.Context, m *store.Message, content Content) error {
	if err := d.Seal(m, content); err != nil {
		return err
	}
	return d.Store.EnqueueMessage(ctx, m)
}

// QueueCode seals content into the message of ci and stores it with its
// code in one transaction, within ci's budgets (see store.Messages).
func (d *Dispatcher) QueueCode(ctx context.Context, ci store.CodeIssue, content Content) error {
	if err := d.Seal(ci.Message, content); err != nil {
		return err
	}
	return d.Store.IssueChallengeWithMessage(ctx, ci)
}

// Seal seals content into m, queued, for a store method that writes m in
// the transaction of what it reports (store.AccountChange); Kick then
// sends it on its way.
func (d *Dispatcher) Seal(m *store.Message, content Content) error {
	sealed, err := d.Sealer.Seal(content)
	if err != nil {
		return err
	}
	m.Sealed = sealed
	m.Status = store.MessageQueued
	return nil
}
