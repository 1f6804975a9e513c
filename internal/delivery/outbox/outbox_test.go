package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/outbox"
)

// clock is a fake time source that advances a second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func TestKeepsAndLogs(t *testing.T) {
	var logs bytes.Buffer
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	o := outbox.New(slog.New(slog.NewTextHandler(&logs, nil)), c.now)

	if err := o.SendSMS(t.Context(), delivery.SMS{To: "+14155550123", Body: "Your code is 493027"}); err != nil {
		t.Fatal(err)
	}
	if err := o.SendEmail(t.Context(), delivery.Email{To: "ann@example.com", Subject: "Your code",
		Text: "Code: 771204", HTML: "<p>Code: <b>771204</b></p>"}); err != nil {
		t.Fatal(err)
	}

	got := o.Messages()
	want := []outbox.Message{
		{Time: c.t, Channel: "email", To: "ann@example.com", Subject: "Your code",
			Body: "Code: 771204", HTML: "<p>Code: <b>771204</b></p>"},
		{Time: c.t.Add(-time.Second), Channel: "sms", To: "+14155550123", Body: "Your code is 493027"},
	}
	if len(got) != len(want) {
		t.Fatalf("Messages = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Messages[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Logging the codes is this package's purpose: a developer reads them there.
	for _, s := range []string{"493027", "771204", "+14155550123", "ann@example.com"} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, logs.String())
		}
	}
}

func TestLimit(t *testing.T) {
	o := outbox.New(nil, nil)
	total := outbox.Capacity + 57
	for i := range total {
		o.SendSMS(t.Context(), delivery.SMS{To: "+14155550123", Body: fmt.Sprint(i)})
	}
	got := o.Messages()
	if len(got) != outbox.Capacity {
		t.Fatalf("kept %d, want %d", len(got), outbox.Capacity)
	}
	if got[0].Body != fmt.Sprint(total-1) || got[len(got)-1].Body != fmt.Sprint(total-outbox.Capacity) {
		t.Errorf("kept %s…%s, want newest %d first down to %d",
			got[0].Body, got[len(got)-1].Body, total-1, total-outbox.Capacity)
	}
}

func TestConcurrent(t *testing.T) {
	o := outbox.New(nil, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				o.SendEmail(context.Background(), delivery.Email{To: "a@example.com"})
				o.Messages()
			}
		})
	}
	wg.Wait()
	if n := len(o.Messages()); n != outbox.Capacity {
		t.Errorf("kept %d, want %d", n, outbox.Capacity)
	}
}

func TestCanceledContext(t *testing.T) {
	o := outbox.New(nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := o.SendSMS(ctx, delivery.SMS{To: "+1", Body: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("SendSMS = %v", err)
	}
	if err := o.SendEmail(ctx, delivery.Email{To: "a@example.com"}); !errors.Is(err, context.Canceled) {
		t.Errorf("SendEmail = %v", err)
	}
	if n := len(o.Messages()); n != 0 {
		t.Errorf("kept %d messages sent with a canceled context", n)
	}
}

func TestCheckWarns(t *testing.T) {
	var logs bytes.Buffer
	o := outbox.New(slog.New(slog.NewTextHandler(&logs, nil)), nil)
	if err := o.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("Check did not warn: %s", logs.String())
	}
}
