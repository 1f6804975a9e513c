package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery"
)

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

// brokenPortal is a Starter whose portal answers every request 500, as
// one whose database has gone does.
func brokenPortal(_ context.Context, _ *config.Config, _ io.Writer, tap func(delivery.SMSSender) delivery.SMSSender) (*Portal, error) {
	tap(nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
	})}
	return &Portal{
		BaseURL: "http://" + l.Addr().String(),
		Serve: func(ctx context.Context) error {
			go func() { <-ctx.Done(); srv.Close() }()
			return srv.Serve(l)
		},
		Close: func() error { return nil },
	}, nil
}

// A run whose logins fail stops after maxFailedLogins and says so, rather
// than using up every account and blaming the code limits.
func TestBenchStopsWhenLoginsFail(t *testing.T) {
	var logs bytes.Buffer
	ctx := t.Context()
	p, err := startPortal(ctx, brokenPortal, filepath.Join(t.TempDir(), "bench.db"), 4, func(string) string { return "" }, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	res := p.loginDriver(1_000_000).run(ctx, 4, 0, time.Minute)
	if !res.GaveUp || res.Failed < maxFailedLogins || res.Failed > maxFailedLogins+4 || res.Completed != 0 {
		t.Errorf("gave up %v after %d failed and %d completed logins, want it to stop at %d failures", res.GaveUp, res.Failed, res.Completed, maxFailedLogins)
	}
	var report bytes.Buffer
	(&Result{Logins: res}).Print(&report)
	if !strings.Contains(report.String(), "stopped early: ") || strings.Contains(report.String(), "codes an hour") {
		t.Errorf("report does not say the run stopped for its failures:\n%s", report.String())
	}
}

// The rounds of a run with a number of logins share them all, none
// driving more than its part.
func TestLoginShare(t *testing.T) {
	for _, logins := range []int{0, 1, 2, 3, 4, 10, 1000, 1001} {
		sum := 0
		for r := range LoginRounds {
			n := loginShare(logins, r)
			if n < logins/LoginRounds || n > (logins+LoginRounds-1)/LoginRounds {
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
