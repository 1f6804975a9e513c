package twilio_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/delivery/twiliotest"
)

// The known vectors below are those of Twilio's official Go library,
// github.com/twilio/twilio-go, client/request_validator_test.go (the same
// URL, token "12345", parameters and signature RSOYDt4T1cUTdK1PDd93/VVr8B8=
// appear in Twilio's request-validation documentation,
// https://www.twilio.com/docs/usage/security#validating-requests).
const (
	vectorToken = "12345"
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorSig   = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func vectorParams() url.Values {
	return url.Values{
		"Digits":  {"1234"},
		"CallSid": {"CA1234567890ABCDE"},
		"To":      {"+18005551212"},
		"Caller":  {"+14158675309"},
		"From":    {"+14158675309"},
	}
}

func TestValidateSignatureTwilioVectors(t *testing.T) {
	const bodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	tests := []struct {
		name string
		url  string
		form url.Values
		sig  string
	}{
		{"documented example", vectorURL, vectorParams(), vectorSig},
		{"URL has a port, signature made without it",
			strings.Replace(vectorURL, ".com", ".com:1234", 1), vectorParams(), vectorSig},
		{"signature made with :443, URL without a port",
			vectorURL, vectorParams(), "kvajT1Ptam85bY51eRf/AJRuM3w="},
		{"http, signature made with :80",
			strings.Replace(vectorURL, "https", "http", 1), vectorParams(), "0ZXoZLH/DfblKGATFgpif+LLRf4="},
		{"http, signature made with the URL's own port",
			strings.Replace(strings.Replace(vectorURL, ".com", ".com:1234", 1), "https", "http", 1),
			vectorParams(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="},
		{"no parameters (the URL carries bodySHA256)",
			vectorURL + "&bodySHA256=" + bodyHash, nil, "a9nBmqA0ju/hNViExpshrM61xv4="},
		{"no parameters, one query parameter",
			"https://mycompany.com/myapp.php?bodySHA256=" + bodyHash, url.Values{}, "y77kIzt2vzLz71DgmJGsen2scGs="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !twilio.ValidateSignature(vectorToken, tt.url, tt.form, tt.sig) {
				t.Errorf("ValidateSignature(%q) = false, want true", tt.url)
			}
		})
	}
}

func TestValidateSignatureRefuses(t *testing.T) {
	changed := func(change func(url.Values)) url.Values {
		v := vectorParams()
		change(v)
		return v
	}
	tests := []struct {
		name, token, url string
		form             url.Values
		sig              string
	}{
		{"wrong signature", vectorToken, vectorURL, vectorParams(), "WRONG SIGNATURE"},
		{"empty signature", vectorToken, vectorURL, vectorParams(), ""},
		{"empty token", "", vectorURL, vectorParams(), vectorSig},
		{"other token", "12346", vectorURL, vectorParams(), vectorSig},
		{"value changed", vectorToken, vectorURL, changed(func(v url.Values) { v.Set("Digits", "1235") }), vectorSig},
		{"parameter added", vectorToken, vectorURL, changed(func(v url.Values) { v.Set("ErrorCode", "30003") }), vectorSig},
		{"parameter removed", vectorToken, vectorURL, changed(func(v url.Values) { v.Del("Caller") }), vectorSig},
		// (Moving characters between a name and its value, Digit=s1234
		// for Digits=1234, keeps the signature: Twilio's scheme has no
		// separators. ParseStatusCallback reads only exact names.)
		{"query changed", vectorToken, "https://mycompany.com/myapp.php?foo=1&bar=3", vectorParams(), vectorSig},
		{"query dropped", vectorToken, "https://mycompany.com/myapp.php", vectorParams(), vectorSig},
		{"path changed", vectorToken, "https://mycompany.com/other.php?foo=1&bar=2", vectorParams(), vectorSig},
		{"host changed", vectorToken, "https://evil.example/myapp.php?foo=1&bar=2", vectorParams(), vectorSig},
		{"scheme changed", vectorToken, "http://mycompany.com/myapp.php?foo=1&bar=2", vectorParams(), vectorSig},
		{"another non-standard port is not the standard one", vectorToken,
			"http://mycompany.com:8080/myapp.php?foo=1&bar=2", vectorParams(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="},
		{"signature with trailing space", vectorToken, vectorURL, vectorParams(), vectorSig + " "},
		{"signature in other case", vectorToken, vectorURL, vectorParams(), strings.ToLower(vectorSig)},
		{"signature truncated", vectorToken, vectorURL, vectorParams(), vectorSig[:len(vectorSig)-1]},
		{"unparsable URL", vectorToken, "https://mycompany.com:port/myapp.php", vectorParams(), vectorSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if twilio.ValidateSignature(tt.token, tt.url, tt.form, tt.sig) {
				t.Errorf("ValidateSignature accepted it")
			}
		})
	}
}

// The test server signs with an implementation of its own; the two must
// agree, including on repeated names, user info and IPv6 hosts.
func TestValidateSignatureAgreesWithTestServer(t *testing.T) {
	forms := []url.Values{
		{},
		{"MessageSid": {"SM0123"}, "MessageStatus": {"delivered"}},
		{"To": {"+1"}, "ToCity": {"X"}, "Tag": {"b", "a", "b"}},
		{"Body": {"héllo & goodbye=\n"}, "": {"empty name"}},
	}
	urls := []string{
		"https://portal.example/sms/status",
		"https://portal.example:8443/sms/status?instance=2",
		"http://user:pass@127.0.0.1:8080/cb",
		"http://[::1]/cb#frag",
		"https://portal.example",
	}
	for _, u := range urls {
		for _, f := range forms {
			sig := twiliotest.Signature("token", u, f)
			if !twilio.ValidateSignature("token", u, f, sig) {
				t.Errorf("signature of %q with %v refused", u, f)
			}
			if twilio.ValidateSignature("other", u, f, sig) {
				t.Errorf("signature of %q accepted with another token", u)
			}
		}
	}
	// With and without the standard port, both ways round.
	pairs := [][2]string{
		{"https://portal.example/cb", "https://portal.example:443/cb"},
		{"http://portal.example/cb?x=1", "http://portal.example:80/cb?x=1"},
		{"http://[::1]/cb", "http://[::1]:80/cb"},
		{"https://u:p@portal.example/cb", "https://u:p@portal.example:443/cb"},
	}
	form := url.Values{"MessageStatus": {"sent"}}
	for _, p := range pairs {
		if !twilio.ValidateSignature("token", p[0], form, twiliotest.Signature("token", p[1], form)) {
			t.Errorf("%s refused a signature made for %s", p[0], p[1])
		}
		if !twilio.ValidateSignature("token", p[1], form, twiliotest.Signature("token", p[0], form)) {
			t.Errorf("%s refused a signature made for %s", p[1], p[0])
		}
	}
}

const testSMSID = "SM0123456789abcdef0123456789abcdef"

func TestParseStatusCallback(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want twilio.StatusUpdate
	}{
		{"delivered", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"delivered"}, "SmsStatus": {"delivered"}},
			twilio.StatusUpdate{MessageSID: testSMSID, Status: twilio.StatusDelivered}},
		{"undelivered with code", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}},
			twilio.StatusUpdate{MessageSID: testSMSID, Status: twilio.StatusUndelivered, ErrorCode: 30003}},
		{"failed", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"failed"}, "ErrorCode": {"30008"}},
			twilio.StatusUpdate{MessageSID: testSMSID, Status: twilio.StatusFailed, ErrorCode: 30008}},
		{"queued", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"queued"}},
			twilio.StatusUpdate{MessageSID: testSMSID, Status: twilio.StatusQueued}},
		{"sending", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"sending"}, "ErrorCode": {""}},
			twilio.StatusUpdate{MessageSID: testSMSID, Status: twilio.StatusSending}},
		{"sent, MMS", url.Values{"MessageSid": {"MM0123456789ABCDEF0123456789ABCDEF"}, "MessageStatus": {"sent"}},
			twilio.StatusUpdate{MessageSID: "MM0123456789ABCDEF0123456789ABCDEF", Status: twilio.StatusSent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := twilio.ParseStatusCallback(tt.form)
			if err != nil || got != tt.want {
				t.Errorf("ParseStatusCallback = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}

	bad := []struct {
		name string
		form url.Values
	}{
		{"empty", url.Values{}},
		{"no sid", url.Values{"MessageStatus": {"delivered"}}},
		{"short sid", url.Values{"MessageSid": {"SM123"}, "MessageStatus": {"delivered"}}},
		{"account sid", url.Values{"MessageSid": {"AC0123456789abcdef0123456789abcdef"}, "MessageStatus": {"delivered"}}},
		{"sid not hex", url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdeg"}, "MessageStatus": {"delivered"}}},
		{"no status", url.Values{"MessageSid": {testSMSID}}},
		{"unknown status", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"Delivered"}}},
		{"negative code", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"failed"}, "ErrorCode": {"-1"}}},
		{"signed code", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"failed"}, "ErrorCode": {"+30003"}}},
		{"code not a number", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"failed"}, "ErrorCode": {"30003x"}}},
		{"code too long", url.Values{"MessageSid": {testSMSID}, "MessageStatus": {"failed"}, "ErrorCode": {"99999999999999999999"}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := twilio.ParseStatusCallback(tt.form)
			if err == nil || errors.Is(err, twilio.ErrUntrackedStatus) || got != (twilio.StatusUpdate{}) {
				t.Errorf("ParseStatusCallback = %+v, %v; want a zero update and an error", got, err)
			}
		})
	}

	for _, status := range []string{"accepted", "scheduled", "canceled", "read", "partially_delivered"} {
		got, err := twilio.ParseStatusCallback(url.Values{"MessageSid": {testSMSID}, "MessageStatus": {status}})
		if !errors.Is(err, twilio.ErrUntrackedStatus) || got.MessageSID != testSMSID || got.Status != status {
			t.Errorf("status %s: ParseStatusCallback = %+v, %v; want the update and ErrUntrackedStatus", status, got, err)
		}
	}
}

func TestStatusUpdateFinalFailed(t *testing.T) {
	tests := []struct {
		status        string
		final, failed bool
	}{
		{twilio.StatusQueued, false, false},
		{twilio.StatusSending, false, false},
		{twilio.StatusSent, false, false},
		{twilio.StatusDelivered, true, false},
		{twilio.StatusUndelivered, true, true},
		{twilio.StatusFailed, true, true},
	}
	for _, tt := range tests {
		u := twilio.StatusUpdate{MessageSID: testSMSID, Status: tt.status}
		if u.Final() != tt.final || u.Failed() != tt.failed {
			t.Errorf("%s: Final = %v, Failed = %v; want %v, %v", tt.status, u.Final(), u.Failed(), tt.final, tt.failed)
		}
	}
}

func FuzzParseStatusCallback(f *testing.F) {
	f.Add("MessageSid=" + testSMSID + "&MessageStatus=delivered")
	f.Add("MessageSid=" + testSMSID + "&MessageStatus=undelivered&ErrorCode=30003")
	f.Add("MessageSid=" + testSMSID + "&MessageStatus=accepted")
	f.Add("MessageSid=SM1&MessageStatus=failed&ErrorCode=-5")
	f.Add("MessageSid=" + testSMSID + "&MessageStatus=failed&ErrorCode=9999999999&ErrorCode=1")
	f.Add("%zz=1&;")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		u, err := twilio.ParseStatusCallback(form)
		if err != nil && !errors.Is(err, twilio.ErrUntrackedStatus) {
			if u != (twilio.StatusUpdate{}) {
				t.Fatalf("error %v with a non-zero update %+v", err, u)
			}
			return
		}
		if u.MessageSID != form.Get("MessageSid") || len(u.MessageSID) != 34 {
			t.Fatalf("MessageSID = %q from %q", u.MessageSID, form.Get("MessageSid"))
		}
		if u.Status != form.Get("MessageStatus") || u.ErrorCode < 0 {
			t.Fatalf("update %+v from %v", u, form)
		}
		if err == nil {
			switch u.Status {
			case "queued", "sending", "sent", "delivered", "undelivered", "failed":
			default:
				t.Fatalf("accepted status %q", u.Status)
			}
		}
	})
}

// FuzzValidateSignature: the signature Twilio computes for a request
// always validates, one made with another token or for another body never
// does, and nothing panics on any URL, body or header.
func FuzzValidateSignature(f *testing.F) {
	f.Add(vectorToken, vectorURL, "Digits=1234&To=%2B18005551212", vectorSig)
	f.Add("token", "https://portal.example.org:8443/twilio/status?x=1", "MessageSid=SM1&MessageStatus=sent&MessageStatus=sent", "")
	f.Add("token", "http://[::1]:80/", "a=1&a=2&b", "AAAA")
	f.Add("", "://", "%zz", "=")
	f.Fuzz(func(t *testing.T, token, rawURL, body, sig string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			form = url.Values{}
		}
		ok := twilio.ValidateSignature(token, rawURL, form, sig)
		if ok && (token == "" || sig == "") {
			t.Fatal("an empty token or signature validated")
		}
		if token == "" {
			return
		}
		good := twiliotest.Signature(token, rawURL, form)
		if !twilio.ValidateSignature(token, rawURL, form, good) {
			t.Fatalf("Twilio's own signature for %q %q did not validate", rawURL, body)
		}
		if twilio.ValidateSignature(token+"x", rawURL, form, good) {
			t.Fatal("a signature made with another token validated")
		}
		other := url.Values{}
		for k, v := range form {
			other[k] = v
		}
		other.Add("Forged", "1")
		if twilio.ValidateSignature(token, rawURL, other, good) {
			t.Fatal("a signature validated for a body with a parameter added")
		}
	})
}
