package twilio

// permanentCodes are Twilio REST API error codes that describe the
// recipient, not the moment: sending the same message again cannot work,
// so the portal gives up on this number (and offers email) at once. Twilio
// normally answers them with a 400, but they count as permanent whatever
// the HTTP status. See https://www.twilio.com/docs/api/errors/<code>.
//
// The 30003–30008 range is deliberately absent: those are delivery errors
// that arrive later in status callbacks (StatusUpdate.ErrorCode), not
// answers to the API request, and several of them (unreachable handset,
// carrier trouble) are worth another try later.
var permanentCodes = map[int]string{
	21211: "invalid 'To' phone number",
	21214: "'To' phone number cannot be reached",
	21217: "phone number does not appear to be valid",
	21408: "permission to send an SMS has not been enabled for the region",
	21610: "recipient unsubscribed (replied STOP)",
	21612: "'To' number cannot be reached with this 'From' (unroutable)",
	21614: "'To' number is not a valid mobile number",
}

// PermanentCode reports whether Twilio error code is one that retrying
// cannot fix, whatever HTTP status it came with.
func PermanentCode(code int) bool {
	_, ok := permanentCodes[code]
	return ok
}
