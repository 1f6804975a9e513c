package main

import (
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store/postgres/pgtest"
)

// TestOIDCTwoInstances: two instances on one PostgreSQL database, each
// serving any step of a sign-in. The application is sent to A, the
// person logs in there, and the code is redeemed at B's token endpoint;
// the ID token B signs verifies against B's key set, which is A's (the
// keys live in the database). Each test instance has its own base URL,
// so B's tokens name B as their issuer; behind one load balancer both
// would be the one issuer.
func TestOIDCTwoInstances(t *testing.T) {
	db := pgtest.NewDatabase(t)
	c := startCluster(t, db.URL, 2)
	A, B := c.Portals[0], c.Portals[1]
	r := newRP(t, A, apps.Registration{})
	onB := r.conf
	onB.Endpoint.TokenURL = B.BaseURL + "/oauth/token"
	providerB, err := gooidc.NewProvider(t.Context(), B.BaseURL)
	if err != nil {
		t.Fatalf("discovery on B: %v", err)
	}
	if providerB.Endpoint().TokenURL != onB.Endpoint.TokenURL {
		t.Fatalf("B's token endpoint is %s, want %s", providerB.Endpoint().TokenURL, onB.Endpoint.TokenURL)
	}
	verifierB := providerB.Verifier(&gooidc.Config{ClientID: r.conf.ClientID})
	uid := A.createUser(t, "nia@example.org", "Nia Okafor", "+447546123401")
	b := newBrowser(t)

	t.Run("authorize on one, token on the other", func(t *testing.T) {
		code, verifier := r.logIn(b, "nia@example.org", "+447546123401")
		tok, err := onB.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("the code from A redeemed on B: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifierB.Verify(t.Context(), raw)
		if err != nil {
			t.Fatalf("B's ID token does not verify: %v", err)
		}
		if idt.Subject != A.App.OIDC.Subject(uid) || idt.Nonce != "nonce-1" {
			t.Errorf("B's ID token: sub %q nonce %q, want %q and nonce-1", idt.Subject, idt.Nonce, A.App.OIDC.Subject(uid))
		}
		// A honours B's tokens: the refresh token B issued works on A.
		if _, err := r.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
			t.Errorf("B's refresh token on A: %v", err)
		}
	})

	t.Run("a code redeemed twice at once, on two instances", func(t *testing.T) {
		loc, _, verifier := r.authorize(b) // A's session: the code at once
		ok, errs := redeemAtOnce(t.Context(), r.code(loc), verifier, r.conf, onB, r.conf, onB, r.conf, onB)
		if ok != 1 {
			t.Fatalf("%d of %d concurrent redemptions on A and B succeeded, want 1 (%v)", ok, len(errs), errs)
		}
	})
}
