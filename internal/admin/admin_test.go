package admin_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/delivery/outbox"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/login/logintest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/enginetest"
)

// TestMain drops the PostgreSQL database that the tests share.
func TestMain(m *testing.M) { os.Exit(enginetest.Main(m)) }

const pw = "correct horse battery staple"

// harness is the administrators' service on a real store, SQLite or
// PostgreSQL, with a clock the test moves.
type harness struct {
	t   *testing.T
	ctx context.Context
	*logintest.Stack
	adm *admin.Service
	clk *logintest.Clock
}

// onEngines runs test once on each storage engine, as the subtests
// "sqlite" and "postgres", each with a harness of its own.
func onEngines(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Helper()
	enginetest.Each(t, func(t *testing.T, e enginetest.Engine) { test(t, newHarnessOn(t, e)) })
}

func newHarnessOn(t *testing.T, e enginetest.Engine) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), Stack: logintest.New(t, e.Open(t), nil),
		clk: logintest.NewClock(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))}
	h.Login.Clock = h.clk.Now
	h.adm = &admin.Service{Store: h.Store, Login: h.Login}
	return h
}

func (h *harness) user(email, phone string, isAdmin bool) *store.User {
	h.t.Helper()
	return h.User(h.t, login.NewAccount{Email: email, Name: strings.Split(email, "@")[0], Password: pw, Admin: isAdmin}, phone)
}

func (h *harness) code(to string) string { h.t.Helper(); return h.LastCode(h.t, to) }

func (h *harness) mailTo(to string) []outbox.Message {
	var ms []outbox.Message
	for _, m := range h.Outbox.Messages() {
		if m.To == to && m.Channel == outbox.ChannelEmail {
			ms = append(ms, m)
		}
	}
	return ms
}

// boss creates boss@example.org, an administrator, and returns their
// session after a full login: the one who acts in most tests.
func (h *harness) boss() *login.Session {
	h.t.Helper()
	h.user("boss@example.org", "+447546000001", true)
	return h.loginFull("boss@example.org", "+447546000001")
}

// bossAndPat creates the administrator boss@example.org and the provider
// pat@example.org (phone +447546123456), and returns boss's session after
// a full login and pat's account: who acts and on whom.
func (h *harness) bossAndPat() (*login.Session, *store.User) {
	h.t.Helper()
	h.user("boss@example.org", "+447546000001", true)
	p := h.user("pat@example.org", "+447546123456", false)
	return h.loginFull("boss@example.org", "+447546000001"), p
}

// loginFull logs u in with password and code and returns the session.
func (h *harness) loginFull(email, phone string) *login.Session {
	h.t.Helper()
	sess, _, err := h.Login.Login(h.ctx, email, pw, login.Client{IP: "192.0.2.1"})
	if err != nil {
		h.t.Fatal(err)
	}
	if sess.Stage == store.StageFull {
		return sess
	}
	full, err := h.Login.VerifyLoginCode(h.ctx, sess, h.code(phone), login.Client{})
	if err != nil {
		h.t.Fatal(err)
	}
	u, _ := h.Store.UserByID(h.ctx, full.UserID)
	full.User = u
	return full
}

func (h *harness) actor(sess *login.Session) admin.Actor {
	return admin.Actor{Session: sess, Client: login.Client{IP: "192.0.2.9", UserAgent: "test"}}
}

func (h *harness) stage(email string) store.Stage {
	h.t.Helper()
	sess, _, err := h.Login.Login(h.ctx, email, pw, login.Client{IP: "192.0.2.2"})
	if err != nil {
		h.t.Fatal(err)
	}
	return sess.Stage
}

func kind(err error) login.Kind {
	var le *login.Error
	if errors.As(err, &le) {
		return le.Kind
	}
	return 0
}

// message is the plain-words message of a refusal.
func message(err error) string {
	var le *login.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return ""
}

func (h *harness) lastAudit(userID int64) store.AuditEvent {
	h.t.Helper()
	events, err := h.Store.AuditForUser(h.ctx, userID, 1)
	if err != nil || len(events) == 0 {
		h.t.Fatalf("no audit event: %v", err)
	}
	return events[0]
}

func TestDisableMFATemporarily(t *testing.T) { onEngines(t, testDisableMFATemporarily) }

func testDisableMFATemporarily(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	patSess := h.loginFull("pat@example.org", "+447546123456")

	for _, d := range []time.Duration{59 * time.Minute, 7*24*time.Hour + time.Second} {
		if err := h.adm.DisableMFA(h.ctx, h.actor(boss), p.ID, d, "lost phone"); kind(err) != login.KindInvalidInput {
			t.Errorf("DisableMFA for %v: %v, want refused", d, err)
		}
	}
	if err := h.adm.DisableMFA(h.ctx, h.actor(boss), p.ID, admin.DefaultDisable, "  "); kind(err) != login.KindInvalidInput {
		t.Errorf("no reason: %v", err)
	}
	if err := h.adm.DisableMFA(h.ctx, h.actor(boss), p.ID, admin.DefaultDisable, "Lost phone, ticket 4411"); err != nil {
		t.Fatal(err)
	}
	// The user's sessions ended: their protection was lowered.
	if _, err := h.Login.Authenticate(h.ctx, patSess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Errorf("the provider's session survived: %v", err)
	}
	// They were told, by whom, and why.
	mails := h.mailTo("pat@example.org")
	if len(mails) == 0 || !strings.Contains(mails[0].Body, "boss@example.org") || !strings.Contains(mails[0].Body, "Lost phone, ticket 4411") {
		t.Fatalf("notice: %+v", mails)
	}
	e := h.lastAudit(p.ID)
	if e.Event != "admin.mfa_disabled" || e.ActorID != boss.UserID || !strings.Contains(e.Detail, "ticket 4411") {
		t.Fatalf("audit: %+v", e)
	}
	// Password alone for 24 hours, then MFA by itself.
	if st := h.stage("pat@example.org"); st != store.StageFull {
		t.Fatalf("during the disable: stage %s", st)
	}
	h.clk.Advance(24*time.Hour - time.Minute)
	if st := h.stage("pat@example.org"); st != store.StageFull {
		t.Fatalf("a minute before the end: stage %s", st)
	}
	h.clk.Advance(time.Minute)
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatalf("at the end: stage %s, want the code again", st)
	}
}

func TestEndMFADisableEarly(t *testing.T) { onEngines(t, testEndMFADisableEarly) }

func testEndMFADisableEarly(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	h.adm.DisableMFA(h.ctx, h.actor(boss), p.ID, 48*time.Hour, "travel")
	if err := h.adm.EndMFADisable(h.ctx, h.actor(boss), p.ID, "back early"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatalf("after ending the disable: %s", st)
	}
}

func TestAdministratorsCannotLowerTheirOwnProtection(t *testing.T) {
	onEngines(t, testAdministratorsCannotLowerTheirOwnProtection)
}

func testAdministratorsCannotLowerTheirOwnProtection(t *testing.T, h *harness) {
	b := h.user("boss@example.org", "+447546000001", true)
	boss := h.loginFull("boss@example.org", "+447546000001")
	if err := h.adm.DisableMFA(h.ctx, h.actor(boss), b.ID, time.Hour, "me"); kind(err) != login.KindNotAllowed {
		t.Fatalf("own MFA disable: %v", err)
	}
	if err := h.adm.SetMFAOverride(h.ctx, h.actor(boss), b.ID, store.MFAExempt, "me"); kind(err) != login.KindNotAllowed {
		t.Fatalf("own exemption: %v", err)
	}
	// Nor step down or deactivate themselves, also with another
	// administrator there (issue 14, 10): another administrator does it.
	ownRole := "You cannot remove your own administrator role. Ask another administrator."
	ownAccount := "You cannot deactivate your own account. Ask another administrator."
	for _, other := range []bool{false, true} {
		if other {
			h.user("deputy@example.org", "+447546000002", true)
		}
		if err := h.adm.SetRole(h.ctx, h.actor(boss), b.ID, false, "step down"); kind(err) != login.KindNotAllowed || message(err) != ownRole {
			t.Fatalf("removing one's own role (another administrator: %v): %v", other, err)
		}
		if err := h.adm.SetActive(h.ctx, h.actor(boss), b.ID, false, "leaving"); kind(err) != login.KindNotAllowed || message(err) != ownAccount {
			t.Fatalf("deactivating one's own account (another administrator: %v): %v", other, err)
		}
		if got, _ := h.Store.UserByID(h.ctx, b.ID); !got.Admin || got.Deactivated {
			t.Fatalf("after refusals: admin %v, deactivated %v", got.Admin, got.Deactivated)
		}
	}
	if n := len(h.mailTo("boss@example.org")); n != 0 {
		t.Errorf("%d emails after refused actions", n)
	}
	// The other administrator can; and the last one is still kept.
	deputy := h.loginFull("deputy@example.org", "+447546000002")
	if err := h.adm.SetRole(h.ctx, h.actor(deputy), b.ID, false, "handing over to deputy"); err != nil {
		t.Fatal(err)
	}
	if err := h.adm.SetActive(h.ctx, admin.Operator(), deputy.UserID, false, "leaving"); kind(err) != login.KindNotAllowed {
		t.Fatalf("deactivating the last administrator: %v", err)
	}
	if err := h.adm.SetRole(h.ctx, admin.Operator(), deputy.UserID, false, "tidy up"); kind(err) != login.KindNotAllowed {
		t.Fatalf("removing the last administrator's role: %v", err)
	}
	// Reactivating oneself and making oneself administrator need no
	// refusal: an administrator acting is both already.
}

func TestOnlyFreshAdministratorsAct(t *testing.T) { onEngines(t, testOnlyFreshAdministratorsAct) }

func testOnlyFreshAdministratorsAct(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	h.user("other@example.org", "+447546000003", false)
	provider := h.loginFull("other@example.org", "+447546000003")

	if err := h.adm.Unlock(h.ctx, h.actor(provider), p.ID, "x"); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("a provider acting: %v", err)
	}
	if _, err := h.adm.CreateUser(h.ctx, h.actor(provider), admin.NewUser{Name: "Eve", Email: "eve@example.org"}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("a provider creating a user: %v", err)
	}
	half, _, _ := h.Login.Login(h.ctx, "boss@example.org", pw, login.Client{})
	if err := h.adm.Unlock(h.ctx, h.actor(half), p.ID, "x"); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("a half-finished login acting: %v", err)
	}

	h.clk.Advance(16 * time.Minute)
	h.Login.Authenticate(h.ctx, boss.Token)
	if err := h.adm.Unlock(h.ctx, h.actor(boss), p.ID, "x"); !errors.Is(err, admin.ErrStale) {
		t.Fatalf("16 minutes after login: %v, want stale", err)
	}
	// Password and code again.
	if _, _, err := h.Login.StartStepUp(h.ctx, boss, "wrong password!", login.Client{}); kind(err) != login.KindInvalidCredentials {
		t.Fatalf("step up with a wrong password: %v", err)
	}
	next, needCode, err := h.Login.StartStepUp(h.ctx, boss, pw, login.Client{})
	if err != nil || !needCode || next != nil {
		t.Fatalf("StartStepUp = %v, %v, %v; want a code", next, needCode, err)
	}
	fresh, err := h.Login.VerifyStepUp(h.ctx, boss, h.code("+447546000001"), login.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Token == boss.Token {
		t.Fatal("step up kept the token")
	}
	fresh.User = boss.User
	if err := h.adm.EndSessions(h.ctx, h.actor(fresh), p.ID, "lost laptop"); err != nil {
		t.Fatalf("after the step up: %v", err)
	}
	// The command line acts as the operator.
	if err := h.adm.EndSessions(h.ctx, admin.Operator(), p.ID, "from the console"); err != nil {
		t.Fatal(err)
	}
}

// TestPasswordAloneNeverMakesTheConsoleFresh: the attack of issue 14 (2).
// With a login 20 minutes old, the password typed again where My Details
// asks for it (Reauthenticate) gives a new session whose password is
// fresh, but its code is as old as before: the console still needs the
// step up with a code.
func TestPasswordAloneNeverMakesTheConsoleFresh(t *testing.T) {
	onEngines(t, testPasswordAloneNeverMakesTheConsoleFresh)
}

func testPasswordAloneNeverMakesTheConsoleFresh(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	h.clk.Advance(20 * time.Minute)
	h.Login.Authenticate(h.ctx, boss.Token)
	again, err := h.Login.Reauthenticate(h.ctx, boss, pw, login.Client{})
	if err != nil {
		t.Fatal(err)
	}
	again.User = boss.User
	if !again.MFA || !h.Login.Fresh(again, login.ProofPassword) {
		t.Fatalf("after re-authentication: MFA %v, password fresh %v; want both", again.MFA, h.Login.Fresh(again, login.ProofPassword))
	}
	if err := h.adm.Authorize(h.actor(again)); !errors.Is(err, admin.ErrStale) {
		t.Fatalf("Authorize after the password alone: %v, want stale", err)
	}
	if err := h.adm.Unlock(h.ctx, h.actor(again), p.ID, "x"); !errors.Is(err, admin.ErrStale) {
		t.Fatalf("an action after the password alone: %v, want stale", err)
	}
	// As the store has it, too.
	stored, err := h.Login.Authenticate(h.ctx, again.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.adm.Authorize(h.actor(stored)); !errors.Is(err, admin.ErrStale) {
		t.Fatalf("Authorize of the stored session: %v, want stale", err)
	}
	// A step up (password and code) makes it fresh.
	if _, needCode, err := h.Login.StartStepUp(h.ctx, stored, pw, login.Client{}); err != nil || !needCode {
		t.Fatalf("StartStepUp: %v, %v", needCode, err)
	}
	fresh, err := h.Login.VerifyStepUp(h.ctx, stored, h.code("+447546000001"), login.Client{})
	if err != nil {
		t.Fatal(err)
	}
	fresh.User = stored.User
	if err := h.adm.Unlock(h.ctx, h.actor(fresh), p.ID, "x"); err == nil || errors.Is(err, admin.ErrStale) || errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("an action after the step up: %v, want it authorised (nothing to unlock)", err)
	}
}

func TestActionsThatChangeNothingAreRefused(t *testing.T) {
	onEngines(t, testActionsThatChangeNothingAreRefused)
}

func testActionsThatChangeNothingAreRefused(t *testing.T, h *harness) {
	bossSess, p := h.bossAndPat()
	boss := h.actor(bossSess)
	before := len(h.mailTo("pat@example.org"))
	for name, err := range map[string]error{
		"end disable":   h.adm.EndMFADisable(h.ctx, boss, p.ID, "r"),
		"unlock":        h.adm.Unlock(h.ctx, boss, p.ID, "r"),
		"reactivate":    h.adm.SetActive(h.ctx, boss, p.ID, true, "r"),
		"remove role":   h.adm.SetRole(h.ctx, boss, p.ID, false, "r"),
		"same override": h.adm.SetMFAOverride(h.ctx, boss, p.ID, store.MFAFollowPolicy, "r"),
		"same phone":    h.adm.SetPhone(h.ctx, boss, p.ID, "+447546123456", "r"),
	} {
		if kind(err) != login.KindInvalidInput {
			t.Errorf("%s: %v, want a plain refusal", name, err)
		}
	}
	if n := len(h.mailTo("pat@example.org")); n != before {
		t.Fatalf("%d notices for changes that changed nothing", n-before)
	}
}

func TestSetPhone(t *testing.T) { onEngines(t, testSetPhone) }

func testSetPhone(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	err := h.adm.SetPhone(h.ctx, h.actor(boss), p.ID, "07546654321", "new phone")
	var le *login.Error
	if !errors.As(err, &le) || le.Field != "phone" || !strings.Contains(le.Message, "+447546654321") {
		t.Fatalf("trunk-zero number: %v", err)
	}
	if err := h.adm.SetPhone(h.ctx, h.actor(boss), p.ID, "+44 7546 654321", "new phone, ticket 9"); err != nil {
		t.Fatal(err)
	}
	before := len(h.Outbox.Messages())
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatal(st)
	}
	if msgs := h.Outbox.Messages(); len(msgs) != before+1 || msgs[0].To != "+447546654321" {
		t.Fatalf("the next code did not go to the new number: %+v", msgs[0])
	}
	if e := h.lastAudit(p.ID); !strings.Contains(e.Detail, "•••• 3456 to •••• 4321") {
		// the login just now is the last event; look further back
		events, _ := h.Store.AuditForUser(h.ctx, p.ID, 20)
		found := false
		for _, e := range events {
			found = found || (e.Event == "admin.phone_changed" && strings.Contains(e.Detail, "•••• 4321"))
		}
		if !found {
			t.Fatalf("phone change not audited: %+v", events)
		}
	}
}

// TestSetPhoneAppliesTheDestinationRules: the console's Update phone
// number (and portal user set-phone, which calls it) used to skip the
// allowed destinations; it reads the number as a person's typing is read
// (issue 14, finding 9).
func TestSetPhoneAppliesTheDestinationRules(t *testing.T) {
	onEngines(t, testSetPhoneAppliesTheDestinationRules)
}

func testSetPhoneAppliesTheDestinationRules(t *testing.T, h *harness) {
	bossSess, p := h.bossAndPat()
	boss := h.actor(bossSess)
	refused := func(raw, words string) {
		t.Helper()
		err := h.adm.SetPhone(h.ctx, boss, p.ID, raw, "new phone")
		var le *login.Error
		if !errors.As(err, &le) || le.Kind != login.KindInvalidInput || le.Field != "phone" || !strings.Contains(le.Message, words) {
			t.Errorf("SetPhone(%q) = %v; want a refusal saying %q", raw, err, words)
		}
		if u, _ := h.Store.UserByID(h.ctx, p.ID); u.Phone != "+447546123456" {
			t.Fatalf("the phone became %s", u.Phone)
		}
	}
	refused("+881 6 1234 5678", "satellite phones")
	refused("+870 301234567", "satellite phones")
	h.Login.Rules.SMSCountries = []string{"GB", "IE"}
	refused("+33 6 12 34 56 78", "numbers in that country")

	h.Login.Rules.SMSNonGeographic = true
	if err := h.adm.SetPhone(h.ctx, boss, p.ID, "+881 6 1234 5678", "satellite phone for remote visits"); err != nil {
		t.Fatalf("a satellite number once the operator allows them: %v", err)
	}
	if u, _ := h.Store.UserByID(h.ctx, p.ID); u.Phone != "+881612345678" {
		t.Fatalf("phone %s", u.Phone)
	}
}

func TestUnlock(t *testing.T) { onEngines(t, testUnlock) }

func testUnlock(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	for i := 0; i < 10; i++ {
		h.Login.Login(h.ctx, "pat@example.org", "wrong password", login.Client{IP: "198.51.100.1"})
	}
	if _, _, err := h.Login.Login(h.ctx, "pat@example.org", pw, login.Client{}); kind(err) != login.KindThrottled {
		t.Fatalf("after 10 wrong passwords: %v", err)
	}
	h.lockCodeStep(t, p)
	if err := h.adm.Unlock(h.ctx, h.actor(boss), p.ID, "verified by phone"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatalf("after unlock: %s", st)
	}
	u, _ := h.Store.UserByID(h.ctx, p.ID)
	if u.CodeFailures != 0 || !u.CodeLockedUntil.IsZero() {
		t.Fatalf("code lock not lifted: %+v", u)
	}
}

func TestDeactivateEndsSessionsAndRefusesLogin(t *testing.T) {
	onEngines(t, testDeactivateEndsSessionsAndRefusesLogin)
}

func testDeactivateEndsSessionsAndRefusesLogin(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	patSess := h.loginFull("pat@example.org", "+447546123456")
	if err := h.adm.SetActive(h.ctx, h.actor(boss), p.ID, false, "left the practice"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, patSess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatal("a deactivated account's session survived")
	}
	if _, _, err := h.Login.Login(h.ctx, "pat@example.org", pw, login.Client{}); kind(err) != login.KindNotAllowed {
		t.Fatalf("login of a deactivated account: %v", err)
	}
	if err := h.adm.SetActive(h.ctx, h.actor(boss), p.ID, true, "came back"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatal(st)
	}
}

func TestCreateUserInvitation(t *testing.T) { onEngines(t, testCreateUserInvitation) }

func testCreateUserInvitation(t *testing.T, h *harness) {
	boss := h.boss()
	if _, err := h.adm.CreateUser(h.ctx, h.actor(boss), admin.NewUser{Name: "", Email: "x@example.org"}); kind(err) != login.KindInvalidInput {
		t.Fatalf("no name: %v", err)
	}
	u, err := h.adm.CreateUser(h.ctx, h.actor(boss), admin.NewUser{Name: "New Nurse", Email: "Nurse@Example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// No password yet: nothing logs in.
	if _, _, err := h.Login.Login(h.ctx, "nurse@example.org", "", login.Client{}); kind(err) != login.KindInvalidCredentials {
		t.Fatalf("login before the password is set: %v", err)
	}
	mails := h.mailTo("nurse@example.org")
	if len(mails) != 1 {
		t.Fatalf("invitation: %+v", mails)
	}
	token := regexp.MustCompile(`/welcome\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0].Body)
	if token == nil {
		t.Fatalf("no link in %q", mails[0].Body)
	}
	h.clk.Advance(71 * time.Hour)
	if err := h.Login.SetPasswordWithLink(h.ctx, token[1], store.TokenInvite, "short", login.Client{}); kind(err) != login.KindInvalidInput {
		t.Fatalf("short password: %v", err)
	}
	if err := h.Login.SetPasswordWithLink(h.ctx, token[1], store.TokenInvite, pw, login.Client{}); err != nil {
		t.Fatalf("within 72 hours: %v", err)
	}
	if err := h.Login.SetPasswordWithLink(h.ctx, token[1], store.TokenInvite, pw+"!", login.Client{}); kind(err) != login.KindSetupTokenInvalid {
		t.Fatalf("second use: %v", err)
	}
	if st := h.stage("nurse@example.org"); st != store.StageRegisterPhone {
		t.Fatalf("first login of the invited user: %s", st)
	}
	_ = u
}

func TestInvitationExpires(t *testing.T) { onEngines(t, testInvitationExpires) }

func testInvitationExpires(t *testing.T, h *harness) {
	boss := h.boss()
	h.adm.CreateUser(h.ctx, h.actor(boss), admin.NewUser{Name: "Late", Email: "late@example.org"})
	token := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(h.mailTo("late@example.org")[0].Body)[1]
	h.clk.Advance(72 * time.Hour)
	if err := h.Login.SetPasswordWithLink(h.ctx, token, store.TokenInvite, pw, login.Client{}); kind(err) != login.KindSetupTokenInvalid {
		t.Fatalf("after 72 hours: %v", err)
	}
}

func TestPortalPolicy(t *testing.T) { onEngines(t, testPortalPolicy) }

func testPortalPolicy(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	if err := h.adm.SetPortalMFA(h.ctx, h.actor(boss), false, "pilot without MFA"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("pat@example.org"); st != store.StageFull {
		t.Fatalf("policy optional: %s", st)
	}
	if err := h.adm.SetMFAOverride(h.ctx, h.actor(boss), p.ID, store.MFARequired, "handles payments"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("pat@example.org"); st != store.StageCode {
		t.Fatalf("required for the user: %s", st)
	}
}

func TestEndSessions(t *testing.T) { onEngines(t, testEndSessions) }

func testEndSessions(t *testing.T, h *harness) {
	boss, p := h.bossAndPat()
	patSess := h.loginFull("pat@example.org", "+447546123456")
	if err := h.adm.EndSessions(h.ctx, h.actor(boss), p.ID, "stolen laptop"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, patSess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatal("session survived")
	}
	if _, err := h.Login.Authenticate(h.ctx, boss.Token); err != nil {
		t.Fatal("the administrator's own session ended")
	}
}

func TestAdministratorsAlwaysUseMFA(t *testing.T) { onEngines(t, testAdministratorsAlwaysUseMFA) }

func testAdministratorsAlwaysUseMFA(t *testing.T, h *harness) {
	boss := h.boss()
	deputy := h.user("deputy@example.org", "+447546000002", true)
	if err := h.adm.DisableMFA(h.ctx, h.actor(boss), deputy.ID, time.Hour, "travel"); kind(err) != login.KindNotAllowed {
		t.Fatalf("disabling another administrator's MFA: %v", err)
	}
	if err := h.adm.SetMFAOverride(h.ctx, h.actor(boss), deputy.ID, store.MFAExempt, "x"); kind(err) != login.KindNotAllowed {
		t.Fatalf("exempting an administrator: %v", err)
	}
	// With the portal policy optional, an administrator still gets the code.
	if err := h.adm.SetPortalMFA(h.ctx, h.actor(boss), false, "pilot"); err != nil {
		t.Fatal(err)
	}
	if st := h.stage("deputy@example.org"); st != store.StageCode {
		t.Fatalf("administrator with MFA optional for the portal: %s", st)
	}
	// A provider made administrator after a password-only login must prove
	// a code before administering.
	p := h.user("pat@example.org", "+447546123456", false)
	patSess, _, err := h.Login.Login(h.ctx, "pat@example.org", pw, login.Client{})
	if err != nil || patSess.Stage != store.StageFull {
		t.Fatalf("provider login with MFA optional: %v", err)
	}
	if err := h.adm.SetRole(h.ctx, h.actor(boss), p.ID, true, "new practice manager"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Login.Authenticate(h.ctx, patSess.Token); !errors.Is(err, login.ErrNoSession) {
		t.Fatalf("the password-only session of a new administrator survived: %v", err)
	}
	patSess.User.Admin = true
	if err := h.adm.EndSessions(h.ctx, h.actor(patSess), deputy.ID, "x"); !errors.Is(err, admin.ErrStale) {
		t.Fatalf("administering from a password-only session: %v", err)
	}
}

// lockCodeStep locks u's code step for an hour, as a wrong code that
// reaches the limit does.
func (h *harness) lockCodeStep(t *testing.T, u *store.User) {
	t.Helper()
	wrong := &store.Challenge{UserID: u.ID, AttemptID: "locked", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: u.Phone, CodeHash: []byte{1}, CreatedAt: h.clk.Now(), ExpiresAt: h.clk.Now().Add(time.Minute)}
	if err := h.Store.IssueChallenge(h.ctx, wrong); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CountWrongCode(h.ctx, store.WrongCode{ChallengeID: wrong.ID, MaxTries: 5, At: h.clk.Now(),
		Lock: func(int) time.Time { return h.clk.Now().Add(time.Hour) }}); err != nil {
		t.Fatal(err)
	}
}
