package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/testlog"
)

// Helpers for tests that run the real `portal serve` binary as a child
// process: under load, killed, restarted.

// buildPortal builds the portal binary into a temporary directory. It is
// built without -race even when the tests are, so that its memory and
// speed are those of production. With -short it skips the test instead:
// building and running the binary takes too long for a short run.
func buildPortal(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the portal binary")
	}
	bin := filepath.Join(t.TempDir(), "portal")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// runPortal runs a one-off portal command (user create, set-phone …) and
// fails the test if it fails.
func runPortal(t *testing.T, bin string, env []string, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("portal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// serveProcess is a running `portal serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	base   string          // http://127.0.0.1:PORT
	log    *testlog.Buffer // its standard output and error
	exited chan struct{}   // closed when it has exited; then err is set
	err    error
}

// startServe starts `portal serve` on addr with env and waits until it
// answers /readyz. Its output is shown if the test fails; it is stopped
// (SIGTERM) when the test ends, if it is still running.
func startServe(t *testing.T, bin string, env []string, addr string) *serveProcess {
	t.Helper()
	p := &serveProcess{base: "http://" + addr, log: new(testlog.Buffer), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(env[:len(env):len(env)], "PORTAL_ADDR="+addr, "PORTAL_BASE_URL="+p.base)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Signal(os.Interrupt)
			select {
			case <-p.exited:
			case <-time.After(15 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("portal serve on %s, its output:\n%s", addr, p.log)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("portal serve exited at start-up (%v):\n%s", p.err, p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal serve did not become ready:\n%s", p.log)
		}
	}
}

// peakRSS is the most memory the process has had resident (VmHWM), in
// bytes, as Linux counts it.
func (p *serveProcess) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the peak memory of portal serve: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				t.Fatalf("VmHWM line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
	return 0
}

// seedAccounts makes n provider accounts, p0000@example.org … , all with
// the password e2ePassword: the first by `portal user create` (the real
// path, one argon2id hash), the rest with a copy of its hash, loaded in
// one transaction (store ImportUsers), so that seeding does not pay a hash
// per account. phone, if not nil, gives account i its registered phone.
// It returns the emails.
func seedAccounts(t *testing.T, bin string, env []string, n int, phone func(i int) string) []string {
	t.Helper()
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("p%04d@example.org", i)
	}
	runPortal(t, bin, env, e2ePassword+"\n", "user", "create", "--email", emails[0], "--name", "Pat Zero")

	ctx := context.Background()
	db := openPortalDB(t, env)
	defer db.Close()
	first, err := db.UserByEmail(ctx, emails[0])
	if err != nil {
		t.Fatal(err)
	}
	if phone != nil {
		if err := db.SetPhone(ctx, first.ID, phone(0)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	copies := func(yield func(*store.User) bool) {
		for i := 1; i < n; i++ {
			u := *first
			u.ID, u.Email, u.Name, u.CreatedAt = 0, emails[i], fmt.Sprintf("Pat %d", i), now
			if phone != nil {
				u.Phone = phone(i)
			}
			if !yield(&u) {
				return
			}
		}
	}
	if got, err := db.ImportUsers(ctx, copies); err != nil || got != n-1 {
		t.Fatalf("seed %d accounts: %d, %v", n-1, got, err)
	}
	return emails
}

// envLookup reads variables from an environment list as os.Environ gives
// it; the last setting of a name wins, as for a child process.
func envLookup(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// openPortalDB opens the database a `portal serve` started with env uses,
// as the portal itself would.
func openPortalDB(t *testing.T, env []string) store.Store {
	t.Helper()
	cfg, err := loadConfig(envLookup(env))
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDB(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return engine(t, db)
}
