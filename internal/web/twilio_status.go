package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/providerportal/portal/internal/delivery/twilio"
	"github.com/providerportal/portal/internal/store"
)

// TwilioStatusPath receives Twilio's status callbacks (delivery receipts).
const TwilioStatusPath = "/hooks/twilio/status"

// twilioStatus applies a Twilio status callback to the message it names.
// Only callbacks signed with the account's auth token over the portal's
// public URL are believed; others get 403 and change nothing. Its form
// was parsed by readableInput, as every POST's.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request) {
	url := s.baseURL.String() + TwilioStatusPath
	if !twilio.ValidateSignature(s.receipts.TwilioAuthToken, url, r.PostForm, r.Header.Get(twilio.SignatureHeader)) {
		s.log.Warn("twilio status callback refused: bad signature", "id", requestID(r.Context()))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	u, err := twilio.ParseStatusCallback(r.PostForm)
	if errors.Is(err, twilio.ErrUntrackedStatus) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var status store.MessageStatus
	switch {
	case u.Status == twilio.StatusDelivered:
		status = store.MessageDelivered
	case u.Failed():
		status = store.MessageFailed
	default:
		// queued, sending, sent: Twilio has it; the message is sent
		// already as far as the outbox is concerned.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	detail := ""
	if u.ErrorCode != 0 {
		detail = "Twilio error " + strconv.Itoa(u.ErrorCode)
	}
	err = s.receipts.Dispatch.Receipt(r.Context(), s.receipts.TwilioProvider, u.MessageSID, status, detail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.WriteHeader(http.StatusNoContent) // not ours, or long gone: nothing to do
	case err != nil:
		s.log.Error("twilio status callback", "id", requestID(r.Context()), "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
