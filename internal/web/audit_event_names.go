package web

// eventTitles are the audit events' names as the console shows them: what
// happened, in words, instead of the type the portal records. Every type
// the portal writes has one (TestEveryAuditEventHasAName reads the code
// that writes them).
var eventTitles = map[string]string{
	"login":                "Logged in",
	"logout":               "Logged out",
	"login.password":       "Password entered",
	"login.email_fallback": "Code sent to email instead of phone",
	"login.reauthenticate": "Password entered again for a sensitive step",
	"login.step_up":        "Password and code entered again for the console",
	"login.device_void":    "Browser no longer recognised after wrong passwords",

	"code.sent":         "Code sent",
	"code.verify":       "Code entered",
	"code.delivery":     "Code delivery ended",
	"code.carried_over": "Code still valid carried over to a new login",

	"phone.registered": "Phone number registered",
	"phone.changed":    "Phone number changed",

	"password.reset_requested": "Password reset requested",
	"password.set":             "Password set",
	"password.rehashed":        "Password stored with stronger hashing",

	"account.created": "Account created",
	"account.locked":  "Account locked",

	"admin.user_created":        "User created by an administrator",
	"admin.mfa_disabled":        "MFA disabled temporarily",
	"admin.mfa_enabled":         "MFA enabled again",
	"admin.mfa_override":        "MFA requirement changed for this user",
	"admin.phone_changed":       "Phone number changed by an administrator",
	"admin.unlocked":            "Account unlocked",
	"admin.password_reset_sent": "Password reset link sent by an administrator",
	"admin.sessions_ended":      "Logged out everywhere by an administrator",
	"admin.deactivated":         "Account deactivated",
	"admin.reactivated":         "Account reactivated",
	"admin.role_granted":        "Made an administrator",
	"admin.role_removed":        "Administrator role removed",
	"admin.mfa_policy":          "MFA policy changed",
	"admin.app_created":         "Application created",
	"admin.app_secret_rotated":  "Application secret rotated",
	"admin.app_disabled":        "Application disabled",
}

// eventTitle is the human name of an audit event type; a type without
// one (written by a later version, say) is shown as it is recorded.
func eventTitle(event string) string {
	if t, ok := eventTitles[event]; ok {
		return t
	}
	return event
}
