package login_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// When sessions of an account end for good, the change that ends them
// also revokes the account's OpenID Connect tokens and queues the
// back-channel logouts of its applications, in its own transaction: a
// crash just after the change's commit loses none. The store here fails
// the separate EndOIDCSessions, as a crash there would.

// apps is the OpenID Connect provider as the login sees it.
type apps struct{ kicked atomic.Int64 }

func (*apps) Subject(userID int64) string { return fmt.Sprintf("sub-%d", userID) }
func (a *apps) LogoutsQueued()            { a.kicked.Add(1) }

// crashingStore dies where the logouts were once queued: after the
// change's commit, in a transaction of their own.
type crashingStore struct{ store.Store }

func (crashingStore) EndOIDCSessions(context.Context, int64, string, time.Time) ([]string, error) {
	return nil, errors.New("the process died here")
}

func TestSessionsEndedTellTheApplications(t *testing.T) {
	onEngines(t, testSessionsEndedTellTheApplications)
}

func testSessionsEndedTellTheApplications(t *testing.T, h *harness) {
	a := &apps{}
	crashing := crashingStore{h.Store}
	h.Login.Store = crashing
	h.Login.Applications = a
	adm := &admin.Service{Store: crashing, Login: h.Login}
	if err := h.Store.CreateApplication(h.ctx, &store.Application{ClientID: "rota", Name: "Rota",
		RedirectURIs: []string{"https://rota.example.org/cb"}, BackchannelLogoutURI: "https://rota.example.org/logout",
		CreatedAt: h.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	n := 0
	// signedIn logs the person in and gives them a refresh token of Rota.
	signedIn := func(u *store.User) (*login.Session, []byte) {
		t.Helper()
		sess := h.login(u.Email, store.StageCode)
		full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.lastCode(u.Phone), client)
		if err != nil {
			t.Fatal(err)
		}
		n++
		sum := sha256.Sum256(fmt.Appendf(nil, "refresh-%d", n))
		tok := &store.OIDCToken{Hash: sum[:], Kind: store.TokenRefresh, Family: fmt.Sprint("family-", n), ClientID: "rota",
			UserID: u.ID, Scopes: []string{"openid", "offline_access"}, Audience: []string{"rota"},
			AuthTime: h.clk.Now(), CreatedAt: h.clk.Now(), ExpiresAt: h.clk.Now().Add(24 * time.Hour)}
		if err := h.Store.IssueTokens(h.ctx, store.TokenIssue{At: h.clk.Now(), Tokens: []*store.OIDCToken{tok}}); err != nil {
			t.Fatal(err)
		}
		return full, tok.Hash
	}
	// told checks the refresh token was revoked and one logout of u queued.
	told := func(what string, u *store.User, refresh []byte) {
		t.Helper()
		if tok, err := h.Store.OIDCToken(h.ctx, refresh); err != nil || tok.Active(h.clk.Now()) {
			t.Errorf("%s: the refresh token is still active (%v)", what, err)
		}
		got, err := h.Store.ClaimOIDCLogouts(h.ctx, h.clk.Now().Add(time.Hour), h.clk.Now().Add(2*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range got {
			if err := h.Store.FinishOIDCLogout(h.ctx, l.ID, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 1 || got[0].ClientID != "rota" || got[0].Subject != fmt.Sprintf("sub-%d", u.ID) {
			t.Errorf("%s: queued %+v, want one logout of sub-%d for rota", what, got, u.ID)
		}
	}

	u := h.user("pat@example.org", testPhone)
	const newPhone = "+447546654321"
	steps := []struct {
		name string
		do   func(sess *login.Session) error
	}{
		{"logout", func(sess *login.Session) error { return h.Login.Logout(h.ctx, sess.Token, client) }},
		{"a phone change by the person", func(sess *login.Session) error {
			if _, err := h.Login.StartPhoneChange(h.ctx, sess, newPhone, client); err != nil {
				return err
			}
			return h.Login.VerifyPhoneChange(h.ctx, sess, h.lastCode(newPhone), client)
		}},
		{"a phone change by an administrator", func(*login.Session) error {
			return adm.SetPhone(h.ctx, admin.Operator(), u.ID, testPhone, "the old phone came back")
		}},
		{"an end of all sessions", func(*login.Session) error {
			return adm.EndSessions(h.ctx, admin.Operator(), u.ID, "lost phone")
		}},
		{"a password link", func(*login.Session) error {
			h.Login.RequestPasswordReset(h.ctx, u.Email, client)
			h.Login.Wait()
			return h.Login.SetPasswordWithLink(h.ctx, h.resetToken(u.Email), store.TokenPasswordReset, testPassword, client) // the same, for the next login
		}},
		{"a deactivation", func(*login.Session) error {
			return adm.SetActive(h.ctx, admin.Operator(), u.ID, false, "left")
		}},
	}
	for _, step := range steps {
		if cur, err := h.Store.UserByID(h.ctx, u.ID); err == nil {
			u = cur
		}
		h.clk.Advance(20 * time.Minute) // past the budget of login codes
		sess, refresh := signedIn(u)
		before := a.kicked.Load()
		if err := step.do(sess); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		told(step.name, u, refresh)
		if a.kicked.Load() == before {
			t.Errorf("%s: the provider was not told to send", step.name)
		}
	}
}
