// Package testenv decides, in one place, whether the test suites that need
// something beyond Go run: the browser tests (Chromium), the PostgreSQL
// suite, the reverse proxies' tests (nginx, Caddy) and the accessibility
// checks (axe-core). Without what it needs a suite's tests are skipped,
// unless its PORTAL_REQUIRE_ variable is 1 (.ci/run sets them all), which
// makes the skip a failure; and at the end the package prints one line
// naming the suites that were skipped and why.
//
// Where that line can be seen: `go test ./...` (package-list mode) shows
// nothing a passing test binary prints, on stdout or stderr, whatever it
// is; with -v, -json, in a single package's directory (`go test` with no
// package named) and for a failing package it does. So the line goes to
// stdout and, when go test would hide it, also to the terminal
// (/dev/tty) if there is one: a developer running `go test ./...` at a
// shell sees it beside the bare "ok". Where there is no terminal (CI, a
// pipe, a file) nothing can show it but -v or -json, which is why CI does
// not rely on it and sets the PORTAL_REQUIRE_ variables instead. A cached
// result ("ok … (cached)") runs nothing and prints no line either.
package testenv

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Suite is a group of tests that need something beyond Go.
type Suite struct {
	Name    string // as the skip line names it: "browser tests"
	Require string // the variable that makes a skip a failure
}

var (
	Browser    = Suite{"browser tests", "PORTAL_REQUIRE_BROWSER"}
	PostgreSQL = Suite{"PostgreSQL tests", "PORTAL_REQUIRE_POSTGRES"}
	Nginx      = Suite{"nginx tests", "PORTAL_REQUIRE_NGINX"}
	Caddy      = Suite{"Caddy tests", "PORTAL_REQUIRE_CADDY"}
	Axe        = Suite{"axe-core accessibility tests", "PORTAL_REQUIRE_AXE"}
)

// Required reports whether the suite must run here.
func (s Suite) Required() bool { return os.Getenv(s.Require) == "1" }

// Unavailable ends t because what the suite needs is missing (why says
// what): a failure if the suite is required, otherwise a skip, counted
// for the skip line.
func (s Suite) Unavailable(t testing.TB, why string) {
	t.Helper()
	if s.Required() {
		t.Fatalf("%s (%s=1)", why, s.Require)
	}
	skips.add(s, why)
	t.Skipf("%s: the %s did not run; set %s=1 to make this a failure", why, s.Name, s.Require)
}

// skips are the skips of this test binary, by suite.
var skips skipped

type skipped struct {
	mu    sync.Mutex
	tests map[Suite]int
	why   map[Suite]string // the first reason given
}

func (k *skipped) add(s Suite, why string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tests == nil {
		k.tests, k.why = map[Suite]int{}, map[Suite]string{}
	}
	k.tests[s]++
	if _, ok := k.why[s]; !ok {
		k.why[s] = strings.Join(strings.Fields(why), " ") // one line, whatever the error held
	}
}

// line is the skip line: empty if nothing was skipped.
func (k *skipped) line(pkg string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.tests) == 0 {
		return ""
	}
	var suites []Suite
	for s := range k.tests {
		suites = append(suites, s)
	}
	slices.SortFunc(suites, func(a, b Suite) int { return strings.Compare(a.Name, b.Name) })
	var parts, vars []string
	for _, s := range suites {
		tests := "tests"
		if k.tests[s] == 1 {
			tests = "test"
		}
		parts = append(parts, fmt.Sprintf("%s (%d %s: %s)", s.Name, k.tests[s], tests, k.why[s]))
		vars = append(vars, s.Require+"=1")
	}
	return fmt.Sprintf("%s: SKIPPED %s; set %s to make this a failure\n",
		pkg, strings.Join(parts, ", "), strings.Join(vars, " "))
}

// Main runs the tests of m and prints the skip line; a package with a
// suite calls it from its TestMain (pgtest.Main does):
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	report(callerPackage(), os.Stdout, terminal)
	return code
}

// report writes the skip line to stdout and, when go test hides a passing
// binary's stdout (not -v, not -json, stdout not the terminal itself), to
// the terminal that tty opens, if any.
func report(pkg string, stdout *os.File, tty func() io.WriteCloser) {
	line := skips.line(pkg)
	if line == "" {
		return
	}
	_, _ = io.WriteString(stdout, line)
	if testing.Verbose() || isTerminal(stdout) {
		return
	}
	if w := tty(); w != nil {
		_, _ = io.WriteString(w, line)
		_ = w.Close()
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminal opens the controlling terminal, nil without one.
func terminal() io.WriteCloser {
	f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return f
}

// callerPackage is the import path of the package whose TestMain called
// Main (or pgtest.Main), for the skip line: go test may print the lines
// of several packages out of order.
func callerPackage() string {
	pcs := make([]uintptr, 8)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if name, ok := strings.CutSuffix(f.Function, ".TestMain"); ok {
			return strings.TrimSuffix(name, "_test") // an external test package's
		}
		if !more {
			return strings.TrimSuffix(os.Args[0], ".test")
		}
	}
}
