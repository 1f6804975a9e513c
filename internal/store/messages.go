package store

import (
	"context"
	"time"
)

// MessageStatus is where a message is on its way out.
type MessageStatus string

const (
	MessageQueued    MessageStatus = "queued"    // waiting for a dispatcher: first try, or a retry at NextAttemptAt
	MessageSending   MessageStatus = "sending"   // claimed by a dispatcher until LeaseUntil
	MessageSent      MessageStatus = "sent"      // a provider accepted it
	MessageDelivered MessageStatus = "delivered" // the provider reported it delivered
	MessageFailed    MessageStatus = "failed"    // refused for good, or out of tries, or reported undelivered
	MessageExpired   MessageStatus = "expired"   // its code expired before it could go out
)

// Final reports whether the message will not be sent (again).
func (s MessageStatus) Final() bool {
	return s != MessageQueued && s != MessageSending
}

// ReceiptMovesFrom lists the statuses a provider's delivery report of
// status moves a message from (Messages.RecordReceipt), or nil if status
// is not a report. Reports come late, out of order and again, so they only
// move a message forward: to sent from queued or sending, to delivered or
// failed from those and sent. Delivered, failed and expired are never left.
func ReceiptMovesFrom(status MessageStatus) []MessageStatus {
	switch status {
	case MessageSent:
		return []MessageStatus{MessageQueued, MessageSending}
	case MessageDelivered, MessageFailed:
		return []MessageStatus{MessageQueued, MessageSending, MessageSent}
	}
	return nil
}

// Message is an SMS or email in the durable outbox. It is written in the
// same transaction as the code it carries, so a crash between the two
// loses nothing; a dispatcher inside `portal serve` sends it. Its content
// is sealed (encrypted with the portal's key) and erased once the message
// is final, so the database never holds a readable code.
type Message struct {
	ID            int64
	UserID        int64
	ChallengeID   int64 // the code it carries; 0 for notices
	Channel       Channel
	To            string // E.164 number or email address
	Sealed        []byte // the encrypted content; nil once final
	Status        MessageStatus
	Attempts      int       // provider calls so far
	NextAttemptAt time.Time // when a queued message may be tried (again)
	LeaseUntil    time.Time // while sending: when another dispatcher may take it over
	ExpiresAt     time.Time // not worth sending after this (its code's expiry); zero: no limit
	IP            string    // the client address that caused it, for budgets
	Provider      string    // the provider that took it
	ProviderRef   string    // the provider's id of it, for delivery receipts
	LastError     string    // short, for operators; never content
	CreatedAt     time.Time
	// UpdatedAt is the time of the last change: CreatedAt, then the now of
	// a claim, the At of an outcome, the at of a receipt.
	UpdatedAt time.Time
}

// MessageUpdate is the outcome of one try to send a claimed message.
type MessageUpdate struct {
	Status        MessageStatus // MessageQueued to retry at NextAttemptAt, or a final status
	NextAttemptAt time.Time     // for MessageQueued; zero: at once (At)
	Provider      string
	ProviderRef   string
	LastError     string
	At            time.Time
	// Lease is the LeaseUntil of the claim this outcome belongs to; if
	// set, the outcome is refused (ErrNotFound) once another dispatcher
	// has taken the message over after the lease ran out.
	Lease time.Time
}

// Messages is the durable outbox. "Oldest" and "newest" go by ID, that
// is by the order in which messages were stored, not by CreatedAt.
type Messages interface {
	// IssueChallengeWithMessage is IssueChallenge and EnqueueMessage in one
	// transaction, with one commit: the message's ChallengeID is set to
	// the challenge's ID, and both get their IDs; the audit event, if
	// given, is appended with them and gets its ID. If an insert fails
	// (say the message names no user), nothing is written and no
	// predecessor of the challenge is voided.
	//
	// Budgets, if given, are checked in the same transaction, serialised
	// with every other budgeted issue (across instances too): if any
	// budget already counts Limit messages, nothing is written and the
	// error is a *BudgetError naming it.
	IssueChallengeWithMessage(ctx context.Context, ci CodeIssue) error
	// EnqueueMessage stores m as MessageQueued, whatever m.Status said,
	// and sets m.ID and m.Status. A zero NextAttemptAt (due at once) and a
	// zero UpdatedAt are set to CreatedAt. A notice has ChallengeID 0.
	EnqueueMessage(ctx context.Context, m *Message) error
	// ClaimMessages takes up to limit messages that are due at now —
	// queued with NextAttemptAt <= now, or sending with LeaseUntil <= now
	// (their dispatcher died) — oldest first, and marks them sending until
	// now+lease with one more attempt (UpdatedAt now); it returns them so
	// marked, oldest first. Each message goes to exactly one of several
	// concurrent claimers, also across instances. A final message is never
	// claimed. ExpiresAt is not looked at: the dispatcher completes a
	// message that is too late as MessageExpired. A limit below 1 claims
	// nothing.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// CompleteMessage records the outcome of a try of a message this
	// dispatcher claimed (Status sending): it sets Status, Provider,
	// ProviderRef, LastError and UpdatedAt (u.At) as u says and clears
	// LeaseUntil. MessageQueued keeps Sealed and sets NextAttemptAt (u.At
	// if u's is zero); a final status erases Sealed and leaves
	// NextAttemptAt as it was. ErrNotFound if the message is unknown, no
	// longer sending, or (u.Lease set) claimed again since; an error, and no change, if u.Status is neither
	// MessageQueued nor a final one (sent, delivered, failed, expired).
	CompleteMessage(ctx context.Context, id int64, u MessageUpdate) error
	// MessageForChallenge returns the newest message carrying the code;
	// ErrNotFound if none does (notices carry none: challengeID 0 finds
	// nothing).
	MessageForChallenge(ctx context.Context, challengeID int64) (*Message, error)
	// RecordReceipt applies a provider's delivery report to the message it
	// names, only forward: sent may become delivered or failed; nothing
	// moves backwards, and a delivered, failed or expired message stays
	// as it is, however late or often a report comes. Precisely: a report
	// of MessageSent moves a queued or sending message (one whose earlier
	// try got a reference) to sent; a report of MessageDelivered or
	// MessageFailed moves a queued, sending or sent message to that
	// status. A move sets UpdatedAt to at, LastError to lastError unless
	// that is empty, erases Sealed and clears LeaseUntil. It returns the
	// message as updated and moved true, or as it is and moved false when
	// the report would not move it (backwards, or again), so that a
	// replayed report has no effect. ErrNotFound if no message of that
	// provider has that reference (an empty ref names none); an error if
	// status is not one of the three.
	RecordReceipt(ctx context.Context, provider, ref string, status MessageStatus, lastError string, at time.Time) (m *Message, moved bool, err error)
	// CountMessages counts messages matching q, for the budgets against
	// SMS pumping.
	CountMessages(ctx context.Context, q MessageCount) (int, error)
}

// CodeIssue is a code and the message carrying it, as
// IssueChallengeWithMessage writes them.
type CodeIssue struct {
	Challenge *Challenge
	Message   *Message
	Budgets   []Budget    // limits the message must fit in
	Audit     *AuditEvent // the record of it, if any
}

// Budget is a limit a new message must fit in: fewer than Limit messages
// match Count before it is written.
type Budget struct {
	Name  string
	Limit int
	Count MessageCount
}

// FirstFull returns the first of budgets whose count (counts[i], of
// budgets[i]) has reached its Limit, or nil: the budget a new message does
// not fit in.
func FirstFull(budgets []Budget, counts []int) *Budget {
	for i := range budgets {
		if counts[i] >= budgets[i].Limit {
			return &budgets[i]
		}
	}
	return nil
}

// BudgetError says which budget a message did not fit in.
type BudgetError struct{ Budget string }

func (e *BudgetError) Error() string { return "store: message budget exhausted: " + e.Budget }

// MessageCount selects messages to count, whatever their status: those on
// Channel created at or after Since, narrowed by each non-empty field. To,
// Prefix and IP compare exactly: case matters, and Prefix has no wildcards.
type MessageCount struct {
	Channel Channel
	Since   time.Time
	To      string // one destination
	Prefix  string // destinations starting with this, e.g. a country calling code "+44"
	IP      string // requested from this client address
}
