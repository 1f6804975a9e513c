package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/store"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
// person's sessions end, their tokens are revoked and each application
// they had tokens of, with a back-channel logout URI, is queued a logout,
// in the transaction that ends the sessions (store.AccountChange's
// OIDCSubject, set by login.Service.Commit); RunLogouts posts them from the
// background, with a timeout, retrying with backoff, so no request of the
// person waits for an application's answer and a crash loses nothing
// queued.

// BackchannelLogoutEvent is the logout token's event.
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

const (
	logoutTimeout     = 10 * time.Second // per POST
	logoutLease       = time.Minute      // a claim; longer than a POST
	logoutMaxAttempts = 8
	logoutBackoffBase = 2 * time.Second
	logoutBackoffMax  = 5 * time.Minute
	logoutPoll        = time.Second
	logoutBatch       = 10
)

// LogoutsQueued wakes RunLogouts: a change that ended a person's
// sessions may have queued back-channel logouts (login.Applications).
func (p *Provider) LogoutsQueued() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// RunLogouts sends queued back-channel logouts until ctx ends.
func (p *Provider) RunLogouts(ctx context.Context) {
	delivery.Drain(ctx, logoutPoll, logoutBatch, p.kick, p.log, "back-channel logout", p.SendLogouts)
}

// SendLogouts claims the logouts due and posts each once; it returns how
// many it claimed.
func (p *Provider) SendLogouts(ctx context.Context) (int, error) {
	now := p.now()
	due, err := p.storage.store.ClaimOIDCLogouts(ctx, now, now.Add(logoutLease), logoutBatch)
	if err != nil {
		return 0, err
	}
	for _, l := range due {
		retry := time.Time{}
		if err := p.postLogout(ctx, l); err != nil {
			if l.Attempts < logoutMaxAttempts && !errors.Is(err, errNotFound) {
				retry = p.now().Add(delivery.Backoff(l.Attempts, logoutBackoffBase, logoutBackoffMax))
				p.log.Warn("back-channel logout failed, will retry", "client_id", l.ClientID, "attempt", l.Attempts, "err", err)
			} else {
				p.log.Error("back-channel logout given up", "client_id", l.ClientID, "attempts", l.Attempts, "err", err)
			}
		}
		if err := p.storage.store.FinishOIDCLogout(ctx, l.ID, retry); err != nil {
			return len(due), err
		}
	}
	return len(due), nil
}

// postLogout posts the logout token of l to its application's back-channel
// logout URI; errNotFound if the application is gone, disabled or has
// none any more.
func (p *Provider) postLogout(ctx context.Context, l store.OIDCLogout) error {
	a, err := p.storage.app(ctx, l.ClientID)
	if err != nil {
		return err
	}
	if a.BackchannelLogoutURI == "" {
		return errNotFound
	}
	token, err := p.logoutToken(ctx, l, idTokenAlg(a))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, logoutTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.BackchannelLogoutURI,
		strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // the answer is its status alone
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the application answered %s", resp.Status)
	}
	return nil
}

// logoutToken is the logout token of l, signed with alg (the
// application's, as its ID tokens are): iss, aud, iat, exp, jti, sub and
// the event; never a nonce.
func (p *Provider) logoutToken(ctx context.Context, l store.OIDCLogout, alg jose.SignatureAlgorithm) (string, error) {
	k, err := p.storage.keys.current(ctx, alg)
	if err != nil {
		return "", err
	}
	now := p.now()
	claims, err := json.Marshal(map[string]any{
		"iss": p.issuer, "aud": l.ClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": newID(), "sub": l.Subject, "events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	})
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: k.Key(), KeyID: k.ID()}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
