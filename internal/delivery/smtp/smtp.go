// Package smtp sends the portal's email (codes and security notices)
// through an SMTP relay, using github.com/wneessen/go-mail for the
// protocol and MIME. The relay is given as one URL, smtp://user:pass@host:port
// (STARTTLS when offered, port 587) or smtps://… (TLS from the start, port
// 465), so one setting carries the whole configuration.
package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/providerportal/portal/internal/delivery"
)

// DefaultTimeout bounds one send or check, connecting included, when
// Mailer.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Mailer sends email through one SMTP relay. Set its exported fields, if
// at all, before first use; after that it is safe for concurrent use.
type Mailer struct {
	// Timeout bounds one SendEmail or Check; default DefaultTimeout. A
	// shorter deadline on the caller's context wins.
	Timeout time.Duration
	// TLSConfig is used for STARTTLS and implicit TLS, for example to trust
	// a test CA. Nil means the system's roots; ServerName defaults to the
	// relay's host.
	TLSConfig *tls.Config

	host        string
	port        int
	implicitTLS bool
	username    string
	password    string
	from        mail.Address
}

var (
	_ delivery.Mailer  = (*Mailer)(nil)
	_ delivery.Checker = (*Mailer)(nil)
)

// New returns a Mailer for the relay at rawURL that sends as from, which
// may be a bare address or "Name <address>". Special characters in the
// user name or password must be percent-encoded in the URL. Without a user
// name no AUTH is attempted. Errors never repeat the password.
func New(rawURL, from string) (*Mailer, error) {
	m, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp: invalid from address %q: %v", from, err)
	}
	m.from = *addr
	return m, nil
}

// parseURL reads the relay URL. Its errors are written here rather than
// passed on from net/url, whose messages quote the whole URL, password and
// all.
func parseURL(rawURL string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not even net/url's inner error is shown: with an unescaped "/",
		// "?" or "#" in the password, part of the password is parsed as
		// the host and would appear in "invalid port" messages.
		return nil, errors.New("smtp: URL does not parse; percent-encode special characters in the user name and password")
	}
	m := &Mailer{}
	switch u.Scheme {
	case "smtp":
		m.port = 587
	case "smtps":
		m.port, m.implicitTLS = 465, true
	default:
		return nil, errors.New("smtp: URL must start with smtp:// or smtps://")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("smtp: URL needs a host, as in smtp://host:587")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("smtp: URL must not have a path, query or fragment")
	}
	m.host = u.Hostname()
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, errors.New("smtp: URL port must be between 1 and 65535")
		}
		m.port = port
	}
	if u.User != nil {
		m.username = u.User.Username()
		m.password, _ = u.User.Password()
		if m.username == "" || m.password == "" {
			return nil, errors.New("smtp: URL needs both a user name and a password, or neither")
		}
	}
	return m, nil
}

// String describes the relay for logs, without the password.
func (m *Mailer) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(m.host, strconv.Itoa(m.port))}
	if m.implicitTLS {
		u.Scheme = "smtps"
	}
	if m.username != "" {
		u.User = url.User(m.username)
	}
	return u.String()
}

// SendEmail sends e as multipart/alternative (plain text and HTML). Errors
// name the step that failed but never the message's content; those that
// retrying cannot fix (a 5xx reply, an unusable address) match
// delivery.ErrPermanent.
func (m *Mailer) SendEmail(ctx context.Context, e delivery.Email) error {
	msg, err := m.message(e)
	if err != nil {
		return fmt.Errorf("smtp: %w: %w", delivery.ErrPermanent, err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout())
	defer cancel()
	err = m.withClient(ctx, func(c *gomail.Client) error {
		return c.DialAndSendWithContext(ctx, msg)
	})
	if err != nil && msg.IsDelivered() {
		// The relay accepted the message and only the goodbye failed;
		// reporting failure would invite a retry and a second email.
		return nil
	}
	return m.describe(ctx, "sending email", err)
}

// Check connects, says EHLO, starts TLS if offered, authenticates if
// configured and quits: at start-up this shows that the relay is reachable
// and takes the credentials, without sending anything.
func (m *Mailer) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout())
	defer cancel()
	err := m.withClient(ctx, func(c *gomail.Client) error {
		sc, err := c.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return err
		}
		return c.CloseWithSMTPClient(sc)
	})
	return m.describe(ctx, "checking relay", err)
}

// withClient runs f with a go-mail client for one connection. go-mail
// heeds ctx only while dialling and then relies on its per-command
// timeout, and it leaves the connection open when EHLO, STARTTLS or AUTH
// fails; so the connection is dialled here, closed when ctx ends and
// closed again when f returns.
func (m *Mailer) withClient(ctx context.Context, f func(*gomail.Client) error) error {
	deadline, _ := ctx.Deadline() // always set by the callers
	perCommand := time.Until(deadline)
	if perCommand <= 0 {
		return ctx.Err()
	}
	tlsConfig := m.clientTLS()
	var conns openConns
	stop := context.AfterFunc(ctx, conns.closeAll)
	defer stop()
	defer conns.closeAll()
	c, err := gomail.NewClient(m.host, m.clientOptions(perCommand, tlsConfig, m.dialer(tlsConfig, &conns))...)
	if err != nil {
		return fmt.Errorf("configuring client: %w", err)
	}
	return f(c)
}

// clientTLS is the TLS configuration for the relay: m.TLSConfig if set,
// TLS 1.2 at least otherwise, checking the certificate against the
// relay's host name unless the configuration names another.
func (m *Mailer) clientTLS() *tls.Config {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.TLSConfig != nil {
		tlsConfig = m.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = m.host
	}
	return tlsConfig
}

// dialer connects to the relay, over TLS from the start for smtps, and
// adds each connection to conns; once conns are closed it dials no more.
func (m *Mailer) dialer(tlsConfig *tls.Config, conns *openConns) func(ctx context.Context, _, _ string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		// The address go-mail passes is "host:port" built with Sprintf,
		// which is wrong for IPv6 literals; build it properly here.
		addr := net.JoinHostPort(m.host, strconv.Itoa(m.port))
		var d net.Dialer
		var conn net.Conn
		var err error
		if m.implicitTLS {
			conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
		} else {
			conn, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		if !conns.add(conn) {
			conn.Close() // #nosec G104 -- the sender is shutting down: net.ErrClosed is returned and the new connection dropped
			return nil, net.ErrClosed
		}
		return conn, nil
	}
}

// clientOptions are go-mail's options for one client: the port, the
// timeout of each command, our dialler and TLS, and the login if the
// relay needs one.
func (m *Mailer) clientOptions(perCommand time.Duration, tlsConfig *tls.Config, dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(m.port),
		gomail.WithTimeout(perCommand),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConfig),
		// Opportunistic also for smtps: go-mail then sees that the dialled
		// connection is already TLS. (WithSSL would make it dial itself.)
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
	}
	if m.username != "" {
		// The first of these that the relay offers is used. go-mail
		// refuses PLAIN and LOGIN over an unencrypted connection unless
		// the relay is on loopback, so a stripped STARTTLS cannot leak
		// the password.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5),
			gomail.WithUsername(m.username),
			gomail.WithPassword(m.password))
	}
	return opts
}

// message builds the MIME message for e.
func (m *Mailer) message(e delivery.Email) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(e.To)
	if err != nil {
		return nil, errors.New("invalid recipient address")
	}
	if e.Text == "" && e.HTML == "" {
		return nil, errors.New("email has no body")
	}
	// No User-Agent: it would only tell the world our library's version.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&m.from)
	msg.ToMailAddress(to)
	msg.Subject(e.Subject)
	msg.SetDate()
	// go-mail's default Message-ID names this machine's hostname; the
	// sender's domain reveals nothing and helps threading and tracing.
	msg.SetMessageIDWithValue(rand.Text() + "@" + domain(m.from.Address))
	switch {
	case e.HTML == "":
		msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	case e.Text == "":
		msg.SetBodyString(gomail.TypeTextHTML, e.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, e.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, nil
}

// describe wraps err with what was being done, the context's error when
// that is what stopped us (a closed connection or an i/o timeout says
// nothing useful), and
// delivery.ErrPermanent for 5xx replies.
func (m *Mailer) describe(ctx context.Context, doing string, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("smtp: %s via %s: %w", doing, m, ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		// go-mail's per-command deadline is set to end with ctx, and may
		// fire a moment before ctx notices.
		return fmt.Errorf("smtp: %s via %s: no answer in time: %w", doing, m, context.DeadlineExceeded)
	case permanent(err):
		return fmt.Errorf("smtp: %s via %s: %w: %w", doing, m, delivery.ErrPermanent, err)
	default:
		return fmt.Errorf("smtp: %s via %s: %w", doing, m, err)
	}
}

// permanent reports whether the relay answered with a 5xx reply, during
// the handshake (a textproto.Error, such as 535 for bad credentials) or
// during the transaction (go-mail's SendError, such as 550 for an unknown
// recipient).
func permanent(err error) bool {
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		return sendErr.ErrorCode() >= 500 && sendErr.ErrorCode() <= 599
	}
	var protoErr *textproto.Error
	if errors.As(err, &protoErr) {
		return protoErr.Code >= 500 && protoErr.Code <= 599
	}
	return false
}

func (m *Mailer) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return DefaultTimeout
}

func domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// openConns holds the connections of one call so they can be closed when
// its context ends, including one dialled just after.
type openConns struct {
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func (o *openConns) add(c net.Conn) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	o.conns = append(o.conns, c)
	return true
}

func (o *openConns) closeAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	for _, c := range o.conns {
		c.Close() // #nosec G104 -- shutting down: every connection is dropped, and a failure to close one changes nothing
	}
	o.conns = nil
}
