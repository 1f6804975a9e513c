package store

import "time"

// AccountChange is one change to an account (or, with UserID 0, to the
// portal's settings) as ChangeAccount writes it: the fields, the sessions
// it ends, its audit rows and the notices it queues, so that none stands
// without the others (a phone changed with no record, no notice, and the
// other sessions alive). Each field is written by the statement its own
// method (SetPhone, SetMFA, …) runs.
type AccountChange struct {
	UserID int64

	// ChallengeID, if set, is the code that proves the change: consumed at
	// At as ConsumeChallenge does it.
	ChallengeID int64
	At          time.Time

	// Session, if set, is the session making the change; it must still
	// exist. It is written back as UpdateSession writes it, or ended if
	// EndSession.
	Session    *Session
	EndSession bool

	// Phone, if set, becomes the account's phone; with PhoneWas set too,
	// only while the phone is still *PhoneWas (ErrConflict otherwise): a
	// registration (PhoneWas "") never replaces a phone registered since.
	Phone, PhoneWas  *string
	MFA              *MFAOverride
	MFADisabledUntil *time.Time // the zero time clears it
	Admin            *bool      // as SetAdmin: the last active administrator keeps it
	Deactivated      *bool      // as SetDeactivated
	ClearCodeLock    bool       // as ClearCodeLock
	ClearThrottle    string     // a throttle key to clear, as ClearThrottle; empty: none
	Setting          *Setting   // a portal-wide setting, as SetSetting
	Token            *Token     // an emailed link, as CreateToken

	// EndOthers ends the account's other sessions: all but Session, or
	// but Keep when Session is nil (an administrator acting on their own
	// account keeps the session they act from).
	EndOthers bool
	Keep      []byte

	// OIDCSubject, if set, ends the account's sessions at the
	// applications too, in the same transaction: its OpenID Connect
	// tokens are revoked and a back-channel logout of this subject is
	// queued, due at At, for each application among them with a
	// back-channel logout URI (as EndOIDCSessions), so that no crash
	// between the two leaves the applications untold.
	OIDCSubject string

	// Record, called in the transaction once the sessions are ended with
	// how many EndOthers ended, gives the audit events to append (their
	// IDs are set) and the messages to queue, sealed, as EnqueueMessage
	// does. It must not use the store. Nil: neither.
	Record func(ended int) ([]*AuditEvent, []*Message, error)
}
