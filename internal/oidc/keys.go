package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/store"
)

// Signing keys rotate by themselves: each signs for KeyRotation; the next
// is made and published KeyPublishAhead before it signs, so that
// applications that cache the key set know it in time; each stays
// published KeyKeep after it stops signing, past the life of the tokens it
// signed.
const (
	KeyRotation     = 30 * 24 * time.Hour
	KeyPublishAhead = 48 * time.Hour
	KeyKeep         = 24 * time.Hour
)

// keyring reads and makes the provider's signing keys. Keys live in the
// store, sealed, so that every instance signs with the same one and
// publishes the same set; opened keys are kept in memory.
type keyring struct {
	store  store.OIDC
	sealer *dispatch.Sealer
	now    func() time.Time
	bits   int // RSA key size

	mu     sync.Mutex
	opened map[string]*rsaKey
}

// rsaKey is an opened signing key.
type rsaKey = rsa.PrivateKey

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// current returns the key to sign with now, making the first one, or the
// next one when its time to be published has come.
func (r *keyring) current(ctx context.Context) (signingKey, error) {
	now := r.now()
	keys, err := r.store.SigningKeys(ctx, now)
	if err != nil {
		return signingKey{}, err
	}
	var cur *store.SigningKey
	next := false
	for i := range keys {
		k := &keys[i]
		if k.Algorithm != string(jose.RS256) {
			continue
		}
		if !k.UseFrom.After(now) {
			if cur == nil || k.UseFrom.After(cur.UseFrom) {
				cur = k
			}
		}
	}
	if cur == nil {
		if cur, err = r.make(ctx, now, now); err != nil {
			return signingKey{}, err
		}
	}
	for i := range keys {
		if keys[i].UseFrom.After(cur.UseFrom) {
			next = true
		}
	}
	if !next && !now.Before(cur.UseFrom.Add(KeyRotation-KeyPublishAhead)) {
		if _, err := r.make(ctx, now, cur.UseFrom.Add(KeyRotation)); err != nil {
			return signingKey{}, err
		}
	}
	key, err := r.open(cur)
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{id: cur.ID, key: key}, nil
}

// published returns every key applications may see tokens signed with:
// those signing, about to sign, or recently retired.
func (r *keyring) published(ctx context.Context) ([]op.Key, error) {
	if _, err := r.current(ctx); err != nil { // the first key, or the next, exists
		return nil, err
	}
	keys, err := r.store.SigningKeys(ctx, r.now())
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for i := range keys {
		if keys[i].Algorithm != string(jose.RS256) {
			continue
		}
		key, err := r.open(&keys[i])
		if err != nil {
			return nil, err
		}
		out = append(out, publicKey{signingKey{id: keys[i].ID, key: key}})
	}
	return out, nil
}

// make creates a key that signs from useFrom.
func (r *keyring) make(ctx context.Context, now, useFrom time.Time) (*store.SigningKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, r.bits)
	if err != nil {
		return nil, fmt.Errorf("oidc: make signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("oidc: encode signing key: %w", err)
	}
	sealed, err := r.sealer.SealBytes(der)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	k := &store.SigningKey{
		ID: base64.RawURLEncoding.EncodeToString(id), Algorithm: string(jose.RS256), Sealed: sealed,
		CreatedAt: now, UseFrom: useFrom, ExpiresAt: useFrom.Add(KeyRotation + KeyKeep),
	}
	if err := r.store.AddSigningKey(ctx, k); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.opened[k.ID] = key
	r.mu.Unlock()
	return k, nil
}

func (r *keyring) open(k *store.SigningKey) (*rsa.PrivateKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key, ok := r.opened[k.ID]; ok {
		return key, nil
	}
	der, err := r.sealer.OpenBytes(k.Sealed)
	if err != nil {
		return nil, fmt.Errorf("oidc: signing key %s: %w (was PORTAL_SECRET_KEY changed?)", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: signing key %s: %w", k.ID, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("oidc: signing key %s is not an RSA key", k.ID)
	}
	r.opened[k.ID] = key
	return key, nil
}
