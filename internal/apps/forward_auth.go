package apps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/providerportal/portal/internal/store"
)

// Lister is what ForwardAuthHosts reads: the registered applications.
type Lister interface {
	ListApplications(ctx context.Context) ([]store.Application, error)
}

// ForwardAuthHosts answers, from the registry, whether a host belongs to
// an application registered for forward-auth (`portal app create
// --forward-auth-host`) that is not disabled: the only hosts besides the
// portal's own that the login sends a person back to. It is asked once a
// login, never for each request /auth/verify answers.
type ForwardAuthHosts struct{ Apps Lister }

// ForwardAuthAllowed reports whether host is a forward-auth host of an
// enabled application, exactly as registered: a lower-case name, with
// ":port" when the port is not the scheme's default (a host registered
// without a port is reached on the default one only).
func (f ForwardAuthHosts) ForwardAuthAllowed(ctx context.Context, host string) (bool, error) {
	host = strings.ToLower(host)
	return f.anyEnabled(ctx, func(a *store.Application) bool { return slices.Contains(a.ForwardAuthHosts, host) })
}

// anyEnabled reports whether an enabled application matches.
func (f ForwardAuthHosts) anyEnabled(ctx context.Context, match func(a *store.Application) bool) (bool, error) {
	list, err := f.Apps.ListApplications(ctx)
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
func (f ForwardAuthHosts) ForwardAuthAdminsOnly(ctx context.Context, host string) (bool, error) {
	host = strings.ToLower(host)
	return f.anyEnabled(ctx, func(a *store.Application) bool {
		return a.AdminsOnly && len(a.ForwardAuthHosts) > 0 && (host == "" || slices.Contains(a.ForwardAuthHosts, host))
	})
}
