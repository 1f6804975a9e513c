package login

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/dispatch"
	"github.com/providerportal/portal/internal/store"
)

// codeSMS is the text message with a code. Its last line is the WebOTP
// line ("@host #code") that lets a phone's browser offer the code for the
// portal's origin, and nothing else's.
func (s *Service) codeSMS(code string) dispatch.Content {
	return dispatch.Content{
		Text: fmt.Sprintf("Your %s code is %s. It expires in %s. Never share it; we will never ask for it.\n\n@%s #%s",
			s.PortalName, code, waitWords(s.Rules.CodeTTL), s.host(), code),
	}
}

// host is the portal's host name for the WebOTP line, which names a host
// without port or scheme.
func (s *Service) host() string {
	u, err := url.Parse(s.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return u.Hostname()
}

var emailLayout = template.Must(template.New("email").Parse(`<!doctype html>
<html lang="en"><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2733;line-height:1.5;max-width:32rem;margin:0 auto;padding:1.5rem">
<p style="font-weight:600;color:#0b5c6b">{{.Portal}}</p>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Code}}<p style="font-size:2rem;letter-spacing:.3em;font-weight:700;font-family:ui-monospace,monospace">{{.Code}}</p>
{{end}}{{range .After}}<p>{{.}}</p>
{{end}}<p style="color:#5b6875;font-size:.875rem">This message was sent by {{.Portal}}. If you did not expect it, contact your system administrator.</p>
</body></html>
`))

// email renders a message as plain text and HTML from the same paragraphs.
func (s *Service) email(subject string, paragraphs []string, code string, after []string) dispatch.Content {
	var text strings.Builder
	for _, p := range paragraphs {
		text.WriteString(p + "\n\n")
	}
	if code != "" {
		text.WriteString("    " + code + "\n\n")
	}
	for _, p := range after {
		text.WriteString(p + "\n\n")
	}
	text.WriteString(fmt.Sprintf("This message was sent by %s. If you did not expect it, contact your system administrator.\n", s.PortalName))

	var html bytes.Buffer
	if err := emailLayout.Execute(&html, map[string]any{
		"Portal": s.PortalName, "Paragraphs": paragraphs, "Code": code, "After": after,
	}); err != nil {
		// The template is fixed and its data are strings: this cannot fail
		// at run time without a programming error.
		panic(err)
	}
	return dispatch.Content{Subject: subject, Text: text.String(), HTML: html.String()}
}

func (s *Service) codeEmail(code string) dispatch.Content {
	return s.email(fmt.Sprintf("Your %s code", s.PortalName),
		[]string{fmt.Sprintf("Use this code to finish logging in to %s:", s.PortalName)},
		code,
		[]string{
			fmt.Sprintf("It expires in %s and works once. Never share it; we will never ask for it.", waitWords(s.Rules.CodeTTL)),
			"If you did not try to log in, someone may know your password: change it, and tell your system administrator.",
		})
}

func (s *Service) phoneRegisteredEmail(u *store.User, masked string) dispatch.Content {
	return s.email("A phone number was registered for your login codes",
		[]string{
			fmt.Sprintf("Hello %s,", u.Name),
			fmt.Sprintf("The phone number %s was registered on %s for your %s login codes.", masked, s.Clock.Now().Format("2 January 2006 at 15:04 MST"), s.PortalName),
			"If this was not you, contact your system administrator straight away.",
		}, "", nil)
}

// phoneChangedSMS tells the old number that login codes go elsewhere now:
// sent when the session that moved them proved no code, so that the person
// holding the old phone learns of it even if the email is not theirs to
// read any more.
func (s *Service) phoneChangedSMS(oldMasked, newMasked string) string {
	return fmt.Sprintf("%s: login codes for your account now go to %s instead of this phone (%s). If this was not you, contact your system administrator straight away.",
		s.PortalName, newMasked, oldMasked)
}

func (s *Service) phoneChangedEmail(u *store.User, oldMasked, newMasked string) dispatch.Content {
	return s.email("Your login code phone number was changed",
		[]string{
			fmt.Sprintf("Hello %s,", u.Name),
			fmt.Sprintf("The phone number for your %s login codes was changed from %s to %s on %s. Other devices were logged out.",
				s.PortalName, oldMasked, newMasked, s.Clock.Now().Format("2 January 2006 at 15:04 MST")),
			"If this was not you, contact your system administrator straight away.",
		}, "", nil)
}

// NotifyUser emails u a security notice: a greeting, the paragraphs, and
// the advice to contact an administrator if it was unexpected.
func (s *Service) NotifyUser(ctx context.Context, u *store.User, subject string, paragraphs ...string) {
	s.notify(ctx, u, s.noticeContent(u, subject, paragraphs))
}

// Notice is the email NotifyUser sends, sealed, for a change that queues
// it in its own transaction (Commit).
func (s *Service) Notice(u *store.User, subject string, paragraphs ...string) (*store.Message, error) {
	return s.noticeEmail(u, s.noticeContent(u, subject, paragraphs))
}

func (s *Service) noticeContent(u *store.User, subject string, paragraphs []string) dispatch.Content {
	return s.email(subject, append([]string{fmt.Sprintf("Hello %s,", u.Name)}, paragraphs...), "", nil)
}

// noticeEmail seals c into an email to u, to be queued with the change it
// reports.
func (s *Service) noticeEmail(u *store.User, c dispatch.Content) (*store.Message, error) {
	m := &store.Message{UserID: u.ID, Channel: store.ChannelEmail, To: u.Email, CreatedAt: s.Clock.Now()}
	if err := s.Dispatch.Seal(m, c); err != nil {
		return nil, fmt.Errorf("login: seal notice: %w", err)
	}
	return m, nil
}

// noticeSMS seals text into a text message to the number to, for u, to be
// queued with the change it reports. It carries no code, so it has no
// expiry.
func (s *Service) noticeSMS(u *store.User, to, text string, c Client) (*store.Message, error) {
	m := &store.Message{UserID: u.ID, Channel: store.ChannelSMS, To: to, IP: c.IP, CreatedAt: s.Clock.Now()}
	if err := s.Dispatch.Seal(m, dispatch.Content{Text: text}); err != nil {
		return nil, fmt.Errorf("login: seal notice: %w", err)
	}
	return m, nil
}

// Commit writes the change c in one transaction (store.ChangeAccount),
// with its audit rows and the notices it queues, and then starts them on
// their way. A change that ends sessions of an account ends them at the
// applications too, in that transaction (Applications).
func (s *Service) Commit(ctx context.Context, c store.AccountChange) error {
	ending := (c.EndOthers || c.EndSession) && c.UserID != 0 && s.Applications != nil
	if ending {
		c.OIDCSubject = s.Applications.Subject(c.UserID)
		if c.At.IsZero() {
			c.At = s.Clock.Now()
		}
	}
	if err := s.Store.ChangeAccount(ctx, c); err != nil {
		return err
	}
	if ending {
		s.Applications.LogoutsQueued()
	}
	s.Dispatch.Kick(ctx)
	return nil
}

// AuditEvent is an audit event as Audit appends it, for a change that
// writes it in its own transaction (Commit).
func (s *Service) AuditEvent(event, outcome string, actor, subject int64, c Client, detail string) *store.AuditEvent {
	return s.auditEvent(event, outcome, actor, subject, c, detail)
}

func (s *Service) resetEmail(u *store.User, link string, purpose store.TokenPurpose) dispatch.Content {
	if purpose == store.TokenInvite {
		return s.email(fmt.Sprintf("Your %s account", s.PortalName),
			[]string{
				fmt.Sprintf("Hello %s,", u.Name),
				fmt.Sprintf("An account on %s has been created for you. Open this link to choose your password (it works once, within 72 hours):", s.PortalName),
				link,
			}, "", []string{"When you first log in, you will be asked for your mobile number: login codes are sent to it by text message."})
	}
	return s.email(fmt.Sprintf("Reset your %s password", s.PortalName),
		[]string{
			fmt.Sprintf("Hello %s,", u.Name),
			"Someone (hopefully you) asked to reset your password. Open this link to choose a new one (it works once, within 30 minutes):",
			link,
		}, "", []string{"If you did not ask for this, ignore this email: your password stays as it is."})
}

// notify queues a security notice to the account's email. Notices are
// best effort: the change they report has happened, so a failure to queue
// is logged, not returned.
func (s *Service) notify(ctx context.Context, u *store.User, c dispatch.Content) {
	if err := s.queueEmail(ctx, u, c); err != nil {
		s.log().Error("security notice not queued", "user", u.ID, "subject", c.Subject, "err", err)
	}
}

// queueEmail queues an email to u and starts it on its way.
func (s *Service) queueEmail(ctx context.Context, u *store.User, c dispatch.Content) error {
	m := &store.Message{UserID: u.ID, Channel: store.ChannelEmail, To: u.Email, CreatedAt: s.Clock.Now()}
	if err := s.Dispatch.Queue(ctx, m, c); err != nil {
		return fmt.Errorf("login: queue email: %w", err)
	}
	s.Dispatch.Kick(ctx)
	return nil
}

// MaskEmail hides most of the local part: "jane@example.org" becomes
// "j•••@example.org".
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "•••"
	}
	first := []rune(addr[:at])[0]
	return string(first) + "•••" + addr[at:]
}
