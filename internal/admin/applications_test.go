package admin_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// The registry's actions, for the console and `portal app`: only a fresh
// administrator (or the operator at the command line) acts, each change
// is audited, and no secret reaches the audit log.

func TestApplicationActionsNeedAFreshAdministrator(t *testing.T) {
	onEngines(t, testApplicationActionsNeedAFreshAdministrator)
}

func testApplicationActionsNeedAFreshAdministrator(t *testing.T, h *harness) {
	boss, _ := h.bossAndPat()
	provider := h.loginFull("pat@example.org", "+447546123456")
	reg := apps.Registration{Name: "Rota", RedirectURIs: []string{"https://rota.example.org/cb"}}

	app, secret, err := h.adm.CreateApplication(h.ctx, admin.Operator(), reg)
	if err != nil || secret == "" {
		t.Fatalf("the operator creates: %v", err)
	}
	refused := func(who string, a admin.Actor, want error) {
		t.Helper()
		if _, _, err := h.adm.CreateApplication(h.ctx, a, reg); !errors.Is(err, want) {
			t.Errorf("%s creates: %v, want %v", who, err, want)
		}
		if _, err := h.adm.Applications(h.ctx, a); !errors.Is(err, want) {
			t.Errorf("%s lists: %v, want %v", who, err, want)
		}
		if _, err := h.adm.RotateSecret(h.ctx, a, app.ClientID, "compromised"); !errors.Is(err, want) {
			t.Errorf("%s rotates: %v, want %v", who, err, want)
		}
		if err := h.adm.DisableApplication(h.ctx, a, app.ClientID, "retired"); !errors.Is(err, want) {
			t.Errorf("%s disables: %v, want %v", who, err, want)
		}
	}
	refused("a provider", h.actor(provider), admin.ErrForbidden)

	h.clk.Advance(16 * time.Minute)
	h.Login.Authenticate(h.ctx, boss.Token)
	refused("a stale administrator", h.actor(boss), admin.ErrStale)

	list, err := h.adm.Applications(h.ctx, admin.Operator())
	if err != nil || len(list) != 1 || list[0].Disabled() || !apps.SecretMatches(&list[0], secret) {
		t.Fatalf("after refused actions: %v %+v", err, list)
	}
	evs := h.appAudit()
	if len(evs) != 1 || evs[0].Event != "admin.app_created" {
		t.Fatalf("audit: %+v", evs)
	}

	// Without a reason, nothing is done.
	if _, err := h.adm.RotateSecret(h.ctx, admin.Operator(), app.ClientID, "  "); !isField(err, "reason") {
		t.Errorf("rotate without a reason: %v, want the reason asked for", err)
	}
	if err := h.adm.DisableApplication(h.ctx, admin.Operator(), app.ClientID, ""); !isField(err, "reason") {
		t.Errorf("disable without a reason: %v, want the reason asked for", err)
	}
	if evs = h.appAudit(); len(evs) != 1 {
		t.Fatalf("%d audit entries after actions without a reason", len(evs))
	}

	// The operator rotates and disables; no secret is in any entry.
	rotated, err := h.adm.RotateSecret(h.ctx, admin.Operator(), app.ClientID, "compromised")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.adm.DisableApplication(h.ctx, admin.Operator(), app.ClientID, "retired"); err != nil {
		t.Fatal(err)
	}
	if evs = h.appAudit(); len(evs) != 3 {
		t.Fatalf("%d audit entries, want created, rotated, disabled", len(evs))
	}
	if !strings.HasSuffix(evs[1].Detail, "; reason: compromised") || !strings.HasSuffix(evs[0].Detail, "; reason: retired") { // newest first
		t.Errorf("the reasons are not in the audit log: %q, %q", evs[1].Detail, evs[0].Detail)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Detail, secret) || strings.Contains(ev.Detail, rotated) || !strings.Contains(ev.Detail, app.ClientID) {
			t.Errorf("audit entry %s: %q", ev.Event, ev.Detail)
		}
	}
}

// appAudit is the audit log's entries about applications.
func (h *harness) appAudit() []store.AuditEvent {
	h.t.Helper()
	evs, err := h.Store.ListAudit(h.ctx, store.AuditQuery{Event: "admin.", Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, ev := range evs {
		if strings.HasPrefix(ev.Event, "admin.app_") {
			out = append(out, ev)
		}
	}
	return out
}

// isField reports whether err is a problem with the form field named.
func isField(err error, field string) bool {
	var le *login.Error
	return errors.As(err, &le) && le.Field == field
}
