package smtptest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/smtptest"
)

// The server is exercised with the standard library's client, so these
// tests do not depend on the mailer the server exists to test.

// A message as another mail library might write it: mixed, holding an
// alternative with base64 text and quoted-printable HTML, and an attachment.
const nested = "From: Portal <no-reply@portal.example>\r\n" +
	"To: ann@example.com\r\n" +
	"Subject: =?UTF-8?B?Q29kZSDigJMgQ2Fmw6k=?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"Q29kZTogNDkzMDI3\r\nIOKAlCBDYWbDqQ==\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p>Code: <b>493027</b> Caf=C3=A9, a long line that is wrapped by a so=\r\nft break</p>\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Disposition: attachment; filename=notes.txt\r\n" +
	"\r\n" +
	"not the body\r\n" +
	"--outer--\r\n"

func TestParse(t *testing.T) {
	m, err := smtptest.Parse([]byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Code – Café" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.Text != "Code: 493027 — Café" {
		t.Errorf("Text = %q", m.Text)
	}
	if m.HTML != "<p>Code: <b>493027</b> Café, a long line that is wrapped by a soft break</p>" {
		t.Errorf("HTML = %q", m.HTML)
	}

	single, err := smtptest.Parse([]byte("Subject: hi\r\n\r\nline 1\r\nline 2\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if single.Text != "line 1\nline 2" || single.HTML != "" {
		t.Errorf("single part: Text %q, HTML %q", single.Text, single.HTML)
	}

	for name, raw := range map[string]string{
		"bad content type":   "Content-Type: text/plain; charset\r\n\r\nx\r\n",
		"unknown encoding":   "Content-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n",
		"bad base64":         "Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
		"missing boundary":   "Content-Type: multipart/alternative\r\n\r\nx\r\n",
		"unclosed multipart": "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nx\r\n",
	} {
		if _, err := smtptest.Parse([]byte(raw)); err == nil {
			t.Errorf("Parse accepted %s", name)
		}
	}
}

func TestReceive(t *testing.T) {
	srv := smtptest.Start(t)
	if !strings.HasPrefix(srv.URL(), "smtp://127.0.0.1:") || srv.TLSConfig() != nil {
		t.Errorf("URL %s, TLSConfig %v", srv.URL(), srv.TLSConfig())
	}
	err := smtp.SendMail(srv.Addr(), nil, "no-reply@portal.example",
		[]string{"ann@example.com", "bob@example.com"}, []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	m, err := srv.Wait(t.Context(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "no-reply@portal.example" || len(m.To) != 2 || m.Text != "Code: 493027 — Café" ||
		m.TLS || m.Username != "" || string(m.Raw) != nested {
		t.Errorf("got %+v", m)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := srv.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next after Wait took the only message: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("Messages has %d", n)
	}
}

func TestNextBlocks(t *testing.T) {
	srv := smtptest.Start(t)
	got := make(chan smtptest.Message)
	go func() {
		m, err := srv.Next(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	time.Sleep(10 * time.Millisecond) // let Next start waiting
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"},
		[]byte("Subject: late\r\n\r\ncode 123456\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m.Subject != "late" || m.Text != "code 123456" {
		t.Errorf("Next = %+v", m)
	}
}

func TestAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("portal", "secret"))
	if !strings.HasPrefix(srv.URL(), "smtp://portal:secret@127.0.0.1:") {
		t.Errorf("URL = %s", srv.URL())
	}
	msg := []byte("Subject: x\r\n\r\nx\r\n")
	host := "127.0.0.1" // net/smtp allows PLAIN without TLS only to loopback

	err := smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "portal", "wrong", host), "a@example.com", []string{"b@example.com"}, msg)
	if !hasCode(err, 535) {
		t.Errorf("wrong password: %v, want 535", err)
	}
	err = smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, msg)
	if err == nil || !strings.HasPrefix(err.Error(), "5") {
		t.Errorf("no AUTH: %v, want a 5xx refusal", err)
	}
	err = smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "portal", "secret", host), "a@example.com", []string{"b@example.com"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].Username != "portal" {
		t.Errorf("Messages = %+v", m)
	}
}

func TestSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS())
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.StartTLS(srv.TLSConfig()); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: tls\r\n\r\nx\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || !m[0].TLS {
		t.Errorf("Messages = %+v, want one over TLS", m)
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS())
	if !strings.HasPrefix(srv.URL(), "smtps://127.0.0.1:") {
		t.Errorf("URL = %s", srv.URL())
	}
	conn, err := tls.Dial("tcp", srv.Addr(), srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on a TLS connection")
	}

	// Without the test CA the certificate is refused.
	if conn, err := tls.Dial("tcp", srv.Addr(), &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		conn.Close()
		t.Error("handshake succeeded without trusting the test certificate")
	}
}

func TestRejectNext(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RejectNext(550, "No such user")
	srv.RejectNext(451, "Try later")
	msg := []byte("Subject: x\r\n\r\nx\r\n")
	for _, want := range []int{550, 451} {
		err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, msg)
		if !hasCode(err, want) {
			t.Errorf("SendMail: %v, want %d", err, want)
		}
	}
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, msg); err != nil {
		t.Errorf("third SendMail: %v", err)
	}
}

func TestUnparsableMessageRefused(t *testing.T) {
	srv := smtptest.Start(t)
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"},
		[]byte("Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n"))
	if !hasCode(err, 554) {
		t.Errorf("SendMail: %v, want 554", err)
	}
}

// TestCloseAtOnce guards against go-smtp's Close missing a listener that
// Serve has not registered yet, which used to hang Close.
func TestCloseAtOnce(t *testing.T) {
	for range 50 {
		srv, err := smtptest.NewServer()
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
	}
}

func hasCode(err error, code int) bool {
	var protoErr *textproto.Error
	return errors.As(err, &protoErr) && protoErr.Code == code
}
