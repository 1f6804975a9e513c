package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store/postgres/pgtest"
)

// A tiny run of `portal bench` on each engine must complete every login
// and measure every figure, so that the command cannot rot unnoticed.

func TestBenchSQLite(t *testing.T) {
	testBench(t, "")
}

func TestBenchPostgreSQL(t *testing.T) {
	db := pgtest.NewDatabase(t)
	res := testBench(t, db.URL)
	// The server is on this machine (CI's and the project's are): its CPU
	// is counted beside the portal's, where /proc tells it.
	if postgresCPU() > 0 && res.Logins.ServerCPU <= 0 {
		t.Errorf("the local PostgreSQL server's CPU per login is %v; want it measured", res.Logins.ServerCPU)
	}

	// The bench worked in a schema of its own and dropped it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'portal\_bench\_%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d portal_bench_ schemas left behind", left)
	}
}

func testBench(t *testing.T, databaseURL string) *benchResult {
	var progress bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("progress and portal log:\n%s", progress.String())
		}
	})
	args := []string{"--users", "20", "--logins", "3", "--concurrency", "2",
		"--hash-duration", "200ms", "--connections", "4", "--views-duration", "300ms"}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
	}
	o, err := parseBenchFlags(args, &progress)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runBench(t.Context(), o, func(string) string { return "" }, &progress)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	var report bytes.Buffer
	res.print(&report)
	t.Logf("report:\n%s", report.String())

	l := res.Logins
	if l.Completed != 3 || l.Failed != 0 || l.Busy != 0 {
		t.Errorf("logins: %d completed, %d failed %q, %d busy; want all 3 completed", l.Completed, l.Failed, l.Errors, l.Busy)
	}
	if l.rate() <= 0 || res.Hashes <= 0 || res.HashWorkers != runtime.GOMAXPROCS(0) {
		t.Errorf("logins/s %v, hashes/s %v on %d goroutines; want both measured", l.rate(), res.Hashes, res.HashWorkers)
	}
	// argon2id alone takes its turns before, between and after the
	// rounds of logins, each measured.
	if len(res.HashTurns) != loginRounds+1 || slices.Min(res.HashTurns) <= 0 {
		t.Errorf("argon2id alone measured at %v hashes/s; want %d turns, each measured", res.HashTurns, loginRounds+1)
	}
	for i, s := range l.Steps {
		if s.N != l.Completed || s.P50 <= 0 || s.P99 < s.P50 {
			t.Errorf("step %q: %+v; want a latency from each of the %d logins", stepNames[i], s, l.Completed)
		}
	}
	if len(res.Views) != 6 {
		t.Fatalf("%d page-view measurements, want 6 (My Details, bare lookup, hello world, /auth/verify, and the first two at half the rate of My Details)", len(res.Views))
	}
	for _, v := range res.Views {
		if v.Requests == 0 || v.Errors != 0 || v.Lat.P50 <= 0 || v.rate() <= 0 {
			t.Errorf("%s: %d requests, %d errors (%s), p50 %v", v.Name, v.Requests, v.Errors, v.FirstError, v.Lat.P50)
		}
	}
	if res.Users != 20 || res.Seeded <= 0 {
		t.Errorf("seeded %d users in %v", res.Users, res.Seeded)
	}
	if runtime.GOOS == "linux" && res.PeakRSS <= 0 {
		t.Error("no peak RSS on Linux")
	}
	for _, want := range []string{"logins/s", "hashes/s", "logins/s ÷ hashes/s", "whole login",
		"My Details", "bare handler, one lookup by id", "hello world", "My Details ÷ bare lookup", "/auth/verify ÷ bare lookup",
		"My Details p99 at half its rate", "Peak RSS"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if l.ServerCPU > 0 && !strings.Contains(report.String(), "with the PostgreSQL server's") {
		t.Error("report lacks the PostgreSQL server's CPU, though it was measured")
	}
	return res
}

// The bench never writes into a SQLite file that exists: it could be a
// practice's database.
func TestBenchRefusesExistingSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	if err := os.WriteFile(path, []byte("someone's data"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"bench", "--users", "5", "--logins", "1", "--database-url", path},
		func(string) string { return "" }, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("bench on an existing file: %v; want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "someone's data" {
		t.Errorf("the file was changed: %q", b)
	}
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--users", "0"},
		{"--logins", "-1"},
		{"--logins", "0", "--duration", "0s"},
		{"--concurrency", "0"},
		{"--connections", "0"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		err := run(t.Context(), append([]string{"bench"}, args...), func(string) string { return "" }, nil, new(bytes.Buffer), &stderr)
		if !errors.Is(err, errUsage) {
			t.Errorf("bench %q: %v; want a usage error", args, err)
		}
	}
}

func TestWithSearchPathKeepsTheRestAsGiven(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "search_path=portal_bench_ab12"},
		{"sslmode=disable", "sslmode=disable&search_path=portal_bench_ab12"},
		{"options=-c%20synchronous_commit%3Doff&sslmode=disable", "options=-c%20synchronous_commit%3Doff&sslmode=disable&search_path=portal_bench_ab12"},
		{"search_path=mine&sslmode=disable", "sslmode=disable&search_path=portal_bench_ab12"},
	} {
		if got := withSearchPath(c.in, "portal_bench_ab12"); got != c.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A run whose logins fail (here: the database is closed under the portal)
// stops after maxFailedLogins and says so, rather than using up every
// account and blaming the code limits.
func TestBenchStopsWhenLoginsFail(t *testing.T) {
	var logs bytes.Buffer
	ctx := t.Context()
	p, err := startBenchPortal(ctx, filepath.Join(t.TempDir(), "bench.db"), 4, func(string) string { return "" }, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if err := p.app.DB.Close(); err != nil {
		t.Fatal(err)
	}
	res := p.loginDriver(1_000_000).run(ctx, 4, 0, time.Minute)
	if !res.GaveUp || res.Failed < maxFailedLogins || res.Failed > maxFailedLogins+4 || res.Completed != 0 {
		t.Errorf("gave up %v after %d failed and %d completed logins, want it to stop at %d failures", res.GaveUp, res.Failed, res.Completed, maxFailedLogins)
	}
	var report bytes.Buffer
	(&benchResult{Logins: res}).print(&report)
	if !strings.Contains(report.String(), "stopped early: ") || strings.Contains(report.String(), "codes an hour") {
		t.Errorf("report does not say the run stopped for its failures:\n%s", report.String())
	}
}

// The rounds of a run with a number of logins share them all, none
// driving more than its part.
func TestLoginShare(t *testing.T) {
	for _, logins := range []int{0, 1, 2, 3, 4, 10, 1000, 1001} {
		sum := 0
		for r := range loginRounds {
			n := loginShare(logins, r)
			if n < logins/loginRounds || n > (logins+loginRounds-1)/loginRounds {
				t.Errorf("%d logins: round %d drives %d", logins, r, n)
			}
			sum += n
		}
		if sum != logins {
			t.Errorf("%d logins: the rounds drive %d", logins, sum)
		}
	}
}

func TestPostgresTicks(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want int64
	}{
		{"4242 (postgres) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0 1234 220000000 4000 18446744073709551615", 22},
		{"4243 (portal) S 1 4243 4243 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0 1234 220000000 4000 18446744073709551615", 0},
		{"4244 (post gres) S 1 4244 4244 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0", 0},
		{"4245 (a) (postgres) S 1 4245 4245 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0", 0}, // the command is "a) (postgres"
		{"4246 (postgres) S 1 4246", 0},                                              // cut short
		{"4247 (postgres) S 1 4247 4247 0 -1 4194560 300 0 0 0 x 5 0 0 20 0 1 0", 0}, // not a number
		{"", 0},
		{"4248 postgres) S", 0},
	} {
		if got := postgresTicks([]byte(tc.stat)); got != tc.want {
			t.Errorf("postgresTicks(%q) = %d, want %d", tc.stat, got, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "localhost": true, "/var/run/postgresql": true, "127.0.0.2": true,
		"10.0.0.5": false, "db.example.org": false, "": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %t, want %t", host, got, want)
		}
	}
}
