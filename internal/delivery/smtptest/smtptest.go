// Package smtptest runs a local SMTP server for tests: the smtp mailer's
// own tests and any test that needs to read a code out of an email. It
// accepts mail on 127.0.0.1, decodes the MIME structure (quoted-printable,
// base64, multipart/alternative) so tests can read the plain-text and HTML
// parts, and can require authentication, offer STARTTLS or speak implicit
// TLS with a certificate made in memory. It is not for production use.
package smtptest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/providerportal/portal/internal/delivery/faults"
	"github.com/providerportal/portal/internal/delivery/received"
)

// maxMessageBytes bounds what a test can make the server hold.
const maxMessageBytes = 10 << 20

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	username, password string
	startTLS           bool
	implicitTLS        bool

	smtp      *smtp.Server
	listener  net.Listener
	served    chan struct{} // closed when Serve returns
	clientTLS *tls.Config   // trusts the server's certificate; nil without TLS

	received received.Log[Message]

	rejects faults.Queue[*smtp.SMTPError] // RejectNext
}

// Option configures a Server.
type Option func(*Server)

// WithAuth makes the server require AUTH PLAIN with these credentials
// before accepting mail. Plain-text AUTH is allowed without TLS, as on a
// development relay; the smtp mailer still refuses to send a password
// unencrypted to anything but loopback.
func WithAuth(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

// WithSTARTTLS makes the server offer STARTTLS with a self-signed
// certificate for 127.0.0.1 and localhost; clients trust it through
// TLSConfig.
func WithSTARTTLS() Option {
	return func(s *Server) { s.startTLS = true }
}

// WithImplicitTLS makes the server speak TLS from the first byte, as on
// port 465 (smtps://), with the same certificate as WithSTARTTLS.
func WithImplicitTLS() Option {
	return func(s *Server) { s.implicitTLS = true }
}

// Start is NewServer for a test: it stops the test if the server cannot
// start, and closes it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server on 127.0.0.1 at a free port. Call Close when
// done.
func NewServer(opts ...Option) (*Server, error) {
	s := &Server{served: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}

	srv := smtp.NewServer(backend{s})
	srv.Domain = "smtptest.localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 50
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0) // a client hanging up is normal in tests
	s.smtp = srv

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listening: %w", err)
	}
	if s.startTLS || s.implicitTLS {
		serverTLS, clientTLS, err := selfSigned()
		if err != nil {
			l.Close() // #nosec G104 -- test server: the certificate error is the one returned
			return nil, err
		}
		s.clientTLS = clientTLS
		if s.startTLS {
			srv.TLSConfig = serverTLS
		}
		if s.implicitTLS {
			l = tls.NewListener(l, serverTLS)
		}
	}
	s.listener = l
	go func() {
		defer close(s.served)
		srv.Serve(l) // #nosec G104 -- test server: Serve returns an error whenever Close stops it
	}()
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the server as the smtp mailer takes it: smtp://127.0.0.1:port,
// smtps:// with WithImplicitTLS, and with the credentials of WithAuth.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.username != "" || s.password != "" {
		u.User = url.UserPassword(s.username, s.password)
	}
	return u.String()
}

// TLSConfig returns a client configuration that trusts the server's
// certificate, or nil if the server has no TLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Close stops the server and drops open connections.
func (s *Server) Close() {
	s.smtp.Close() // #nosec G104 -- test server shutting down; the listener is closed below in any case
	// go-smtp's Close misses a listener that Serve has not registered
	// yet, and Serve would then block for ever; closing it here too makes
	// Serve return however early Close comes.
	s.listener.Close() // #nosec G104 -- usually closed already by s.smtp.Close, which makes this fail
	<-s.served
}

// Messages returns every accepted message, oldest first.
func (s *Server) Messages() []Message {
	return s.received.All()
}

// Next returns the oldest message not yet returned by Next or Wait,
// blocking until one arrives or ctx is done.
func (s *Server) Next(ctx context.Context) (Message, error) {
	return s.received.Take(ctx, func(Message) bool { return true })
}

// Wait returns the oldest message with to among its recipients that was
// not yet returned by Next or Wait, blocking until one arrives or ctx is
// done.
func (s *Server) Wait(ctx context.Context, to string) (Message, error) {
	return s.received.Take(ctx, func(m Message) bool { return slices.Contains(m.To, to) })
}

// RejectNext makes the server refuse the next recipient (RCPT TO) with
// an SMTP reply code and text, such as 550 "No such user" (permanent) or
// 451 "Try again later" (temporary). Calls queue up; each is used once.
func (s *Server) RejectNext(code int, message string) {
	s.rejects.Push(&smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1},
		Message:      message,
	})
}

func (s *Server) record(m Message) {
	s.received.Add(m)
}

// backend starts a session per connection.
type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

// session is one SMTP connection's state.
type session struct {
	s        *Server
	conn     *smtp.Conn
	username string // set after a successful AUTH
	from     string
	to       []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.username == "" && ss.s.password == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || (ss.s.username == "" && ss.s.password == "") {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.username || password != ss.s.password {
			return smtp.ErrAuthFailed
		}
		ss.username = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if (ss.s.username != "" || ss.s.password != "") && ss.username == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err, ok := ss.s.rejects.Next(); ok {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		// Mail the test server cannot read is a bug in the sender.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "smtptest: cannot parse message: " + err.Error()}
	}
	m.From = ss.from
	m.To = slices.Clone(ss.to)
	m.Username = ss.username
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.s.record(m)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost, and
// the client configuration that trusts it. It lives as long as a test.
func selfSigned() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("smtptest: generating key: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("smtptest: creating certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, errors.New("smtptest: parsing the certificate just made")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	// ServerName is set so the configuration works as is with tls.Dial
	// and net/smtp; the certificate is valid for it and for localhost.
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client, nil
}
