package main

import (
	"context"
	"errors"
	"io"

	"github.com/providerportal/portal/internal/admin"
	"github.com/providerportal/portal/internal/apps"
	"github.com/providerportal/portal/internal/bench"
	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/delivery"
)

// benchCommand is `portal bench` (package bench), on a portal wired by App
// as `portal serve` wires it.
func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := bench.Command(ctx, args, startBenchPortal, getenv, stdout, stderr)
	if errors.Is(err, bench.ErrUsage) {
		return errUsage
	}
	return err
}

// startBenchPortal is the bench's Starter: the collector tuned, the App
// opened and listening on cfg's address, text messages to the local outbox
// sent through tap.
func startBenchPortal(ctx context.Context, cfg *config.Config, logw io.Writer, tap func(delivery.SMSSender) delivery.SMSSender) (*bench.Portal, error) {
	gogc, limit := tuneGC()
	app := &App{Config: cfg, Log: newLogger(cfg, logw)}
	if err := app.Listen(); err != nil {
		return nil, err
	}
	closeAll := func() error {
		app.listener.Close() // #nosec G104 -- closed already once served; before that, closing is best effort
		return app.Close()
	}
	cfg.BaseURL = "http://" + app.Addr()
	if err := app.Open(ctx); err != nil {
		closeAll() // #nosec G104 -- start-up failed with the error returned; closing is best effort
		return nil, err
	}
	for i, p := range app.Dispatch.SMS {
		if app.Outbox != nil && p.Sender == delivery.SMSSender(app.Outbox) {
			app.Dispatch.SMS[i].Sender = tap(app.Outbox)
		}
	}
	return &bench.Portal{
		BaseURL: cfg.BaseURL,
		Store:   app.DB,
		Rules:   app.Login.Rules,
		RegisterApp: func(ctx context.Context, r apps.Registration) (string, string, error) {
			a, secret, err := app.Admin.CreateApplication(ctx, admin.Operator(), r)
			if err != nil {
				return "", "", err
			}
			return a.ClientID, secret, nil
		},
		GOGC:        gogc,
		MemoryLimit: limit,
		Serve:       app.Serve,
		Close:       closeAll,
	}, nil
}
