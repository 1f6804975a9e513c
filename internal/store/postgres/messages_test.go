package postgres_test

import (
	"testing"

	"github.com/providerportal/portal/internal/store/postgres/pgtest"
	"github.com/providerportal/portal/internal/store/storetest"
)

func TestMessagesConformance(t *testing.T) {
	d := pgtest.Shared(t)
	storetest.RunMessages(t, func(t *testing.T) storetest.MessageStore {
		return open(t, d.ReusedSchema(t))
	})
}
