package storetest

import (
	"cmp"
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
