package login_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/metrics"
	"github.com/providerportal/portal/internal/metrics/metricstest"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// holdingStore holds the first login that reads a throttle, which happens
// while it has its hashing slot, until release is closed.
type holdingStore struct {
	store.Store
	once    sync.Once
	held    chan struct{} // closed once the first login is held
	release chan struct{}
}

func newHoldingStore(s store.Store) *holdingStore {
	return &holdingStore{Store: s, held: make(chan struct{}), release: make(chan struct{})}
}

func (s *holdingStore) Throttle(ctx context.Context, key string) (store.Throttle, error) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.held)
		<-s.release
	}
	return s.Store.Throttle(ctx, key)
}

// TestHashQueueMetrics: the metrics show the hashing slots taken, the
// logins waiting for one, and those turned away when none came free.
func TestHashQueueMetrics(t *testing.T) {
	h := newHarness(t)
	h.user("queue@example.org", "")
	m := metrics.New()
	h.Login.Metrics = m
	h.Login.Passwords = &password.Hasher{Params: h.Login.Passwords.Params, Slots: 1, Wait: 10 * time.Second, Gauges: m}
	gauges := func() (slots, inUse, waiting, shed float64) {
		f := metricstest.Scrape(t, m.Handler())
		return f.Value("portal_password_hash_slots"), f.Value("portal_password_hash_slots_in_use"),
			f.Value("portal_password_hash_waiting"), f.Value("portal_password_hash_shed_total")
	}
	logIn := func(done chan<- error) {
		_, _, err := h.Login.Login(h.ctx, "queue@example.org", testPassword, client)
		done <- err
	}

	// One login holds the only slot; a second waits for it.
	hold := newHoldingStore(h.Store)
	h.Login.Store = hold
	done := make(chan error, 2)
	go logIn(done)
	<-hold.held
	go logIn(done)
	deadline := time.Now().Add(5 * time.Second)
	for {
		slots, inUse, waiting, _ := gauges()
		if slots == 1 && inUse == 1 && waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the one slot taken and a login waiting: slots %v, in use %v, waiting %v; want 1, 1, 1", slots, inUse, waiting)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(hold.release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, inUse, waiting, shed := gauges(); inUse != 0 || waiting != 0 || shed != 0 {
		t.Fatalf("after both logins: in use %v, waiting %v, shed %v; want 0, 0, 0", inUse, waiting, shed)
	}

	// With the slot held past the wait, the next login is turned away.
	hold = newHoldingStore(h.Store)
	h.Login.Store = hold
	h.Login.Passwords.Wait = 20 * time.Millisecond
	go logIn(done)
	<-hold.held
	if _, _, err := h.Login.Login(h.ctx, "queue@example.org", testPassword, client); kindOf(err) != login.KindBusy {
		t.Fatalf("a login with no slot free: %v, want busy", err)
	}
	if _, inUse, waiting, shed := gauges(); inUse != 1 || waiting != 0 || shed != 1 {
		t.Fatalf("after a login was turned away: in use %v, waiting %v, shed %v; want 1, 0, 1", inUse, waiting, shed)
	}
	close(hold.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
