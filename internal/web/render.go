package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"

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

// chrome is what every page shows around its content (layout.html): the
// title, the portal's name, the person logged in, the console's section,
// the notice and the problems. Each page's view embeds it; no form needs
// a token, since cross-origin posts are refused before any page (Handler).
type chrome struct {
	Title    string
	Portal   string
	User     *store.User // nil unless logged in (full session)
	AdminNav string      // the current section of the console; "" outside it
	Notice   string
	Errors   []problem
}

// FieldError returns the problem with field, or nil.
func (c *chrome) FieldError(field string) *problem {
	for i := range c.Errors {
		if c.Errors[i].Field == field {
			return &c.Errors[i]
		}
	}
	return nil
}

// Chrome is the chrome itself, for the templates: a field read through it
// (.Chrome.Title) is one of the chrome's own, found at once, where
// .Title on a page is a field of an embedded struct, which text/template
// finds by a search that allocates at every use (reflect's
// FieldByNameFunc: some 70 allocations a page view, a tenth of its CPU).
func (c *chrome) Chrome() *chrome { return c }

// view is what a template is rendered from: a page's own struct, which
// embeds the chrome.
type view interface{ Chrome() *chrome }

// newChrome builds what every page needs.
func (s *Server) newChrome(title string, sess *login.Session) chrome {
	c := chrome{Title: title, Portal: s.portalName}
	if sess != nil && sess.Stage == store.StageFull {
		c.User = sess.User
	}
	return c
}

// adminChrome is newChrome for a page of the console's section.
func (s *Server) adminChrome(title, section string, sess *login.Session) chrome {
	c := s.newChrome(title, sess)
	c.AdminNav = section
	return c
}

// messagePage is a title, a sentence and a way on.
type messagePage struct {
	chrome
	Message        string
	Link, LinkText string
}

// renderBuffers keeps the buffers pages are rendered into, so that a page
// view does not grow a new one from nothing; one that grew past
// maxPooledPage (a long audit log page) is left to the collector.
var renderBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

const maxPooledPage = 64 << 10

// render writes the page with status. Pages are rendered into a buffer
// first so that a template failure becomes a clean error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := s.pages[name].ExecuteTemplate(buf, "layout", v); err != nil {
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
	s.render(w, r, status, "message", &messagePage{s.newChrome(title, nil), msg, link, linkText})
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

// renderProblem shows the page again with the problem the domain error err
// names, or the error page when err is internal.
func (s *Server) renderProblem(w http.ResponseWriter, r *http.Request, status int, name string, v view, err error) {
	pr, ok := userProblem(err, "")
	if !ok {
		s.internalError(w, r, err)
		return
	}
	v.Chrome().Errors = []problem{pr}
	s.render(w, r, status, name, v)
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

// onePage cuts a list fetched one longer than a page to the page; more
// says whether another page follows.
func onePage[T any](items []T, per int) (page []T, more bool) {
	if len(items) > per {
		return items[:per], true
	}
	return items, false
}
