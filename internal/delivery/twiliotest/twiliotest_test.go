package twiliotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
	"github.com/providerportal/portal/internal/tabletest"
)

const (
	sid   = "AC00000000000000000000000000000001"
	token = "secret"
)

// post sends a raw form the way any Twilio client would, so the server is
// tested on its own and not only through our twilio package.
func post(t *testing.T, srv *twiliotest.Server, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		srv.URL()+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

func TestCreateMessage(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %s, want loopback", srv.URL())
	}

	status, body := post(t, srv, sid, token, url.Values{
		"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"code 123456"},
	})
	if status != http.StatusCreated {
		t.Fatalf("status = %d, body %v", status, body)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || body["sid"] != msgs[0].SID || body["status"] != "queued" ||
		body["to"] != "+14155550123" || body["from"] != "+15005550006" || body["body"] != "code 123456" ||
		body["account_sid"] != sid || body["date_created"] == nil {
		t.Errorf("response %v does not match recorded %+v", body, msgs)
	}
	if s, _ := body["sid"].(string); len(s) != 34 || !strings.HasPrefix(s, "SM") {
		t.Errorf("sid = %q, want SM + 32 hex digits", s)
	}
}

func TestCreateMessageRejects(t *testing.T) {
	valid := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}}
	without := func(key string) url.Values {
		v := url.Values{}
		for k, vs := range valid {
			if k != key {
				v[k] = vs
			}
		}
		return v
	}
	tests := []struct {
		name       string
		user, pass string
		form       url.Values
		status     int
		code       float64
	}{
		{"wrong token", sid, "nope", valid, 401, 20003},
		{"wrong user", "AC9", token, valid, 401, 20003},
		{"no To", sid, token, without("To"), 400, 21604},
		{"invalid To", sid, token, url.Values{"To": {"555-0123"}, "From": {"+15005550006"}, "Body": {"hi"}}, 400, 21211},
		{"no From", sid, token, without("From"), 400, 21603},
		{"no Body", sid, token, without("Body"), 400, 21602},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.NewServer(sid, token)
			defer srv.Close()
			status, body := post(t, srv, tt.user, tt.pass, tt.form)
			if status != tt.status || body["code"] != tt.code || body["message"] == "" {
				t.Errorf("got %d %v, want %d with code %v", status, body, tt.status, tt.code)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("recorded %d messages", n)
			}
		})
	}
}

func TestFailNextQueue(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	srv.FailNext(400, 21211, "Invalid 'To' Phone Number")
	srv.FailNext(503, 20500, "Service unavailable")
	form := url.Values{"To": {"+14155550123"}, "MessagingServiceSid": {"MG1"}, "Body": {"hi"}}

	for _, want := range []int{400, 503, 201} {
		if status, body := post(t, srv, sid, token, form); status != want {
			t.Fatalf("status = %d (%v), want %d", status, body, want)
		}
	}
	if m := srv.Messages(); len(m) != 1 || m[0].MessagingServiceSid != "MG1" {
		t.Errorf("Messages = %+v", m)
	}
}

func TestNextAndWait(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	send := func(to, body string) {
		post(t, srv, sid, token, url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {body}})
	}

	got := make(chan twiliotest.Message, 1)
	go func() {
		m, err := srv.Wait(context.Background(), "+14155550002")
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	send("+14155550001", "first 111111")
	send("+14155550002", "second 222222")
	if m := <-got; m.Body != "second 222222" {
		t.Errorf("Wait returned %+v", m)
	}

	// Next skips what Wait already took.
	m, err := srv.Next(t.Context())
	if err != nil || m.Body != "first 111111" {
		t.Fatalf("Next = %+v, %v", m, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := srv.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with nothing left = %v, want deadline exceeded", err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("Messages has %d, want 2 (taking does not remove)", n)
	}
}

func TestAccount(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	get := func(user, pass, account string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet,
			srv.URL()+"/2010-04-01/Accounts/"+account+".json", nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(sid, token, sid); got != 200 {
		t.Errorf("GET account = %d", got)
	}
	if got := get(sid, "bad", sid); got != 401 {
		t.Errorf("GET account with bad token = %d", got)
	}
	if got := get(sid, token, "AC2"); got != 404 {
		t.Errorf("GET other account = %d", got)
	}
}

func TestExtractCode(t *testing.T) {
	tabletest.Check(t, "ExtractCode", twiliotest.ExtractCode, map[string]string{
		"Your Provider Portal code is 493027.":               "493027",
		"493027 is your code":                                "493027",
		"Call +14155550123 if this wasn't you. Code: 000123": "000123",
		"@portal.example #654321":                            "654321",
		"12345 or 1234567":                                   "",
		"":                                                   "",
		"Code 123456, ref 654321":                            "123456",
		"Café code 112233":                                   "112233",
	})
}

// callbackReceiver records the status callbacks it gets and answers with
// status.
type callbackReceiver struct {
	*httptest.Server
	got chan *http.Request // with PostForm parsed
}

func newCallbackReceiver(t *testing.T, status int) *callbackReceiver {
	t.Helper()
	rec := &callbackReceiver{got: make(chan *http.Request, 10)}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("callback form: %v", err)
		}
		rec.got <- r
		w.WriteHeader(status)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func TestDeliver(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	rec := newCallbackReceiver(t, http.StatusNoContent)
	callback := rec.URL + "/sms/status?instance=1"

	_, body := post(t, srv, sid, token, url.Values{
		"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"code 123456"}, "StatusCallback": {callback},
	})
	msgSID := body["sid"].(string)

	if err := srv.Deliver(t.Context(), msgSID, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	r := <-rec.got
	if r.Method != http.MethodPost || r.URL.Path != "/sms/status" || r.URL.Query().Get("instance") != "1" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("callback %s %s, Content-Type %q", r.Method, r.URL, r.Header.Get("Content-Type"))
	}
	want := url.Values{
		"AccountSid": {sid}, "ApiVersion": {"2010-04-01"},
		"MessageSid": {msgSID}, "MessageStatus": {"undelivered"},
		"SmsSid": {msgSID}, "SmsStatus": {"undelivered"},
		"From": {"+15005550006"}, "To": {"+14155550123"}, "ErrorCode": {"30003"},
	}
	if fmt.Sprint(r.PostForm) != fmt.Sprint(want) {
		t.Errorf("callback form = %v\nwant %v", r.PostForm, want)
	}
	sig := r.Header.Get(twilio.SignatureHeader)
	if !twilio.ValidateSignature(token, callback, r.PostForm, sig) {
		t.Errorf("twilio.ValidateSignature refused the callback's signature %q", sig)
	}
	if twilio.ValidateSignature("other-token", callback, r.PostForm, sig) {
		t.Error("the signature validates with another token")
	}
	u, err := twilio.ParseStatusCallback(r.PostForm)
	if err != nil || u != (twilio.StatusUpdate{MessageSID: msgSID, Status: "undelivered", ErrorCode: 30003}) {
		t.Errorf("ParseStatusCallback = %+v, %v", u, err)
	}

	// Without an error code there is no ErrorCode parameter.
	if err := srv.Deliver(t.Context(), msgSID, "delivered", 0); err != nil {
		t.Fatal(err)
	}
	if r := <-rec.got; r.PostForm.Has("ErrorCode") || r.PostForm.Get("MessageStatus") != "delivered" {
		t.Errorf("delivered callback form = %v", r.PostForm)
	}
}

func TestDeliverMessagingService(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	rec := newCallbackReceiver(t, http.StatusOK)
	_, body := post(t, srv, sid, token, url.Values{
		"To": {"+14155550123"}, "MessagingServiceSid": {"MG1"}, "Body": {"hi"}, "StatusCallback": {rec.URL},
	})
	if err := srv.Deliver(t.Context(), body["sid"].(string), "sent", 0); err != nil {
		t.Fatal(err)
	}
	r := <-rec.got
	if r.PostForm.Get("MessagingServiceSid") != "MG1" || r.PostForm.Has("From") {
		t.Errorf("callback form = %v, want MessagingServiceSid and no From", r.PostForm)
	}
	if !twilio.ValidateSignature(token, rec.URL, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		t.Error("signature refused")
	}
}

func TestDeliverErrors(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	refusing := newCallbackReceiver(t, http.StatusForbidden)

	if err := srv.Deliver(t.Context(), "SM0", "delivered", 0); err == nil {
		t.Error("Deliver of an unknown message succeeded")
	}
	_, body := post(t, srv, sid, token, url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}})
	if err := srv.Deliver(t.Context(), body["sid"].(string), "delivered", 0); err == nil {
		t.Error("Deliver without a StatusCallback succeeded")
	}
	_, body = post(t, srv, sid, token, url.Values{
		"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}, "StatusCallback": {refusing.URL},
	})
	if err := srv.Deliver(t.Context(), body["sid"].(string), "delivered", 0); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("Deliver to a receiver answering 403 = %v, want an error naming 403", err)
	}
}

func TestSignatureKnownVector(t *testing.T) {
	// Twilio's documented example (https://www.twilio.com/docs/usage/security),
	// also in twilio-go's client/request_validator_test.go.
	got := twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"},
	})
	if got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("Signature = %q", got)
	}
}

func TestSlow(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	srv.Slow(300 * time.Millisecond)
	form := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}}

	start := time.Now()
	if status, _ := post(t, srv, sid, token, form); status != http.StatusCreated {
		t.Fatalf("status = %d", status)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("answered after %v, want at least 300ms", elapsed)
	}

	// A client that gives up first gets nothing, and nothing is sent.
	srv.Slow(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		srv.URL()+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sid, token)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("Messages has %d, want 1", n)
	}

	srv.Slow(0)
	start = time.Now()
	post(t, srv, sid, token, form)
	if elapsed := time.Since(start); elapsed > 200*time.Millisecond {
		t.Errorf("Slow(0) still answered after %v", elapsed)
	}
}

func TestCloseEndsSlowAnswers(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	srv.Slow(time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(srv.URL() + "/2010-04-01/Accounts/" + sid + ".json")
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the request arrive
	start := time.Now()
	srv.Close()
	<-done
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Close took %v", elapsed)
	}
}

func TestDownUp(t *testing.T) {
	srv := twiliotest.NewServer(sid, token)
	defer srv.Close()
	form := url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"hi"}}

	srv.Down(1500 * time.Millisecond)
	for _, pass := range []string{token, "wrong"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost,
			srv.URL()+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(sid, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || body["code"] != float64(20503) ||
			resp.Header.Get("Retry-After") != "2" {
			t.Errorf("while down: %d %v, Retry-After %q; want 503/20503 and Retry-After 2",
				resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	resp, err := http.Get(srv.URL() + "/2010-04-01/Accounts/" + sid + ".json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("account while down: %d", resp.StatusCode)
	}

	srv.Down()
	status, _ := post(t, srv, sid, token, form)
	if status != http.StatusServiceUnavailable {
		t.Errorf("Down(): status %d", status)
	}

	srv.Up()
	if status, _ := post(t, srv, sid, token, form); status != http.StatusCreated {
		t.Errorf("after Up: status %d", status)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("Messages has %d, want only the one sent while up", n)
	}
}
