package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/providerportal/portal/internal/password"
)

// gcPercent is the portal's GOGC. Nearly all its garbage is argon2id's
// working memory, 19 MiB for every password checked, so with Go's default
// of 100 the collector ran every two or three logins, and the pages each
// cycle handed back to the system were faulted in again by the next hash:
// 2–4 ms of CPU a login, about a tenth of it. At 200, measured with `portal
// bench` (SQLite, 1,000 users, two runs each, interleaved), CPU per login
// fell from 28.8–29.1 ms to 25.2–27.3 and logins/s ÷ hashes/s rose from
// 0.78–0.83 to 0.85–0.89; 300 gained little more for another 60 MiB.
const gcPercent = 200

// gcLimit is the soft memory limit that bounds what gcPercent lets the heap
// grow to when much is live, under a flood of logins: 64 MiB for the rest of
// the portal and four hashes' memory per hashing slot (one slot per CPU).
// The collector then runs sooner; the hashing slots, not the collector,
// are what keep memory bounded.
func gcLimit(slots int) int64 {
	hash := int64(password.DefaultParams.Memory) << 10
	return 64<<20 + 4*int64(slots)*hash
}

// tuneGC sets gcPercent and gcLimit for a process that serves logins,
// unless the operator chose otherwise with Go's own GOGC or GOMEMLIMIT
// (read from the process's environment, where the runtime reads them).
// It returns what is in force, for the start-up log.
func tuneGC() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	if os.Getenv("GOGC") == "" {
		percent = gcPercent
	}
	debug.SetGCPercent(percent)
	limit = debug.SetMemoryLimit(-1) // reads it
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = gcLimit(runtime.NumCPU())
		debug.SetMemoryLimit(limit)
	}
	return percent, limit
}
