package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Issue 14 (3), as the attack went: a page left at Update Phone Number
// while the owner registers their phone cannot put its own number on the
// account. Registering ends it; and one that survived (it began as the
// owner's registration committed) is ended with a message saying why.
func TestHeldRegistrationPage(t *testing.T) { onEngines(t, testHeldRegistrationPage) }

func testHeldRegistrationPage(t *testing.T, e *env) {
	const ownerPhone, heldPhone = "+447546123456", "+447546000999"
	u := e.user("held@example.org", "")
	held, owner := e.browser(), e.browser()
	for _, c := range []*http.Client{held, owner} {
		if r := e.post(c, "/login", "email", "held@example.org", "password", testPassword); r.location != "/login/phone" {
			t.Fatalf("login: %d %s", r.status, r.location)
		}
	}
	e.post(held, "/login/phone", "phone", heldPhone)
	heldCode := e.lastCode(heldPhone)
	e.post(owner, "/login/phone", "phone", ownerPhone)
	if r := e.post(owner, "/login/phone/verify", "code", e.lastCode(ownerPhone)); r.location != "/login?m=phone-registered" {
		t.Fatalf("the owner's registration: %d %s", r.status, r.location)
	}
	if r := e.post(held, "/login/phone/verify", "code", heldCode); r.location != "/login?m=ended" {
		t.Fatalf("the held page after the owner registered: %d %q, want /login?m=ended", r.status, r.location)
	}

	// A registration session that outlived the registration (simulated:
	// the phone written behind its back) is ended when it acts.
	v := e.user("late@example.org", "")
	late := e.pastPassword("late@example.org")
	e.post(late, "/login/phone", "phone", heldPhone)
	lateCode := e.lastCode(heldPhone)
	if err := e.Store.SetPhone(context.Background(), v.ID, ownerPhone); err != nil {
		t.Fatal(err)
	}
	r := e.post(late, "/login/phone/verify", "code", lateCode)
	if r.location != "/login?m=registered-since" {
		t.Fatalf("a stale registration: %d %q, want /login?m=registered-since", r.status, r.location)
	}
	if r := e.get(late, r.location); !strings.Contains(r.body, "registered for this account since your login began") {
		t.Fatal("the login screen does not say why the login ended")
	}
	if r := e.get(late, "/login/phone"); r.location != "/login" {
		t.Fatalf("the stale session lives on: %d %q", r.status, r.location)
	}
	for _, id := range []int64{u.ID, v.ID} {
		if got, _ := e.Store.UserByID(context.Background(), id); got.Phone != ownerPhone {
			t.Errorf("user %d phone = %q, want the owner's", id, got.Phone)
		}
	}
}
