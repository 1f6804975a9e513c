package main

import (
	"os"
	"testing"

	"github.com/providerportal/portal/internal/testenv"
)

// TestMain prints one line naming the suites skipped here (browser,
// PostgreSQL, nginx, Caddy, axe-core) and why: see testenv.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
