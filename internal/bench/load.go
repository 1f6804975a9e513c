package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/password"
	"github.com/providerportal/portal/internal/store"
)

// The load side of `portal bench`: the portal it drives, simulated people
// logging in, and the page-view load generator.

// Portal is the portal under test, started by a Starter exactly as
// `portal serve` wires it, listening on a loopback port.
type Portal struct {
	BaseURL string // http://127.0.0.1:PORT
	Store   Store
	// Rules are the login rules in force; their limits on codes per
	// account and per number bound how often each seeded user logs in.
	Rules login.Rules
	// RegisterApp registers an OpenID Connect application, as `portal app
	// create` does, and returns its client_id and client_secret.
	RegisterApp func(ctx context.Context, r apps.Registration) (clientID, secret string, err error)
	// GOGC and MemoryLimit are the collector's settings in force, as
	// `portal serve` sets them (GOGC -1: off).
	GOGC        int
	MemoryLimit int64
	// Serve serves until ctx ends; Close then closes the database.
	Serve func(ctx context.Context) error
	Close func() error
}

// Store is what the bench needs of the portal's database: a bulk import
// of the seeded users, and the lookups of its bare handler.
type Store interface {
	ImportUsers(ctx context.Context, users iter.Seq[*store.User]) (int, error)
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	UserByID(ctx context.Context, id int64) (*store.User, error)
}

// A Starter starts the portal on cfg (PORTAL_ADDR a loopback port; the
// Starter sets BaseURL to where it listens), its log going to logw, and
// sends every text message that would go to the local outbox through
// tap(outbox) instead. It does not serve yet: Portal.Serve does. cmd/portal
// gives the one that wires the portal as `portal serve` does.
type Starter func(ctx context.Context, cfg *config.Config, logw io.Writer, tap func(delivery.SMSSender) delivery.SMSSender) (*Portal, error)

// portal is the running portal and what the bench keeps beside it.
type portal struct {
	*Portal
	base      string // http://127.0.0.1:PORT
	codes     *codeTap
	transport *http.Transport // one for every simulated person and connection
	cancel    context.CancelFunc
	served    chan error
}

// startPortal starts the portal on the database at dbURL. Text
// messages and email go to the local outbox, so nothing leaves the
// machine; the SMS budgets stay on (their checks are part of every login)
// but are set out of reach, since the whole load comes from one address;
// the log keeps warnings and errors only.
func startPortal(ctx context.Context, start Starter, dbURL string, conns int, getenv func(string) string, logw io.Writer) (*portal, error) {
	key := make([]byte, 32)
	rand.Read(key)
	const outOfReach = "1000000000"
	env := map[string]string{
		"PORTAL_ADDR":                       "127.0.0.1:0",
		"PORTAL_DATABASE_URL":               dbURL,
		"PORTAL_DATABASE_MAX_CONNS":         getenv("PORTAL_DATABASE_MAX_CONNS"),
		"PORTAL_SECRET_KEY":                 hex.EncodeToString(key),
		"PORTAL_SMS_PROVIDER":               "outbox",
		"PORTAL_SMS_LIMIT_PER_IP_HOUR":      outOfReach,
		"PORTAL_SMS_LIMIT_PER_COUNTRY_HOUR": outOfReach,
		"PORTAL_SMS_LIMIT_PER_HOUR":         outOfReach,
		"PORTAL_LOG_LEVEL":                  "warn",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return nil, fmt.Errorf("bench: configuration:\n%w", err)
	}
	tap := &codeTap{waiting: map[string]chan codeArrival{}}
	tapped := false
	started, err := start(ctx, cfg, logw, func(outbox delivery.SMSSender) delivery.SMSSender {
		tap.next, tapped = outbox, true
		return tap
	})
	if err != nil {
		return nil, err
	}
	if !tapped {
		started.Close() // #nosec G104 -- start-up failed with the error returned; closing is best effort
		return nil, errors.New("bench: text messages do not go to the local outbox")
	}
	sctx, cancel := context.WithCancel(ctx)
	p := &portal{
		Portal: started,
		base:   started.BaseURL,
		codes:  tap,
		transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: conns + 64,
			IdleConnTimeout:     time.Minute,
		},
		cancel: cancel,
		served: make(chan error, 1),
	}
	go func() { p.served <- started.Serve(sctx) }()
	return p, nil
}

// stop shuts the portal down and closes its database.
func (p *portal) stop() error {
	p.cancel()
	err := <-p.served
	if errors.Is(err, context.Canceled) || errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	p.transport.CloseIdleConnections()
	return errors.Join(err, p.Close())
}

// loginsPerUser is how many logins one account can make within an hour:
// each sends a code, and codes per account and per number are limited.
func (p *portal) loginsPerUser() int {
	r := p.Rules
	n := math.MaxInt32
	if r.CodesPerAccount > 0 {
		n = min(n, r.CodesPerAccount)
	}
	if r.CodesPerDestination > 0 {
		n = min(n, r.CodesPerDestination)
	}
	return n
}

// codeArrival is a text message as the outbox got it, and when.
type codeArrival struct {
	body string
	at   time.Time
}

// codeTap stands between the dispatcher and the local outbox: every text
// message still goes to the outbox, and the simulated person waiting for
// it learns of it the moment it is there, rather than by polling the
// outbox's list (which would load the machine being measured).
type codeTap struct {
	next delivery.SMSSender

	mu      sync.Mutex
	waiting map[string]chan codeArrival // by number
}

func (t *codeTap) SendSMS(ctx context.Context, m delivery.SMS) error {
	if err := t.next.SendSMS(ctx, m); err != nil {
		return err
	}
	a := codeArrival{body: m.Body, at: time.Now()}
	t.mu.Lock()
	ch := t.waiting[m.To]
	t.mu.Unlock()
	if ch != nil {
		select {
		case ch <- a:
		default: // an earlier message is still unread; the person reads that
		}
	}
	return nil
}

// expect returns where the next text message to the number arrives; done
// stops waiting for it.
func (t *codeTap) expect(number string) (<-chan codeArrival, func()) {
	ch := make(chan codeArrival, 1)
	t.mu.Lock()
	t.waiting[number] = ch
	t.mu.Unlock()
	return ch, func() {
		t.mu.Lock()
		if t.waiting[number] == ch {
			delete(t.waiting, number)
		}
		t.mu.Unlock()
	}
}

// awaitText is the text message that arrives on texts, within 10 s.
func awaitText(ctx context.Context, texts <-chan codeArrival) (codeArrival, error) {
	select {
	case text := <-texts:
		return text, nil
	case <-time.After(10 * time.Second):
		return codeArrival{}, errors.New("no text message in the outbox within 10 s of the password")
	case <-ctx.Done():
		return codeArrival{}, ctx.Err()
	}
}

// codeIn is the code of a login text message, from its last line, the
// WebOTP line "@host #123456".
func codeIn(body string) string {
	i := strings.LastIndexByte(body, '#')
	if i < 0 || len(body)-i-1 != 6 {
		return ""
	}
	code := body[i+1:]
	if strings.Trim(code, "0123456789") != "" {
		return ""
	}
	return code
}

// The steps of a login, as the report names them.
const (
	stepLoginPage = iota
	stepPassword
	stepCodePage
	stepText
	stepCode
	stepLanding
	stepWhole
	nSteps
)

var StepNames = [nSteps]string{
	"login page      GET /login",
	"password        POST /login",
	"code page       GET /login/code",
	"text in outbox  after POST /login",
	"code            POST /login/code",
	"landing page    GET /",
	"whole login",
}

// LoginResult is what the login phase measured.
type LoginResult struct {
	Concurrency int
	Completed   int
	Busy        int      // turned away with 429: every hashing slot stayed taken
	Failed      int      // anything else that went wrong
	Errors      []string // the first few different failures
	Exhausted   bool     // stopped because every account had its codes
	GaveUp      bool     // stopped because maxFailedLogins failed
	Elapsed     time.Duration
	Steps       [nSteps]latencies // of completed logins
	CPU         time.Duration     // this process's CPU time per completed login; 0 when unknown
	ServerCPU   time.Duration     // the local database server's, likewise; 0 when not measured
}

func (l LoginResult) Rate() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.Completed) / l.Elapsed.Seconds()
}

// loginDriver plays people logging in: each login is a new person with a
// cookie jar of their own, the next seeded account in turn.
type loginDriver struct {
	p       *portal
	users   int
	perUser int
	next    atomic.Int64 // login k is by user k % users
	// serverCPU, if set, reads the local database server's CPU time,
	// which the logins' figures then include (see benchDB).
	serverCPU func() time.Duration

	mu       sync.Mutex
	sessions []benchSession // of completed logins, newest last
}

// benchSession is a logged-in session of a seeded user: the cookies of
// the person's browser.
type benchSession struct {
	user    int
	cookies []*http.Cookie
}

func (p *portal) loginDriver(users int) *loginDriver {
	return &loginDriver{p: p, users: users, perUser: p.loginsPerUser()}
}

// nextUser is the account of the next login; false once every account has
// had all the logins its code limits allow.
func (d *loginDriver) nextUser() (int, bool) {
	k := d.next.Add(1) - 1
	if k >= int64(d.users)*int64(d.perUser) {
		return 0, false
	}
	return int(k % int64(d.users)), true
}

// errBusyLogin is a password post answered 429.
var errBusyLogin = errors.New("busy")

// LoginRounds is how many rounds the logins are driven in, taking turns
// with argon2id alone (before, between and after them), so that a machine
// whose speed drifts weighs on both figures alike.
const LoginRounds = 3

// loginShare is how many of logins round r drives; 0 when logins is 0
// (the rounds then run for a time).
func loginShare(logins, r int) int {
	return logins*(r+1)/LoginRounds - logins*r/LoginRounds
}

// maxFailedLogins stops the logins when they are failing (a portal that
// answers 500, a database gone): the report shows the first failures, and
// more would only use up the accounts' codes and hide the cause.
const maxFailedLogins = 100

// loginTally gathers what the rounds of logins measured.
type loginTally struct {
	mu    sync.Mutex
	res   LoginResult
	steps [nSteps][]time.Duration
	cpu   time.Duration // of this process, over the rounds
	db    time.Duration // of the local database server, likewise
}

func newLoginTally(conc int) *loginTally {
	return &loginTally{res: LoginResult{Concurrency: conc}}
}

// over reports whether no further round should run: every account had
// its codes, or too many logins failed.
func (t *loginTally) over() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.res.Exhausted || t.res.GaveUp
}

// result is the rounds' figures together.
func (t *loginTally) result() LoginResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	res := t.res
	if res.Completed > 0 {
		res.CPU = t.cpu / time.Duration(res.Completed)
		res.ServerCPU = t.db / time.Duration(res.Completed)
	}
	for i := range t.steps {
		res.Steps[i] = summarizeLatencies(slices.Clone(t.steps[i]))
	}
	return res
}

// loginFunc is one complete login of user u, with the latency of each
// step and the browser's cookies after it.
type loginFunc func(ctx context.Context, u int) (lat [nSteps]time.Duration, cookies []*http.Cookie, err error)

// round drives logins into t, conc at a time: logins of them, or as many
// as start within dur when logins is 0.
func (d *loginDriver) round(ctx context.Context, t *loginTally, login loginFunc, conc, logins int, dur time.Duration) {
	var (
		started atomic.Int64
		wg      sync.WaitGroup
	)
	cpu := processCPU()
	var serverCPU time.Duration
	if d.serverCPU != nil {
		serverCPU = d.serverCPU()
	}
	deadline := time.Now().Add(dur)
	start := time.Now()
	// Whether one more login may start: none once t is over, logins have
	// started or the deadline has passed.
	another := func() bool {
		if ctx.Err() != nil || t.over() {
			return false
		}
		if logins > 0 {
			return started.Add(1) <= int64(logins)
		}
		return !time.Now().After(deadline)
	}
	for range conc {
		wg.Go(func() { d.loginUntil(ctx, t, login, another) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	used := processCPU() - cpu
	t.mu.Lock()
	defer t.mu.Unlock()
	t.res.Elapsed += elapsed
	if cpu > 0 {
		t.cpu += used
	}
	if d.serverCPU != nil {
		t.db += d.serverCPU() - serverCPU
	}
}

// loginUntil logs users in one after the other into t while another says
// so and users with codes to spare remain, keeping each session made.
func (d *loginDriver) loginUntil(ctx context.Context, t *loginTally, login loginFunc, another func() bool) {
	for another() {
		u, ok := d.nextUser()
		if !ok {
			t.mu.Lock()
			t.res.Exhausted = true
			t.mu.Unlock()
			return
		}
		lat, cookies, err := login(ctx, u)
		if ctx.Err() != nil {
			return
		}
		t.record(lat, err)
		if err == nil {
			d.mu.Lock()
			d.sessions = append(d.sessions, benchSession{user: u, cookies: cookies})
			d.mu.Unlock()
		}
	}
}

// record counts one login: completed (with its steps' latencies), turned
// away as busy, or failed (the first few distinct errors kept).
func (t *loginTally) record(lat [nSteps]time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil:
		t.res.Completed++
		for i := range t.steps {
			t.steps[i] = append(t.steps[i], lat[i])
		}
	case errors.Is(err, errBusyLogin):
		t.res.Busy++
	default:
		t.res.Failed++
		t.res.GaveUp = t.res.Failed >= maxFailedLogins
		if msg := err.Error(); len(t.res.Errors) < 3 && !slices.Contains(t.res.Errors, msg) {
			t.res.Errors = append(t.res.Errors, msg)
		}
	}
}

// run drives one round of logins and returns its figures alone.
func (d *loginDriver) run(ctx context.Context, conc, logins int, dur time.Duration) LoginResult {
	t := newLoginTally(conc)
	d.round(ctx, t, d.login, conc, logins, dur)
	return t.result()
}

// sessionsFor returns n logged-in sessions of different users, the newest
// there are, logging more users in first if needed.
func (d *loginDriver) sessionsFor(ctx context.Context, n int) ([]benchSession, error) {
	d.mu.Lock()
	have := len(d.sessions)
	d.mu.Unlock()
	if have < n {
		res := d.run(ctx, runtime.GOMAXPROCS(0), n-have, 0)
		if res.Failed > 0 {
			return nil, fmt.Errorf("bench: logging in users for the page views: %s", res.Errors[0])
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []benchSession
	seen := map[int]bool{}
	for i := len(d.sessions) - 1; i >= 0 && len(out) < n; i-- {
		if s := d.sessions[i]; !seen[s.user] {
			seen[s.user] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bench: no logged-in session for the page views")
	}
	return out, ctx.Err()
}

// login is one person's complete login as a browser makes it, with the
// latency of each step.
func (d *loginDriver) login(ctx context.Context, u int) (lat [nSteps]time.Duration, cookies []*http.Cookie, err error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{
		Transport: d.p.transport,
		Jar:       jar,
		Timeout:   30 * time.Second,
		// Each redirect is a step of its own, checked and timed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	begin := time.Now()
	step := func(i int, method, path string, form url.Values, wantStatus int, wantLocation string) error {
		t := time.Now()
		status, location, err := d.p.request(ctx, c, method, path, form)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		if status == http.StatusTooManyRequests && path == "/login" && method == http.MethodPost {
			return errBusyLogin
		}
		if status != wantStatus || location != wantLocation {
			return fmt.Errorf("%s %s answered %d %s; want %d %s", method, path, status, location, wantStatus, wantLocation)
		}
		lat[i] = time.Since(t)
		return nil
	}

	if err := step(stepLoginPage, http.MethodGet, "/login", nil, http.StatusOK, ""); err != nil {
		return lat, nil, err
	}
	texts, done := d.p.codes.expect(benchPhone(u))
	defer done()
	pressed := time.Now()
	if err := step(stepPassword, http.MethodPost, "/login", url.Values{"email": {benchEmail(u)}, "password": {benchPassword}}, http.StatusSeeOther, "/login/code"); err != nil {
		return lat, nil, err
	}
	if err := step(stepCodePage, http.MethodGet, "/login/code", nil, http.StatusOK, ""); err != nil {
		return lat, nil, err
	}
	text, err := awaitText(ctx, texts)
	if err != nil {
		return lat, nil, err
	}
	lat[stepText] = text.at.Sub(pressed)
	code := codeIn(text.body)
	if code == "" {
		return lat, nil, errors.New("the text message has no code on its last line")
	}
	if err := step(stepCode, http.MethodPost, "/login/code", url.Values{"code": {code}}, http.StatusSeeOther, "/"); err != nil {
		return lat, nil, err
	}
	if err := step(stepLanding, http.MethodGet, "/", nil, http.StatusOK, ""); err != nil {
		return lat, nil, err
	}
	lat[stepWhole] = time.Since(begin)
	base, _ := url.Parse(d.p.base)
	if cookies = jar.Cookies(base); len(cookies) == 0 {
		return lat, nil, errors.New("logged in, but no session cookie")
	}
	return lat, cookies, nil
}

// request makes one request and reads the whole answer, as a browser
// would; form, if not nil, is posted as from the portal's own page.
func (p *portal) request(ctx context.Context, c *http.Client, method, path string, form url.Values) (status int, location string, err error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

// ViewResult is one page-view measurement.
type ViewResult struct {
	Name        string
	Connections int
	Requests    int // answered as expected
	Errors      int
	FirstError  string
	Elapsed     time.Duration
	Lat         latencies
	// CPU is this process's CPU time per request: portal and load
	// generator together, steadier than requests per second on a machine
	// that is busy with other work too. 0 when unknown.
	CPU time.Duration

	samples []time.Duration // the latencies Lat sums up
}

// viewRounds is how many turns each page-view measurement takes.
const viewRounds = 2

// merge adds the measurement w to v (the zero ViewResult: none yet).
func (v ViewResult) merge(w ViewResult) ViewResult {
	if v.Elapsed == 0 {
		return w
	}
	m := v
	m.Requests += w.Requests
	m.Errors += w.Errors
	if m.FirstError == "" {
		m.FirstError = w.FirstError
	}
	m.Elapsed += w.Elapsed
	m.samples = append(v.samples, w.samples...)
	m.Lat = summarizeLatencies(m.samples)
	m.CPU = 0
	if v.CPU > 0 && w.CPU > 0 && m.Requests > 0 {
		m.CPU = (v.CPU*time.Duration(v.Requests) + w.CPU*time.Duration(w.Requests)) / time.Duration(m.Requests)
	}
	return m
}

func (v ViewResult) Rate() float64 {
	if v.Elapsed <= 0 {
		return 0
	}
	return float64(v.Requests) / v.Elapsed.Seconds()
}

// measureViews measures My Details with valid sessions, then, with the
// same load generator, a bare net/http handler that looks one user up by
// primary key in the same database through the same store, then a bare
// hello world.
func (p *portal) measureViews(ctx context.Context, sessions []benchSession, conns int, dur time.Duration, prof *profiler) ([]ViewResult, error) {
	ids := make([]int64, len(sessions))
	for i, s := range sessions {
		u, err := p.Store.UserByEmail(ctx, benchEmail(s.user))
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		ids[i] = u.ID
	}
	bareBase, stopBare, err := p.serveBare()
	if err != nil {
		return nil, err
	}
	defer stopBare()
	targets := p.viewTargets(sessions, ids, bareBase)
	c := &http.Client{Transport: p.transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	out, err := measureInTurns(ctx, c, targets, conns, dur, prof)
	if err != nil {
		return out, err
	}
	// Saturated, each connection waits its turn: with 64 of them the mean
	// latency is 64 ÷ the rate, whatever the portal does. Latency under a
	// load it keeps up with is measured at half the rate My Details
	// reached, for the bare lookup too, at the same rate: on a small
	// machine the load generator's own bursts show in both.
	if half := out[0].Rate() / 2; half > 0 {
		for _, t := range targets[:2] {
			v := benchHammer(ctx, c, conns, dur, half, t.url)
			v.Name = fmt.Sprintf("%s at %.0f/s", t.short, half)
			v.CPU = 0 // partly waiting for the appointed times: not comparable
			out = append(out, v)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return out, ctx.Err()
}

// serveBare serves, on a port of its own, the bare handlers the portal's
// pages are measured against: one user looked up by id through the
// portal's store, and hello world. It returns their base URL and the
// function that stops them.
func (p *portal) serveBare() (base string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		u, err := p.Store.UserByID(r.Context(), id)
		if err != nil {
			http.Error(w, "lookup failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, u.Name) // #nosec G104 -- a failed write means the load generator hung up; nothing to tell it
	})
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, world!\n") // #nosec G104 -- a failed write means the load generator hung up; nothing to tell it
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	bare := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go bare.Serve(l)
	return "http://" + l.Addr().String(), func() { bare.Close() }, nil // #nosec G104 -- closing the bench's own server after the measurement; nothing to do on failure
}

// viewTarget is a page the page views measure: its name in the report,
// a short one, the phase of its CPU profile, and the URL and cookies of
// each connection's requests.
type viewTarget struct {
	name, short, phase string
	url                func(conn int) (string, []*http.Cookie)
}

// viewTargets are the pages measured, in the report's order: My Details
// with sessions, the bare lookup of the users' ids (at bareBase), hello
// world, and forward-auth's /auth/verify.
func (p *portal) viewTargets(sessions []benchSession, ids []int64, bareBase string) []viewTarget {
	return []viewTarget{
		{"My Details      GET /my-details", "My Details", "my-details", func(conn int) (string, []*http.Cookie) {
			return p.base + "/my-details", sessions[conn%len(sessions)].cookies
		}},
		{"bare handler, one lookup by id", "bare lookup", "bare-lookup", func(conn int) (string, []*http.Cookie) {
			return bareBase + "/user/" + strconv.FormatInt(ids[conn%len(ids)], 10), nil
		}},
		{"bare handler, hello world", "hello world", "hello", func(int) (string, []*http.Cookie) { return bareBase + "/hello", nil }},
		// What a reverse proxy asks before every request to a protected
		// application (issue 16): the session's lookup, and nothing else.
		{"forward-auth    GET /auth/verify", "auth verify", "auth-verify", func(conn int) (string, []*http.Cookie) {
			return p.base + "/auth/verify", sessions[conn%len(sessions)].cookies
		}},
	}
}

// measureInTurns measures each target as fast as it answers over conns
// connections, for dur in all. The targets take turns, viewRounds times,
// so that a machine that drifts (other work, clock speed) weighs on each
// alike.
func measureInTurns(ctx context.Context, c *http.Client, targets []viewTarget, conns int, dur time.Duration, prof *profiler) ([]ViewResult, error) {
	out := make([]ViewResult, len(targets))
	for round := range viewRounds {
		for i, t := range targets {
			stop := func() {}
			if round == 0 {
				// A moment unmeasured first: connections opened, caches warm.
				benchHammer(ctx, c, conns, min(dur/5, time.Second), 0, t.url)
				stop = prof.start(t.phase)
			}
			v := benchHammer(ctx, c, conns, dur/viewRounds, 0, t.url)
			stop()
			out[i] = out[i].merge(v)
			out[i].Name = t.name
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
		}
	}
	return out, nil
}

// benchHammer sends GET requests over conns connections for dur, each
// connection one request after the other, and expects 200 for each. With
// rate 0 each connection sends its next request as soon as it has the
// answer; otherwise the connections together send rate requests a second,
// each at its appointed time, and a request's latency runs from that time,
// so that a slow answer is not hidden by the requests it delayed.
func benchHammer(ctx context.Context, c *http.Client, conns int, dur time.Duration, rate float64, target func(conn int) (string, []*http.Cookie)) ViewResult {
	res := ViewResult{Connections: conns}
	var (
		mu      sync.Mutex
		samples []time.Duration
		wg      sync.WaitGroup
	)
	cpu := processCPU()
	start := time.Now()
	deadline := start.Add(dur)
	for conn := range conns {
		wg.Go(func() {
			u, cookies := target(conn)
			var mine []time.Duration
			errs, firstErr := 0, ""
			var interval time.Duration
			next := start
			if rate > 0 {
				interval = time.Duration(float64(conns) / rate * float64(time.Second))
				next = start.Add(interval * time.Duration(conn) / time.Duration(conns))
			}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t := time.Now()
				if rate > 0 {
					if next.After(deadline) {
						break
					}
					time.Sleep(time.Until(next))
					t = next
					next = next.Add(interval)
				}
				err := benchGet(ctx, c, u, cookies)
				if err != nil {
					if errs == 0 {
						firstErr = err.Error()
					}
					errs++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			samples = append(samples, mine...)
			if res.Errors == 0 && errs > 0 {
				res.FirstError = firstErr
			}
			res.Errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if used := processCPU() - cpu; cpu > 0 && len(samples) > 0 {
		res.CPU = used / time.Duration(len(samples))
	}
	res.Requests = len(samples)
	res.Lat = summarizeLatencies(samples)
	res.samples = samples
	return res
}

// benchGet fetches u, reading the whole page, and wants 200.
func benchGet(ctx context.Context, c *http.Client, u string, cookies []*http.Cookie) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %d %s", req.URL.Path, resp.StatusCode, resp.Header.Get("Location"))
	}
	return nil
}

// latencies summarise measured durations.
type latencies struct {
	N             int
	P50, P95, P99 time.Duration
}

func summarizeLatencies(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration {
		return d[max(0, int(math.Ceil(p*float64(len(d))))-1)]
	}
	return latencies{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

// hashResult is an argon2id-alone measurement.
type hashResult struct {
	n       int64
	workers int
	elapsed time.Duration
	cpu     time.Duration // this process's CPU time in all; 0 when unknown
}

func (h hashResult) rate() float64 {
	if h.elapsed <= 0 {
		return 0
	}
	return float64(h.n) / h.elapsed.Seconds()
}

// perHash is the CPU time per hash; 0 when unknown.
func (h hashResult) perHash() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.cpu / time.Duration(h.n)
}

// measureHashes verifies the seeded password against its hash on
// GOMAXPROCS goroutines for dur: the argon2id work of one login each, with
// the portal's parameters, and nothing else.
func measureHashes(ctx context.Context, dur time.Duration, hash string) hashResult {
	workers := runtime.GOMAXPROCS(0)
	h := &password.Hasher{Params: password.DefaultParams, Slots: workers}
	var n atomic.Int64
	var wg sync.WaitGroup
	cpu := processCPU()
	start := time.Now()
	deadline := start.Add(dur)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				// Only a check that ran and matched counts: a hash that
				// did not parse would look like very fast hashing.
				if ok, _, err := h.Verify(ctx, benchPassword, hash); err != nil || !ok {
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	res := hashResult{n: n.Load(), workers: workers, elapsed: time.Since(start)}
	if used := processCPU() - cpu; cpu > 0 {
		res.cpu = used
	}
	return res
}
