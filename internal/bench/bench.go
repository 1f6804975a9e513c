// Package bench is `portal bench`: it answers "how fast is the portal on
// this machine?" with the figures of issues 7 and 16. It starts the portal
// in-process on a fresh database (by way of a Starter, which cmd/portal
// gives), seeds users with registered phones, and drives complete MFA
// logins, OpenID Connect logins and authenticated page views over real
// HTTP on loopback, each beside the figure it is bounded by (argon2id
// alone; a bare handler doing one primary-key lookup), so that the ratio
// says how much the portal itself costs.
package bench

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/password"
)

// ErrUsage is returned for flags that are not as the usage says; the
// problem has been written to stderr.
var ErrUsage = errors.New("usage")

// Options are the flags of `portal bench`.
type Options struct {
	Users         int           // seeded, each with a phone
	Logins        int           // complete logins to drive; 0: run for Duration
	Duration      time.Duration // of the login phase when Logins is 0
	Concurrency   int           // logins under way at once
	HashDuration  time.Duration // of the argon2id-alone measurement
	Connections   int           // for the page views
	ViewsDuration time.Duration // of each page-view measurement
	DatabaseURL   string        // "": a fresh SQLite file in a temporary directory
	CPUProfile    string        // if set, CPU profiles of each measured phase go to CPUProfile-<phase>.pprof
}

const benchUsage = `usage: portal bench [--users N] [--logins N | --duration D] [--concurrency C]
                   [--connections N] [--views-duration D] [--hash-duration D]
                   [--database-url PATH|postgres://…] [--cpuprofile PREFIX]`

func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	o := Options{}
	fs := flag.NewFlagSet("portal bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, benchUsage)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Users, "users", 1000, "users to seed, each with a registered phone (one precomputed password hash for all)")
	fs.IntVar(&o.Logins, "logins", 0, "complete MFA logins to drive (0: as many as fit in --duration)")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "how long to drive logins, unless --logins is set")
	fs.IntVar(&o.Concurrency, "concurrency", 2*runtime.GOMAXPROCS(0), "logins under way at once (the portal hashes one password per CPU at a time and answers 429 after 2 s of waiting)")
	fs.IntVar(&o.Connections, "connections", 64, "connections for the page views")
	fs.DurationVar(&o.ViewsDuration, "views-duration", 10*time.Second, "how long each page-view measurement runs")
	fs.DurationVar(&o.HashDuration, "hash-duration", 10*time.Second, "how long to measure argon2id alone, in all: in turns before, between and after the rounds of logins")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "a SQLite file that does not exist yet, or a PostgreSQL database (the bench works in a fresh schema and drops it); default: a temporary SQLite file")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of each measured phase to `PREFIX`-logins.pprof (the first round of logins), -my-details.pprof, -bare-lookup.pprof and -hello.pprof (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return o, ErrUsage
	}
	var bad []string
	if fs.NArg() > 0 {
		bad = append(bad, "bench takes flags only")
	}
	if o.Users < 1 || o.Users > maxBenchUsers {
		bad = append(bad, fmt.Sprintf("--users must be from 1 to %d", maxBenchUsers))
	}
	if o.Logins < 0 || (o.Logins == 0 && o.Duration <= 0) {
		bad = append(bad, "give --logins N (1 or more) or a --duration above zero")
	}
	if o.Concurrency < 1 || o.Connections < 1 {
		bad = append(bad, "--concurrency and --connections must be 1 or more")
	}
	if o.HashDuration <= 0 || o.ViewsDuration <= 0 {
		bad = append(bad, "--hash-duration and --views-duration must be above zero")
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, "portal bench: "+strings.Join(bad, "; "))
		fmt.Fprintln(stderr, benchUsage)
		return o, ErrUsage
	}
	return o, nil
}

// Command is `portal bench`: it prints the report on stdout and its
// progress on stderr. Logins that failed (not those turned away as busy,
// which are counted) make it exit with status 1 after the report.
func Command(ctx context.Context, args []string, start Starter, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	res, err := Run(ctx, o, start, getenv, stderr)
	if res != nil {
		res.Print(stdout)
	}
	if err != nil {
		return err
	}
	if res.Logins.Failed > 0 {
		return fmt.Errorf("bench: %d logins failed, the first: %s", res.Logins.Failed, res.Logins.Errors[0])
	}
	if res.OIDCLogins.Failed > 0 {
		return fmt.Errorf("bench: %d OpenID Connect logins failed, the first: %s", res.OIDCLogins.Failed, res.OIDCLogins.Errors[0])
	}
	for _, v := range res.Views {
		if v.Errors > 0 {
			return fmt.Errorf("bench: %d of the %s requests failed, the first: %s", v.Errors, v.Name, v.FirstError)
		}
	}
	return nil
}

// Result is everything the report shows.
type Result struct {
	Engine      string // SQLite or PostgreSQL
	Database    string // where, for the reader
	Users       int
	Seeded      time.Duration
	GoVersion   string
	GOMAXPROCS  int
	NumCPU      int
	GOGC        int    // -1: off
	MemoryLimit int64  // bytes
	CPU         string // model name, when the system says

	// Hashes is argon2id verifications per second, GOMAXPROCS at once,
	// over turns before, between and after the rounds of logins
	// (HashTurns: each turn's rate), so that a machine whose speed drifts
	// weighs on both figures alike.
	Hashes      float64
	HashTurns   []float64
	HashWorkers int
	HashCPU     time.Duration // this process's CPU time per hash; 0 when unknown

	Logins LoginResult
	// OIDCLogins are complete OpenID Connect logins: authorize, the login
	// page, password, code, the code back to the application, token and
	// userinfo (only the whole login's latency is kept).
	OIDCLogins LoginResult
	Views      []ViewResult // My Details, the bare lookup, hello world, /auth/verify, then the two at half rate

	PeakRSS int64 // bytes; 0 when unknown
}

// Run does the whole run on the portal start starts. progress gets a line
// per phase, and the portal's warnings and errors.
func Run(ctx context.Context, o Options, start Starter, getenv func(string) string, progress io.Writer) (res *Result, err error) {
	res = &Result{Users: o.Users, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), CPU: cpuModel()}
	// Peak RSS also when a run is cut short.
	defer func() {
		if res != nil {
			res.PeakRSS = peakRSS()
		}
	}()
	db, err := benchDatabase(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := db.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	res.Engine, res.Database = db.engine, db.where

	p, err := startPortal(ctx, start, db.url, max(o.Connections, o.Concurrency), getenv, progress)
	if err != nil {
		return nil, err
	}
	// The collector as portal serve sets it.
	res.GOGC, res.MemoryLimit = p.GOGC, p.MemoryLimit
	defer func() {
		if cerr := p.stop(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	hash, app, err := p.seed(ctx, o, db.where, progress, res)
	if err != nil {
		return nil, err
	}

	announceLogins(progress, o)
	prof := &profiler{prefix: o.CPUProfile}
	d := p.loginDriver(o.Users)
	d.serverCPU = db.serverCPU
	runLogins(ctx, o, d, app, hash, prof, res)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	if res.Views, err = p.pageViews(ctx, o, d, prof, progress); err != nil {
		return res, err
	}
	if prof.err != nil {
		return res, prof.err
	}
	return res, ctx.Err()
}

// pageViews measures the page views with sessions of d's users.
func (p *portal) pageViews(ctx context.Context, o Options, d *loginDriver, prof *profiler, progress io.Writer) ([]ViewResult, error) {
	// The page views need logged-in sessions, one per connection where
	// there are users enough; the logins above made some already.
	sessions, err := d.sessionsFor(ctx, min(o.Connections, o.Users))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: page views, %d connections, %v each…\n", o.Connections, o.ViewsDuration)
	return p.measureViews(ctx, sessions, o.Connections, o.ViewsDuration, prof)
}

// seed checks that o's logins fit the users' code budgets, seeds the
// users (at where, for the reader) with one password hash, which it
// returns, and registers the OpenID Connect application.
func (p *portal) seed(ctx context.Context, o Options, where string, progress io.Writer, res *Result) (hash string, app *oidcApp, err error) {
	// Each login, MFA or OpenID Connect, sends a code.
	if max := o.Users * p.loginsPerUser(); 2*o.Logins > max {
		return "", nil, fmt.Errorf("bench: %d users can log in %d times in all (each account gets %d codes an hour), and --logins %d asks for %d (as many by OpenID Connect as by the login page); give more --users or fewer --logins",
			o.Users, max, p.loginsPerUser(), o.Logins, 2*o.Logins)
	}

	fmt.Fprintf(progress, "bench: seeding %s users into %s…\n", withCommas(o.Users), where)
	hash, err = (&password.Hasher{Params: password.DefaultParams}).Hash(ctx, benchPassword)
	if err != nil {
		return "", nil, err
	}
	seeding := time.Now()
	if err := seedUsers(ctx, p.Store, o.Users, hash); err != nil {
		return "", nil, err
	}
	res.Seeded = time.Since(seeding)
	app, err = p.registerOIDCApp(ctx)
	if err != nil {
		return "", nil, err
	}
	return hash, app, nil
}

// announceLogins tells progress what the login phase will do.
func announceLogins(progress io.Writer, o Options) {
	if o.Logins > 0 {
		fmt.Fprintf(progress, "bench: %d MFA logins and %d by OpenID Connect, %d at a time, in %d rounds; argon2id alone for %v before, between and after them…\n",
			o.Logins, o.Logins, o.Concurrency, LoginRounds, o.HashDuration)
	} else {
		fmt.Fprintf(progress, "bench: MFA logins for %v and as long by OpenID Connect, %d at a time, in %d rounds; argon2id alone for %v before, between and after them…\n",
			o.Duration, o.Concurrency, LoginRounds, o.HashDuration)
	}
}

// runLogins drives the rounds of logins into res, each round the MFA
// logins of the login page and then as many by OpenID Connect, with
// argon2id alone taking turns before, between and after the rounds.
func runLogins(ctx context.Context, o Options, d *loginDriver, app *oidcApp, hash string, prof *profiler, res *Result) {
	tally, oidcTally := newLoginTally(o.Concurrency), newLoginTally(o.Concurrency)
	turn := o.HashDuration / (LoginRounds + 1)
	turns := []hashResult{measureHashes(ctx, turn, hash)}
	profiled := false
	for r := range LoginRounds {
		if n := loginShare(o.Logins, r); o.Logins == 0 || n > 0 {
			stop := func() {}
			if !profiled {
				// One round's profile: the turns of argon2id alone stay out.
				stop, profiled = prof.start("logins"), true
			}
			d.round(ctx, tally, d.login, o.Concurrency, n, o.Duration/LoginRounds)
			stop()
			if !tally.over() {
				d.round(ctx, oidcTally, d.oidcLogin(app), o.Concurrency, n, o.Duration/LoginRounds)
			}
		}
		turns = append(turns, measureHashes(ctx, turn, hash))
		if tally.over() || oidcTally.over() || ctx.Err() != nil {
			break
		}
	}
	res.Logins, res.OIDCLogins = tally.result(), oidcTally.result()
	var all hashResult
	for _, h := range turns {
		res.HashTurns = append(res.HashTurns, h.rate())
		all = hashResult{n: all.n + h.n, workers: h.workers, elapsed: all.elapsed + h.elapsed, cpu: all.cpu + h.cpu}
	}
	res.Hashes, res.HashCPU, res.HashWorkers = all.rate(), all.perHash(), all.workers
}

// profiler writes a CPU profile of each measured phase when a prefix is
// set; the first error is kept.
type profiler struct {
	prefix string
	err    error
}

// start profiles until the returned function is called.
func (p *profiler) start(phase string) (stop func()) {
	if p.prefix == "" || p.err != nil {
		return func() {}
	}
	f, err := os.Create(p.prefix + "-" + phase + ".pprof") // #nosec G304 -- the prefix is the operator's own --cpuprofile flag
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close() // #nosec G104 -- StartCPUProfile's error is the one reported; nothing was written
		}
	}
	if err != nil {
		p.err = fmt.Errorf("bench: CPU profile: %w", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil && p.err == nil {
			p.err = fmt.Errorf("bench: CPU profile: %w", err)
		}
	}
}

// benchPassword is every seeded user's password.
const benchPassword = "bench: correct horse battery staple"

// Goals of issue 7, printed beside the ratios.
const (
	goalLoginRatio = 0.9
	goalViewRatio  = 0.8
	goalViewP99    = 10 * time.Millisecond
	// Issue 16: /auth/verify sits in front of every request of every
	// application behind forward-auth.
	goalVerifyRatio = 0.8
)

func gogcString(percent int) string {
	if percent < 0 {
		return "off"
	}
	return strconv.Itoa(percent)
}

// Print writes the report.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "portal bench: %s (%s), %s users with phones, seeded in %s\n",
		r.Engine, r.Database, withCommas(r.Users), benchSeconds(r.Seeded))
	cpu := r.CPU
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	fmt.Fprintf(w, "%s %s/%s, GOMAXPROCS %d, %d CPUs (%s), GOGC %s, GOMEMLIMIT %d MiB\n\n",
		r.GoVersion, runtime.GOOS, runtime.GOARCH, r.GOMAXPROCS, r.NumCPU, cpu, gogcString(r.GOGC), r.MemoryLimit>>20)

	r.printLogins(w)
	r.printOIDC(w)
	if len(r.Views) > 0 {
		r.printViews(w)
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "Peak RSS %.0f MiB (VmHWM of this one process: portal, database driver and load generator together)\n", float64(r.PeakRSS)/(1<<20))
	} else {
		fmt.Fprintln(w, "Peak RSS unknown (no /proc/self/status)")
	}
}

// printLogins is the report's part on the MFA logins of the login page.
func (r *Result) printLogins(w io.Writer) {
	l := r.Logins
	fmt.Fprintf(w, "MFA logins over HTTP, %d at a time: login page, password, code page, code from the outbox, code, landing page\n", l.Concurrency)
	l.printCounts(w, len(l.Errors))
	switch {
	case l.GaveUp:
		fmt.Fprintf(w, "  (stopped early: %d logins failed)\n", l.Failed)
	case l.Exhausted:
		fmt.Fprintln(w, "  (stopped early: every account had the codes an hour it may get; seed more --users)")
	}
	p := password.DefaultParams
	fmt.Fprintf(w, "  argon2id alone                          %8.1f hashes/s (m=%d KiB, t=%d, p=%d; %d goroutines; %s)\n",
		r.Hashes, p.Memory, p.Time, p.Threads, r.HashWorkers, hashTurns(r.HashTurns))
	fmt.Fprintf(w, "  logins/s ÷ hashes/s                     %8.2f   (goal ≥ %.2f%s)\n",
		benchRatio(l.Rate(), r.Hashes), goalLoginRatio, goalMet(benchRatio(l.Rate(), r.Hashes) >= goalLoginRatio))
	if l.CPU > 0 && r.HashCPU > 0 {
		fmt.Fprintf(w, "  CPU per hash ÷ CPU per login            %8.2f   (%s ÷ %s of this process; steadier on a busy machine)\n",
			benchRatio(float64(r.HashCPU), float64(l.CPU)), benchMillis(r.HashCPU), benchMillis(l.CPU))
	}
	if l.CPU > 0 && r.HashCPU > 0 && l.ServerCPU > 0 {
		fmt.Fprintf(w, "    with the PostgreSQL server's          %8.2f   (%s ÷ %s + %s of the server on this machine, sharing its CPUs)\n",
			benchRatio(float64(r.HashCPU), float64(l.CPU+l.ServerCPU)), benchMillis(r.HashCPU), benchMillis(l.CPU), benchMillis(l.ServerCPU))
	}
	fmt.Fprintln(w)

	l.printSteps(w)
}

// printSteps is the latency of each step of the logins.
func (l LoginResult) printSteps(w io.Writer) {
	fmt.Fprintf(w, "  %-36s %9s %9s %9s\n", "step latency", "p50", "p95", "p99")
	for i, name := range StepNames {
		s := l.Steps[i]
		fmt.Fprintf(w, "  %-36s %9s %9s %9s\n", name, benchMillis(s.P50), benchMillis(s.P95), benchMillis(s.P99))
	}
	fmt.Fprintln(w)
}

// printViews is the report's part on the page views.
func (r *Result) printViews(w io.Writer) {
	fmt.Fprintf(w, "Page views over HTTP, %d connections, %s each\n", r.Views[0].Connections, benchSeconds(r.Views[0].Elapsed))
	fmt.Fprintf(w, "  %-36s %9s %9s %9s %9s %10s %7s\n", "", "req/s", "p50", "p95", "p99", "CPU/req", "errors")
	for _, v := range r.Views {
		fmt.Fprintf(w, "  %-36s %9.0f %9s %9s %9s %10s %7s\n", v.Name, v.Rate(), benchMillis(v.Lat.P50), benchMillis(v.Lat.P95), benchMillis(v.Lat.P99), benchMicros(v.CPU), withCommas(v.Errors))
	}
	if len(r.Views) >= 2 {
		my, bare := r.Views[0], r.Views[1]
		q := benchRatio(my.Rate(), bare.Rate())
		fmt.Fprintf(w, "  My Details ÷ bare lookup                 %8.2f   (goal ≥ %.2f%s)\n", q, goalViewRatio, goalMet(q >= goalViewRatio))
		fmt.Fprintf(w, "  My Details p99                         %10s   (goal < %s%s; saturated, %d connections wait %s each on average)\n",
			benchMillis(my.Lat.P99), benchMillis(goalViewP99), goalMet(my.Lat.P99 < goalViewP99), my.Connections, benchMillis(time.Duration(float64(my.Connections)/my.Rate()*float64(time.Second))))
		if len(r.Views) >= 4 {
			q := benchRatio(r.Views[3].Rate(), bare.Rate())
			fmt.Fprintf(w, "  /auth/verify ÷ bare lookup               %8.2f   (goal ≥ %.2f%s)\n", q, goalVerifyRatio, goalMet(q >= goalVerifyRatio))
		}
		if len(r.Views) >= 6 {
			paced, pacedBare := r.Views[4], r.Views[5]
			fmt.Fprintf(w, "  My Details p99 at half its rate        %10s   (goal < %s%s; the bare lookup's at that rate: %s)\n",
				benchMillis(paced.Lat.P99), benchMillis(goalViewP99), goalMet(paced.Lat.P99 < goalViewP99), benchMillis(pacedBare.Lat.P99))
		}
		if my.CPU > 0 && bare.CPU > 0 {
			fmt.Fprintf(w, "  bare CPU/req ÷ My Details CPU/req        %8.2f   (this process only: not the PostgreSQL server's)\n",
				benchRatio(float64(bare.CPU), float64(my.CPU)))
		}
	}
	fmt.Fprintln(w)
}

// printCounts prints how many logins completed, were refused as busy and
// failed, with the first errors (at most shown of them).
func (l LoginResult) printCounts(w io.Writer, shown int) {
	fmt.Fprintf(w, "  completed             %8s in %s   %8.1f logins/s\n", withCommas(l.Completed), benchSeconds(l.Elapsed), l.Rate())
	fmt.Fprintf(w, "  refused busy (429)    %8s\n", withCommas(l.Busy))
	fmt.Fprintf(w, "  failed                %8s", withCommas(l.Failed))
	for i, e := range l.Errors[:min(shown, len(l.Errors))] {
		if i == 0 {
			fmt.Fprintf(w, "   first: %s", e)
		} else {
			fmt.Fprintf(w, "\n                                 then: %s", e)
		}
	}
	fmt.Fprintln(w)
}

// printOIDC is the report's part on OpenID Connect logins.
func (r *Result) printOIDC(w io.Writer) {
	o := r.OIDCLogins
	fmt.Fprintf(w, "OpenID Connect logins over HTTP, %d at a time: authorize, login page, password, code page, code, the code to the application, token, userinfo\n", o.Concurrency)
	o.printCounts(w, 1)
	fmt.Fprintf(w, "  OpenID Connect logins/s ÷ hashes/s      %8.2f   (the MFA logins': %.2f)\n",
		benchRatio(o.Rate(), r.Hashes), benchRatio(r.Logins.Rate(), r.Hashes))
	if o.CPU > 0 && r.HashCPU > 0 {
		fmt.Fprintf(w, "  CPU per hash ÷ CPU per login            %8.2f   (%s ÷ %s of this process)\n",
			benchRatio(float64(r.HashCPU), float64(o.CPU)), benchMillis(r.HashCPU), benchMillis(o.CPU))
	}
	s := o.Steps[stepWhole]
	fmt.Fprintf(w, "  %-36s %9s %9s %9s\n\n", StepNames[stepWhole], benchMillis(s.P50), benchMillis(s.P95), benchMillis(s.P99))
}

// hashTurns describes the spread of argon2id's turns between the logins.
func hashTurns(rates []float64) string {
	if len(rates) < 2 {
		return "measured once"
	}
	return fmt.Sprintf("%d turns around the logins, %.1f to %.1f", len(rates), slices.Min(rates), slices.Max(rates))
}

func goalMet(ok bool) string {
	if ok {
		return ": met"
	}
	return ": missed"
}

func benchRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// benchSeconds is d for the report: "20.0 s", or "35 ms" below a second.
func benchSeconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// benchMillis is d for the report: "1.25 ms".
func benchMillis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// benchMicros is a CPU time per request: "85 µs"; "n/a" when unknown.
func benchMicros(d time.Duration) string {
	if d <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// withCommas is n with commas: 1,000,000.
func withCommas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// cpuModel is the processor's name from /proc/cpuinfo; "" elsewhere.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// peakRSS is the process's peak resident set (VmHWM), in bytes; 0 where
// /proc/self/status does not exist.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
