package apps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/providerportal/portal/internal/clock"
	"github.com/providerportal/portal/internal/store"
)

// Lister is what ForwardAuthHosts reads: the registered applications.
type Lister interface {
	ListApplications(ctx context.Context) ([]store.Application, error)
}

// ForwardAuthMaxAge is how long the portal answers forward-auth from the
// list of applications it read: a change to the registry reaches every
// instance within it, as an ended session does.
const ForwardAuthMaxAge = time.Second

// ForwardAuthHosts answers, from the registry, whether a host belongs to
// an application registered for forward-auth (`portal app create
// --forward-auth-host`) that is not disabled: the only hosts besides the
// portal's own that the login sends a person back to; and whether it is
// for administrators only, which /auth/verify asks for each request of a
// person who is not one. So that this costs no query a request, the list
// of applications read is used for MaxAge: a registration, a disabling or
// a new --admins-only application is seen by every instance within MaxAge
// (the sessions themselves are never cached). The zero MaxAge reads the
// registry at each question.
type ForwardAuthHosts struct {
	Apps   Lister
	MaxAge time.Duration
	Clock  clock.Clock

	mu   sync.Mutex
	list []store.Application
	read time.Time // when list was read; zero: never
}

// ForwardAuthAllowed reports whether host is a forward-auth host of an
// enabled application, exactly as registered: a lower-case name, with
// ":port" when the port is not the scheme's default (a host registered
// without a port is reached on the default one only).
func (f *ForwardAuthHosts) ForwardAuthAllowed(ctx context.Context, host string) (bool, error) {
	host = strings.ToLower(host)
	return f.anyEnabled(ctx, func(a *store.Application) bool { return slices.Contains(a.ForwardAuthHosts, host) })
}

// anyEnabled reports whether an enabled application matches.
func (f *ForwardAuthHosts) anyEnabled(ctx context.Context, match func(a *store.Application) bool) (bool, error) {
	list, err := f.applications(ctx)
	if err != nil {
		return false, fmt.Errorf("apps: forward-auth hosts: %w", err)
	}
	for i := range list {
		if !list[i].Disabled() && match(&list[i]) {
			return true, nil
		}
	}
	return false, nil
}

// ForwardAuthAdminsOnly reports whether host is a forward-auth host of an
// enabled application restricted to administrators (`--admins-only`),
// matched as ForwardAuthAllowed matches it. With host "" (the proxy's
// word on the host was not believed) it reports whether any such
// application exists: not knowing which application is asked for, the
// answer must hold for the strictest.
func (f *ForwardAuthHosts) ForwardAuthAdminsOnly(ctx context.Context, host string) (bool, error) {
	host = strings.ToLower(host)
	return f.anyEnabled(ctx, func(a *store.Application) bool {
		return a.AdminsOnly && len(a.ForwardAuthHosts) > 0 && (host == "" || slices.Contains(a.ForwardAuthHosts, host))
	})
}

// applications is the registry's list, as read at most MaxAge ago. A
// failed read is not kept: the next question reads again.
func (f *ForwardAuthHosts) applications(ctx context.Context) ([]store.Application, error) {
	now := f.Clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.read.IsZero() && now.Sub(f.read) < f.MaxAge && !now.Before(f.read) {
		return f.list, nil
	}
	list, err := f.Apps.ListApplications(ctx)
	if err != nil {
		return nil, err
	}
	f.list, f.read = list, now
	return list, nil
}
