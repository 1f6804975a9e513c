package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/apps"
)

// TestOIDCES256: an application registered with ES256 gets ID tokens
// signed with an ES256 key that the JWKS publishes beside the RS256 ones,
// and go-oidc, told to accept ES256 alone, verifies them; an application
// left as it is still gets RS256. Discovery lists both.
func TestOIDCES256(t *testing.T) {
	p := startPortal(t)
	resp, err := http.Get(p.BaseURL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || !slices.Equal(disc.Algs, []string{"RS256", "ES256"}) {
		t.Errorf("id_token_signing_alg_values_supported %v (%v), want [RS256 ES256]", disc.Algs, err)
	}

	es := newRP(t, p, apps.Registration{Name: "Records", IDTokenAlg: "ES256"})
	es.verifier = es.provider.Verifier(&gooidc.Config{ClientID: es.conf.ClientID, SupportedSigningAlgs: []string{"ES256"}})
	in := es.signIn(t) // verifies the ID token with es.verifier
	if h := jwsHeader(t, in.idToken); h.Alg != "ES256" || h.Kid == "" {
		t.Errorf("the ES256 application's ID token header %+v", h)
	}
	// A refresh is signed the same way.
	tok, err := es.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: in.tokens.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	es.verify(tok)

	rs := newRP(t, p, apps.Registration{Name: "Rota"})
	if h := jwsHeader(t, rs.signIn(t).idToken); h.Alg != "RS256" {
		t.Errorf("an application without an algorithm gets %s, want RS256", h.Alg)
	}

	// The key set has keys of both.
	resp, err = http.Get(p.BaseURL + "/oauth/keys")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct {
			Alg, Kty, Crv, Use string
		} `json:"keys"`
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, k := range set.Keys {
		kinds = append(kinds, k.Alg+"/"+k.Kty+"/"+k.Crv+"/"+k.Use)
	}
	if !slices.Contains(kinds, "RS256/RSA//sig") || !slices.Contains(kinds, "ES256/EC/P-256/sig") {
		t.Errorf("JWKS keys %v, want an RS256 RSA and an ES256 P-256 signing key", kinds)
	}
}

type jwsHead struct{ Alg, Kid string }

// jwsHeader is the protected header of a compact JWS.
func jwsHeader(t *testing.T, raw string) jwsHead {
	t.Helper()
	part, _, ok := strings.Cut(raw, ".")
	if !ok {
		t.Fatalf("not a JWS: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	var h jwsHead
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}
