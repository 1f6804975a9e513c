package testenv

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestHelperSkips is run by TestSkipLine as a child process.
func TestHelperSkips(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") != "1" {
		t.SkipNow()
	}
	t.Run("a", func(t *testing.T) { Browser.Unavailable(t, "chromium not found") })
	t.Run("b", func(t *testing.T) { Browser.Unavailable(t, "chromium not found") })
	t.Run("c", func(t *testing.T) {
		PostgreSQL.Unavailable(t, "PostgreSQL not reachable at 127.0.0.1:5432 (dial:\n\tconnection refused)")
	})
}

// TestSkipLine: a test binary whose suites were skipped prints one line
// naming them, how many tests and why; with the suite required, the skip
// is a failure instead.
func TestSkipLine(t *testing.T) {
	run := func(env ...string) (string, error) {
		// -test.v: the child's line to its stdout only, not to this terminal.
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSkips$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), append([]string{"TESTENV_HELPER=1",
			"PORTAL_REQUIRE_BROWSER=", "PORTAL_REQUIRE_POSTGRES="}, env...)...)
		out, err := cmd.Output()
		return string(out), err
	}
	out, err := run()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "github.com/providerportal/portal/internal/testenv: SKIPPED " +
		"PostgreSQL tests (1 test: PostgreSQL not reachable at 127.0.0.1:5432 (dial: connection refused)), " +
		"browser tests (2 tests: chromium not found); " +
		"set PORTAL_REQUIRE_POSTGRES=1 PORTAL_REQUIRE_BROWSER=1 to make this a failure\n"
	if strings.Count(out, ": SKIPPED") != 1 || !strings.Contains(out, want) {
		t.Errorf("output lacks the one skip line %q:\n%s", want, out)
	}

	out, err = run("PORTAL_REQUIRE_BROWSER=1")
	if err == nil || !strings.Contains(out, "chromium not found (PORTAL_REQUIRE_BROWSER=1)") {
		t.Errorf("required browser suite skipped instead of failing (%v):\n%s", err, out)
	}
}

// TestNoSkipNoLine: nothing skipped, nothing printed.
func TestNoSkipNoLine(t *testing.T) {
	var k skipped
	if l := k.line("x"); l != "" {
		t.Errorf("line with no skips: %q", l)
	}
}

type bufferCloser struct{ strings.Builder }

func (*bufferCloser) Close() error { return nil }

// TestReportToTerminal: when go test would hide the binary's stdout (a
// pipe, not -v), the line goes to the terminal as well.
func TestReportToTerminal(t *testing.T) {
	if testing.Verbose() {
		t.Skip("with -v go test shows stdout, and the line goes only there")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var tty bufferCloser
	skips.add(Nginx, "nginx not found")
	defer func() { skips = skipped{} }()
	report("pkg", w, func() io.WriteCloser { return &tty })
	w.Close()
	piped, _ := io.ReadAll(r)
	want := "pkg: SKIPPED nginx tests (1 test: nginx not found); set PORTAL_REQUIRE_NGINX=1 to make this a failure\n"
	if string(piped) != want || tty.String() != want {
		t.Errorf("stdout %q, terminal %q, want both %q", piped, tty.String(), want)
	}
}
