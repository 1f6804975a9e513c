package oidc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

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
	return &keyring{store: db, sealer: sealer, now: c.now, bits: 1024, opened: map[string]crypto.Signer{}}, c, db
}

// TestKeyRotation: for each algorithm, one key signs until its rotation;
// the next is published KeyPublishAhead before it signs; the old one
// stays published KeyKeep after. Keys are sealed in the store.
func TestKeyRotation(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) { testKeyRotation(t, alg) })
	}
}

// publishedOf is the keys of alg that kr publishes.
func publishedOf(t *testing.T, kr *keyring, alg jose.SignatureAlgorithm) []op.Key {
	t.Helper()
	all, err := kr.published(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []op.Key
	for _, k := range all {
		if k.Algorithm() == alg {
			out = append(out, k)
		}
	}
	return out
}

func testKeyRotation(t *testing.T, alg jose.SignatureAlgorithm) {
	kr, c, db := newKeyring(t)
	ctx := t.Context()
	first, err := kr.current(ctx, alg)
	if err != nil {
		t.Fatal(err)
	}
	if first.SignatureAlgorithm() != alg {
		t.Fatalf("a key for %s signs with %s", alg, first.SignatureAlgorithm())
	}
	der, _ := x509.MarshalPKCS8PrivateKey(first.key)
	keys, _ := db.SigningKeys(ctx, c.now())
	if len(keys) != 1 || keys[0].Algorithm != string(alg) || bytes.Contains(keys[0].Sealed, der) {
		t.Fatalf("stored keys %+v; one of %s, its private key sealed", keys, alg)
	}
	c.add(KeyRotation - KeyPublishAhead - time.Hour)
	if k, _ := kr.current(ctx, alg); k.id != first.id {
		t.Fatal("the key changed before its rotation")
	}
	if pub := publishedOf(t, kr, alg); len(pub) != 1 {
		t.Fatalf("%d keys published early, want 1", len(pub))
	}
	c.add(time.Hour) // the next key's time to be published
	k, _ := kr.current(ctx, alg)
	pub := publishedOf(t, kr, alg)
	if k.id != first.id || len(pub) != 2 {
		t.Fatalf("at the publication of the next key: signing with %s (want %s), %d published (want 2)", k.id, first.id, len(pub))
	}
	next := pub[1].ID()
	c.add(KeyPublishAhead)
	if k, _ := kr.current(ctx, alg); k.id != next {
		t.Fatalf("after the rotation still signing with %s, want %s", k.id, next)
	}
	c.add(KeyKeep - time.Minute)
	if pub := publishedOf(t, kr, alg); len(pub) != 2 || pub[0].ID() != first.id {
		t.Fatal("the old key was withdrawn before its tokens expired")
	}
	c.add(2 * time.Minute)
	for _, p := range publishedOf(t, kr, alg) {
		if p.ID() == first.id {
			t.Error("the old key is still published after KeyKeep")
		}
	}
	// Another instance (a keyring of its own on the same store) opens and
	// signs with the same key.
	other := &keyring{store: db, sealer: kr.sealer, now: c.now, bits: 1024, opened: map[string]crypto.Signer{}}
	k, err = other.current(ctx, alg)
	if err != nil || k.id != next || !k.key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(kr.opened[next]) {
		t.Errorf("another instance signs with %s (%v), want %s", k.id, err, next)
	}
	switch alg {
	case jose.RS256:
		if _, ok := k.key.(*rsa.PrivateKey); !ok {
			t.Errorf("an RS256 key is a %T", k.key)
		}
	case jose.ES256:
		if ec, ok := k.key.(*ecdsa.PrivateKey); !ok || ec.Curve.Params().Name != "P-256" {
			t.Errorf("an ES256 key is a %T", k.key)
		}
	}
}
