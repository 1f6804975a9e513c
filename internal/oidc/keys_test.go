package oidc

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newKeyring(t *testing.T) (*keyring, *testClock, store.Store) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), t.TempDir()+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, err := dispatch.NewPurposeSealer(bytes.Repeat([]byte{7}, 32), "test")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return &keyring{store: db, sealer: sealer, now: c.now, bits: 1024, opened: map[string]*rsaKey{}}, c, db
}

// TestKeyRotation: one key signs until its rotation; the next is
// published KeyPublishAhead before it signs; the old one stays published
// KeyKeep after. Keys are sealed in the store.
func TestKeyRotation(t *testing.T) {
	kr, c, db := newKeyring(t)
	ctx := t.Context()
	first, err := kr.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := db.SigningKeys(ctx, c.now())
	if len(keys) != 1 || bytes.Contains(keys[0].Sealed, first.key.D.Bytes()) {
		t.Fatalf("stored keys %d; the private key must be sealed", len(keys))
	}
	c.add(KeyRotation - KeyPublishAhead - time.Hour)
	if k, _ := kr.current(ctx); k.id != first.id {
		t.Fatal("the key changed before its rotation")
	}
	if pub, _ := kr.published(ctx); len(pub) != 1 {
		t.Fatalf("%d keys published early, want 1", len(pub))
	}
	c.add(time.Hour) // the next key's time to be published
	k, _ := kr.current(ctx)
	pub, _ := kr.published(ctx)
	if k.id != first.id || len(pub) != 2 {
		t.Fatalf("at the publication of the next key: signing with %s (want %s), %d published (want 2)", k.id, first.id, len(pub))
	}
	next := pub[1].ID()
	c.add(KeyPublishAhead)
	if k, _ := kr.current(ctx); k.id != next {
		t.Fatalf("after the rotation still signing with %s, want %s", k.id, next)
	}
	c.add(KeyKeep - time.Minute)
	if pub, _ := kr.published(ctx); len(pub) != 2 || pub[0].ID() != first.id {
		t.Fatal("the old key was withdrawn before its tokens expired")
	}
	c.add(2 * time.Minute)
	for _, p := range func() []string {
		pub, _ := kr.published(ctx)
		ids := []string{}
		for _, k := range pub {
			ids = append(ids, k.ID())
		}
		return ids
	}() {
		if p == first.id {
			t.Error("the old key is still published after KeyKeep")
		}
	}
	// Another instance (a keyring of its own on the same store) opens and
	// signs with the same key.
	other := &keyring{store: db, sealer: kr.sealer, now: c.now, bits: 1024, opened: map[string]*rsaKey{}}
	if k, err := other.current(ctx); err != nil || k.id != next || !k.key.Equal(kr.opened[next]) {
		t.Errorf("another instance signs with %s (%v), want %s", k.id, err, next)
	}
}
