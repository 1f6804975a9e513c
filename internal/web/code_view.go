package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// codeView is what the code screens show about the current code.
type codeView struct {
	login.CodeStatus
	now time.Time
	// StatusURL answers the code's delivery status as JSON, for the
	// script that updates the screen while the message is on its way.
	StatusURL string
	// NextCodeAt is when the account's budget of codes lets a new one be
	// sent; zero when it does now.
	NextCodeAt time.Time
}

// Limited reports whether no new code can be sent until NextCodeAt.
func (c codeView) Limited() bool { return c.NextCodeAt.After(c.now) }

// NextCodeInMillis is how long after the page is rendered the budget lets
// a new code be sent, for the script that enables "Send a new code" again.
// The script counts from when the page loaded, never by the device's
// clock, which may be wrong.
func (c codeView) NextCodeInMillis() int64 { return max(0, c.NextCodeAt.Sub(c.now).Milliseconds()) }

// NextCodeIn says when a new code can be asked for: "6 minutes".
func (c codeView) NextCodeIn() string { return login.WaitWords(c.NextCodeAt.Sub(c.now)) }

// ExpiresIn says how long the code still works: "7 minutes".
func (c codeView) ExpiresIn() string { return login.WaitWords(c.ExpiresAt.Sub(c.now)) }

// Expired reports whether the code that was sent no longer works by its
// age: the screen then says so, and not how long it works.
func (c codeView) Expired() bool { return c.Sent && !c.now.Before(c.ExpiresAt) }

// ExpiresInSeconds is how long the code still works as the page is
// rendered, for the script that says it has expired when the screen is
// left open that long.
func (c codeView) ExpiresInSeconds() int {
	return max(0, int((c.ExpiresAt.Sub(c.now)+time.Second-1)/time.Second))
}

// StillWorks is what a screen that could not send a new code adds when the
// session's code still works (a sentence with a leading space), or "".
func (c codeView) StillWorks() string {
	if !c.Sent || c.Remaining <= 0 || !c.now.Before(c.ExpiresAt) {
		return ""
	}
	return " The code sent to " + c.Destination + " " + login.WaitWords(c.now.Sub(c.SentAt)) + " ago still works: enter it below."
}

// Pending reports whether the message is still on its way to the provider.
func (c codeView) Pending() bool {
	return c.Delivery == store.MessageQueued || c.Delivery == store.MessageSending
}

// EmailFirst reports whether "Send code to email" should lead: the text
// message could not be sent.
func (c codeView) EmailFirst() bool {
	return c.Undelivered && c.Channel == store.ChannelSMS
}

// ResendInMillis is how long after the page is rendered a new code may be
// asked for, for the script that counts down from when the page loaded
// (milliseconds, so it never enables the button too early; relative, so a
// device whose clock is wrong counts right).
func (c codeView) ResendInMillis() int64 {
	if !c.Sent {
		return 0
	}
	return max(0, c.ResendAt.Sub(c.now).Milliseconds())
}

// CooldownSeconds is the wait before a new code can be asked for, as the
// page is rendered (the script counts it down).
func (c codeView) CooldownSeconds() int {
	if !c.Sent {
		return 0
	}
	wait := c.ResendAt.Sub(c.now)
	return max(0, int((wait+time.Second-1)/time.Second))
}

// sendProblems are the messages a code screen shows after a redirect from
// a step that tried to send a code (?m=…). The second form of each is for
// the login code screen, which offers "Send code to email".
var sendProblems = map[string][2]string{
	"send-failed": {
		"We could not send the text message just now. Try again in a moment.",
		"We could not send the text message just now. Try again in a moment, or use \u201cSend code to email\u201d.",
	},
	"send-rejected": {
		"The code could not be sent: this phone number could not receive our text message. Check that it is a mobile number in international format.",
		"The code could not be sent: your phone number could not receive our text message. Use \u201cSend code to email\u201d, or ask your administrator to check the number.",
	},
	"send-limited": {
		"No new code was sent: several codes have been sent recently.",
		"No new code was sent: several codes have been sent recently. Use \u201cSend code to email\u201d, or wait a little and ask again.",
	},
	"send-locked": {
		"Too many wrong codes have been entered for this account. Wait a while before trying again, or contact your system administrator.",
		"Too many wrong codes have been entered for this account. Wait a while before trying again, or contact your system administrator.",
	},
	"send-cooldown": {
		"A code was sent moments ago. Use that one, or wait a little before asking for another.",
		"A code was sent moments ago. Use that one, or wait a little before asking for another.",
	},
}

// sentNotices are what a code screen says after "Send a new code" or
// "Send code to email" worked (?m=…): the screen's first line already
// says where the code went, the notice what is new.
const (
	sentNoticeKey      = "sent-new"
	sentEmailNoticeKey = "sent-email"
)

var sentNotices = map[string]string{
	sentNoticeKey:      "A new code was sent. Any code sent before no longer works.",
	sentEmailNoticeKey: "The email may take a minute to arrive: check your junk folder too. Any code sent before no longer works.",
}

// sendProblemKey names the sending problem for a redirect.
func sendProblemKey(err error) string {
	var le *login.Error
	if !errors.As(err, &le) {
		return "send-failed"
	}
	switch le.Kind {
	case login.KindTooManyCodes:
		return "send-limited"
	case login.KindCodeLocked:
		return "send-locked"
	case login.KindCooldown:
		return "send-cooldown"
	case login.KindUndeliverable:
		return "send-rejected"
	}
	return "send-failed"
}

// codeScreen is one of the screens where a code is entered: its template,
// its title and the purpose of its code.
type codeScreen struct {
	tmpl, title string
	purpose     store.Purpose
	// view gives the template the code page with what else it shows; nil:
	// the code page alone.
	view func(p *codePage) view
}

var (
	loginScreen    = codeScreen{tmpl: "code", title: "Enter your code", purpose: store.PurposeLogin}
	registerScreen = codeScreen{tmpl: "register_phone", title: registerTitle, purpose: store.PurposeRegisterPhone,
		view: func(p *codePage) view { return (&registerPage{codePage: *p}).stepTitled() }}
	changeScreen = codeScreen{tmpl: "change_phone_verify", title: "Confirm your new number", purpose: store.PurposeChangePhone}
)

// codePage is what a code screen shows: the current code, and whether a
// code by email is offered.
type codePage struct {
	chrome
	Code          codeView
	EmailFallback bool
}

// renderCode shows the code screen sc.
func (s *Server) renderCode(w http.ResponseWriter, r *http.Request, status int, sc codeScreen, p *codePage) {
	var v view = p
	if sc.view != nil {
		v = sc.view(p)
	}
	s.render(w, r, status, sc.tmpl, v)
}

// newCodePage builds the code screen sc with the status of the current
// code.
func (s *Server) newCodePage(r *http.Request, sc codeScreen, sess *login.Session) (*codePage, error) {
	purpose := sc.purpose
	st, err := s.login.CodeStatus(r.Context(), sess, purpose)
	if err != nil {
		return nil, err
	}
	next, err := s.login.NextCodeAt(r.Context(), sess)
	if err != nil {
		return nil, err
	}
	p := &codePage{chrome: s.newChrome(sc.title, sess)}
	p.Code = codeView{CodeStatus: st, now: s.now(), StatusURL: statusURLs[purpose], NextCodeAt: next}
	// Codes by email share the account's budget: offered only when it has
	// room.
	p.EmailFallback = s.login.Rules.EmailFallback && !p.Code.Limited()
	key := r.URL.Query().Get("m")
	if msgs, ok := sendProblems[key]; ok {
		msg := msgs[0]
		if purpose == store.PurposeLogin && p.EmailFallback {
			msg = msgs[1]
		}
		if key == "send-limited" {
			msg += p.Code.StillWorks()
		}
		p.Errors = []problem{{Message: msg}}
	}
	p.Notice = sentNotices[key]
	return p, nil
}

// statusURLs answer the delivery status of each screen's code.
var statusURLs = map[store.Purpose]string{
	store.PurposeLogin:         "/login/code/status",
	store.PurposeRegisterPhone: "/login/phone/status",
	store.PurposeChangePhone:   "/my-details/phone/status",
	store.PurposeStepUp:        "/admin/confirm/status",
}
