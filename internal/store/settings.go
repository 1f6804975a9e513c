package store

import "context"

// Setting is one portal-wide setting.
type Setting struct{ Key, Value string }

// Settings keeps portal-wide settings as strings.
type Settings interface {
	// Setting returns the value and whether it is set.
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}
