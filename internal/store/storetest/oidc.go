package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var oidcTests = []test{
	{"Applications", testApplications},
	{"ApplicationSecretPublic", testApplicationSecretPublic},
	{"ApplicationUnknown", testApplicationUnknown},
	{"AuthRequestLifecycle", testAuthRequestLifecycle},
	{"AuthRequestExpired", testAuthRequestExpired},
	{"IssueTokensCodeOnce", testIssueTokensCodeOnce},
	{"IssueTokensCodeConcurrent", testIssueTokensCodeConcurrent},
	{"IssueTokensCodeReuseRevokes", testIssueTokensCodeReuseRevokes},
	{"IssueTokensCodeExpired", testIssueTokensCodeExpired},
	{"IssueTokensRotate", testIssueTokensRotate},
	{"IssueTokensRotateConcurrent", testIssueTokensRotateConcurrent},
	{"RevokeOIDCToken", testRevokeOIDCToken},
	{"RevokeUserTokens", testRevokeUserTokens},
	{"EndOIDCSessions", testEndOIDCSessions},
	{"ChangeAccountEndsOIDCSessions", testChangeAccountEndsOIDCSessions},
	{"SigningKeys", testSigningKeys},
	{"DeleteExpiredOIDC", testDeleteExpiredOIDC},
}

func newApplication(clientID string, public bool) *store.Application {
	a := &store.Application{
		ClientID:               clientID,
		Name:                   "Rota " + clientID,
		Public:                 public,
		RedirectURIs:           []string{"https://rota.example.org/callback", "http://127.0.0.1:8000/cb"},
		PostLogoutRedirectURIs: []string{"https://rota.example.org/bye"},
		BackchannelLogoutURI:   "https://rota.example.org/logout",
		AdminsOnly:             true,
		IDTokenAlg:             "ES256",
		ForwardAuthHosts:       []string{"rota.example.org"},
		CreatedAt:              t0,
	}
	if !public {
		a.SecretHash = hash("secret-" + clientID)
	}
	return a
}

func testApplications(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApplication("client-a", false)
	mustNot(t, s.CreateApplication(ctx, a), "CreateApplication")
	b := newApplication("client-b", true)
	b.PostLogoutRedirectURIs, b.ForwardAuthHosts, b.BackchannelLogoutURI, b.AdminsOnly = nil, nil, "", false
	mustNot(t, s.CreateApplication(ctx, b), "CreateApplication")
	if a.ID == 0 || b.ID == a.ID {
		t.Fatalf("ids %d, %d: want distinct, set", a.ID, b.ID)
	}
	got, err := s.ApplicationByClientID(ctx, "client-a")
	mustNot(t, err, "ApplicationByClientID")
	checkRecord(t, "ApplicationByClientID", *got, *a)
	list, err := s.ListApplications(ctx)
	mustNot(t, err, "ListApplications")
	if len(list) != 2 {
		t.Fatalf("ListApplications: %d, want 2", len(list))
	}
	checkRecord(t, "ListApplications[0]", list[0], *a)
	checkRecord(t, "ListApplications[1]", list[1], *b)

	mustNot(t, s.SetApplicationSecret(ctx, "client-a", hash("new")), "SetApplicationSecret")
	mustNot(t, s.DisableApplication(ctx, "client-a", t0.Add(time.Hour)), "DisableApplication")
	mustNot(t, s.DisableApplication(ctx, "client-a", t0.Add(2*time.Hour)), "DisableApplication again")
	got, err = s.ApplicationByClientID(ctx, "client-a")
	mustNot(t, err, "ApplicationByClientID")
	a.SecretHash, a.DisabledAt = hash("new"), t0.Add(time.Hour)
	checkRecord(t, "ApplicationByClientID after changes", *got, *a)
}

func testApplicationSecretPublic(t *testing.T, s store.Store) {
	mustNot(t, s.CreateApplication(t.Context(), newApplication("spa", true)), "CreateApplication")
	wantNotFound(t, s.SetApplicationSecret(t.Context(), "spa", hash("x")), "SetApplicationSecret of a public client")
}

func testApplicationUnknown(t *testing.T, s store.Store) {
	_, err := s.ApplicationByClientID(t.Context(), "nobody")
	wantNotFound(t, err, "ApplicationByClientID")
	wantNotFound(t, s.SetApplicationSecret(t.Context(), "nobody", hash("x")), "SetApplicationSecret")
	wantNotFound(t, s.DisableApplication(t.Context(), "nobody", t0), "DisableApplication")
}

// newAuthRequest is a request made at t0, to be logged in for within ten
// minutes.
func newAuthRequest(id string) *store.AuthRequest {
	return &store.AuthRequest{ID: id, ClientID: "client-a", Params: `{"state":"x"}`, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

// codeRequest is a request logged in for by u, with the code "code-"+id
// valid until a minute after t0.
func codeRequest(t *testing.T, s store.Store, u *store.User, id string) *store.AuthRequest {
	t.Helper()
	r := newAuthRequest(id)
	mustNot(t, s.CreateAuthRequest(t.Context(), r), "CreateAuthRequest")
	mustNot(t, s.CompleteAuthRequest(t.Context(), id, u.ID, t0, []string{"pwd", "sms"}, t0), "CompleteAuthRequest")
	mustNot(t, s.SetAuthCode(t.Context(), id, hash("code-"+id), t0.Add(time.Minute)), "SetAuthCode")
	r.UserID, r.AuthTime, r.AMR, r.CodeHash, r.CodeExpiresAt = u.ID, t0, []string{"pwd", "sms"}, hash("code-"+id), t0.Add(time.Minute)
	return r
}

func testAuthRequestLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	r := newAuthRequest("req1")
	mustNot(t, s.CreateAuthRequest(ctx, r), "CreateAuthRequest")
	got, err := s.AuthRequest(ctx, "req1", t0)
	mustNot(t, err, "AuthRequest")
	checkRecord(t, "AuthRequest", *got, *r)
	wantNotFound(t, s.SetAuthCode(ctx, "req1", hash("c"), t0.Add(time.Minute)), "SetAuthCode before login")

	mustNot(t, s.CompleteAuthRequest(ctx, "req1", u.ID, t0, []string{"pwd", "otp", "mfa"}, t0), "CompleteAuthRequest")
	other := createUser(t, s, "bob@example.org")
	wantNotFound(t, s.CompleteAuthRequest(ctx, "req1", other.ID, t0, []string{"pwd"}, t0), "CompleteAuthRequest again")
	mustNot(t, s.SetAuthCode(ctx, "req1", hash("c"), t0.Add(time.Minute)), "SetAuthCode")
	wantNotFound(t, s.SetAuthCode(ctx, "req1", hash("d"), t0.Add(time.Minute)), "SetAuthCode again")
	r.UserID, r.AuthTime, r.AMR, r.CodeHash, r.CodeExpiresAt = u.ID, t0, []string{"pwd", "otp", "mfa"}, hash("c"), t0.Add(time.Minute)
	got, err = s.AuthRequestByCode(ctx, hash("c"), t0)
	mustNot(t, err, "AuthRequestByCode")
	checkRecord(t, "AuthRequestByCode", *got, *r)
	_, err = s.AuthRequestByCode(ctx, hash("d"), t0)
	wantNotFound(t, err, "AuthRequestByCode of another code")
}

func testAuthRequestExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	mustNot(t, s.CreateAuthRequest(ctx, newAuthRequest("req1")), "CreateAuthRequest")
	_, err := s.AuthRequest(ctx, "req1", t0.Add(10*time.Minute))
	wantNotFound(t, err, "AuthRequest once expired")
	wantNotFound(t, s.CompleteAuthRequest(ctx, "req1", u.ID, t0, nil, t0.Add(10*time.Minute)), "CompleteAuthRequest once expired")
	codeRequest(t, s, u, "req2")
	_, err = s.AuthRequestByCode(ctx, hash("code-req2"), t0.Add(time.Minute))
	wantNotFound(t, err, "AuthRequestByCode once the code expired")
}

// grantTokens are an access and a refresh token of family, made at t0.
func grantTokens(u *store.User, family, name string) []*store.OIDCToken {
	tok := func(kind store.TokenKind, life time.Duration) *store.OIDCToken {
		return &store.OIDCToken{
			Hash: hash(string(kind) + "-" + name), Kind: kind, Family: family, ClientID: "client-a", UserID: u.ID,
			Scopes: []string{"openid", "offline_access"}, Audience: []string{"client-a"},
			AuthTime: t0, AMR: []string{"pwd", "sms"}, CreatedAt: t0, ExpiresAt: t0.Add(life),
		}
	}
	return []*store.OIDCToken{tok(store.TokenAccess, time.Hour), tok(store.TokenRefresh, 24*time.Hour)}
}

func redeem(r *store.AuthRequest, tokens []*store.OIDCToken, at time.Time) store.TokenIssue {
	return store.TokenIssue{At: at, AuthRequestID: r.ID, CodeHash: r.CodeHash, Tokens: tokens}
}

// issueCode completes request "req1" for u and redeems its code, a
// second after t0, for the tokens grantTokens names "1".
func issueCode(t *testing.T, s store.Store, u *store.User) (*store.AuthRequest, []*store.OIDCToken) {
	t.Helper()
	r := codeRequest(t, s, u, "req1")
	toks := grantTokens(u, r.ID, "1")
	mustNot(t, s.IssueTokens(t.Context(), redeem(r, toks, t0.Add(time.Second))), "IssueTokens")
	return r, toks
}

func tokenState(t *testing.T, s store.Store, tok *store.OIDCToken) *store.OIDCToken {
	t.Helper()
	got, err := s.OIDCToken(t.Context(), tok.Hash)
	mustNot(t, err, "OIDCToken")
	return got
}

func testIssueTokensCodeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	r, toks := issueCode(t, s, u)
	for _, tok := range toks {
		checkRecord(t, "OIDCToken", *tokenState(t, s, tok), *tok)
	}
	got, err := s.AuthRequestByCode(ctx, r.CodeHash, t0.Add(2*time.Second))
	mustNot(t, err, "AuthRequestByCode after redemption")
	if !sameTime(got.CodeUsedAt, t0.Add(time.Second)) {
		t.Errorf("CodeUsedAt = %v, want the redemption's time", got.CodeUsedAt)
	}
	wrong := redeem(r, grantTokens(u, r.ID, "x"), t0.Add(2*time.Second))
	wrong.CodeHash = hash("another code")
	wantNotFound(t, s.IssueTokens(ctx, wrong), "IssueTokens with another code")
	if _, err := s.OIDCToken(ctx, hash("access-x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused issue wrote its tokens (%v)", err)
	}
}

func testIssueTokensCodeConcurrent(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	r := codeRequest(t, s, u, "req1")
	const n = 10
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		errs[i] = s.IssueTokens(t.Context(), redeem(r, grantTokens(u, r.ID, fmt.Sprint("t", i)), t0.Add(time.Second)))
	})
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrTokenReused), errors.Is(err, store.ErrNotFound):
		default:
			t.Errorf("IssueTokens: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent redemptions of one code succeeded, want 1", ok, n)
	}
	// The losers saw the code used: the family, the winner's tokens too,
	// is revoked.
	for i := range n {
		tok, err := s.OIDCToken(t.Context(), hash("access-"+string(rune('a'+i))))
		if err == nil && tok.RevokedAt.IsZero() {
			t.Errorf("the tokens of a code redeemed twice stay active")
		}
	}
}

func testIssueTokensCodeReuseRevokes(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	r, toks := issueCode(t, s, u)
	err := s.IssueTokens(ctx, redeem(r, grantTokens(u, r.ID, "2"), t0.Add(2*time.Second)))
	if !errors.Is(err, store.ErrTokenReused) {
		t.Fatalf("IssueTokens of a redeemed code: %v, want store.ErrTokenReused", err)
	}
	for _, tok := range toks {
		if !sameTime(tokenState(t, s, tok).RevokedAt, t0.Add(2*time.Second)) {
			t.Errorf("%s token of a code redeemed twice not revoked at the second redemption", tok.Kind)
		}
	}
	if _, err := s.OIDCToken(ctx, hash("access-2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the second redemption wrote its tokens (%v)", err)
	}
}

func testIssueTokensCodeExpired(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	r := codeRequest(t, s, u, "req1")
	wantNotFound(t, s.IssueTokens(t.Context(), redeem(r, grantTokens(u, r.ID, "1"), t0.Add(time.Minute))), "IssueTokens once the code expired")
}

func testIssueTokensRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	r, first := issueCode(t, s, u)
	second := grantTokens(u, r.ID, "2")
	mustNot(t, s.IssueTokens(ctx, store.TokenIssue{At: t0.Add(time.Minute), Rotate: first[1].Hash, Tokens: second}), "IssueTokens rotating")
	if got := tokenState(t, s, first[1]); !sameTime(got.UsedAt, t0.Add(time.Minute)) || got.Active(t0.Add(time.Minute)) {
		t.Errorf("rotated refresh token: UsedAt %v, want the rotation's time", got.UsedAt)
	}
	if !tokenState(t, s, second[1]).Active(t0.Add(time.Minute)) {
		t.Errorf("the new refresh token is not active")
	}
	// The old one again: reuse; the whole family goes.
	err := s.IssueTokens(ctx, store.TokenIssue{At: t0.Add(2 * time.Minute), Rotate: first[1].Hash, Tokens: grantTokens(u, r.ID, "3")})
	if !errors.Is(err, store.ErrTokenReused) {
		t.Fatalf("IssueTokens with a rotated refresh token: %v, want store.ErrTokenReused", err)
	}
	for _, tok := range slices.Concat(first, second) {
		if tokenState(t, s, tok).RevokedAt.IsZero() {
			t.Errorf("reuse of a refresh token left a token of its family unrevoked")
		}
	}
	wantNotFound(t, s.IssueTokens(ctx, store.TokenIssue{At: t0.Add(3 * time.Minute), Rotate: second[1].Hash}), "IssueTokens with a revoked refresh token")
	wantNotFound(t, s.IssueTokens(ctx, store.TokenIssue{At: t0.Add(3 * time.Minute), Rotate: second[0].Hash}), "IssueTokens rotating an access token")
	wantNotFound(t, s.IssueTokens(ctx, store.TokenIssue{At: t0.Add(3 * time.Minute), Rotate: hash("unknown")}), "IssueTokens with an unknown refresh token")
}

func testIssueTokensRotateConcurrent(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	r, first := issueCode(t, s, u)
	const n = 10
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		errs[i] = s.IssueTokens(t.Context(), store.TokenIssue{At: t0.Add(time.Minute), Rotate: first[1].Hash,
			Tokens: grantTokens(u, r.ID, fmt.Sprint("r", i))})
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("IssueTokens: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent rotations of one refresh token succeeded, want 1", ok, n)
	}
}

func testRevokeOIDCToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	_, toks := issueCode(t, s, u)
	mustNot(t, s.RevokeOIDCToken(ctx, toks[0].Hash, t0.Add(time.Minute)), "RevokeOIDCToken of the access token")
	if !tokenState(t, s, toks[1]).RevokedAt.IsZero() {
		t.Errorf("revoking an access token revoked its refresh token")
	}
	mustNot(t, s.RevokeOIDCToken(ctx, toks[1].Hash, t0.Add(2*time.Minute)), "RevokeOIDCToken of the refresh token")
	if got := tokenState(t, s, toks[0]); !sameTime(got.RevokedAt, t0.Add(time.Minute)) {
		t.Errorf("access token RevokedAt = %v, want its first revocation", got.RevokedAt)
	}
	wantNotFound(t, s.RevokeOIDCToken(ctx, hash("unknown"), t0), "RevokeOIDCToken of an unknown token")
}

func testRevokeUserTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	other := createUser(t, s, "bob@example.org")
	_, toks := issueCode(t, s, u)
	r2 := codeRequest(t, s, other, "req2")
	theirs := grantTokens(other, r2.ID, "2")
	mustNot(t, s.IssueTokens(ctx, redeem(r2, theirs, t0.Add(time.Second))), "IssueTokens")

	ids, err := s.RevokeUserTokens(ctx, u.ID, "another-client", t0.Add(time.Minute))
	mustNot(t, err, "RevokeUserTokens of another client")
	if len(ids) != 0 || !tokenState(t, s, toks[0]).Active(t0.Add(time.Minute)) {
		t.Errorf("RevokeUserTokens of another client revoked %v", ids)
	}
	ids, err = s.RevokeUserTokens(ctx, u.ID, "", t0.Add(time.Minute))
	mustNot(t, err, "RevokeUserTokens")
	if !slices.Equal(ids, []string{"client-a"}) {
		t.Errorf("RevokeUserTokens = %v, want [client-a]", ids)
	}
	for _, tok := range toks {
		if tokenState(t, s, tok).Active(t0.Add(time.Minute)) {
			t.Errorf("the user's %s token is still active", tok.Kind)
		}
	}
	if !tokenState(t, s, theirs[0]).Active(t0.Add(time.Minute)) {
		t.Errorf("another user's token was revoked")
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := &store.SigningKey{ID: "k1", Algorithm: "RS256", Sealed: []byte("sealed-1"), CreatedAt: t0, UseFrom: t0, ExpiresAt: t0.Add(48 * time.Hour)}
	b := &store.SigningKey{ID: "k2", Algorithm: "ES256", Sealed: []byte("sealed-2"), CreatedAt: t0.Add(time.Hour), UseFrom: t0.Add(2 * time.Hour), ExpiresAt: t0.Add(72 * time.Hour)}
	mustNot(t, s.AddSigningKey(ctx, b), "AddSigningKey")
	mustNot(t, s.AddSigningKey(ctx, a), "AddSigningKey")
	keys, err := s.SigningKeys(ctx, t0)
	mustNot(t, err, "SigningKeys")
	if len(keys) != 2 {
		t.Fatalf("SigningKeys: %d keys, want 2", len(keys))
	}
	checkRecord(t, "SigningKeys[0]", keys[0], *a)
	checkRecord(t, "SigningKeys[1]", keys[1], *b)
	keys, err = s.SigningKeys(ctx, t0.Add(48*time.Hour))
	mustNot(t, err, "SigningKeys")
	if len(keys) != 1 || keys[0].ID != "k2" {
		t.Errorf("SigningKeys once k1 expired: %v, want k2 alone", keys)
	}
}

func testDeleteExpiredOIDC(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	_, toks := issueCode(t, s, u)
	mustNot(t, s.CreateAuthRequest(ctx, newAuthRequest("req2")), "CreateAuthRequest")
	n, err := s.DeleteExpiredOIDC(ctx, t0.Add(2*time.Hour))
	mustNot(t, err, "DeleteExpiredOIDC")
	if n != 3 { // req1 (code expired), req2, the access token
		t.Errorf("DeleteExpiredOIDC = %d, want 3", n)
	}
	if !tokenState(t, s, toks[1]).Active(t0.Add(2 * time.Hour)) {
		t.Errorf("DeleteExpiredOIDC touched an unexpired refresh token")
	}
}

func testEndOIDCSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustNot(t, s.CreateApplication(ctx, newApplication("client-a", false)), "CreateApplication")
	u := createUser(t, s, "ann@example.org")
	_, toks := issueCode(t, s, u)

	at := t0.Add(time.Minute)
	ids, err := s.EndOIDCSessions(ctx, u.ID, "sub-ann", at)
	mustNot(t, err, "EndOIDCSessions")
	if !slices.Equal(ids, []string{"client-a"}) {
		t.Fatalf("EndOIDCSessions queued %v, want [client-a]", ids)
	}
	for _, tok := range toks {
		if tokenState(t, s, tok).Active(at) {
			t.Errorf("the user's %s token is still active", tok.Kind)
		}
	}
	// Nothing active any more: a second end queues nothing.
	if ids, err := s.EndOIDCSessions(ctx, u.ID, "sub-ann", at); err != nil || len(ids) != 0 {
		t.Errorf("EndOIDCSessions again: %v, %v; want nothing", ids, err)
	}

	checkLogoutQueue(t, s, at)
	checkNoBackchannel(t, s, u, at)
}

// checkLogoutQueue claims, retries and finishes the one logout that
// testEndOIDCSessions queued at at.
func checkLogoutQueue(t *testing.T, s store.Store, at time.Time) {
	ctx := t.Context()
	if got, err := s.ClaimOIDCLogouts(ctx, at.Add(-time.Second), at.Add(time.Minute), 10); err != nil || len(got) != 0 {
		t.Fatalf("ClaimOIDCLogouts before it is due: %v, %v", got, err)
	}
	got, err := s.ClaimOIDCLogouts(ctx, at, at.Add(time.Minute), 10)
	mustNot(t, err, "ClaimOIDCLogouts")
	if len(got) != 1 || got[0].ClientID != "client-a" || got[0].Subject != "sub-ann" || got[0].Attempts != 1 || !sameTime(got[0].CreatedAt, at) {
		t.Fatalf("ClaimOIDCLogouts = %+v", got)
	}
	// Claimed: not due again until the claim runs out.
	if again, _ := s.ClaimOIDCLogouts(ctx, at.Add(30*time.Second), at.Add(2*time.Minute), 10); len(again) != 0 {
		t.Errorf("a claimed logout was claimed again: %+v", again)
	}
	mustNot(t, s.FinishOIDCLogout(ctx, got[0].ID, at.Add(5*time.Minute)), "FinishOIDCLogout (retry)")
	again, err := s.ClaimOIDCLogouts(ctx, at.Add(5*time.Minute), at.Add(6*time.Minute), 10)
	mustNot(t, err, "ClaimOIDCLogouts")
	if len(again) != 1 || again[0].Attempts != 2 {
		t.Fatalf("ClaimOIDCLogouts after a retry = %+v", again)
	}
	mustNot(t, s.FinishOIDCLogout(ctx, again[0].ID, time.Time{}), "FinishOIDCLogout")
	if left, _ := s.ClaimOIDCLogouts(ctx, at.Add(time.Hour), at.Add(2*time.Hour), 10); len(left) != 0 {
		t.Errorf("a finished logout is still queued: %+v", left)
	}
}

// checkNoBackchannel ends u's sessions again, now with tokens of an
// application without a back-channel URI.
func checkNoBackchannel(t *testing.T, s store.Store, u *store.User, at time.Time) {
	ctx := t.Context()
	// An application without a back-channel URI is not told (its tokens
	// are revoked all the same).
	b := newApplication("client-b", false)
	b.BackchannelLogoutURI = ""
	mustNot(t, s.CreateApplication(ctx, b), "CreateApplication")
	r2 := codeRequest(t, s, u, "req2")
	toks2 := grantTokens(u, r2.ID, "2")
	for _, tok := range toks2 {
		tok.ClientID = "client-b"
	}
	mustNot(t, s.IssueTokens(ctx, redeem(r2, toks2, t0.Add(2*time.Second))), "IssueTokens")
	if ids, err := s.EndOIDCSessions(ctx, u.ID, "sub-ann", at.Add(time.Second)); err != nil || len(ids) != 0 {
		t.Errorf("EndOIDCSessions for an application without a back-channel URI: %v, %v", ids, err)
	}
	if tokenState(t, s, toks2[1]).Active(at.Add(time.Second)) {
		t.Error("the refresh token of an application without a back-channel URI is still active")
	}
}

// testChangeAccountEndsOIDCSessions: an account change with OIDCSubject
// revokes the account's tokens and queues the back-channel logouts in its
// own transaction: all of it, or, when the change fails, none of it.
func testChangeAccountEndsOIDCSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustNot(t, s.CreateApplication(ctx, newApplication("client-a", false)), "CreateApplication")
	u := createUser(t, s, "ann@example.org")
	mustNot(t, s.SetPhone(ctx, u.ID, "+15555550100"), "SetPhone")
	createSession(t, s, u.ID, "other", t0, t0)
	_, toks := issueCode(t, s, u)
	at := t0.Add(time.Minute)
	queued := func() []store.OIDCLogout {
		t.Helper()
		got, err := s.ClaimOIDCLogouts(ctx, at.Add(time.Hour), at.Add(2*time.Hour), 10)
		mustNot(t, err, "ClaimOIDCLogouts")
		for _, l := range got { // put back as they were
			mustNot(t, s.FinishOIDCLogout(ctx, l.ID, l.CreatedAt), "FinishOIDCLogout")
		}
		return got
	}

	// A change that fails (the phone changed meanwhile) leaves the tokens
	// and queues nothing.
	failed := store.AccountChange{UserID: u.ID, At: at, Phone: ptr("+15555550199"), PhoneWas: ptr("+15555550142"),
		EndOthers: true, OIDCSubject: "sub-ann"}
	if err := s.ChangeAccount(ctx, failed); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ChangeAccount with the phone changed meanwhile: %v, want ErrConflict", err)
	}
	if !tokenState(t, s, toks[1]).Active(at) {
		t.Error("a change that failed revoked the refresh token")
	}
	if got := queued(); len(got) != 0 {
		t.Errorf("a change that failed queued %+v", got)
	}

	// The change that succeeds ends the sessions and the tokens, and
	// queues the logout, due at its time.
	ok := failed
	ok.PhoneWas = ptr("+15555550100")
	mustNot(t, s.ChangeAccount(ctx, ok), "ChangeAccount")
	for _, tok := range toks {
		if tokenState(t, s, tok).Active(at) {
			t.Errorf("the user's %s token is still active", tok.Kind)
		}
	}
	got := queued()
	if len(got) != 1 || got[0].ClientID != "client-a" || got[0].Subject != "sub-ann" || !sameTime(got[0].CreatedAt, at) {
		t.Fatalf("queued %+v, want one logout of sub-ann for client-a", got)
	}

	// Without OIDCSubject the tokens are not the change's business.
	r2 := codeRequest(t, s, u, "req2")
	toks2 := grantTokens(u, r2.ID, "2")
	mustNot(t, s.IssueTokens(ctx, redeem(r2, toks2, t0.Add(2*time.Second))), "IssueTokens")
	mustNot(t, s.ChangeAccount(ctx, store.AccountChange{UserID: u.ID, At: at.Add(2 * time.Second), EndOthers: true}), "ChangeAccount")
	if !tokenState(t, s, toks2[1]).Active(at.Add(2 * time.Second)) {
		t.Error("a change without OIDCSubject revoked a token")
	}
}
