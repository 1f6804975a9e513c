package postgres_test

import (
	"testing"

	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/sqlstore/sqlstoretest"
	"github.com/providerportal/portal/internal/store/storetest"
)

func TestMessagesConformance(t *testing.T) {
	d := pgtest.Shared(t)
	storetest.RunMessages(t, func(t *testing.T) storetest.MessageStore {
		return open(t, d.ReusedSchema(t))
	})
}

func TestTwoInstancesClaimMessages(t *testing.T) { sqlstoretest.TwoInstancesClaimMessages(t, engine) }
