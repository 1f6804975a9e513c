package dispatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/sqlite"
)

// scripted is an SMS provider that answers from a script, then succeeds.
type scripted struct {
	mu     sync.Mutex
	script []error
	sent   []delivery.SMS
}

func (s *scripted) SendSMS(_ context.Context, m delivery.SMS) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) > 0 {
		err := s.script[0]
		s.script = s.script[1:]
		if err != nil {
			return err
		}
	}
	s.sent = append(s.sent, m)
	return nil
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

type retryLater struct{ after time.Duration }

func (e retryLater) Error() string             { return "429 too many requests" }
func (e retryLater) RetryAfter() time.Duration { return e.after }
func permanent(msg string) error               { return fmt.Errorf("%s: %w", msg, delivery.ErrPermanent) }
func (h *harness) clock() time.Time            { h.mu.Lock(); defer h.mu.Unlock(); return h.now }
func (h *harness) advance(d time.Duration)     { h.mu.Lock(); h.now = h.now.Add(d); h.mu.Unlock() }
func (h *harness) runOnce() int                { n, err := h.d.RunOnce(h.ctx); h.must(err); return n }
func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

type harness struct {
	t    *testing.T
	ctx  context.Context
	db   *sqlite.DB
	d    *dispatch.Dispatcher
	user int64

	mu     sync.Mutex
	now    time.Time
	finals []store.Message
}

func newHarness(t *testing.T, providers ...dispatch.Provider) *harness {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/p.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, err := dispatch.NewSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: context.Background(), db: db, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	u := &store.User{Email: "a@example.org", Name: "A", CreatedAt: h.now}
	h.must(db.CreateUser(h.ctx, u))
	h.user = u.ID
	h.d = &dispatch.Dispatcher{Store: db, SMS: providers, Sealer: sealer, Clock: h.clock,
		OnFinal: func(_ context.Context, m *store.Message) { h.mu.Lock(); h.finals = append(h.finals, *m); h.mu.Unlock() }}
	return h
}

// queue queues an SMS whose code expires in ttl (0: never).
func (h *harness) queue(text string, ttl time.Duration) *store.Message {
	h.t.Helper()
	m := &store.Message{UserID: h.user, Channel: store.ChannelSMS, To: "+447546123456", CreatedAt: h.clock()}
	if ttl > 0 {
		m.ExpiresAt = h.clock().Add(ttl)
	}
	h.must(h.d.Queue(h.ctx, m, dispatch.Content{Text: text}))
	return m
}

// sendsOnlyAfter checks that the queued message waits wait more: a run of
// the dispatcher now sends nothing (early says what that would mean), and
// a run once wait has passed has p send it, once.
func (h *harness) sendsOnlyAfter(p *scripted, wait time.Duration, early string) {
	h.t.Helper()
	if h.runOnce() != 0 {
		h.t.Fatal(early)
	}
	h.advance(wait)
	h.runOnce()
	if n := p.count(); n != 1 {
		h.t.Fatalf("%v later: sent %d times, want once", wait, n)
	}
}

func (h *harness) final() []store.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]store.Message(nil), h.finals...)
}

func TestSendsAndErasesContent(t *testing.T) {
	p := &scripted{}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("Your code is 123456", 10*time.Minute)
	if n := h.runOnce(); n != 1 || p.count() != 1 || p.sent[0].Body != "Your code is 123456" || p.sent[0].ID == "" {
		t.Fatalf("claimed %d, sent %+v", n, p.sent)
	}
	f := h.final()
	if len(f) != 1 || f[0].Status != store.MessageSent || f[0].Provider != "p" {
		t.Fatalf("final: %+v", f)
	}
	// The code is not kept readable once the message is out.
	m, err := h.db.ClaimMessages(h.ctx, h.clock().Add(time.Hour), time.Minute, 10)
	h.must(err)
	if len(m) != 0 {
		t.Fatal("a sent message was claimed again")
	}
}

func TestSealedContentIsNotReadable(t *testing.T) {
	s, _ := dispatch.NewSealer(bytes.Repeat([]byte{1}, 32))
	sealed, err := s.Seal(dispatch.Content{Text: "code 654321"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("654321")) {
		t.Fatal("the sealed content shows the code")
	}
	other, _ := dispatch.NewSealer(bytes.Repeat([]byte{2}, 32))
	if _, err := other.Open(sealed); !errors.Is(err, dispatch.ErrUnsealable) {
		t.Fatalf("opened with another key: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed); !errors.Is(err, dispatch.ErrUnsealable) {
		t.Fatalf("opened damaged content: %v", err)
	}
}

func TestRetriesTemporaryFailuresWithBackoff(t *testing.T) {
	p := &scripted{script: []error{errors.New("503"), errors.New("timeout")}}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("hello", 10*time.Minute)
	h.runOnce() // 503: retry in 2 s
	if n := h.runOnce(); n != 0 {
		t.Fatal("retried before the backoff")
	}
	h.advance(2 * time.Second)
	h.runOnce() // timeout: retry in 4 s
	h.advance(3 * time.Second)
	h.sendsOnlyAfter(p, time.Second, "the backoff did not double")
}

func TestHonoursRetryAfter(t *testing.T) {
	p := &scripted{script: []error{retryLater{30 * time.Second}}}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("hello", 10*time.Minute)
	h.runOnce()
	h.advance(29 * time.Second)
	h.sendsOnlyAfter(p, time.Second, "retried before Retry-After")
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	p := &scripted{script: []error{permanent("21211 invalid To")}}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("hello", 10*time.Minute)
	h.runOnce()
	h.advance(time.Hour)
	if h.runOnce() != 0 || p.count() != 0 {
		t.Fatal("a permanent failure was retried")
	}
	if f := h.final(); len(f) != 1 || f[0].Status != store.MessageFailed {
		t.Fatalf("final: %+v", f)
	}
}

func TestFailover(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first error
	}{
		{"first refuses the message", permanent("21408 region not enabled")},
		{"first is down", errors.New("503 service unavailable")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := &scripted{script: []error{tc.first}}
			second := &scripted{}
			h := newHarness(t, dispatch.Provider{Name: "first", Sender: first}, dispatch.Provider{Name: "second", Sender: second})
			h.queue("hello", 10*time.Minute)
			h.runOnce()
			if second.count() != 1 {
				t.Fatal("the second provider was not tried at once")
			}
			if f := h.final(); len(f) != 1 || f[0].Provider != "second" || f[0].Status != store.MessageSent {
				t.Fatalf("final: %+v", f)
			}
		})
	}
}

func TestExpiredCodesAreNotSent(t *testing.T) {
	p := &scripted{script: []error{errors.New("503")}}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("code 123456", 10*time.Minute)
	h.runOnce()
	h.advance(10 * time.Minute) // the provider was down until the code expired
	h.runOnce()
	if p.count() != 0 {
		t.Fatal("an expired code was sent")
	}
	if f := h.final(); len(f) != 1 || f[0].Status != store.MessageExpired {
		t.Fatalf("final: %+v", f)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	p := &scripted{script: []error{errors.New("1"), errors.New("2"), errors.New("3")}}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.d.MaxAttempts = 3
	h.queue("notice", 0)
	for i := 0; i < 3; i++ {
		h.runOnce()
		h.advance(time.Hour)
	}
	if f := h.final(); len(f) != 1 || f[0].Status != store.MessageFailed || f[0].Attempts != 3 {
		t.Fatalf("final: %+v", f)
	}
}

// TestCrashedDispatcherIsTakenOver: a dispatcher that claimed a message and
// died (kill -9 mid-send) leaves it sending; when its lease runs out,
// another dispatcher sends it. Nothing is lost.
func TestCrashedDispatcherIsTakenOver(t *testing.T) {
	p := &scripted{}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.queue("code 111222", 10*time.Minute)
	claimed, err := h.db.ClaimMessages(h.ctx, h.clock(), time.Minute, 10) // the dispatcher that then dies
	h.must(err)
	if len(claimed) != 1 {
		t.Fatal("nothing claimed")
	}
	h.sendsOnlyAfter(p, time.Minute, "a live claim was taken over")
}

func TestRunSendsWhenKicked(t *testing.T) {
	p := &scripted{}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: p})
	h.d.Clock = nil
	h.d.Poll = time.Hour // only a kick can wake it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.d.Run(ctx); close(done) }()
	m := &store.Message{UserID: h.user, Channel: store.ChannelSMS, To: "+447546123456", CreatedAt: time.Now()}
	h.must(h.d.Queue(h.ctx, m, dispatch.Content{Text: "hi"}))
	h.d.Kick(h.ctx)
	deadline := time.Now().Add(5 * time.Second)
	for p.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if p.count() != 1 {
		t.Fatal("a kicked dispatcher did not send")
	}
}

// TestAgainstTwilio runs the dispatcher against a server that speaks
// Twilio's Messages API: a 503 is retried, a 400/21211 is final.
func TestAgainstTwilio(t *testing.T) {
	tw := twiliotest.NewServer("AC"+fmt.Sprintf("%032x", 1), "token")
	defer tw.Close()
	sender := &twilio.Sender{APIURL: tw.URL(), AccountSID: "AC" + fmt.Sprintf("%032x", 1), AuthToken: "token", From: "+15005550006"}
	h := newHarness(t, dispatch.Provider{Name: "twilio", Sender: sender})
	tw.FailNext(503, 20500, "Service unavailable")
	h.queue("code 101010", 10*time.Minute)
	h.runOnce()
	h.advance(2 * time.Second)
	h.runOnce()
	if len(tw.Messages()) != 1 {
		t.Fatalf("Twilio got %d messages", len(tw.Messages()))
	}
	f := h.final()
	if len(f) != 1 || f[0].ProviderRef != tw.Messages()[0].SID {
		t.Fatalf("final: %+v; the Twilio SID must be kept for receipts", f)
	}
	tw.FailNext(400, 21211, "The 'To' number is not a valid phone number.")
	h.queue("code 202020", 10*time.Minute)
	h.runOnce()
	if f := h.final(); len(f) != 2 || f[1].Status != store.MessageFailed {
		t.Fatalf("final: %+v", f)
	}
}

// TestShutdownFinishesTheMessageUnderWay: when the dispatcher is stopped
// (SIGTERM) in the middle of a batch, the message being sent is finished
// and recorded, and the rest are handed back for the next dispatcher at
// once rather than after their lease.
func TestShutdownFinishesTheMessageUnderWay(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	slow := &stopping{stop: stop}
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: slow})
	h.queue("first", 10*time.Minute)
	h.queue("second", 10*time.Minute)
	if _, err := h.d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if slow.sent != 1 {
		t.Fatalf("%d messages sent; want the one under way finished and no more", slow.sent)
	}
	f := h.final()
	if len(f) != 1 || f[0].Status != store.MessageSent {
		t.Fatalf("final: %+v; the message under way was not recorded", f)
	}
	// The second is due again at once, for whoever dispatches next.
	if n := h.runOnce(); n != 1 || slow.sent != 2 {
		t.Fatalf("the handed-back message: claimed %d, sent %d", n, slow.sent)
	}
}

// stopping is a provider whose first send is interrupted by a shutdown
// signal: it stops the dispatcher's context, then completes normally.
type stopping struct {
	stop func()
	sent int
}

func (s *stopping) SendSMS(ctx context.Context, m delivery.SMS) error {
	if s.sent == 0 {
		s.stop()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.sent++
	return nil
}

// referencing is an SMS provider that takes every message and names it
// SM1, SM2, … as Twilio names its messages.
type referencing struct {
	mu sync.Mutex
	n  int
}

func (r *referencing) SendSMS(ctx context.Context, m delivery.SMS) error {
	_, err := r.SendSMSRef(ctx, m)
	return err
}

func (r *referencing) SendSMSRef(context.Context, delivery.SMS) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return fmt.Sprintf("SM%d", r.n), nil
}

// TestReceiptsOnlyMoveForward: a receipt that moves its message forward
// is applied and reported once; a late or replayed one (issue 14, 10)
// changes nothing and is not reported again.
func TestReceiptsOnlyMoveForward(t *testing.T) {
	h := newHarness(t, dispatch.Provider{Name: "p", Sender: &referencing{}})
	h.queue("code 111111", 10*time.Minute)
	h.queue("code 222222", 10*time.Minute)
	h.runOnce()
	if f := h.final(); len(f) != 2 || f[0].ProviderRef == "" || f[1].ProviderRef == "" {
		t.Fatalf("final: %+v", f)
	}
	for _, tc := range []struct {
		ref    string
		status store.MessageStatus
		moves  bool
	}{
		{"SM1", store.MessageDelivered, true},
		{"SM1", store.MessageDelivered, false}, // replayed
		{"SM1", store.MessageFailed, false},    // late, or replayed
		{"SM1", store.MessageSent, false},
		{"SM2", store.MessageFailed, true},
		{"SM2", store.MessageFailed, false},
		{"SM2", store.MessageDelivered, false},
	} {
		before := len(h.final())
		h.advance(time.Second)
		h.must(h.d.Receipt(h.ctx, "p", tc.ref, tc.status, "report"))
		f := h.final()
		if moved := len(f) > before; moved != tc.moves {
			t.Errorf("%s %s: reported %v, want %v", tc.ref, tc.status, moved, tc.moves)
		}
		if tc.moves && f[len(f)-1].Status != tc.status {
			t.Errorf("%s %s: reported as %s", tc.ref, tc.status, f[len(f)-1].Status)
		}
	}
	var got []store.MessageStatus
	for _, m := range h.final() {
		got = append(got, m.Status)
	}
	if want := []store.MessageStatus{store.MessageSent, store.MessageSent, store.MessageDelivered, store.MessageFailed}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
}
