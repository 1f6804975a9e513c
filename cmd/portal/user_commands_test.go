package main

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/delivery/smtptest"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// operatorEnv is what the `portal user` commands see: a SQLite database in
// a temporary directory and, through PORTAL_SMTP_URL, a local SMTP server
// whose messages the tests read.
type operatorEnv struct {
	getenv func(string) string
	smtp   *smtptest.Server
	db     *sqlite.DB // the test's own connection, to arrange and check
}

func newOperatorEnv(t *testing.T) *operatorEnv {
	t.Helper()
	sm := smtptest.Start(t)
	dbPath := t.TempDir() + "/portal.db"
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &operatorEnv{
		getenv: testEnv(
			"PORTAL_DATABASE_URL", "sqlite:"+dbPath,
			"PORTAL_SMTP_URL", sm.URL(),
			"PORTAL_MAIL_FROM", "Provider Portal <portal@example.org>",
			"PORTAL_BASE_URL", "https://portal.example.org",
			"PORTAL_LOG_LEVEL", "error",
		),
		smtp: sm,
		db:   db,
	}
}

// portal runs `portal args…` and returns what it printed and its error.
func (e *operatorEnv) portal(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, e.getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// must runs a command that should succeed and returns its output.
func (e *operatorEnv) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := e.portal(t, args...)
	if err != nil {
		t.Fatalf("portal %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// refused runs a command that should fail with a plain sentence (exit
// status 1) containing want.
func (e *operatorEnv) refused(t *testing.T, want string, args ...string) {
	t.Helper()
	_, errOut, err := e.portal(t, args...)
	switch {
	case err == nil:
		t.Errorf("portal %s succeeded; want the refusal %q", strings.Join(args, " "), want)
	case errors.Is(err, errUsage):
		t.Errorf("portal %s: usage error (exit 2) %s; want the refusal %q", strings.Join(args, " "), errOut, want)
	case !strings.Contains(err.Error(), want):
		t.Errorf("portal %s: %q; want %q", strings.Join(args, " "), err, want)
	case strings.Contains(err.Error(), "login:") || strings.Contains(err.Error(), "store:") || strings.Contains(err.Error(), "goroutine"):
		t.Errorf("portal %s: the message shows internals: %q", strings.Join(args, " "), err)
	}
}

// misused runs a command that should be a usage error (exit status 2)
// whose explanation on stderr contains want.
func (e *operatorEnv) misused(t *testing.T, want string, args ...string) {
	t.Helper()
	_, errOut, err := e.portal(t, args...)
	if !errors.Is(err, errUsage) {
		t.Errorf("portal %s: %v; want a usage error", strings.Join(args, " "), err)
	} else if !strings.Contains(errOut, want) {
		t.Errorf("portal %s: stderr %q lacks %q", strings.Join(args, " "), errOut, want)
	}
}

// addUser creates an account directly in the store (no password: these
// commands never need one), with a phone if given.
func (e *operatorEnv) addUser(t *testing.T, email, name string, isAdmin bool, number string) *store.User {
	t.Helper()
	u := &store.User{Email: email, Name: name, Admin: isAdmin, Phone: number, CreatedAt: time.Now().UTC()}
	if err := e.db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if number != "" {
		if err := e.db.SetPhone(t.Context(), u.ID, number); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

func (e *operatorEnv) user(t *testing.T, email string) *store.User {
	t.Helper()
	u, err := e.db.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// addSession gives u a logged-in session, to see which actions end it.
func (e *operatorEnv) addSession(t *testing.T, u *store.User) []byte {
	t.Helper()
	now := time.Now().UTC()
	hash := login.HashToken(u.Email + now.String())
	if err := e.db.CreateSession(t.Context(), &store.Session{
		TokenHash: hash, UserID: u.ID, Stage: store.StageFull, AttemptID: "a",
		CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	return hash
}

func (e *operatorEnv) hasSession(t *testing.T, hash []byte) bool {
	t.Helper()
	_, err := e.db.SessionByHash(t.Context(), hash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// lastEvent is the newest audit event about u.
func (e *operatorEnv) lastEvent(t *testing.T, u *store.User) store.AuditEvent {
	t.Helper()
	events, err := e.db.AuditForUser(t.Context(), u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatalf("no audit event about %s", u.Email)
	}
	return events[0]
}

// wantAudit checks that the newest event about u is the operator's action
// with the reason.
func (e *operatorEnv) wantAudit(t *testing.T, u *store.User, event, reason string) store.AuditEvent {
	t.Helper()
	ev := e.lastEvent(t, u)
	op := admin.Operator()
	if ev.Event != event || ev.Outcome != "success" || ev.SubjectID != u.ID || ev.ActorID != 0 ||
		ev.UserAgent != op.Client.UserAgent || !strings.Contains(ev.Detail, "reason: "+reason) {
		t.Errorf("audit event: %+v; want %s about user %d by the operator, with reason %q", ev, event, u.ID, reason)
	}
	return ev
}

// wantDoneAndTold checks both records of an operator's action on u with
// the reason: the audit event (see wantAudit) and the email that told the
// person, under subject (see wantNotice).
func (e *operatorEnv) wantDoneAndTold(t *testing.T, u *store.User, event, subject, reason string) {
	t.Helper()
	e.wantAudit(t, u, event, reason)
	e.wantNotice(t, u.Email, subject, reason)
}

// email waits for the next email to to.
func (e *operatorEnv) email(t *testing.T, to string) smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := e.smtp.Wait(ctx, to)
	if err != nil {
		t.Fatalf("no email to %s: %v", to, err)
	}
	return m
}

// wantNotice checks the email that tells the person what was done, by
// whom and why.
func (e *operatorEnv) wantNotice(t *testing.T, to, subject, reason string) smtptest.Message {
	t.Helper()
	m := e.email(t, to)
	if m.Subject != subject {
		t.Errorf("notice to %s: subject %q, want %q", to, m.Subject, subject)
	}
	for _, want := range []string{"by the system operator", "Reason given: " + reason} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("notice to %s lacks %q:\n%s", to, want, m.Text)
		}
	}
	return m
}

func TestUserSetPhone(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	e.addUser(t, "root@example.org", "Root Admin", true, "")
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447700900123")
	sess := e.addSession(t, u)

	out := e.must(t, "user", "set-phone", "--email", "Pat@Example.org", "--phone", "+44 7546 123456", "--reason", "new handset, confirmed by phone call")
	if !strings.Contains(out, "•••• 3456") || strings.Contains(out, "7546123456") {
		t.Errorf("output: %q", out)
	}
	if got := e.user(t, u.Email).Phone; got != "+447546123456" {
		t.Errorf("phone %q", got)
	}
	ev := e.wantAudit(t, u, "admin.phone_changed", "new handset, confirmed by phone call")
	if !strings.Contains(ev.Detail, "•••• 0123 to •••• 3456") {
		t.Errorf("audit detail %q does not name the masked numbers", ev.Detail)
	}
	e.wantNotice(t, u.Email, "The phone number for your login codes was changed", "new handset, confirmed by phone call")
	if e.hasSession(t, sess) {
		t.Error("a phone change left the provider's session running")
	}

	// An invalid number gets the phone package's sentence with the fix,
	// and nothing changes.
	e.refused(t, "Include the country code, e.g. +44, and drop the leading zero: +447911123456",
		"user", "set-phone", "--email", u.Email, "--phone", "07911 123456", "--reason", "typo")
	e.refused(t, "This looks like a landline",
		"user", "set-phone", "--email", u.Email, "--phone", "+44 20 7946 0000", "--reason", "typo")
	if got := e.user(t, u.Email).Phone; got != "+447546123456" {
		t.Errorf("phone after refusals: %q", got)
	}
	e.misused(t, "--phone is required", "user", "set-phone", "--email", u.Email, "--reason", "x")
}

// TestUserSetPhoneAppliesTheDestinationRules: portal user set-phone reads
// the number by the rules of the portal's configuration, as a person's
// typing is read (issue 14, finding 9).
func TestUserSetPhoneAppliesTheDestinationRules(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447700900123")
	e.refused(t, "does not send text messages to satellite phones",
		"user", "set-phone", "--email", u.Email, "--phone", "+881 6 1234 5678", "--reason", "remote visits")
	base := e.getenv
	with := func(kv ...string) {
		e.getenv = func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return base(k)
		}
	}
	with("PORTAL_SMS_COUNTRIES", "GB")
	e.refused(t, "cannot send text messages to numbers in that country",
		"user", "set-phone", "--email", u.Email, "--phone", "+33 6 12 34 56 78", "--reason", "moved")
	if got := e.user(t, u.Email).Phone; got != "+447700900123" {
		t.Fatalf("phone after refusals: %q", got)
	}
	with("PORTAL_SMS_COUNTRIES", "GB", "PORTAL_SMS_NON_GEOGRAPHIC", "true")
	e.must(t, "user", "set-phone", "--email", u.Email, "--phone", "+881 6 1234 5678", "--reason", "remote visits")
	if got := e.user(t, u.Email).Phone; got != "+881612345678" {
		t.Fatalf("phone %q once satellite numbers are allowed", got)
	}
}

func TestUserMFADisable(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123456")
	sess := e.addSession(t, u)
	if !login.MFARequired(u, true, time.Now()) {
		t.Fatal("MFA should be required before the disable")
	}

	before := time.Now().UTC()
	out := e.must(t, "user", "mfa-disable", "--email", u.Email, "--for", "24h", "--reason", "lost phone, ticket 4711")
	after := time.Now().UTC()
	u = e.user(t, u.Email)
	until := u.MFADisabledUntil
	if until.Before(before.Add(24*time.Hour).Truncate(time.Second)) || until.After(after.Add(24*time.Hour)) {
		t.Fatalf("disabled until %v; want 24 hours from %v", until, before)
	}
	if !strings.Contains(out, stamp(until)) {
		t.Errorf("output %q does not say when MFA comes back (%s)", out, stamp(until))
	}
	// The provider logs in with the password alone until then, and is
	// asked for a code again from then on, with nothing to run by hand.
	if login.MFARequired(u, true, time.Now()) {
		t.Error("MFA still required after mfa-disable --for 24h")
	}
	if login.MFARequired(u, true, until.Add(-time.Minute)) {
		t.Error("MFA required again before the end of the disable")
	}
	if !login.MFARequired(u, true, until) {
		t.Error("MFA not required again at the end of the disable")
	}
	ev := e.wantAudit(t, u, "admin.mfa_disabled", "lost phone, ticket 4711")
	if !strings.Contains(ev.Detail, "until "+until.Format(time.RFC3339)) {
		t.Errorf("audit detail %q", ev.Detail)
	}
	e.wantNotice(t, u.Email, "Login codes are turned off for your account for a while", "lost phone, ticket 4711")
	if e.hasSession(t, sess) {
		t.Error("disabling MFA left the provider's session running")
	}

	// Days, and the limits of the domain.
	for arg, want := range map[string]time.Duration{"2d": 48 * time.Hour, "7d": 7 * 24 * time.Hour, "90m": 90 * time.Minute, "1h": time.Hour} {
		start := time.Now().UTC()
		e.must(t, "user", "mfa-disable", "--email", u.Email, "--for", arg, "--reason", "travel")
		got := e.user(t, u.Email).MFADisabledUntil.Sub(start)
		if got < want-2*time.Second || got > want+2*time.Second {
			t.Errorf("--for %s: disabled for %v, want %v", arg, got, want)
		}
	}
	for _, arg := range []string{"30m", "8d", "169h", "0s", "-5h", "100000d"} {
		e.refused(t, "Choose a duration from 1 hour to 7 days.",
			"user", "mfa-disable", "--email", u.Email, "--for", arg, "--reason", "travel")
	}
	for _, arg := range []string{"tomorrow", "1.5d", "d", "24"} {
		e.misused(t, "give a duration such as 24h, 90m or 2d",
			"user", "mfa-disable", "--email", u.Email, "--for", arg, "--reason", "travel")
	}

	// Without --for: the console's default, 24 hours.
	start := time.Now().UTC()
	e.must(t, "user", "mfa-disable", "--email", u.Email, "--reason", "travel")
	if got := e.user(t, u.Email).MFADisabledUntil.Sub(start); got < 24*time.Hour-2*time.Second || got > 24*time.Hour+2*time.Second {
		t.Errorf("default disable: %v", got)
	}

	// mfa-enable ends it early.
	e.must(t, "user", "mfa-enable", "--email", u.Email, "--reason", "phone found")
	u = e.user(t, u.Email)
	if !u.MFADisabledUntil.IsZero() || !login.MFARequired(u, true, time.Now()) {
		t.Errorf("after mfa-enable: disabled until %v", u.MFADisabledUntil)
	}
	e.wantAudit(t, u, "admin.mfa_enabled", "phone found")
	for { // skip the notices of the disables above
		m := e.email(t, u.Email)
		if m.Subject == "Login codes are back on for your account" {
			if !strings.Contains(m.Text, "Reason given: phone found") {
				t.Errorf("notice: %s", m.Text)
			}
			break
		}
	}
}

func TestUserUnlock(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123456")
	ctx := t.Context()
	now := time.Now().UTC()
	lockedUntil := now.Add(time.Hour)
	wrong := &store.Challenge{UserID: u.ID, AttemptID: "a", Purpose: store.PurposeLogin, Channel: store.ChannelSMS,
		Destination: u.Phone, CodeHash: []byte{1}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := e.db.IssueChallenge(ctx, wrong); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CountWrongCode(ctx, store.WrongCode{ChallengeID: wrong.ID, MaxTries: 5, At: now,
		Lock: func(int) time.Time { return lockedUntil }}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AddThrottleFailure(ctx, login.AccountThrottleKey(u.Email), now, now.Add(-time.Hour), func(int) time.Time { return lockedUntil }); err != nil {
		t.Fatal(err)
	}
	if out := e.must(t, "user", "show", "--email", u.Email); !strings.Contains(out, "until "+stamp(lockedUntil)+" (passwords, codes)") {
		t.Errorf("show does not report the locks:\n%s", out)
	}

	e.must(t, "user", "unlock", "--email", u.Email, "--reason", "verified by phone")
	u = e.user(t, u.Email)
	if u.CodeFailures != 0 || !u.CodeLockedUntil.IsZero() {
		t.Errorf("code lock left: %d failures, until %v", u.CodeFailures, u.CodeLockedUntil)
	}
	if th, err := e.db.Throttle(ctx, login.AccountThrottleKey(u.Email)); err != nil || th.Failures != 0 || !th.LockedUntil.IsZero() {
		t.Errorf("password lock left: %+v, %v", th, err)
	}
	e.wantDoneAndTold(t, u, "admin.unlocked", "Your account was unlocked", "verified by phone")
	if out := e.must(t, "user", "show", "--email", u.Email); !regexp.MustCompile(`Locked:\s+no\n`).MatchString(out) {
		t.Errorf("show after unlock:\n%s", out)
	}
}

func TestUserResetPassword(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123456")
	out := e.must(t, "user", "reset-password", "--email", u.Email, "--reason", "forgot it, asked by phone")
	if !strings.Contains(out, "emailed to pat@example.org") {
		t.Errorf("output: %q", out)
	}
	e.wantAudit(t, u, "admin.password_reset_sent", "forgot it, asked by phone")
	m := e.email(t, u.Email)
	if m.Subject != "Reset your Provider Portal password" {
		t.Fatalf("subject %q", m.Subject)
	}
	// The link is for the configured portal and works: its token is stored.
	link := regexp.MustCompile(`https://portal\.example\.org/reset-password\?token=\S+`).FindString(m.Text)
	if link == "" {
		t.Fatalf("no reset link in:\n%s", m.Text)
	}
	lu, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.db.TokenByHash(t.Context(), login.HashToken(lu.Query().Get("token")), store.TokenPasswordReset, time.Now())
	if err != nil || tok.UserID != u.ID {
		t.Fatalf("the emailed link does not work: %+v, %v", tok, err)
	}
}

func TestUserDeactivateReactivate(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	root := e.addUser(t, "root@example.org", "Root Admin", true, "+447546123456")
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123457")
	sess := e.addSession(t, u)

	e.must(t, "user", "deactivate", "--email", u.Email, "--reason", "left the practice")
	if !e.user(t, u.Email).Deactivated {
		t.Fatal("not deactivated")
	}
	if e.hasSession(t, sess) {
		t.Error("deactivation left a session running")
	}
	e.wantDoneAndTold(t, u, "admin.deactivated", "Your account was deactivated", "left the practice")
	if out := e.must(t, "user", "list"); !regexp.MustCompile(`pat@example.org\s+Pat Provider\s+provider\s+deactivated`).MatchString(out) {
		t.Errorf("list does not show the deactivation:\n%s", out)
	}

	e.must(t, "user", "reactivate", "--email", u.Email, "--reason", "came back")
	if e.user(t, u.Email).Deactivated {
		t.Fatal("still deactivated")
	}
	e.wantDoneAndTold(t, u, "admin.reactivated", "Your account was reactivated", "came back")

	// The last administrator stays.
	e.refused(t, "This is the last active administrator.", "user", "deactivate", "--email", root.Email, "--reason", "tidy up")
	if e.user(t, root.Email).Deactivated {
		t.Error("the last administrator was deactivated")
	}
}

func TestUserMakeAdmin(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	root := e.addUser(t, "root@example.org", "Root Admin", true, "+447546123456")
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123457")

	e.refused(t, "This is the last active administrator. Make someone else an administrator first.",
		"user", "make-admin", "--remove", "--email", root.Email, "--reason", "retiring")
	if !e.user(t, root.Email).Admin {
		t.Fatal("the last administrator lost the role")
	}

	e.must(t, "user", "make-admin", "--email", u.Email, "--reason", "practice manager")
	if !e.user(t, u.Email).Admin {
		t.Fatal("not an administrator")
	}
	e.wantDoneAndTold(t, u, "admin.role_granted", "You are now an administrator", "practice manager")

	// With a second administrator, the first may go.
	e.must(t, "user", "make-admin", "--remove", "--email", root.Email, "--reason", "retiring")
	if e.user(t, root.Email).Admin {
		t.Fatal("role not taken")
	}
	e.wantDoneAndTold(t, root, "admin.role_removed", "You are no longer an administrator", "retiring")
}

func TestUserCommandsRefuseInPlainWords(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	u := e.addUser(t, "pat@example.org", "Pat Provider", false, "+447546123456")

	changes := [][]string{
		{"set-phone", "--phone", "+447546123456"},
		{"mfa-disable", "--for", "24h"},
		{"mfa-enable"},
		{"unlock"},
		{"reset-password"},
		{"deactivate"},
		{"reactivate"},
		{"make-admin"},
		{"make-admin", "--remove"},
	}
	for _, c := range changes {
		name := c[0]
		with := func(extra ...string) []string {
			return append(append([]string{"user"}, c...), extra...)
		}
		t.Run(name, func(t *testing.T) {
			e.refused(t, "no user with email nobody@example.org", with("--email", "Nobody@example.org", "--reason", "r")...)
			e.misused(t, "--reason is required", with("--email", u.Email)...)
			e.misused(t, "--email is required", with("--reason", "r")...)
			e.misused(t, "unexpected argument", with("--email", u.Email, "--reason", "r", "extra")...)
			e.misused(t, "flag provided but not defined", with("--email", u.Email, "--reason", "r", "--frobnicate")...)
			// A blank reason reaches the domain, which asks for one.
			e.refused(t, "Give a reason: it is kept in the audit log.", with("--email", u.Email, "--reason", "   ")...)
		})
	}
	if got := e.user(t, u.Email); got.Admin || got.Deactivated || !got.MFADisabledUntil.IsZero() {
		t.Errorf("a refused command changed the account: %+v", got)
	}
	if n := len(e.smtp.Messages()); n != 0 {
		t.Errorf("%d emails sent by refused commands", n)
	}

	e.refused(t, "no user with email nobody@example.org", "user", "show", "--email", "nobody@example.org")
	e.misused(t, "--email is required", "user", "show")
	e.misused(t, "unknown subcommand \"frobnicate\"", "user", "frobnicate")
	e.misused(t, "name a subcommand", "user")
	e.misused(t, "--limit must be from 1 to 500", "user", "list", "--limit", "0")
}

func TestUserListAndShow(t *testing.T) {
	t.Parallel()
	e := newOperatorEnv(t)
	ctx := t.Context()
	e.addUser(t, "ann@example.org", "Ann Admin", true, "+447546123456")
	e.addUser(t, "bob@example.org", "Bob Baker", false, "")
	cat := e.addUser(t, "cat@example.org", "Cat Carter", false, "+447700900222")
	dan := e.addUser(t, "dan@example.org", "Dan\x1b[31m Evil", false, "+447700900333")
	eve := e.addUser(t, "eve@example.org", "Eve Early", false, "+447700900444")
	if err := e.db.SetMFA(ctx, dan.ID, store.MFAExempt); err != nil {
		t.Fatal(err)
	}
	e.must(t, "user", "mfa-disable", "--email", cat.Email, "--for", "2d", "--reason", "lost phone")
	if err := e.db.RecordLogin(ctx, eve.ID, time.Date(2030, 5, 6, 7, 8, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	cat = e.user(t, cat.Email)

	out := e.must(t, "user", "list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 || !regexp.MustCompile(`^EMAIL\s+NAME\s+ROLE\s+ACCOUNT\s+PHONE\s+MFA\s+LOCKED\s+LAST LOGIN$`).MatchString(lines[0]) {
		t.Fatalf("list:\n%s", out)
	}
	for i, want := range []string{
		`^ann@example.org\s+Ann Admin\s+administrator\s+active\s+•••• 3456\s+required\s+no\s+never$`,
		`^bob@example.org\s+Bob Baker\s+provider\s+active\s+-\s+not yet registered\s+no\s+never$`,
		`^cat@example.org\s+Cat Carter\s+provider\s+active\s+•••• 0222\s+disabled until ` + regexp.QuoteMeta(stamp(cat.MFADisabledUntil)) + `\s+no\s+never$`,
		`^dan@example.org\s+Dan\?\[31m Evil\s+provider\s+active\s+•••• 0333\s+exempt\s+no\s+never$`,
		`^eve@example.org\s+Eve Early\s+provider\s+active\s+•••• 0444\s+required\s+no\s+2030-05-06 07:08 UTC$`,
	} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("row %d: %q does not match %s", i+1, lines[i+1], want)
		}
	}
	if strings.Contains(out, "7546123456") || strings.Contains(out, "\x1b") {
		t.Errorf("list shows a whole number or a control character:\n%s", out)
	}

	// Pages of two, continued with the hint.
	var seen []string
	args := []string{"user", "list", "--limit", "2"}
	for page := 0; ; page++ {
		if page > 3 {
			t.Fatal("paging does not end")
		}
		out := e.must(t, args...)
		for _, l := range strings.Split(out, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 0 && strings.Contains(f[0], "@") {
				seen = append(seen, f[0])
			}
		}
		m := regexp.MustCompile(`(?m)^more: --after (\S+)$`).FindStringSubmatch(out)
		if m == nil {
			break
		}
		args = []string{"user", "list", "--limit", "2", "--after", m[1]}
	}
	if got := strings.Join(seen, " "); got != "ann@example.org bob@example.org cat@example.org dan@example.org eve@example.org" {
		t.Errorf("pages gave %s", got)
	}

	// Search by name, email or phone digits.
	for search, want := range map[string]string{"baker": "bob@example.org", "EVE@": "eve@example.org", "900222": "cat@example.org"} {
		out := e.must(t, "user", "list", "--search", search)
		if rows := strings.Count(out, "\n") - 1; rows != 1 || !strings.Contains(out, want) {
			t.Errorf("--search %s:\n%s", search, out)
		}
	}
	if out := e.must(t, "user", "list", "--search", "nobody"); out != "No users match \"nobody\".\n" {
		t.Errorf("empty search: %q", out)
	}

	// show: the details and the newest ten events, newest first.
	for i := range 12 {
		e.must(t, "user", "reset-password", "--email", cat.Email, "--reason", "round "+string(rune('a'+i)))
	}
	out = e.must(t, "user", "show", "--email", "CAT@example.org")
	for _, want := range []string{
		"Email:", "cat@example.org", "Cat Carter", "provider", "•••• 0222",
		"disabled until " + stamp(cat.MFADisabledUntil), "Last login:", "never",
		"Recent events (newest first):",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	_, events, _ := strings.Cut(out, "Recent events (newest first):\n")
	rows := strings.Split(strings.TrimSuffix(events, "\n"), "\n")
	if len(rows) != 1+recentEvents || !strings.HasPrefix(rows[0], "TIME (UTC)") {
		t.Fatalf("events:\n%s", events)
	}
	if !strings.Contains(rows[1], "admin.password_reset_sent") || !strings.Contains(rows[1], "reason: round l") ||
		!strings.Contains(rows[1], "portal command line") || !strings.Contains(rows[10], "reason: round c") {
		t.Errorf("events are not the newest ten, newest first:\n%s", events)
	}
}

func TestUsageListsUserCommands(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"help"}, testEnv(), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for name := range userCommands {
		if !strings.Contains(out.String(), "portal user "+name+" ") {
			t.Errorf("help lacks portal user %s", name)
		}
	}
}

func TestDurationFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"24h": 24 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		" 7d ": 7 * 24 * time.Hour, "0d": 0, "-1h": -time.Hour, "99999999999d": 1000 * 24 * time.Hour,
	} {
		var d durationFlag
		if err := d.Set(in); err != nil || time.Duration(d) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{"", "tomorrow", "1.5d", "d", "24", "2days", "1d12h"} {
		var d durationFlag
		if err := d.Set(in); err == nil {
			t.Errorf("Set(%q) = %v; want an error", in, time.Duration(d))
		}
	}
	for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", time.Hour + time.Second: "1h0m1s"} {
		if got := (*durationFlag)(&d).String(); got != want {
			t.Errorf("String(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzDurationFlag: --for reads a Go duration or whole days exactly, a
// count of days beyond ±1,000 as ±1,000 days (the domain refuses anything
// past 7 days), and what String writes reads back the same.
func FuzzDurationFlag(f *testing.F) {
	for _, s := range []string{"24h", "2d", " 7d ", "-1h", "99999999999d", "-5d", "+3d", "1h30m", "1.5d", "9223372036854775807d", "-9223372036854775808d", "-281474976710653d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d durationFlag
		if err := d.Set(s); err != nil {
			if err.Error() != "give a duration such as 24h, 90m or 2d" {
				t.Fatalf("Set(%q): %v", s, err)
			}
			return
		}
		got := time.Duration(d)
		trimmed := strings.TrimSpace(s)
		if days, ok := strings.CutSuffix(trimmed, "d"); ok {
			n, ok := new(big.Int).SetString(days, 10)
			if !ok {
				t.Fatalf("Set(%q) accepted %q as a number of days", s, days)
			}
			n = bigClamp(n, -1000, 1000)
			if want := time.Duration(n.Int64()) * 24 * time.Hour; got != want {
				t.Fatalf("Set(%q) = %v, want %v", s, got, want)
			}
		} else if want, err := time.ParseDuration(trimmed); err != nil || got != want {
			t.Fatalf("Set(%q) = %v, want %v (%v)", s, got, want, err)
		}
		var again durationFlag
		if err := again.Set(d.String()); err != nil || again != d {
			t.Fatalf("String() = %q reads back as %v, %v; want %v", d.String(), time.Duration(again), err, got)
		}
	})
}

func bigClamp(n *big.Int, lo, hi int64) *big.Int {
	if n.Cmp(big.NewInt(lo)) < 0 {
		return big.NewInt(lo)
	}
	if n.Cmp(big.NewInt(hi)) > 0 {
		return big.NewInt(hi)
	}
	return n
}

// FuzzPrintable: what the commands print of text others typed (names,
// reasons, user agents) sends no control or bidirectional-override
// character to the terminal, and keeps one character for each typed.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"Pat Example", "\x1b[2J\x1b[31mEve", "admin\u202egnp.exe", "tab\there", "\xff\xfe", "Zoë 李"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := printable(s)
		if !utf8.ValidString(got) {
			t.Fatalf("printable(%q) = %q is not UTF-8", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("printable(%q) = %q keeps %U", s, got, r)
			}
		}
		if utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Fatalf("printable(%q) = %q changes the number of characters", s, got)
		}
	})
}
