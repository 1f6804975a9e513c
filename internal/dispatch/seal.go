package dispatch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// Content is what a message says: the text of an SMS, or the subject and
// the two parts of an email.
type Content struct {
	Subject string `json:"s,omitempty"`
	Text    string `json:"t"`
	HTML    string `json:"h,omitempty"`
}

// Sealer encrypts message content for the outbox (AES-256-GCM, with a key
// derived from the portal's secret key), so that the database never holds
// a readable code: a stolen copy of it, or of a backup, reveals nothing
// without the key, which lives outside the database.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the outbox key from the portal's secret key.
func NewSealer(secret []byte) (*Sealer, error) {
	return NewPurposeSealer(secret, "provider-portal outbox v1")
}

// NewPurposeSealer derives a key of its own for purpose from the portal's
// secret key, for other secrets kept in the database the same way (the
// OpenID Connect provider's signing keys): one key per purpose, so that
// what one opens, no other does.
func NewPurposeSealer(secret []byte, purpose string) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("dispatch: the secret key is shorter than 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("dispatch: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("dispatch: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("dispatch: cipher: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts c with a fresh random nonce.
func (s *Sealer) Seal(c Content) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("dispatch: encode content: %w", err)
	}
	return s.SealBytes(plain)
}

// SealBytes encrypts plain with a fresh random nonce.
func (s *Sealer) SealBytes(plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("dispatch: nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, nil), nil
}

// ErrUnsealable means the content was not sealed with this key (or was
// damaged).
var ErrUnsealable = errors.New("dispatch: message content cannot be opened with this key")

// Open decrypts sealed content.
func (s *Sealer) Open(sealed []byte) (Content, error) {
	plain, err := s.OpenBytes(sealed)
	if err != nil {
		return Content{}, err
	}
	var c Content
	if err := json.Unmarshal(plain, &c); err != nil {
		return Content{}, ErrUnsealable
	}
	return c, nil
}

// OpenBytes decrypts what SealBytes sealed; ErrUnsealable if it was not
// sealed with this key (or was damaged).
func (s *Sealer) OpenBytes(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnsealable
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, ErrUnsealable
	}
	return plain, nil
}
