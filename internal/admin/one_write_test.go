package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// failingChanges is a store whose ChangeAccount fails, as a kill -9 before
// its commit would leave it.
type failingChanges struct{ login.Store }

func (failingChanges) ChangeAccount(context.Context, store.AccountChange) error {
	return errors.New("the database went away")
}

// Issue 14 (7): each console action is one write with its audit row and
// its notice. When that write fails, nothing of the action is left: the
// account as it was, its sessions alive, no record, no email; when it
// succeeds, the record and the email are there.
func TestConsoleActionsAreOneWrite(t *testing.T) { onEngines(t, testConsoleActionsAreOneWrite) }

func testConsoleActionsAreOneWrite(t *testing.T, h *harness) {
	h.user("boss@example.org", "+447546000001", true)
	p := h.user("pat@example.org", "+447546123456", false)
	ctx := h.ctx
	// audits counts the records of actions done (a failed password
	// reset is recorded as failed, apart).
	audits := func() int {
		events, err := h.Store.ListAudit(ctx, store.AuditQuery{Event: "admin.", Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Outcome == "success" {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name   string
		before func()
		act    func(a admin.Actor) error
		mail   bool // the person is emailed
	}{
		{name: "disable MFA", mail: true, act: func(a admin.Actor) error {
			return h.adm.DisableMFA(ctx, a, p.ID, admin.DefaultDisable, "lost phone")
		}},
		{name: "end MFA disable", mail: true, act: func(a admin.Actor) error {
			return h.adm.EndMFADisable(ctx, a, p.ID, "found it")
		}},
		{name: "update phone", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetPhone(ctx, a, p.ID, "+447546999888", "new phone")
		}},
		{name: "require MFA", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetMFAOverride(ctx, a, p.ID, store.MFARequired, "policy")
		}},
		{name: "exempt from MFA", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetMFAOverride(ctx, a, p.ID, store.MFAExempt, "kiosk")
		}},
		{name: "follow policy", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetMFAOverride(ctx, a, p.ID, store.MFAFollowPolicy, "back")
		}},
		{name: "unlock", mail: true, before: func() {
			h.lockCodeStep(t, p)
		}, act: func(a admin.Actor) error { return h.adm.Unlock(ctx, a, p.ID, "called") }},
		{name: "send password reset", mail: true, act: func(a admin.Actor) error {
			return h.adm.SendPasswordReset(ctx, a, p.ID, "forgot")
		}},
		{name: "end sessions", mail: true, act: func(a admin.Actor) error {
			return h.adm.EndSessions(ctx, a, p.ID, "stolen laptop")
		}},
		{name: "make administrator", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetRole(ctx, a, p.ID, true, "new deputy")
		}},
		{name: "remove administrator", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetRole(ctx, a, p.ID, false, "left the role")
		}},
		{name: "portal MFA policy", act: func(a admin.Actor) error {
			return h.adm.SetPortalMFA(ctx, a, false, "trial")
		}},
		{name: "deactivate", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetActive(ctx, a, p.ID, false, "left")
		}},
		{name: "reactivate", mail: true, act: func(a admin.Actor) error {
			return h.adm.SetActive(ctx, a, p.ID, true, "back")
		}},
	}
	real := h.Login.Store
	for _, tc := range cases {
		h.clk.Advance(16 * time.Minute) // fresh codes and a fresh administrator's login
		boss := h.loginFull("boss@example.org", "+447546000001")
		before, err := h.Store.UserByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var pat *login.Session
		if !before.Deactivated {
			pat = h.loginFull("pat@example.org", before.Phone)
		}
		if tc.before != nil {
			tc.before()
		}
		before, _ = h.Store.UserByID(ctx, p.ID)
		policy, _, _ := h.Store.Setting(ctx, login.SettingMFAPolicy)
		records, mails := audits(), len(h.mailTo("pat@example.org"))

		h.Login.Store = failingChanges{real}
		err = tc.act(h.actor(boss))
		h.Login.Store = real
		if err == nil {
			t.Errorf("%s: succeeded without its write", tc.name)
		}
		after, _ := h.Store.UserByID(ctx, p.ID)
		if *after != *before {
			t.Errorf("%s: the account changed without its record:\n%+v\nwant\n%+v", tc.name, *after, *before)
		}
		if v, _, _ := h.Store.Setting(ctx, login.SettingMFAPolicy); v != policy {
			t.Errorf("%s: the portal policy changed to %q without its record", tc.name, v)
		}
		if pat != nil {
			if _, err := h.Login.Authenticate(ctx, pat.Token); err != nil {
				t.Errorf("%s: the person's session ended without a record: %v", tc.name, err)
			}
		}
		if n := audits() - records; n != 0 {
			t.Errorf("%s: %d audit rows of a failed action", tc.name, n)
		}
		if n := len(h.mailTo("pat@example.org")) - mails; n != 0 {
			t.Errorf("%s: %d emails of a failed action", tc.name, n)
		}

		if err := tc.act(h.actor(boss)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := audits() - records; n != 1 {
			t.Errorf("%s: %d audit rows, want 1", tc.name, n)
		}
		if n := len(h.mailTo("pat@example.org")) - mails; tc.mail && n != 1 {
			t.Errorf("%s: %d emails, want 1", tc.name, n)
		}
	}
}
