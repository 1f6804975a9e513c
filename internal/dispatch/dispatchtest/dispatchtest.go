// Package dispatchtest builds dispatchers for tests: they send inline, so
// a test sees each message as soon as the call that queued it returns.
package dispatchtest

import (
	"bytes"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/store"
)

// Inline returns a dispatcher over st that sends SMS through sms (named
// after it, "test") and email through mail, at once. now may be nil.
func Inline(t testing.TB, st store.Messages, sms delivery.SMSSender, mail delivery.Mailer, now func() time.Time) *dispatch.Dispatcher {
	t.Helper()
	sealer, err := dispatch.NewSealer(bytes.Repeat([]byte{0x5e}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &dispatch.Dispatcher{
		Store: st, SMS: []dispatch.Provider{{Name: "test", Sender: sms}}, Mail: mail,
		Sealer: sealer, Clock: now, Inline: true,
	}
}
