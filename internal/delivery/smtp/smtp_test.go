package smtp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
	"github.com/providerportal/portal/internal/delivery/smtp"
	"github.com/providerportal/portal/internal/delivery/smtptest"
)

const from = "Provider Portal <no-reply@portal.example>"

var email = delivery.Email{
	To:      "ann@example.com",
	Subject: "Votre code – Café",
	Text:    "Your code is 493027.\nIt expires in 10 minutes. — Café\n",
	HTML:    "<p>Your code is <b>493027</b>.</p><p>Café ✓</p>",
}

func newMailer(t *testing.T, srv *smtptest.Server) *smtp.Mailer {
	t.Helper()
	m, err := smtp.New(srv.URL(), from)
	if err != nil {
		t.Fatal(err)
	}
	m.TLSConfig = srv.TLSConfig()
	m.Timeout = 5 * time.Second
	return m
}

// assertReceived checks that srv got email intact, and returns it.
func assertReceived(t *testing.T, srv *smtptest.Server) smtptest.Message {
	t.Helper()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "no-reply@portal.example" || len(got.To) != 1 || got.To[0] != email.To {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
	if got.Subject != email.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, email.Subject)
	}
	if strings.TrimRight(got.Text, "\n") != strings.TrimRight(email.Text, "\n") {
		t.Errorf("Text = %q, want %q", got.Text, email.Text)
	}
	if got.HTML != email.HTML {
		t.Errorf("HTML = %q, want %q", got.HTML, email.HTML)
	}
	if h := got.Header.Get("From"); !strings.Contains(h, "Provider Portal") || !strings.Contains(h, "<no-reply@portal.example>") {
		t.Errorf("From header = %q", h)
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	if id := got.Header.Get("Message-Id"); !strings.HasSuffix(id, "@portal.example>") {
		t.Errorf("Message-ID = %q, want one in the sender's domain", id)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := got.Header.Get("User-Agent") + got.Header.Get("X-Mailer"); ua != "" {
		t.Errorf("mail names its software: %q", ua)
	}
	return got
}

func TestSendPlain(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	if err := m.SendEmail(t.Context(), email); err != nil {
		t.Fatal(err)
	}
	got := assertReceived(t, srv)
	if got.TLS || got.Username != "" {
		t.Errorf("TLS %v, user %q; want neither", got.TLS, got.Username)
	}
	// Non-ASCII text is encoded for transport, not sent raw.
	if strings.Contains(string(got.Raw), "Café") {
		t.Error("raw message contains unencoded non-ASCII text")
	}
}

func TestSendOnlyText(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	if err := m.SendEmail(t.Context(), delivery.Email{To: "bob@example.com", Subject: "Hi", Text: "code 111222"}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "code 111222" || got.HTML != "" || !strings.HasPrefix(got.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("got %q / %q, Content-Type %q", got.Text, got.HTML, got.Header.Get("Content-Type"))
	}
}

func TestSendWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("portal", "p@ss word"))
	m := newMailer(t, srv)
	if err := m.SendEmail(t.Context(), email); err != nil {
		t.Fatal(err)
	}
	if got := assertReceived(t, srv); got.Username != "portal" {
		t.Errorf("authenticated as %q", got.Username)
	}
	if err := m.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAuthFailure(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("portal", "right"))
	url := strings.Replace(srv.URL(), ":right@", ":wrong-s3cret@", 1)
	m, err := smtp.New(url, from)
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"SendEmail": m.SendEmail(t.Context(), email),
		"Check":     m.Check(t.Context()),
	} {
		if err == nil {
			t.Fatalf("%s with a wrong password succeeded", name)
		}
		if !errors.Is(err, delivery.ErrPermanent) || !strings.Contains(err.Error(), "535") {
			t.Errorf("%s: %v, want a permanent 535 error", name, err)
		}
		if strings.Contains(err.Error(), "wrong-s3cret") {
			t.Errorf("%s: error contains the password: %v", name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server accepted %d messages", n)
	}
}

func TestAuthRequiredButNotConfigured(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("portal", "right"))
	m, err := smtp.New(strings.Replace(srv.URL(), "portal:right@", "", 1), from)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendEmail(t.Context(), email); !errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("SendEmail without credentials: %v, want permanent", err)
	}
}

func TestSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS(), smtptest.WithAuth("portal", "secret"))
	m := newMailer(t, srv)
	if err := m.SendEmail(t.Context(), email); err != nil {
		t.Fatal(err)
	}
	if got := assertReceived(t, srv); !got.TLS || got.Username != "portal" {
		t.Errorf("TLS %v, user %q; want STARTTLS and auth", got.TLS, got.Username)
	}
	if err := m.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}

	// Without trusting the test certificate, the handshake must fail
	// rather than fall back to plain text.
	m.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
	err := m.SendEmail(t.Context(), email)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("SendEmail to an untrusted certificate: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want 1", n)
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS(), smtptest.WithAuth("portal", "secret"))
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL = %s", srv.URL())
	}
	m := newMailer(t, srv)
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := m.SendEmail(t.Context(), email); err != nil {
		t.Fatal(err)
	}
	if got := assertReceived(t, srv); !got.TLS || got.Username != "portal" {
		t.Errorf("TLS %v, user %q", got.TLS, got.Username)
	}
}

func TestRejectedRecipient(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)

	srv.RejectNext(550, "No such user")
	err := m.SendEmail(t.Context(), email)
	if !errors.Is(err, delivery.ErrPermanent) || !strings.Contains(err.Error(), "550") {
		t.Errorf("550: %v, want permanent", err)
	}
	assertNoContent(t, err)

	srv.RejectNext(451, "Try again later")
	err = m.SendEmail(t.Context(), email)
	if err == nil || errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("451: %v, want temporary", err)
	}
	assertNoContent(t, err)
}

func TestInvalidRecipient(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	e := email
	e.To = "not an address"
	if err := m.SendEmail(t.Context(), e); !errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("SendEmail to %q: %v, want permanent", e.To, err)
	}
	e.To = "ann@example.com\r\nBcc: eve@example.com"
	if err := m.SendEmail(t.Context(), e); !errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("SendEmail with a header injection: %v, want permanent", err)
	}
}

func TestSubjectInjection(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	e := email
	e.Subject = "Hi\r\nBcc: eve@example.com"
	if err := m.SendEmail(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Bcc") != "" || len(got.To) != 1 {
		t.Errorf("subject injected a header: %v, recipients %v", got.Header, got.To)
	}
}

func TestCheck(t *testing.T) {
	srv := smtptest.Start(t)
	m := newMailer(t, srv)
	if err := m.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("Check sent %d messages", n)
	}

	srv.Close()
	if err := m.Check(t.Context()); err == nil {
		t.Fatal("Check succeeded with the server gone")
	}
}

// silentListener accepts connections and never says a word, like a relay
// behind a broken firewall.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return "smtp://" + l.Addr().String()
}

func TestTimeout(t *testing.T) {
	m, err := smtp.New(silentListener(t), from)
	if err != nil {
		t.Fatal(err)
	}
	m.Timeout = 200 * time.Millisecond
	for name, call := range map[string]func() error{
		"SendEmail": func() error { return m.SendEmail(t.Context(), email) },
		"Check":     func() error { return m.Check(t.Context()) },
	} {
		start := time.Now()
		err := call()
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("%s returned after %v, want about 200ms", name, elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, delivery.ErrPermanent) {
			t.Errorf("%s: %v, want a temporary deadline error", name, err)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	m, err := smtp.New(silentListener(t), from)
	if err != nil {
		t.Fatal(err)
	}
	m.Timeout = time.Minute
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = m.SendEmail(ctx, email)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("returned after %v, want soon after the cancel at 100ms", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SendEmail: %v, want context.Canceled", err)
	}

	// An already expired context does not even dial.
	if err := m.Check(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a canceled context: %v", err)
	}
}

func TestString(t *testing.T) {
	m, err := smtp.New("smtps://user:hunter2@[::1]", from)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "smtps://user@[::1]:465" {
		t.Errorf("String = %q", got)
	}
}

// assertNoContent fails if the email's content leaked into err.
func assertNoContent(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if msg := err.Error(); strings.Contains(msg, "493027") || strings.Contains(msg, "Café") {
		t.Errorf("error contains message content: %q", msg)
	}
}
