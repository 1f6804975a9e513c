package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var overviewTests = []test{
	{"Overview", testOverview},
	{"OverviewEmpty", testOverviewEmpty},
	{"OverviewTallies", testOverviewTallies},
}

// overviewMessage issues a code on ch to to at at, with the message
// carrying it, and, unless status is queued, takes it through a provider
// to status, reported done after took. It returns the challenge's ID.
func overviewMessage(t *testing.T, s store.Store, userID int64, ch store.Channel, to string, at time.Time, status store.MessageStatus, took time.Duration) int64 {
	t.Helper()
	ctx := t.Context()
	c := newChallenge(userID, fmt.Sprintf("overview-%s-%d", to, at.UnixMilli()), store.PurposeLogin, at)
	c.Channel, c.Destination = ch, to
	m := newMessage(userID, to, at)
	m.Channel = ch
	if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}); err != nil {
		t.Fatalf("IssueChallengeWithMessage: %v", err)
	}
	if status == store.MessageQueued {
		return c.ID
	}
	claimed, err := s.ClaimMessages(ctx, at, lease, 1)
	if err != nil || len(claimed) != 1 || claimed[0].ID != m.ID {
		t.Fatalf("ClaimMessages at %v: %v, %v; want message %d", at, claimed, err, m.ID)
	}
	provider, ref := "twilio", fmt.Sprintf("SM%d", m.ID)
	if ch == store.ChannelEmail {
		provider = "smtp"
	}
	done := store.MessageUpdate{Status: store.MessageSent, Provider: provider, ProviderRef: ref, At: at.Add(time.Second), Lease: claimed[0].LeaseUntil}
	if status == store.MessageExpired {
		done.Status = store.MessageExpired
	}
	completeMessage(t, s, m.ID, done)
	if status == store.MessageDelivered || status == store.MessageFailed {
		if _, moved, err := s.RecordReceipt(ctx, provider, ref, status, "", at.Add(took)); err != nil || !moved {
			t.Fatalf("RecordReceipt(%s): moved %v, %v", status, moved, err)
		}
	}
	return c.ID
}

// Overview counts, in their buckets, the codes sent and what became of
// them (by channel, status, provider, calling code and delivery time), the
// codes used, and the audit's budget refusals, lockouts and logins; not
// notices, nor anything before the span or at its end, nor other events.
func testOverview(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	q := store.OverviewQuery{Since: t0, Bucket: time.Hour, Buckets: 3}
	seedOverviewMessages(t, s, u.ID, q)
	for _, e := range overviewAudit {
		ev := &store.AuditEvent{Time: t0.Add(e.at), Event: e.event, Outcome: e.outcome, SubjectID: u.ID}
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}

	got, err := s.Overview(ctx, q)
	if err != nil {
		t.Fatalf("Overview: %v", err)
	}
	sortOverview(got)
	if want := overviewWant; !reflect.DeepEqual(got, want) {
		t.Errorf("Overview =\n%+v\nwant\n%+v", got, want)
	}
}

// seedOverviewMessages stores testOverview's messages of userID, codes
// and a notice, in the span of q and outside it.
func seedOverviewMessages(t *testing.T, s store.Store, userID int64, q store.OverviewQuery) {
	ctx := t.Context()
	used := overviewMessage(t, s, userID, store.ChannelSMS, "+447546123456", t0.Add(10*time.Minute), store.MessageDelivered, 12*time.Second)
	if ok, err := s.ConsumeChallenge(ctx, used, t0.Add(11*time.Minute)); err != nil || !ok {
		t.Fatalf("ConsumeChallenge: %v, %v", ok, err)
	}
	overviewMessage(t, s, userID, store.ChannelSMS, "+447546123457", t0.Add(20*time.Minute), store.MessageDelivered, 2*time.Minute)
	overviewMessage(t, s, userID, store.ChannelSMS, "+15555550100", t0.Add(70*time.Minute), store.MessageFailed, 3*time.Second)
	overviewMessage(t, s, userID, store.ChannelEmail, "ann@example.org", t0.Add(125*time.Minute), store.MessageSent, 0)
	// Outside the span: before it, and at its end.
	overviewMessage(t, s, userID, store.ChannelSMS, "+447546123456", t0.Add(-time.Millisecond), store.MessageDelivered, time.Second)
	overviewMessage(t, s, userID, store.ChannelSMS, "+447546123456", q.Until(), store.MessageDelivered, time.Second)
	// Last: a queued one is claimed by the next claim.
	overviewMessage(t, s, userID, store.ChannelSMS, "+15555550101", t0.Add(80*time.Minute), store.MessageQueued, 0)
	// A notice carries no code.
	enqueueMessage(t, s, newMessage(userID, "+447546123456", t0.Add(15*time.Minute)))
}

// overviewAudit are testOverview's audit events, at their times after t0.
var overviewAudit = []struct {
	at             time.Duration
	event, outcome string
}{
	{5 * time.Minute, "code.sent", "limited"},
	{6 * time.Minute, "code.sent", "queued"},
	{90 * time.Minute, "account.locked", "codes"},
	{91 * time.Minute, "account.locked", "password"},
	{130 * time.Minute, "login", "success"},
	{131 * time.Minute, "login", "success"},
	{132 * time.Minute, "login.password", "failure"},
	{-time.Minute, "login", "success"},
	{3 * time.Hour, "login", "success"},
}

// overviewWant is what testOverview's Overview counts.
var overviewWant = &store.OverviewCounts{
	Messages: []store.MessageTally{
		{Bucket: 0, Channel: store.ChannelSMS, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+447", DeliveryTime: 1, Count: 1},
		{Bucket: 0, Channel: store.ChannelSMS, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+447", DeliveryTime: 3, Count: 1},
		{Bucket: 1, Channel: store.ChannelSMS, Status: store.MessageFailed, Provider: "twilio", Prefix: "+155", DeliveryTime: -1, Count: 1},
		{Bucket: 1, Channel: store.ChannelSMS, Status: store.MessageQueued, Provider: "", Prefix: "+155", DeliveryTime: -1, Count: 1},
		{Bucket: 2, Channel: store.ChannelEmail, Status: store.MessageSent, Provider: "smtp", Prefix: "", DeliveryTime: -1, Count: 1},
	},
	Codes: []store.CodeTally{
		{Bucket: 0, Channel: store.ChannelSMS, Prefix: "+447", Issued: 2, Verified: 1},
		{Bucket: 1, Channel: store.ChannelSMS, Prefix: "+155", Issued: 2, Verified: 0},
		{Bucket: 2, Channel: store.ChannelEmail, Prefix: "", Issued: 1, Verified: 0},
	},
	Events: []store.EventTally{
		{Bucket: 0, Event: "code.sent", Outcome: "limited", Count: 1},
		{Bucket: 1, Event: "account.locked", Outcome: "codes", Count: 1},
		{Bucket: 1, Event: "account.locked", Outcome: "password", Count: 1},
		{Bucket: 2, Event: "login", Outcome: "success", Count: 2},
	},
}

// An empty span counts nothing, and a span of no buckets is refused.
func testOverviewEmpty(t *testing.T, s store.Store) {
	got, err := s.Overview(t.Context(), store.OverviewQuery{Since: t0, Bucket: time.Minute, Buckets: 60})
	if err != nil {
		t.Fatalf("Overview: %v", err)
	}
	if len(got.Messages)+len(got.Codes)+len(got.Events) != 0 {
		t.Errorf("Overview of an empty store = %+v, want nothing", got)
	}
	if _, err := s.Overview(t.Context(), store.OverviewQuery{Since: t0, Bucket: time.Minute}); err == nil {
		t.Error("Overview of no buckets: no error")
	}
}

// sortOverview puts each list of c in one order, which the statements
// do not promise.
func sortOverview(c *store.OverviewCounts) {
	slices.SortFunc(c.Messages, func(a, b store.MessageTally) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Prefix, b.Prefix), cmp.Compare(a.DeliveryTime, b.DeliveryTime))
	})
	slices.SortFunc(c.Codes, func(a, b store.CodeTally) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Prefix, b.Prefix))
	})
	slices.SortFunc(c.Events, func(a, b store.EventTally) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Event, b.Event), cmp.Compare(a.Outcome, b.Outcome))
	})
}

// SeedOverview writes, through s, what the Overview counts in the three
// hours from the returned hour, each way it comes about: codes whose
// message was delivered in each class of delivery time (at each class's
// bounds), failed, expired, sent, retried from one provider to another,
// being sent and still queued; a code sent in an hour's last moment,
// delivered and used in the next; reports that come again or would move a
// message backwards; a notice; and the audit events counted, each side of
// an hour's end, among others that are not.
func SeedOverview(t *testing.T, s store.Store) time.Time {
	t.Helper()
	u := createUser(t, s, "overview@example.org")
	h := t0.Truncate(time.Hour)

	seedDeliveryTimes(t, s, u.ID, h)
	seedReportsAgain(t, s, u.ID, h)
	seedRetried(t, s, u.ID, h)
	seedNotice(t, s, u.ID, h)
	seedInFlight(t, s, u.ID, h)
	seedOverviewEvents(t, s, u.ID, h)
	return h
}

// seedDeliveryTimes: a code across an hour's end, codes delivered in each
// class of delivery time at its bounds, failed, expired and by email.
func seedDeliveryTimes(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	// Across an hour's end: sent at its last millisecond, delivered 6 s
	// later and used 10 s later, in the next hour.
	last := h.Add(time.Hour - time.Millisecond)
	used := overviewMessage(t, s, userID, store.ChannelSMS, "+447546123456", last, store.MessageDelivered, 6*time.Second)
	if ok, err := s.ConsumeChallenge(ctx, used, last.Add(10*time.Second)); err != nil || !ok {
		t.Fatalf("ConsumeChallenge: %v, %v", ok, err)
	}
	// Each class of delivery time, at and just under its bounds.
	at := h.Add(70 * time.Minute)
	for i, took := range []time.Duration{0, 4999 * time.Millisecond, 5 * time.Second, 15*time.Second - time.Millisecond,
		15 * time.Second, time.Minute, 5*time.Minute - time.Millisecond, 5 * time.Minute, time.Hour} {
		to := fmt.Sprintf("+1555555%04d", i)
		c := overviewMessage(t, s, userID, store.ChannelSMS, to, at.Add(time.Duration(i)*time.Second), store.MessageDelivered, took)
		if i%3 == 0 {
			if ok, err := s.ConsumeChallenge(ctx, c, at.Add(time.Duration(i)*time.Second+time.Minute)); err != nil || !ok {
				t.Fatalf("ConsumeChallenge: %v, %v", ok, err)
			}
		}
	}
	overviewMessage(t, s, userID, store.ChannelSMS, "+4915112345678", h.Add(80*time.Minute), store.MessageFailed, 3*time.Second)
	overviewMessage(t, s, userID, store.ChannelSMS, "+33612345678", h.Add(81*time.Minute), store.MessageExpired, 0)
	overviewMessage(t, s, userID, store.ChannelEmail, "ann@example.org", h.Add(125*time.Minute), store.MessageSent, 0)
	overviewMessage(t, s, userID, store.ChannelEmail, "ann@example.org", h.Add(126*time.Minute), store.MessageDelivered, 2*time.Minute)
}

// seedReportsAgain: delivery reports that come again or would move a
// message backwards.
func seedReportsAgain(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	// Reports again, and backwards: the first delivered report stands.
	twice := overviewMessage(t, s, userID, store.ChannelSMS, "+447546123458", h.Add(20*time.Minute), store.MessageDelivered, 20*time.Second)
	m, err := s.MessageForChallenge(ctx, twice)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []store.MessageStatus{store.MessageDelivered, store.MessageFailed, store.MessageSent} {
		if _, moved, err := s.RecordReceipt(ctx, m.Provider, m.ProviderRef, st, "", h.Add(50*time.Minute)); err != nil || moved {
			t.Fatalf("RecordReceipt(%s) again: moved %v, %v", st, moved, err)
		}
	}
}

// seedRetried: a message retried from one provider to another.
func seedRetried(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	// Retried: the first provider fails the try, the second sends it, its
	// report says delivered; a report without a known reference moves
	// nothing.
	retryAt := h.Add(30 * time.Minute)
	c := newChallenge(userID, "overview-retry", store.PurposeLogin, retryAt)
	c.Destination = "+447546123459"
	m := newMessage(userID, c.Destination, retryAt)
	if err := s.IssueChallengeWithMessage(ctx, store.CodeIssue{Challenge: c, Message: m}); err != nil {
		t.Fatalf("IssueChallengeWithMessage: %v", err)
	}
	for i, try := range []store.MessageUpdate{
		{Status: store.MessageQueued, Provider: "twilio", LastError: "timeout", At: retryAt.Add(time.Second), NextAttemptAt: retryAt.Add(time.Minute)},
		{Status: store.MessageSent, Provider: "vonage", ProviderRef: "V-retry", At: retryAt.Add(time.Minute + time.Second)},
	} {
		claimed, err := s.ClaimMessages(ctx, retryAt.Add(time.Duration(i)*time.Minute), lease, 1)
		if err != nil || len(claimed) != 1 || claimed[0].ID != m.ID {
			t.Fatalf("ClaimMessages: %v, %v; want message %d", claimed, err, m.ID)
		}
		try.Lease = claimed[0].LeaseUntil
		completeMessage(t, s, m.ID, try)
	}
	if _, moved, err := s.RecordReceipt(ctx, "vonage", "V-retry", store.MessageDelivered, "", retryAt.Add(2*time.Minute)); err != nil || !moved {
		t.Fatalf("RecordReceipt: moved %v, %v", moved, err)
	}
	if _, _, err := s.RecordReceipt(ctx, "vonage", "V-unknown", store.MessageDelivered, "", retryAt.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RecordReceipt of an unknown reference: %v, want store.ErrNotFound", err)
	}
}

// seedNotice: a notice, which no count takes.
func seedNotice(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	// A notice carries no code, and is not counted, whatever becomes of it.
	notice := enqueueMessage(t, s, newMessage(userID, "+447546123456", h.Add(2*time.Hour)))
	claimed, err := s.ClaimMessages(ctx, h.Add(2*time.Hour), lease, 1)
	if err != nil || len(claimed) != 1 || claimed[0].ID != notice.ID {
		t.Fatalf("ClaimMessages: %v, %v; want the notice %d", claimed, err, notice.ID)
	}
	completeMessage(t, s, notice.ID, store.MessageUpdate{Status: store.MessageSent, Provider: "twilio", ProviderRef: "notice", At: h.Add(2 * time.Hour), Lease: claimed[0].LeaseUntil})
	if _, moved, err := s.RecordReceipt(ctx, "twilio", "notice", store.MessageDelivered, "", h.Add(2*time.Hour+time.Second)); err != nil || !moved {
		t.Fatalf("RecordReceipt of the notice: moved %v, %v", moved, err)
	}
}

// seedInFlight: a message being sent and one still queued.
func seedInFlight(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	// Last, as the next claim takes it: one being sent, one queued.
	sending := h.Add(150 * time.Minute)
	overviewMessage(t, s, userID, store.ChannelSMS, "+447546123460", sending, store.MessageQueued, 0)
	if claimed, err := s.ClaimMessages(ctx, sending, lease, 1); err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimMessages: %v, %v", claimed, err)
	}
	overviewMessage(t, s, userID, store.ChannelSMS, "+15555550101", h.Add(151*time.Minute), store.MessageQueued, 0)
}

// seedOverviewEvents: the audit events the Overview counts, each side of
// an hour's end, among others that are not.
func seedOverviewEvents(t *testing.T, s store.Store, userID int64, h time.Time) {
	t.Helper()
	ctx := t.Context()
	for _, e := range []struct {
		at             time.Duration
		event, outcome string
	}{
		{5 * time.Minute, "code.sent", "limited"},
		{6 * time.Minute, "code.sent", "queued"},
		{59*time.Minute + 59*time.Second, "login", "success"},
		{time.Hour, "login", "success"},
		{90 * time.Minute, "account.locked", "codes"},
		{91 * time.Minute, "account.locked", "password"},
		{132 * time.Minute, "login.password", "failure"},
		{179 * time.Minute, "code.sent", "limited"},
	} {
		ev := &store.AuditEvent{Time: h.Add(e.at), Event: e.event, Outcome: e.outcome, SubjectID: userID}
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
}

// Spans of whole hours from an hour (the last day, the last week) are
// counted from the hourly tallies; they agree with the tables' own counts
// of the same span in half hours, added up, after every way a message
// moves and across an hour's end; they are what SeedOverview wrote.
func testOverviewTallies(t *testing.T, s store.Store) {
	h := SeedOverview(t, s)
	for _, q := range []store.OverviewQuery{
		{Since: h, Bucket: time.Hour, Buckets: 3},
		{Since: h.Add(-3 * time.Hour), Bucket: 6 * time.Hour, Buckets: 2},
	} {
		tallied, err := s.Overview(t.Context(), q)
		if err != nil {
			t.Fatalf("Overview(%+v): %v", q, err)
		}
		per := int(q.Bucket / (30 * time.Minute))
		counted, err := s.Overview(t.Context(), store.OverviewQuery{Since: q.Since, Bucket: 30 * time.Minute, Buckets: q.Buckets * per})
		if err != nil {
			t.Fatalf("Overview in half hours: %v", err)
		}
		if want := addBuckets(counted, per); !reflect.DeepEqual(addBuckets(tallied, 1), want) {
			t.Errorf("Overview(%+v) from the tallies =\n%+v\nfrom the tables\n%+v", q, addBuckets(tallied, 1), want)
		}
	}

	got, err := s.Overview(t.Context(), store.OverviewQuery{Since: h, Bucket: time.Hour, Buckets: 3})
	if err != nil {
		t.Fatal(err)
	}
	sortOverview(got)
	if want := seededOverview(); !reflect.DeepEqual(got, want) {
		t.Errorf("Overview from the tallies =\n%+v\nwant\n%+v", got, want)
	}
}

// seededOverview is what the Overview counts of SeedOverview's three hours,
// in sortOverview's order.
func seededOverview() *store.OverviewCounts {
	sms, email := store.ChannelSMS, store.ChannelEmail
	return &store.OverviewCounts{
		Messages: []store.MessageTally{
			{Bucket: 0, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+447", DeliveryTime: 1, Count: 1},
			{Bucket: 0, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+447", DeliveryTime: 2, Count: 1},
			{Bucket: 0, Channel: sms, Status: store.MessageDelivered, Provider: "vonage", Prefix: "+447", DeliveryTime: 3, Count: 1},
			{Bucket: 1, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+155", DeliveryTime: 0, Count: 2},
			{Bucket: 1, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+155", DeliveryTime: 1, Count: 2},
			{Bucket: 1, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+155", DeliveryTime: 2, Count: 1},
			{Bucket: 1, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+155", DeliveryTime: 3, Count: 2},
			{Bucket: 1, Channel: sms, Status: store.MessageDelivered, Provider: "twilio", Prefix: "+155", DeliveryTime: 4, Count: 2},
			{Bucket: 1, Channel: sms, Status: store.MessageExpired, Provider: "twilio", Prefix: "+336", DeliveryTime: -1, Count: 1},
			{Bucket: 1, Channel: sms, Status: store.MessageFailed, Provider: "twilio", Prefix: "+491", DeliveryTime: -1, Count: 1},
			{Bucket: 2, Channel: email, Status: store.MessageDelivered, Provider: "smtp", Prefix: "", DeliveryTime: 3, Count: 1},
			{Bucket: 2, Channel: email, Status: store.MessageSent, Provider: "smtp", Prefix: "", DeliveryTime: -1, Count: 1},
			// Being sent is counted as queued.
			{Bucket: 2, Channel: sms, Status: store.MessageQueued, Provider: "", Prefix: "+155", DeliveryTime: -1, Count: 1},
			{Bucket: 2, Channel: sms, Status: store.MessageQueued, Provider: "", Prefix: "+447", DeliveryTime: -1, Count: 1},
		},
		Codes: []store.CodeTally{
			{Bucket: 0, Channel: sms, Prefix: "+447", Issued: 3, Verified: 1},
			{Bucket: 1, Channel: sms, Prefix: "+155", Issued: 9, Verified: 3},
			{Bucket: 1, Channel: sms, Prefix: "+336", Issued: 1},
			{Bucket: 1, Channel: sms, Prefix: "+491", Issued: 1},
			{Bucket: 2, Channel: email, Prefix: "", Issued: 2},
			{Bucket: 2, Channel: sms, Prefix: "+155", Issued: 1},
			{Bucket: 2, Channel: sms, Prefix: "+447", Issued: 1},
		},
		Events: []store.EventTally{
			{Bucket: 0, Event: "code.sent", Outcome: "limited", Count: 1},
			{Bucket: 0, Event: "login", Outcome: "success", Count: 1},
			{Bucket: 1, Event: "account.locked", Outcome: "codes", Count: 1},
			{Bucket: 1, Event: "account.locked", Outcome: "password", Count: 1},
			{Bucket: 1, Event: "login", Outcome: "success", Count: 1},
			{Bucket: 2, Event: "code.sent", Outcome: "limited", Count: 1},
		},
	}
}

// addBuckets is c with its buckets put together per at a time (bucket b in
// b/per) and the counts of each group added, in sortOverview's order.
func addBuckets(c *store.OverviewCounts, per int) *store.OverviewCounts {
	messages := map[store.MessageTally]int{}
	for _, t := range c.Messages {
		n := t.Count
		t.Bucket, t.Count = t.Bucket/per, 0
		messages[t] += n
	}
	codes := map[store.CodeTally][2]int{}
	for _, t := range c.Codes {
		n := codes[store.CodeTally{Bucket: t.Bucket / per, Channel: t.Channel, Prefix: t.Prefix}]
		codes[store.CodeTally{Bucket: t.Bucket / per, Channel: t.Channel, Prefix: t.Prefix}] = [2]int{n[0] + t.Issued, n[1] + t.Verified}
	}
	events := map[store.EventTally]int{}
	for _, t := range c.Events {
		n := t.Count
		t.Bucket, t.Count = t.Bucket/per, 0
		events[t] += n
	}
	out := &store.OverviewCounts{}
	for t, n := range messages {
		t.Count = n
		out.Messages = append(out.Messages, t)
	}
	for t, n := range codes {
		t.Issued, t.Verified = n[0], n[1]
		out.Codes = append(out.Codes, t)
	}
	for t, n := range events {
		t.Count = n
		out.Events = append(out.Events, t)
	}
	sortOverview(out)
	return out
}
