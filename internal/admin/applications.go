package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/store"
)

// The registry of applications, for the console's Applications page and
// the `portal app` commands: each change is authorized as every console
// action is, and audited.

// ErrNoApplication: no application has that client_id.
var ErrNoApplication = errors.New("admin: no such application")

// CreateApplication registers an application. It returns it and, for a
// confidential client, its secret: shown once, never stored.
func (s *Service) CreateApplication(ctx context.Context, a Actor, r apps.Registration) (*store.Application, string, error) {
	if err := s.Authorize(a); err != nil {
		return nil, "", err
	}
	if err := r.Validate(); err != nil {
		var p *apps.Problem
		if errors.As(err, &p) {
			return nil, "", invalid(p.Field, p.Message)
		}
		return nil, "", err
	}
	app, secret := apps.New(r, s.Login.Clock.Now())
	if err := s.Store.CreateApplication(ctx, app); err != nil {
		return nil, "", fmt.Errorf("admin: create application: %w", err)
	}
	kind := "confidential"
	if app.Public {
		kind = "public"
	}
	s.Login.Audit(ctx, "admin.app_created", "success", a.id(), 0, a.Client,
		fmt.Sprintf("%s (%s, client_id %s)", app.Name, kind, app.ClientID))
	return app, secret, nil
}

// Applications lists every application.
func (s *Service) Applications(ctx context.Context, a Actor) ([]store.Application, error) {
	if err := s.Authorize(a); err != nil {
		return nil, err
	}
	list, err := s.Store.ListApplications(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: list applications: %w", err)
	}
	return list, nil
}

// application finds the application acted on, after checking the actor
// and the reason (tidied, as every action's).
func (s *Service) application(ctx context.Context, a Actor, clientID, reason string) (*store.Application, string, error) {
	reason, err := s.authorizedWith(a, reason)
	if err != nil {
		return nil, "", err
	}
	app, err := s.Store.ApplicationByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", ErrNoApplication
	}
	if err != nil {
		return nil, "", fmt.Errorf("admin: application: %w", err)
	}
	return app, reason, nil
}

// RotateSecret gives a confidential application a new secret, returned
// once; the old one stops working at once. The reason is audited.
func (s *Service) RotateSecret(ctx context.Context, a Actor, clientID, reason string) (string, error) {
	app, reason, err := s.application(ctx, a, clientID, reason)
	if err != nil {
		return "", err
	}
	if app.Public {
		return "", nothingToDo("This application is public: it has no secret to rotate.")
	}
	secret := apps.NewSecret()
	if err := s.Store.SetApplicationSecret(ctx, app.ClientID, apps.HashSecret(secret)); err != nil {
		return "", fmt.Errorf("admin: rotate secret: %w", err)
	}
	s.Login.Audit(ctx, "admin.app_secret_rotated", "success", a.id(), 0, a.Client,
		fmt.Sprintf("%s (client_id %s); reason: %s", app.Name, app.ClientID, reason))
	return secret, nil
}

// DisableApplication stops an application from signing anyone in and
// revokes every token issued to it. The reason is audited.
func (s *Service) DisableApplication(ctx context.Context, a Actor, clientID, reason string) error {
	app, reason, err := s.application(ctx, a, clientID, reason)
	if err != nil {
		return err
	}
	if app.Disabled() {
		return nothingToDo("This application is already disabled.")
	}
	now := s.Login.Clock.Now()
	if err := s.Store.DisableApplication(ctx, app.ClientID, now); err != nil {
		return fmt.Errorf("admin: disable application: %w", err)
	}
	s.Login.Audit(ctx, "admin.app_disabled", "success", a.id(), 0, a.Client,
		fmt.Sprintf("%s (client_id %s); reason: %s", app.Name, app.ClientID, reason))
	return nil
}
