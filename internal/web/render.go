package web

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/providerportal/portal/internal/apps"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/delivery/outbox"
	"github.com/providerportal/portal/internal/login"
	"github.com/providerportal/portal/internal/store"
)

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"login", "code", "register_phone", "home", "my_details", "change_phone_verify", "setup", "message", "outbox",
	"forgot_password", "reset_password",
	"admin_confirm", "admin_users", "admin_user", "admin_user_new", "admin_action", "admin_audit", "admin_settings",
	"admin_apps", "admin_app_new", "admin_app_secret", "admin_app_confirm", "admin_overview"}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// problem is one thing wrong with what was submitted. Field names the input
// it is about ("" for the form as a whole), so the summary can link to it.
type problem struct {
	Field   string
	Message string
}

// form holds what the person typed, to show it back after an error. Never
// a password or a code.
type form struct {
	Email string
	Phone string
	Name  string
	Token string

	// Administration.
	Search   string // the user list's search
	Role     string // "provider" or "administrator"
	Action   string // the user action whose form is shown back
	Reason   string
	Duration string // of an MFA disable: "24h"
	Policy   string // portal-wide MFA: "required" or "optional"
	User     string // audit log filters: email, event, from and to dates
	Event    string
	From, To string
}

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

// NextCodeAtMillis is NextCodeAt for the script that enables "Send a new
// code" again.
func (c codeView) NextCodeAtMillis() int64 { return c.NextCodeAt.UnixMilli() }

// NextCodeIn says when a new code can be asked for: "6 minutes".
func (c codeView) NextCodeIn() string { return login.WaitWords(c.NextCodeAt.Sub(c.now)) }

// ExpiresIn says how long the code still works: "7 minutes".
func (c codeView) ExpiresIn() string { return login.WaitWords(c.ExpiresAt.Sub(c.now)) }

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

// ResendAtMillis is when a new code may be asked for, for the script that
// counts down (milliseconds, so it never enables the button too early).
func (c codeView) ResendAtMillis() int64 {
	if !c.Sent {
		return 0
	}
	return c.ResendAt.UnixMilli()
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

// page is what every template gets; handlers fill in their own parts.
type page struct {
	Title  string
	Portal string
	User   *store.User // nil unless logged in (full session)
	Notice string
	Errors []problem
	Form   form
	Code   codeView

	EmailFallback   bool
	MaskedPhone     string
	ConfirmPassword bool
	LastLogin       time.Time
	Applications    []apps.Link // the home page's "Your applications"
	Message         string
	Link, LinkText  string
	Messages        []outbox.Message

	FormAction string // where a form shared by two pages posts
	Sent       bool   // "Forgot your password?" was answered

	// Administration (admin_*.go).
	AdminNav  string // the current section of the console
	Accounts  []accountView
	Account   *accountView
	Events    []auditRow
	NextPage  string // link to the next page of a list; "" on the last
	Action    *actionConfirm
	StepUp    stepUpView
	PortalMFA bool        // MFA is required for everyone
	AppList   []appView   // the Applications page
	AppForm   *appForm    // Create application, as typed
	NewApp    *secretView // the answer to a create or a rotation
	Overview  *overviewView
}

// FieldError returns the problem with field, or nil.
func (p *page) FieldError(field string) *problem {
	for i := range p.Errors {
		if p.Errors[i].Field == field {
			return &p.Errors[i]
		}
	}
	return nil
}

// newPage builds what every page needs.
func (s *Server) newPage(title string, sess *login.Session) *page {
	p := &page{Title: title, Portal: s.portalName, EmailFallback: s.login.Rules.EmailFallback}
	if sess != nil && sess.Stage == store.StageFull {
		p.User = sess.User
	}
	return p
}

// renderBuffers keeps the buffers pages are rendered into, so that a page
// view does not grow a new one from nothing; one that grew past
// maxPooledPage (a long audit log page) is left to the collector.
var renderBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

const maxPooledPage = 64 << 10

// render writes the page with status. Pages are rendered into a buffer
// first so that a template failure becomes a clean error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := s.pages[name].ExecuteTemplate(buf, "layout", p); err != nil {
		s.internalError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	if name == "login" || name == "code" {
		// Their forms end a login, which may go back to an application.
		if target, err := s.pendingReturn(r); err == nil && target != "" {
			allowFormTarget(w, target)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Known, so said: a page over 2 KiB would otherwise go out chunked.
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderMessage shows a page with a title, a sentence and a way on.
func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, title, msg, link, linkText string) {
	p := s.newPage(title, nil)
	p.Message, p.Link, p.LinkText = msg, link, linkText
	s.render(w, r, status, "message", p)
}

// internalError logs err once with the request id and shows a calm page
// that names the id, never the error.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestID(r.Context())
	s.log.Error("internal error", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	s.renderMessage(w, r, http.StatusInternalServerError, "Something went wrong",
		fmt.Sprintf("Sorry, the portal could not finish that. Nothing you already saved was lost. Please try again in a moment; if it keeps happening, tell your system administrator the reference %s.", id),
		"/", "Back to the start")
}

// userProblem turns a domain error into a problem to show, about the
// input the domain names or else field; it reports false for internal
// errors.
func userProblem(err error, field string) (problem, bool) {
	var le *login.Error
	if errors.As(err, &le) {
		if le.Field != "" {
			field = le.Field
		}
		return problem{Field: field, Message: le.Message}, true
	}
	return problem{}, false
}

// waitStatus is the status of a domain error that asks the person to
// wait: a throttle, or the portal very busy (every password-hashing slot
// taken), which every route that hashes answers the same way, 429 with
// Retry-After. Other errors get status.
func waitStatus(w http.ResponseWriter, err error, status int) int {
	var le *login.Error
	if errors.As(err, &le) && (le.Kind == login.KindThrottled || le.Kind == login.KindBusy) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(le.RetryAfter.Round(time.Second)/time.Second))))
		return http.StatusTooManyRequests
	}
	return status
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderMessage(w, r, http.StatusNotFound, "Page not found",
		"There is no page at this address. It may have moved, or the link may be incomplete.", "/", "Go to the start")
}

func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.renderMessage(w, r, http.StatusForbidden, "Request refused",
		"This form was sent from another website, so the portal refused it. Open the portal directly and try again.", "/", "Go to the portal")
}

// badForm answers a form that could not be read (too large or malformed).
func (s *Server) badForm(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	if isBodyTooLarge(err) {
		status = http.StatusRequestEntityTooLarge
	}
	s.renderMessage(w, r, status, "That could not be read",
		"What was sent was too long or garbled. Go back and try again.", "/", "Go to the start")
}
