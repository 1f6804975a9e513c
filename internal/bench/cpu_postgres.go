package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// PostgresCPU is the CPU time, user and system, used so far by the
// processes named postgres on this machine (the server, its background
// workers and each connection's backend), from Linux's /proc; 0 when there
// is none or /proc does not say. A backend that exits takes its time with
// it: measure across a phase whose connections stay open, as a pool's do.
func PostgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, f := range stats {
		b, err := os.ReadFile(f) // #nosec G304 -- a /proc/PID/stat path from the glob above
		if err != nil {
			continue // the process ended meanwhile
		}
		ticks += postgresTicks(b)
	}
	// Linux counts in USER_HZ, 100 a second on every architecture Go
	// runs on (sysconf(_SC_CLK_TCK) would need cgo).
	return time.Duration(ticks) * (time.Second / 100)
}

// postgresTicks is utime+stime of a /proc/PID/stat line if its command is
// postgres, else 0. The command is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted from the last ")".
func postgresTicks(stat []byte) int64 {
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open || string(stat[open+1:end]) != "postgres" {
		return 0
	}
	f := bytes.Fields(stat[end+1:]) // from field 3, state
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64) // field 14
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0
	}
	return utime + stime
}
