package sqlstore

import (
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
)

// What plan_test.go (package sqlstore_test, which opens a SQLite store)
// checks the plans of.

type IDSpan = idSpan

func NewIDSpan(lo, hi int64) *IDSpan { return &idSpan{lo, hi} }

var AuditQuery = auditQuery

const (
	EventNamesQuery     = eventNamesQuery
	CountForUserToQuery = countForUserToQuery
)

func (db *DB) TimeSpanQuery(q store.AuditQuery) (string, []any) { return db.timeSpanQuery(q) }
func (db *DB) ListUsersQuery(q store.UserQuery) (string, []any) { return db.listUsersQuery(q) }
func (db *DB) CountToDestinationQuery() string                  { return db.q.countToDestination }
func (db *DB) Prefix() msgcount.Prefix                          { return db.prefix }
