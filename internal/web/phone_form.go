package web

import "net/http"

// phoneForm is a form with a new phone number: Send Verification Code on
// Update Phone Number, and Update on My Details, which also takes the
// password when the login is too old. The number is checked by the login
// service, by the rules of every number; the password is never shown
// back.
type phoneForm struct {
	Phone        string
	password     string
	passwordSent bool // the form had a password field
}

// readPhoneForm reads a parsed phone number form.
func readPhoneForm(r *http.Request) phoneForm {
	_, sent := r.PostForm["password"]
	return phoneForm{Phone: r.PostForm.Get("phone"), password: r.PostForm.Get("password"), passwordSent: sent}
}
