package storetest

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var tokensTests = []test{
	{"CreateToken", testCreateToken},
	{"CreateTokenUnknownUser", testCreateTokenUnknownUser},
	{"CreateTokenVoidsUnused", testCreateTokenVoidsUnused},
	{"TokenByHashNotFound", testTokenByHashNotFound},
	{"UseToken", testUseToken},
	{"UseTokenExpired", testUseTokenExpired},
	{"UseTokenWrongPurpose", testUseTokenWrongPurpose},
	{"UseTokenConcurrent", testUseTokenConcurrent},
}

// newToken is a link for the user, made at t0, valid for an hour.
func newToken(userID int64, secret string, purpose store.TokenPurpose) *store.Token {
	return &store.Token{
		Hash:      hash(secret),
		UserID:    userID,
		Purpose:   purpose,
		CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour),
	}
}

func createToken(t *testing.T, s store.Store, tok *store.Token) *store.Token {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// usable reports whether TokenByHash finds tok at at, checking what it
// returns.
func usable(t *testing.T, s store.Store, tok *store.Token, at time.Time) bool {
	t.Helper()
	got, err := s.TokenByHash(t.Context(), tok.Hash, tok.Purpose, at)
	if err != nil {
		wantNotFound(t, err, "TokenByHash")
		return false
	}
	checkRecord(t, "TokenByHash", *got, *tok)
	return true
}

func testCreateToken(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	reset := createToken(t, s, newToken(u.ID, "reset", store.TokenPasswordReset))
	invite := createToken(t, s, newToken(u.ID, "invite", store.TokenInvite))
	for _, tok := range []*store.Token{reset, invite} {
		if !usable(t, s, tok, t0.Add(time.Minute)) {
			t.Errorf("TokenByHash did not find a new %s token", tok.Purpose)
		}
	}
}

func testCreateTokenUnknownUser(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	tok := newToken(u.ID+1000, "reset", store.TokenPasswordReset)
	wantNotFound(t, s.CreateToken(t.Context(), tok), "CreateToken(unknown user)")
	if usable(t, s, tok, t0) {
		t.Error("a token for an unknown user was stored")
	}
}

func testCreateTokenVoidsUnused(t *testing.T, s store.Store) {
	ann := createUser(t, s, "ann@example.org")
	bob := createUser(t, s, "bob@example.org")
	old := createToken(t, s, newToken(ann.ID, "old", store.TokenPasswordReset))
	// Not the same user and purpose: left alone.
	invite := createToken(t, s, newToken(ann.ID, "invite", store.TokenInvite))
	bobs := createToken(t, s, newToken(bob.ID, "bob", store.TokenPasswordReset))

	latest := createToken(t, s, newToken(ann.ID, "new", store.TokenPasswordReset))
	at := t0.Add(time.Minute)
	if usable(t, s, old, at) {
		t.Error("a token replaced by a new one of the same user and purpose is still found")
	}
	if _, err := s.UseToken(t.Context(), old.Hash, old.Purpose, at); err == nil {
		t.Error("a token replaced by a new one could still be used")
	}
	for _, tok := range []*store.Token{latest, invite, bobs} {
		if !usable(t, s, tok, at) {
			t.Errorf("%s token %x of user %d was voided", tok.Purpose, tok.Hash[:4], tok.UserID)
		}
	}
}

func testTokenByHashNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	tok := createToken(t, s, newToken(u.ID, "reset", store.TokenPasswordReset))

	_, err := s.TokenByHash(ctx, hash("unknown"), store.TokenPasswordReset, t0)
	wantNotFound(t, err, "TokenByHash(unknown)")
	_, err = s.TokenByHash(ctx, tok.Hash, store.TokenInvite, t0)
	wantNotFound(t, err, "TokenByHash(other purpose)")

	// Expired: ExpiresAt must be after at.
	if !usable(t, s, tok, tok.ExpiresAt.Add(-time.Millisecond)) {
		t.Error("TokenByHash did not find the token just before it expires")
	}
	_, err = s.TokenByHash(ctx, tok.Hash, tok.Purpose, tok.ExpiresAt)
	wantNotFound(t, err, "TokenByHash(at = ExpiresAt)")
	_, err = s.TokenByHash(ctx, tok.Hash, tok.Purpose, tok.ExpiresAt.Add(time.Hour))
	wantNotFound(t, err, "TokenByHash(after ExpiresAt)")

	// Looking does not use it; using does.
	if !usable(t, s, tok, t0) {
		t.Fatal("TokenByHash used up the token")
	}
	_, err = s.UseToken(ctx, tok.Hash, tok.Purpose, t0.Add(time.Minute))
	mustNot(t, err, "UseToken")
	_, err = s.TokenByHash(ctx, tok.Hash, tok.Purpose, t0.Add(2*time.Minute))
	wantNotFound(t, err, "TokenByHash(used)")
}

func testUseToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	tok := createToken(t, s, newToken(u.ID, "reset", store.TokenPasswordReset))
	other := createToken(t, s, newToken(u.ID, "invite", store.TokenInvite))

	at := t0.Add(time.Minute)
	got, err := s.UseToken(ctx, tok.Hash, tok.Purpose, at)
	mustNot(t, err, "UseToken")
	want := *tok
	want.UsedAt = at
	checkRecord(t, "UseToken", *got, want)

	_, err = s.UseToken(ctx, tok.Hash, tok.Purpose, at.Add(time.Second))
	wantNotFound(t, err, "UseToken a second time")
	if !usable(t, s, other, at) {
		t.Error("using one token used up another")
	}
}

func testUseTokenExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	tok := createToken(t, s, newToken(u.ID, "reset", store.TokenPasswordReset))
	for _, at := range []time.Time{tok.ExpiresAt, tok.ExpiresAt.Add(time.Hour)} {
		_, err := s.UseToken(ctx, tok.Hash, tok.Purpose, at)
		wantNotFound(t, err, "UseToken(expired)")
	}
	// The refusals left it unused.
	at := tok.ExpiresAt.Add(-time.Millisecond)
	got, err := s.UseToken(ctx, tok.Hash, tok.Purpose, at)
	mustNot(t, err, "UseToken just before it expires")
	if !sameTime(got.UsedAt, at) {
		t.Errorf("UseToken: UsedAt = %v, want %v", got.UsedAt, at)
	}
}

func testUseTokenWrongPurpose(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "ann@example.org")
	tok := createToken(t, s, newToken(u.ID, "invite", store.TokenInvite))
	_, err := s.UseToken(ctx, tok.Hash, store.TokenPasswordReset, t0)
	wantNotFound(t, err, "UseToken(other purpose)")
	_, err = s.UseToken(ctx, hash("unknown"), store.TokenInvite, t0)
	wantNotFound(t, err, "UseToken(unknown)")
	// The refusals left it unused.
	_, err = s.UseToken(ctx, tok.Hash, store.TokenInvite, t0)
	mustNot(t, err, "UseToken(right purpose)")
}

func testUseTokenConcurrent(t *testing.T, s store.Store) {
	u := createUser(t, s, "ann@example.org")
	tok := createToken(t, s, newToken(u.ID, "reset", store.TokenPasswordReset))
	const n = 20
	errs := make([]error, n)
	Concurrently(n, func(i int) {
		_, errs[i] = s.UseToken(t.Context(), tok.Hash, tok.Purpose, t0.Add(time.Minute))
	})
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantNotFound(t, err, "concurrent UseToken")
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent UseToken calls succeeded, want 1", won, n)
	}
}
