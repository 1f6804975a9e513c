package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// applicationColumns is the column list scanApplication reads, in its order.
const applicationColumns = `id, client_id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
	backchannel_logout_uri, admins_only, forward_auth_hosts, disabled_at, created_at, id_token_alg`

func scanApplication(row Row) (*store.Application, error) {
	var a store.Application
	var redirects, postLogout, hosts string
	err := row.Scan(&a.ID, &a.ClientID, &a.Name, &a.SecretHash, &a.Public, &redirects, &postLogout,
		&a.BackchannelLogoutURI, &a.AdminsOnly, &hosts, ScanTime(&a.DisabledAt), ScanTime(&a.CreatedAt), &a.IDTokenAlg)
	if err != nil {
		return nil, err
	}
	a.RedirectURIs, a.PostLogoutRedirectURIs, a.ForwardAuthHosts =
		store.DecodeList(redirects), store.DecodeList(postLogout), store.DecodeList(hosts)
	return &a, nil
}

// CreateApplication inserts a and sets a.ID.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	err := db.w.QueryRow(ctx, `
		INSERT INTO applications (client_id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
			backchannel_logout_uri, admins_only, forward_auth_hosts, disabled_at, created_at, id_token_alg)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		a.ClientID, a.Name, a.SecretHash, a.Public, store.EncodeList(a.RedirectURIs),
		store.EncodeList(a.PostLogoutRedirectURIs), a.BackchannelLogoutURI, a.AdminsOnly,
		store.EncodeList(a.ForwardAuthHosts), TimeValue(a.DisabledAt), TimeValue(a.CreatedAt), a.IDTokenAlg).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("%s: create application: %w", db.name, err)
	}
	return nil
}

// ApplicationByClientID returns the application; store.ErrNotFound if none.
func (db *DB) ApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error) {
	a, err := scanApplication(db.r.QueryRow(ctx,
		`SELECT `+applicationColumns+` FROM applications WHERE client_id = $1`, clientID))
	if err != nil {
		return nil, fmt.Errorf("%s: application: %w", db.name, notFound(err))
	}
	return a, nil
}

// ListApplications returns every application in order of creation.
func (db *DB) ListApplications(ctx context.Context) ([]store.Application, error) {
	rows, err := db.r.Query(ctx, `SELECT `+applicationColumns+` FROM applications ORDER BY id`)
	apps, err := collect(rows, err, func(row Row) (store.Application, error) {
		a, err := scanApplication(row)
		if err != nil {
			return store.Application{}, err
		}
		return *a, nil
	})
	return apps, db.annotate("list applications", err)
}

// SetApplicationSecret replaces a confidential application's secret hash.
func (db *DB) SetApplicationSecret(ctx context.Context, clientID string, hash []byte) error {
	n, err := db.w.Exec(ctx,
		`UPDATE applications SET secret_hash = $2 WHERE client_id = $1 AND NOT public`, clientID, hash)
	if err == nil {
		err = changedOne(n)
	}
	if err != nil {
		return fmt.Errorf("%s: set application secret: %w", db.name, err)
	}
	return nil
}

// DisableApplication disables the application, keeping the first time.
func (db *DB) DisableApplication(ctx context.Context, clientID string, at time.Time) error {
	n, err := db.w.Exec(ctx,
		`UPDATE applications SET disabled_at = COALESCE(disabled_at, $2) WHERE client_id = $1`, clientID, at.UnixMilli())
	if err == nil {
		err = changedOne(n)
	}
	if err != nil {
		return fmt.Errorf("%s: disable application: %w", db.name, err)
	}
	return nil
}
