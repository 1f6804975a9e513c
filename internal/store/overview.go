package store

import (
	"context"
	"slices"
	"time"
)

// Overview counts what the console's Overview page draws: the codes sent
// and what became of them, and the audit log's budget refusals, lockouts
// and logins, over a span of time cut into equal buckets. A span of whole
// hours from an hour (a day, a week) is read from hourly tallies that
// each change to what they count updates in its own transaction, so that
// a week of a million messages is as fast as a quiet one; a shorter one
// from the tables (messages, challenges, audit_events), on indexes.
type Overview interface {
	Overview(ctx context.Context, q OverviewQuery) (*OverviewCounts, error)
}

// OverviewQuery is the span Overview counts: Buckets buckets of Bucket
// each, the first starting at Since.
type OverviewQuery struct {
	Since   time.Time
	Bucket  time.Duration
	Buckets int
}

// Until is the end of the span, exclusive.
func (q OverviewQuery) Until() time.Time { return q.Since.Add(time.Duration(q.Buckets) * q.Bucket) }

// DeliveryTimes are the upper bounds of the classes of delivery time
// (CreatedAt to the provider's report of delivery) that Overview counts
// delivered messages in: class i is under DeliveryTimes[i], the last class
// (len(DeliveryTimes)) at or over the last bound.
var DeliveryTimes = []time.Duration{5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute}

// OverviewCounts are the counts of an OverviewQuery, each row one group;
// groups that count nothing are left out.
type OverviewCounts struct {
	Messages []MessageTally
	Codes    []CodeTally
	Events   []EventTally
}

// MessageTally counts the messages carrying codes (not notices) created in
// one bucket with one channel, status, provider, destination prefix and
// class of delivery time.
type MessageTally struct {
	Bucket  int
	Channel Channel
	// Status is the message's status, a message being sent (sending)
	// counted as queued: both are waiting.
	Status   MessageStatus
	Provider string // "" until a provider took it
	// Prefix is the start of an SMS destination, the plus sign and three
	// digits ("+447"), which hold its country calling code; "" for email.
	Prefix string
	// DeliveryTime is the class (of DeliveryTimes) of a delivered
	// message's delivery time; -1 for the other statuses.
	DeliveryTime int
	Count        int
}

// CodeTally counts the codes (challenges) issued in one bucket on one
// channel to one destination prefix (as MessageTally's), and how many of
// them were used.
type CodeTally struct {
	Bucket   int
	Channel  Channel
	Prefix   string
	Issued   int
	Verified int
}

// EventTally counts the audit events of one name and outcome in one
// bucket, for the OverviewEvents.
type EventTally struct {
	Bucket         int
	Event, Outcome string
	Count          int
}

// OverviewEvents are the audit events Overview counts, as event and
// outcome: codes refused by a budget, accounts locked (by wrong codes or
// wrong passwords), and completed logins.
var OverviewEvents = [][2]string{
	{"code.sent", "limited"},
	{"account.locked", "codes"},
	{"account.locked", "password"},
	{"login", "success"},
}

// CountedByOverview reports whether the Overview counts the audit event e.
func CountedByOverview(e *AuditEvent) bool {
	return slices.Contains(OverviewEvents, [2]string{e.Event, e.Outcome})
}
