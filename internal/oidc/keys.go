package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
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

// algorithms are the ones the provider signs with, each with keys of its
// own: RS256, which OpenID Connect requires and every application checks,
// and ES256, smaller and quicker, for applications registered with it
// (store.Application.IDTokenAlg).
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// keyring reads and makes the provider's signing keys. Keys live in the
// store, sealed, so that every instance signs with the same one and
// publishes the same set; opened keys are kept in memory.
type keyring struct {
	store  Store
	sealer *dispatch.Sealer
	now    func() time.Time
	bits   int // RSA key size

	mu     sync.Mutex
	opened map[string]crypto.Signer
}

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key.Public() }

// current returns the key of alg to sign with now, making the first one,
// or the next one when its time to be published has come. Each
// algorithm's keys rotate on their own.
func (r *keyring) current(ctx context.Context, alg jose.SignatureAlgorithm) (signingKey, error) {
	now := r.now()
	keys, err := r.store.SigningKeys(ctx, now)
	if err != nil {
		return signingKey{}, err
	}
	var cur *store.SigningKey
	for i := range keys {
		k := &keys[i]
		if k.Algorithm == string(alg) && !k.UseFrom.After(now) {
			if cur == nil || k.UseFrom.After(cur.UseFrom) {
				cur = k
			}
		}
	}
	if cur == nil {
		if cur, err = r.make(ctx, alg, now, now); err != nil {
			return signingKey{}, err
		}
	}
	next := false
	for i := range keys {
		if keys[i].Algorithm == string(alg) && keys[i].UseFrom.After(cur.UseFrom) {
			next = true
		}
	}
	if !next && !now.Before(cur.UseFrom.Add(KeyRotation-KeyPublishAhead)) {
		if _, err := r.make(ctx, alg, now, cur.UseFrom.Add(KeyRotation)); err != nil {
			return signingKey{}, err
		}
	}
	key, err := r.open(cur)
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{id: cur.ID, alg: alg, key: key}, nil
}

// published returns every key applications may see tokens signed with,
// of every algorithm: those signing, about to sign, or recently retired.
func (r *keyring) published(ctx context.Context) ([]op.Key, error) {
	for _, alg := range algorithms { // the first key, or the next, exists
		if _, err := r.current(ctx, alg); err != nil {
			return nil, err
		}
	}
	keys, err := r.store.SigningKeys(ctx, r.now())
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for i := range keys {
		alg := jose.SignatureAlgorithm(keys[i].Algorithm)
		if !slices.Contains(algorithms, alg) {
			continue
		}
		key, err := r.open(&keys[i])
		if err != nil {
			return nil, err
		}
		out = append(out, publicKey{signingKey{id: keys[i].ID, alg: alg, key: key}})
	}
	return out, nil
}

// make creates a key of alg that signs from useFrom.
func (r *keyring) make(ctx context.Context, alg jose.SignatureAlgorithm, now, useFrom time.Time) (*store.SigningKey, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, r.bits)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		err = fmt.Errorf("algorithm %s not supported", alg)
	}
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
		ID: base64.RawURLEncoding.EncodeToString(id), Algorithm: string(alg), Sealed: sealed,
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

func (r *keyring) open(k *store.SigningKey) (crypto.Signer, error) {
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
	var key crypto.Signer
	switch p := parsed.(type) {
	case *rsa.PrivateKey:
		if k.Algorithm == string(jose.RS256) {
			key = p
		}
	case *ecdsa.PrivateKey:
		if k.Algorithm == string(jose.ES256) && p.Curve == elliptic.P256() {
			key = p
		}
	}
	if key == nil {
		return nil, fmt.Errorf("oidc: signing key %s is not a key for %s", k.ID, k.Algorithm)
	}
	r.opened[k.ID] = key
	return key, nil
}

// clientAlg carries, through one request to the provider, the ID token
// algorithm of the application it is for. The library asks SigningKey
// with the request's context alone; the application is known by then,
// since it was looked up (GetClientByClientID) to authenticate it.
type clientAlg struct {
	mu  sync.Mutex
	alg jose.SignatureAlgorithm
}

type clientAlgKey struct{}

// withClientAlg gives ctx a clientAlg for the request to fill.
func withClientAlg(ctx context.Context) context.Context {
	return context.WithValue(ctx, clientAlgKey{}, &clientAlg{})
}

// setClientAlg records a's algorithm for the request of ctx, if it has a
// clientAlg.
func setClientAlg(ctx context.Context, a *store.Application) {
	if c, ok := ctx.Value(clientAlgKey{}).(*clientAlg); ok {
		c.mu.Lock()
		c.alg = idTokenAlg(a)
		c.mu.Unlock()
	}
}

// algOf is the algorithm recorded for the request of ctx; RS256 when
// none was.
func algOf(ctx context.Context) jose.SignatureAlgorithm {
	if c, ok := ctx.Value(clientAlgKey{}).(*clientAlg); ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.alg != "" {
			return c.alg
		}
	}
	return jose.RS256
}

// idTokenAlg is what a's ID tokens are signed with.
func idTokenAlg(a *store.Application) jose.SignatureAlgorithm {
	if a.IDTokenAlg == string(jose.ES256) {
		return jose.ES256
	}
	return jose.RS256
}
