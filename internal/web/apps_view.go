package web

// The views of the console's Applications pages.

// appsList is the Applications page, and the confirmation of an action on
// one of them.
type appsList struct {
	chrome
	AppList []appView
	Action  *actionConfirm
	Reason  string // as typed on Rotate secret's or Disable's confirmation
}

// newAppPage is Create application, as typed.
type newAppPage struct {
	chrome
	AppForm *appForm
}

// secretPage is the answer to a create or a rotation.
type secretPage struct {
	chrome
	NewApp *secretView
}
