package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/providerportal/portal/internal/store"
)

// applicationColumns is the column list scanApplication reads, in its order.
const applicationColumns = `id, client_id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
	backchannel_logout_uri, admins_only, forward_auth_hosts, disabled_at, created_at, id_token_alg`

func scanApplication(row pgx.Row) (*store.Application, error) {
	var a store.Application
	var redirects, postLogout, hosts string
	err := row.Scan(&a.ID, &a.ClientID, &a.Name, &a.SecretHash, &a.Public, &redirects, &postLogout,
		&a.BackchannelLogoutURI, &a.AdminsOnly, &hosts, scanTime(&a.DisabledAt), scanTime(&a.CreatedAt), &a.IDTokenAlg)
	if err != nil {
		return nil, err
	}
	a.RedirectURIs, a.PostLogoutRedirectURIs, a.ForwardAuthHosts =
		store.DecodeList(redirects), store.DecodeList(postLogout), store.DecodeList(hosts)
	return &a, nil
}

// CreateApplication inserts a and sets a.ID.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	err := db.pool.QueryRow(ctx, `
		INSERT INTO applications (client_id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
			backchannel_logout_uri, admins_only, forward_auth_hosts, disabled_at, created_at, id_token_alg)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		a.ClientID, a.Name, a.SecretHash, a.Public, store.EncodeList(a.RedirectURIs),
		store.EncodeList(a.PostLogoutRedirectURIs), a.BackchannelLogoutURI, a.AdminsOnly,
		store.EncodeList(a.ForwardAuthHosts), timeValue(a.DisabledAt), timeValue(a.CreatedAt), a.IDTokenAlg).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("postgres: create application: %w", err)
	}
	return nil
}

// ApplicationByClientID returns the application; store.ErrNotFound if none.
func (db *DB) ApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error) {
	a, err := scanApplication(db.pool.QueryRow(ctx,
		`SELECT `+applicationColumns+` FROM applications WHERE client_id = $1`, clientID))
	if err != nil {
		return nil, fmt.Errorf("postgres: application: %w", notFound(err))
	}
	return a, nil
}

// ListApplications returns every application in order of creation.
func (db *DB) ListApplications(ctx context.Context) ([]store.Application, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+applicationColumns+` FROM applications ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list applications: %w", err)
	}
	defer rows.Close()
	var apps []store.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list applications: %w", err)
		}
		apps = append(apps, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list applications: %w", err)
	}
	return apps, nil
}

// SetApplicationSecret replaces a confidential application's secret hash.
func (db *DB) SetApplicationSecret(ctx context.Context, clientID string, hash []byte) error {
	tag, err := db.pool.Exec(ctx,
		`UPDATE applications SET secret_hash = $2 WHERE client_id = $1 AND NOT public`, clientID, hash)
	if err == nil {
		err = changedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("postgres: set application secret: %w", err)
	}
	return nil
}

// DisableApplication disables the application, keeping the first time.
func (db *DB) DisableApplication(ctx context.Context, clientID string, at time.Time) error {
	tag, err := db.pool.Exec(ctx,
		`UPDATE applications SET disabled_at = COALESCE(disabled_at, $2) WHERE client_id = $1`, clientID, at.UnixMilli())
	if err == nil {
		err = changedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("postgres: disable application: %w", err)
	}
	return nil
}
