package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// TestKilledProcessLosesNoMessage kills `portal serve` with SIGKILL after
// a code was committed to the outbox but before it could be sent (the
// provider was down), starts it again, and sees the message go out: once,
// and none lost.
func TestKilledProcessLosesNoMessage(t *testing.T) {
	t.Parallel()
	bin := buildPortal(t)
	dir := t.TempDir()

	addr := freeAddr(t)
	tw, env := processEnv(t, "PORTAL_DATABASE_URL="+filepath.Join(dir, "portal.db"))
	runPortal(t, bin, env, e2ePassword+"\n", "user", "create", "--email", "kim@example.org", "--name", "Kim Kill")
	runPortal(t, bin, env, "", "user", "set-phone", "--email", "kim@example.org", "--phone", "+447546123456", "--reason", "test set-up")

	tw.Down() // every try fails for now: the code stays in the outbox
	first := startServe(t, bin, env, addr)
	h := newHTTPClient(t, "http://"+addr)
	if code, loc, _ := h.do("POST", "/login", url.Values{"email": {"kim@example.org"}, "password": {e2ePassword}}); loc != "/login/code" {
		t.Fatalf("login: %d %s", code, loc)
	}
	h.waitStatus("queued") // committed, tried, failed, waiting for a retry
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killed := time.Now()

	tw.Up()
	startServe(t, bin, env, addr)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	m, err := tw.Wait(ctx, "+447546123456")
	if err != nil {
		t.Fatalf("the code committed before the kill never went out: %v", err)
	}
	t.Logf("killed with the code in the outbox; after the restart it went out %v later", time.Since(killed).Round(10*time.Millisecond))
	code := twiliotest.ExtractCode(m.Body)
	if c, loc, _ := h.do("POST", "/login/code", url.Values{"code": {code}}); c != http.StatusSeeOther || loc != "/" {
		t.Fatalf("the code sent after the restart: %d %s", c, loc)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(tw.Messages()); n != 1 {
		t.Fatalf("%d text messages went out, want exactly 1", n)
	}

	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queued, err := db.CountMessages(t.Context(), store.MessageCount{Channel: store.ChannelSMS, Since: time.Now().Add(-time.Hour)})
	if err != nil || queued != 1 {
		t.Fatalf("%d SMS rows, %v", queued, err)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(freePort(t))
}
