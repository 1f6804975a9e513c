package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// MessageStore is a store with the durable outbox. The outbox is not yet
// part of store.Store, so its tests run apart, through RunMessages.
type MessageStore interface {
	store.Store
	store.Messages
}

// RunMessages runs the outbox suite, each test as a subtest on a store of
// its own. open must return an empty, migrated store and close it when t
// ends (t.Cleanup).
func RunMessages(t *testing.T, open func(t *testing.T) MessageStore) {
	for _, tt := range messagesTests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

type messagesTest struct {
	name string
	fn   func(t *testing.T, s MessageStore)
}

var messagesTests = []messagesTest{
	{"MessageStatusFinal", testMessageStatusFinal},
	{"IssueChallengeWithMessage", testIssueChallengeWithMessage},
	{"IssueChallengeWithMessageIsIssueChallenge", testIssueChallengeWithMessageIsIssueChallenge},
	{"IssueChallengeWithMessageAtomic", testIssueChallengeWithMessageAtomic},
	{"IssueChallengeWithMessageBudgets", testIssueChallengeWithMessageBudgets},
	{"CompleteMessageStaleLease", testCompleteMessageStaleLease},
	{"IssueChallengeWithMessageBudgetsConcurrent", testIssueChallengeWithMessageBudgetsConcurrent},
	{"EnqueueMessage", testEnqueueMessage},
	{"EnqueueMessageIsQueued", testEnqueueMessageIsQueued},
	{"ClaimMessagesDue", testClaimMessagesDue},
	{"ClaimMessagesOldestFirst", testClaimMessagesOldestFirst},
	{"ClaimMessagesLimit", testClaimMessagesLimit},
	{"ClaimMessagesLease", testClaimMessagesLease},
	{"ClaimMessagesNeverFinal", testClaimMessagesNeverFinal},
	{"ClaimMessagesIgnoresExpiresAt", testClaimMessagesIgnoresExpiresAt},
	{"ClaimMessagesConcurrent", testClaimMessagesConcurrent},
	{"CompleteMessageRetry", testCompleteMessageRetry},
	{"CompleteMessageRetryAtOnce", testCompleteMessageRetryAtOnce},
	{"CompleteMessageFinal", testCompleteMessageFinal},
	{"CompleteMessageNotSending", testCompleteMessageNotSending},
	{"CompleteMessageBadStatus", testCompleteMessageBadStatus},
	{"MessageForChallenge", testMessageForChallenge},
	{"RecordReceipt", testRecordReceipt},
	{"RecordReceiptMoves", testRecordReceiptMoves},
	{"RecordReceiptNotFound", testRecordReceiptNotFound},
	{"CountMessages", testCountMessages},
	{"CountMessagesPrefix", testCountMessagesPrefix},
}

// lease is the suite's claim lease.
const lease = 30 * time.Second

// newMessage is an SMS to to, created at createdAt, whose code expires
// five minutes later.
func newMessage(userID int64, to string, createdAt time.Time) *store.Message {
	return &store.Message{
		UserID:    userID,
		Channel:   store.ChannelSMS,
		To:        to,
		Sealed:    []byte("sealed for " + to + " at " + createdAt.String()),
		ExpiresAt: createdAt.Add(5 * time.Minute),
		IP:        "192.0.2.1",
		CreatedAt: createdAt,
	}
}

// queuedWant is what m reads back as right after it was stored at its
// CreatedAt.
func queuedWant(m store.Message) store.Message {
	m.Status = store.MessageQueued
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	return m
}

// claimedWant is what m reads back as after a claim at now.
func claimedWant(m store.Message, now time.Time) store.Message {
	m.Status = store.MessageSending
	m.LeaseUntil = now.Add(lease)
	m.Attempts++
	m.UpdatedAt = now
	return m
}

func enqueueMessage(t *testing.T, s MessageStore, m *store.Message) *store.Message {
	t.Helper()
	mustCreate(t, s.EnqueueMessage(t.Context(), m), "EnqueueMessage", &m.ID)
	return m
}

// codeMessage issues a code of its own attempt to the user, with an SMS
// created at createdAt carrying it, and returns the message. Unlike a
// notice it can be read back, with MessageForChallenge.
func codeMessage(t *testing.T, s MessageStore, userID int64, to string, createdAt time.Time) *store.Message {
	t.Helper()
	c := newChallenge(userID, fmt.Sprintf("attempt-%s-%v", to, createdAt.UnixNano()), store.PurposeLogin, createdAt)
	c.Destination = to
	m := newMessage(userID, to, createdAt)
	if err := s.IssueChallengeWithMessage(t.Context(), store.CodeIssue{Challenge: c, Message: m}); err != nil {
		t.Fatalf("IssueChallengeWithMessage: %v", err)
	}
	if c.ID == 0 || m.ID == 0 || m.ChallengeID != c.ID {
		t.Fatalf("IssueChallengeWithMessage: challenge ID %d, message ID %d carrying %d", c.ID, m.ID, m.ChallengeID)
	}
	return m
}

// messageFor reads back the message m (which carries a code).
func messageFor(t *testing.T, s MessageStore, m *store.Message) store.Message {
	t.Helper()
	got, err := s.MessageForChallenge(t.Context(), m.ChallengeID)
	if err != nil {
		t.Fatalf("MessageForChallenge(%d): %v", m.ChallengeID, err)
	}
	if got.ID != m.ID {
		t.Fatalf("MessageForChallenge(%d) = message %d, want %d", m.ChallengeID, got.ID, m.ID)
	}
	return *got
}

func claimMessages(t *testing.T, s MessageStore, now time.Time, limit int) []store.Message {
	t.Helper()
	ms, err := s.ClaimMessages(t.Context(), now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimMessages(%v): %v", now, err)
	}
	return ms
}

func messageIDs(ms []store.Message) []int64 {
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// wantClaimed claims at now and checks that exactly want come back, in
// this order, as claimed at now.
func wantClaimed(t *testing.T, s MessageStore, now time.Time, limit int, want ...store.Message) []store.Message {
	t.Helper()
	got := claimMessages(t, s, now, limit)
	if !slices.Equal(messageIDs(got), messageIDs(want)) {
		t.Fatalf("ClaimMessages(%v, limit %d) = %v, want %v", now, limit, messageIDs(got), messageIDs(want))
	}
	for i := range got {
		checkRecord(t, fmt.Sprintf("claimed message %d", got[i].ID), got[i], claimedWant(want[i], now)) // #nosec G602 -- got and want have the same length, checked above
	}
	return got
}

// claimOne claims m, which must be the only due message at now.
func claimOne(t *testing.T, s MessageStore, m store.Message, now time.Time) store.Message {
	t.Helper()
	return wantClaimed(t, s, now, 10, m)[0]
}

func completeMessage(t *testing.T, s MessageStore, id int64, u store.MessageUpdate) {
	t.Helper()
	if err := s.CompleteMessage(t.Context(), id, u); err != nil {
		t.Fatalf("CompleteMessage(%d, %s): %v", id, u.Status, err)
	}
}

// completedWant is what m, sending, reads back as after the outcome u.
func completedWant(m store.Message, u store.MessageUpdate) store.Message {
	m.Status = u.Status
	m.Provider, m.ProviderRef, m.LastError = u.Provider, u.ProviderRef, u.LastError
	m.LeaseUntil = time.Time{}
	m.UpdatedAt = u.At
	if u.Status == store.MessageQueued {
		m.NextAttemptAt = u.NextAttemptAt
		if m.NextAttemptAt.IsZero() {
			m.NextAttemptAt = u.At
		}
	} else {
		m.Sealed = nil
	}
	return m
}

// sentMessage is a code message claimed at claimAt and accepted by
// provider under ref.
func sentMessage(t *testing.T, s MessageStore, userID int64, to string, createdAt time.Time, provider, ref string) store.Message {
	t.Helper()
	m := claimOne(t, s, queuedWant(*codeMessage(t, s, userID, to, createdAt)), createdAt)
	u := store.MessageUpdate{Status: store.MessageSent, Provider: provider, ProviderRef: ref, At: createdAt.Add(time.Second)}
	completeMessage(t, s, m.ID, u)
	got := messageFor(t, s, &m)
	checkRecord(t, "sent message", got, completedWant(m, u))
	return got
}

func testMessageStatusFinal(t *testing.T, _ MessageStore) {
	for status, final := range map[store.MessageStatus]bool{
		store.MessageQueued:    false,
		store.MessageSending:   false,
		store.MessageSent:      true,
		store.MessageDelivered: true,
		store.MessageFailed:    true,
		store.MessageExpired:   true,
	} {
		if status.Final() != final {
			t.Errorf("%s.Final() = %t, want %t", status, status.Final(), final)
		}
	}
}

func testIssueChallengeWithMessage(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0)
	m := newMessage(u.ID, c.Destination, t0)
	m.ChallengeID = 12345 // overwritten with c.ID
	before := *m
	mustNot(t, s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}), "IssueChallengeWithMessage")
	if c.ID == 0 || m.ID == 0 {
		t.Fatalf("IssueChallengeWithMessage: challenge ID %d, message ID %d; want both set", c.ID, m.ID)
	}
	if m.ChallengeID != c.ID {
		t.Errorf("m.ChallengeID = %d, want c.ID %d", m.ChallengeID, c.ID)
	}
	if m.Status != store.MessageQueued {
		t.Errorf("m.Status = %q, want %q", m.Status, store.MessageQueued)
	}
	checkRecord(t, "challenge", *latest(t, s, c), *c)

	want := queuedWant(before)
	want.ID, want.ChallengeID = m.ID, c.ID
	got := messageFor(t, s, m)
	checkRecord(t, "message", got, want)
	if !got.NextAttemptAt.Equal(t0) {
		t.Errorf("NextAttemptAt = %v, want CreatedAt %v: due at once", got.NextAttemptAt, t0)
	}

	// A second pair gets IDs of its own.
	c2 := newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0)
	m2 := newMessage(u.ID, c2.Destination, t0)
	m2.NextAttemptAt = t0.Add(time.Minute) // kept when set
	want2 := queuedWant(*m2)
	sent := codeSent(u, t0) // and its audit record with it
	mustNot(t, s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c2, Message: m2, Audit: sent}), "IssueChallengeWithMessage")
	if c2.ID == c.ID || m2.ID == m.ID {
		t.Errorf("second pair has IDs %d/%d, the first %d/%d", c2.ID, m2.ID, c.ID, m.ID)
	}
	if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 1 || sent.ID == 0 || events[0].ID != sent.ID {
		t.Errorf("audit after issuing with an event: %d events (%v), the event's id %d; want it alone, with its id", len(events), err, sent.ID)
	}
	want2.ID, want2.ChallengeID = m2.ID, c2.ID
	checkRecord(t, "second message", messageFor(t, s, m2), want2)
	checkRecord(t, "first message", messageFor(t, s, m), want)
}

// codeSent is the audit record of a code sent to u at at.
func codeSent(u *store.User, at time.Time) *store.AuditEvent {
	return &store.AuditEvent{Time: at, Event: "code.sent", Outcome: "queued", ActorID: u.ID, SubjectID: u.ID, Detail: "login sms"}
}

func testIssueChallengeWithMessageIsIssueChallenge(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	prev := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	for range 2 {
		if r := wrongCode(t, s, prev, 5, t0); !r.Counted {
			t.Fatalf("CountWrongCode = %+v, not counted", r)
		}
	}
	other := issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0))

	c := newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0.Add(time.Minute))
	m := newMessage(u.ID, c.Destination, c.CreatedAt)
	mustNot(t, s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}), "IssueChallengeWithMessage")
	if c.Failures != 2 {
		t.Errorf("c.Failures = %d, want 2 carried over", c.Failures)
	}
	checkRecord(t, "challenge", *latest(t, s, c), *c)
	at := t0.Add(90 * time.Second)
	if consume(t, s, prev.ID, at) {
		t.Error("the challenge replaced by IssueChallengeWithMessage could still be used")
	}
	if !consume(t, s, other.ID, at) {
		t.Error("a challenge of another attempt was voided")
	}
	if !consume(t, s, c.ID, at) {
		t.Error("the new challenge could not be used")
	}
}

func testIssueChallengeWithMessageAtomic(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	prev := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))

	for _, attempt := range []string{"attempt-1", "attempt-2"} {
		c := newChallenge(u.ID, attempt, store.PurposeLogin, t0.Add(time.Minute))
		m := newMessage(u.ID+1000, c.Destination, c.CreatedAt) // no such user: the message insert fails
		if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m, Audit: codeSent(u, t0)}); err == nil {
			t.Fatalf("IssueChallengeWithMessage with a message for an unknown user succeeded")
		}
	}
	// attempt-1: the predecessor is neither replaced nor voided.
	got := latest(t, s, prev)
	checkRecord(t, "predecessor", *got, *prev)
	// attempt-2: no challenge at all.
	_, err := s.LatestChallenge(ctx, u.ID, "attempt-2", store.PurposeLogin)
	wantNotFound(t, err, "LatestChallenge after a failed IssueChallengeWithMessage")
	if got, err := s.ChallengeTimesForUser(ctx, u.ID, t0.Add(-time.Hour), 10); err != nil || len(got) != 1 {
		t.Errorf("ChallengeTimesForUser = %v, %v; want the one challenge", got, err)
	}
	if n, err := s.CountMessages(ctx, store.MessageCount{Channel: store.ChannelSMS}); err != nil || n != 0 {
		t.Errorf("CountMessages = %d, %v; want 0", n, err)
	}
	if ms := claimMessages(t, s, t0.Add(time.Hour), 10); len(ms) != 0 {
		t.Errorf("ClaimMessages found %v", messageIDs(ms))
	}
	if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
		t.Errorf("%d audit events after failed issues (%v), want none", len(events), err)
	}
	if !consume(t, s, prev.ID, t0.Add(2*time.Minute)) {
		t.Error("the predecessor could not be used")
	}
}

func testEnqueueMessage(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	// A notice: no code.
	n := newMessage(u.ID, "ann@example.org", t0)
	n.Channel, n.ExpiresAt = store.ChannelEmail, time.Time{}
	want := queuedWant(*n)
	enqueueMessage(t, s, n)
	if n.Status != store.MessageQueued || n.ChallengeID != 0 {
		t.Errorf("after EnqueueMessage: Status %q, ChallengeID %d", n.Status, n.ChallengeID)
	}
	want.ID = n.ID
	_, err := s.MessageForChallenge(ctx, 0)
	wantNotFound(t, err, "MessageForChallenge(0)")

	// A later one, not due yet.
	later := newMessage(u.ID, "+15555550100", t0)
	later.NextAttemptAt = t0.Add(lease / 2)
	wantLater := queuedWant(*later)
	enqueueMessage(t, s, later)
	if later.ID == n.ID {
		t.Errorf("two messages have ID %d", n.ID)
	}
	wantLater.ID = later.ID
	if !later.NextAttemptAt.Equal(t0.Add(lease / 2)) {
		t.Errorf("EnqueueMessage changed a set NextAttemptAt to %v", later.NextAttemptAt)
	}

	// The notice is due at once (NextAttemptAt = CreatedAt), the other
	// one at its NextAttemptAt.
	wantClaimed(t, s, t0.Add(-time.Millisecond), 10)
	wantClaimed(t, s, t0, 10, want)
	wantClaimed(t, s, t0.Add(lease/2-time.Millisecond), 10)
	wantClaimed(t, s, t0.Add(lease/2), 10, wantLater)

	// A message carrying a code can also be queued on its own.
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	m := newMessage(u.ID, c.Destination, t0)
	m.ChallengeID = c.ID
	wantM := queuedWant(*m)
	enqueueMessage(t, s, m)
	wantM.ID = m.ID
	checkRecord(t, "message", messageFor(t, s, m), wantM)
}

func testEnqueueMessageIsQueued(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	c := issue(t, s, newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0))
	m := newMessage(u.ID, c.Destination, t0)
	m.ChallengeID = c.ID
	m.Status = store.MessageSent
	m.UpdatedAt = t0.Add(time.Second)
	want := queuedWant(*m)
	enqueueMessage(t, s, m)
	want.ID = m.ID
	if m.Status != store.MessageQueued {
		t.Errorf("m.Status = %q after EnqueueMessage, want %q", m.Status, store.MessageQueued)
	}
	checkRecord(t, "message", messageFor(t, s, m), want)
	claimOne(t, s, want, t0)
}

func testClaimMessagesDue(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	m1 := queuedWant(*codeMessage(t, s, u.ID, "+15555550101", t0))
	m2 := queuedWant(*codeMessage(t, s, u.ID, "+15555550102", t0.Add(time.Second)))
	m3 := newMessage(u.ID, "+15555550103", t0)
	m3.NextAttemptAt = t0.Add(time.Minute + 10*time.Second) // before the leases below lapse
	w3 := queuedWant(*enqueueMessage(t, s, m3))
	m4 := queuedWant(*enqueueMessage(t, s, newMessage(u.ID, "ann@example.org", t0.Add(2*time.Second))))

	// Nothing is due before it was created.
	wantClaimed(t, s, t0.Add(-time.Second), 10)
	// Due: NextAttemptAt <= now, oldest first.
	now := t0.Add(time.Minute)
	wantClaimed(t, s, now, 10, m1, m2, m4)
	// Claimed, their leases live: nothing more is due.
	wantClaimed(t, s, now.Add(time.Second), 10)
	checkRecord(t, "claimed message", messageFor(t, s, &m1), claimedWant(m1, now))
	checkRecord(t, "claimed message", messageFor(t, s, &m2), claimedWant(m2, now))
	// NextAttemptAt is inclusive.
	wantClaimed(t, s, w3.NextAttemptAt.Add(-time.Millisecond), 10)
	wantClaimed(t, s, w3.NextAttemptAt, 10, w3)
}

func testClaimMessagesOldestFirst(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	// Oldest goes by ID, the order of storing, even against CreatedAt.
	var ms []store.Message
	for i, at := range []time.Time{t0.Add(3 * time.Second), t0, t0.Add(2 * time.Second), t0.Add(time.Second)} {
		ms = append(ms, queuedWant(*codeMessage(t, s, u.ID, fmt.Sprintf("+1555555010%d", i), at)))
	}
	now := t0.Add(time.Minute)
	wantClaimed(t, s, now, 2, ms[0], ms[1])
	wantClaimed(t, s, now, 2, ms[2], ms[3])
	wantClaimed(t, s, now, 2)
	// Lapsed leases and a due retry go by ID too.
	late := now.Add(lease)
	retry := store.MessageUpdate{Status: store.MessageQueued, NextAttemptAt: late, LastError: "503", At: now.Add(time.Second)}
	completeMessage(t, s, ms[1].ID, retry)
	wantClaimed(t, s, late, 10, claimedWant(ms[0], now), completedWant(claimedWant(ms[1], now), retry),
		claimedWant(ms[2], now), claimedWant(ms[3], now))
}

func testClaimMessagesLimit(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	var ms []store.Message
	for i := range 5 {
		ms = append(ms, queuedWant(*codeMessage(t, s, u.ID, fmt.Sprintf("+1555555010%d", i), t0)))
	}
	wantClaimed(t, s, t0, 0)
	wantClaimed(t, s, t0, -1)
	wantClaimed(t, s, t0, 1, ms[0])
	wantClaimed(t, s, t0, 3, ms[1], ms[2], ms[3])
	wantClaimed(t, s, t0, 3, ms[4])
	wantClaimed(t, s, t0, 3)
}

func testClaimMessagesLease(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	m := queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0))
	first := claimOne(t, s, m, t0)
	if first.Attempts != 1 || !first.LeaseUntil.Equal(t0.Add(lease)) {
		t.Errorf("claimed: Attempts %d, LeaseUntil %v", first.Attempts, first.LeaseUntil)
	}
	// While the lease lives, nobody else gets it.
	wantClaimed(t, s, t0.Add(lease-time.Millisecond), 10)
	// Its dispatcher died: at LeaseUntil it is due again, with one more
	// attempt and a new lease.
	second := claimOne(t, s, first, first.LeaseUntil)
	if second.Attempts != 2 {
		t.Errorf("claimed again: Attempts %d, want 2", second.Attempts)
	}
	checkRecord(t, "claimed again", messageFor(t, s, &m), claimedWant(first, first.LeaseUntil))
	wantClaimed(t, s, second.LeaseUntil.Add(-time.Millisecond), 10)
	third := claimOne(t, s, second, second.LeaseUntil.Add(time.Hour))
	if third.Attempts != 3 || third.Sealed == nil {
		t.Errorf("claimed a third time: Attempts %d, Sealed %v", third.Attempts, third.Sealed)
	}
	// The last claimer may complete it.
	completeMessage(t, s, m.ID, store.MessageUpdate{Status: store.MessageSent, Provider: "twilio", ProviderRef: "SM1", At: third.UpdatedAt.Add(time.Second)})
	wantClaimed(t, s, third.LeaseUntil.Add(time.Hour), 10)
}

func testClaimMessagesNeverFinal(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	var ms []store.Message
	for i, status := range []store.MessageStatus{store.MessageSent, store.MessageFailed, store.MessageExpired, store.MessageDelivered, store.MessageSent} {
		m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, fmt.Sprintf("+1555555010%d", i), t0)), t0)
		completeMessage(t, s, m.ID, store.MessageUpdate{Status: status, Provider: "twilio", ProviderRef: fmt.Sprintf("SM%d", i), At: t0.Add(time.Second)})
		ms = append(ms, m)
	}
	// The last one delivered by a receipt.
	if _, _, err := s.RecordReceipt(ctx, "twilio", "SM4", store.MessageDelivered, "", t0.Add(2*time.Second)); err != nil {
		t.Fatalf("RecordReceipt: %v", err)
	}
	for _, at := range []time.Time{t0.Add(lease), t0.Add(24 * time.Hour)} {
		wantClaimed(t, s, at, 10)
	}
	for _, m := range ms {
		if got := messageFor(t, s, &m); !got.Status.Final() || got.Attempts != 1 {
			t.Errorf("message %d: Status %q, Attempts %d", m.ID, got.Status, got.Attempts)
		}
	}
}

func testClaimMessagesIgnoresExpiresAt(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	m := queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0))
	// Too late to be worth sending: still claimed, for the dispatcher to
	// complete as expired.
	got := claimOne(t, s, m, m.ExpiresAt.Add(time.Hour))
	u2 := store.MessageUpdate{Status: store.MessageExpired, LastError: "expired", At: got.UpdatedAt}
	completeMessage(t, s, got.ID, u2)
	checkRecord(t, "expired message", messageFor(t, s, &m), completedWant(got, u2))
}

func testClaimMessagesConcurrent(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	const n, claimers = 50, 20
	want := make([]int64, n)
	for i := range n {
		want[i] = enqueueMessage(t, s, newMessage(u.ID, fmt.Sprintf("+155555501%02d", i), t0)).ID
	}
	ClaimEachOnce(t, []store.Messages{s}, claimers, t0.Add(time.Minute), want)
}

// ClaimEachOnce starts claimers goroutines at once, spread over stores
// (instances sharing one database), each claiming messages due at now, a
// few at a time, until none is left; it checks that the messages claimed
// are exactly want, each claimed once, on its first attempt. Engines use
// it for their tests across instances.
func ClaimEachOnce(t *testing.T, stores []store.Messages, claimers int, now time.Time, want []int64) {
	t.Helper()
	var mu sync.Mutex
	var claimed []store.Message
	Concurrently(claimers, func(i int) {
		s := stores[i%len(stores)]
		for {
			ms, err := s.ClaimMessages(t.Context(), now, time.Hour, 1+i%3)
			if err != nil {
				t.Errorf("ClaimMessages: %v", err)
				return
			}
			if len(ms) == 0 {
				return
			}
			mu.Lock()
			claimed = append(claimed, ms...)
			mu.Unlock()
		}
	})
	times := map[int64]int{}
	for _, m := range claimed {
		times[m.ID]++
		if m.Status != store.MessageSending || m.Attempts != 1 {
			t.Errorf("claimed message %d: Status %q, Attempts %d; want sending, 1", m.ID, m.Status, m.Attempts)
		}
	}
	for id, n := range times {
		if n != 1 {
			t.Errorf("message %d claimed %d times, want once", id, n)
		}
		if !slices.Contains(want, id) {
			t.Errorf("message %d claimed, but it was not queued", id)
		}
	}
	for _, id := range want {
		if times[id] == 0 {
			t.Errorf("message %d never claimed", id)
		}
	}
	if len(claimed) != len(want) {
		t.Errorf("%d claims of %d messages, want one each", len(claimed), len(want))
	}
}

func testCompleteMessageRetry(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0)), t0)
	retry := store.MessageUpdate{
		Status:        store.MessageQueued,
		NextAttemptAt: t0.Add(time.Minute),
		Provider:      "twilio",
		LastError:     "twilio: 503 Service Unavailable",
		At:            t0.Add(time.Second),
	}
	completeMessage(t, s, m.ID, retry)
	got := messageFor(t, s, &m)
	checkRecord(t, "message to retry", got, completedWant(m, retry))
	if got.Sealed == nil || got.Status != store.MessageQueued || !got.LeaseUntil.IsZero() {
		t.Errorf("message to retry: Sealed %v, Status %q, LeaseUntil %v", got.Sealed, got.Status, got.LeaseUntil)
	}
	// No longer sending.
	wantNotFound(t, s.CompleteMessage(ctx, m.ID, retry), "CompleteMessage of a queued message")
	// Due again at NextAttemptAt, not before.
	wantClaimed(t, s, retry.NextAttemptAt.Add(-time.Millisecond), 10)
	again := claimOne(t, s, got, retry.NextAttemptAt)
	if again.Attempts != 2 {
		t.Errorf("retried: Attempts %d, want 2", again.Attempts)
	}
	sent := store.MessageUpdate{Status: store.MessageSent, Provider: "twilio", ProviderRef: "SM1", At: retry.NextAttemptAt.Add(time.Second)}
	completeMessage(t, s, m.ID, sent)
	// A success clears the error of the try before, as u says.
	checkRecord(t, "sent message", messageFor(t, s, &m), completedWant(again, sent))
}

func testCompleteMessageRetryAtOnce(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	now := t0.Add(time.Minute)
	m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0)), now)
	retry := store.MessageUpdate{Status: store.MessageQueued, LastError: "timeout", At: now.Add(time.Second)}
	completeMessage(t, s, m.ID, retry)
	got := messageFor(t, s, &m)
	checkRecord(t, "message to retry", got, completedWant(m, retry))
	if !got.NextAttemptAt.Equal(retry.At) {
		t.Errorf("NextAttemptAt = %v, want At %v", got.NextAttemptAt, retry.At)
	}
	wantClaimed(t, s, retry.At.Add(-time.Millisecond), 10)
	claimOne(t, s, got, retry.At)
}

func testCompleteMessageFinal(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	for i, upd := range []store.MessageUpdate{
		{Status: store.MessageSent, Provider: "twilio", ProviderRef: "SM1"},
		{Status: store.MessageSent, Provider: "smtp", ProviderRef: "<1@mail.example.org>"},
		{Status: store.MessageFailed, Provider: "twilio", LastError: "twilio 21211: invalid 'To' number"},
		{Status: store.MessageExpired, LastError: "the code expired"},
		{Status: store.MessageDelivered, Provider: "twilio", ProviderRef: "SM2"},
		// NextAttemptAt means nothing to a final status.
		{Status: store.MessageFailed, NextAttemptAt: t0.Add(time.Hour), LastError: "out of tries"},
	} {
		m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, fmt.Sprintf("+1555555010%d", i), t0)), t0)
		if m.Sealed == nil {
			t.Fatal("claimed message has no content")
		}
		upd.At = t0.Add(time.Duration(i+1) * time.Second)
		completeMessage(t, s, m.ID, upd)
		got := messageFor(t, s, &m)
		checkRecord(t, fmt.Sprintf("%s message", upd.Status), got, completedWant(m, upd))
		if got.Sealed != nil || !got.LeaseUntil.IsZero() || !got.NextAttemptAt.Equal(t0) {
			t.Errorf("%s message: Sealed %v, LeaseUntil %v, NextAttemptAt %v; want nil, zero, %v",
				upd.Status, got.Sealed, got.LeaseUntil, got.NextAttemptAt, t0)
		}
		// Completed once: no longer sending.
		wantNotFound(t, s.CompleteMessage(ctx, m.ID, upd), "CompleteMessage of a "+string(upd.Status)+" message")
		wantNotFound(t, s.CompleteMessage(ctx, m.ID, store.MessageUpdate{Status: store.MessageQueued, At: upd.At}),
			"CompleteMessage(queued) of a "+string(upd.Status)+" message")
		checkRecord(t, fmt.Sprintf("%s message after another CompleteMessage", upd.Status), messageFor(t, s, &m), got)
	}
}

func testCompleteMessageNotSending(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	m := queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0))
	sent := store.MessageUpdate{Status: store.MessageSent, Provider: "twilio", ProviderRef: "SM1", At: t0}
	// Never claimed.
	wantNotFound(t, s.CompleteMessage(ctx, m.ID, sent), "CompleteMessage of a queued message")
	checkRecord(t, "queued message", messageFor(t, s, &m), m)
	// Unknown.
	wantNotFound(t, s.CompleteMessage(ctx, m.ID+1000, sent), "CompleteMessage(unknown)")
	wantNotFound(t, s.CompleteMessage(ctx, 0, sent), "CompleteMessage(0)")
	claimOne(t, s, m, t0)
}

func testCompleteMessageBadStatus(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, "+15555550100", t0)), t0)
	for _, status := range []store.MessageStatus{store.MessageSending, "", "bogus"} {
		err := s.CompleteMessage(ctx, m.ID, store.MessageUpdate{Status: status, Provider: "twilio", At: t0.Add(time.Second)})
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("CompleteMessage(status %q) = %v, want an error other than ErrNotFound", status, err)
		}
	}
	checkRecord(t, "message", messageFor(t, s, &m), m)
	// Still the claimer's to complete.
	completeMessage(t, s, m.ID, store.MessageUpdate{Status: store.MessageSent, At: t0.Add(time.Second)})
}

func testMessageForChallenge(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	c := newChallenge(u.ID, "attempt-1", store.PurposeLogin, t0)
	_, err := s.MessageForChallenge(ctx, 1)
	wantNotFound(t, err, "MessageForChallenge with no message")

	first := newMessage(u.ID, c.Destination, t0)
	mustNot(t, s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: first}), "IssueChallengeWithMessage")
	// A challenge without a message, and a notice.
	bare := issue(t, s, newChallenge(u.ID, "attempt-2", store.PurposeLogin, t0))
	enqueueMessage(t, s, newMessage(u.ID, "+15555550199", t0))

	// Another message with the same code, say by email after a failed
	// SMS; it is created earlier, but stored later, so it is the newest.
	second := newMessage(u.ID, "ann@example.org", t0.Add(-time.Second))
	second.Channel, second.ChallengeID = store.ChannelEmail, c.ID
	want := queuedWant(*second)
	enqueueMessage(t, s, second)
	want.ID = second.ID
	got, err := s.MessageForChallenge(ctx, c.ID)
	mustNot(t, err, "MessageForChallenge")
	checkRecord(t, "newest message", *got, want)

	_, err = s.MessageForChallenge(ctx, bare.ID)
	wantNotFound(t, err, "MessageForChallenge(challenge without message)")
	_, err = s.MessageForChallenge(ctx, c.ID+1000)
	wantNotFound(t, err, "MessageForChallenge(unknown)")
	_, err = s.MessageForChallenge(ctx, 0)
	wantNotFound(t, err, "MessageForChallenge(0)")
}

// receiptWant is what m reads back as after a report of status at at
// moved it.
func receiptWant(m store.Message, status store.MessageStatus, lastError string, at time.Time) store.Message {
	m.Status = status
	if lastError != "" {
		m.LastError = lastError
	}
	m.UpdatedAt = at
	m.Sealed = nil
	m.LeaseUntil = time.Time{}
	return m
}

// receipt records a report and checks what it returns, and what then
// reads back, against want; the report moved the message if want is in
// the reported status since at.
func receipt(t *testing.T, s MessageStore, provider, ref string, status store.MessageStatus, lastError string, at time.Time, want store.Message) {
	t.Helper()
	got, moved, err := s.RecordReceipt(t.Context(), provider, ref, status, lastError, at)
	if err != nil {
		t.Fatalf("RecordReceipt(%s, %s, %s): %v", provider, ref, status, err)
	}
	what := fmt.Sprintf("RecordReceipt(%s) of %s", status, ref)
	if wantMoved := want.Status == status && sameTime(want.UpdatedAt, at); moved != wantMoved {
		t.Errorf("%s: moved %v, want %v", what, moved, wantMoved)
	}
	checkRecord(t, what, *got, want)
	checkRecord(t, what+" read back", messageFor(t, s, got), want)
}

func testRecordReceipt(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	at := t0.Add(time.Minute)

	type report struct {
		status    store.MessageStatus
		lastError string
	}
	for _, c := range []struct {
		to, ref string
		final   report   // the report that settles the message
		later   []report // a second apart after it, moving it no more
	}{
		// sent → delivered, and then nothing moves it: not a late or
		// replayed report, nor the same one again (which is no move
		// either).
		{"+15555550101", "SM1", report{store.MessageDelivered, ""},
			[]report{{store.MessageSent, ""}, {store.MessageFailed, "30003 unreachable"}, {store.MessageDelivered, ""}}},
		// sent → failed, with the provider's reason; a late "delivered"
		// leaves the failure.
		{"+15555550102", "SM2", report{store.MessageFailed, "30003 unreachable"},
			[]report{{store.MessageDelivered, ""}, {store.MessageSent, ""}, {store.MessageFailed, "30005 unknown"}}},
	} {
		m := sentMessage(t, s, u.ID, c.to, t0, "twilio", c.ref)
		settled := receiptWant(m, c.final.status, c.final.lastError, at)
		receipt(t, s, "twilio", c.ref, c.final.status, c.final.lastError, at, settled)
		for i, r := range c.later {
			receipt(t, s, "twilio", c.ref, r.status, r.lastError, at.Add(time.Duration(i+1)*time.Second), settled)
		}
	}

	// A second "sent" is no move.
	m := sentMessage(t, s, u.ID, "+15555550103", t0, "twilio", "SM3")
	receipt(t, s, "twilio", "SM3", store.MessageSent, "", at, m)

	// The same reference at another provider is another message.
	m1 := sentMessage(t, s, u.ID, "+15555550104", t0, "twilio", "X1")
	m2 := sentMessage(t, s, u.ID, "ann@example.org", t0, "smtp", "X1")
	receipt(t, s, "smtp", "X1", store.MessageFailed, "550 no such user", at, receiptWant(m2, store.MessageFailed, "550 no such user", at))
	checkRecord(t, "twilio's X1", messageFor(t, s, &m1), m1)
	receipt(t, s, "twilio", "X1", store.MessageDelivered, "", at, receiptWant(m1, store.MessageDelivered, "", at))
	checkRecord(t, "smtp's X1", messageFor(t, s, &m2), receiptWant(m2, store.MessageFailed, "550 no such user", at))
}

// receiptMoves is where testRecordReceiptMoves wants a receipt to move a
// message: by the message's status, then the status reported; "" means
// no move.
var receiptMoves = map[store.MessageStatus]map[store.MessageStatus]store.MessageStatus{
	store.MessageQueued:    {store.MessageSent: store.MessageSent, store.MessageDelivered: store.MessageDelivered, store.MessageFailed: store.MessageFailed},
	store.MessageSending:   {store.MessageSent: store.MessageSent, store.MessageDelivered: store.MessageDelivered, store.MessageFailed: store.MessageFailed},
	store.MessageSent:      {store.MessageSent: "", store.MessageDelivered: store.MessageDelivered, store.MessageFailed: store.MessageFailed},
	store.MessageExpired:   {store.MessageSent: "", store.MessageDelivered: "", store.MessageFailed: ""},
	store.MessageDelivered: {store.MessageSent: "", store.MessageDelivered: "", store.MessageFailed: ""},
	store.MessageFailed:    {store.MessageSent: "", store.MessageDelivered: "", store.MessageFailed: ""},
}

// testRecordReceiptMoves tries each report on a message in each status
// that can carry a provider reference: a report only moves a message
// forward (queued or sending, then sent, then a final status), and a
// final status other than sent is never left, whatever report comes late
// or again.
func testRecordReceiptMoves(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	n := 0
	// withRef makes a message with a fresh reference in status from.
	withRef := func(from store.MessageStatus) (store.Message, string) {
		n++
		ref := fmt.Sprintf("SM%d", n)
		// Back in time, so that no message of an earlier case is due.
		created := t0.Add(-time.Duration(n) * time.Hour)
		m := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, fmt.Sprintf("+155555501%02d", n), created)), created)
		done := created.Add(time.Second)
		switch from {
		case store.MessageQueued, store.MessageSending:
			// A try that got a reference but is to be retried.
			completeMessage(t, s, m.ID, store.MessageUpdate{Status: store.MessageQueued, Provider: "twilio", ProviderRef: ref,
				LastError: "no answer", At: done})
			if from == store.MessageSending {
				claimMessages(t, s, done, 1)
			}
		case store.MessageSent, store.MessageExpired, store.MessageFailed:
			completeMessage(t, s, m.ID, store.MessageUpdate{Status: from, Provider: "twilio", ProviderRef: ref, At: done})
		case store.MessageDelivered:
			completeMessage(t, s, m.ID, store.MessageUpdate{Status: store.MessageSent, Provider: "twilio", ProviderRef: ref, At: done})
			if _, _, err := s.RecordReceipt(ctx, "twilio", ref, store.MessageDelivered, "", done); err != nil {
				t.Fatalf("RecordReceipt: %v", err)
			}
		}
		got := messageFor(t, s, &m)
		if got.Status != from {
			t.Fatalf("set-up: message in %q, want %q", got.Status, from)
		}
		return got, ref
	}
	for _, from := range []store.MessageStatus{store.MessageQueued, store.MessageSending, store.MessageSent,
		store.MessageExpired, store.MessageDelivered, store.MessageFailed} {
		for _, report := range []store.MessageStatus{store.MessageSent, store.MessageDelivered, store.MessageFailed} {
			t.Run(fmt.Sprintf("%s+%s", from, report), func(t *testing.T) {
				m, ref := withRef(from)
				at := m.UpdatedAt.Add(time.Minute)
				want := m
				if to := receiptMoves[from][report]; to != "" {
					want = receiptWant(m, to, "report "+ref, at)
				}
				receipt(t, s, "twilio", ref, report, "report "+ref, at, want)
				if want.Status.Final() {
					// Ended: no dispatcher takes it (again).
					if ms := claimMessages(t, s, at.Add(24*time.Hour), 100); slices.Contains(messageIDs(ms), m.ID) {
						t.Errorf("message %d, %s, was claimed", m.ID, want.Status)
					}
				}
			})
		}
	}
}

func testRecordReceiptNotFound(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	_, _, err := s.RecordReceipt(ctx, "twilio", "SM1", store.MessageDelivered, "", t0)
	wantNotFound(t, err, "RecordReceipt with no messages")

	m := sentMessage(t, s, u.ID, "+15555550100", t0, "twilio", "SM1")
	// A try that got no reference, to be retried.
	r := claimOne(t, s, queuedWant(*codeMessage(t, s, u.ID, "+15555550101", t0)), t0)
	completeMessage(t, s, r.ID, store.MessageUpdate{Status: store.MessageQueued, Provider: "twilio", LastError: "503", At: t0.Add(time.Second)})
	retry := messageFor(t, s, &r)

	for _, tc := range []struct{ provider, ref string }{
		{"twilio", "SM2"},
		{"twilio", "sm1"},
		{"smtp", "SM1"},
		{"", "SM1"},
		{"twilio", ""}, // not the messages without a reference
		{"", ""},
	} {
		_, _, err := s.RecordReceipt(ctx, tc.provider, tc.ref, store.MessageDelivered, "", t0.Add(time.Minute))
		wantNotFound(t, err, fmt.Sprintf("RecordReceipt(%q, %q)", tc.provider, tc.ref))
	}
	// Not a report.
	for _, status := range []store.MessageStatus{store.MessageQueued, store.MessageSending, store.MessageExpired, "", "bogus"} {
		_, _, err := s.RecordReceipt(ctx, "twilio", "SM1", status, "", t0.Add(time.Minute))
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordReceipt(status %q) = %v, want an error other than ErrNotFound", status, err)
		}
	}
	checkRecord(t, "sent message", messageFor(t, s, &m), m)
	checkRecord(t, "message to retry", messageFor(t, s, &r), retry)
}

func testCountMessages(t *testing.T, s MessageStore) {
	ctx := t.Context()
	ann := createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	add := func(userID int64, ch store.Channel, to, ip string, at time.Time) *store.Message {
		m := newMessage(userID, to, at)
		m.Channel, m.IP = ch, ip
		return enqueueMessage(t, s, m)
	}
	const ipA, ipB = "192.0.2.1", "2001:db8::1"
	// Whatever their status: a failed message counts too.
	f := claimOne(t, s, queuedWant(*codeMessage(t, s, bob.ID, "+447700900003", t0.Add(4*time.Minute))), t0.Add(4*time.Minute))
	completeMessage(t, s, f.ID, store.MessageUpdate{Status: store.MessageFailed, LastError: "refused", At: t0.Add(5 * time.Minute)})
	add(ann.ID, store.ChannelSMS, "+447700900001", ipA, t0)
	add(ann.ID, store.ChannelSMS, "+447700900001", ipB, t0.Add(time.Minute))
	add(bob.ID, store.ChannelSMS, "+447700900002", ipA, t0.Add(2*time.Minute))
	add(bob.ID, store.ChannelSMS, "+14155550100", ipB, t0.Add(3*time.Minute))
	add(ann.ID, store.ChannelEmail, "ann@example.org", ipA, t0)
	add(ann.ID, store.ChannelEmail, "ann@example.org", ipA, t0.Add(3*time.Minute))

	for _, tc := range messageCountCases(ipA, ipB) {
		n, err := s.CountMessages(ctx, tc.q)
		if err != nil || n != tc.want {
			t.Errorf("CountMessages(%+v) = %d, %v; want %d", tc.q, n, err, tc.want)
		}
	}
}

// messageCountCase is a count that testCountMessages asks for and the
// number of its messages that it finds.
type messageCountCase struct {
	q    store.MessageCount
	want int
}

// messageCountCases are the counts of testCountMessages, whose messages
// come from the addresses ipA and ipB.
func messageCountCases(ipA, ipB string) []messageCountCase {
	return []messageCountCase{
		{store.MessageCount{Channel: store.ChannelSMS}, 5},
		{store.MessageCount{Channel: store.ChannelSMS, Since: t0}, 5},
		{store.MessageCount{Channel: store.ChannelSMS, Since: t0.Add(time.Millisecond)}, 4},
		{store.MessageCount{Channel: store.ChannelSMS, Since: t0.Add(time.Minute)}, 4}, // inclusive
		{store.MessageCount{Channel: store.ChannelSMS, Since: t0.Add(4 * time.Minute)}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, Since: t0.Add(4*time.Minute + time.Millisecond)}, 0},
		{store.MessageCount{Channel: store.ChannelEmail}, 2},
		{store.MessageCount{Channel: store.ChannelEmail, Since: t0.Add(time.Minute)}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+447700900001"}, 2},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+447700900001", Since: t0.Add(time.Second)}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+44770090000"}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+447700900003"}, 1},
		{store.MessageCount{Channel: store.ChannelEmail, To: "ann@example.org"}, 2},
		{store.MessageCount{Channel: store.ChannelEmail, To: "ANN@example.org"}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, To: "ann@example.org"}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+44"}, 4},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+44", Since: t0.Add(time.Minute)}, 3},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+1"}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+"}, 5},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+447700900001"}, 2},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+33"}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "44"}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, IP: ipA}, 3},
		{store.MessageCount{Channel: store.ChannelSMS, IP: ipB}, 2},
		{store.MessageCount{Channel: store.ChannelSMS, IP: ipB, Since: t0.Add(2 * time.Minute)}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, IP: "192.0.2.2"}, 0},
		{store.MessageCount{Channel: store.ChannelEmail, IP: ipA}, 2},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+447700900001", IP: ipB}, 1},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+44", IP: ipA}, 3},
		{store.MessageCount{Channel: store.ChannelSMS, Prefix: "+1", IP: ipA}, 0},
		{store.MessageCount{Channel: store.ChannelSMS, To: "+14155550100", Prefix: "+44"}, 0},
	}
}

func testCountMessagesPrefix(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	for _, to := range []string{"a_b@example.org", "axb@example.org", "a%b@example.org", `a\b@example.org`, "Ann@example.org"} {
		m := newMessage(u.ID, to, t0)
		m.Channel = store.ChannelEmail
		enqueueMessage(t, s, m)
	}
	// No wildcards, and case matters.
	for _, tc := range []struct {
		prefix string
		want   int
	}{
		{"a", 4},
		{"a_", 1},
		{"a_b@", 1},
		{"a%", 1},
		{"%", 0},
		{"_", 0},
		{`a\`, 1},
		{`a\b`, 1},
		{`a\_`, 0},
		{"axb", 1},
		{"A", 1},
		{"ann", 0},
	} {
		q := store.MessageCount{Channel: store.ChannelEmail, Prefix: tc.prefix}
		n, err := s.CountMessages(ctx, q)
		if err != nil || n != tc.want {
			t.Errorf("CountMessages(Prefix %q) = %d, %v; want %d", tc.prefix, n, err, tc.want)
		}
	}
}

func testIssueChallengeWithMessageBudgets(t *testing.T, s MessageStore) {
	u := createUser(t, s, "ann@example.org")
	checkOneBudget(t, s, u)
	checkSeveralBudgets(t, s, u)
	checkBudgetsOfOneWindow(t, s, u)
}

// countryBudget is a budget of limit text messages to +1 since t0.
func countryBudget(limit int) store.Budget {
	return store.Budget{Name: "country +1", Limit: limit, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0, Prefix: "+1"}}
}

// checkOneBudget issues two codes within a budget, then one over it,
// which leaves no trace, then one within another budget.
func checkOneBudget(t *testing.T, s MessageStore, u *store.User) {
	ctx := t.Context()
	for i := 0; i < 2; i++ {
		c := newChallenge(u.ID, fmt.Sprint("attempt-", i), store.PurposeLogin, t0.Add(time.Duration(i)*time.Second))
		if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: newMessage(u.ID, c.Destination, c.CreatedAt), Budgets: []store.Budget{countryBudget(2)}}); err != nil {
			t.Fatalf("within the budget: %v", err)
		}
	}
	c := newChallenge(u.ID, "attempt-3", store.PurposeLogin, t0.Add(time.Minute))
	err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: newMessage(u.ID, c.Destination, c.CreatedAt), Budgets: []store.Budget{countryBudget(5), countryBudget(2)}, Audit: codeSent(u, c.CreatedAt)})
	var be *store.BudgetError
	if !errors.As(err, &be) || be.Budget != "country +1" {
		t.Fatalf("over the budget: %v, want a *store.BudgetError", err)
	}
	_, err = s.LatestChallenge(ctx, u.ID, "attempt-3", store.PurposeLogin)
	wantNotFound(t, err, "LatestChallenge after a refused budget")
	if n, _ := s.CountMessages(ctx, store.MessageCount{Channel: store.ChannelSMS}); n != 2 {
		t.Errorf("%d messages after a refused budget, want 2", n)
	}
	if events, err := s.AuditForUser(ctx, u.ID, 10); err != nil || len(events) != 0 {
		t.Errorf("%d audit events after a refused budget (%v), want none", len(events), err)
	}
	// A budget on something else does not count these.
	other := store.Budget{Name: "ip", Limit: 1, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0, IP: "192.0.2.99"}}
	if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: newMessage(u.ID, c.Destination, c.CreatedAt), Budgets: []store.Budget{other}}); err != nil {
		t.Fatalf("another budget: %v", err)
	}
}

// checkSeveralBudgets issues a code over the third of five budgets, then
// within four.
func checkSeveralBudgets(t *testing.T, s MessageStore, u *store.User) {
	ctx := t.Context()
	// Several budgets at once: each counts its own messages (three now,
	// all from 192.0.2.1 to +1…), and the first that is full is named.
	portal := store.Budget{Name: "whole portal", Limit: 10, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0}}
	address := store.Budget{Name: "address", Limit: 1, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0, IP: "192.0.2.99"}}
	email := store.Budget{Name: "email", Limit: 1, Count: store.MessageCount{Channel: store.ChannelEmail, Since: t0}}
	later := store.Budget{Name: "whole portal, smaller", Limit: 3, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0}}
	c4 := newChallenge(u.ID, "attempt-4", store.PurposeLogin, t0.Add(2*time.Minute))
	var be *store.BudgetError
	err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c4, Message: newMessage(u.ID, c4.Destination, c4.CreatedAt),
		Budgets: []store.Budget{portal, address, email, countryBudget(3), later}})
	if !errors.As(err, &be) || be.Budget != "country +1" {
		t.Fatalf("over the third of five budgets: %v, want a *store.BudgetError naming it", err)
	}
	if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c4, Message: newMessage(u.ID, c4.Destination, c4.CreatedAt),
		Budgets: []store.Budget{portal, address, email, countryBudget(4)}}); err != nil {
		t.Fatalf("within four budgets: %v", err)
	}
}

// checkBudgetsOfOneWindow issues codes against budgets of one channel and
// time, after an email.
func checkBudgetsOfOneWindow(t *testing.T, s MessageStore, u *store.User) {
	ctx := t.Context()
	// A code's budgets share their channel and time, and are counted on
	// that one range: each still counts only its own messages, none older
	// nor on another channel. Since t0+30s there are two text messages
	// (t0+1m, t0+2m), both from 192.0.2.1 to +15555550100, and an email.
	c5 := newChallenge(u.ID, "attempt-5", store.PurposeLogin, t0.Add(3*time.Minute))
	mail := newMessage(u.ID, "ann@example.org", c5.CreatedAt)
	mail.Channel = store.ChannelEmail
	c5.Channel, c5.Destination = store.ChannelEmail, mail.To
	if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c5, Message: mail}); err != nil {
		t.Fatal(err)
	}
	var be *store.BudgetError
	window := func(name string, limit int, q store.MessageCount) store.Budget {
		q.Channel, q.Since = store.ChannelSMS, t0.Add(30*time.Second)
		return store.Budget{Name: name, Limit: limit, Count: q}
	}
	for i, tc := range []struct {
		budgets []store.Budget
		want    string // the budget named, "" for none
	}{
		{[]store.Budget{window("hour", 3, store.MessageCount{}), window("other address", 1, store.MessageCount{IP: "192.0.2.99"}),
			window("country", 3, store.MessageCount{Prefix: "+1"}), window("number", 3, store.MessageCount{To: "+15555550100"}),
			window("address", 2, store.MessageCount{IP: "192.0.2.1"})}, "address"},
		{[]store.Budget{window("other country", 1, store.MessageCount{Prefix: "+44"}), window("country", 2, store.MessageCount{Prefix: "+1"})}, "country"},
		{[]store.Budget{window("other number", 1, store.MessageCount{To: "+15555550199"}), window("hour", 2, store.MessageCount{})}, "hour"},
		{[]store.Budget{window("hour", 3, store.MessageCount{}), window("address", 3, store.MessageCount{IP: "192.0.2.1"}),
			window("country", 3, store.MessageCount{Prefix: "+1"})}, ""},
		{[]store.Budget{window("other address", 1, store.MessageCount{IP: "192.0.2.99"}), window("other country", 1, store.MessageCount{Prefix: "+44"})}, ""},
	} {
		// The cases within their budgets come last: each writes a message.
		c := newChallenge(u.ID, fmt.Sprint("attempt-6-", i), store.PurposeLogin, t0.Add(4*time.Minute))
		err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: newMessage(u.ID, c.Destination, c.CreatedAt), Budgets: tc.budgets})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("within %d budgets of one window: %v", len(tc.budgets), err)
		case tc.want != "" && (!errors.As(err, &be) || be.Budget != tc.want):
			t.Errorf("budgets of one window: %v, want the budget %q named", err, tc.want)
		}
	}
}

func testIssueChallengeWithMessageBudgetsConcurrent(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	const limit, tries = 5, 20
	b := store.Budget{Name: "whole portal", Limit: limit, Count: store.MessageCount{Channel: store.ChannelSMS, Since: t0}}
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	for i := 0; i < tries; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := newChallenge(u.ID, fmt.Sprint("attempt-", i), store.PurposeLogin, t0)
			err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: newMessage(u.ID, c.Destination, c.CreatedAt), Budgets: []store.Budget{b}})
			var be *store.BudgetError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &be):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != limit || refused.Load() != tries-limit {
		t.Fatalf("%d issued and %d refused of %d concurrent tries within a budget of %d", ok.Load(), refused.Load(), tries, limit)
	}
}

// testCompleteMessageStaleLease: a dispatcher whose lease ran out, and whose
// message another took over, cannot record an outcome over the new claim.
func testCompleteMessageStaleLease(t *testing.T, s MessageStore) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	m := newMessage(u.ID, "+15555550100", t0)
	if err := s.EnqueueMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	first := claimMessages(t, s, t0, 10)
	second := claimMessages(t, s, t0.Add(2*time.Minute), 10) // the first lease (1 minute) has run out
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("claims: %d then %d", len(first), len(second))
	}
	stale := store.MessageUpdate{Status: store.MessageSent, At: t0.Add(3 * time.Minute), Lease: first[0].LeaseUntil}
	wantNotFound(t, s.CompleteMessage(ctx, m.ID, stale), "CompleteMessage with a lease that was taken over")
	current := store.MessageUpdate{Status: store.MessageSent, At: t0.Add(3 * time.Minute), Lease: second[0].LeaseUntil}
	if err := s.CompleteMessage(ctx, m.ID, current); err != nil {
		t.Fatalf("CompleteMessage with the current lease: %v", err)
	}
}
