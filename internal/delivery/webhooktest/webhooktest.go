// Package webhooktest runs a local receiver for the webhook SMS sender, so
// tests (of the sender, of failover, and end-to-end tests) can send real
// signed requests and read the codes that would have reached a phone. It
// verifies each request's signature and timestamp with webhook.Verify,
// drops repeated message ids as a careful receiver would, and can be told
// to fail the next requests, answer slowly, or be down. It listens on
// loopback only and is not for production use.
package webhooktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/delivery/faults"
	"github.com/providerportal/portal/internal/delivery/received"
	"github.com/providerportal/portal/internal/delivery/webhook"
)

// Path is where the server takes messages; URL includes it.
const Path = "/sms"

// maxBodyBytes bounds a request body; an SMS is far smaller.
const maxBodyBytes = 64 << 10

// Message is one message the server accepted.
type Message struct {
	ID        string
	To        string
	Body      string
	Timestamp time.Time // from X-Portal-Timestamp
}

// Server is a fake SMS gateway sharing one secret with the sender. Its
// methods are safe for concurrent use.
type Server struct {
	secret []byte
	http   *httptest.Server
	// Slow, Down and Up inject faults; while down, every request gets 503.
	*faults.Injector

	received received.Log[Message]

	mu         sync.Mutex
	seen       map[string]bool // ids accepted
	duplicates int
	refused    int
	failNext   faults.Queue[fault] // FailNext
}

type fault struct {
	status     int
	retryAfter time.Duration
}

// NewServer starts a receiver on 127.0.0.1 that accepts requests signed
// with secret. Call Close when done.
func NewServer(secret []byte) *Server {
	s := &Server{
		secret:   append([]byte(nil), secret...),
		seen:     make(map[string]bool),
		Injector: faults.New(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, s.receive)
	mux.HandleFunc(Path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST only"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	})
	s.http = httptest.NewServer(s.Wrap(mux, func(w http.ResponseWriter) {
		fail(w, http.StatusServiceUnavailable, 0) // Retry-After is set already
	})) // binds 127.0.0.1
	return s
}

// URL is the address to use as webhook.Sender's URL.
func (s *Server) URL() string { return s.http.URL + Path }

// Close stops the server and waits for requests in flight; answers held
// back by Slow are cut short.
func (s *Server) Close() {
	s.Injector.Close()
	s.http.Close()
}

// Messages returns every accepted message, oldest first, each id once.
func (s *Server) Messages() []Message {
	return s.received.All()
}

// Duplicates is how many requests repeated an id already accepted; they
// were answered 200 and not recorded again.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

// Refused is how many requests were answered 401 for a missing or wrong
// signature or a stale timestamp.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Next returns the oldest message not yet returned by Next or Wait,
// blocking until one arrives or ctx is done.
func (s *Server) Next(ctx context.Context) (Message, error) {
	return s.received.Take(ctx, func(Message) bool { return true })
}

// Wait returns the oldest message to the number to that was not yet
// returned by Next or Wait, blocking until one arrives or ctx is done.
func (s *Server) Wait(ctx context.Context, to string) (Message, error) {
	return s.received.Take(ctx, func(m Message) bool { return m.To == to })
}

// FailNext makes the next correctly signed request fail with status
// (without recording its message) and, if retryAfter is positive, a
// Retry-After header of that many seconds, rounded up. Calls queue up:
// each failure is used once, in order.
func (s *Server) FailNext(status int, retryAfter time.Duration) {
	s.failNext.Push(fault{status: status, retryAfter: retryAfter})
}

func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
		return
	}
	err = webhook.Verify(s.secret, r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader),
		body, time.Now(), webhook.DefaultTolerance)
	if err != nil {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "want application/json"})
		return
	}
	var m webhook.Message
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || dec.More() || m.ID == "" || m.To == "" || m.Body == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a JSON object with id, to and body"})
		return
	}
	if f, ok := s.failNext.Next(); ok {
		fail(w, f.status, f.retryAfter)
		return
	}
	secs, _ := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64) // Verify checked it

	s.mu.Lock()
	if s.seen[m.ID] {
		s.duplicates++
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"id": m.ID, "status": "duplicate"})
		return
	}
	// Recorded before answering, so a test that saw the 2xx also sees
	// the message in Messages.
	s.seen[m.ID] = true
	s.mu.Unlock()
	s.received.Add(Message{ID: m.ID, To: m.To, Body: m.Body, Timestamp: time.Unix(secs, 0)})
	writeJSON(w, http.StatusAccepted, map[string]string{"id": m.ID, "status": "accepted"})
}

func fail(w http.ResponseWriter, status int, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
	}
	msg := http.StatusText(status)
	if msg == "" {
		msg = "failure"
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // #nosec G104 -- test server: a failed write means the client hung up
}
